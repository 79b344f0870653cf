//! `to_date(text, template)` with PostgreSQL's template patterns.
//!
//! DataFusion's own `to_date` reads chrono `strftime` formats, so
//! PostgreSQL's `to_date('2026-06-07', 'YYYY-MM-DD')` failed. This function
//! replaces it under the same name and reads the text as PostgreSQL does
//! ([`crate::pg_template_input`]).

use std::sync::Arc;

use arrow::array::Date32Builder;
use arrow::datatypes::DataType;
use chrono::NaiveDate;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, coerce_string, to_arrays, to_columnar};

/// `to_date(text, template)`: a date read from text by a PostgreSQL template.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Reads a date from text by a PostgreSQL template (`YYYY-MM-DD`, `DD/MM/YYYY`, \
`YYYYMMDD`, `DD Mon YYYY`, …), as PostgreSQL's `to_date` does: a separator of the template \
matches any separator of the text, missing fields are January 1st of year 1. Text that does not \
fit the template is an error (SQLSTATE 22007), a field out of range 22008, a pattern conversql \
does not read 0A000. Returns NULL if either argument is NULL.",
    syntax_example = "to_date(text, template)",
    sql_example = r"```sql
> SELECT to_date('07/06/2026', 'DD/MM/YYYY') AS d;
+------------+
| d          |
+------------+
| 2026-06-07 |
+------------+
```",
    argument(name = "text", description = "The text to read."),
    argument(name = "template", description = "A PostgreSQL formatting template.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToDateFunc {
    signature: Signature,
}

impl Default for ToDateFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ToDateFunc {
    /// Creates the `to_date` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Days from 0001-01-01 (CE day 1) to the Unix epoch.
const EPOCH_FROM_CE: i32 = 719_163;

impl ScalarUDFImpl for ToDateFunc {
    fn name(&self) -> &'static str {
        "to_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 2 {
            return plan_err!(
                "to_date takes a text and a PostgreSQL template (to_date(text, template)), got {} arguments",
                arg_types.len()
            );
        }
        Ok(vec![
            coerce_string(self.name(), "text", &arg_types[0])?,
            coerce_string(self.name(), "template", &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let texts = Strings::try_new(self.name(), &arrays[0])?;
        let templates = Strings::try_new(self.name(), &arrays[1])?;
        let mut out = Date32Builder::with_capacity(arrays[0].len());
        for i in 0..arrays[0].len() {
            let (Some(text), Some(template)) = (texts.get(i), templates.get(i)) else {
                out.append_null();
                continue;
            };
            let date: NaiveDate =
                crate::pg_template_input::parse(self.name(), text, template)?.date();
            out.append_value(chrono::Datelike::num_days_from_ce(&date) - EPOCH_FROM_CE);
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
    use crate::common::test_util::{invoke, to_scalar, utf8};
    use datafusion::common::ScalarValue;

    fn run(text: Option<&str>, template: &str) -> Result<ScalarValue> {
        invoke(&ToDateFunc::new(), vec![utf8(text), utf8(Some(template))]).map(to_scalar)
    }

    #[test]
    fn reads_postgresql_templates() {
        assert_eq!(
            run(Some("20260607"), "YYYYMMDD").unwrap(),
            ScalarValue::Date32(Some(20_611))
        );
        assert_eq!(
            run(Some("07/06/2026"), "DD/MM/YYYY").unwrap(),
            ScalarValue::Date32(Some(20_611))
        );
        assert_eq!(run(None, "YYYY").unwrap(), ScalarValue::Date32(None));
        assert!(
            run(Some("2026-02-30"), "YYYY-MM-DD")
                .unwrap_err()
                .to_string()
                .contains("out of range")
        );
    }
}
