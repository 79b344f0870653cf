//! `to_timestamp(text, template)` and `to_timestamp(seconds)` with
//! PostgreSQL's meaning.
//!
//! DataFusion's own `to_timestamp` reads chrono `strftime` formats, so
//! PostgreSQL's `to_timestamp('2026-06-07 14:05', 'YYYY-MM-DD HH24:MI')`
//! failed, and returns a timestamp without time zone where PostgreSQL returns
//! a `timestamptz`. This function replaces it under the same name: the text
//! is read by a PostgreSQL template ([`crate::pg_template_input`]) as
//! wall-clock time in the session's time zone, a number is seconds since
//! 1970-01-01 00:00 UTC. PostgreSQL has no one-argument `to_timestamp(text)`;
//! neither has this function.

use std::sync::Arc;

use arrow::array::{Array, AsArray, TimestampMicrosecondBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use chrono::{LocalResult, TimeZone};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, UTC, coerce_string, parse_zone, timestamp_utc_type, to_arrays, to_columnar,
};
use crate::sql_error::SqlError;

/// `to_timestamp(text, template)` or `to_timestamp(seconds)`: a timestamp with time zone.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `to_timestamp`: with two arguments, reads a timestamp from text by \
a PostgreSQL template (`YYYY-MM-DD HH24:MI:SS`, `DD/MM/YYYY HH12:MI AM`, …) as wall-clock time in \
the session's time zone; with one, a number of seconds since 1970-01-01 00:00:00 UTC. Returns a \
timestamp with time zone. Text that does not fit the template is an error (SQLSTATE 22007), a \
field out of range 22008, a pattern conversql does not read 0A000. Returns NULL if an argument is NULL.",
    syntax_example = "to_timestamp(text, template)",
    sql_example = r"```sql
> SELECT to_timestamp('07/06/2026 02:05 PM', 'DD/MM/YYYY HH12:MI AM') AS t, to_timestamp(0) AS e;
+----------------------+----------------------+
| t                    | e                    |
+----------------------+----------------------+
| 2026-06-07T14:05:00Z | 1970-01-01T00:00:00Z |
+----------------------+----------------------+
```",
    argument(
        name = "text",
        description = "The text to read, or a number of seconds since the epoch."
    ),
    argument(
        name = "template",
        description = "A PostgreSQL formatting template (absent for seconds)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToTimestampFunc {
    signature: Signature,
}

impl Default for ToTimestampFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ToTimestampFunc {
    /// Creates the `to_timestamp` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ToTimestampFunc {
    fn name(&self) -> &'static str {
        "to_timestamp"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if t.is_numeric() || t.is_null() => Ok(vec![DataType::Float64]),
            [t] => plan_err!(
                "to_timestamp takes a number of seconds or a text and a PostgreSQL template, got {t}"
            ),
            [text, template] => Ok(vec![
                coerce_string(self.name(), "text", text)?,
                coerce_string(self.name(), "template", template)?,
            ]),
            _ => plan_err!(
                "to_timestamp takes one or two arguments, got {}",
                arg_types.len()
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(timestamp_utc_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let rows = arrays[0].len();
        let mut out = TimestampMicrosecondBuilder::with_capacity(rows);
        if arrays.len() == 1 {
            let seconds = cast(&arrays[0], &DataType::Float64)?;
            for v in seconds.as_primitive::<Float64Type>() {
                out.append_option(v.map(epoch_micros).transpose()?);
            }
        } else {
            let zone_name = args
                .config_options
                .execution
                .time_zone
                .clone()
                .unwrap_or_else(|| UTC.to_string());
            let Some(zone) = parse_zone(&zone_name) else {
                return exec_err!("to_timestamp: time zone \"{zone_name}\" not recognized");
            };
            let texts = Strings::try_new(self.name(), &arrays[0])?;
            let templates = Strings::try_new(self.name(), &arrays[1])?;
            for i in 0..rows {
                let (Some(text), Some(template)) = (texts.get(i), templates.get(i)) else {
                    out.append_null();
                    continue;
                };
                let local = crate::pg_template_input::parse(self.name(), text, template)?;
                let instant = match zone.from_local_datetime(&local) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_micros(),
                    LocalResult::None => {
                        // A skipped wall-clock time: read with the offset before the change.
                        let before =
                            zone.offset_from_utc_datetime(&(local - chrono::Duration::hours(3)));
                        local.and_utc().timestamp_micros()
                            - i64::from(chrono::Offset::fix(&before).local_minus_utc()) * 1_000_000
                    }
                };
                out.append_value(instant);
            }
        }
        let array = out.finish().with_timezone(UTC);
        debug_assert_eq!(array.len(), rows);
        to_columnar(Arc::new(array), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Seconds since the epoch as microseconds, rounded as PostgreSQL rounds them.
fn epoch_micros(seconds: f64) -> Result<i64> {
    let micros = (seconds * 1_000_000.0).round();
    if !micros.is_finite() || micros.abs() >= 9.2e18 {
        return Err(SqlError::new(
            "22008",
            format!("to_timestamp: timestamp out of range: \"{seconds}\""),
        )
        .into());
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(micros as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, micros, to_scalar, utf8};
    use datafusion::common::ScalarValue;

    #[test]
    fn reads_templates_and_seconds() {
        let func = ToTimestampFunc::new();
        let read = to_scalar(
            invoke(
                &func,
                vec![
                    utf8(Some("2026-06-07 14:05:09")),
                    utf8(Some("YYYY-MM-DD HH24:MI:SS")),
                ],
            )
            .unwrap(),
        );
        assert_eq!(
            read,
            ScalarValue::TimestampMicrosecond(
                Some(micros("2026-06-07T14:05:09Z")),
                Some(UTC.into())
            )
        );
        let epoch = to_scalar(
            invoke(
                &func,
                vec![ColumnarValue::Scalar(ScalarValue::Float64(Some(1.5)))],
            )
            .unwrap(),
        );
        assert_eq!(
            epoch,
            ScalarValue::TimestampMicrosecond(Some(1_500_000), Some(UTC.into()))
        );
        assert!(func.coerce_types(&[DataType::Utf8]).is_err());
    }
}
