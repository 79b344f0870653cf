//! `interval_mul(interval, factor)`: PostgreSQL's `interval * number` (`interval_mul`).
//!
//! DataFusion cannot multiply or divide a month-day-nanosecond interval by a
//! number. PostgreSQL scales months, days and time separately and cascades
//! the fractions down (a fraction of a month as 30 days, of a day as 24
//! hours, time rounded to the microsecond); conversql plans the operator as
//! this function, which does the same arithmetic.

use std::sync::Arc;

use arrow::array::{Array, AsArray, IntervalMonthDayNanoArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float64Type, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit,
};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// Days in PostgreSQL's month of interval arithmetic.
const DAYS_PER_MONTH: f64 = 30.0;

/// Seconds in a day.
const SECS_PER_DAY: f64 = 86_400.0;

/// PostgreSQL's `TSROUND`: to the microsecond.
fn ts_round(x: f64) -> f64 {
    (x * 1_000_000.0).round_ties_even() / 1_000_000.0
}

fn out_of_range() -> datafusion::error::DataFusionError {
    SqlError::new("22008", "interval out of range").into()
}

#[allow(clippy::cast_possible_truncation)]
fn to_i32(x: f64) -> Result<i32> {
    if x.is_finite() && x.abs() < 2_147_483_648.0 {
        Ok(x.trunc() as i32)
    } else {
        Err(out_of_range())
    }
}

/// `interval_mul(interval, factor)`: `interval * factor`.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `interval * number` (and `number * interval`): months, days and time scaled \
separately, a fraction of a month cascading down as 30 days and of a day as 24 hours, time \
rounded to the microsecond. Returns NULL if either argument is NULL.",
    syntax_example = "interval_mul(interval, factor)",
    sql_example = r"```sql
> SELECT interval_mul(INTERVAL '1 day', 1.5) AS iv;
+-----------------+
| iv              |
+-----------------+
| 1 days 12 hours |
+-----------------+
```",
    argument(name = "interval", description = "An interval."),
    argument(name = "factor", description = "A number.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IntervalMulFunc {
    signature: Signature,
}

impl Default for IntervalMulFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl IntervalMulFunc {
    /// Creates the `interval_mul` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// PostgreSQL's `interval_mul`.
pub(crate) fn interval_mul(
    span: IntervalMonthDayNano,
    factor: f64,
) -> Result<IntervalMonthDayNano> {
    let (month, day) = (f64::from(span.months), f64::from(span.days));
    let time_micros = (span.nanoseconds / 1_000) as f64;
    let result_month = to_i32(month * factor)?;
    let mut result_day = to_i32(day * factor)?;
    let month_remainder_days =
        ts_round((month * factor - f64::from(result_month)) * DAYS_PER_MONTH);
    let mut sec_remainder = ts_round(
        (day * factor - f64::from(result_day) + month_remainder_days
            - month_remainder_days.trunc())
            * SECS_PER_DAY,
    );
    if sec_remainder.abs() >= SECS_PER_DAY {
        let whole = (sec_remainder / SECS_PER_DAY).trunc();
        result_day = result_day
            .checked_add(to_i32(whole)?)
            .ok_or_else(out_of_range)?;
        sec_remainder -= whole * SECS_PER_DAY;
    }
    result_day = result_day
        .checked_add(to_i32(month_remainder_days)?)
        .ok_or_else(out_of_range)?;
    let time = (time_micros * factor + sec_remainder * 1_000_000.0).round_ties_even();
    if !time.is_finite() || time.abs() >= 9.2e12 * 1_000.0 {
        return Err(out_of_range());
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(IntervalMonthDayNano::new(
        result_month,
        result_day,
        (time as i64) * 1_000,
    ))
}

impl ScalarUDFImpl for IntervalMulFunc {
    fn name(&self) -> &'static str {
        "interval_mul"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [DataType::Interval(_) | DataType::Null, f] if f.is_numeric() || f.is_null() => {
                Ok(vec![
                    DataType::Interval(IntervalUnit::MonthDayNano),
                    DataType::Float64,
                ])
            }
            _ => plan_err!("interval_mul takes an interval and a number, got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let spans = arrays[0].as_primitive::<IntervalMonthDayNanoType>();
        let factors = cast(&arrays[1], &DataType::Float64)?;
        let factors = factors.as_primitive::<Float64Type>();
        let mut out = Vec::with_capacity(spans.len());
        for i in 0..spans.len() {
            out.push(if spans.is_null(i) || factors.is_null(i) {
                None
            } else {
                Some(interval_mul(spans.value(i), factors.value(i))?)
            });
        }
        to_columnar(Arc::new(IntervalMonthDayNanoArray::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_cascade_down() {
        let hour = 3_600_000_000_000_i64;
        assert_eq!(
            interval_mul(IntervalMonthDayNano::new(0, 1, 0), 3.0).unwrap(),
            IntervalMonthDayNano::new(0, 3, 0)
        );
        assert_eq!(
            interval_mul(IntervalMonthDayNano::new(1, 0, 0), 1.5).unwrap(),
            IntervalMonthDayNano::new(1, 15, 0)
        );
        assert_eq!(
            interval_mul(IntervalMonthDayNano::new(0, 1, hour), 0.5).unwrap(),
            IntervalMonthDayNano::new(0, 0, 12 * hour + hour / 2)
        );
    }
}
