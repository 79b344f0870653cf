//! `make_timestamptz(year, month, day, hour, min, sec [, zone])`:
//! PostgreSQL's timestamp with time zone from its fields (`make_timestamptz`
//! and `make_timestamptz_at_timezone` in src/backend/utils/adt/timestamp.c).
//!
//! The fields make a wall-clock time exactly as `make_timestamp` does
//! ([`crate::make_timestamp`], with its errors), read in `zone`, or without
//! it in the session's time zone (`timestamp2timestamptz`). A time skipped
//! by a spring-forward transition takes the offset before it, a repeated one
//! the offset after it (`DetermineTimeZoneOffset`, see
//! [`crate::pg_datetime`]).
//!
//! `zone` is an IANA name (`Europe/Paris`, any case) or `UTC`; PostgreSQL
//! also reads abbreviations (`CET` is always +01) and offsets (`+02`), which
//! conversql refuses with 0A000 rather than read them as the zone of the
//! same name. Strict: a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::datatypes::DataType;
use chrono_tz::Tz;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, UTC, coerce_string, timestamp_utc_type, to_arrays, to_columnar};
use crate::make_timestamp::{FieldArrays, coerce_fields};
use crate::pg_datetime::{from_local, pg_zone, session_zone};
use crate::sql_error::SqlError;

/// `make_timestamptz(year, month, day, hour, min, sec [, zone])`: a timestamp with time zone.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `make_timestamptz`: the instant of the given fields read as \
wall-clock time in `zone` (an IANA name or UTC), or in the session's time zone; a negative year \
is BC, seconds are rounded to the microsecond. A field out of range fails with SQLSTATE 22008 as \
in PostgreSQL. Returns NULL if an argument is NULL.",
    syntax_example = "make_timestamptz(year, month, day, hour, min, sec, zone)",
    sql_example = r"```sql
