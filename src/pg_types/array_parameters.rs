//! Array values bound to `$n` parameters, in text and binary format.
//!
//! arrow-pg reads a text-format array parameter with a naive split (no
//! quoting, an empty element taken for NULL) and, when the client declares
//! no type (psycopg sends a list of strings as `unknown`), as one string, so
//! `$1::text[]` bound to `['v','m']` became `['{v,m}']`. conversql decodes
//! every array parameter itself:
//! - text format with PostgreSQL's array input syntax
//!   ([`conversql_udfs::array_literal`]);
//! - binary format with PostgreSQL's array layout (`array_send`: number of
//!   dimensions, has-null flag, element type, then each dimension's length
//!   and lower bound, then each element as a length and its `*_send` bytes).
//!
//! A parameter is an array when the client declares an array type in `Parse`
//! (`text[]` is 1009, …) or declares none and Describe inferred one (see
//! [`parameter_types`]). The value is bound as
//! `CAST(ARRAY['…', …] AS type[])`, each element checked against the element
//! type first, so a bad element is an error naming the parameter (22P02),
//! not a failure later in the query.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, TimeUnit};
use chrono::{Duration, NaiveDate};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan};
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Value};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;
use pgwire::api::Type;
use pgwire::api::portal::Format;

use crate::error::Error;

/// The element type of an array parameter: its PostgreSQL type, the SQL
/// spelling it is cast to, and the Arrow type that cast gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementType {
    /// The element's PostgreSQL type.
    pub pg: Type,
    sql: &'static str,
    arrow: DataType,
}

/// The element type of the PostgreSQL array type `array`, if conversql binds it.
pub fn element_of_array_type(array: &Type) -> Option<ElementType> {
    let (pg, sql, arrow) = match *array {
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY | Type::NAME_ARRAY => {
            (Type::TEXT, "TEXT", DataType::Utf8)
        }
        Type::INT2_ARRAY => (Type::INT2, "SMALLINT", DataType::Int16),
        Type::INT4_ARRAY => (Type::INT4, "INT", DataType::Int32),
        Type::INT8_ARRAY => (Type::INT8, "BIGINT", DataType::Int64),
        Type::FLOAT4_ARRAY => (Type::FLOAT4, "REAL", DataType::Float32),
        Type::FLOAT8_ARRAY => (Type::FLOAT8, "DOUBLE PRECISION", DataType::Float64),
        Type::NUMERIC_ARRAY => (Type::NUMERIC, "NUMERIC", DataType::Decimal128(38, 10)),
        Type::BOOL_ARRAY => (Type::BOOL, "BOOLEAN", DataType::Boolean),
        Type::DATE_ARRAY => (Type::DATE, "DATE", DataType::Date32),
        Type::TIMESTAMP_ARRAY => (
            Type::TIMESTAMP,
            "TIMESTAMP",
            DataType::Timestamp(TimeUnit::Nanosecond, None),
        ),
        Type::TIMESTAMPTZ_ARRAY => (
            Type::TIMESTAMPTZ,
            "TIMESTAMPTZ",
            DataType::Timestamp(TimeUnit::Nanosecond, Some("+00:00".into())),
        ),
        _ => return None,
    };
    let pg = match *array {
        Type::VARCHAR_ARRAY => Type::VARCHAR,
        Type::BPCHAR_ARRAY => Type::BPCHAR,
        Type::NAME_ARRAY => Type::NAME,
        _ => pg,
    };
    Some(ElementType { pg, sql, arrow })
}

impl ElementType {
    /// The SQL type of an array of this element (`TEXT[]`), as the planner reads it.
    pub fn array_sql_type(&self) -> Option<datafusion::sql::sqlparser::ast::DataType> {
        Parser::new(&PostgreSqlDialect {})
            .try_with_sql(&format!("{}[]", self.sql))
            .and_then(|mut p| p.parse_data_type())
            .ok()
    }
}

/// Whether `ty` is a PostgreSQL array type (PostgreSQL names them `_element`).
pub fn is_array_type(ty: &Type) -> bool {
    ty.name().starts_with('_')
}

/// 22P02 naming parameter `index` (0-based): its value is malformed.
pub(super) fn invalid(index: usize, message: impl std::fmt::Display) -> Error {
    Error::Postgres {
        sqlstate: "22P02",
        message: format!("invalid input for parameter ${}: {message}", index + 1),
    }
}

