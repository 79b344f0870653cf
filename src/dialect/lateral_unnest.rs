//! A function in `FROM` over the columns of the items before it:
//! `FROM pg_constraint con CROSS JOIN unnest(con.conkey) AS k`.
//!
//! PostgreSQL reads a function call in `FROM` as implicitly `LATERAL`: it is
//! evaluated once per row of the items to its left, with that row's values
//! (ADBC's `adbc_get_objects` lists a constraint's columns so). DataFusion
//! plans such an item as a subquery whose outer references are the left
//! columns, over a one-row relation, and its physical planner refuses the
//! outer references (`OuterReferenceColumn`).
//!
//! [`LateralUnnest`] plans an inner or cross join whose right side is such a
//! subquery built only of projections, unnests and filters over that one
//! row (what `unnest(…)` and other functions of the left row plan to)
//! without a join: the one row becomes the left input itself, every
//! projection carries the left columns along, and the outer references
//! become plain columns. Each left row thus yields the rows the subquery
//! yields for it, as in PostgreSQL; the join's condition filters them. Any
//! other shape (a `LEFT JOIN`, an aggregate or a limit in the subquery,
//! references beyond the left side) is left as it was, with DataFusion's
//! error.

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result};
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Expr, Filter, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Projection, Subquery,
    SubqueryAlias,
};
use datafusion::optimizer::AnalyzerRule;

/// The prefix of the names the subquery's results are carried under.
const CARRIED: &str = "__lateral_unnest_";

/// Plans joins with a function of the left row as the module docs say.
#[derive(Debug, Default)]
pub struct LateralUnnest;

impl AnalyzerRule for LateralUnnest {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Join(join) if join.join_type == JoinType::Inner => match lateral(&join)? {
                Some(plan) => Ok(Transformed::yes(plan)),
                None => Ok(Transformed::no(LogicalPlan::Join(join))),
            },
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "conversql_lateral_unnest"
    }
}

/// The subquery on the right of `join`, if it is one with outer references.
fn right_subquery(join: &Join) -> Option<&Subquery> {
    let plan = match join.right.as_ref() {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, .. }) => input.as_ref(),
        other => other,
    };
    match plan {
        LogicalPlan::Subquery(subquery) if !subquery.outer_ref_columns.is_empty() => Some(subquery),
        _ => None,
    }
}

/// `join` planned without a join, if its right side is a function of the left row.
fn lateral(join: &Join) -> Result<Option<LogicalPlan>> {
    let Some(subquery) = right_subquery(join) else {
        return Ok(None);
    };
    let left = join.left.schema();
    let outer_refs_on_left = subquery.outer_ref_columns.iter().all(|e| match e {
        Expr::OuterReferenceColumn(_, column) => left.index_of_column(column).is_ok(),
        _ => false,
    });
    if !outer_refs_on_left {
        return Ok(None);
    }
    let Some(per_row) = rebuild(&subquery.subquery, &join.left, true)? else {
        return Ok(None);
    };
    let results = join
        .right
        .schema()
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            Expr::Column(Column::from_name(format!("{CARRIED}{i}")))
                .alias_qualified(qualifier.cloned(), field.name())
        });
    let joined = LogicalPlan::Projection(Projection::try_new(
        carried(left).chain(results).collect(),
        Arc::new(per_row),
    )?);
    let conditions = join
        .on
        .iter()
        .map(|(l, r)| l.clone().eq(r.clone()))
        .chain(join.filter.clone());
    Ok(Some(match conjunction(conditions) {
        Some(condition) => LogicalPlan::Filter(Filter::try_new(condition, Arc::new(joined))?),
        None => joined,
    }))
}

/// `plan` (the subquery) evaluated over every row of `left`, the left columns
/// carried along; `top` names the results `__lateral_unnest_<i>`. `None` for a
/// node that is not per row.
fn rebuild(plan: &LogicalPlan, left: &Arc<LogicalPlan>, top: bool) -> Result<Option<LogicalPlan>> {
    Ok(Some(match plan {
        LogicalPlan::EmptyRelation(empty) if empty.produce_one_row && !top => left.as_ref().clone(),
        LogicalPlan::Projection(projection) => {
            let Some(input) = rebuild(&projection.input, left, false)? else {
                return Ok(None);
            };
            let mut exprs = projection
                .expr
                .iter()
                .zip(projection.schema.iter())
                .enumerate()
                .map(|(i, (expr, (qualifier, field)))| {
                    let expr = outer_to_columns(expr.clone())?;
                    Ok(if top {
                        expr.alias(format!("{CARRIED}{i}"))
                    } else {
                        expr.alias_qualified(qualifier.cloned(), field.name())
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            exprs.extend(carried(left.schema()));
            LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?)
        }
        LogicalPlan::Unnest(unnest) if !top => {
            let Some(input) = rebuild(&unnest.input, left, false)? else {
                return Ok(None);
            };
            LogicalPlanBuilder::from(input)
                .unnest_columns_with_options(unnest.exec_columns.clone(), unnest.options.clone())?
                .build()?
        }
        LogicalPlan::Filter(filter) if !top => {
            let Some(input) = rebuild(&filter.input, left, false)? else {
                return Ok(None);
            };
            LogicalPlan::Filter(Filter::try_new(
                outer_to_columns(filter.predicate.clone())?,
                Arc::new(input),
            )?)
        }
        _ => return Ok(None),
    }))
}

/// The columns of `schema` as expressions.
fn carried(schema: &DFSchema) -> impl Iterator<Item = Expr> + '_ {
    schema.columns().into_iter().map(Expr::Column)
}

/// `expr` with its outer references as columns of the left input.
fn outer_to_columns(expr: Expr) -> Result<Expr> {
    expr.transform(|e| match e {
        Expr::OuterReferenceColumn(_, column) => Ok(Transformed::yes(Expr::Column(column))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn rows(sql: &str) -> Result<String> {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(Arc::new(LateralUnnest));
        ctx.sql(
            "CREATE TABLE t AS SELECT * FROM (VALUES (1, [10, 20]), (2, []), (3, NULL), (4, [40])) \
             AS v(id, xs)",
        )
        .await?
        .collect()
        .await?;
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
    }

    #[tokio::test]
    async fn a_function_of_the_left_row_runs_per_row() {
        let text = rows("SELECT t.id, k FROM t CROSS JOIN unnest(t.xs) AS u(k) ORDER BY t.id, k")
            .await
            .unwrap();
        let expected = [
            "+----+----+",
            "| id | k  |",
            "+----+----+",
            "| 1  | 10 |",
            "| 1  | 20 |",
            "| 4  | 40 |",
            "+----+----+",
        ]
        .join("\n");
        assert_eq!(text, expected);
    }

    #[tokio::test]
    async fn the_join_condition_filters_the_rows() {
        let text = rows(
            "SELECT t.id, k FROM t JOIN unnest(xs) AS u(k) ON k > 15 AND t.id < 4 ORDER BY t.id, k",
        )
        .await
        .unwrap();
        assert!(text.contains("| 1  | 20 |"), "{text}");
        assert!(!text.contains("10"), "{text}");
        assert!(!text.contains("40"), "{text}");
    }
}
