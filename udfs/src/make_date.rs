//! `make_date(year, month, day)`: PostgreSQL's date from its fields
//! (`make_date` in src/backend/utils/adt/date.c), replacing DataFusion's.
//!
//! DataFusion's `make_date` reads a negative year as an astronomical one
//! (`-44` is 45 BC), accepts year 0 and reports its own errors. PostgreSQL's:
//!
//! - A negative year is BC (`make_date(-44, 3, 15)` is 0044-03-15 BC); year
//!   0 does not exist. Checked as `ValidateDate`
//!   (src/backend/utils/adt/datetime.c) checks it: 22008 `date field value
//!   out of range: 2026-02-30`, printing the year as `ValidateDate` left it
//!   (astronomical once a BC year was accepted: `make_date(-44, 2, 30)`
//!   reports `-43-02-30`).
//! - Before 4714-11-24 BC or from 5874898-01-01 on (`IS_VALID_JULIAN`,
//!   `IS_VALID_DATE`): 22008 `date out of range: …`.
//!
//! The fields are PostgreSQL's `integer`s: a value beyond one is 22003
//! `integer out of range`. Strict: a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, Date32Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{coerce_integer, to_arrays, to_columnar, to_int64};
use crate::make_timestamp::{is_valid_julian, validate_date};
use crate::pg_datetime::days_from_civil;
use crate::sql_error::SqlError;

/// `make_date(year, month, day)`: a date.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "PostgreSQL's `make_date`: the date of the given year (negative for BC), month \
and day. A field out of range fails with SQLSTATE 22008 as in PostgreSQL. Returns NULL if an \
argument is NULL.",
    syntax_example = "make_date(year, month, day)",
    sql_example = r"```sql
> SELECT make_date(2026, 6, 7) AS d, make_date(-44, 3, 15) = DATE '-0043-03-15' AS ides;
+------------+------+
| d          | ides |
+------------+------+
| 2026-06-07 | true |
+------------+------+
```",
    argument(name = "year", description = "The year, negative for BC."),
    argument(name = "month", description = "The month, 1 to 12."),
    argument(name = "day", description = "The day of the month.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MakeDateFunc {
    signature: Signature,
}

impl Default for MakeDateFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeDateFunc {
    /// Creates the `make_date` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Julian day of 1970-01-01.
const UNIX_EPOCH_JDATE: i64 = 2_440_588;

/// Julian day of 5874898-01-01, the end of PostgreSQL's dates.
const DATE_END_JULIAN: i64 = 2_147_483_494;

/// PostgreSQL's `make_date`: days since 1970-01-01.
pub(crate) fn make_date(year: i32, month: i32, day: i32) -> Result<i32, SqlError> {
    let astronomical = validate_date(year, month, day).map_err(|tm_year| {
        SqlError::new(
            "22008",
            format!("date field value out of range: {tm_year}-{month:02}-{day:02}"),
        )
    })?;
    let out_of_range = || {
        SqlError::new(
            "22008",
            format!("date out of range: {astronomical}-{month:02}-{day:02}"),
        )
    };
    if !is_valid_julian(astronomical, month) {
        return Err(out_of_range());
    }
    let days = days_from_civil(astronomical, month as u32, day as u32);
    if !(0..DATE_END_JULIAN).contains(&(days + UNIX_EPOCH_JDATE)) {
        return Err(out_of_range());
    }
    // Within PostgreSQL's dates: fits an `i32`.
    Ok(days as i32)
}

impl ScalarUDFImpl for MakeDateFunc {
    fn name(&self) -> &'static str {
        "make_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [year, month, day] = arg_types else {
            return plan_err!(
                "make_date takes a year, a month and a day, got {} arguments",
                arg_types.len()
            );
        };
        Ok(vec![
            coerce_integer(self.name(), "year", year)?,
            coerce_integer(self.name(), "month", month)?,
            coerce_integer(self.name(), "day", day)?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let ints = arrays
            .iter()
            .map(|a| to_int64(self.name(), a))
            .collect::<Result<Vec<_>>>()?;
        let rows = ints[0].len();
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            if ints.iter().any(|a| a.is_null(i)) {
                out.push(None);
                continue;
            }
            let field = |n: usize| {
                i32::try_from(ints[n].value(i))
                    .map_err(|_| SqlError::new("22003", "integer out of range"))
            };
            out.push(Some(make_date(field(0)?, field(1)?, field(2)?)?));
        }
        to_columnar(Arc::new(Date32Array::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: i32, d: i32) -> Result<i32, String> {
        make_date(y, m, d).map_err(|e| format!("{} {}", e.sqlstate, e.message))
    }

    #[test]
    fn dates_and_errors_are_postgresqls() {
        // Each checked on PostgreSQL 15.
        assert_eq!(date(2026, 6, 7), Ok(days_from_civil(2026, 6, 7) as i32));
        assert_eq!(date(-44, 3, 15), Ok(days_from_civil(-43, 3, 15) as i32));
        assert_eq!(date(-1, 2, 29), Ok(days_from_civil(0, 2, 29) as i32));
        assert_eq!(date(-5, 2, 29), Ok(days_from_civil(-4, 2, 29) as i32));
        assert_eq!(date(-4714, 11, 24), Ok(-UNIX_EPOCH_JDATE as i32));
        assert_eq!(
            date(5_874_897, 12, 31),
            Ok(days_from_civil(5_874_897, 12, 31) as i32)
        );
        for ((y, m, d), error) in [
            ((0, 1, 1), "22008 date field value out of range: 0-01-01"),
            (
                (2026, 2, 30),
                "22008 date field value out of range: 2026-02-30",
            ),
            (
                (2026, 13, 1),
                "22008 date field value out of range: 2026-13-01",
            ),
            (
                (2026, 6, 0),
                "22008 date field value out of range: 2026-06-00",
            ),
            (
                (2026, 0, 1),
                "22008 date field value out of range: 2026-00-01",
            ),
            (
                (-44, 2, 30),
                "22008 date field value out of range: -43-02-30",
            ),
            ((5_874_898, 1, 1), "22008 date out of range: 5874898-01-01"),
            ((-4714, 11, 23), "22008 date out of range: -4713-11-23"),
        ] {
            assert_eq!(date(y, m, d), Err(error.to_string()));
        }
    }
}
