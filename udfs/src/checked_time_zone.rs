//! `checked_time_zone(zone, account_id)`: validates an account's time zone.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{
    Strings, ZoneCache, check_args, check_arity, coerce_string, to_arrays, to_columnar,
};

/// `checked_time_zone(zone, account_id)`: `zone` if it is a valid time zone, an error naming
/// the account otherwise.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Returns `zone` unchanged if it is a valid IANA time zone name (or `UTC`), \
and fails otherwise with an error naming the account. A NULL `zone` is an error too: every \
account must have a time zone.",
    syntax_example = "checked_time_zone(zone, account_id)",
    sql_example = r"```sql
> SELECT checked_time_zone('Europe/Paris', 'acme') AS tz;
+--------------+
| tz           |
+--------------+
| Europe/Paris |
+--------------+
> SELECT checked_time_zone('Mars/Olympus', 'acme') AS tz;
Execution error: account 'acme' has unknown time zone 'Mars/Olympus'
```",
    argument(name = "zone", description = "The time zone name to check."),
    argument(
        name = "account_id",
        description = "The account the zone belongs to, used in the error message."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CheckedTimeZoneFunc {
    signature: Signature,
}

impl Default for CheckedTimeZoneFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl CheckedTimeZoneFunc {
    /// Creates the `checked_time_zone` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for CheckedTimeZoneFunc {
    fn name(&self) -> &'static str {
        "checked_time_zone"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        Ok(vec![
            coerce_string(self.name(), "zone", &arg_types[0])?,
            coerce_string(self.name(), "account_id", &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = checked_time_zone(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Formats an account id for an error message.
fn account(id: Option<&str>) -> String {
    match id {
        Some(id) => format!("'{id}'"),
        None => "NULL".to_string(),
    }
}

/// Computes `checked_time_zone` over arrays of equal length.
fn checked_time_zone(args: &[ArrayRef]) -> Result<ArrayRef> {
    check_args("checked_time_zone", args, 2)?;
    let zones = Strings::try_new("checked_time_zone", &args[0])?;
    let accounts = Strings::try_new("checked_time_zone", &args[1])?;
    let mut cache = ZoneCache::default();

    let checked = (0..args[0].len())
        .map(|i| match zones.get(i) {
            None => exec_err!(
                "account {} has no time zone (timezone is NOT NULL)",
                account(accounts.get(i))
            ),
            Some(zone) if cache.get(zone).is_none() => exec_err!(
                "account {} has unknown time zone '{zone}'",
                account(accounts.get(i))
            ),
            Some(zone) => Ok(Some(zone)),
        })
        .collect::<Result<StringArray>>()?;
    Ok(Arc::new(checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{Array, AsArray, LargeStringArray, StringViewArray};
    use datafusion::common::ScalarValue;

    use crate::common::test_util::{invoke, to_scalar, utf8};

    fn check(args: Vec<ColumnarValue>) -> Result<ColumnarValue> {
        invoke(&CheckedTimeZoneFunc::new(), args)
    }

    #[test]
    fn valid_zones_pass_through() {
        for zone in [
            "America/New_York",
            "Australia/Sydney",
            "UTC",
            "Europe/Paris",
        ] {
            let result = check(vec![utf8(Some(zone)), utf8(Some("acme"))]).unwrap();
            assert_eq!(to_scalar(result), ScalarValue::Utf8(Some(zone.to_string())));
        }
    }

    #[test]
    fn unknown_zone_names_the_account() {
        let err = check(vec![utf8(Some("Mars/Olympus")), utf8(Some("acme"))]).unwrap_err();
        assert!(
            err.to_string()
                .contains("account 'acme' has unknown time zone 'Mars/Olympus'"),
            "{err}"
        );
        // Zone names are case sensitive.
        assert!(check(vec![utf8(Some("america/new_york")), utf8(Some("acme"))]).is_err());
        assert!(check(vec![utf8(Some("")), utf8(Some("acme"))]).is_err());
    }

    #[test]
    fn null_zone_is_an_error() {
        let err = check(vec![utf8(None), utf8(Some("acme"))]).unwrap_err();
        assert!(
            err.to_string()
                .contains("account 'acme' has no time zone (timezone is NOT NULL)"),
            "{err}"
        );
        let err = check(vec![ColumnarValue::Scalar(ScalarValue::Null), utf8(None)]).unwrap_err();
        assert!(
            err.to_string().contains("account NULL has no time zone"),
            "{err}"
        );
    }

    #[test]
    fn arrays() {
        let zones: ArrayRef = Arc::new(StringViewArray::from(vec![
            "America/New_York",
            "UTC",
            "America/New_York",
        ]));
        let accounts: ArrayRef = Arc::new(LargeStringArray::from(vec!["a", "b", "c"]));
        let result = check(vec![
            ColumnarValue::Array(zones),
            ColumnarValue::Array(accounts),
        ])
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        let result = result.as_string::<i32>();
        assert_eq!(result.len(), 3);
        assert_eq!(result.value(0), "America/New_York");
        assert_eq!(result.value(1), "UTC");
        assert_eq!(result.value(2), "America/New_York");

        let zones: ArrayRef = Arc::new(StringArray::from(vec![
            Some("UTC"),
            Some("Europe/Paris"),
            Some("Mars/Olympus"),
        ]));
        let err = check(vec![ColumnarValue::Array(zones), utf8(Some("globex"))]).unwrap_err();
        assert!(
            err.to_string()
                .contains("account 'globex' has unknown time zone 'Mars/Olympus'")
        );
    }
}
