//! `format(formatstr, args...)`: PostgreSQL's `format` (`text_format` in
//! src/backend/utils/adt/varlena.c), a `sprintf` of SQL text. Its quirks,
//! each as PostgreSQL has them:
//!
//! - Specifiers are `%[argpos$][-...][width]type` with `type` one of `s`
//!   (the value's text, NULL as the empty string), `I` (`quote_ident`; NULL is
//!   an error, 22004) and `L` (`quote_literal`, NULL as `NULL`); `%%` is `%`.
//!   A width may be `*` (the next argument) or `*n$` (argument `n`); a NULL
//!   width is 0, a negative one left-justifies. Widths and padding count
//!   characters, not bytes.
//! - An explicit position moves the "next argument" on from there
//!   (`format('%2$s %s', 'a', 'b', 'c')` is `b c`), and a `*` width consumes an
//!   argument before the value does.
//! - The value's text is its type's *output function* (`boolout`'s `t`/`f`,
//!   not the cast's `true`/`false` that `quote_literal(true)` uses); see
//!   [`crate::pg_text`] for the types conversql can show exactly and the
//!   refusal (0A000) of the others (`numeric`, timestamps, …).
//! - Errors are PostgreSQL's, SQLSTATE 22023 (`too few arguments for
//!   format()`, `unrecognized format() type specifier "x"`, `unterminated
//!   format() type specifier`, `format specifies argument 0, but arguments
//!   are numbered from 1`, `width argument position must be ended by "$"`),
//!   22003 for a position or width out of range. The format is read left to
//!   right and fails at the first bad specifier, as PostgreSQL's does.
//! - A NULL format gives NULL; the arguments may be NULL.
//!
//! `format(fmt, VARIADIC array)` has no DataFusion syntax and is not offered.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::pg_text::{Bools, coerce_value, quote_ident, quote_literal, text_form};
use crate::sql_error::SqlError;

/// `format(formatstr, args...)`: PostgreSQL's `format`.
#[user_doc(
    doc_section(label = "String Functions"),
    description = "`formatstr` with each specifier replaced by an argument, as PostgreSQL's \
`format`: `%s` the argument's text (NULL as empty), `%I` quoted as an identifier, `%L` quoted as \
a literal (NULL as `NULL`), `%%` a percent sign; `%n$s` takes argument `n`, `%5s` pads to 5 \
characters on the left, `%-5s` on the right, `%*s` and `%*n$s` take the width from an argument. \
Returns NULL if `formatstr` is NULL. A bad specifier or a missing argument fails with SQLSTATE \
22023; a NULL `%I` with 22004; an argument type conversql cannot show as PostgreSQL does \
(numeric, timestamps) with 0A000.",
    syntax_example = "format(formatstr, args...)",
    sql_example = r#"```sql
