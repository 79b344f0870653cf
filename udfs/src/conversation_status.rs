//! `conversation_status(has_ticket, has_handoff_message, closed_at, last_sender)`:
//! the resolution status of a conversation.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, check_args, check_arity, coerce_boolean, coerce_string, coerce_timestamp, to_arrays,
    to_boolean, to_columnar, to_utc_micros,
};

/// A ticket was opened: the conversation went to a human team.
pub const STATUS_ROUTED: &str = "Routed";
/// The conversation ended without the agent resolving it.
pub const STATUS_CLOSED: &str = "Closed";
/// The conversation is not closed yet.
pub const STATUS_OPEN: &str = "Open";
/// The conversation closed with the agent having the last word.
pub const STATUS_RESOLVED: &str = "Resolved";

/// `conversation_status(has_ticket, has_handoff_message, closed_at, last_sender)`: 'Routed',
/// 'Closed', 'Open' or 'Resolved'.
#[user_doc(
    doc_section(label = "Other Functions"),
    description = "Returns the status of a conversation, the first that applies of: \
'Routed' if `has_ticket`; 'Closed' if `has_handoff_message`; 'Open' if `closed_at` is NULL; \
'Resolved' if `last_sender` = 'agent'; otherwise 'Closed' (also when `last_sender` is NULL). \
NULL booleans count as false. Never returns NULL.",
    syntax_example = "conversation_status(has_ticket, has_handoff_message, closed_at, last_sender)",
    sql_example = r"```sql