/// 0A000 naming parameter `index` (0-based): its type or value is not supported.
pub(super) fn unsupported(index: usize, message: impl std::fmt::Display) -> Error {
    Error::Postgres {
        sqlstate: "0A000",
        message: format!("parameter ${}: {message}", index + 1),
    }
}

/// The SQL expression binding array parameter `index` (0-based) of type
/// `array` to `value` (`None` is NULL) sent in `format`.
///
/// # Errors
/// 22P02 for a malformed array or element, 0A000 for an array type or shape
/// conversql does not bind.
pub fn bind_array(
    index: usize,
    array: &Type,
    value: Option<&[u8]>,
    binary: bool,
) -> Result<SqlExpr, Error> {
    let Some(element) = element_of_array_type(array) else {
        return Err(unsupported(
            index,
            format!(
                "array parameters of type {} are not supported",
                array.name()
            ),
        ));
    };
    let Some(bytes) = value else {
        return Ok(sql_expr(&format!("CAST(NULL AS {}[])", element.sql)));
    };
    let elements = if binary {
        decode_binary(index, &element, bytes)?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| invalid(index, e))?;
        conversql_udfs::pg_array_in::parse_one_dimension(text).map_err(|e| match e {
            conversql_udfs::array_literal::ArrayLiteralError::Malformed(m) => invalid(index, m),
            conversql_udfs::array_literal::ArrayLiteralError::Unsupported(m) => {
                unsupported(index, m)
            }
        })?
    };
    check_elements(index, &element, &elements)?;
    let items: Vec<String> = elements
        .iter()
        .map(|e| match e {
            Some(s) => format!("'{}'", s.replace('\'', "''")),
            None => "NULL".to_string(),
        })
        .collect();
    Ok(sql_expr(&format!(
        "CAST(ARRAY[{}] AS {}[])",
        items.join(", "),
        element.sql
    )))
}

fn sql_expr(sql: &str) -> SqlExpr {
    let expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_expr())
        .unwrap_or_else(|_| SqlExpr::Value(Value::Null.into()));
    SqlExpr::Nested(Box::new(expr))
}

/// Every element must be a value of the element type, as PostgreSQL's input function checks.
fn check_elements(
    index: usize,
    element: &ElementType,
    elements: &[Option<String>],
) -> Result<(), Error> {
    if element.arrow == DataType::Utf8 {
        return Ok(());
    }
    let texts: ArrayRef = Arc::new(StringArray::from(elements.to_vec()));
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    cast_with_options(&texts, &element.arrow, &options)
        .map(|_| ())
        .map_err(|e| {
            invalid(
                index,
                format!("invalid input syntax for type {}: {e}", element.pg.name()),
            )
        })
}

fn read_i32(bytes: &[u8], at: &mut usize) -> Option<i32> {
    let value = bytes.get(*at..*at + 4)?;
    *at += 4;
    Some(i32::from_be_bytes(value.try_into().ok()?))
}

/// Decodes PostgreSQL's binary array layout into element texts.
fn decode_binary(
    index: usize,
    element: &ElementType,
    bytes: &[u8],
) -> Result<Vec<Option<String>>, Error> {
    let truncated = || invalid(index, "truncated binary array");
    let mut at = 0;
    let dims = read_i32(bytes, &mut at).ok_or_else(truncated)?;
    let _has_null = read_i32(bytes, &mut at).ok_or_else(truncated)?;
    let element_oid = read_i32(bytes, &mut at).ok_or_else(truncated)?;
    if dims == 0 {
        return Ok(vec![]);
    }
    if dims != 1 {
        return Err(if dims < 0 {
            invalid(index, format!("invalid number of dimensions: {dims}"))
        } else {
            unsupported(index, "multidimensional arrays are not supported")
        });
    }
    if u32::from_ne_bytes(element_oid.to_ne_bytes()) != element.pg.oid() {
        return Err(invalid(
            index,
            format!(
                "binary array of element type {} where {} was declared",
                element_oid,
                element.pg.name()
            ),
        ));
    }
    let length = read_i32(bytes, &mut at).ok_or_else(truncated)?;
    let _lower_bound = read_i32(bytes, &mut at).ok_or_else(truncated)?;
    let length = usize::try_from(length).map_err(|_| invalid(index, "negative array length"))?;
    let mut elements = Vec::with_capacity(length.min(1 << 16));
    for _ in 0..length {
        let size = read_i32(bytes, &mut at).ok_or_else(truncated)?;
        if size == -1 {
            elements.push(None);
            continue;
        }
        let size = usize::try_from(size).map_err(|_| invalid(index, "negative element length"))?;
        let value = bytes.get(at..at + size).ok_or_else(truncated)?;
        at += size;
        elements.push(Some(decode_element(&element.pg, value).ok_or_else(
            || {
                invalid(
                    index,
                    format!("invalid binary value of type {}", element.pg.name()),
                )
            },
        )??));
    }
    if at != bytes.len() {
        return Err(invalid(index, "trailing bytes after the binary array"));
    }
    Ok(elements)
}

