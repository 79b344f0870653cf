//! `justify_days(interval)`: PostgreSQL's whole months out of 30-day periods.

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

/// `justify_days(interval)`: every 24 hours of an interval as a day.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Turns every 30 days of an interval into a month, as PostgreSQL's `justify_days` does \
(`45 days` is `1 mon 15 days`); months and days keep one sign. Returns NULL if the interval is NULL.",
    syntax_example = "justify_days(interval)",
    sql_example = r"```sql
> SELECT justify_days(INTERVAL '45 days') AS iv;
+----------------+
| iv             |
+----------------+
| 1 mons 15 days |
+----------------+
```",
    argument(name = "interval", description = "An interval.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct JustifyDaysFunc {
    signature: Signature,
}

impl Default for JustifyDaysFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl JustifyDaysFunc {
    /// Creates the `justify_days` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Days in PostgreSQL's month of `justify_days`.
const DAYS_PER_MONTH: i32 = 30;

/// The interval with whole months out of its days, as PostgreSQL's `interval_justify_days`.
pub(crate) fn justify_days(v: IntervalMonthDayNano) -> Result<IntervalMonthDayNano> {
    let mut months = i64::from(v.months) + i64::from(v.days / DAYS_PER_MONTH);
    let mut days = v.days % DAYS_PER_MONTH;
    if months > 0 && days < 0 {
        days += DAYS_PER_MONTH;
        months -= 1;
    } else if months < 0 && days > 0 {
        days -= DAYS_PER_MONTH;
        months += 1;
    }
    let months = i32::try_from(months)
        .map_err(|_| SqlError::new("22008", "justify_days: interval out of range"))?;
    Ok(IntervalMonthDayNano::new(months, days, v.nanoseconds))
}

impl ScalarUDFImpl for JustifyDaysFunc {
    fn name(&self) -> &'static str {
        "justify_days"
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
            plan_err!("justify_days takes one interval, got {arg_types:?}")
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
            out.push(v.map(justify_days).transpose()?);
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
    fn whole_months_out_of_days_with_one_sign() {
        let j = |months, days| justify_days(IntervalMonthDayNano::new(months, days, 0)).unwrap();
        assert_eq!(j(0, 45), IntervalMonthDayNano::new(1, 15, 0));
        assert_eq!(j(1, -1), IntervalMonthDayNano::new(0, 29, 0));
        assert_eq!(j(0, -61), IntervalMonthDayNano::new(-2, -1, 0));
    }
}
