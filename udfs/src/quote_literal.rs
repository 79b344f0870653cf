//! `quote_literal(x)`: PostgreSQL's `quote_literal`, `x` as an SQL string
//! literal. The text form is `quote_literal(text)` (src/backend/utils/adt/quote.c,
//! `quote_literal_cstr`): each `'` and `\` doubled, an `E` before the quote
//! when there is a backslash (`E'a\\b'`). Any other type is PostgreSQL's
//! `quote_literal(anyelement)`, the SQL function `quote_literal($1::text)`
//! (src/include/catalog/pg_proc.dat): the value cast to text first, so a
//! boolean is `'true'` (the cast's `booltext`), not `boolout`'s `t` as in
//! `format('%L', …)`. Strict: NULL gives NULL (`quote_nullable` gives the
//! text `NULL`). Types whose text conversql cannot give as PostgreSQL does
//! are refused with 0A000 ([`crate::pg_text`]).

use std::sync::Arc;

use arrow::array::{Array, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::pg_text::{Bools, coerce_value, quote_literal, text_form};

/// `quote_literal(x)`: `x` as an SQL string literal.
#[user_doc(
    doc_section(label = "String Functions"),
    description = "`x` as a string literal, as PostgreSQL's `quote_literal`: quotes doubled, \
backslashes doubled and an `E` prefix when there is one. A number, boolean or date is cast to \
text first (`quote_literal(true)` is `'true'`). Returns NULL if `x` is NULL; see \
`quote_nullable`. Types conversql cannot show as PostgreSQL does (numeric, timestamps) fail \
with SQLSTATE 0A000.",
    syntax_example = "quote_literal(x)",
    sql_example = r"```sql
> SELECT quote_literal('O''Reilly') AS a, quote_literal('a\b') AS b, quote_literal(42) AS c;
+-------------+---------+------+
| a           | b       | c    |
+-------------+---------+------+
| 'O''Reilly' | E'a\\b' | '42' |
+-------------+---------+------+
```",
    argument(name = "x", description = "The text or value to quote.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct QuoteLiteralFunc {
    signature: Signature,
}

impl Default for QuoteLiteralFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl QuoteLiteralFunc {
    /// Creates the `quote_literal` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Quotes every row of `array` (already coerced by [`coerce_value`]), a NULL
/// as `null` (`None` keeps it NULL).
pub(crate) fn quote_rows(
    function: &str,
    array: &arrow::array::ArrayRef,
    null: Option<&str>,
) -> Result<StringBuilder> {
    let mut out = StringBuilder::with_capacity(array.len(), array.len() * 8);
    for row in 0..array.len() {
        match text_form(function, array, row, Bools::Cast)? {
            Some(text) => out.append_value(quote_literal(&text)),
            None => out.append_option(null),
        }
    }
    Ok(out)
}

impl ScalarUDFImpl for QuoteLiteralFunc {
    fn name(&self) -> &'static str {
        "quote_literal"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [t] = arg_types else {
            return plan_err!("quote_literal takes one argument, got {}", arg_types.len());
        };
        Ok(vec![coerce_value(t)])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let mut out = quote_rows(self.name(), &arrays[0], None)?;
        to_columnar(Arc::new(out.finish()), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, to_scalar, utf8};
    use datafusion::common::ScalarValue;

    fn quote(value: ScalarValue) -> ScalarValue {
        to_scalar(invoke(&QuoteLiteralFunc::new(), vec![ColumnarValue::Scalar(value)]).unwrap())
    }

    fn text(s: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(s.to_string()))
    }

    #[test]
    fn values_are_quoted_as_postgresql_quotes_them() {
        // Each checked on PostgreSQL 15.
        let f = QuoteLiteralFunc::new();
        let q = |s: &str| to_scalar(invoke(&f, vec![utf8(Some(s))]).unwrap());
        assert_eq!(q("a\\b"), text("E'a\\\\b'"));
        assert_eq!(q("it's"), text("'it''s'"));
        assert_eq!(q("\\"), text("E'\\\\'"));
        assert_eq!(q(""), text("''"));
        assert_eq!(quote(ScalarValue::Int32(Some(42))), text("'42'"));
        assert_eq!(quote(ScalarValue::Int16(Some(5))), text("'5'"));
        assert_eq!(quote(ScalarValue::Boolean(Some(true))), text("'true'"));
        assert_eq!(quote(ScalarValue::Float64(Some(1e20))), text("'1e+20'"));
        assert_eq!(quote(ScalarValue::Float64(Some(1.5))), text("'1.5'"));
        assert_eq!(
            quote(ScalarValue::Date32(Some(19_782))),
            text("'2024-02-29'")
        );
    }

    #[test]
    fn null_gives_null() {
        assert_eq!(quote(ScalarValue::Utf8(None)), ScalarValue::Utf8(None));
        assert_eq!(quote(ScalarValue::Int64(None)), ScalarValue::Utf8(None));
    }

    #[test]
    fn types_without_postgresqls_text_are_refused() {
        let err = invoke(
            &QuoteLiteralFunc::new(),
            vec![ColumnarValue::Scalar(ScalarValue::Decimal128(
                Some(535),
                3,
                2,
            ))],
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("quote_literal() of a Decimal128(3, 2)"),
            "{message}"
        );
        let datafusion::error::DataFusionError::External(inner) = err else {
            panic!("an SqlError")
        };
        let sql_error = inner.downcast_ref::<crate::SqlError>().unwrap();
        assert_eq!(sql_error.sqlstate, "0A000");
    }
}