> SELECT format('Hello %s, %L', 'World', 'it''s') AS a, format('%I.%I', 'public', 'Order') AS b, format('|%-4s|%3s|', 7, true) AS c;
+----------------------+----------------+------------+
| a                    | b              | c          |
+----------------------+----------------+------------+
| Hello World, 'it''s' | public."Order" | |7   |  t| |
+----------------------+----------------+------------+
```"#,
    argument(name = "formatstr", description = "The format string."),
    argument(
        name = "args",
        description = "The values the specifiers take, of any type conversql can show as text."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgFormatFunc {
    signature: Signature,
}

impl Default for PgFormatFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgFormatFunc {
    /// Creates the `format` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// An error of `format`'s parameters (SQLSTATE 22023).
fn invalid(message: &str) -> SqlError {
    SqlError::new("22023", message)
}

/// `unterminated format() type specifier`.
fn unterminated() -> SqlError {
    invalid("unterminated format() type specifier")
}

/// `too few arguments for format()`.
fn too_few() -> SqlError {
    invalid("too few arguments for format()")
}

/// The argument a width is taken from.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
enum WidthArgument {
    /// No `*`: the width is written (or absent).
    #[default]
    None,
    /// `*`: the next argument.
    Next,
    /// `*n$`: argument `n`.
    Position(usize),
}

/// One parsed specifier, before its type character.
#[derive(Debug, Default, PartialEq, Eq)]
struct Spec {
    /// `n` of `%n$`, if given.
    argpos: Option<usize>,
    /// Where a `*` width comes from.
    widthpos: WidthArgument,
    /// Whether `-` was given.
    minus: bool,
    /// A width written as digits (0 if none).
    width: i32,
}

/// The format string being read, PostgreSQL's `cp`/`end_ptr` over characters.
struct Cursor<'a> {
    chars: &'a [char],
    at: usize,
}

impl Cursor<'_> {
    fn current(&self) -> char {
        self.chars[self.at]
    }

    /// `ADVANCE_PARSE_POINTER`: the next character, which must exist.
    fn advance(&mut self) -> Result<(), SqlError> {
        self.at += 1;
        if self.at >= self.chars.len() {
            return Err(unterminated());
        }
        Ok(())
    }

    /// `text_format_parse_digits`: a run of digits as an `int`, if any.
    fn digits(&mut self) -> Result<Option<i32>, SqlError> {
        let mut value: Option<i32> = None;
        while let Some(digit) = self.current().to_digit(10) {
            let v = value
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|v| v.checked_add(digit as i32))
                .ok_or_else(|| SqlError::new("22003", "number is out of range"))?;
            value = Some(v);
            self.advance()?;
        }
        Ok(value)
    }

    /// `text_format_parse_format`: `[argpos$][-...][width|*[n$]]`, leaving
    /// the cursor on the type character.
    fn spec(&mut self) -> Result<Spec, SqlError> {
        let argument_zero =
            || invalid("format specifies argument 0, but arguments are numbered from 1");
        let mut spec = Spec::default();
        if let Some(n) = self.digits()? {
            if self.current() != '$' {
                spec.width = n;
                return Ok(spec);
            }
            if n == 0 {
                return Err(argument_zero());
            }
            spec.argpos = Some(n as usize);
            self.advance()?;
        }
        while self.current() == '-' {
            spec.minus = true;
            self.advance()?;
        }
        if self.current() == '*' {
            self.advance()?;
            if let Some(n) = self.digits()? {
                if self.current() != '$' {
                    return Err(invalid("width argument position must be ended by \"$\""));
                }
                if n == 0 {
                    return Err(argument_zero());
                }
                spec.widthpos = WidthArgument::Position(n as usize);
                self.advance()?;
            } else {
                spec.widthpos = WidthArgument::Next;
            }
        } else if let Some(n) = self.digits()? {
            spec.width = n;
        }
        Ok(spec)
    }
}

/// The PostgreSQL message of an integer that does not fit `integer`.
fn out_of_integer_range(text: &str) -> SqlError {
    SqlError::new(
        "22003",
        format!("value \"{text}\" is out of range for type integer"),
    )
}

/// A width argument as PostgreSQL reads it: NULL as 0, an integer as is,
/// other types through their text and `pg_strtoint32`.
fn width_of(array: &ArrayRef, row: usize) -> Result<i32, SqlError> {
    if array.is_null(row) {
        return Ok(0);
    }
    let wide: i128 = match array.data_type() {
        DataType::Null => return Ok(0),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = text_form("format", array, row, Bools::Output)?.unwrap_or_default();
            let trimmed = text.trim_matches(|c: char| " \t\n\r\x0b\x0c".contains(c));
            let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(SqlError::unsupported(format!(
                    "format() reads a width given as text only as decimal digits, got \"{text}\""
                )));
            }
            trimmed
                .parse::<i128>()
                .map_err(|_| out_of_integer_range(&text))?
        }
        other => {
            return Err(SqlError::unsupported(format!(
                "format() of a width of type {other} is not supported; give an integer"
            )));
        }
    };
    i32::try_from(wide).map_err(|_| out_of_integer_range(&wide.to_string()))
}

/// `text_format_append_string`: `text` padded to `width` characters.
fn append_padded(out: &mut String, text: &str, minus: bool, width: i32) -> Result<(), SqlError> {
    if width == 0 {
        out.push_str(text);
        return Ok(());
    }
    let left = minus || width < 0;
    if width == i32::MIN {
        return Err(SqlError::new("22003", "number is out of range"));
    }
    let width = width.unsigned_abs() as usize;
    let padding = " ".repeat(width.saturating_sub(text.chars().count()));
    if left {
        out.push_str(text);
        out.push_str(&padding);
    } else {
        out.push_str(&padding);
        out.push_str(text);
    }
    Ok(())
}

/// `text_format` of one row: `args[0]` is the format string's array, the
/// others the arguments (`args[i]` is argument `i`, as PostgreSQL numbers them).
fn format_row(format: &str, args: &[ArrayRef], row: usize) -> Result<String, SqlError> {
    let chars: Vec<char> = format.chars().collect();
    let nargs = args.len();
    let mut out = String::with_capacity(format.len());
    let mut cursor = Cursor {
        chars: &chars,
        at: 0,
    };
    // The next argument to print.
    let mut arg = 1usize;
    while cursor.at < chars.len() {
        if cursor.current() != '%' {
            out.push(cursor.current());
            cursor.at += 1;
            continue;
        }
        cursor.advance()?;
        if cursor.current() == '%' {
            out.push('%');
            cursor.at += 1;
            continue;
        }
        let spec = cursor.spec()?;
        let conversion = cursor.current();
        if !"sIL".contains(conversion) {
            return Err(invalid(&format!(
                "unrecognized format() type specifier \"{conversion}\""
            )));
        }
        let mut width = spec.width;
        if spec.widthpos != WidthArgument::None {
            if let WidthArgument::Position(n) = spec.widthpos {
                arg = n;
            }
            if arg >= nargs {
                return Err(too_few());
            }
            width = width_of(&args[arg], row)?;
            arg += 1;
        }
        if let Some(n) = spec.argpos {
            arg = n;
        }
        if arg >= nargs {
            return Err(too_few());
        }
        let value = text_form("format", &args[arg], row, Bools::Output)?;
        arg += 1;
        let text = match (conversion, value) {
            ('L', None) => "NULL".to_string(),
            ('I', None) => {
                return Err(SqlError::new(
                    "22004",
                    "null values cannot be formatted as an SQL identifier",
                ));
            }
            ('I', Some(v)) => quote_ident(&v),
            ('L', Some(v)) => quote_literal(&v),
            (_, Some(v)) => v,
            // `%s` of NULL.
            (_, None) => String::new(),
        };
        append_padded(&mut out, &text, spec.minus, width)?;
        cursor.at += 1;
    }
    Ok(out)
}

impl ScalarUDFImpl for PgFormatFunc {
    fn name(&self) -> &'static str {
        "format"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let Some((format, values)) = arg_types.split_first() else {
            return plan_err!("format takes a format string and arguments, got no arguments");
        };
        let format = match coerce_value(format) {
            t @ (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => t,
            other => return plan_err!("format: the format string must be text, got {other}"),
        };
        let mut types = vec![format];
        for t in values {
            types.push(coerce_value(t));
        }
        Ok(types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let Some(first) = arrays.first() else {
            return plan_err!("format takes a format string");
        };
        let formats = cast(first, &DataType::Utf8)?;
        let formats = formats.as_string::<i32>();
        let mut out = StringBuilder::with_capacity(formats.len(), formats.len() * 16);
        for row in 0..formats.len() {
            if formats.is_null(row) {
                out.append_null();
            } else {
                out.append_value(format_row(formats.value(row), &arrays, row)?);
            }
        }
        to_columnar(Arc::new(out.finish()), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, to_scalar};
    use datafusion::common::ScalarValue;

    fn text(s: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(s.to_string()))
    }

    fn format_of(format: &str, values: Vec<ScalarValue>) -> Result<ScalarValue> {
        let mut args = vec![ColumnarValue::Scalar(text(format))];
        args.extend(values.into_iter().map(ColumnarValue::Scalar));
        invoke(&PgFormatFunc::new(), args).map(to_scalar)
    }

    fn ok(format: &str, values: Vec<ScalarValue>) -> String {
        match format_of(format, values).unwrap() {
            ScalarValue::Utf8(Some(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    /// The SQLSTATE and message of a failing call.
    fn err(format: &str, values: Vec<ScalarValue>) -> (&'static str, String) {
        match format_of(format, values).unwrap_err() {
            datafusion::error::DataFusionError::External(e) => {
                let e = e.downcast_ref::<SqlError>().unwrap();
                (e.sqlstate, e.message.clone())
            }
            other => panic!("{other}"),
        }
    }

    fn s(v: &str) -> ScalarValue {
        text(v)
    }

    fn i(v: i32) -> ScalarValue {
        ScalarValue::Int32(Some(v))
    }

    #[test]
    fn specifiers_as_postgresql_reads_them() {
        // Each checked on PostgreSQL 15.
        assert_eq!(
            ok(
                "|%5s|%-5s|%*s|%*3$s|%-*s|",
                vec![s("ab"), s("cd"), i(4), s("x"), i(3), s("y")]
            ),
            "|   ab|cd   |   x|   x|y  |"
        );
        assert_eq!(ok("%2$s %1$s %s", vec![s("a"), s("b")]), "b a b");
        assert_eq!(ok("%3$s %s", vec![s("a"), s("b"), s("c"), s("d")]), "c d");
        assert_eq!(ok("%s%%", vec![i(5)]), "5%");
        assert_eq!(ok("%*s", vec![i(-5), s("ab")]), "ab   ");
        assert_eq!(ok("%-*s|", vec![i(-5), s("ab")]), "ab   |");
        assert_eq!(ok("no args", vec![]), "no args");
        assert_eq!(ok("%s", vec![ScalarValue::Utf8(None)]), "");
        assert_eq!(ok("%L", vec![ScalarValue::Utf8(None)]), "NULL");
        assert_eq!(ok("[%5L]", vec![ScalarValue::Utf8(None)]), "[ NULL]");
        assert_eq!(ok("%*s", vec![s("3"), s("a")]), "  a");
        assert_eq!(ok("%*s", vec![ScalarValue::Int64(Some(3)), s("a")]), "  a");
        assert_eq!(ok("%*s", vec![ScalarValue::Int32(None), s("a")]), "a");
        assert_eq!(ok("%3s|", vec![s("üé")]), " üé|");
        assert_eq!(ok("%-s|", vec![s("a")]), "a|");
        assert_eq!(ok("%--3s|", vec![s("a")]), "a  |");
        assert_eq!(ok("%1$-3s|%1$s", vec![s("a")]), "a  |a");
    }

    #[test]
    fn values_are_their_output_functions_text() {
        // Each checked on PostgreSQL 15: booleans are boolout's t/f here.
        assert_eq!(
            ok(
                "%s|%s|%L",
                vec![
                    ScalarValue::Boolean(Some(true)),
                    ScalarValue::Boolean(Some(false)),
                    ScalarValue::Boolean(Some(true))
                ]
            ),
            "t|f|'t'"
        );
        assert_eq!(ok("%s", vec![ScalarValue::Float64(Some(1e20))]), "1e+20");
        assert_eq!(ok("%L", vec![ScalarValue::Float64(Some(3.5))]), "'3.5'");
        assert_eq!(ok("%s", vec![ScalarValue::Int16(Some(12))]), "12");
        assert_eq!(
            ok("%s", vec![ScalarValue::Date32(Some(19_727))]),
            "2024-01-05"
        );
        assert_eq!(ok("%L", vec![s("a\\b")]), "E'a\\\\b'");
        assert_eq!(ok("%L", vec![s("O'Reilly")]), "'O''Reilly'");
        assert_eq!(
            ok(
                "%I %I %I %I %I %I",
                vec![
                    s("Foo"),
                    s("select"),
                    s("between"),
                    s("rows"),
                    s("a\"b"),
                    s("date")
                ]
            ),
            "\"Foo\" \"select\" \"between\" rows \"a\"\"b\" date"
        );
    }

    #[test]
    fn a_null_format_is_null() {
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Utf8(None)),
            ColumnarValue::Scalar(i(1)),
        ];
        assert_eq!(
            to_scalar(invoke(&PgFormatFunc::new(), args).unwrap()),
            ScalarValue::Utf8(None)
        );
    }

    #[test]
    fn errors_are_postgresqls() {
        // Each checked on PostgreSQL 15.
        assert_eq!(
            err("%I", vec![ScalarValue::Utf8(None)]),
            (
                "22004",
                "null values cannot be formatted as an SQL identifier".to_string()
            )
        );
        assert_eq!(
            err("%s %s", vec![i(1)]),
            ("22023", "too few arguments for format()".to_string())
        );
        assert_eq!(
            err("%x", vec![i(1)]),
            (
                "22023",
                "unrecognized format() type specifier \"x\"".to_string()
            )
        );
        assert_eq!(
            err("%é", vec![i(1)]),
            (
                "22023",
                "unrecognized format() type specifier \"é\"".to_string()
            )
        );
        assert_eq!(
            err("abc %", vec![]),
            ("22023", "unterminated format() type specifier".to_string())
        );
        assert_eq!(
            err("%1$", vec![i(1)]),
            ("22023", "unterminated format() type specifier".to_string())
        );
        assert_eq!(
            err("%0$s", vec![i(1)]),
            (
                "22023",
                "format specifies argument 0, but arguments are numbered from 1".to_string()
            )
        );
        assert_eq!(
            err("%*5s", vec![i(1), s("a")]),
            (
                "22023",
                "width argument position must be ended by \"$\"".to_string()
            )
        );
        // The first bad specifier fails, before a later one is read.
        assert_eq!(err("%s %x", vec![]).1, "too few arguments for format()");
        assert_eq!(
            err("%99999999999s", vec![s("a")]),
            ("22003", "number is out of range".to_string())
        );
        assert_eq!(
            err("%*s", vec![ScalarValue::Int64(Some(5_000_000_000)), s("a")]),
            (
                "22003",
                "value \"5000000000\" is out of range for type integer".to_string()
            )
        );
        assert_eq!(err("%*s", vec![s("0x10"), s("a")]).0, "0A000");
    }

    #[test]
    fn types_without_postgresqls_text_are_refused() {
        let (sqlstate, message) = err("%s", vec![ScalarValue::Decimal128(Some(535), 3, 2)]);
        assert_eq!(sqlstate, "0A000");
        assert!(
            message.contains("format() of a Decimal128(3, 2)"),
            "{message}"
        );
        assert_eq!(
            PgFormatFunc::new()
                .coerce_types(&[DataType::Null, DataType::Null])
                .unwrap(),
            vec![DataType::Utf8, DataType::Utf8]
        );
    }
}
