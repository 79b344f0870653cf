//! `justify_interval(interval)`: PostgreSQL's `justify_days` of `justify_hours`, with one sign.

use std::sync::Arc;

use arrow::array::{AsArray, IntervalMonthDayNanoArray};
use arrow::datatypes::{DataType, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// `justify_interval(interval)`: every 24 hours of an interval as a day.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Turns every 24 hours of an interval into a day and every 30 days into a month, with one sign \
throughout, as PostgreSQL's `justify_interval` does (`1 mon -1 hour` is `29 days 23:00:00`). \
Returns NULL if the interval is NULL.",
    syntax_example = "justify_interval(interval)",
    sql_example = r"```sql
> SELECT justify_interval(INTERVAL '1 month -1 hour') AS iv;
+------------------+
| iv               |
+------------------+
| 29 days 23 hours |
+------------------+
```",
    argument(name = "interval", description = "An interval.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JustifyIntervalFunc {
    signature: Signature,
}

impl Default for JustifyIntervalFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl JustifyIntervalFunc {
    /// Creates the `justify_interval` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Days in PostgreSQL's month of `justify_interval`.
const DAYS_PER_MONTH: i64 = 30;

/// Nanoseconds in a day.
const DAY: i64 = 86_400_000_000_000;

/// `justify_days(justify_hours(v))` with one sign, as PostgreSQL's `interval_justify_interval`.
pub(crate) fn justify_interval(v: IntervalMonthDayNano) -> Result<IntervalMonthDayNano> {
    let (mut month, mut day, mut time) = (i64::from(v.months), i64::from(v.days), v.nanoseconds);
    if (day > 0 && time > 0) || (day < 0 && time < 0) {
        month += day / DAYS_PER_MONTH;
        day %= DAYS_PER_MONTH;
    }
    day += time / DAY;
    time %= DAY;
    month += day / DAYS_PER_MONTH;
    day %= DAYS_PER_MONTH;
    if month > 0 && (day < 0 || (day == 0 && time < 0)) {
        day += DAYS_PER_MONTH;
        month -= 1;
    } else if month < 0 && (day > 0 || (day == 0 && time > 0)) {
        day -= DAYS_PER_MONTH;
        month += 1;
    }
    if day > 0 && time < 0 {
        time += DAY;
        day -= 1;
    } else if day < 0 && time > 0 {
        time -= DAY;
        day += 1;
    }
    let out_of_range = || SqlError::new("22008", "justify_interval: interval out of range");
    Ok(IntervalMonthDayNano::new(
        i32::try_from(month).map_err(|_| out_of_range())?,
        i32::try_from(day).map_err(|_| out_of_range())?,
        time,
    ))
}

impl ScalarUDFImpl for JustifyIntervalFunc {
    fn name(&self) -> &'static str {
        "justify_interval"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let [DataType::Interval(_) | DataType::Duration(_) | DataType::Null | DataType::Utf8] =
            arg_types
        {
            Ok(vec![DataType::Interval(IntervalUnit::MonthDayNano)])
        } else {
            plan_err!("justify_interval takes one interval, got {arg_types:?}")
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(IntervalUnit::MonthDayNano))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let values = arrays[0].as_primitive::<IntervalMonthDayNanoType>();
        let mut out = Vec::with_capacity(values.len());
        for v in values {
            out.push(v.map(justify_interval).transpose()?);
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
    fn months_days_and_time_with_one_sign() {
        let hour = 3_600_000_000_000_i64;
        let j = |m, d, t| justify_interval(IntervalMonthDayNano::new(m, d, t)).unwrap();
        assert_eq!(j(1, 0, -hour), IntervalMonthDayNano::new(0, 29, 23 * hour));
        assert_eq!(
            j(0, 0, 50 * hour),
            IntervalMonthDayNano::new(0, 2, 2 * hour)
        );
        assert_eq!(j(0, 35, 0), IntervalMonthDayNano::new(1, 5, 0));
    }
}
