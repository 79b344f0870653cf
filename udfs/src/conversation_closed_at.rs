//! `conversation_closed_at(first_close_at, last_updated, as_of)`: when a
//! conversation closed, explicitly or by the 48-hour auto-close.

use std::sync::Arc;

use arrow::array::{ArrayRef, TimestampMicrosecondArray};
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    MICROS_PER_HOUR, UTC, check_args, check_arity, coerce_timestamp, timestamp_utc_type, to_arrays,
    to_columnar, to_utc_micros,
};

/// A conversation without activity for this many hours is closed automatically.
pub const AUTO_CLOSE_HOURS: i64 = 48;

/// `conversation_closed_at(first_close_at, last_updated, as_of)`: the explicit close or the
/// 48-hour auto-close, whichever comes first.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Returns the instant a conversation closed: the earlier of its first explicit \
close `first_close_at` (if not NULL) and its auto-close `last_updated + 48 hours`, the latter only \
if it is not after `as_of` (exactly 48 hours of inactivity counts as closed). Returns NULL if the \
conversation is still open at `as_of`. The result is a `Timestamp(Microsecond, \"UTC\")`.",
    syntax_example = "conversation_closed_at(first_close_at, last_updated, as_of)",
    sql_example = r"```sql
> SELECT conversation_closed_at(NULL, TIMESTAMP '2026-06-01T10:00:00Z',
      TIMESTAMP '2026-06-07T12:00:00Z') AS closed_at;
