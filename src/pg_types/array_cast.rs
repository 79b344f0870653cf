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

/// The array `text` reads as: an `oidvector`'s elements for a column marked
/// so (see [`oid_vector`](super::oid_vector)), else PostgreSQL's array syntax.
fn array_in(text: Expr, oidvector: bool) -> Expr {
    let function = if oidvector {
        ScalarUDF::new_from_impl(super::oid_vector::PgVectorIn::default())
    } else {
        ScalarUDF::from(PgArrayInFunc::new())
    };
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(function), vec![text]))
}

/// Rewrites the casts of text to lists in one plan node's expressions.
fn rewrite_node(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let schemas: Vec<_> = plan
        .inputs()
        .iter()
        .map(|p| Arc::clone(p.schema()))
        .collect();
    let own = Arc::clone(plan.schema());
    let all: Vec<_> = schemas.into_iter().chain(std::iter::once(own)).collect();
    let type_of = |e: &Expr| -> Option<DataType> { all.iter().find_map(|s| e.get_type(s).ok()) };
    let oidvector = |e: &Expr| -> bool {
        all.iter()
            .find_map(|s| e.to_field(s).ok())
            .is_some_and(|(_, field)| super::oid_vector::is_oidvector(field.metadata()))
    };
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        let rewritten = expr.transform_up(|e| match e {
            Expr::Cast(Cast { expr, field })
                if is_list(field.data_type()) && type_of(&expr).is_some_and(|t| is_string(&t)) =>
            {
                let vector = oidvector(&expr);
                Ok(Transformed::yes(Expr::Cast(Cast::new_from_field(
                    Box::new(array_in(*expr, vector)),
                    field,
                ))))
            }
            Expr::TryCast(TryCast { expr, field })
                if is_list(field.data_type()) && type_of(&expr).is_some_and(|t| is_string(&t)) =>
            {
                let vector = oidvector(&expr);
                Ok(Transformed::yes(Expr::TryCast(TryCast::new_from_field(
                    Box::new(array_in(*expr, vector)),
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
