//! Casts of text to arrays with PostgreSQL's meaning: `'{a,b}'::text[]`.
//!
//! Arrow's cast of a string to a list wraps the whole string in a one-element
//! list (`['{a,b}']`), a silently different answer. This analyzer rule runs
//! after DataFusion's type coercion and plans every cast (and `TRY_CAST`) of
//! a string to a list as `pg_array_in(text)` (PostgreSQL's array input
//! syntax, conversql-udfs) followed by a cast of the list of text to the
//! target list type, which converts the elements (an element that is not a
//! value of the element type is an error, as in PostgreSQL).

use std::sync::Arc;

use arrow::datatypes::DataType;
use conversql_udfs::PgArrayInFunc;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan, ScalarUDF, TryCast};
use datafusion::optimizer::AnalyzerRule;

/// Plans casts of text to arrays with PostgreSQL's array input syntax.
#[derive(Debug, Default)]
pub struct ArrayInputCast;

fn is_string(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

fn is_list(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

fn array_in(text: Expr) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(ScalarUDF::from(PgArrayInFunc::new())),
        vec![text],
    ))
}

/// Rewrites the casts of text to lists in one plan node's expressions.
fn rewrite_node(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let schemas: Vec<_> = plan
        .inputs()
        .iter()
        .map(|p| Arc::clone(p.schema()))
        .collect();
    let own = Arc::clone(plan.schema());
    let type_of = move |e: &Expr| -> Option<DataType> {
        schemas
            .iter()
            .chain(std::iter::once(&own))
            .find_map(|s| e.get_type(s).ok())
    };
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        let rewritten = expr.transform_up(|e| match e {
            Expr::Cast(Cast { expr, field })
                if is_list(field.data_type()) && type_of(&expr).is_some_and(|t| is_string(&t)) =>
            {
                Ok(Transformed::yes(Expr::Cast(Cast::new_from_field(
                    Box::new(array_in(*expr)),
                    field,
                ))))
            }
            Expr::TryCast(TryCast { expr, field })
                if is_list(field.data_type()) && type_of(&expr).is_some_and(|t| is_string(&t)) =>
            {
                Ok(Transformed::yes(Expr::TryCast(TryCast::new_from_field(
                    Box::new(array_in(*expr)),
                    field,
                ))))
            }
            other => Ok(Transformed::no(other)),
        })?;
        Ok(rewritten.update_data(|e| name.restore(e)))
    })
}

impl AnalyzerRule for ArrayInputCast {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        Ok(plan.transform_up_with_subqueries(rewrite_node)?.data)
    }

    fn name(&self) -> &'static str {
        "postgres_array_input_cast"
    }
}
