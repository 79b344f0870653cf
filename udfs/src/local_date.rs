//! `local_date(ts, zone)`: the calendar date of an instant in a time zone.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Date32Array};
use arrow::datatypes::DataType;
use chrono::{DateTime, Datelike};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, ZoneCache, check_args, check_arity, coerce_string, coerce_timestamp, to_arrays,
    to_columnar, to_utc_micros,
};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// `local_date(ts, zone)`: the calendar date (Date32) of an instant in an IANA time zone.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Returns the calendar date of the instant `ts` in the IANA time zone `zone` \
(daylight saving time aware). A timestamp without a time zone is taken to be UTC. \
Returns NULL if either argument is NULL and fails on an unknown time zone.",
    syntax_example = "local_date(ts, zone)",
    sql_example = r"```sql
> SELECT local_date(TIMESTAMP '2026-03-08T04:30:00Z', 'America/New_York') AS d;
+------------+
| d          |
+------------+
| 2026-03-07 |
+------------+
```",
    argument(
        name = "ts",
        description = "The instant: a timestamp of any unit, with or without a time zone (none means UTC)."
    ),
    argument(
        name = "zone",
        description = "An IANA time zone name such as `America/New_York`, or `UTC`."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct LocalDateFunc {
    signature: Signature,
}

impl Default for LocalDateFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalDateFunc {
    /// Creates the `local_date` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for LocalDateFunc {
    fn name(&self) -> &'static str {
        "local_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        Ok(vec![
            coerce_timestamp(self.name(), "ts", &arg_types[0])?,
            coerce_string(self.name(), "zone", &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = local_date(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Computes `local_date` over arrays of equal length.
fn local_date(args: &[ArrayRef]) -> Result<ArrayRef> {
    check_args("local_date", args, 2)?;
    let ts = to_utc_micros("local_date", &args[0])?;
    let zones = Strings::try_new("local_date", &args[1])?;
    let mut cache = ZoneCache::default();

    let dates = (0..ts.len())
        .map(|i| {
            let (Some(zone), true) = (zones.get(i), ts.is_valid(i)) else {
                return Ok(None);
            };
            let Some(tz) = cache.get(zone) else {
                return exec_err!("unknown time zone '{zone}'");
            };
            let micros = ts.value(i);
            let Some(instant) = DateTime::from_timestamp_micros(micros) else {
                return exec_err!("local_date: timestamp {micros}µs is out of range");
            };
            let date = instant.with_timezone(&tz).date_naive();
            Ok(Some(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE))
        })
        .collect::<Result<Date32Array>>()?;
    Ok(Arc::new(dates))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{
        LargeStringArray, StringArray, StringViewArray, TimestampMicrosecondArray,
        TimestampNanosecondArray, TimestampSecondArray,
    };
    use arrow::datatypes::TimeUnit;
    use chrono::NaiveDate;
    use datafusion::common::ScalarValue;

    use crate::common::parse_zone;
    use crate::common::test_util::{self, micros};

    fn days(s: &str) -> i32 {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .unwrap()
            .num_days_from_ce()
            - UNIX_EPOCH_DAYS_FROM_CE
    }

    fn invoke(args: Vec<ColumnarValue>) -> Result<ColumnarValue> {
        test_util::invoke(&LocalDateFunc::new(), args)
    }

    fn ts_scalar(s: &str) -> ColumnarValue {
        test_util::ts(s)
    }

    fn zone_scalar(z: &str) -> ColumnarValue {
        test_util::utf8(Some(z))
    }

    fn scalar_date(result: ColumnarValue) -> Option<i32> {
        match result {
            ColumnarValue::Scalar(ScalarValue::Date32(d)) => d,
            other => panic!("expected a Date32 scalar, got {other:?}"),
        }
    }

    fn array_dates(result: ColumnarValue) -> Vec<Option<i32>> {
        match result {
            ColumnarValue::Array(a) => a
                .as_any()
                .downcast_ref::<Date32Array>()
                .unwrap()
                .iter()
                .collect(),
            other @ ColumnarValue::Scalar(_) => panic!("expected an array, got {other:?}"),
        }
    }

    #[test]
    fn new_york_spring_forward() {
        for (ts, expected) in [
            // 01:59:59 EST
            ("2026-03-08T06:59:59Z", "2026-03-08"),
            // 03:00:00 EDT
            ("2026-03-08T07:00:00Z", "2026-03-08"),
            // 23:30 EST the day before
            ("2026-03-08T04:30:00Z", "2026-03-07"),
            // 00:00 EST
            ("2026-03-08T05:00:00Z", "2026-03-08"),
        ] {
            let result = invoke(vec![ts_scalar(ts), zone_scalar("America/New_York")]).unwrap();
            assert_eq!(scalar_date(result), Some(days(expected)), "{ts}");
        }
    }

    #[test]
    fn new_york_fall_back() {
        for (ts, expected) in [
            // 00:30 EDT
            ("2026-11-01T04:30:00Z", "2026-11-01"),
            // 23:59:59 EDT the day before
            ("2026-11-01T03:59:59Z", "2026-10-31"),
            // 01:30 EST (the second 01:30)
            ("2026-11-01T06:30:00Z", "2026-11-01"),
            // 23:30 EST
            ("2026-11-02T04:30:00Z", "2026-11-01"),
        ] {
            let result = invoke(vec![ts_scalar(ts), zone_scalar("America/New_York")]).unwrap();
            assert_eq!(scalar_date(result), Some(days(expected)), "{ts}");
        }
    }

    #[test]
    fn sydney_southern_hemisphere() {
        for (ts, expected) in [
            // January: AEDT, UTC+11 -> 2026-01-16 10:00
            ("2026-01-15T23:00:00Z", "2026-01-16"),
            // July: AEST, UTC+10 -> 2026-07-16 09:00
            ("2026-07-15T23:00:00Z", "2026-07-16"),
            // July: AEST, UTC+10 -> 2026-07-15 23:30 (would be the 16th under DST)
            ("2026-07-15T13:30:00Z", "2026-07-15"),
            // DST ends 2026-04-05 03:00 AEDT -> 02:00 AEST; 13:30Z on the 4th is 00:30 AEDT
            ("2026-04-04T13:30:00Z", "2026-04-05"),
        ] {
            let result = invoke(vec![ts_scalar(ts), zone_scalar("Australia/Sydney")]).unwrap();
            assert_eq!(scalar_date(result), Some(days(expected)), "{ts}");
        }
    }

    #[test]
    fn utc_zone_and_naive_timestamps() {
        let result = invoke(vec![ts_scalar("2026-06-07T23:59:59Z"), zone_scalar("UTC")]);
        assert_eq!(scalar_date(result.unwrap()), Some(days("2026-06-07")));

        // A timestamp without zone, in seconds, is UTC.
        let naive = ColumnarValue::Scalar(ScalarValue::TimestampSecond(
            Some(micros("2026-03-08T04:30:00Z") / 1_000_000),
            None,
        ));
        let result = invoke(vec![naive, zone_scalar("America/New_York")]).unwrap();
        assert_eq!(scalar_date(result), Some(days("2026-03-07")));

        // A timestamp with another zone denotes the same instant.
        let berlin = ColumnarValue::Scalar(ScalarValue::TimestampNanosecond(
            Some(micros("2026-03-08T04:30:00Z") * 1_000),
            Some("Europe/Berlin".into()),
        ));
        let result = invoke(vec![berlin, zone_scalar("America/New_York")]).unwrap();
        assert_eq!(scalar_date(result), Some(days("2026-03-07")));
    }

    #[test]
    fn arrays_with_nulls_and_mixed_zones() {
        let ts: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![
                Some(micros("2026-03-08T04:30:00Z") * 1_000),
                None,
                Some(micros("2026-03-08T04:30:00Z") * 1_000),
                Some(micros("2026-03-08T04:30:00Z") * 1_000),
                Some(micros("2026-03-08T04:30:00Z") * 1_000),
            ])
            .with_timezone("UTC"),
        );
        let zones: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("America/New_York"),
            Some("America/New_York"),
            None,
            Some("Europe/London"),
            Some("America/New_York"),
        ]));
        let result = invoke(vec![ColumnarValue::Array(ts), ColumnarValue::Array(zones)]).unwrap();
        assert_eq!(
            array_dates(result),
            vec![
                Some(days("2026-03-07")),
                None,
                None,
                Some(days("2026-03-08")),
                Some(days("2026-03-07")),
            ]
        );
    }

    #[test]
    fn array_timestamps_with_scalar_zone() {
        let ts: ArrayRef = Arc::new(TimestampSecondArray::from(vec![
            Some(micros("2026-11-01T04:30:00Z") / 1_000_000),
            Some(micros("2026-11-01T03:59:59Z") / 1_000_000),
            None,
        ]));
        let result = invoke(vec![
            ColumnarValue::Array(ts),
            ColumnarValue::Scalar(ScalarValue::LargeUtf8(Some("America/New_York".into()))),
        ])
        .unwrap();
        assert_eq!(
            array_dates(result),
            vec![Some(days("2026-11-01")), Some(days("2026-10-31")), None]
        );
    }

    #[test]
    fn null_scalars() {
        let result = invoke(vec![
            ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(None, None)),
            zone_scalar("America/New_York"),
        ])
        .unwrap();
        assert_eq!(scalar_date(result), None);

        let result = invoke(vec![
            ts_scalar("2026-03-08T04:30:00Z"),
            ColumnarValue::Scalar(ScalarValue::Utf8(None)),
        ])
        .unwrap();
        assert_eq!(scalar_date(result), None);

        // An untyped NULL is accepted as well.
        let result = invoke(vec![
            ColumnarValue::Scalar(ScalarValue::Null),
            ColumnarValue::Scalar(ScalarValue::Null),
        ])
        .unwrap();
        assert_eq!(scalar_date(result), None);
    }

    #[test]
    fn unknown_zone_is_an_error() {
        let err = invoke(vec![
            ts_scalar("2026-03-08T04:30:00Z"),
            zone_scalar("Mars/Olympus"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown time zone 'Mars/Olympus'"),
            "{err}"
        );

        // Even when it only appears on a later row.
        let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(0), Some(0)]));
        let zones: ArrayRef = Arc::new(LargeStringArray::from(vec!["UTC", "Mars/Olympus"]));
        let err = invoke(vec![ColumnarValue::Array(ts), ColumnarValue::Array(zones)]).unwrap_err();
        assert!(err.to_string().contains("unknown time zone 'Mars/Olympus'"));
    }

    #[test]
    fn unknown_zone_on_null_timestamp_is_not_checked() {
        let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![None::<i64>]));
        let zones: ArrayRef = Arc::new(StringArray::from(vec!["Mars/Olympus"]));
        let result = invoke(vec![ColumnarValue::Array(ts), ColumnarValue::Array(zones)]).unwrap();
        assert_eq!(array_dates(result), vec![None]);
    }

    #[test]
    fn zone_cache_parses_once() {
        let mut cache = ZoneCache::default();
        assert_eq!(
            cache.get("America/New_York"),
            parse_zone("America/New_York")
        );
        assert_eq!(cache.get("UTC"), Some(chrono_tz::UTC));
        assert_eq!(
            cache.get("America/New_York"),
            parse_zone("America/New_York")
        );
        assert_eq!(cache.get("Mars/Olympus"), None);
    }

    #[test]
    fn coercion() {
        let f = LocalDateFunc::new();
        let ts_ns = DataType::Timestamp(TimeUnit::Nanosecond, None);
        assert_eq!(
            f.coerce_types(&[ts_ns.clone(), DataType::Utf8View])
                .unwrap(),
            vec![ts_ns, DataType::Utf8View]
        );
        assert_eq!(
            f.coerce_types(&[DataType::Null, DataType::Null]).unwrap(),
            vec![crate::common::timestamp_utc_type(), DataType::Utf8]
        );
        assert!(f.coerce_types(&[DataType::Int64, DataType::Utf8]).is_err());
        assert!(f.coerce_types(&[DataType::Utf8]).is_err());
    }

    #[test]
    fn out_of_range_seconds_are_an_error_not_a_panic() {
        let ts: ArrayRef = Arc::new(TimestampSecondArray::from(vec![i64::MAX]));
        let err = invoke(vec![ColumnarValue::Array(ts), zone_scalar("UTC")]);
        assert!(err.is_err());
    }
}
