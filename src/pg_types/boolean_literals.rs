//! Untyped string literals compared with a boolean, as PostgreSQL reads them.
//!
//! In PostgreSQL a quoted literal has type `unknown` and takes the type of
//! what it is compared with, so `ix.indisprimary = 'f'` (Superset's index
//! query) compares booleans. DataFusion refuses `Boolean = Utf8`. This
//! planner runs before DataFusion's own: a comparison of a boolean with a
//! string literal reads the literal with PostgreSQL's `boolin` (`t`, `true`,
//! `yes`, `on`, `1` and their prefixes, any case, surrounding whitespace
//! ignored); anything else is `invalid input syntax for type boolean`
//! (SQLSTATE 22P02), as in PostgreSQL.

use arrow::datatypes::DataType;
use conversql_udfs::SqlError;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{Expr, ExprSchemable};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// Plans comparisons of booleans with string literals.
#[derive(Debug, Default)]
pub struct BooleanLiteralPlanner;

/// PostgreSQL's `parse_bool`: the boolean a text means, if any.
pub fn parse_bool(text: &str) -> Option<bool> {
    let value = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| value.len() >= min && word.starts_with(&value);
    match value.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        _ if prefix_of("true", 1) || prefix_of("yes", 1) => Some(true),
        _ if prefix_of("false", 1) || prefix_of("no", 1) => Some(false),
        _ if prefix_of("on", 2) => Some(true),
        _ if prefix_of("off", 2) => Some(false),
        _ => None,
    }
}

#[expect(
    clippy::option_option,
    reason = "not a literal (None) differs from the NULL literal (Some(None))"
)]
fn string_literal(expr: &Expr) -> Option<Option<&str>> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(s) | ScalarValue::Utf8View(s) | ScalarValue::LargeUtf8(s),
            _,
        ) => Some(s.as_deref()),
        _ => None,
    }
}

/// `expr` as a boolean literal when it is a string literal.
fn as_boolean(expr: Expr) -> Result<Expr> {
    let Some(text) = string_literal(&expr) else {
        return Ok(expr);
    };
    let value = match text {
        None => None,
        Some(text) => Some(parse_bool(text).ok_or_else(|| {
            SqlError::new(
                "22P02",
                format!("invalid input syntax for type boolean: \"{text}\""),
            )
        })?),
    };
    Ok(Expr::Literal(ScalarValue::Boolean(value), None))
}

impl ExprPlanner for BooleanLiteralPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        if !matches!(
            expr.op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
        ) {
            return Ok(PlannerResult::Original(expr));
        }
        let left_bool = string_literal(&expr.left).is_none()
            && expr.left.get_type(schema)? == DataType::Boolean
            && string_literal(&expr.right).is_some();
        let right_bool = string_literal(&expr.right).is_none()
            && expr.right.get_type(schema)? == DataType::Boolean
            && string_literal(&expr.left).is_some();
        if !(left_bool || right_bool) {
            return Ok(PlannerResult::Original(expr));
        }
        Ok(PlannerResult::Original(RawBinaryExpr {
            op: expr.op,
            left: as_boolean(expr.left)?,
            right: as_boolean(expr.right)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_booleans_as_postgres_does() {
        for t in ["t", "TRUE", " yes ", "y", "on", "1", "tr"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["f", "false", "no", "n", "off", "of", "0", "FA"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["", "o", "maybe", "2", "yess", "truee"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }
}
