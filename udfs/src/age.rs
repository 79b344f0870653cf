//! `age(a, b)` and `age(a)`: PostgreSQL's symbolic difference of timestamps.
//!
//! As `timestamp_age` and `timestamptz_age` in
//! src/backend/utils/adt/timestamp.c compute it: both timestamps are broken
//! into fields (`timestamp2tm`; a `timestamptz` in the session's time zone),
//! the fields are subtracted one by one (the later minus the earlier, the
//! sign restored at the end), and a negative field borrows from the next:
//! 60 seconds, 60 minutes, 24 hours, the days of **the earlier timestamp's
//! month** (`day_tab[isleap(year)][mon - 1]` of the earlier one, so
//! `age('2026-06-07', '2000-02-29')` is `26 years 3 mons 7 days`: February
//! 2000's 29 days), 12 months. The answer is an interval of months, days
//! and time.
//!
//! Overloads as PostgreSQL resolves them (src/backend/parser/parse_func.c,
//! `func_select_candidate`): two `timestamp`s (or a `timestamp` and a
//! `date`) use `timestamp_age`; anything with a `timestamptz`, and two
//! `date`s (`timestamptz` being the preferred type), use `timestamptz_age`,
//! a `date` or `timestamp` being read as wall-clock time in the session's
//! time zone (`date2timestamptz`, `timestamp2timestamptz`).
//!
//! `age(ts)` is `age(CURRENT_DATE, ts)` (src/include/catalog/pg_proc.dat:
//! `select pg_catalog.age(cast(current_date as timestamp…), $1)`), the date
//! being the statement's start in the session's time zone, as DataFusion's
//! `current_date`; the call is rewritten into that during planning.
//!
//! A timestamp outside PostgreSQL's range fails with 22008 `timestamp out of
//! range`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, IntervalMonthDayNanoArray};
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::datatypes::{
    DataType, Date32Type, IntervalMonthDayNano, IntervalUnit, TimeUnit, TimestampMicrosecondType,
};
use chrono_tz::Tz;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{UTC, to_arrays, to_columnar};
use crate::pg_datetime::{
    Fields, MICROS_PER_DAY, days_in_month, end_timestamp, fields, from_local, min_timestamp,
    session_zone, to_local,
};
use crate::sql_error::SqlError;

/// `age(a, b)`: the difference of two timestamps in years, months, days and time.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `age`: `a - b` as years, months, days and time, each field \
subtracted separately and a negative day borrowing the days of the earlier timestamp's month. \
Timestamps with time zone (and two dates) are compared as wall-clock times in the session's time \
zone. With one argument, the age at midnight of the current date. Returns NULL if an argument is \
NULL.",
    syntax_example = "age(a, b)",
    sql_example = r"```sql
