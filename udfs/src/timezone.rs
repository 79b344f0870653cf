//! `timezone(zone, ts)`: PostgreSQL's `ts AT TIME ZONE zone`.
//!
//! DataFusion plans `AT TIME ZONE` as a cast to a timestamp in that zone: the
//! same instant, displayed with the zone's offset. PostgreSQL converts
//! between the two kinds of timestamp instead: a `timestamptz` becomes the
//! `timestamp` (no zone) of its wall-clock time in `zone`, and a `timestamp`
//! read as wall-clock time in `zone` becomes a `timestamptz`. conversql's
//! sessions rewrite `AT TIME ZONE` into this function (PostgreSQL's own name
//! for it).

use std::sync::Arc;

use arrow::array::{Array, AsArray, TimestampMicrosecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, LocalResult, TimeZone};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, ZoneCache, check_arity, coerce_string, to_arrays, to_columnar};

/// `timezone(zone, ts)`: a `timestamptz` as wall-clock time in `zone`, or a wall-clock `timestamp` in `zone` as an instant.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `ts AT TIME ZONE zone`: a timestamp with time zone becomes the \
timestamp without time zone of its wall-clock time in `zone`; a timestamp without time zone is \
read as wall-clock time in `zone` and becomes a timestamp with time zone. A wall-clock time that \
a daylight-saving change skips or repeats is read as PostgreSQL reads it (the offset before the change).",
    syntax_example = "timezone(zone, ts)",
    sql_example = r"```sql
> SELECT timezone('America/New_York', TIMESTAMPTZ '2026-06-07 10:30:00+00') AS local;
+---------------------+
| local               |
+---------------------+
| 2026-06-07T06:30:00 |
+---------------------+
```",
    argument(name = "zone", description = "An IANA time zone name or a UTC offset."),
    argument(name = "ts", description = "A timestamp with or without time zone.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TimezoneFunc {
    signature: Signature,
}

impl Default for TimezoneFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl TimezoneFunc {
    /// Creates the `timezone` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for TimezoneFunc {
    fn name(&self) -> &'static str {
        "timezone"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        let ts = match &arg_types[1] {
            DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            DataType::Date32 | DataType::Date64 | DataType::Null => {
                DataType::Timestamp(TimeUnit::Microsecond, None)
            }
            other => return plan_err!("timezone: the timestamp must be a timestamp, got {other}"),
        };
        Ok(vec![coerce_string(self.name(), "zone", &arg_types[0])?, ts])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[1] {
            DataType::Timestamp(_, Some(_)) => DataType::Timestamp(TimeUnit::Microsecond, None),
            _ => DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let zones = Strings::try_new(self.name(), &arrays[0])?;
        let aware = matches!(arrays[1].data_type(), DataType::Timestamp(_, Some(_)));
        let micros = cast(
            &arrays[1],
            &DataType::Timestamp(TimeUnit::Microsecond, None),
        )?;
        let micros = micros.as_primitive::<TimestampMicrosecondType>();
        let mut cache = ZoneCache::default();
        let mut out = Vec::with_capacity(micros.len());
        for i in 0..micros.len() {
            let (Some(zone), true) = (zones.get(i), micros.is_valid(i)) else {
                out.push(None);
                continue;
            };
            let Some(tz) = cache.get(zone) else {
                return exec_err!("timezone: time zone \"{zone}\" not recognized");
            };
            let Some(instant) = DateTime::from_timestamp_micros(micros.value(i)) else {
                return exec_err!("timezone: timestamp out of range");
            };
            out.push(Some(if aware {
                instant
                    .with_timezone(&tz)
                    .naive_local()
                    .and_utc()
                    .timestamp_micros()
            } else {
                let local = instant.naive_utc();
                match tz.from_local_datetime(&local) {
                    LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.timestamp_micros(),
                    LocalResult::None => {
                        // A skipped wall-clock time: PostgreSQL reads it with the offset before the change.
                        let before =
                            tz.offset_from_utc_datetime(&(local - chrono::Duration::hours(3)));
                        local.and_utc().timestamp_micros()
                            - i64::from(chrono::Offset::fix(&before).local_minus_utc()) * 1_000_000
                    }
                }
            }));
        }
        let array = TimestampMicrosecondArray::from(out);
        let array = if aware {
            array
        } else {
            array.with_timezone("UTC")
        };
        to_columnar(Arc::new(array), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, StringArray};
    use arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;

    fn run(zone: &str, ts: ArrayRef) -> (DataType, i64) {
        let func = TimezoneFunc::new();
        let types = func
            .coerce_types(&[DataType::Utf8, ts.data_type().clone()])
            .unwrap();
        let ret = func.return_type(&types).unwrap();
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(StringArray::from(vec![zone]))),
                ColumnarValue::Array(ts.clone()),
            ],
            arg_fields: vec![
                Arc::new(Field::new("z", DataType::Utf8, true)),
                Arc::new(Field::new("t", ts.data_type().clone(), true)),
            ],
            number_rows: 1,
            return_field: Arc::new(Field::new("r", ret.clone(), true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = func.invoke_with_args(args).unwrap() else {
            panic!("an array")
        };
        (
            out.data_type().clone(),
            out.as_primitive::<TimestampMicrosecondType>().value(0),
        )
    }

    #[test]
    fn an_instant_becomes_wall_clock_time_and_back() {
        // 2026-06-07 10:30:00 UTC
        let instant = 1_780_828_200_000_000_i64;
        let aware: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![instant]).with_timezone("UTC"));
        let (t, local) = run("America/New_York", aware);
        assert_eq!(t, DataType::Timestamp(TimeUnit::Microsecond, None));
        assert_eq!(local, instant - 4 * 3_600_000_000);
        let naive: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![local]));
        let (t, back) = run("America/New_York", naive);
        assert_eq!(
            t,
            DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
        );
        assert_eq!(back, instant);
    }
}
