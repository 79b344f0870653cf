//! `make_time(hour, min, sec)`: PostgreSQL's time of day from its fields
//! (`make_time` in src/backend/utils/adt/date.c), replacing DataFusion's.
//!
//! DataFusion's `make_time` takes whole seconds (an `integer`) and answers in
//! seconds. PostgreSQL's takes `sec` as a `double precision`, rounded to the
//! microsecond (half to even, C's `rint`), and checks the fields with
//! `float_time_overflows` (hours 0 to 24, minutes 0 to 59, seconds 0 to 60,
//! at most 24:00:00 in all): otherwise 22008 `time field value out of range:
//! 24:00:0.5`, the seconds printed by C's `%02g`. PostgreSQL's `time` holds
//! 24:00:00 itself, which conversql's times (before midnight) do not: that
//! answer fails with 0A000. Strict: a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Time64MicrosecondArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, TimeUnit};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{coerce_integer, to_arrays, to_columnar, to_int64};
use crate::make_timestamp::time_overflows;
use crate::pg_datetime::{MICROS_PER_DAY, format_02g};
use crate::sql_error::SqlError;

/// `make_time(hour, min, sec)`: a time of day.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `make_time`: the time of day of the given hour, minute and \
seconds (with a fraction, rounded to the microsecond). A field out of range fails with SQLSTATE \
22008 as in PostgreSQL. Returns NULL if an argument is NULL.",
    syntax_example = "make_time(hour, min, sec)",
    sql_example = r"```sql
> SELECT make_time(10, 30, 45.5) AS t;
+--------------+
| t            |
+--------------+
| 10:30:45.500 |
+--------------+
```",
    argument(name = "hour", description = "The hour, 0 to 24."),
    argument(name = "min", description = "The minute, 0 to 59."),
    argument(name = "sec", description = "The seconds, 0 to 60, with a fraction.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeTimeFunc {
    signature: Signature,
}

impl Default for MakeTimeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeTimeFunc {
    /// Creates the `make_time` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// PostgreSQL's `make_time`: microseconds since midnight.
pub(crate) fn make_time(hour: i32, min: i32, sec: f64) -> Result<i64, SqlError> {
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
    if time == MICROS_PER_DAY {
        return Err(SqlError::unsupported(
            "make_time: 24:00:00 is beyond conversql's times of day",
        ));
    }
    Ok(time)
}

impl ScalarUDFImpl for MakeTimeFunc {
    fn name(&self) -> &'static str {
        "make_time"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [hour, min, sec] = arg_types else {
            return plan_err!(
                "make_time takes an hour, a minute and seconds, got {} arguments",
                arg_types.len()
            );
        };
        if !(sec.is_numeric() || sec.is_null()) {
            return plan_err!("make_time: argument 'sec' must be a number, got {sec}");
        }
        Ok(vec![
            coerce_integer(self.name(), "hour", hour)?,
            coerce_integer(self.name(), "min", min)?,
            DataType::Float64,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Time64(TimeUnit::Microsecond))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let hours = to_int64(self.name(), &arrays[0])?;
        let mins = to_int64(self.name(), &arrays[1])?;
        let secs = cast(&arrays[2], &DataType::Float64)?;
        let secs = secs.as_primitive::<Float64Type>();
        let mut out = Vec::with_capacity(secs.len());
        for i in 0..secs.len() {
            if hours.is_null(i) || mins.is_null(i) || secs.is_null(i) {
                out.push(None);
                continue;
            }
            let int = |v: i64| {
                i32::try_from(v).map_err(|_| SqlError::new("22003", "integer out of range"))
            };
            out.push(Some(make_time(
                int(hours.value(i))?,
                int(mins.value(i))?,
                secs.value(i),
            )?));
        }
        to_columnar(Arc::new(Time64MicrosecondArray::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_errors_are_postgresqls() {
        // Each checked on PostgreSQL 15.
        let s = 1_000_000;
        assert_eq!(
            make_time(10, 30, 45.5),
            Ok((10 * 3600 + 30 * 60) * s + 45 * s + s / 2)
        );
        assert_eq!(
            make_time(10, 30, 59.999_999_9),
            Ok((10 * 3600 + 31 * 60) * s)
        );
        assert_eq!(
            make_time(24, 0, 0.5).unwrap_err().message,
            "time field value out of range: 24:00:0.5"
        );
        assert_eq!(
            make_time(-1, 0, 0.0).unwrap_err().message,
            "time field value out of range: -1:00:00"
        );
        // PostgreSQL answers 24:00:00.
        assert_eq!(make_time(24, 0, 0.0).unwrap_err().sqlstate, "0A000");
        assert_eq!(make_time(23, 59, 60.0).unwrap_err().sqlstate, "0A000");
    }
}