> SELECT conversation_status(false, false, TIMESTAMP '2026-06-03T10:00:00Z', 'agent') AS status;
+----------+
| status   |
+----------+
| Resolved |
+----------+
```",
    argument(
        name = "has_ticket",
        description = "Whether a ticket was opened for the conversation."
    ),
    argument(
        name = "has_handoff_message",
        description = "Whether the agent handed the conversation off to a human."
    ),
    argument(
        name = "closed_at",
        description = "When the conversation closed, usually `conversation_closed_at(...)`; NULL if open."
    ),
    argument(
        name = "last_sender",
        description = "Who sent the last message, e.g. 'agent' or 'customer'."
    ),
    related_udf(name = "conversation_closed_at")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConversationStatusFunc {
    signature: Signature,
}

impl Default for ConversationStatusFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ConversationStatusFunc {
    /// Creates the `conversation_status` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ConversationStatusFunc {
    fn name(&self) -> &'static str {
        "conversation_status"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 4)?;
        Ok(vec![
            coerce_boolean(self.name(), "has_ticket", &arg_types[0])?,
            coerce_boolean(self.name(), "has_handoff_message", &arg_types[1])?,
            coerce_timestamp(self.name(), "closed_at", &arg_types[2])?,
            coerce_string(self.name(), "last_sender", &arg_types[3])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        // Every conversation has a status.
        Ok(Arc::new(Field::new(self.name(), DataType::Utf8, false)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = conversation_status(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The status of one conversation.
fn status(
    has_ticket: bool,
    has_handoff_message: bool,
    closed: bool,
    last_sender: Option<&str>,
) -> &'static str {
    if has_ticket {
        STATUS_ROUTED
    } else if has_handoff_message {
        STATUS_CLOSED
    } else if !closed {
        STATUS_OPEN
    } else if last_sender == Some("agent") {
        STATUS_RESOLVED
    } else {
        STATUS_CLOSED
    }
}

/// Computes `conversation_status` over arrays of equal length.
fn conversation_status(args: &[ArrayRef]) -> Result<ArrayRef> {
    check_args("conversation_status", args, 4)?;
    let has_ticket = to_boolean("conversation_status", &args[0])?;
    let has_handoff_message = to_boolean("conversation_status", &args[1])?;
    let closed_at = to_utc_micros("conversation_status", &args[2])?;
    let last_sender = Strings::try_new("conversation_status", &args[3])?;

    let result = (0..has_ticket.len())
        .map(|i| {
            Some(status(
                has_ticket.is_valid(i) && has_ticket.value(i),
                has_handoff_message.is_valid(i) && has_handoff_message.value(i),
                closed_at.is_valid(i),
                last_sender.get(i),
            ))
        })
        .collect::<StringArray>();
    Ok(Arc::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{AsArray, BooleanArray, LargeStringArray, TimestampNanosecondArray};
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, to_scalar, ts, ts_null, utf8};

    fn boolean(b: Option<bool>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Boolean(b))
    }

    fn call(
        has_ticket: Option<bool>,
        has_handoff_message: Option<bool>,
        closed_at: ColumnarValue,
        last_sender: Option<&str>,
    ) -> String {
        let result = invoke(
            &ConversationStatusFunc::new(),
            vec![
                boolean(has_ticket),
                boolean(has_handoff_message),
                closed_at,
                utf8(last_sender),
            ],
        )
        .unwrap();
        match to_scalar(result) {
            ScalarValue::Utf8(Some(s)) => s,
            other => panic!("unexpected {other:?}"),
        }
    }

    const CLOSED_AT: &str = "2026-06-03T10:00:00Z";

    #[test]
    fn precedence() {
        // A ticket beats everything.
        assert_eq!(
            call(Some(true), Some(true), ts_null(), Some("agent")),
            "Routed"
        );
        assert_eq!(
            call(Some(true), None, ts(CLOSED_AT), Some("agent")),
            "Routed"
        );
        // Then a handoff, even when open.
        assert_eq!(
            call(Some(false), Some(true), ts_null(), Some("agent")),
            "Closed"
        );
        assert_eq!(
            call(None, Some(true), ts(CLOSED_AT), Some("agent")),
            "Closed"
        );
        // Then open.
        assert_eq!(
            call(Some(false), Some(false), ts_null(), Some("agent")),
            "Open"
        );
        assert_eq!(call(None, None, ts_null(), None), "Open");
        // Closed with the agent last: resolved.
        assert_eq!(call(None, None, ts(CLOSED_AT), Some("agent")), "Resolved");
        // Closed with anyone else (or nobody) last: closed.
        assert_eq!(call(None, None, ts(CLOSED_AT), Some("customer")), "Closed");
        assert_eq!(call(None, None, ts(CLOSED_AT), Some("Agent")), "Closed");
        assert_eq!(call(None, None, ts(CLOSED_AT), None), "Closed");
    }

    #[test]
    fn untyped_nulls() {
        let result = invoke(
            &ConversationStatusFunc::new(),
            vec![
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
                ColumnarValue::Scalar(ScalarValue::Null),
            ],
        )
        .unwrap();
        assert_eq!(to_scalar(result), ScalarValue::Utf8(Some("Open".into())));
    }

    #[test]
    fn arrays() {
        let has_ticket: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            None,
            None,
        ]));
        let has_handoff: ArrayRef = Arc::new(BooleanArray::from(vec![
            None,
            Some(true),
            None,
            None,
            Some(false),
        ]));
        let closed_at: ArrayRef = Arc::new(TimestampNanosecondArray::from(vec![
            None,
            None,
            None,
            Some(1),
            Some(1),
        ]));
        let last_sender: ArrayRef = Arc::new(LargeStringArray::from(vec![
            Some("agent"),
            Some("agent"),
            Some("agent"),
            Some("agent"),
            None,
        ]));
        let result = invoke(
            &ConversationStatusFunc::new(),
            vec![
                ColumnarValue::Array(has_ticket),
                ColumnarValue::Array(has_handoff),
                ColumnarValue::Array(closed_at),
                ColumnarValue::Array(last_sender),
            ],
        )
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        let result: Vec<_> = result.as_string::<i32>().iter().collect();
        assert_eq!(
            result,
            vec![
                Some("Routed"),
                Some("Closed"),
                Some("Open"),
                Some("Resolved"),
                Some("Closed"),
            ]
        );
    }
}
