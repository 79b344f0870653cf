//! PostgreSQL's text forms of values and its quoting of literals and
//! identifiers, shared by `quote_literal`, `quote_nullable` and `format`.
//!
//! - [`quote_literal`] is `quote_literal_cstr` (src/backend/utils/adt/quote.c):
//!   every `'` and `\` doubled, and the whole prefixed with `E` when the text
//!   has a backslash (`E'a\\b'`), so the literal reads back the same whatever
//!   `standard_conforming_strings` is.
//! - [`quote_ident`] is `quote_identifier` (src/backend/utils/adt/ruleutils.c):
//!   an identifier is left bare only when it is lower-case ASCII letters,
//!   digits and underscores starting with a letter or underscore, and is not
//!   a key word of any category but `UNRESERVED_KEYWORD`
//!   (src/include/parser/kwlist.h of PostgreSQL 16: reserved, column-name
//!   and type-or-function-name key words, [`NON_UNRESERVED_KEYWORDS`]).
//! - [`text_form`] is the type's output function (what `format` prints and
//!   `x::text` gives): integers in decimal; `float8`/`float4` in
//!   `float8out`/`float4out`'s shortest round-trip digits
//!   (src/common/d2s.c, f2s.c), fixed-point when the decimal exponent is in
//!   `-4 ..< 15` (`-4 ..< 6` for `float4`) and `1e+20`-style otherwise,
//!   `NaN`, `Infinity`, `-Infinity`, `-0`; dates in ISO form with ` BC` for
//!   years before 1; booleans `t`/`f` from `boolout` but `true`/`false` from
//!   the cast to text (`booltext`), which is what `quote_literal(anyelement)`
//!   (`quote_literal($1::text)`) uses.
//!
//! Other types are refused (SQLSTATE 0A000) rather than shown differently:
//! `numeric`, because an Arrow decimal's scale is not the value's PostgreSQL
//! display scale (conversql carries that beside the plan's output, see
//! `numeric_div`), timestamps, whose text depends on the session's time zone
//! and `DateStyle`, intervals, arrays and the rest.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use chrono::{Datelike, NaiveDate};

use crate::sql_error::SqlError;

/// PostgreSQL 16's key words that `quote_ident` quotes: every category but
/// `UNRESERVED_KEYWORD` (src/include/parser/kwlist.h), sorted.
pub(crate) const NON_UNRESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json_array",
    "json_arrayagg",
    "json_object",
    "json_objectagg",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// PostgreSQL's `quote_literal_cstr`: `text` as a string literal.
pub(crate) fn quote_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    if text.contains('\\') {
        out.push('E');
    }
    out.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// PostgreSQL's `quote_identifier`: `name` bare if it can be, else in double quotes.
pub fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && NON_UNRESERVED_KEYWORDS.binary_search(&name).is_err() {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// How a boolean is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bools {
    /// `boolout`: `t`, `f` (what `format` prints).
    Output,
    /// The cast to text: `true`, `false` (what `quote_literal(anyelement)` quotes).
    Cast,
}

/// The type an argument is read as: a dictionary's values, a NULL as text.
/// Other types are kept: one [`text_form`] cannot show fails when the
/// function runs (0A000), as a [`SqlError`], because a planning error loses
/// its SQLSTATE in DataFusion's "no function matches" message.
pub(crate) fn coerce_value(data_type: &DataType) -> DataType {
    let value = match data_type {
        DataType::Dictionary(_, value) => value.as_ref(),
        other => other,
    };
    if value.is_null() {
        DataType::Utf8
    } else {
        value.clone()
    }
}

/// PostgreSQL's shortest round-trip text of a float whose shortest digits and
/// exponent Rust's `{:e}` gives (`1.5e-5`), fixed-point when the decimal
/// exponent is at least -4 and below `max_fixed_exponent`.
fn float_text(scientific: &str, max_fixed_exponent: i32) -> String {
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::from(sign);
    if (-4..max_fixed_exponent).contains(&exponent) {
        if exponent >= 0 {
            let integer = exponent as usize + 1;
            if digits.len() <= integer {
                out.push_str(&digits);
                out.push_str(&"0".repeat(integer - digits.len()));
            } else {
                out.push_str(&digits[..integer]);
                out.push('.');
                out.push_str(&digits[integer..]);
            }
        } else {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exponent < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exponent.unsigned_abs()));
    }
    out
}