/// PostgreSQL's epoch for dates and timestamps.
fn pg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// One element's text from its binary form; `None` if the bytes do not fit the type.
fn decode_element(ty: &Type, value: &[u8]) -> Option<Result<String, Error>> {
    let text = match *ty {
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            String::from_utf8(value.to_vec()).ok()?
        }
        Type::INT2 => i16::from_be_bytes(value.try_into().ok()?).to_string(),
        Type::INT4 => i32::from_be_bytes(value.try_into().ok()?).to_string(),
        Type::INT8 => i64::from_be_bytes(value.try_into().ok()?).to_string(),
        Type::FLOAT4 => float_text(f64::from(f32::from_be_bytes(value.try_into().ok()?))),
        Type::FLOAT8 => float_text(f64::from_be_bytes(value.try_into().ok()?)),
        Type::BOOL => match value {
            [0] => "false".into(),
            [1] => "true".into(),
            _ => return None,
        },
        Type::DATE => {
            let days = i32::from_be_bytes(value.try_into().ok()?);
            if days == i32::MAX || days == i32::MIN {
                return Some(Err(Error::Postgres {
                    sqlstate: "0A000",
                    message: "infinite dates are not supported".into(),
                }));
            }
            (pg_epoch() + Duration::days(i64::from(days)))
                .format("%Y-%m-%d")
                .to_string()
        }
        Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            let micros = i64::from_be_bytes(value.try_into().ok()?);
            if micros == i64::MAX || micros == i64::MIN {
                return Some(Err(Error::Postgres {
                    sqlstate: "0A000",
                    message: "infinite timestamps are not supported".into(),
                }));
            }
            let at = pg_epoch().and_hms_opt(0, 0, 0)?.and_utc() + Duration::microseconds(micros);
            let local = at.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string();
            if *ty == Type::TIMESTAMPTZ {
                format!("{local}+00:00")
            } else {
                local
            }
        }
        Type::NUMERIC => numeric_text(value)?,
        _ => return None,
    };
    Some(Ok(text))
}

/// A float's text as PostgreSQL writes it (`Infinity`, `NaN`), exact otherwise.
fn float_text(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        format!("{value:?}")
    }
}

/// PostgreSQL's binary numeric (`numeric_send`): digit count, weight, sign,
/// display scale, then base-10000 digits.
fn numeric_text(value: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<u16> {
        Some(u16::from_be_bytes(
            value.get(i * 2..i * 2 + 2)?.try_into().ok()?,
        ))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(i16::from_be_bytes(value.get(2..4)?.try_into().ok()?));
    let sign = word(2)?;
    let dscale = usize::from(word(3)?);
    if value.len() != 8 + 2 * ndigits {
        return None;
    }
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => return None,
    }
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    // Integer part: groups for weights weight..=0.
    let mut integer = String::new();
    for w in (0..=weight).rev() {
        let group = group_at(&digits, weight - w);
        if integer.is_empty() {
            integer = group.to_string();
        } else {
            integer.push_str(&format!("{group:04}"));
        }
    }
    if integer.is_empty() {
        integer.push('0');
    }
    let mut fraction = String::new();
    let mut w = -1;
    while fraction.len() < dscale {
        let group = group_at(&digits, weight - w);
        fraction.push_str(&format!("{group:04}"));
        w -= 1;
    }
    fraction.truncate(dscale);
    let sign = if sign == 0x4000 { "-" } else { "" };
    Some(if dscale == 0 {
        format!("{sign}{integer}")
    } else {
        format!("{sign}{integer}.{fraction}")
    })
}

