//! The fields of dates, timestamps and intervals as PostgreSQL's `extract`
//! and `date_part` compute them (`timestamp_part`, `interval_part` in
//! PostgreSQL's `timestamp.c`), shared by [`crate::extract`] and
//! [`crate::date_part`]. Each value is exact, in millionths, so that `extract`
//! can return it as `numeric` and `date_part` as `double precision`; seconds
//! keep their fraction (`45.5`), which DataFusion's `date_part` drops.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    TimestampMicrosecondType,
};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};

use crate::common::ZoneCache;

/// Millionths in one unit.
const MILLION: i128 = 1_000_000;

/// A field PostgreSQL's `extract`/`date_part` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Century,
    Decade,
    Millennium,
    Year,
    IsoYear,
    Quarter,
    Month,
    Week,
    Day,
    Dow,
    IsoDow,
    Doy,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
    Epoch,
}

impl Field {
    /// The field named `name` (PostgreSQL's spellings, any case, singular or plural).
    pub(crate) fn parse(function: &str, name: &str) -> Result<Field> {
        Ok(match name.to_lowercase().trim() {
            "century" | "centuries" => Field::Century,
            "decade" | "decades" => Field::Decade,
            "millennium" | "millennia" | "millenniums" => Field::Millennium,
            "year" | "years" | "y" | "yr" | "yrs" => Field::Year,
            "isoyear" => Field::IsoYear,
            "quarter" | "qtr" => Field::Quarter,
            "month" | "months" | "mon" | "mons" => Field::Month,
            "week" | "weeks" | "w" => Field::Week,
            "day" | "days" | "d" => Field::Day,
            "dow" => Field::Dow,
            "isodow" => Field::IsoDow,
            "doy" => Field::Doy,
            "hour" | "hours" | "h" | "hr" | "hrs" => Field::Hour,
            "minute" | "minutes" | "m" | "min" | "mins" => Field::Minute,
            "second" | "seconds" | "s" | "sec" | "secs" => Field::Second,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "millisecon" => {
                Field::Millisecond
            }
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Field::Microsecond,
            "epoch" => Field::Epoch,
            "julian" | "timezone" | "timezone_hour" | "timezone_minute" => {
                return Err(DataFusionError::NotImplemented(format!(
                    "{function}: the field \"{name}\" is not supported"
                )));
            }
            _ => return plan_err!("{function}: unit \"{name}\" not recognized"),
        })
    }

    /// The `numeric` scale of `extract`'s result for this field of `source`.
    pub(crate) fn scale(self, source: &DataType) -> i8 {
        match (self, source) {
            (Field::Epoch, DataType::Date32 | DataType::Date64) => 0,
            (Field::Second | Field::Epoch, _) => 6,
            (Field::Millisecond, _) => 3,
            _ => 0,
        }
    }
}

/// The source types the functions take, as they are coerced to.
pub(crate) fn coerce_source(function: &str, source: &DataType) -> Result<DataType> {
    Ok(match source {
        DataType::Date32 | DataType::Date64 => DataType::Date32,
        DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
        DataType::Interval(_) | DataType::Duration(_) => {
            DataType::Interval(IntervalUnit::MonthDayNano)
        }
        DataType::Null => DataType::Timestamp(TimeUnit::Microsecond, None),
        other => {
            return plan_err!(
                "{function}: the source must be a date, timestamp or interval, got {other}"
            );
        }
    })
}

