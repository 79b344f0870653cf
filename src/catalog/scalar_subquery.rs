//! Correlated scalar subqueries that are not aggregated, as drivers send them
//! in their catalog queries: pgjdbc's type cache
//! (`t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_class c WHERE c.oid = t.typrelid)`),
//! Npgsql's type loader (`(SELECT rngtypid FROM pg_range WHERE rngmultitypid = typ.oid)`),
//! SQLAlchemy's column reflection. DataFusion refuses them ("Correlated scalar
//! subquery must be aggregated to return at most one row"); PostgreSQL runs
//! them and fails only if a row of the outer query finds more than one inner
//! row. The analyzer rule here wraps such a subquery's single column in
//! `max(...)`: for the at most one row PostgreSQL accepts, the value is the
//! same (and NULL when there is no row), and DataFusion can decorrelate it.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::config::ConfigOptions;
use datafusion::functions_aggregate::expr_fn::max;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Subquery};
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::SessionContext;

/// The analyzer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct AggregateScalarSubqueries;

/// Adds [`AggregateScalarSubqueries`] to the analyzer rules of `ctx`.
pub fn register(ctx: &SessionContext) {
    ctx.add_analyzer_rule(Arc::new(AggregateScalarSubqueries));
}

/// The plan under projections and aliases, where DataFusion looks for an aggregate.
fn strip(plan: &LogicalPlan) -> &LogicalPlan {
    match plan {
        LogicalPlan::Projection(p) => strip(&p.input),
        LogicalPlan::SubqueryAlias(a) => strip(&a.input),
        other => other,
    }
}

fn needs_aggregate(subquery: &Subquery) -> bool {
    if subquery.outer_ref_columns.is_empty() || subquery.subquery.schema().fields().len() != 1 {
        return false;
    }
    if subquery.subquery.max_rows().is_some_and(|n| n <= 1) {
        return false;
    }
    match strip(&subquery.subquery) {
        LogicalPlan::Aggregate(_) => false,
        LogicalPlan::Filter(f) => !matches!(f.input.as_ref(), LogicalPlan::Aggregate(_)),
        _ => true,
    }
}

fn aggregate(subquery: Subquery) -> Result<Subquery> {
    let inner = subquery.subquery.as_ref().clone();
    let (qualifier, field) = inner.schema().qualified_field(0);
    let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
    let name = field.name().clone();
    let plan = LogicalPlanBuilder::from(inner).aggregate(Vec::<Expr>::new(), vec![max(column).alias(name)])?.build()?;
    Ok(Subquery { subquery: Arc::new(plan), ..subquery })
}

fn rewrite_expr(expr: Expr) -> Result<Transformed<Expr>> {
    expr.transform_up(|e| match e {
        Expr::ScalarSubquery(subquery) if needs_aggregate(&subquery) => {
            Ok(Transformed::yes(Expr::ScalarSubquery(aggregate(subquery)?)))
        }
        other => Ok(Transformed::no(other)),
    })
}

impl AnalyzerRule for AggregateScalarSubqueries {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let transformed = node.map_expressions(rewrite_expr)?;
            if transformed.transformed {
                // The expressions changed type-preservingly; refresh the node's schema.
                transformed.map_data(|n| n.recompute_schema())
            } else {
                Ok(transformed)
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "conversql_aggregate_scalar_subqueries"
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn an_unaggregated_correlated_scalar_subquery_runs() {
        let ctx = SessionContext::new();
        super::register(&ctx);
        ctx.sql("CREATE TABLE t (id INT, k INT) AS VALUES (1, 10), (2, 20), (3, NULL)").await.unwrap();
        ctx.sql("CREATE TABLE u (k INT, flag BOOLEAN, name TEXT) AS VALUES (10, true, 'a'), (20, false, 'b')")
            .await
            .unwrap();
        let sql = "SELECT t.id, (SELECT u.name FROM u WHERE u.k = t.k) AS name FROM t \
                   WHERE t.k IS NULL OR (SELECT u.flag FROM u WHERE u.k = t.k) ORDER BY t.id";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap().to_string();
        assert!(text.contains("| 1  | a    |"), "{text}");
        assert!(text.contains("| 3  |      |"), "{text}");
        assert!(!text.contains("| 2 "), "{text}");
    }
}