/// The base-10000 digit at `position` (0 is the first stored digit), 0 outside them.
fn group_at(digits: &[u16], position: i32) -> u16 {
    usize::try_from(position)
        .ok()
        .and_then(|p| digits.get(p).copied())
        .unwrap_or(0)
}

/// The PostgreSQL array type of a parameter Describe inferred as `data_type`.
pub fn array_type_of(data_type: &DataType) -> Option<Type> {
    match data_type {
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => {
            arrow_pg::datatypes::into_pg_type(data_type).ok()
        }
        _ => None,
    }
}

/// The array type parameter `index` is bound as: the type the client declared
/// if it is an array type; if it declared none, the type Describe inferred.
pub fn bound_array_type(declared: Option<&Type>, inferred: Option<&DataType>) -> Option<Type> {
    match declared {
        Some(t) if is_array_type(t) => Some(t.clone()),
        Some(t) if *t != Type::UNKNOWN => None,
        _ => inferred.and_then(array_type_of),
    }
}

/// Whether parameter `index` of `format` is in binary.
pub fn is_binary(format: &Format, index: usize) -> bool {
    match format {
        Format::Individual(codes) if codes.is_empty() => false,
        Format::Individual(codes) if codes.len() == 1 => codes[0] == 1,
        _ => format.is_binary(index),
    }
}

