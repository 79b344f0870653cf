//! `touch_priority(touch)`: the last-touch tie-break rank of a touch point.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, Touch, check_args, check_arity, coerce_string, to_arrays, to_columnar,
};

/// `touch_priority(touch)`: the last-touch tie-break rank of a touch point (clicks 0, receipts 1).
#[user_doc(
    doc_section(label = "Other Functions"),
    description = "Returns the tie-break rank of a touch point, for touches with the same \
`touch_at` in last-touch attribution: clicks ('web_chat_click', 'sms_click') → 0, \
'sms_receipt' → 1, so a click beats a receipt (remaining ties are broken by the smaller \
conversation_id). Returns NULL for a NULL touch and fails on any other touch.",
    syntax_example = "touch_priority(touch)",
    sql_example = r"```sql
> SELECT touch_priority('sms_receipt') AS rank;
+------+
| rank |
+------+
| 1    |
+------+
```",
    argument(
        name = "touch",
        description = "The touch point: 'web_chat_click', 'sms_click' or 'sms_receipt'."
    ),
    related_udf(name = "attribution_window_hours")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TouchPriorityFunc {
    signature: Signature,
}

impl Default for TouchPriorityFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl TouchPriorityFunc {
    /// Creates the `touch_priority` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for TouchPriorityFunc {
    fn name(&self) -> &'static str {
        "touch_priority"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1)?;
        Ok(vec![coerce_string(self.name(), "touch", &arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = touch_priority(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Computes `touch_priority` over an array.
fn touch_priority(args: &[ArrayRef]) -> Result<ArrayRef> {
    const NAME: &str = "touch_priority";
    check_args(NAME, args, 1)?;
    let touches = Strings::try_new(NAME, &args[0])?;
    let result = (0..args[0].len())
        .map(|i| {
            let Some(touch) = touches.get(i) else {
                return Ok(None);
            };
            Ok(Some(match Touch::parse(NAME, touch)? {
                Touch::WebChatClick | Touch::SmsClick => 0,
                Touch::SmsReceipt => 1,
            }))
        })
        .collect::<Result<Int32Array>>()?;
    Ok(Arc::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{AsArray, LargeStringArray, StringViewArray};
    use arrow::datatypes::Int32Type;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, to_scalar, utf8};

    fn call(touch: ColumnarValue) -> Result<ColumnarValue> {
        invoke(&TouchPriorityFunc::new(), vec![touch])
    }

    #[test]
    fn scalars() {
        for (touch, rank) in [("web_chat_click", 0), ("sms_click", 0), ("sms_receipt", 1)] {
            let result = call(utf8(Some(touch))).unwrap();
            assert_eq!(to_scalar(result), ScalarValue::Int32(Some(rank)), "{touch}");
        }
        let result = call(ColumnarValue::Scalar(ScalarValue::Utf8View(Some(
            "sms_receipt".into(),
        ))))
        .unwrap();
        assert_eq!(to_scalar(result), ScalarValue::Int32(Some(1)));
    }

    #[test]
    fn nulls() {
        assert_eq!(
            to_scalar(call(utf8(None)).unwrap()),
            ScalarValue::Int32(None)
        );
        assert_eq!(
            to_scalar(call(ColumnarValue::Scalar(ScalarValue::Null)).unwrap()),
            ScalarValue::Int32(None)
        );
    }

    #[test]
    fn unknown_touch() {
        let err = call(utf8(Some("email_open"))).unwrap_err().to_string();
        assert!(err.contains("unknown touch 'email_open'"), "{err}");
        assert!(
            err.contains("'web_chat_click', 'sms_click', 'sms_receipt'"),
            "{err}"
        );
        let touches: ArrayRef = Arc::new(StringViewArray::from(vec!["sms_click", ""]));
        assert!(call(ColumnarValue::Array(touches)).is_err());
    }

    #[test]
    fn arrays() {
        let touches: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some("sms_receipt"),
            None,
            Some("web_chat_click"),
            Some("sms_click"),
        ]));
        let ColumnarValue::Array(result) = call(ColumnarValue::Array(touches)).unwrap() else {
            panic!("expected an array");
        };
        let result: Vec<_> = result.as_primitive::<Int32Type>().iter().collect();
        assert_eq!(result, vec![Some(1), None, Some(0), Some(0)]);
    }
}
