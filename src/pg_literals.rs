//! PostgreSQL's literals where DataFusion reads them differently, rewritten
//! in the statement before planning.
//!
//! - A number with an exponent (`1e3`, `2.5E-2`) is `numeric` in PostgreSQL;
//!   with decimals read as `numeric` (`parse_float_as_decimal`) DataFusion
//!   fails on the exponent. It is written out (`0.025`; a whole number as
//!   a `numeric` of scale 0, `CAST(1000 AS DECIMAL(4,0))`).
//! - `'3.5'::numeric` (no precision) has the literal's own scale in
//!   PostgreSQL (`3.5`); DataFusion's unconstrained decimal has scale 10
//!   (`3.5000000000`). A cast of a quoted number to `numeric` without a
//!   precision becomes the number.
//! - Any other cast to `numeric` without a precision keeps the value's
//!   scale in PostgreSQL (`2.5::numeric` is `2.5`, `7::numeric` is `7`): it
//!   becomes conversql's `numeric(x)`, where DataFusion's gave scale 10
//!   (quoted text that is not a plain number, `'1e3'` or `'NaN'`, included:
//!   `numeric` reads it as PostgreSQL does, or names what it refuses).
//! - `CAST(x AS varchar(n))` keeps the first `n` characters in PostgreSQL;
//!   DataFusion ignores the length. It becomes `CAST(left(x, n) AS varchar)`.
//! - `TIMESTAMP '2026-06-01 00:00'` (no seconds) is midnight in PostgreSQL;
//!   Arrow's parser needs the seconds, which are added (`:00`).
//! - `INTERVAL '3 days 04:05:06'`: Arrow's interval parser has no
//!   `hh:mm[:ss]` clock part; it is spelled as hours, minutes and seconds.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, CharacterLength, DataType, ExactNumberInfo, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, Interval, ObjectName,
    Statement, TypedString, Value, ValueWithSpan, visit_expressions_mut,
};

/// Rewrites the literals of `statement` (see the module docs).
pub fn rewrite(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        rewrite_expr(expr);
        ControlFlow::<()>::Continue(())
    });
}

fn rewrite_expr(expr: &mut Expr) {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::Number(n, _),
            ..
        }) => {
            if let Some(plain) = without_exponent(n) {
                if plain.contains('.') {
                    *n = plain;
                } else {
                    // A whole number would read as an integer: it is a `numeric` of scale 0.
                    let precision = plain.len().min(38) as u64;
                    *expr = Expr::Cast {
                        kind: CastKind::Cast,
                        expr: Box::new(Expr::value(Value::Number(plain, false))),
                        data_type: DataType::Decimal(ExactNumberInfo::PrecisionAndScale(
                            precision, 0,
                        )),
                        array: false,
                        format: None,
                    };
                }
            }
        }
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr: inner,
            data_type:
                DataType::Numeric(ExactNumberInfo::None) | DataType::Decimal(ExactNumberInfo::None),
            ..
        } => {
            if let Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(s),
                span,
            }) = inner.as_ref()
                && let Some(number) = plain_number(s)
            {
                *expr = Expr::Value(ValueWithSpan {
                    value: Value::Number(number, false),
                    span: *span,
                });
            } else if !matches!(
                inner.as_ref(),
                Expr::Value(ValueWithSpan {
                    value: Value::Placeholder(_),
                    ..
                })
            ) {
                let value = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
                *expr = call("numeric", vec![value]);
            }
        }
        Expr::Cast {
            kind: CastKind::Cast | CastKind::DoubleColon,
            expr: inner,
            data_type:
                data_type @ (DataType::Varchar(Some(CharacterLength::IntegerLength { .. }))
                | DataType::CharacterVarying(Some(CharacterLength::IntegerLength { .. }))),
            ..
        } => {
            let (DataType::Varchar(Some(CharacterLength::IntegerLength { length, .. }))
            | DataType::CharacterVarying(Some(CharacterLength::IntegerLength {
                length, ..
            }))) = data_type.clone()
            else {
                return;
            };
            *data_type = DataType::Varchar(None);
            let value = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
            **inner = call(
                "left",
                vec![value, Expr::value(Value::Number(length.to_string(), false))],
            );
        }
        Expr::TypedString(TypedString {
            data_type: DataType::Timestamp(_, _),
            value:
                ValueWithSpan {
                    value: Value::SingleQuotedString(s),
                    ..
                },
            ..
        }) => {
            if let Some(full) = with_seconds(s) {
                *s = full;
            }
        }
        Expr::Interval(Interval {
            value,
            leading_field: None,
            last_field: None,
            ..
        }) => {
            if let Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(s),
                ..
            }) = value.as_mut()
                && let Some(spelled) = clock_spelled(s)
            {
                *s = spelled;
            }
        }
        _ => {}
    }
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `1e3` as `1000`, `2.5E-2` as `0.025`; `None` for a number without an exponent.
pub fn without_exponent(n: &str) -> Option<String> {
    let at = n.find(['e', 'E'])?;
    let (mantissa, exponent) = (&n[..at], &n[at + 1..]);
    let exponent: i64 = exponent.parse().ok()?;
    if exponent.abs() > 1000 {
        return None;
    }
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int_part
        .bytes()
        .chain(frac_part.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits = format!("{int_part}{frac_part}");
    // The decimal point sits after `point` digits of `digits`.
    let point = i64::try_from(int_part.len()).ok()? + exponent;
    let (whole, fraction) = if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).ok()?);
        ("0".to_string(), format!("{zeros}{digits}"))
    } else {
        let point = usize::try_from(point).ok()?;
        if point >= digits.len() {
            (
                format!("{digits}{}", "0".repeat(point - digits.len())),
                String::new(),
            )
        } else {
            (digits[..point].to_string(), digits[point..].to_string())
        }
    };
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    Some(if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    })
}

