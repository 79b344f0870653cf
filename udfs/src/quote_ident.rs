//! `quote_ident(text)`: PostgreSQL's `quote_ident` (src/backend/utils/adt/
//! quote.c, which calls `quote_identifier` in ruleutils.c): the name bare
//! when it is a plain lower-case identifier and not a key word PostgreSQL
//! reserves in any way (reserved, column-name or type-or-function-name
//! key words: `select`, `between`, `time`), else in double quotes with
//! inner quotes doubled. Unreserved key words (`rows`, `date`) stay bare.
//! The Postgres catalog crate's function of this name left `time` bare and a
//! name already in quotes unquoted; this one replaces it.

use std::sync::Arc;

use arrow::array::{Array, AsArray, StringBuilder};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};

/// `quote_ident(name)`: `name` as an SQL identifier.
#[user_doc(
    doc_section(label = "String Functions"),
    description = "`name` as an SQL identifier, as PostgreSQL's `quote_ident`: bare when it is a \
plain lower-case name and not a key word PostgreSQL reserves, otherwise in double quotes with \
inner double quotes doubled.",
    syntax_example = "quote_ident(name)",
    sql_example = r#"```sql
> SELECT quote_ident('rows') AS a, quote_ident('time') AS b, quote_ident('Order') AS c;
+------+--------+---------+
| a    | b      | c       |
+------+--------+---------+
| rows | "time" | "Order" |
+------+--------+---------+
```"#,
    argument(name = "name", description = "The name to quote.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct QuoteIdentFunc {
    signature: Signature,
}

impl Default for QuoteIdentFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl QuoteIdentFunc {
    /// Creates the `quote_ident` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for QuoteIdentFunc {
    fn name(&self) -> &'static str {
        "quote_ident"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let names = arrays[0].as_string::<i32>();
        let mut out = StringBuilder::with_capacity(names.len(), names.value_data().len() + 2);
        for name in names {
            match name {
                Some(name) => out.append_value(crate::pg_text::quote_ident(name)),
                None => out.append_null(),
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

    fn quote(name: Option<&str>) -> ScalarValue {
        to_scalar(
            invoke(
                &QuoteIdentFunc::new(),
                vec![ColumnarValue::Scalar(ScalarValue::Utf8(
                    name.map(str::to_string),
                ))],
            )
            .unwrap(),
        )
    }

    fn text(s: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(s.to_string()))
    }

    #[test]
    fn names_are_quoted_as_postgresql_quotes_them() {
        // Each checked on PostgreSQL 15.
        assert_eq!(quote(Some("rows")), text("rows"));
        assert_eq!(quote(Some("date")), text("date"));
        assert_eq!(quote(Some("time")), text("\"time\""));
        assert_eq!(quote(Some("between")), text("\"between\""));
        assert_eq!(quote(Some("select")), text("\"select\""));
        assert_eq!(quote(Some("Order")), text("\"Order\""));
        assert_eq!(quote(Some("\"a\"")), text("\"\"\"a\"\"\""));
        assert_eq!(quote(Some("my table")), text("\"my table\""));
        assert_eq!(quote(Some("_x1")), text("_x1"));
        assert_eq!(quote(Some("1x")), text("\"1x\""));
        assert_eq!(quote(None), ScalarValue::Utf8(None));
    }
}
