//! `attribution_window_hours(touch, sms_click_window_hours, sms_receipt_window_hours)`:
//! the length of a touch point's revenue attribution window.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, Touch, check_args, check_arity, coerce_integer, coerce_string, to_arrays, to_columnar,
    to_int64,
};

/// The attribution window of a web chat click, in hours (not configurable).
pub const WEB_CHAT_CLICK_WINDOW_HOURS: i32 = 24;
/// The default attribution window of an SMS click, in hours.
pub const DEFAULT_SMS_CLICK_WINDOW_HOURS: i32 = 120;
/// The default attribution window of an SMS receipt, in hours.
pub const DEFAULT_SMS_RECEIPT_WINDOW_HOURS: i32 = 12;

/// `attribution_window_hours(touch, sms_click_window_hours, sms_receipt_window_hours)`: a touch
/// point's attribution window in hours.
#[user_doc(
    doc_section(label = "Other Functions"),
    description = "Returns the attribution window, in hours, of a touch point: \
'web_chat_click' → 24; 'sms_click' → `sms_click_window_hours`, or 120 if NULL; \
'sms_receipt' → `sms_receipt_window_hours`, or 12 if NULL. Returns NULL for a NULL touch and \
fails on any other touch. A window of 0 turns the touch point off.",
    syntax_example = "attribution_window_hours(touch, sms_click_window_hours, sms_receipt_window_hours)",
    sql_example = r"```sql
