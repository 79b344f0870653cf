//! `make_timestamp(year, month, day, hour, min, sec)`: PostgreSQL's
//! timestamp from its fields (`make_timestamp` and `make_timestamp_internal`
//! in src/backend/utils/adt/timestamp.c).
//!
//! - A negative year is BC (`-44` is 44 BC); year 0 does not exist. The date
//!   is checked as `ValidateDate` (src/backend/utils/adt/datetime.c) checks
//!   it: 22008 `date field value out of range: 2026-13-07`, with the
//!   arguments as given.
//! - Before 4714-11 BC or from 5874898-06 on (`IS_VALID_JULIAN`): 22008
//!   `date out of range: …`.
//! - The time is checked by `float_time_overflows`
//!   (src/backend/utils/adt/date.c): hours 0 to 24, minutes 0 to 59,
//!   seconds 0 to 60 after rounding to the microsecond (half to even, C's
//!   `rint`), at most 24:00:00 in all, so `make_timestamp(2026, 6, 7, 23,
//!   59, 60)` is the next midnight; otherwise 22008 `time field value out of
//!   range: 23:60:00`, the seconds printed by C's `%02g`.
//! - A timestamp from 294277-01-01 on, or before 4714-11-24 BC: 22008
//!   `timestamp out of range: 294277-01-01 0:00:00`. The last 30 years of
//!   PostgreSQL's range (after 294247) do not fit conversql's timestamps and
//!   fail with 0A000.
//!
//! The fields are PostgreSQL's `integer`s: a value beyond one is 22003
//! `integer out of range`. Strict: a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, TimestampMicrosecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, TimeUnit};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{coerce_integer, to_arrays, to_columnar, to_int64};
use crate::pg_datetime::{
    MICROS_PER_DAY, days_from_civil, days_in_month, end_timestamp, format_02g, min_timestamp,
};
use crate::sql_error::SqlError;

/// `make_timestamp(year, month, day, hour, min, sec)`: a timestamp without time zone.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `make_timestamp`: the timestamp without time zone of the given \
fields, a negative year being BC; seconds are rounded to the microsecond. A field out of range \
fails with SQLSTATE 22008 as in PostgreSQL. Returns NULL if an argument is NULL.",
    syntax_example = "make_timestamp(year, month, day, hour, min, sec)",
    sql_example = r"```sql
