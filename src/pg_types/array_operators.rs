//! The array operators `@>`, `<@` and `&&` with PostgreSQL's meaning.
//!
//! DataFusion plans `a @> b` on lists as `array_has_all(a, b)`, which counts a
//! NULL element as equal to a NULL element, and does not plan `&&` at all.
//! This planner runs before DataFusion's own and plans the three operators on
//! arrays as `pg_array_contains` / `pg_array_overlap` (conversql-udfs), which
//! compare as PostgreSQL does. An untyped string literal on one side is read
//! as an array of the other side's type, as PostgreSQL resolves an
//! `unknown` literal (`tags @> '{returns}'`).

use std::sync::Arc;

use arrow::datatypes::DataType;
use conversql_udfs::{PgArrayContainsFunc, PgArrayInFunc, PgArrayOverlapFunc};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, ScalarUDF};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// Plans `@>`, `<@` and `&&` between arrays with PostgreSQL's meaning.
#[derive(Debug, Default)]
pub struct ArrayOperatorPlanner;

fn is_list(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

/// `expr` as an array of `like`'s type when it is an untyped string literal.
fn as_array_of(expr: Expr, like: &DataType) -> Expr {
    match &expr {
        Expr::Literal(
            ScalarValue::Utf8(_) | ScalarValue::Utf8View(_) | ScalarValue::LargeUtf8(_),
            _,
        ) => Expr::Cast(Cast::new(
            Box::new(call(PgArrayInFunc::new().into(), vec![expr])),
            like.clone(),
        )),
        _ => expr,
    }
}

fn call(udf: ScalarUDF, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), args))
}

impl ExprPlanner for ArrayOperatorPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        if !matches!(
            expr.op,
            BinaryOperator::AtArrow | BinaryOperator::ArrowAt | BinaryOperator::PGOverlap
        ) {
            return Ok(PlannerResult::Original(expr));
        }
        let left_type = expr.left.get_type(schema)?;
        let right_type = expr.right.get_type(schema)?;
        let (left, right) = match (is_list(&left_type), is_list(&right_type)) {
            (true, true) => (expr.left, expr.right),
            (true, false) => (expr.left, as_array_of(expr.right, &left_type)),
            (false, true) => (as_array_of(expr.left, &right_type), expr.right),
            (false, false) => return Ok(PlannerResult::Original(expr)),
        };
        let planned = match expr.op {
            BinaryOperator::AtArrow => call(PgArrayContainsFunc::new().into(), vec![left, right]),
            BinaryOperator::ArrowAt => call(PgArrayContainsFunc::new().into(), vec![right, left]),
            _ => call(PgArrayOverlapFunc::new().into(), vec![left, right]),
        };
        Ok(PlannerResult::Planned(planned))
    }
}
