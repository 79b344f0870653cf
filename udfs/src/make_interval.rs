//! `make_interval(years, months, weeks, days, hours, mins, secs)`:
//! PostgreSQL's interval from its fields (`make_interval` in
//! src/backend/utils/adt/timestamp.c).
//!
//! Every argument defaults to 0 (src/include/catalog/pg_proc.dat), so 0 to
//! 7 of them may be given by position, or by name in order from `years`;
//! DataFusion fills no defaults before a named argument, so
//! `make_interval(days => 10)` fails (`Missing required parameter 'years'`)
//! where PostgreSQL answers `10 days`. Months are `years * 12 + months`, days `weeks * 7 + days`, time
//! `hours`, `mins` and `secs` in microseconds, the seconds rounded half to
//! even (C's `rint`). Infinite or NaN seconds fail with 22008 `interval out
//! of range`. Where PostgreSQL 15 overflows silently (months or days beyond
//! an `integer`, the time beyond 64 bits) conversql fails with 0A000, and so
//! does a time beyond the ±292 years of its nanosecond intervals. The
//! fields are `integer`s (22003 `integer out of range` beyond), the seconds
//! a `double precision`. Strict: a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, AsArray, IntervalMonthDayNanoArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, IntervalMonthDayNano, IntervalUnit};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{coerce_integer, to_arrays, to_columnar, to_int64};
use crate::sql_error::SqlError;

/// The parameters, in order.
const NAMES: [&str; 7] = ["years", "months", "weeks", "days", "hours", "mins", "secs"];

/// `make_interval(years, months, weeks, days, hours, mins, secs)`: an interval.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `make_interval`: the interval of the given fields, each 0 when \
left out at the end; seconds may have a fraction. Returns NULL if an argument is \
NULL.",
    syntax_example = "make_interval(years, months, weeks, days, hours, mins, secs)",
    sql_example = r"```sql