> SELECT make_timestamptz(2026, 6, 7, 10, 30, 0, 'America/New_York') AS t;
+----------------------+
| t                    |
+----------------------+
| 2026-06-07T14:30:00Z |
+----------------------+
```",
    argument(name = "year", description = "The year, negative for BC."),
    argument(name = "month", description = "The month, 1 to 12."),
    argument(name = "day", description = "The day of the month."),
    argument(name = "hour", description = "The hour, 0 to 24."),
    argument(name = "min", description = "The minute, 0 to 59."),
    argument(name = "sec", description = "The seconds, 0 to 60, with a fraction."),
    argument(
        name = "zone",
        description = "Optional: the time zone, an IANA name; the session's by default."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeTimestamptzFunc {
    signature: Signature,
}

impl Default for MakeTimestamptzFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeTimestamptzFunc {
    /// Creates the `make_timestamptz` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// A `zone` argument.
fn zone_named(name: &str) -> Result<Tz, SqlError> {
    pg_zone(name).ok_or_else(|| {
        SqlError::unsupported(format!(
            "make_timestamptz: time zone \"{name}\" is not supported (conversql reads IANA \
             names such as Europe/Paris, and {UTC})"
        ))
    })
}

impl ScalarUDFImpl for MakeTimestamptzFunc {
    fn name(&self) -> &'static str {
        "make_timestamptz"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            6 => coerce_fields(self.name(), arg_types),
            7 => {
                let mut types = coerce_fields(self.name(), &arg_types[..6])?;
                types.push(coerce_string(self.name(), "zone", &arg_types[6])?);
                Ok(types)
            }
            n => plan_err!(
                "make_timestamptz takes year, month, day, hour, min, sec and an optional zone, \
                 got {n} arguments"
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(timestamp_utc_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let fields = FieldArrays::new(self.name(), &arrays)?;
        let zones = arrays
            .get(6)
            .map(|a| Strings::try_new(self.name(), a))
            .transpose()?;
        let session = if zones.is_none() {
            Some(session_zone(self.name(), &args.config_options)?)
        } else {
            None
        };
        let mut out = Vec::with_capacity(fields.len());
        for i in 0..fields.len() {
            let name = match &zones {
                Some(zones) => {
                    let Some(name) = zones.get(i) else {
                        out.push(None);
                        continue;
                    };
                    Some(name)
                }
                None => None,
            };
            let Some(local) = fields.micros(i)? else {
                out.push(None);
                continue;
            };
            let zone = match (name, session) {
                (Some(name), _) => zone_named(name)?,
                (None, session) => session.unwrap_or(Tz::UTC),
            };
            out.push(Some(from_local(self.name(), local, zone)?));
        }
        to_columnar(
            Arc::new(TimestampMicrosecondArray::from(out).with_timezone(UTC)),
            all_scalar,
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, micros, to_scalar};
    use datafusion::common::ScalarValue;

    fn make(fields: (i64, i64, i64, i64, i64, f64), zone: Option<&str>) -> Result<ScalarValue> {
        let (y, mo, d, h, mi, s) = fields;
        let mut args: Vec<ColumnarValue> = [y, mo, d, h, mi]
            .into_iter()
            .map(|v| ColumnarValue::Scalar(ScalarValue::Int64(Some(v))))
            .collect();
        args.push(ColumnarValue::Scalar(ScalarValue::Float64(Some(s))));
        if let Some(zone) = zone {
            args.push(ColumnarValue::Scalar(ScalarValue::Utf8(Some(zone.into()))));
        }
        invoke(&MakeTimestamptzFunc::new(), args).map(to_scalar)
    }

    fn instant(s: &str) -> ScalarValue {
        ScalarValue::TimestampMicrosecond(Some(micros(s)), Some(UTC.into()))
    }

    #[test]
    fn fields_are_read_in_the_zone() {
        // Each checked on PostgreSQL 15.
        for (fields, zone, expected) in [
            ((2026, 6, 7, 10, 30, 45.5), None, "2026-06-07T10:30:45.5Z"),
            (
                (2026, 6, 7, 10, 30, 45.5),
                Some("America/New_York"),
                "2026-06-07T14:30:45.5Z",
            ),
            (
                (2026, 1, 7, 10, 30, 0.0),
                Some("Europe/Paris"),
                "2026-01-07T09:30:00Z",
            ),
            (
                (2026, 3, 8, 2, 30, 0.0),
                Some("America/New_York"),
                "2026-03-08T07:30:00Z",
            ),
            (
                (2026, 11, 1, 1, 30, 0.0),
                Some("America/New_York"),
                "2026-11-01T06:30:00Z",
            ),
            (
                (2026, 6, 7, 24, 0, 0.0),
                Some("America/New_York"),
                "2026-06-08T04:00:00Z",
            ),
            (
                (2026, 6, 7, 10, 30, 0.0),
                Some("utc"),
                "2026-06-07T10:30:00Z",
            ),
            (
                (2026, 6, 7, 10, 30, 0.0),
                Some("Etc/GMT+2"),
                "2026-06-07T12:30:00Z",
            ),
        ] {
            assert_eq!(
                make(fields, zone).unwrap(),
                instant(expected),
                "{fields:?} {zone:?}"
            );
        }
    }

    #[test]
    fn unknown_zones_and_abbreviations_are_refused() {
        for zone in ["CET", "+02", "Mars/Olympus"] {
            let err = make((2026, 6, 7, 10, 30, 0.0), Some(zone))
                .unwrap_err()
                .to_string();
            assert!(err.contains("is not supported"), "{err}");
        }
        // A field error comes first, as in PostgreSQL.
        let err = make((2026, 13, 7, 10, 30, 0.0), Some("CET"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("date field value out of range: 2026-13-07"),
            "{err}"
        );
        let err = make((2026, 6, 7, 10, 30, 0.0), Some("CET")).unwrap_err();
        assert!(err.to_string().contains("CET"), "{err}");
    }

    #[test]
    fn without_a_zone_the_fields_are_read_in_the_session_zone() {
        use arrow::datatypes::Field;
        use datafusion::common::config::ConfigOptions;
        let mut config = ConfigOptions::default();
        config.execution.time_zone = Some("America/Sao_Paulo".to_string());
        let mut args: Vec<ColumnarValue> = [2018, 11, 4, 0, 0]
            .into_iter()
            .map(|v| ColumnarValue::Scalar(ScalarValue::Int64(Some(v))))
            .collect();
        args.push(ColumnarValue::Scalar(ScalarValue::Float64(Some(0.0))));
        let arg_fields = args
            .iter()
            .map(|a| Arc::new(Field::new("a", a.data_type(), true)))
            .collect();
        let result = MakeTimestamptzFunc::new()
            .invoke_with_args(ScalarFunctionArgs {
                args,
                arg_fields,
                number_rows: 1,
                return_field: Arc::new(Field::new("t", timestamp_utc_type(), true)),
                config_options: Arc::new(config),
            })
            .map(to_scalar)
            .unwrap();
        // Checked on PostgreSQL 15: 2018-11-04 01:00:00-02, midnight being skipped.
        assert_eq!(result, instant("2018-11-04T03:00:00Z"));
    }
}
