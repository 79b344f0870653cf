//! `width_bucket(operand, low, high, count)`: PostgreSQL's equal-width
//! histogram bucket, an `integer` from 0 (below the range) to `count + 1`
//! (at or above its end). Its two forms, each as PostgreSQL computes it:
//!
//! - `numeric` (`width_bucket_numeric` and `compute_bucket` in
//!   src/backend/utils/adt/numeric.c): exactly, `floor((operand - low) *
//!   count / (high - low)) + 1`, so `width_bucket(5.35, 0.024, 10.06, 5)` is
//!   3 and `width_bucket(1.0, 0, 3, 3)` is 2, never a rounded quotient's
//!   neighbour. Chosen when an argument is a numeric and none is a float.
//! - `double precision` (`width_bucket_float8` in src/backend/utils/adt/float.c):
//!   `count * (operand - low) / (high - low) + 1` in doubles, truncated.
//!   Chosen when an argument is a float, and for integers: PostgreSQL
//!   resolves `width_bucket(int, int, int, int)` to this form, `float8`
//!   being the preferred numeric type.
//!
//! `low > high` reverses the histogram (`operand > low` is bucket 0,
//! `operand <= high` is `count + 1`). Errors are PostgreSQL's: `count must be
//! greater than zero`, `lower bound cannot equal upper bound`, `operand, lower
//! bound, and upper bound cannot be NaN`, `lower and upper bounds must be
//! finite` (SQLSTATE 2201G); `integer out of range` (22003) for `count + 1`
//! beyond `integer`. An infinite operand is allowed. Where PostgreSQL's
//! double arithmetic overflows (`high - low` beyond the doubles, giving a
//! NaN that C converts to an arbitrary integer), conversql fails with 0A000
//! instead. Strict: a NULL argument gives NULL, before any error.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Builder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type, i256};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::numeric_div::operand_type;
use crate::sql_error::SqlError;

/// `width_bucket(operand, low, high, count)`: the histogram bucket of `operand`.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The bucket of `operand` in a histogram of `count` equal-width buckets from \
`low` (inclusive) to `high` (exclusive), as PostgreSQL's `width_bucket`: 0 below the range, \
`count + 1` at or above its end; `low > high` reverses it. Computed exactly for numerics, in \
doubles for floats and integers. `count <= 0` or `low = high` fail with SQLSTATE 2201G. Returns \
NULL if an argument is NULL.",
    syntax_example = "width_bucket(operand, low, high, count)",
    sql_example = r"```sql
