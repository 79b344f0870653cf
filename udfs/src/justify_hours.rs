//! `justify_hours(interval)`: PostgreSQL's whole days out of 24-hour periods.
//!
//! Also what `timestamp - timestamp` is in PostgreSQL (`6 days 02:30:00`
//! where DataFusion's difference is `146:30:00`); conversql plans that
//! difference through this function.

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

/// Nanoseconds in a day.
const NANOS_PER_DAY: i64 = 86_400_000_000_000;

/// `justify_hours(interval)`: every 24 hours of an interval as a day.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Turns every 24 hours of an interval into a day, as PostgreSQL's \
`justify_hours` does (`36 hours` is `1 day 12:00:00`); days and time keep one sign. \
Returns NULL if the interval is NULL.",
    syntax_example = "justify_hours(interval)",
    sql_example = r"```sql
> SELECT justify_hours(INTERVAL '36 hours') AS iv;
+-----------------+
| iv              |
+-----------------+
| 1 days 12 hours |
+-----------------+
```",
    argument(name = "interval", description = "An interval.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JustifyHoursFunc {
    signature: Signature,
}

impl Default for JustifyHoursFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl JustifyHoursFunc {
    /// Creates the `justify_hours` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The interval with whole days out of its time, as PostgreSQL's `interval_justify_hours`.
pub(crate) fn justify_hours(v: IntervalMonthDayNano) -> Result<IntervalMonthDayNano> {
    let mut days = i64::from(v.days) + v.nanoseconds / NANOS_PER_DAY;
    let mut nanos = v.nanoseconds % NANOS_PER_DAY;
    if days > 0 && nanos < 0 {
        nanos += NANOS_PER_DAY;
        days -= 1;
    } else if days < 0 && nanos > 0 {
        nanos -= NANOS_PER_DAY;
        days += 1;
    }
    let days = i32::try_from(days)
        .map_err(|_| SqlError::new("22008", "justify_hours: interval out of range"))?;
    Ok(IntervalMonthDayNano::new(v.months, days, nanos))
}

impl ScalarUDFImpl for JustifyHoursFunc {
    fn name(&self) -> &'static str {
        "justify_hours"
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
            plan_err!("justify_hours takes one interval, got {arg_types:?}")
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
            out.push(v.map(justify_hours).transpose()?);
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
    fn whole_days_out_of_hours_with_one_sign() {
        let hour = 3_600_000_000_000_i64;
        let j = |days, nanos| justify_hours(IntervalMonthDayNano::new(0, days, nanos)).unwrap();
        assert_eq!(
            j(0, 146 * hour + hour / 2),
            IntervalMonthDayNano::new(0, 6, 2 * hour + hour / 2)
        );
        assert_eq!(j(1, -hour), IntervalMonthDayNano::new(0, 0, 23 * hour));
        assert_eq!(j(0, -25 * hour), IntervalMonthDayNano::new(0, -1, -hour));
        assert_eq!(j(-1, 2 * hour), IntervalMonthDayNano::new(0, 0, -22 * hour));
    }
}
