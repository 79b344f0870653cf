//! `EXISTS (subquery)` as a value (in a select list, `CASE WHEN EXISTS …`,
//! an aggregate's argument), which DataFusion plans only as a condition of
//! `WHERE` (a semi-join).
//!
//! [`as_count`] turns it into the scalar subquery
//! `(SELECT count(*) > 0 FROM subquery)` (`= 0` for `NOT EXISTS`), which
//! [`SingleRowSubqueries`](super::scalar_subquery::SingleRowSubqueries) plans
//! like any other: an aggregate without `GROUP BY` over the correlated
//! filter, decorrelated by DataFusion or joined. The subquery's select list,
//! order, `DISTINCT` and a `LIMIT` that keeps its first row do not change
//! whether it has a row and are dropped first.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::functions_aggregate::count::count_all;
use datafusion::logical_expr::expr::Exists;
use datafusion::logical_expr::{
    Distinct, Expr, FetchType, LogicalPlan, LogicalPlanBuilder, SkipType, Subquery, lit,
};

/// `plan` without the nodes above its rows that do not decide whether it has one.
fn rows_of(plan: &LogicalPlan) -> &LogicalPlan {
    match plan {
        LogicalPlan::Projection(p) => rows_of(&p.input),
        LogicalPlan::Sort(s) if s.fetch.is_none_or(|n| n > 0) => rows_of(&s.input),
        LogicalPlan::Distinct(Distinct::All(input)) => rows_of(input),
        LogicalPlan::Limit(limit)
            if matches!(limit.get_skip_type(), Ok(SkipType::Literal(0)))
                && matches!(limit.get_fetch_type(), Ok(FetchType::Literal(n)) if n.is_none_or(|n| n > 0)) =>
        {
            rows_of(&limit.input)
        }
        other => other,
    }
}

/// `exists` as the scalar subquery of whether its subquery counts a row
/// (module docs).
pub(super) fn as_count(exists: Exists) -> Result<Subquery> {
    let Exists { subquery, negated } = exists;
    let count = count_all().unalias().alias("count");
    let counted = Expr::Column(datafusion::common::Column::from_name("count"));
    let value = if negated {
        counted.eq(lit(0_i64))
    } else {
        counted.gt(lit(0_i64))
    };
    let plan = LogicalPlanBuilder::from(rows_of(&subquery.subquery).clone())
        .aggregate(Vec::<Expr>::new(), vec![count])?
        .project(vec![value.alias("exists")])?
        .build()?;
    Ok(Subquery {
        subquery: Arc::new(plan),
        ..subquery
    })
}