/// A quoted number as a number literal (`' 3.5 '` as `3.5`, `'-2'` as `-2`).
fn plain_number(s: &str) -> Option<String> {
    let s = s.trim();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    let valid = !(int_part.is_empty() && frac_part.is_empty())
        && int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit());
    // Signs are left to the cast (a number literal has none).
    (valid && body.len() == s.len()).then(|| s.to_string())
}

/// `2026-06-01 00:00` (and `…T00:00`, with a zone after) with `:00` seconds added.
fn with_seconds(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let time_at = s.find([' ', 'T']).filter(|at| *at == 10)? + 1;
    let rest = &bytes[time_at..];
    let hour_digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(1..=2).contains(&hour_digits) || rest.get(hour_digits) != Some(&b':') {
        return None;
    }
    let minutes = &rest[hour_digits + 1..];
    if minutes.len() < 2 || !minutes[..2].iter().all(u8::is_ascii_digit) {
        return None;
    }
    if minutes.get(2) == Some(&b':') {
        return None;
    }
    let end = time_at + hour_digits + 3;
    Some(format!("{}:00{}", &s[..end], &s[end..]))
}

/// An interval's `[-]hh:mm[:ss[.ffffff]]` part spelled as hours, minutes and seconds.
fn clock_spelled(s: &str) -> Option<String> {
    let mut changed = false;
    let words: Vec<String> = s
        .split_whitespace()
        .map(|word| {
            let (sign, body) = match word.strip_prefix('-') {
                Some(body) => ("-", body),
                None => ("", word.strip_prefix('+').unwrap_or(word)),
            };
            let parts: Vec<&str> = body.split(':').collect();
            let numeric =
                |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'.');
            if (2..=3).contains(&parts.len()) && parts.iter().all(numeric) {
                changed = true;
                let mut spelled = format!("{sign}{} hours {sign}{} minutes", parts[0], parts[1]);
                if let Some(seconds) = parts.get(2) {
                    spelled.push_str(&format!(" {sign}{seconds} seconds"));
                }
                spelled
            } else {
                word.to_string()
            }
        })
        .collect();
    changed.then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        super::rewrite(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn literals_are_spelled_as_datafusion_reads_postgresql_s() {
        assert_eq!(
            rewritten("SELECT 1e3, 2.5E-2, 1.5e1, 12e-1"),
            "SELECT CAST(1000 AS DECIMAL(4,0)), 0.025, CAST(15 AS DECIMAL(2,0)), 1.2"
        );
        assert_eq!(
            rewritten(
                "SELECT '3.5'::numeric, CAST('x' AS numeric), '2'::numeric(5, 2), $1::numeric"
            ),
            "SELECT 3.5, numeric('x'), '2'::NUMERIC(5,2), $1::NUMERIC"
        );
        assert_eq!(
            rewritten("SELECT 'abc'::varchar(2)"),
            "SELECT left('abc', 2)::VARCHAR"
        );
        assert_eq!(
            rewritten(
                "SELECT TIMESTAMP '2026-06-01 00:00', TIMESTAMPTZ '2026-06-01 00:00+00', TIMESTAMP '2026-06-01 00:00:05'"
            ),
            "SELECT TIMESTAMP '2026-06-01 00:00:00', TIMESTAMPTZ '2026-06-01 00:00:00+00', TIMESTAMP '2026-06-01 00:00:05'"
        );
        assert_eq!(
            rewritten("SELECT INTERVAL '3 days 04:05:06', INTERVAL '-01:30'"),
            "SELECT INTERVAL '3 days 04 hours 05 minutes 06 seconds', INTERVAL '-01 hours -30 minutes'"
        );
    }
}