/// `float8out`: a double as PostgreSQL shows it.
pub(crate) fn float8_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        float_text(&format!("{v:e}"), 15)
    }
}

/// `float4out`: a real as PostgreSQL shows it.
pub(crate) fn float4_text(v: f32) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        float_text(&format!("{v:e}"), 6)
    }
}

/// `date_out` with `DateStyle` ISO: `2024-02-29`, `0044-03-15 BC`.
pub(crate) fn date_text(days_since_epoch: i32) -> Result<String, SqlError> {
    let date = NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days_since_epoch.into())))
        .ok_or_else(|| SqlError::new("22008", "date out of range"))?;
    let year = date.year();
    Ok(if year <= 0 {
        format!("{:04}-{:02}-{:02} BC", 1 - year, date.month(), date.day())
    } else {
        format!("{:04}-{:02}-{:02}", year, date.month(), date.day())
    })
}

/// The PostgreSQL text of row `row` of `array`, `None` for NULL; 0A000 for
/// a type whose text conversql cannot give as PostgreSQL does.
pub(crate) fn text_form(
    function: &str,
    array: &ArrayRef,
    row: usize,
    bools: Bools,
) -> Result<Option<String>, SqlError> {
    if array.is_null(row) {
        return Ok(None);
    }
    Ok(Some(match array.data_type() {
        DataType::Null => return Ok(None),
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => array.as_string_view().value(row).to_string(),
        DataType::Boolean => {
            let v = array.as_boolean().value(row);
            match (bools, v) {
                (Bools::Output, true) => "t",
                (Bools::Output, false) => "f",
                (Bools::Cast, true) => "true",
                (Bools::Cast, false) => "false",
            }
            .to_string()
        }
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        DataType::Float32 => float4_text(array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => float8_text(array.as_primitive::<Float64Type>().value(row)),
        DataType::Date32 => date_text(array.as_primitive::<Date32Type>().value(row))?,
        other => {
            return Err(SqlError::unsupported(format!(
                "{function}() of a {other} value is not supported: conversql cannot show that \
                 type as PostgreSQL's text; cast it to text first"
            )));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_for_the_binary_search() {
        assert!(NON_UNRESERVED_KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn literals_and_identifiers_are_quoted_as_postgresql_does() {
        // All checked on PostgreSQL.
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("x\\y'z"), "E'x\\\\y''z'");
        assert_eq!(quote_literal(""), "''");
        assert_eq!(quote_ident("Foo"), "\"Foo\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("between"), "\"between\"");
        assert_eq!(quote_ident("left"), "\"left\"");
        assert_eq!(quote_ident("rows"), "rows");
        assert_eq!(quote_ident("date"), "date");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident("é"), "\"é\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_ident("_x1"), "_x1");
    }

    #[test]
    fn floats_read_as_postgresql_shows_them() {
        // All checked on PostgreSQL.
        assert_eq!(float8_text(1e20), "1e+20");
        assert_eq!(float8_text(1e15), "1e+15");
        assert_eq!(float8_text(1e14), "100000000000000");
        assert_eq!(float8_text(0.0001), "0.0001");
        assert_eq!(float8_text(0.00001), "1e-05");
        assert_eq!(
            float8_text(123_456_789_012_345_678.0),
            "1.2345678901234568e+17"
        );
        assert_eq!(float8_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float8_text(-0.0), "-0");
        assert_eq!(float8_text(1.5), "1.5");
        assert_eq!(float8_text(f64::NAN), "NaN");
        assert_eq!(float8_text(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(float4_text(1e6), "1e+06");
        assert_eq!(float4_text(1e5), "100000");
        assert_eq!(float4_text(0.1), "0.1");
        assert_eq!(float4_text(123_456.7), "123456.7");
        assert_eq!(float4_text(1_234_567.8), "1.2345678e+06");
        assert_eq!(float4_text(1.5e-5), "1.5e-05");
    }

    #[test]
    fn dates_are_iso_with_bc() {
        assert_eq!(date_text(0).unwrap(), "1970-01-01");
        // 2024-02-29
        assert_eq!(date_text(19_782).unwrap(), "2024-02-29");
        // 0044-03-15 BC is year -43.
        let bc = NaiveDate::from_ymd_opt(-43, 3, 15).unwrap();
        let days = (bc - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
        assert_eq!(date_text(days).unwrap(), "0044-03-15 BC");
    }
}