/// The types of the parameters of `plan` that DataFusion does not infer but
/// PostgreSQL does: `$n::type` (a parameter cast to a type has that type) and
/// `x = ANY($n)` / `x <> ALL($n)` (an array of `x`'s type), keyed by number.
pub fn parameter_types(plan: &LogicalPlan) -> HashMap<usize, DataType> {
    let mut found = HashMap::new();
    let _ = plan.apply_with_subqueries(|node| {
        let schemas: Vec<_> = node
            .inputs()
            .iter()
            .map(|p| Arc::clone(p.schema()))
            .chain(std::iter::once(Arc::clone(node.schema())))
            .collect();
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                match e {
                    Expr::Cast(Cast { expr, field }) => {
                        if let Some(n) = placeholder_number(expr) {
                            found.entry(n).or_insert_with(|| field.data_type().clone());
                        }
                    }
                    Expr::ScalarFunction(f)
                        if matches!(f.name(), "array_has" | "pg_any_equal")
                            && f.args.len() == 2 =>
                    {
                        if let Some(n) = placeholder_number(&f.args[0])
                            && let Some(needle) =
                                schemas.iter().find_map(|s| f.args[1].get_type(s).ok())
                            && needle != DataType::Null
                        {
                            found.entry(n).or_insert_with(|| {
                                DataType::List(Arc::new(Field::new_list_field(needle, true)))
                            });
                        }
                    }
                    _ => {}
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

fn placeholder_number(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Placeholder(p) => {
            p.id.trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary_array(element_oid: u32, elements: &[Option<&[u8]>]) -> Vec<u8> {
        let mut out = vec![];
        out.extend(1i32.to_be_bytes());
        out.extend(i32::from(elements.iter().any(Option::is_none)).to_be_bytes());
        out.extend(element_oid.to_be_bytes());
        out.extend(i32::try_from(elements.len()).unwrap().to_be_bytes());
        out.extend(1i32.to_be_bytes());
        for e in elements {
            match e {
                None => out.extend((-1i32).to_be_bytes()),
                Some(b) => {
                    out.extend(i32::try_from(b.len()).unwrap().to_be_bytes());
                    out.extend(*b);
                }
            }
        }
        out
    }

    fn bound(array: &Type, value: &[u8], binary: bool) -> Result<String, Error> {
        bind_array(0, array, Some(value), binary).map(|e| e.to_string())
    }

    #[test]
    fn text_arrays_bind_with_postgres_syntax() {
        assert_eq!(
            bound(&Type::TEXT_ARRAY, br#"{v,"m,n",NULL,"it's"}"#, false).unwrap(),
            "(CAST(ARRAY['v', 'm,n', NULL, 'it''s'] AS TEXT[]))"
        );
        assert_eq!(
            bound(&Type::INT4_ARRAY, b"{}", false).unwrap(),
            "(CAST(ARRAY[] AS INT[]))"
        );
        assert_eq!(
            bind_array(1, &Type::DATE_ARRAY, None, false)
                .unwrap()
                .to_string(),
            "(CAST(NULL AS DATE[]))"
        );
    }

    #[test]
    fn bad_text_arrays_name_the_parameter() {
        for (ty, text) in [
            (Type::TEXT_ARRAY, "v,m"),
            (Type::INT4_ARRAY, "{1,x}"),
            (Type::DATE_ARRAY, "{2026-13-01}"),
        ] {
            let err = bound(&ty, text.as_bytes(), false).unwrap_err();
            assert_eq!(err.sqlstate(), "22P02", "{err}");
            assert!(err.to_string().contains("$1"), "{err}");
        }
        let err = bound(&Type::INT4_ARRAY, b"{{1},{2}}", false).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
        let err = bound(&Type::INTERVAL_ARRAY, b"{}", false).unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
    }

    #[test]
    fn binary_arrays_decode_postgres_layout() {
        let ints = binary_array(23, &[Some(&7i32.to_be_bytes()), None]);
        assert_eq!(
            bound(&Type::INT4_ARRAY, &ints, true).unwrap(),
            "(CAST(ARRAY['7', NULL] AS INT[]))"
        );
        let texts = binary_array(25, &[Some(b"a,b"), Some(b"")]);
        assert_eq!(
            bound(&Type::TEXT_ARRAY, &texts, true).unwrap(),
            "(CAST(ARRAY['a,b', ''] AS TEXT[]))"
        );
        let dates = binary_array(1082, &[Some(&366i32.to_be_bytes())]);
        assert_eq!(
            bound(&Type::DATE_ARRAY, &dates, true).unwrap(),
            "(CAST(ARRAY['2001-01-01'] AS DATE[]))"
        );
        let micros = 86_400_000_000i64 + 1_500_000;
        let stamps = binary_array(1184, &[Some(&micros.to_be_bytes())]);
        assert_eq!(
            bound(&Type::TIMESTAMPTZ_ARRAY, &stamps, true).unwrap(),
            "(CAST(ARRAY['2000-01-02 00:00:01.500000+00:00'] AS TIMESTAMPTZ[]))"
        );
        let floats = binary_array(701, &[Some(&f64::INFINITY.to_be_bytes())]);
        assert!(bound(&Type::FLOAT8_ARRAY, &floats, true).is_ok());
        let empty = [0i32.to_be_bytes(), 0i32.to_be_bytes(), 23i32.to_be_bytes()].concat();
        assert_eq!(
            bound(&Type::INT4_ARRAY, &empty, true).unwrap(),
            "(CAST(ARRAY[] AS INT[]))"
        );
    }

    #[test]
    fn bad_binary_arrays_are_errors() {
        let wrong_element = binary_array(25, &[Some(b"a")]);
        assert_eq!(
            bound(&Type::INT4_ARRAY, &wrong_element, true)
                .unwrap_err()
                .sqlstate(),
            "22P02"
        );
        let mut truncated = binary_array(23, &[Some(&7i32.to_be_bytes())]);
        truncated.pop();
        assert_eq!(
            bound(&Type::INT4_ARRAY, &truncated, true)
                .unwrap_err()
                .sqlstate(),
            "22P02"
        );
    }

    #[test]
    fn binary_numerics_read_as_postgres_writes_them() {
        // 12345.678: weight 1, digits [1, 2345, 6780], dscale 3.
        let mut n = vec![];
        for w in [3u16, 1, 0, 3, 1, 2345, 6780] {
            n.extend(w.to_be_bytes());
        }
        assert_eq!(numeric_text(&n).unwrap(), "12345.678");
        // -0.05: weight -1, digits [500], dscale 2.
        let mut n = vec![];
        for w in [1u16, 0xFFFF, 0x4000, 2, 500] {
            n.extend(w.to_be_bytes());
        }
        assert_eq!(numeric_text(&n).unwrap(), "-0.05");
        // 0.00001200: weight -2 (a leading zero group), digits [1200], dscale 8.
        let mut n = vec![];
        for w in [1u16, 0xFFFE, 0, 8, 1200] {
            n.extend(w.to_be_bytes());
        }
        assert_eq!(numeric_text(&n).unwrap(), "0.00001200");
        // 0 with no digits.
        let zero = [0u8; 8];
        assert_eq!(numeric_text(&zero).unwrap(), "0");
    }
}