> SELECT width_bucket(5.35, 0.024, 10.06, 5) AS a, width_bucket(1.0, 0, 3, 3) AS b, width_bucket(11, 10, 0, 5) AS c;
+---+---+---+
| a | b | c |
+---+---+---+
| 3 | 2 | 0 |
+---+---+---+
```",
    argument(name = "operand", description = "The value to place."),
    argument(name = "low", description = "Where the first bucket starts."),
    argument(name = "high", description = "Where the last bucket ends."),
    argument(name = "count", description = "The number of buckets, an integer.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct WidthBucketFunc {
    signature: Signature,
}

impl Default for WidthBucketFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl WidthBucketFunc {
    /// Creates the `width_bucket` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// A `width_bucket` argument error (SQLSTATE 2201G).
fn invalid(message: &str) -> SqlError {
    SqlError::new("2201G", message)
}

/// `integer out of range` (SQLSTATE 22003).
fn out_of_range() -> SqlError {
    SqlError::new("22003", "integer out of range")
}

/// `count + 1`, the bucket at or above the range's end.
fn past_end(count: i32) -> Result<i32, SqlError> {
    count.checked_add(1).ok_or_else(out_of_range)
}

/// `width_bucket_float8`.
fn bucket_float8(operand: f64, low: f64, high: f64, count: i32) -> Result<i32, SqlError> {
    if count <= 0 {
        return Err(invalid("count must be greater than zero"));
    }
    if operand.is_nan() || low.is_nan() || high.is_nan() {
        return Err(invalid(
            "operand, lower bound, and upper bound cannot be NaN",
        ));
    }
    if low.is_infinite() || high.is_infinite() {
        return Err(invalid("lower and upper bounds must be finite"));
    }
    let count_f = f64::from(count);
    let bucket = if low < high {
        if operand < low {
            return Ok(0);
        } else if operand >= high {
            return past_end(count);
        }
        count_f * (operand - low) / (high - low) + 1.0
    } else if low > high {
        if operand > low {
            return Ok(0);
        } else if operand <= high {
            return past_end(count);
        }
        count_f * (low - operand) / (low - high) + 1.0
    } else {
        return Err(invalid("lower bound cannot equal upper bound"));
    };
    // C's conversion to int32 truncates; outside int32 (a NaN from an
    // overflowing `high - low`) PostgreSQL's answer is arbitrary.
    if bucket.is_finite() && bucket >= f64::from(i32::MIN) && bucket < 2_147_483_648.0 {
        Ok(bucket as i32)
    } else {
        Err(SqlError::unsupported(format!(
            "width_bucket({operand}, {low}, {high}, {count}) overflows double precision"
        )))
    }
}

/// `10^n` as an `i256`.
fn pow10(n: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(n)
}

/// `width_bucket_numeric`, of unscaled decimals at the given scales.
fn bucket_numeric(
    (operand, operand_scale): (i128, i8),
    (low, low_scale): (i128, i8),
    (high, high_scale): (i128, i8),
    count: i32,
) -> Result<i32, SqlError> {
    if count <= 0 {
        return Err(invalid("count must be greater than zero"));
    }
    let scale = operand_scale.max(low_scale).max(high_scale);
    let overflow = || {
        SqlError::unsupported("width_bucket of numerics this large overflows conversql's decimals")
    };
    let at_scale = |v: i128, s: i8| {
        i256::from_i128(v)
            .checked_mul(pow10((scale - s) as u32))
            .ok_or_else(overflow)
    };
    let (operand, low, high) = (
        at_scale(operand, operand_scale)?,
        at_scale(low, low_scale)?,
        at_scale(high, high_scale)?,
    );
    if low == high {
        return Err(invalid("lower bound cannot equal upper bound"));
    }
    let ascending = low < high;
    if (ascending && operand < low) || (!ascending && operand > low) {
        return Ok(0);
    }
    if (ascending && operand >= high) || (!ascending && operand <= high) {
        return past_end(count);
    }
    // (operand - low) and (high - low) have the same sign: truncation is floor.
    let numerator = operand
        .checked_sub(low)
        .and_then(|d| d.checked_mul(i256::from_i128(count.into())))
        .ok_or_else(overflow)?;
    let denominator = high.checked_sub(low).ok_or_else(overflow)?;
    let quotient = numerator.checked_div(denominator).ok_or_else(overflow)?;
    // 0 <= quotient < count.
    Ok(quotient.as_i128() as i32 + 1)
}

/// The kind of number an argument of `width_bucket` is.
fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

impl ScalarUDFImpl for WidthBucketFunc {
    fn name(&self) -> &'static str {
        "width_bucket"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [operand, low, high, count] = arg_types else {
            return plan_err!("width_bucket takes 4 arguments, got {}", arg_types.len());
        };
        let values = [operand, low, high];
        for t in values {
            if !(t.is_integer()
                || t.is_null()
                || is_float(t)
                || matches!(t, DataType::Decimal128(_, _)))
            {
                return plan_err!(
                    "width_bucket places a number between numbers, got {t}; the array form \
                     width_bucket(operand, thresholds) is not supported"
                );
            }
        }
        let mut types: Vec<DataType> = if values.iter().any(|t| is_float(t))
            || !values
                .iter()
                .any(|t| matches!(t, DataType::Decimal128(_, _)))
        {
            vec![DataType::Float64; 3]
        } else {
            values
                .iter()
                .map(|t| operand_type(self.name(), t))
                .collect::<Result<_>>()?
        };
        types.push(match count {
            DataType::Null => DataType::Int32,
            t if t.is_integer() => t.clone(),
            other => return plan_err!("width_bucket: count must be an integer, got {other}"),
        });
        Ok(types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let counts = cast(&arrays[3], &DataType::Int64)?;
        let counts = counts.as_primitive::<Int64Type>();
        let rows = counts.len();
        let mut out = Int32Builder::with_capacity(rows);
        let count_at = |row: usize| -> Result<i32, SqlError> {
            i32::try_from(counts.value(row)).map_err(|_| out_of_range())
        };
        if let DataType::Decimal128(_, _) = arrays[0].data_type() {
            let values: Vec<_> = arrays[..3]
                .iter()
                .map(AsArray::as_primitive::<Decimal128Type>)
                .collect();
            let scales: Vec<i8> = values.iter().map(|a| a.scale()).collect();
            for row in 0..rows {
                if counts.is_null(row) || values.iter().any(|a| a.is_null(row)) {
                    out.append_null();
                    continue;
                }
                out.append_value(bucket_numeric(
                    (values[0].value(row), scales[0]),
                    (values[1].value(row), scales[1]),
                    (values[2].value(row), scales[2]),
                    count_at(row)?,
                )?);
            }
        } else {
            let values = arrays[..3]
                .iter()
                .map(|a| cast(a, &DataType::Float64))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let values: Vec<_> = values
                .iter()
                .map(AsArray::as_primitive::<Float64Type>)
                .collect();
            for row in 0..rows {
                if counts.is_null(row) || values.iter().any(|a| a.is_null(row)) {
                    out.append_null();
                    continue;
                }
                out.append_value(bucket_float8(
                    values[0].value(row),
                    values[1].value(row),
                    values[2].value(row),
                    count_at(row)?,
                )?);
            }
        }
        to_columnar(Arc::new(out.finish()), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, to_scalar};
    use datafusion::common::ScalarValue;

    /// A numeric from its text (`5.35`).
    fn num(text: &str) -> (i128, i8) {
        let (integer, fraction) = text.split_once('.').unwrap_or((text, ""));
        let unscaled: i128 = format!("{integer}{fraction}").parse().unwrap();
        (unscaled, fraction.len() as i8)
    }

    fn numeric(operand: &str, low: &str, high: &str, count: i32) -> Result<i32, SqlError> {
        bucket_numeric(num(operand), num(low), num(high), count)
    }

    #[test]
    fn numerics_are_bucketed_exactly() {
        // Each checked on PostgreSQL 15.
        assert_eq!(numeric("5.35", "0.024", "10.06", 5), Ok(3));
        assert_eq!(numeric("-1", "0", "10", 5), Ok(0));
        assert_eq!(numeric("10", "0", "10", 5), Ok(6));
        assert_eq!(numeric("0", "0", "10", 5), Ok(1));
        assert_eq!(numeric("5", "10", "0", 5), Ok(3));
        assert_eq!(numeric("10", "10", "0", 5), Ok(1));
        assert_eq!(numeric("0", "10", "0", 5), Ok(6));
        assert_eq!(numeric("-1", "10", "0", 5), Ok(6));
        assert_eq!(numeric("11", "10", "0", 5), Ok(0));
        // A rounded 1.0 / 3 times 3 would fall short of 1.
        assert_eq!(numeric("1.0", "0", "3", 3), Ok(2));
        assert_eq!(numeric("2.0", "0.0", "3.0", 3), Ok(3));
        assert_eq!(numeric("1.0", "0", "3", i32::MAX), Ok(715_827_883));
        assert_eq!(numeric("10.5", "0", "10", i32::MAX), Err(out_of_range()));
    }

    #[test]
    fn doubles_are_bucketed_as_postgresql_does() {
        // Each checked on PostgreSQL 15.
        assert_eq!(bucket_float8(5.35, 0.024, 10.06, 5), Ok(3));
        assert_eq!(bucket_float8(3.333_333_333_3, 0.0, 10.0, 3), Ok(1));
        assert_eq!(bucket_float8(1.0, 0.0, 3.0, 3), Ok(2));
        assert_eq!(bucket_float8(2.0, 0.0, 3.0, 3), Ok(3));
        assert_eq!(bucket_float8(f64::INFINITY, 0.0, 1.0, 3), Ok(4));
        assert_eq!(bucket_float8(f64::NEG_INFINITY, 0.0, 1.0, 3), Ok(0));
        assert_eq!(bucket_float8(0.5, 0.0, 1.0, i32::MAX), Ok(1_073_741_824));
        assert_eq!(bucket_float8(11.0, 10.0, 0.0, 5), Ok(0));
        assert_eq!(bucket_float8(-1.0, 10.0, 0.0, 5), Ok(6));
    }

    #[test]
    fn errors_are_postgresqls() {
        // Each checked on PostgreSQL 15.
        let message = |r: Result<i32, SqlError>| {
            let e = r.unwrap_err();
            (e.sqlstate, e.message)
        };
        let count = ("2201G", "count must be greater than zero".to_string());
        let equal = ("2201G", "lower bound cannot equal upper bound".to_string());
        assert_eq!(message(numeric("5", "0", "10", 0)), count);
        assert_eq!(message(bucket_float8(5.0, 0.0, 10.0, 0)), count);
        assert_eq!(message(numeric("5", "1", "1.00", 3)), equal);
        assert_eq!(message(bucket_float8(5.0, 1.0, 1.0, 3)), equal);
        assert_eq!(
            message(bucket_float8(f64::NAN, 0.0, 1.0, 3)),
            (
                "2201G",
                "operand, lower bound, and upper bound cannot be NaN".to_string()
            )
        );
        assert_eq!(
            message(bucket_float8(1.0, f64::NEG_INFINITY, 1.0, 3)),
            ("2201G", "lower and upper bounds must be finite".to_string())
        );
        // PostgreSQL 15 answers -2147483648 (a NaN converted to int32).
        assert_eq!(message(bucket_float8(1e300, -1e308, 1e308, 10)).0, "0A000");
    }

    #[test]
    fn arguments_choose_the_form_as_postgresql_does() {
        let f = WidthBucketFunc::new();
        let dec = DataType::Decimal128(3, 2);
        assert_eq!(
            f.coerce_types(&[
                dec.clone(),
                DataType::Int64,
                DataType::Int64,
                DataType::Int64
            ])
            .unwrap(),
            vec![
                dec.clone(),
                DataType::Decimal128(19, 0),
                DataType::Decimal128(19, 0),
                DataType::Int64
            ]
        );
        assert_eq!(
            f.coerce_types(&[dec, DataType::Float64, DataType::Int64, DataType::Int32])
                .unwrap(),
            vec![
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
                DataType::Int32
            ]
        );
        assert_eq!(
            f.coerce_types(&vec![DataType::Null; 4]).unwrap(),
            vec![
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
                DataType::Int32
            ]
        );
    }

    #[test]
    fn null_gives_null_before_errors() {
        let f = WidthBucketFunc::new();
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Float64(None)),
            ColumnarValue::Scalar(ScalarValue::Float64(Some(1.0))),
            ColumnarValue::Scalar(ScalarValue::Float64(Some(1.0))),
            ColumnarValue::Scalar(ScalarValue::Int32(Some(0))),
        ];
        assert_eq!(
            to_scalar(invoke(&f, args).unwrap()),
            ScalarValue::Int32(None)
        );
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(535), 3, 2)),
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(24), 4, 3)),
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(1006), 4, 2)),
            ColumnarValue::Scalar(ScalarValue::Int64(Some(5))),
        ];
        assert_eq!(
            to_scalar(invoke(&f, args).unwrap()),
            ScalarValue::Int32(Some(3))
        );
        let args = vec![
            ColumnarValue::Scalar(ScalarValue::Float64(Some(5.0))),
            ColumnarValue::Scalar(ScalarValue::Float64(Some(0.0))),
            ColumnarValue::Scalar(ScalarValue::Float64(Some(10.0))),
            ColumnarValue::Scalar(ScalarValue::Int64(Some(3_000_000_000))),
        ];
        let err = invoke(&f, args).unwrap_err().to_string();
        assert!(err.contains("integer out of range"), "{err}");
    }
}