+----------------------+
| closed_at            |
+----------------------+
| 2026-06-03T10:00:00Z |
+----------------------+
```",
    argument(
        name = "first_close_at",
        description = "The first explicit close of the conversation, or NULL."
    ),
    argument(
        name = "last_updated",
        description = "The last activity in the conversation. If NULL, the auto-close does not apply."
    ),
    argument(
        name = "as_of",
        description = "The analysis instant, usually `as_of()`. If NULL, the auto-close does not apply."
    ),
    related_udf(name = "as_of"),
    related_udf(name = "conversation_status")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ConversationClosedAtFunc {
    signature: Signature,
}

impl Default for ConversationClosedAtFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ConversationClosedAtFunc {
    /// Creates the `conversation_closed_at` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ConversationClosedAtFunc {
    fn name(&self) -> &'static str {
        "conversation_closed_at"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 3)?;
        Ok(vec![
            coerce_timestamp(self.name(), "first_close_at", &arg_types[0])?,
            coerce_timestamp(self.name(), "last_updated", &arg_types[1])?,
            coerce_timestamp(self.name(), "as_of", &arg_types[2])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(timestamp_utc_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = conversation_closed_at(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The closing instant of one conversation, in microseconds.
fn closed_at(
    first_close_at: Option<i64>,
    last_updated: Option<i64>,
    as_of: Option<i64>,
) -> Option<i64> {
    let auto_close = match (last_updated, as_of) {
        (Some(last_updated), Some(as_of)) => last_updated
            .checked_add(AUTO_CLOSE_HOURS * MICROS_PER_HOUR)
            .filter(|auto_close| *auto_close <= as_of),
        _ => None,
    };
    match (first_close_at, auto_close) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Computes `conversation_closed_at` over arrays of equal length.
fn conversation_closed_at(args: &[ArrayRef]) -> Result<ArrayRef> {
    check_args("conversation_closed_at", args, 3)?;
    let first_close_at = to_utc_micros("conversation_closed_at", &args[0])?;
    let last_updated = to_utc_micros("conversation_closed_at", &args[1])?;
    let as_of = to_utc_micros("conversation_closed_at", &args[2])?;

    let result = first_close_at
        .iter()
        .zip(last_updated.iter())
        .zip(as_of.iter())
        .map(|((first, last), as_of)| closed_at(first, last, as_of))
        .collect::<TimestampMicrosecondArray>()
        .with_timezone(UTC);
    Ok(Arc::new(result))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{AsArray, TimestampNanosecondArray, TimestampSecondArray};
    use arrow::datatypes::TimestampMicrosecondType;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, micros, to_scalar, ts, ts_null};

    fn call(args: Vec<ColumnarValue>) -> Result<ColumnarValue> {
        invoke(&ConversationClosedAtFunc::new(), args)
    }

    fn expect(instant: Option<&str>) -> ScalarValue {
        ScalarValue::TimestampMicrosecond(instant.map(micros), Some(UTC.into()))
    }

    #[test]
    fn explicit_close_only() {
        let result = call(vec![ts("2026-06-01T12:00:00Z"), ts_null(), ts_null()]).unwrap();
        assert_eq!(to_scalar(result), expect(Some("2026-06-01T12:00:00Z")));
    }

    #[test]
    fn auto_close_boundary() {
        // Exactly 48 hours: closed.
        let result = call(vec![
            ts_null(),
            ts("2026-06-01T10:00:00Z"),
            ts("2026-06-03T10:00:00Z"),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(Some("2026-06-03T10:00:00Z")));

        // One microsecond short of 48 hours: still open.
        let result = call(vec![
            ts_null(),
            ts("2026-06-01T10:00:00Z"),
            ts("2026-06-03T09:59:59.999999Z"),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(None));
    }

    #[test]
    fn earliest_wins() {
        // The explicit close comes first.
        let result = call(vec![
            ts("2026-06-02T00:00:00Z"),
            ts("2026-06-01T10:00:00Z"),
            ts("2026-06-07T12:00:00Z"),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(Some("2026-06-02T00:00:00Z")));

        // The auto-close comes first (the close was recorded later).
        let result = call(vec![
            ts("2026-06-05T00:00:00Z"),
            ts("2026-06-01T10:00:00Z"),
            ts("2026-06-07T12:00:00Z"),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(Some("2026-06-03T10:00:00Z")));

        // An explicit close after as_of still counts: it is data, not a guess.
        let result = call(vec![
            ts("2026-06-08T00:00:00Z"),
            ts("2026-06-07T10:00:00Z"),
            ts("2026-06-07T12:00:00Z"),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(Some("2026-06-08T00:00:00Z")));
    }

    #[test]
    fn nulls() {
        let result = call(vec![ts_null(), ts_null(), ts("2026-06-07T12:00:00Z")]).unwrap();
        assert_eq!(to_scalar(result), expect(None));
        let result = call(vec![ts_null(), ts("2026-06-01T10:00:00Z"), ts_null()]).unwrap();
        assert_eq!(to_scalar(result), expect(None));
        let result = call(vec![
            ColumnarValue::Scalar(ScalarValue::Null),
            ColumnarValue::Scalar(ScalarValue::Null),
            ColumnarValue::Scalar(ScalarValue::Null),
        ])
        .unwrap();
        assert_eq!(to_scalar(result), expect(None));
    }

    #[test]
    fn arrays_of_mixed_units() {
        let first: ArrayRef = Arc::new(TimestampSecondArray::from(vec![
            None,
            Some(micros("2026-06-02T00:00:00Z") / 1_000_000),
            None,
            None,
        ]));
        let last: ArrayRef = Arc::new(
            TimestampNanosecondArray::from(vec![
                Some(micros("2026-06-01T10:00:00Z") * 1_000),
                Some(micros("2026-06-01T10:00:00Z") * 1_000),
                Some(micros("2026-06-06T10:00:00Z") * 1_000),
                None,
            ])
            .with_timezone("+02:00"),
        );
        let result = call(vec![
            ColumnarValue::Array(first),
            ColumnarValue::Array(last),
            ts("2026-06-07T12:00:00Z"),
        ])
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        assert_eq!(result.data_type(), &timestamp_utc_type());
        let values: Vec<_> = result
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect();
        assert_eq!(
            values,
            vec![
                Some(micros("2026-06-03T10:00:00Z")),
                Some(micros("2026-06-02T00:00:00Z")),
                None,
                None,
            ]
        );
    }

    #[test]
    fn no_overflow_near_the_end_of_time() {
        assert_eq!(closed_at(None, Some(i64::MAX - 1), Some(i64::MAX)), None);
        assert_eq!(
            closed_at(Some(5), Some(i64::MAX - 1), Some(i64::MAX)),
            Some(5)
        );
    }
}
