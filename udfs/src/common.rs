//! Helpers shared by the conversql functions: argument coercion, the
//! normalisation of timestamps to `Timestamp(Microsecond, Some("UTC"))`,
//! uniform access to the three string encodings, a time zone cache and the
//! vocabulary of attribution touch points.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, LargeStringArray, StringArray,
    StringViewArray, TimestampMicrosecondArray,
};
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use chrono_tz::Tz;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::ColumnarValue;

/// The time zone of every timestamp the conversql functions return.
pub(crate) const UTC: &str = "UTC";

/// Microseconds in one hour.
pub(crate) const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// `Timestamp(Microsecond, Some("UTC"))`: the canonical timestamp type.
pub(crate) fn timestamp_utc_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from(UTC)))
}

/// Cast options that report overflow (e.g. a far-away instant in seconds that
/// does not fit in microseconds) as an error instead of a silent NULL.
fn strict_cast_options() -> CastOptions<'static> {
    CastOptions {
        safe: false,
        ..Default::default()
    }
}

/// The value type of a dictionary, or the type itself.
fn value_type(data_type: &DataType) -> &DataType {
    match data_type {
        DataType::Dictionary(_, value) => value_type(value),
        other => other,
    }
}

/// Planning-time coercion of a timestamp argument: any unit and any (or no)
/// time zone is accepted as is; an untyped NULL becomes the canonical type.
pub(crate) fn coerce_timestamp(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match value_type(data_type) {
        DataType::Timestamp(_, _) => Ok(value_type(data_type).clone()),
        DataType::Null => Ok(timestamp_utc_type()),
        other => plan_err!("{function}: argument '{argument}' must be a timestamp, got {other}"),
    }
}

/// Planning-time coercion of a string argument: Utf8, LargeUtf8 and Utf8View
/// are kept, an untyped NULL becomes Utf8.
pub(crate) fn coerce_string(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match value_type(data_type) {
        t @ (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => Ok(t.clone()),
        DataType::Null => Ok(DataType::Utf8),
        other => plan_err!("{function}: argument '{argument}' must be a string, got {other}"),
    }
}

/// Planning-time coercion of an integer argument: any width, signed or not,
/// is kept (and widened to Int64 without loss at execution, see
/// [`to_int64`]); an untyped NULL becomes Int64.
pub(crate) fn coerce_integer(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match value_type(data_type) {
        t if t.is_integer() => Ok(t.clone()),
        DataType::Null => Ok(DataType::Int64),
        other => {
            plan_err!("{function}: argument '{argument}' must be an integer, got {other}")
        }
    }
}

/// Planning-time coercion of a boolean argument.
pub(crate) fn coerce_boolean(
    function: &str,
    argument: &str,
    data_type: &DataType,
) -> Result<DataType> {
    match value_type(data_type) {
        DataType::Boolean | DataType::Null => Ok(DataType::Boolean),
        other => plan_err!("{function}: argument '{argument}' must be a boolean, got {other}"),
    }
}

/// Checks the number of arguments given to `coerce_types`.
pub(crate) fn check_arity(function: &str, arg_types: &[DataType], expected: usize) -> Result<()> {
    if arg_types.len() != expected {
        return plan_err!(
            "{function} expects {expected} argument{}, got {}",
            if expected == 1 { "" } else { "s" },
            arg_types.len()
        );
    }
    Ok(())
}

/// Checks the number of arrays given to `invoke_with_args`.
pub(crate) fn check_args(function: &str, args: &[ArrayRef], expected: usize) -> Result<()> {
    if args.len() != expected {
        return exec_err!(
            "{function} expects {expected} argument{}, got {}",
            if expected == 1 { "" } else { "s" },
            args.len()
        );
    }
    Ok(())
}

/// Normalises a timestamp array (any unit, any or no zone; a timestamp
/// without zone is UTC) to microseconds since the epoch in UTC.
pub(crate) fn to_utc_micros(function: &str, array: &ArrayRef) -> Result<TimestampMicrosecondArray> {
    match array.data_type() {
        DataType::Timestamp(_, _) | DataType::Null => {}
        DataType::Dictionary(_, value) if matches!(**value, DataType::Timestamp(_, _)) => {}
        other => return exec_err!("{function}: expected a timestamp, got {other}"),
    }
    let cast = cast_with_options(array, &timestamp_utc_type(), &strict_cast_options())?;
    Ok(cast.as_primitive::<TimestampMicrosecondType>().clone())
}

/// Normalises an integer array to Int64 (failing on unsigned overflow).
pub(crate) fn to_int64(function: &str, array: &ArrayRef) -> Result<Int64Array> {
    let data_type = array.data_type();
    if !(value_type(data_type).is_integer() || data_type.is_null()) {
        return exec_err!("{function}: expected an integer, got {data_type}");
    }
    let cast = cast_with_options(array, &DataType::Int64, &strict_cast_options())?;
    Ok(cast.as_primitive::<Int64Type>().clone())
}

/// Normalises a boolean array (an untyped NULL array becomes all NULL).
pub(crate) fn to_boolean(function: &str, array: &ArrayRef) -> Result<BooleanArray> {
    match array.data_type() {
        DataType::Boolean => Ok(array.as_boolean().clone()),
        DataType::Null => Ok(BooleanArray::new_null(array.len())),
        other => exec_err!("{function}: expected a boolean, got {other}"),
    }
}

/// Read access to a string array of any of the three encodings.
pub(crate) enum Strings<'a> {
    /// `Utf8`
    Utf8(&'a StringArray),
    /// `LargeUtf8`
    LargeUtf8(&'a LargeStringArray),
    /// `Utf8View`
    Utf8View(&'a StringViewArray),
    /// An untyped array of NULLs
    Null,
}

impl<'a> Strings<'a> {
    /// Wraps `array`, which must be Utf8, LargeUtf8, Utf8View or Null.
    pub(crate) fn try_new(function: &str, array: &'a ArrayRef) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Utf8 => Self::Utf8(array.as_string::<i32>()),
            DataType::LargeUtf8 => Self::LargeUtf8(array.as_string::<i64>()),
            DataType::Utf8View => Self::Utf8View(array.as_string_view()),
            DataType::Null => Self::Null,
            other => return exec_err!("{function}: expected a string, got {other}"),
        })
    }

    /// The string at `index`, or `None` if it is NULL.
    pub(crate) fn get(&self, index: usize) -> Option<&'a str> {
        match self {
            Self::Utf8(a) => a.is_valid(index).then(|| a.value(index)),
            Self::LargeUtf8(a) => a.is_valid(index).then(|| a.value(index)),
            Self::Utf8View(a) => a.is_valid(index).then(|| a.value(index)),
            Self::Null => None,
        }
    }
}