> SELECT make_interval(1, 2, 3, 4, 5, 6, 7.5) AS iv, make_interval(0, 0, 0, 10) AS d;
+-------------------------------------------------+---------+
| iv                                              | d       |
+-------------------------------------------------+---------+
| 14 mons 25 days 5 hours 6 mins 7.500000000 secs | 10 days |
+-------------------------------------------------+---------+
```",
    argument(name = "years", description = "Years, 0 by default."),
    argument(name = "months", description = "Months, 0 by default."),
    argument(name = "weeks", description = "Weeks, 0 by default."),
    argument(name = "days", description = "Days, 0 by default."),
    argument(name = "hours", description = "Hours, 0 by default."),
    argument(name = "mins", description = "Minutes, 0 by default."),
    argument(name = "secs", description = "Seconds with a fraction, 0 by default.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeIntervalFunc {
    signature: Signature,
}

impl Default for MakeIntervalFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeIntervalFunc {
    /// Creates the `make_interval` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable)
                .with_parameter_names(NAMES.to_vec())
                .expect("a user-defined signature takes parameter names"),
        }
    }
}

fn overflow() -> SqlError {
    SqlError::unsupported(
        "make_interval: the interval overflows (PostgreSQL 15 wraps it around silently)",
    )
}

/// PostgreSQL's `make_interval` of the integer fields and the seconds.
pub(crate) fn make_interval(ints: [i32; 6], secs: f64) -> Result<IntervalMonthDayNano, SqlError> {
    let [years, months, weeks, days, hours, mins] = ints.map(i64::from);
    if secs.is_nan() || secs.is_infinite() {
        return Err(SqlError::new("22008", "interval out of range"));
    }
    let month = i32::try_from(years * 12 + months).map_err(|_| overflow())?;
    let day = i32::try_from(weeks * 7 + days).map_err(|_| overflow())?;
    let secs = (secs * 1_000_000.0).round_ties_even();
    // `FLOAT8_FITS_IN_INT64`.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&secs) {
        return Err(overflow());
    }
    let time = (hours * 3_600_000_000 + mins * 60_000_000)
        .checked_add(secs as i64)
        .ok_or_else(overflow)?;
    let nanos = time.checked_mul(1_000).ok_or_else(|| {
        SqlError::unsupported(
            "make_interval: a time beyond 292 years is beyond conversql's intervals",
        )
    })?;
    Ok(IntervalMonthDayNano::new(month, day, nanos))
}

impl ScalarUDFImpl for MakeIntervalFunc {
    fn name(&self) -> &'static str {
        "make_interval"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() > 7 {
            return plan_err!(
                "make_interval takes at most 7 arguments, got {}",
                arg_types.len()
            );
        }
        arg_types
            .iter()
            .zip(NAMES)
            .map(|(t, name)| match name {
                "secs" if t.is_numeric() || t.is_null() => Ok(DataType::Float64),
                "secs" => plan_err!("make_interval: argument 'secs' must be a number, got {t}"),
                _ => coerce_integer(self.name(), name, t),
            })
            .collect()
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let given = arrays.len().min(6);
        let ints = arrays[..given]
            .iter()
            .map(|a| to_int64(self.name(), a))
            .collect::<Result<Vec<_>>>()?;
        let secs = arrays
            .get(6)
            .map(|a| cast(a, &DataType::Float64))
            .transpose()?;
        let secs = secs.as_ref().map(AsArray::as_primitive::<Float64Type>);
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            if ints.iter().any(|a| a.is_null(i)) || secs.is_some_and(|s| s.is_null(i)) {
                out.push(None);
                continue;
            }
            let mut fields = [0_i32; 6];
            for (field, a) in fields.iter_mut().zip(&ints) {
                *field = i32::try_from(a.value(i))
                    .map_err(|_| SqlError::new("22003", "integer out of range"))?;
            }
            let secs = secs.map_or(0.0, |s| s.value(i));
            out.push(Some(make_interval(fields, secs)?));
        }
        to_columnar(
            Arc::new(IntervalMonthDayNanoArray::from(out)),
            all_scalar || arrays.is_empty(),
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(months: i32, days: i32, micros: i64) -> IntervalMonthDayNano {
        IntervalMonthDayNano::new(months, days, micros * 1_000)
    }

    #[test]
    fn fields_make_postgresqls_intervals() {
        // Each checked on PostgreSQL 15.
        let hour = 3_600_000_000;
        assert_eq!(
            make_interval([1, 2, 3, 4, 5, 6], 7.5),
            Ok(iv(14, 25, 5 * hour + 6 * 60_000_000 + 7_500_000))
        );
        assert_eq!(make_interval([0; 6], 1.000_000_5), Ok(iv(0, 0, 1_000_001)));
        assert_eq!(make_interval([0; 6], 0.000_002_5), Ok(iv(0, 0, 2)));
        assert_eq!(make_interval([0; 6], -1.5), Ok(iv(0, 0, -1_500_000)));
        assert_eq!(make_interval([0; 6], -0.000_000_5), Ok(iv(0, 0, 0)));
        assert_eq!(
            make_interval([-1, -2, -3, 0, 0, 0], 0.0),
            Ok(iv(-14, -21, 0))
        );
        assert_eq!(
            make_interval([0; 6], f64::INFINITY).unwrap_err().message,
            "interval out of range"
        );
        // PostgreSQL 15 answers -1 years and -2147483643 days.
        assert_eq!(
            make_interval([i32::MAX, 0, 0, 0, 0, 0], 0.0)
                .unwrap_err()
                .sqlstate,
            "0A000"
        );
        assert_eq!(
            make_interval([0, 0, 306_783_379, 0, 0, 0], 0.0)
                .unwrap_err()
                .sqlstate,
            "0A000"
        );
        assert_eq!(make_interval([0; 6], 1e300).unwrap_err().sqlstate, "0A000");
    }
}
