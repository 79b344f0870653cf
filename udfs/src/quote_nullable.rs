//! `quote_nullable(x)`: PostgreSQL's `quote_nullable`, the same literal as
//! `quote_literal` (src/backend/utils/adt/quote.c) but the text `NULL` for
//! NULL rather than NULL. As with `quote_literal`, a value that is not text
//! is PostgreSQL's `quote_nullable(anyelement)`, the SQL function
//! `quote_nullable($1::text)` (src/include/catalog/pg_proc.dat): cast to text
//! first, so a boolean is `'true'`. Types whose text conversql cannot give
//! as PostgreSQL does are refused with 0A000 ([`crate::pg_text`]).

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::pg_text::coerce_value;
use crate::quote_literal::quote_rows;

/// `quote_nullable(x)`: `x` as an SQL string literal, or `NULL`.
#[user_doc(
    doc_section(label = "String Functions"),
    description = "`x` as a string literal like `quote_literal`, or the text `NULL` if `x` is \
NULL, as PostgreSQL's `quote_nullable`. A number, boolean or date is cast to text first. Types \
conversql cannot show as PostgreSQL does (numeric, timestamps) fail with SQLSTATE 0A000.",
    syntax_example = "quote_nullable(x)",
    sql_example = r"```sql
> SELECT quote_nullable(NULL) AS a, quote_nullable('it''s') AS b, quote_nullable(7) AS c;
+------+---------+-----+
| a    | b       | c   |
+------+---------+-----+
| NULL | 'it''s' | '7' |
+------+---------+-----+
```",
    argument(name = "x", description = "The text or value to quote.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct QuoteNullableFunc {
    signature: Signature,
}

impl Default for QuoteNullableFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl QuoteNullableFunc {
    /// Creates the `quote_nullable` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for QuoteNullableFunc {
    fn name(&self) -> &'static str {
        "quote_nullable"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [t] = arg_types else {
            return plan_err!("quote_nullable takes one argument, got {}", arg_types.len());
        };
        Ok(vec![coerce_value(t)])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let mut out = quote_rows(self.name(), &arrays[0], Some("NULL"))?;
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

    fn quote(value: ScalarValue) -> ScalarValue {
        to_scalar(
            invoke(
                &QuoteNullableFunc::new(),
                vec![ColumnarValue::Scalar(value)],
            )
            .unwrap(),
        )
    }

    fn text(s: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(s.to_string()))
    }

    #[test]
    fn null_is_the_text_null() {
        // Each checked on PostgreSQL 15.
        assert_eq!(quote(ScalarValue::Utf8(None)), text("NULL"));
        assert_eq!(quote(ScalarValue::Int32(None)), text("NULL"));
        assert_eq!(quote(ScalarValue::Null), text("NULL"));
        assert_eq!(quote(text("x\\y'z")), text("E'x\\\\y''z'"));
        assert_eq!(quote(ScalarValue::Int32(Some(42))), text("'42'"));
        assert_eq!(quote(ScalarValue::Boolean(Some(true))), text("'true'"));
    }
}