> SELECT attribution_window_hours('sms_click', NULL, 6) AS hours;
+-------+
| hours |
+-------+
| 120   |
+-------+
```",
    argument(
        name = "touch",
        description = "The touch point: 'web_chat_click', 'sms_click' or 'sms_receipt'."
    ),
    argument(
        name = "sms_click_window_hours",
        description = "The account's SMS click window in hours (any integer type), or NULL for the default of 120."
    ),
    argument(
        name = "sms_receipt_window_hours",
        description = "The account's SMS receipt window in hours (any integer type), or NULL for the default of 12."
    ),
    related_udf(name = "in_attribution_window"),
    related_udf(name = "touch_priority")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AttributionWindowHoursFunc {
    signature: Signature,
}

impl Default for AttributionWindowHoursFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl AttributionWindowHoursFunc {
    /// Creates the `attribution_window_hours` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for AttributionWindowHoursFunc {
    fn name(&self) -> &'static str {
        "attribution_window_hours"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 3)?;
        Ok(vec![
            coerce_string(self.name(), "touch", &arg_types[0])?,
            coerce_integer(self.name(), "sms_click_window_hours", &arg_types[1])?,
            coerce_integer(self.name(), "sms_receipt_window_hours", &arg_types[2])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = attribution_window_hours(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// A configured window, or the default if NULL.
fn configured(name: &str, value: Option<i64>, default: i32) -> Result<i32> {
    match value {
        None => Ok(default),
        Some(hours) => {
            if let Ok(hours) = i32::try_from(hours) {
                Ok(hours)
            } else {
                exec_err!("attribution_window_hours: {name} {hours} is out of range")
            }
        }
    }
}

/// Computes `attribution_window_hours` over arrays of equal length.
fn attribution_window_hours(args: &[ArrayRef]) -> Result<ArrayRef> {
    const NAME: &str = "attribution_window_hours";
    check_args(NAME, args, 3)?;
    let touches = Strings::try_new(NAME, &args[0])?;
    let sms_click = to_int64(NAME, &args[1])?;
    let sms_receipt = to_int64(NAME, &args[2])?;

    let result = (0..args[0].len())
        .map(|i| {
            let Some(touch) = touches.get(i) else {
                return Ok(None);
            };
            let hours = match Touch::parse(NAME, touch)? {
                Touch::WebChatClick => WEB_CHAT_CLICK_WINDOW_HOURS,
                Touch::SmsClick => configured(
                    "sms_click_window_hours",
                    sms_click.is_valid(i).then(|| sms_click.value(i)),
                    DEFAULT_SMS_CLICK_WINDOW_HOURS,
                )?,
                Touch::SmsReceipt => configured(
                    "sms_receipt_window_hours",
                    sms_receipt.is_valid(i).then(|| sms_receipt.value(i)),
                    DEFAULT_SMS_RECEIPT_WINDOW_HOURS,
                )?,
            };
            Ok(Some(hours))
        })
        .collect::<Result<Int32Array>>()?;
    Ok(Arc::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{AsArray, Int16Array, StringViewArray, UInt64Array};
    use arrow::datatypes::Int32Type;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, to_scalar, utf8};

    fn int32(v: Option<i32>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Int32(v))
    }

    fn call(touch: Option<&str>, click: Option<i32>, receipt: Option<i32>) -> Result<Option<i32>> {
        let result = invoke(
            &AttributionWindowHoursFunc::new(),
            vec![utf8(touch), int32(click), int32(receipt)],
        )?;
        match to_scalar(result) {
            ScalarValue::Int32(v) => Ok(v),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(call(Some("web_chat_click"), None, None).unwrap(), Some(24));
        assert_eq!(
            call(Some("web_chat_click"), Some(1), Some(2)).unwrap(),
            Some(24)
        );
        assert_eq!(call(Some("sms_click"), None, Some(2)).unwrap(), Some(120));
        assert_eq!(call(Some("sms_click"), Some(48), None).unwrap(), Some(48));
        assert_eq!(call(Some("sms_click"), Some(0), None).unwrap(), Some(0));
        assert_eq!(call(Some("sms_receipt"), Some(48), None).unwrap(), Some(12));
        assert_eq!(call(Some("sms_receipt"), None, Some(6)).unwrap(), Some(6));
    }

    #[test]
    fn null_touch() {
        assert_eq!(call(None, Some(1), Some(2)).unwrap(), None);
        let result = invoke(
            &AttributionWindowHoursFunc::new(),
            vec![
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
            ],
        )
        .unwrap();
        assert_eq!(to_scalar(result), ScalarValue::Int32(None));
    }

    #[test]
    fn unknown_touch() {
        let err = call(Some("email_open"), None, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("'email_open'"), "{err}");
        assert!(
            err.contains("'web_chat_click', 'sms_click', 'sms_receipt'"),
            "{err}"
        );
        // Case sensitive.
        assert!(call(Some("SMS_CLICK"), None, None).is_err());
    }

    #[test]
    fn arrays_of_other_integer_types() {
        let touches: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("sms_click"),
            Some("sms_click"),
            Some("sms_receipt"),
            None,
            Some("web_chat_click"),
        ]));
        let click: ArrayRef = Arc::new(Int16Array::from(vec![
            Some(72),
            None,
            Some(1),
            Some(1),
            Some(1),
        ]));
        let receipt: ArrayRef = Arc::new(UInt64Array::from(vec![
            Some(1),
            Some(1),
            None,
            Some(1),
            Some(1),
        ]));
        let result = invoke(
            &AttributionWindowHoursFunc::new(),
            vec![
                ColumnarValue::Array(touches),
                ColumnarValue::Array(click),
                ColumnarValue::Array(receipt),
            ],
        )
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        let result: Vec<_> = result.as_primitive::<Int32Type>().iter().collect();
        assert_eq!(result, vec![Some(72), Some(120), Some(12), None, Some(24)]);
    }

    #[test]
    fn out_of_range_window() {
        let result = invoke(
            &AttributionWindowHoursFunc::new(),
            vec![
                utf8(Some("sms_click")),
                ColumnarValue::Scalar(ScalarValue::Int64(Some(i64::from(i32::MAX) + 1))),
                int32(None),
            ],
        );
        assert!(result.unwrap_err().to_string().contains("out of range"));

        let result = invoke(
            &AttributionWindowHoursFunc::new(),
            vec![
                utf8(Some("sms_click")),
                ColumnarValue::Scalar(ScalarValue::UInt64(Some(u64::MAX))),
                int32(None),
            ],
        );
        assert!(result.is_err());
    }

    #[test]
    fn coercion() {
        let f = AttributionWindowHoursFunc::new();
        assert_eq!(
            f.coerce_types(&[DataType::LargeUtf8, DataType::UInt8, DataType::Null])
                .unwrap(),
            vec![DataType::LargeUtf8, DataType::UInt8, DataType::Int64]
        );
        assert!(
            f.coerce_types(&[DataType::Utf8, DataType::Float64, DataType::Int32])
                .is_err()
        );
    }
}
