//! `date_trunc(field, source)` with PostgreSQL's types.
//!
//! PostgreSQL has no `date_trunc` of a `date`: the date is read as a
//! `timestamptz` (midnight in the session's zone), and so is the answer
//! (`date_trunc('month', DATE '2026-06-07')` is `2026-06-01 00:00:00+00`).
//! DataFusion's `date_trunc` turns a date into a timestamp without time
//! zone. This function replaces it under the same name, computing with
//! DataFusion's, and reads dates (and quoted literals) as `timestamptz`.

use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef, TimeUnit};
use datafusion::common::{Result, plan_err};
use datafusion::functions::datetime::date_trunc::DateTruncFunc;
use datafusion::logical_expr::sort_properties::{ExprProperties, SortProperties};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{UTC, coerce_string};

/// `date_trunc(field, source)`: a timestamp truncated to a field's precision.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Truncates a timestamp (or interval-free time) to the precision of `field` \
(`year`, `quarter`, `month`, `week`, `day`, `hour`, `minute`, `second`, …), as PostgreSQL's \
`date_trunc`: a date is read as a timestamp with time zone at midnight UTC, and the answer is \
one too. Returns NULL if `source` is NULL.",
    syntax_example = "date_trunc(field, source)",
    sql_example = r"```sql
> SELECT date_trunc('month', DATE '2026-06-07') AS t;
+----------------------+
| t                    |
+----------------------+
| 2026-06-01T00:00:00Z |
+----------------------+
```",
    argument(name = "field", description = "The precision, as text."),
    argument(
        name = "source",
        description = "A timestamp with or without time zone, a date, or a time."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgDateTruncFunc {
    inner: DateTruncFunc,
    signature: Signature,
    aliases: Vec<String>,
}

impl Default for PgDateTruncFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgDateTruncFunc {
    /// Creates the `date_trunc` function.
    pub fn new() -> Self {
        Self {
            inner: DateTruncFunc::new(),
            signature: Signature::user_defined(Volatility::Immutable),
            aliases: vec!["datetrunc".to_string()],
        }
    }
}

impl ScalarUDFImpl for PgDateTruncFunc {
    fn name(&self) -> &'static str {
        "date_trunc"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [field, source] = arg_types else {
            return plan_err!("date_trunc takes a field and a timestamp, got {arg_types:?}");
        };
        let _ = coerce_string(self.name(), "field", field)?;
        let source = match source {
            DataType::Timestamp(_, _) | DataType::Time32(_) | DataType::Time64(_) => source.clone(),
            DataType::Date32
            | DataType::Date64
            | DataType::Null
            | DataType::Utf8
            | DataType::Utf8View
            | DataType::LargeUtf8 => {
                DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from(UTC)))
            }
            other => {
                return plan_err!(
                    "date_trunc: the source must be a timestamp, date or time, got {other}"
                );
            }
        };
        Ok(vec![DataType::Utf8, source])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[1].clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.inner.invoke_with_args(args)
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn output_ordering(&self, input: &[ExprProperties]) -> Result<SortProperties> {
        self.inner.output_ordering(input)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::ScalarUDF;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn a_date_is_truncated_as_a_timestamp_with_time_zone() {
        let ctx = SessionContext::new();
        ctx.deregister_udf("date_trunc");
        ctx.register_udf(ScalarUDF::from(super::PgDateTruncFunc::new()));
        let frame = ctx
            .sql("SELECT date_trunc('month', DATE '2026-06-07') AS t, date_trunc('hour', TIMESTAMP '2026-06-07 10:30:00') AS u")
            .await
            .unwrap();
        let batches = frame.collect().await.unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(text.contains("2026-06-01T00:00:00Z"), "{text}");
        assert!(text.contains("| 2026-06-07T10:00:00 "), "{text}");
    }
}