> SELECT age(TIMESTAMP '2026-06-07 00:00:00', TIMESTAMP '2025-01-15 12:00:00') AS a, age(DATE '2026-06-07', DATE '2000-02-29') AS b;
+--------------------------+-----------------+
| a                        | b               |
+--------------------------+-----------------+
| 16 mons 22 days 12 hours | 315 mons 7 days |
+--------------------------+-----------------+
```",
    argument(
        name = "a",
        description = "A timestamp with or without time zone, or a date."
    ),
    argument(
        name = "b",
        description = "A timestamp with or without time zone, or a date (absent: `a` is \
subtracted from the current date)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AgeFunc {
    signature: Signature,
}

impl Default for AgeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl AgeFunc {
    /// Creates the `age` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The symbolic difference `f1 - f2`, as `timestamp_age`; `first_is_earlier`
/// is `dt1 < dt2` of the timestamps themselves.
pub(crate) fn age_of_fields(
    f1: Fields,
    f2: Fields,
    first_is_earlier: bool,
) -> IntervalMonthDayNano {
    let sign = if first_is_earlier { -1 } else { 1 };
    let mut micros = sign * (f1.micros - f2.micros);
    let mut sec = sign * (f1.second - f2.second);
    let mut min = sign * (f1.minute - f2.minute);
    let mut hour = sign * (f1.hour - f2.hour);
    let mut day = sign * (i64::from(f1.day) - i64::from(f2.day));
    let mut mon = sign * (i64::from(f1.month) - i64::from(f2.month));
    let mut year = sign * (f1.year - f2.year);
    while micros < 0 {
        micros += 1_000_000;
        sec -= 1;
    }
    while sec < 0 {
        sec += 60;
        min -= 1;
    }
    while min < 0 {
        min += 60;
        hour -= 1;
    }
    while hour < 0 {
        hour += 24;
        day -= 1;
    }
    let earlier = if first_is_earlier { f1 } else { f2 };
    while day < 0 {
        day += i64::from(days_in_month(earlier.year, earlier.month));
        mon -= 1;
    }
    while mon < 0 {
        mon += 12;
        year -= 1;
    }
    let time = (((hour * 60 + min) * 60 + sec) * 1_000_000 + micros) * 1_000;
    // Years within PostgreSQL's range: the months fit an `i32`.
    IntervalMonthDayNano::new(
        (sign * (year * 12 + mon)) as i32,
        (sign * day) as i32,
        sign * time,
    )
}

fn out_of_range() -> SqlError {
    SqlError::new("22008", "timestamp out of range")
}

/// Whether the overload is `timestamptz_age`: an argument is a `timestamptz`,
/// or none is a `timestamp` (dates and unknowns prefer `timestamptz`).
fn is_timestamptz_age<'a>(types: impl Iterator<Item = &'a DataType> + Clone) -> bool {
    types
        .clone()
        .any(|t| matches!(t, DataType::Timestamp(_, Some(_))))
        || !types
            .into_iter()
            .any(|t| matches!(t, DataType::Timestamp(_, None)))
}

/// Each row's timestamp (for the comparison) and its wall-clock fields.
fn timestamps(
    function: &str,
    array: &ArrayRef,
    zone: Option<Tz>,
) -> Result<Vec<Option<(i64, Fields)>>> {
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    let resolve = |instant: i64, local: i64| -> Result<(i64, Fields), SqlError> {
        if !(min_timestamp()..end_timestamp()).contains(&i128::from(instant)) {
            return Err(out_of_range());
        }
        Ok((instant, fields(local)))
    };
    let mut out = Vec::with_capacity(array.len());
    match array.data_type() {
        DataType::Null => out.resize(array.len(), None),
        DataType::Date32 | DataType::Date64 => {
            let dates = cast_with_options(array, &DataType::Date32, &strict)?;
            for d in dates.as_primitive::<Date32Type>() {
                let Some(d) = d else {
                    out.push(None);
                    continue;
                };
                let local = i64::from(d) * MICROS_PER_DAY;
                out.push(Some(match zone {
                    None => resolve(local, local)?,
                    Some(zone) => {
                        let instant = from_local(function, local, zone)?;
                        resolve(instant, to_local(function, instant, zone)?)?
                    }
                }));
            }
        }
        DataType::Timestamp(_, tz) => {
            let micros = cast_with_options(
                array,
                &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
                &strict,
            )?;
            for v in micros.as_primitive::<TimestampMicrosecondType>() {
                let Some(v) = v else {
                    out.push(None);
                    continue;
                };
                out.push(Some(match (zone, tz) {
                    (None, _) => resolve(v, v)?,
                    (Some(zone), Some(_)) => resolve(v, to_local(function, v, zone)?)?,
                    (Some(zone), None) => {
                        let instant = from_local(function, v, zone)?;
                        resolve(instant, to_local(function, instant, zone)?)?
                    }
                }));
            }
        }
        other => return exec_err!("{function}: expected a timestamp or a date, got {other}"),
    }
    Ok(out)
}

impl ScalarUDFImpl for AgeFunc {
    fn name(&self) -> &'static str {
        "age"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() || arg_types.len() > 2 {
            return plan_err!("age takes one or two timestamps, got {}", arg_types.len());
        }
        for t in arg_types {
            if !matches!(
                t,
                DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 | DataType::Null
            ) {
                return plan_err!(
                    "age takes timestamps or dates, got {t} (cast text to timestamp, timestamptz or date)"
                );
            }
        }
        let tz = is_timestamptz_age(arg_types.iter());
        Ok(arg_types
            .iter()
            .map(|t| match t {
                DataType::Null if tz => {
                    DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()))
                }
                DataType::Null => DataType::Timestamp(TimeUnit::Microsecond, None),
                DataType::Date64 => DataType::Date32,
                other => other.clone(),
            })
            .collect())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        if args.len() != 1 {
            return Ok(ExprSimplifyResult::Original(args));
        }
        let Some(start) = info.query_execution_start_time() else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let zone = session_zone("age", info.config_options())?;
        let today = to_local("age", start.timestamp_micros(), zone)?.div_euclid(MICROS_PER_DAY);
        let today = Expr::Literal(ScalarValue::Date32(Some(today as i32)), None);
        let mut two = vec![today];
        two.extend(args);
        Ok(ExprSimplifyResult::Simplified(Expr::ScalarFunction(
            datafusion::logical_expr::expr::ScalarFunction::new_udf(
                Arc::new(datafusion::logical_expr::ScalarUDF::new_from_impl(
                    AgeFunc::new(),
                )),
                two,
            ),
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        if args.args.len() != 2 {
            return exec_err!(
                "age(timestamp) is replaced by age(current_date, timestamp) during planning \
                 and cannot be evaluated directly"
            );
        }
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let zone = if is_timestamptz_age(arrays.iter().map(Array::data_type)) {
            Some(session_zone(self.name(), &args.config_options)?)
        } else {
            None
        };
        let a = timestamps(self.name(), &arrays[0], zone)?;
        let b = timestamps(self.name(), &arrays[1], zone)?;
        let out: Vec<_> = a
            .into_iter()
            .zip(b)
            .map(|pair| match pair {
                (Some((t1, f1)), Some((t2, f2))) => Some(age_of_fields(f1, f2, t1 < t2)),
                _ => None,
            })
            .collect();
        to_columnar(Arc::new(IntervalMonthDayNanoArray::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pg_datetime::days_from_civil;

    fn ts(text: &str) -> i64 {
        let (date, time) = text.split_once(' ').unwrap_or((text, "00:00:00"));
        let mut d = date.split('-').map(|p| p.parse::<i64>().unwrap());
        let (y, m, day) = (d.next().unwrap(), d.next().unwrap(), d.next().unwrap());
        let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
        let mut t = hms.split(':').map(|p| p.parse::<i64>().unwrap());
        let secs = t.next().unwrap() * 3600 + t.next().unwrap() * 60 + t.next().unwrap();
        let micros: i64 = format!("{frac:0<6}").parse().unwrap();
        days_from_civil(y, m as u32, day as u32) * MICROS_PER_DAY + secs * 1_000_000 + micros
    }

    fn age(a: &str, b: &str) -> IntervalMonthDayNano {
        let (a, b) = (ts(a), ts(b));
        age_of_fields(fields(a), fields(b), a < b)
    }

    fn iv(months: i32, days: i32, micros: i64) -> IntervalMonthDayNano {
        IntervalMonthDayNano::new(months, days, micros * 1_000)
    }

    #[test]
    fn fields_borrow_as_postgresql_borrows() {
        // Each checked on PostgreSQL 15.
        let hour = 3_600_000_000;
        assert_eq!(
            age("2026-06-07 00:00:00", "2025-01-15 12:00:00"),
            iv(16, 22, 12 * hour)
        );
        assert_eq!(
            age("2025-01-15 12:00:00", "2026-06-07 00:00:00"),
            iv(-16, -22, -12 * hour)
        );
        assert_eq!(age("2026-06-07", "2000-02-29"), iv(315, 7, 0));
        assert_eq!(age("2026-03-31", "2026-02-28"), iv(1, 3, 0));
        assert_eq!(age("2026-02-28", "2026-03-31"), iv(-1, -3, 0));
        assert_eq!(age("2026-03-01", "2026-01-31"), iv(1, 1, 0));
        assert_eq!(age("2026-01-31", "2026-03-01"), iv(-1, -1, 0));
        assert_eq!(age("2024-03-01", "2024-01-31"), iv(1, 1, 0));
        assert_eq!(
            age("2026-06-07 10:00:00.25", "2026-06-07 10:00:00.5"),
            iv(0, 0, -250_000)
        );
        // 0044-03-15 BC is the astronomical year -43.
        let bc = days_from_civil(-43, 3, 15) * MICROS_PER_DAY;
        assert_eq!(
            age_of_fields(fields(ts("2026-06-07")), fields(bc), false),
            iv(2069 * 12 + 2, 23, 0)
        );
        assert_eq!(age("0001-01-01", "0000-12-31"), iv(0, 1, 0));
        assert_eq!(age("2026-06-07", "2026-06-07"), iv(0, 0, 0));
    }

    #[test]
    fn overloads_are_resolved_as_postgresql_resolves_them() {
        let naive = DataType::Timestamp(TimeUnit::Microsecond, None);
        let tz = DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()));
        assert!(!is_timestamptz_age([naive.clone(), naive.clone()].iter()));
        assert!(!is_timestamptz_age(
            [DataType::Date32, naive.clone()].iter()
        ));
        assert!(!is_timestamptz_age([DataType::Null, naive.clone()].iter()));
        assert!(is_timestamptz_age(
            [DataType::Date32, DataType::Date32].iter()
        ));
        assert!(is_timestamptz_age([naive, tz].iter()));
    }

    /// `age` of two scalars in a session whose time zone is `zone`.
    fn age_in(zone: &str, a: ScalarValue, b: ScalarValue) -> ScalarValue {
        use arrow::datatypes::Field;
        use datafusion::common::config::ConfigOptions;
        let mut config = ConfigOptions::default();
        config.execution.time_zone = Some(zone.to_string());
        let args = vec![ColumnarValue::Scalar(a), ColumnarValue::Scalar(b)];
        let arg_fields = args
            .iter()
            .map(|a| Arc::new(Field::new("a", a.data_type(), true)))
            .collect();
        let result = AgeFunc::new()
            .invoke_with_args(ScalarFunctionArgs {
                args,
                arg_fields,
                number_rows: 1,
                return_field: Arc::new(Field::new(
                    "age",
                    DataType::Interval(IntervalUnit::MonthDayNano),
                    true,
                )),
                config_options: Arc::new(config),
            })
            .unwrap();
        match result {
            ColumnarValue::Scalar(s) => s,
            ColumnarValue::Array(_) => panic!("expected a scalar"),
        }
    }

    #[test]
    fn timestamptz_and_dates_are_compared_in_the_session_zone() {
        // Each checked on PostgreSQL 15.
        let hour = 3_600_000_000;
        let date = |s: &str| ScalarValue::Date32(Some((ts(s) / MICROS_PER_DAY) as i32));
        let instant = |s: &str, offset_hours: i64| {
            ScalarValue::TimestampMicrosecond(Some(ts(s) - offset_hours * hour), Some(UTC.into()))
        };
        let naive = |s: &str| ScalarValue::TimestampMicrosecond(Some(ts(s)), None);
        let interval = |v| ScalarValue::IntervalMonthDayNano(Some(v));
        let ny = "America/New_York";
        assert_eq!(
            age_in(ny, instant("2026-03-09", -4), instant("2026-03-08", -5)),
            interval(iv(0, 1, 0))
        );
        assert_eq!(
            age_in(ny, date("2026-03-09"), date("2026-03-08")),
            interval(iv(0, 1, 0))
        );
        assert_eq!(
            age_in(ny, naive("2026-03-08 12:00:00"), instant("2026-03-08", -5)),
            interval(iv(0, 0, 12 * hour))
        );
        // Midnight of 2018-11-04 did not exist in São Paulo: it is 01:00.
        let sp = "America/Sao_Paulo";
        assert_eq!(
            age_in(sp, date("2018-11-05"), date("2018-11-04")),
            interval(iv(0, 0, 23 * hour))
        );
        assert_eq!(
            age_in(sp, date("2018-11-04"), date("2018-11-03")),
            interval(iv(0, 1, hour))
        );
        assert_eq!(
            age_in(sp, date("2018-11-04"), date("2018-11-05")),
            interval(iv(0, 0, -23 * hour))
        );
        // Two timestamps without time zone ignore the session's.
        assert_eq!(
            age_in(
                sp,
                naive("2018-11-05 00:00:00"),
                naive("2018-11-04 00:00:00")
            ),
            interval(iv(0, 1, 0))
        );
    }
}