> SELECT make_timestamp(2026, 6, 7, 10, 30, 45.5) AS t;
+-------------------------+
| t                       |
+-------------------------+
| 2026-06-07T10:30:45.500 |
+-------------------------+
```",
    argument(name = "year", description = "The year, negative for BC."),
    argument(name = "month", description = "The month, 1 to 12."),
    argument(name = "day", description = "The day of the month."),
    argument(name = "hour", description = "The hour, 0 to 24."),
    argument(name = "min", description = "The minute, 0 to 59."),
    argument(name = "sec", description = "The seconds, 0 to 60, with a fraction.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeTimestampFunc {
    signature: Signature,
}

impl Default for MakeTimestampFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeTimestampFunc {
    /// Creates the `make_timestamp` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// `integer out of range` (SQLSTATE 22003).
fn integer_out_of_range() -> SqlError {
    SqlError::new("22003", "integer out of range")
}

/// `ValidateDate` of a year (negative for BC), month and day: the
/// astronomical year, or the year as it stood when the check failed.
pub(crate) fn validate_date(year: i32, month: i32, day: i32) -> Result<i64, i64> {
    let bc = year < 0;
    // C negates the year in an `int`: `INT_MIN` stays negative.
    let mut tm_year = i64::from(if bc { year.wrapping_neg() } else { year });
    if tm_year <= 0 {
        return Err(tm_year);
    }
    if bc {
        tm_year = -(tm_year - 1);
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(tm_year);
    }
    if day as u32 > days_in_month(tm_year, month as u32) {
        return Err(tm_year);
    }
    Ok(tm_year)
}

/// `IS_VALID_JULIAN` of an astronomical year and a month.
pub(crate) fn is_valid_julian(year: i64, month: i32) -> bool {
    (year > -4713 || (year == -4713 && month >= 11))
        && (year < 5_874_898 || (year == 5_874_898 && month < 6))
}

/// `float_time_overflows`: whether a time's fields are out of range.
pub(crate) fn time_overflows(hour: i32, min: i32, sec: f64) -> bool {
    if !(0..=24).contains(&hour) || !(0..60).contains(&min) || sec.is_nan() {
        return true;
    }
    let sec = (sec * 1_000_000.0).round_ties_even();
    if !(0.0..=60_000_000.0).contains(&sec) {
        return true;
    }
    (i64::from(hour * 60 + min) * 60 * 1_000_000) + sec as i64 > MICROS_PER_DAY
}

/// `make_timestamp_internal`: the wall-clock time of the fields, in
/// microseconds since 1970-01-01 00:00.
pub(crate) fn make_timestamp_micros(
    year: i32,
    month: i32,
    day: i32,
    hour: i32,
    min: i32,
    sec: f64,
) -> Result<i64, SqlError> {
    let Ok(astronomical) = validate_date(year, month, day) else {
        return Err(SqlError::new(
            "22008",
            format!("date field value out of range: {year}-{month:02}-{day:02}"),
        ));
    };
    if !is_valid_julian(astronomical, month) {
        return Err(SqlError::new(
            "22008",
            format!("date out of range: {year}-{month:02}-{day:02}"),
        ));
    }
    if time_overflows(hour, min, sec) {
        return Err(SqlError::new(
            "22008",
            format!(
                "time field value out of range: {hour}:{min:02}:{}",
                format_02g(sec)
            ),
        ));
    }
    let time =
        i64::from(hour * 60 + min) * 60 * 1_000_000 + (sec * 1_000_000.0).round_ties_even() as i64;
    let days = days_from_civil(astronomical, month as u32, day as u32);
    let micros = i128::from(days) * i128::from(MICROS_PER_DAY) + i128::from(time);
    if !(min_timestamp()..end_timestamp()).contains(&micros) {
        return Err(SqlError::new(
            "22008",
            format!(
                "timestamp out of range: {year}-{month:02}-{day:02} {hour}:{min:02}:{}",
                format_02g(sec)
            ),
        ));
    }
    i64::try_from(micros).map_err(|_| {
        SqlError::unsupported(format!(
            "timestamp {year}-{month:02}-{day:02} is beyond conversql's timestamps (year 294247)"
        ))
    })
}

/// Planning-time coercion of the six fields (the first five integers).
pub(crate) fn coerce_fields(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let names = ["year", "month", "day", "hour", "min"];
    let mut types = Vec::with_capacity(6);
    for (name, t) in names.iter().zip(arg_types) {
        types.push(coerce_integer(function, name, t)?);
    }
    match &arg_types[5] {
        t if t.is_numeric() || t.is_null() => types.push(DataType::Float64),
        other => return plan_err!("{function}: argument 'sec' must be a number, got {other}"),
    }
    Ok(types)
}

/// The six fields' arrays as `i32` columns and the seconds.
pub(crate) struct FieldArrays {
    ints: Vec<arrow::array::Int64Array>,
    secs: Float64Array,
}

impl FieldArrays {
    /// Reads the first six arrays.
    pub(crate) fn new(function: &str, arrays: &[ArrayRef]) -> Result<Self> {
        let ints = arrays[..5]
            .iter()
            .map(|a| to_int64(function, a))
            .collect::<Result<Vec<_>>>()?;
        let secs = cast(&arrays[5], &DataType::Float64)?;
        Ok(Self {
            ints,
            secs: secs.as_primitive::<Float64Type>().clone(),
        })
    }

    /// The wall-clock time of row `i`, `None` if a field is NULL.
    pub(crate) fn micros(&self, i: usize) -> Result<Option<i64>, SqlError> {
        if self.secs.is_null(i) || self.ints.iter().any(|a| a.is_null(i)) {
            return Ok(None);
        }
        let mut f = [0_i32; 5];
        for (field, a) in f.iter_mut().zip(&self.ints) {
            *field = i32::try_from(a.value(i)).map_err(|_| integer_out_of_range())?;
        }
        make_timestamp_micros(f[0], f[1], f[2], f[3], f[4], self.secs.value(i)).map(Some)
    }

    /// The number of rows.
    pub(crate) fn len(&self) -> usize {
        self.secs.len()
    }
}

impl ScalarUDFImpl for MakeTimestampFunc {
    fn name(&self) -> &'static str {
        "make_timestamp"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 6 {
            return plan_err!(
                "make_timestamp takes year, month, day, hour, min and sec, got {} arguments",
                arg_types.len()
            );
        }
        coerce_fields(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Timestamp(TimeUnit::Microsecond, None))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let fields = FieldArrays::new(self.name(), &arrays)?;
        let out = (0..fields.len())
            .map(|i| fields.micros(i))
            .collect::<Result<Vec<_>, _>>()?;
        to_columnar(Arc::new(TimestampMicrosecondArray::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(y: i32, mo: i32, d: i32, h: i32, mi: i32, s: f64) -> Result<String, String> {
        make_timestamp_micros(y, mo, d, h, mi, s)
            .map(|m| {
                chrono::DateTime::from_timestamp_micros(m)
                    .unwrap()
                    .naive_utc()
                    .format("%Y-%m-%d %H:%M:%S%.f")
                    .to_string()
            })
            .map_err(|e| format!("{} {}", e.sqlstate, e.message))
    }

    #[test]
    fn fields_make_postgresqls_timestamps() {
        // Each checked on PostgreSQL 15.
        assert_eq!(
            make(2026, 6, 7, 10, 30, 45.5).unwrap(),
            "2026-06-07 10:30:45.500"
        );
        assert_eq!(make(-44, 3, 15, 0, 0, 0.0).unwrap(), "-0043-03-15 00:00:00");
        assert_eq!(make(-1, 2, 29, 0, 0, 0.0).unwrap(), "0000-02-29 00:00:00");
        assert_eq!(make(-5, 2, 29, 0, 0, 0.0).unwrap(), "-0004-02-29 00:00:00");
        assert_eq!(
            make(2026, 6, 7, 10, 30, 59.999_999_9).unwrap(),
            "2026-06-07 10:31:00"
        );
        assert_eq!(make(2026, 6, 7, 24, 0, 0.0).unwrap(), "2026-06-08 00:00:00");
        assert_eq!(
            make(2026, 6, 7, 23, 59, 60.0).unwrap(),
            "2026-06-08 00:00:00"
        );
        assert_eq!(
            make(2026, 6, 7, 10, 30, -0.000_000_1).unwrap(),
            "2026-06-07 10:30:00"
        );
        assert_eq!(
            make(2026, 6, 7, 10, 30, 1.234_567_89).unwrap(),
            "2026-06-07 10:30:01.234568"
        );
        assert_eq!(
            make(2026, 6, 7, 10, 30, 0.000_000_5).unwrap(),
            "2026-06-07 10:30:00"
        );
        assert_eq!(
            make(2026, 6, 7, 10, 30, 0.000_001_5).unwrap(),
            "2026-06-07 10:30:00.000002"
        );
        assert_eq!(
            make(-4714, 11, 24, 0, 0, 0.0).unwrap(),
            "-4713-11-24 00:00:00"
        );
    }

    #[test]
    fn errors_are_postgresqls() {
        // Each checked on PostgreSQL 15.
        for (fields, error) in [
            (
                (2026, 13, 7, 10, 30, 0.0),
                "22008 date field value out of range: 2026-13-07",
            ),
            (
                (0, 1, 7, 10, 30, 0.0),
                "22008 date field value out of range: 0-01-07",
            ),
            (
                (2026, 2, 29, 10, 30, 0.0),
                "22008 date field value out of range: 2026-02-29",
            ),
            (
                (i32::MIN, 1, 1, 0, 0, 0.0),
                "22008 date field value out of range: -2147483648-01-01",
            ),
            (
                (i32::MAX, 1, 1, 0, 0, 0.0),
                "22008 date out of range: 2147483647-01-01",
            ),
            (
                (2026, 6, 7, 24, 0, 0.5),
                "22008 time field value out of range: 24:00:0.5",
            ),
            (
                (2026, 6, 7, 23, 60, 0.0),
                "22008 time field value out of range: 23:60:00",
            ),
            (
                (2026, 6, 7, 23, 59, 60.5),
                "22008 time field value out of range: 23:59:60.5",
            ),
            (
                (2026, 6, 7, 23, 59, -1.0),
                "22008 time field value out of range: 23:59:-1",
            ),
            (
                (2026, 6, 7, -1, 59, 1.0),
                "22008 time field value out of range: -1:59:01",
            ),
            (
                (2026, 6, 7, 1, 2, f64::NAN),
                "22008 time field value out of range: 1:02:NaN",
            ),
            (
                (2026, 6, 7, 1, 2, f64::INFINITY),
                "22008 time field value out of range: 1:02:Infinity",
            ),
            (
                (294_277, 1, 1, 0, 0, 0.0),
                "22008 timestamp out of range: 294277-01-01 0:00:00",
            ),
            (
                (-4714, 11, 23, 0, 0, 0.0),
                "22008 timestamp out of range: -4714-11-23 0:00:00",
            ),
        ] {
            let (y, mo, d, h, mi, s) = fields;
            assert_eq!(make(y, mo, d, h, mi, s).unwrap_err(), error);
        }
        assert!(
            make(294_276, 1, 1, 0, 0, 0.0)
                .unwrap_err()
                .starts_with("0A000")
        );
    }
}