/// `field` of every row of `source` in millionths; `date_only` refuses the
/// time fields of a date, as PostgreSQL's `extract` does (its `date_part`
/// reads a date as a timestamp at midnight).
pub(crate) fn field_values(
    function: &str,
    field: Field,
    source: &ArrayRef,
    date_only: bool,
) -> Result<Vec<Option<i128>>> {
    let mut zones = ZoneCache::default();
    match source.data_type() {
        DataType::Date32 => {
            if date_only
                && matches!(
                    field,
                    Field::Hour
                        | Field::Minute
                        | Field::Second
                        | Field::Millisecond
                        | Field::Microsecond
                )
            {
                return Err(DataFusionError::NotImplemented(format!(
                    "{function}: unit \"{}\" not supported for type date",
                    format!("{field:?}").to_lowercase()
                )));
            }
            let days = source.as_primitive::<Date32Type>();
            (0..days.len())
                .map(|i| {
                    if days.is_null(i) {
                        return Ok(None);
                    }
                    let Some(date) = NaiveDate::from_num_days_from_ce_opt(days.value(i) + 719_163)
                    else {
                        return exec_err!("{function}: date out of range");
                    };
                    let t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
                    let epoch = i128::from(days.value(i)) * 86_400 * MILLION;
                    Ok(Some(timestamp_field(field, &t, 0, epoch)))
                })
                .collect()
        }
        DataType::Timestamp(_, zone) => {
            let micros = cast(source, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let micros = micros.as_primitive::<TimestampMicrosecondType>();
            let zone = zone.as_ref().map(Arc::clone);
            (0..micros.len())
                .map(|i| {
                    if micros.is_null(i) {
                        return Ok(None);
                    }
                    let us = micros.value(i);
                    let Some(utc) = DateTime::from_timestamp_micros(us) else {
                        return exec_err!("{function}: timestamp out of range");
                    };
                    let local = match &zone {
                        Some(name) => {
                            let Some(tz) = zones.get(name) else {
                                return exec_err!("{function}: unknown time zone '{name}'");
                            };
                            utc.with_timezone(&tz).naive_local()
                        }
                        None => utc.naive_utc(),
                    };
                    Ok(Some(timestamp_field(
                        field,
                        &local,
                        i128::from(us.rem_euclid(1_000_000)),
                        i128::from(us) * (MILLION / 1_000_000),
                    )))
                })
                .collect()
        }
        DataType::Interval(_) => {
            let intervals = source.as_primitive::<IntervalMonthDayNanoType>();
            (0..intervals.len())
                .map(|i| {
                    if intervals.is_null(i) {
                        return Ok(None);
                    }
                    let v = intervals.value(i);
                    interval_field(function, field, v.months, v.days, v.nanoseconds / 1000)
                        .map(Some)
                })
                .collect()
        }
        other => exec_err!("{function}: unexpected source type {other}"),
    }
}

/// A field of a local date and time (`fraction`: its microseconds within the
/// second; `epoch_micros`: the instant in microseconds since 1970, UTC).
fn timestamp_field(field: Field, t: &NaiveDateTime, fraction: i128, epoch_micros: i128) -> i128 {
    let year = i128::from(t.year());
    let whole = |v: i128| v * MILLION;
    match field {
        Field::Century => whole(if year > 0 {
            (year + 99) / 100
        } else {
            -((99 - (year - 1)) / 100)
        }),
        Field::Decade => whole(if year >= 0 {
            year / 10
        } else {
            -((8 - (year - 1)) / 10)
        }),
        Field::Millennium => whole(if year > 0 {
            (year + 999) / 1000
        } else {
            -((999 - (year - 1)) / 1000)
        }),
        Field::Year => whole(year),
        Field::IsoYear => whole(i128::from(t.iso_week().year())),
        Field::Quarter => whole(i128::from(t.month0() / 3 + 1)),
        Field::Month => whole(i128::from(t.month())),
        Field::Week => whole(i128::from(t.iso_week().week())),
        Field::Day => whole(i128::from(t.day())),
        Field::Dow => whole(i128::from(t.weekday().num_days_from_sunday())),
        Field::IsoDow => whole(i128::from(t.weekday().number_from_monday())),
        Field::Doy => whole(i128::from(t.ordinal())),
        Field::Hour => whole(i128::from(t.hour())),
        Field::Minute => whole(i128::from(t.minute())),
        Field::Second => whole(i128::from(t.second())) + fraction,
        Field::Millisecond => (whole(i128::from(t.second())) + fraction) * 1000,
        Field::Microsecond => (whole(i128::from(t.second())) + fraction) * MILLION,
        Field::Epoch => epoch_micros,
    }
}

/// A field of an interval (PostgreSQL's `interval_part`: years and months
/// from the months, the days, and the time split into hours beyond 24,
/// minutes and seconds; the epoch counts a year as 365.25 days and a month as 30).
fn interval_field(
    function: &str,
    field: Field,
    months: i32,
    days: i32,
    micros: i64,
) -> Result<i128> {
    let (months, days, micros) = (i128::from(months), i128::from(days), i128::from(micros));
    let whole = |v: i128| v * MILLION;
    let year = months / 12;
    Ok(match field {
        Field::Millennium => whole(year / 1000),
        Field::Century => whole(year / 100),
        Field::Decade => whole(year / 10),
        Field::Year => whole(year),
        Field::Quarter => whole((months % 12) / 3 + 1),
        Field::Month => whole(months % 12),
        Field::Day => whole(days),
        Field::Hour => whole(micros / 3_600_000_000),
        Field::Minute => whole(micros / 60_000_000 % 60),
        Field::Second => micros % 60_000_000,
        Field::Millisecond => micros % 60_000_000 * 1000,
        Field::Microsecond => micros % 60_000_000 * MILLION,
        Field::Epoch => {
            year * 31_557_600 * MILLION
                + (months % 12) * 30 * 86_400 * MILLION
                + days * 86_400 * MILLION
                + micros
        }
        other => {
            return Err(DataFusionError::NotImplemented(format!(
                "{function}: unit \"{}\" not supported for type interval",
                format!("{other:?}").to_lowercase()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, IntervalMonthDayNanoArray, TimestampMicrosecondArray};
    use arrow::datatypes::IntervalMonthDayNano;

    fn ts(s: &str) -> ArrayRef {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        Arc::new(TimestampMicrosecondArray::from(vec![
            t.and_utc().timestamp_micros(),
        ]))
    }

    fn one(field: &str, source: &ArrayRef) -> i128 {
        field_values(
            "extract",
            Field::parse("extract", field).unwrap(),
            source,
            true,
        )
        .unwrap()[0]
            .unwrap()
    }

    #[test]
    fn timestamp_fields_keep_the_fraction_of_seconds() {
        let t = ts("2026-06-07 10:30:45.5");
        assert_eq!(one("second", &t), 45_500_000);
        assert_eq!(one("milliseconds", &t), 45_500 * MILLION);
        assert_eq!(one("YEAR", &t), 2026 * MILLION);
        assert_eq!(one("dow", &t), 0);
        assert_eq!(one("isodow", &t), 7 * MILLION);
        assert_eq!(one("week", &t), 23 * MILLION);
        assert_eq!(one("century", &t), 21 * MILLION);
        assert_eq!(one("epoch", &t), 1_780_828_245_500_000);
    }

    #[test]
    fn dates_refuse_time_fields_in_extract() {
        let d: ArrayRef = Arc::new(Date32Array::from(vec![20_611]));
        assert_eq!(one("doy", &d), 158 * MILLION);
        let err = field_values("extract", Field::Hour, &d, true).unwrap_err();
        assert!(
            err.to_string().contains("not supported for type date"),
            "{err}"
        );
        assert_eq!(
            field_values("date_part", Field::Hour, &d, false).unwrap()[0],
            Some(0)
        );
    }

    #[test]
    fn interval_fields_follow_interval_part() {
        let iv: ArrayRef = Arc::new(IntervalMonthDayNanoArray::from(vec![
            IntervalMonthDayNano::new(14, 3, 36 * 3_600_000_000_000 + 90_500_000_000),
        ]));
        assert_eq!(one("year", &iv), MILLION);
        assert_eq!(one("month", &iv), 2 * MILLION);
        assert_eq!(one("day", &iv), 3 * MILLION);
        assert_eq!(one("hour", &iv), 36 * MILLION);
        assert_eq!(one("minute", &iv), MILLION);
        assert_eq!(one("second", &iv), 30_500_000);
        assert_eq!(
            one("epoch", &iv),
            (31_557_600 + 2 * 30 * 86_400 + 3 * 86_400 + 36 * 3600 + 90) * MILLION + 500_000
        );
    }

    #[test]
    fn unknown_and_unsupported_fields_are_errors() {
        assert!(Field::parse("extract", "fortnight").is_err());
        assert!(matches!(
            Field::parse("extract", "timezone"),
            Err(DataFusionError::NotImplemented(_))
        ));
    }
}
