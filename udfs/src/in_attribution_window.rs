//! `in_attribution_window(touch_at, placed_at, window_hours)`: whether an
//! order falls in a touch point's attribution window.

use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    MICROS_PER_HOUR, check_args, check_arity, coerce_integer, coerce_timestamp, to_arrays,
    to_columnar, to_int64, to_utc_micros,
};

/// `in_attribution_window(touch_at, placed_at, window_hours)`: whether an order falls in a touch
/// point's attribution window.
#[user_doc(
    doc_section(label = "Other Functions"),
    description = "Returns true if and only if `touch_at < placed_at` and \
`placed_at <= touch_at + window_hours hours`, to the microsecond: an order placed exactly at the \
end of the window is attributed, one placed at the touch itself is not. A window of 0 hours or \
less is never satisfied (0 turns the touch point off). Returns NULL if any argument is NULL.",
    syntax_example = "in_attribution_window(touch_at, placed_at, window_hours)",
    sql_example = r"```sql
> SELECT in_attribution_window(TIMESTAMP '2026-06-01T10:00:00Z',
      TIMESTAMP '2026-06-02T10:00:00Z', 24) AS attributed;
+------------+
| attributed |
+------------+
| true       |
+------------+
```",
    argument(name = "touch_at", description = "The instant of the touch point."),
    argument(name = "placed_at", description = "The instant the order was placed."),
    argument(
        name = "window_hours",
        description = "The window length in hours (any integer type), usually `attribution_window_hours(...)`."
    ),
    related_udf(name = "attribution_window_hours")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct InAttributionWindowFunc {
    signature: Signature,
}

impl Default for InAttributionWindowFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl InAttributionWindowFunc {
    /// Creates the `in_attribution_window` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for InAttributionWindowFunc {
    fn name(&self) -> &'static str {
        "in_attribution_window"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 3)?;
        Ok(vec![
            coerce_timestamp(self.name(), "touch_at", &arg_types[0])?,
            coerce_timestamp(self.name(), "placed_at", &arg_types[1])?,
            coerce_integer(self.name(), "window_hours", &arg_types[2])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = in_attribution_window(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Whether an order placed at `placed_at` (µs) falls in the window of
/// `window_hours` hours opened by a touch at `touch_at` (µs).
fn in_window(touch_at: i64, placed_at: i64, window_hours: i64) -> bool {
    if window_hours <= 0 || placed_at <= touch_at {
        return false;
    }
    // i128 cannot overflow here: |i64| * 3.6e9 + |i64| < 2^127.
    let window_end = i128::from(touch_at) + i128::from(window_hours) * i128::from(MICROS_PER_HOUR);
    i128::from(placed_at) <= window_end
}

/// Computes `in_attribution_window` over arrays of equal length.
fn in_attribution_window(args: &[ArrayRef]) -> Result<ArrayRef> {
    const NAME: &str = "in_attribution_window";
    check_args(NAME, args, 3)?;
    let touch_at = to_utc_micros(NAME, &args[0])?;
    let placed_at = to_utc_micros(NAME, &args[1])?;
    let window_hours = to_int64(NAME, &args[2])?;

    let result = touch_at
        .iter()
        .zip(placed_at.iter())
        .zip(window_hours.iter())
        .map(|((touch_at, placed_at), window_hours)| {
            Some(in_window(touch_at?, placed_at?, window_hours?))
        })
        .collect::<BooleanArray>();
    Ok(Arc::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{AsArray, Int8Array, TimestampMillisecondArray, TimestampNanosecondArray};
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, micros, to_scalar, ts, ts_null};

    fn int64(v: Option<i64>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Int64(v))
    }

    fn call(
        touch_at: ColumnarValue,
        placed_at: ColumnarValue,
        hours: ColumnarValue,
    ) -> Option<bool> {
        let result = invoke(
            &InAttributionWindowFunc::new(),
            vec![touch_at, placed_at, hours],
        )
        .unwrap();
        match to_scalar(result) {
            ScalarValue::Boolean(b) => b,
            other => panic!("unexpected {other:?}"),
        }
    }

    const TOUCH: &str = "2026-06-01T10:00:00Z";

    #[test]
    fn boundaries_are_microsecond_exact() {
        // At the touch itself: not attributed.
        assert_eq!(call(ts(TOUCH), ts(TOUCH), int64(Some(24))), Some(false));
        // One microsecond after: attributed.
        assert_eq!(
            call(
                ts(TOUCH),
                ts("2026-06-01T10:00:00.000001Z"),
                int64(Some(24))
            ),
            Some(true)
        );
        // Exactly at the end of the window: attributed.
        assert_eq!(
            call(ts(TOUCH), ts("2026-06-02T10:00:00Z"), int64(Some(24))),
            Some(true)
        );
        // One microsecond past the end: not attributed.
        assert_eq!(
            call(
                ts(TOUCH),
                ts("2026-06-02T10:00:00.000001Z"),
                int64(Some(24))
            ),
            Some(false)
        );
        // Before the touch: not attributed.
        assert_eq!(
            call(ts(TOUCH), ts("2026-06-01T09:00:00Z"), int64(Some(24))),
            Some(false)
        );
    }

    #[test]
    fn non_positive_windows_are_off() {
        assert_eq!(
            call(ts(TOUCH), ts("2026-06-01T10:00:00.000001Z"), int64(Some(0))),
            Some(false)
        );
        assert_eq!(
            call(ts(TOUCH), ts("2026-06-01T09:00:00Z"), int64(Some(-2))),
            Some(false)
        );
    }

    #[test]
    fn nulls() {
        assert_eq!(call(ts_null(), ts(TOUCH), int64(Some(24))), None);
        assert_eq!(call(ts(TOUCH), ts_null(), int64(Some(24))), None);
        assert_eq!(call(ts(TOUCH), ts(TOUCH), int64(None)), None);
        // NULL wins over a window that turns the touch point off.
        assert_eq!(call(ts_null(), ts(TOUCH), int64(Some(0))), None);
        assert_eq!(
            call(
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
            ),
            None
        );
    }

    #[test]
    fn huge_windows_do_not_overflow() {
        assert_eq!(
            call(ts(TOUCH), ts("2026-06-02T10:00:00Z"), int64(Some(i64::MAX))),
            Some(true)
        );
        assert!(in_window(i64::MAX - 1, i64::MAX, i64::MAX));
        assert!(!in_window(i64::MIN, i64::MAX, 1));
    }

    #[test]
    fn arrays_of_mixed_units() {
        let touch_at: ArrayRef = Arc::new(TimestampMillisecondArray::from(vec![
            Some(micros(TOUCH) / 1_000),
            Some(micros(TOUCH) / 1_000),
            None,
            Some(micros(TOUCH) / 1_000),
        ]));
        let placed_at: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![
                Some(micros("2026-06-01T22:00:00Z") * 1_000),
                Some(micros("2026-06-01T22:00:00.000001Z") * 1_000),
                Some(micros("2026-06-01T22:00:00Z") * 1_000),
                Some(micros("2026-06-01T22:00:00Z") * 1_000),
            ])
            .with_timezone("America/New_York"),
        );
        let hours: ArrayRef = Arc::new(Int8Array::from(vec![Some(12), Some(12), Some(12), None]));
        let result = invoke(
            &InAttributionWindowFunc::new(),
            vec![
                ColumnarValue::Array(touch_at),
                ColumnarValue::Array(placed_at),
                ColumnarValue::Array(hours),
            ],
        )
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        let result: Vec<_> = result.as_boolean().iter().collect();
        assert_eq!(result, vec![Some(true), Some(false), None, None]);
    }
}