/// Converts the arguments of a scalar function to arrays of equal length and
/// reports whether they were all scalars (so the result can be a scalar too).
pub(crate) fn to_arrays(args: &[ColumnarValue]) -> Result<(Vec<ArrayRef>, bool)> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    Ok((ColumnarValue::values_to_arrays(args)?, all_scalar))
}

/// Wraps a result array as a scalar when every input was a scalar.
pub(crate) fn to_columnar(array: ArrayRef, all_scalar: bool) -> Result<ColumnarValue> {
    if all_scalar && array.len() == 1 {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Parses an IANA time zone name (or `UTC`).
pub(crate) fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// A per-batch cache of parsed time zones, so a zone repeated on every row
/// (the usual case: a scalar or a per-account column) is parsed only once.
#[derive(Default)]
pub(crate) struct ZoneCache<'a> {
    last: Option<(&'a str, Tz)>,
    seen: HashMap<&'a str, Tz>,
}

impl<'a> ZoneCache<'a> {
    /// The zone named `name`, or `None` if it is not a known zone.
    pub(crate) fn get(&mut self, name: &'a str) -> Option<Tz> {
        if let Some((last_name, tz)) = self.last
            && last_name == name
        {
            return Some(tz);
        }
        let tz = if let Some(tz) = self.seen.get(name) {
            *tz
        } else {
            let tz = parse_zone(name)?;
            self.seen.insert(name, tz);
            tz
        };
        self.last = Some((name, tz));
        Some(tz)
    }
}

/// A revenue attribution touch point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Touch {
    /// A click on a link the agent sent in a web chat.
    WebChatClick,
    /// A click on a link in an SMS the agent sent.
    SmsClick,
    /// The receipt of an SMS the agent sent.
    SmsReceipt,
}

/// The valid touch point names, for error messages.
pub(crate) const VALID_TOUCHES: &str = "'web_chat_click', 'sms_click', 'sms_receipt'";

impl Touch {
    /// Parses a touch point name, failing with the list of valid names.
    pub(crate) fn parse(function: &str, name: &str) -> Result<Self> {
        match name {
            "web_chat_click" => Ok(Self::WebChatClick),
            "sms_click" => Ok(Self::SmsClick),
            "sms_receipt" => Ok(Self::SmsReceipt),
            other => {
                exec_err!("{function}: unknown touch '{other}' (expected one of {VALID_TOUCHES})")
            }
        }
    }
}

/// Helpers for the unit tests of the functions.
#[cfg(test)]
pub(crate) mod test_util {
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field};
    use chrono::DateTime;
    use datafusion::common::config::ConfigOptions;
    use datafusion::common::{Result, ScalarValue};
    use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl};

    /// Calls `invoke_with_args` the way the executor does: the return type
    /// comes from `return_type` of the argument types.
    pub(crate) fn invoke(
        udf: &dyn ScalarUDFImpl,
        args: Vec<ColumnarValue>,
    ) -> Result<ColumnarValue> {
        let rows = args
            .iter()
            .find_map(|a| match a {
                ColumnarValue::Array(a) => Some(a.len()),
                ColumnarValue::Scalar(_) => None,
            })
            .unwrap_or(1);
        let arg_types: Vec<DataType> = args
            .iter()
            .map(datafusion::logical_expr::ColumnarValue::data_type)
            .collect();
        let arg_fields = arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| Arc::new(Field::new(format!("arg_{i}"), t.clone(), true)))
            .collect();
        let return_type = udf.return_type(&arg_types)?;
        udf.invoke_with_args(ScalarFunctionArgs {
            args,
            arg_fields,
            number_rows: rows,
            return_field: Arc::new(Field::new(udf.name(), return_type, true)),
            config_options: Arc::new(ConfigOptions::default()),
        })
    }

    /// The result, which must be a scalar.
    pub(crate) fn to_scalar(result: ColumnarValue) -> ScalarValue {
        match result {
            ColumnarValue::Scalar(s) => s,
            ColumnarValue::Array(a) => panic!("expected a scalar, got an array {a:?}"),
        }
    }

    /// Microseconds since the epoch of an RFC 3339 instant.
    pub(crate) fn micros(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros()
    }

    /// A `Timestamp(Microsecond, Some("UTC"))` scalar.
    pub(crate) fn ts(s: &str) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(
            Some(micros(s)),
            Some("UTC".into()),
        ))
    }

    /// A NULL `Timestamp(Microsecond, Some("UTC"))` scalar.
    pub(crate) fn ts_null() -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(None, Some("UTC".into())))
    }

    /// A Utf8 scalar.
    pub(crate) fn utf8(s: Option<&str>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Utf8(s.map(str::to_string)))
    }
}
