//! Comparisons of `regproc`-style catalog columns with integers.
//!
//! conversql's `pg_type.typinput`, `typoutput`, `typreceive`, `typsend` (and
//! the other columns datafusion-pg-catalog tags with `pg.oid_alias`) hold the
//! names PostgreSQL prints for a `regproc` value, `-` for none (oid 0), not
//! the oids. PostgreSQL compares a `regproc` with an integer by oid: the ADBC
//! driver's type query says `typreceive != 0 OR typsend != 0` for "has a
//! binary receive or send function". This planner runs before DataFusion's
//! own and answers such a comparison with 0 as PostgreSQL does, by comparing
//! the name with `-` (the only value whose oid is 0). A comparison with any
//! other integer, or an ordering comparison, needs the function's oid, which
//! the names do not carry: that is an error (SQLSTATE 0A000) naming the
//! column, never a different answer.

use arrow::datatypes::DataType;
use conversql_udfs::SqlError;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{Expr, ExprSchemable, lit};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// The metadata key datafusion-pg-catalog stamps on OID-alias columns.
const OID_ALIAS_KEY: &str = "pg.oid_alias";

/// Plans comparisons of name-valued OID-alias columns with integer literals.
#[derive(Debug, Default)]
pub struct OidAliasComparePlanner;

/// The alias type (`regproc`, …) of a name-valued OID-alias expression.
fn named_alias(expr: &Expr, schema: &DFSchema) -> Option<String> {
    let (_, field) = expr.to_field(schema).ok()?;
    if !matches!(
        field.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        return None;
    }
    field.metadata().get(OID_ALIAS_KEY).cloned()
}

#[expect(
    clippy::option_option,
    reason = "not a literal (None) differs from the NULL literal (Some(None))"
)]
fn integer_literal(expr: &Expr) -> Option<Option<i64>> {
    match expr {
        Expr::Literal(value, _) if value.data_type().is_integer() => Some(match value {
            ScalarValue::Int8(v) => v.map(i64::from),
            ScalarValue::Int16(v) => v.map(i64::from),
            ScalarValue::Int32(v) => v.map(i64::from),
            ScalarValue::Int64(v) => *v,
            ScalarValue::UInt8(v) => v.map(i64::from),
            ScalarValue::UInt16(v) => v.map(i64::from),
            ScalarValue::UInt32(v) => v.map(i64::from),
            ScalarValue::UInt64(v) => v.and_then(|v| i64::try_from(v).ok()),
            _ => None,
        }),
        // An integer literal of a client's query is `CAST(n AS INTEGER)`
        // (`crate::integer_literals`).
        Expr::Cast(cast) if cast.field.data_type().is_integer() => integer_literal(&cast.expr),
        _ => None,
    }
}

impl ExprPlanner for OidAliasComparePlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let (alias, number, column_on_left) =
            match (integer_literal(&expr.left), integer_literal(&expr.right)) {
                (None, Some(n)) => match named_alias(&expr.left, schema) {
                    Some(alias) => (alias, n, true),
                    None => return Ok(PlannerResult::Original(expr)),
                },
                (Some(n), None) => match named_alias(&expr.right, schema) {
                    Some(alias) => (alias, n, false),
                    None => return Ok(PlannerResult::Original(expr)),
                },
                _ => return Ok(PlannerResult::Original(expr)),
            };
        let column = if column_on_left {
            &expr.left
        } else {
            &expr.right
        };
        let is_equality = matches!(expr.op, BinaryOperator::Eq | BinaryOperator::NotEq);
        if !is_equality || number.is_some_and(|n| n != 0) {
            return Err(SqlError::unsupported(format!(
                "comparing the {alias} column {column} with the integer {} ({}): conversql's {alias} columns hold names, not oids; compare with the name (or with 0)",
                number.map_or_else(|| "NULL".to_string(), |n| n.to_string()),
                expr.op
            ))
            .into());
        }
        let none = if number.is_some() {
            lit("-")
        } else {
            lit(ScalarValue::Utf8(None))
        };
        let (left, right) = if column_on_left {
            (expr.left, none)
        } else {
            (none, expr.right)
        };
        Ok(PlannerResult::Original(RawBinaryExpr {
            op: expr.op,
            left,
            right,
        }))
    }
}
