//! `numeric_div(a, a_scale, b, b_scale)`: PostgreSQL's `numeric` division,
//! `a / b` rounded to the scale PostgreSQL's `select_div_scale`
//! (src/backend/utils/adt/numeric.c) chooses from the operands' values and
//! display scales: at least 16 significant digits, and no fewer places than
//! either operand shows (`1.0 / 3` has 20 places, `125 * 100.0 / 241` 16,
//! `5 / 1000000.0` 24). The last place is rounded half away from zero, as
//! PostgreSQL's `div_var` rounds it.
//!
//! The statement's `a / b` of numerics becomes this call (with the operands'
//! display scales, see conversql's `display_scale` module) and
//! [`crate::numeric_div_scale`] gives the quotient's display scale. An Arrow
//! decimal has one scale per column, so the quotient is held at scale
//! [`QUOTIENT_SCALE`] (or an operand's scale, if larger) with the places
//! beyond PostgreSQL's scale zero; a quotient that needs more places than
//! that, or more than 38 digits in all, is an error, never a shorter answer.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Builder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, i256};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// The scale a quotient is held at (unless an operand has more places): the
/// places of PostgreSQL's quotients down to `1 / 10000.0`.
pub const QUOTIENT_SCALE: i8 = 24;

/// PostgreSQL's fewest significant digits of a quotient (`NUMERIC_MIN_SIG_DIGITS`).
const MIN_SIG_DIGITS: i32 = 16;

/// PostgreSQL's largest display scale (`NUMERIC_MAX_DISPLAY_SCALE`).
const MAX_DISPLAY_SCALE: i32 = 1000;

/// `numeric_div(a, a_scale, b, b_scale)`: `a / b` as PostgreSQL divides numerics.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The quotient `a / b` of two numerics as PostgreSQL computes it: rounded (half \
away from zero) to at least 16 significant digits and to no fewer places than either operand's \
display scale (`a_scale`, `b_scale`). conversql plans a division of numerics as this call. \
Division by zero is an error (SQLSTATE 22012). Returns NULL if an argument is NULL.",
    syntax_example = "numeric_div(a, a_scale, b, b_scale)",
    sql_example = r"```sql
> SELECT numeric_div(1.0, 1, 3, 0) AS q, numeric_div_scale(1.0, 1, 3, 0) AS places;
+----------------------------+--------+
| q                          | places |
+----------------------------+--------+
| 0.333333333333333333330000 | 20     |
+----------------------------+--------+
```",
    argument(name = "a", description = "The dividend, an integer or numeric."),
    argument(name = "a_scale", description = "The dividend's display scale."),
    argument(name = "b", description = "The divisor, an integer or numeric."),
    argument(name = "b_scale", description = "The divisor's display scale.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericDivFunc {
    signature: Signature,
}

impl Default for NumericDivFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericDivFunc {
    /// Creates the `numeric_div` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The decimal type an integer or numeric operand is read as.
pub(crate) fn operand_type(function: &str, data_type: &DataType) -> Result<DataType> {
    Ok(match data_type {
        DataType::Int8 | DataType::UInt8 => DataType::Decimal128(3, 0),
        DataType::Int16 | DataType::UInt16 => DataType::Decimal128(5, 0),
        DataType::Int32 | DataType::UInt32 => DataType::Decimal128(10, 0),
        DataType::Int64 => DataType::Decimal128(19, 0),
        DataType::UInt64 => DataType::Decimal128(20, 0),
        DataType::Null => DataType::Decimal128(1, 0),
        DataType::Decimal128(_, _) => data_type.clone(),
        other => return plan_err!("{function} divides integers and numerics, got {other}"),
    })
}

/// The argument types of `numeric_div` and `numeric_div_scale`.
pub(crate) fn coerce_arguments(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let [a, a_scale, b, b_scale] = arg_types else {
        return plan_err!("{function} takes 4 arguments, got {}", arg_types.len());
    };
    let scale_type = |t: &DataType| {
        if t.is_integer() || t == &DataType::Null {
            Ok(DataType::Int32)
        } else {
            plan_err!("{function}: a display scale is an integer, got {t}")
        }
    };
    Ok(vec![
        operand_type(function, a)?,
        scale_type(a_scale)?,
        operand_type(function, b)?,
        scale_type(b_scale)?,
    ])
}

/// The scale of a decimal type (0 for any other).
fn scale_of(data_type: &DataType) -> i8 {
    match data_type {
        DataType::Decimal128(_, s) => *s,
        _ => 0,
    }
}

/// The scale the quotient of operands of these types is held at.
fn quotient_scale(a: &DataType, b: &DataType) -> i8 {
    QUOTIENT_SCALE.max(scale_of(a)).max(scale_of(b)).min(38)
}

/// The number of decimal digits of `v` (1 for 0).
fn digits(v: u128) -> i32 {
    v.checked_ilog10().map_or(1, |d| d as i32 + 1)
}

/// PostgreSQL's weight (the power of 10000 of the first nonzero base-10000
/// digit) and that digit, of `unscaled × 10^-scale` (0 and 0 for zero).
pub(crate) fn weight_and_first_digit(unscaled: i128, scale: i8) -> (i32, u128) {
    let v = unscaled.unsigned_abs();
    if v == 0 {
        return (0, 0);
    }
    let scale = i32::from(scale);
    let integer_digits = digits(v) - scale;
    if integer_digits > 0 {
        let weight = (integer_digits - 1) / 4;
        // The first group: the value over 10000^weight, in unscaled digits.
        let below = 4 * weight + scale;
        let first = if below >= 0 {
            v / 10u128.pow(below as u32)
        } else {
            v * 10u128.pow((-below) as u32)
        };
        (weight, first)
    } else {
        // Zeros between the point and the first digit, then the group holding it.
        let zeros = -integer_digits;
        let group = zeros / 4 + 1;
        let shift = 4 * group - scale;
        let first = if shift >= 0 {
            v * 10u128.pow(shift as u32)
        } else {
            v / 10u128.pow((-shift) as u32)
        };
        (-group, first)
    }
}

/// PostgreSQL's `select_div_scale`: the display scale of `a / b`, for the
/// unscaled values and Arrow scales of the operands and their display scales.
pub fn select_div_scale(
    a: i128,
    a_arrow_scale: i8,
    a_scale: i32,
    b: i128,
    b_arrow_scale: i8,
    b_scale: i32,
) -> i32 {
    div_scale_of_weights(
        weight_and_first_digit(a, a_arrow_scale),
        a_scale,
        weight_and_first_digit(b, b_arrow_scale),
        b_scale,
    )
}

/// [`weight_and_first_digit`] of a value that may need more than 128 bits.
pub(crate) fn wide_weight_and_first_digit(unscaled: i256, scale: i8) -> (i32, u128) {
    if let Some(narrow) = unscaled.to_i128() {
        return weight_and_first_digit(narrow, scale);
    }
    let digits: Vec<u128> = unscaled
        .wrapping_abs()
        .to_string()
        .bytes()
        .map(|b| u128::from(b - b'0'))
        .collect();
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let integer_digits = len - i32::from(scale);
    let group_of = |positions: std::ops::Range<i32>, offset: i32| {
        positions.fold(0u128, |group, k| {
            let digit = usize::try_from(k - offset)
                .ok()
                .and_then(|at| digits.get(at))
                .copied()
                .unwrap_or(0);
            group * 10 + digit
        })
    };
    if integer_digits > 0 {
        let weight = (integer_digits - 1) / 4;
        (weight, group_of(0..integer_digits - 4 * weight, 0))
    } else {
        // Zeros between the point and the first digit, then the group holding it.
        let zeros = -integer_digits;
        let group = zeros / 4 + 1;
        (-group, group_of(4 * (group - 1)..4 * group, zeros))
    }
}

/// `select_div_scale` from the operands' weights and first base-10000 digits
/// ([`weight_and_first_digit`]) and display scales.
pub(crate) fn div_scale_of_weights(
    (weight1, first1): (i32, u128),
    a_scale: i32,
    (weight2, first2): (i32, u128),
    b_scale: i32,
) -> i32 {
    let mut qweight = weight1 - weight2;
    if first1 <= first2 {
        qweight -= 1;
    }
    (MIN_SIG_DIGITS - qweight * 4)
        .max(a_scale)
        .max(b_scale)
        .clamp(0, MAX_DISPLAY_SCALE)
}

/// `10^n` as an `i256`.
pub(crate) fn pow10(n: u32) -> i256 {
    i256::from_i128(10).wrapping_pow(n)
}

/// `a / b` (unscaled values at scales `sa`, `sb`) rounded half away from zero
/// to `places` decimal places, as an unscaled value at scale `places`.
pub(crate) fn divide(a: i256, sa: i8, b: i256, sb: i8, places: i32) -> Option<i256> {
    // a / b × 10^places = (a × 10^(places - sa + sb)) / b.
    let exponent = places - i32::from(sa) + i32::from(sb);
    let (mut numerator, mut denominator) = (a, b);
    if exponent >= 0 {
        numerator = numerator.checked_mul(pow10(exponent as u32))?;
    } else {
        denominator = denominator.checked_mul(pow10((-exponent) as u32))?;
    }
    let quotient = numerator.checked_div(denominator)?;
    let remainder = numerator.checked_rem(denominator)?;
    let twice = remainder.wrapping_abs().checked_mul(i256::from_i128(2))?;
    if twice >= denominator.wrapping_abs() {
        let away = if (numerator < i256::ZERO) == (denominator < i256::ZERO) {
            i256::ONE
        } else {
            i256::MINUS_ONE
        };
        quotient.checked_add(away)
    } else {
        Some(quotient)
    }
}

/// The operands of a `numeric_div`-shaped call, as decimals and display scales.
pub(crate) struct Operands {
    pub a: arrow::array::Decimal128Array,
    pub a_scale: arrow::array::Int32Array,
    pub b: arrow::array::Decimal128Array,
    pub b_scale: arrow::array::Int32Array,
}

impl Operands {
    /// Reads the four arguments (already coerced).
    pub fn read(arrays: &[arrow::array::ArrayRef]) -> Result<Self> {
        let decimal = |i: usize| -> Result<arrow::array::Decimal128Array> {
            let t = operand_type("numeric_div", arrays[i].data_type())?;
            Ok(cast(&arrays[i], &t)?
                .as_primitive::<Decimal128Type>()
                .clone())
        };
        let int = |i: usize| -> Result<arrow::array::Int32Array> {
            Ok(cast(&arrays[i], &DataType::Int32)?
                .as_primitive::<Int32Type>()
                .clone())
        };
        Ok(Self {
            a: decimal(0)?,
            a_scale: int(1)?,
            b: decimal(2)?,
            b_scale: int(3)?,
        })
    }

    /// Whether row `i` has a NULL argument.
    pub fn is_null(&self, i: usize) -> bool {
        self.a.is_null(i) || self.a_scale.is_null(i) || self.b.is_null(i) || self.b_scale.is_null(i)
    }

    /// PostgreSQL's display scale of row `i`'s quotient.
    pub fn display_scale(&self, i: usize) -> i32 {
        select_div_scale(
            self.a.value(i),
            self.a.scale(),
            self.a_scale.value(i),
            self.b.value(i),
            self.b.scale(),
            self.b_scale.value(i),
        )
    }
}

impl ScalarUDFImpl for NumericDivFunc {
    fn name(&self) -> &'static str {
        "numeric_div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_arguments(self.name(), arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let types = coerce_arguments(self.name(), arg_types)?;
        Ok(DataType::Decimal128(
            38,
            quotient_scale(&types[0], &types[2]),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let operands = Operands::read(&arrays)?;
        let held = quotient_scale(operands.a.data_type(), operands.b.data_type());
        let limit = i256::from_i128(10i128.pow(38));
        let mut out = Decimal128Builder::with_capacity(operands.a.len());
        for i in 0..operands.a.len() {
            if operands.is_null(i) {
                out.append_null();
                continue;
            }
            if operands.b.value(i) == 0 {
                return Err(SqlError::new("22012", "division by zero").into());
            }
            let places = operands.display_scale(i);
            if places > i32::from(held) {
                return Err(SqlError::new(
                    "0A000",
                    format!(
                        "the quotient needs {places} decimal places: conversql's numeric \
                         division holds {held}"
                    ),
                )
                .into());
            }
            let overflow = || SqlError::new("22003", "numeric field overflow");
            let quotient = divide(
                i256::from_i128(operands.a.value(i)),
                operands.a.scale(),
                i256::from_i128(operands.b.value(i)),
                operands.b.scale(),
                places,
            )
            .and_then(|q| q.checked_mul(pow10((i32::from(held) - places) as u32)))
            .filter(|q| q.wrapping_abs() < limit)
            .ok_or_else(overflow)?;
            out.append_value(quotient.as_i128());
        }
        to_columnar(
            Arc::new(out.finish().with_precision_and_scale(38, held)?),
            all_scalar,
        )
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

    fn dec(v: i128, p: u8, s: i8) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), p, s))
    }

    fn int(v: i32) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Int32(Some(v)))
    }

    #[test]
    fn the_scale_is_postgresqls() {
        // 1.0 / 3: PostgreSQL shows 20 places.
        assert_eq!(select_div_scale(10, 1, 1, 3, 0, 0), 20);
        // 12500.0 / 241: 16.
        assert_eq!(select_div_scale(125_000, 1, 1, 241, 0, 0), 16);
        // 10.0 / 4: 16.
        assert_eq!(select_div_scale(100, 1, 1, 4, 0, 0), 16);
        // 5 / 1000000.0: 24.
        assert_eq!(select_div_scale(5, 0, 0, 10_000_000, 1, 1), 24);
        // 0.05 / 3 (first digit 500 of weight -1): 20.
        assert_eq!(select_div_scale(5, 2, 2, 3, 0, 0), 20);
        // 0 / 3: 20.
        assert_eq!(select_div_scale(0, 0, 0, 3, 0, 0), 20);
        // An operand's display scale above 16 is kept: 1.00000000000000000000 / 1 has 20.
        assert_eq!(select_div_scale(1, 0, 20, 1, 0, 0), 20);
        // 123456789 / 7 (quotient weight 1): 12 places.
        assert_eq!(select_div_scale(123_456_789, 0, 0, 7, 0, 0), 12);
        // Past 128 bits, the same weights as the narrow reading.
        for (v, scale) in [
            (123_456_789i128, 0i8),
            (5, 2),
            (12_345, 9),
            (7, 30),
            (99_999, 4),
        ] {
            let wide = i256::from_i128(v).wrapping_mul(pow10(40));
            assert_eq!(
                wide_weight_and_first_digit(wide, scale + 40),
                weight_and_first_digit(v, scale),
                "{v} at {scale}"
            );
        }
    }

    #[test]
    fn quotients_round_half_away_from_zero_at_that_scale() {
        let f = NumericDivFunc::new();
        // 200.0 / 3 = 66.6666666666666667 (16 places), held at scale 24.
        let q =
            to_scalar(invoke(&f, vec![dec(2000, 5, 1), int(1), dec(3, 10, 0), int(0)]).unwrap());
        assert_eq!(
            q,
            ScalarValue::Decimal128(Some(666_666_666_666_666_667 * 10i128.pow(8)), 38, 24)
        );
        // -2.0 / 3 = -0.66666666666666666667 (20 places).
        let q = to_scalar(invoke(&f, vec![dec(-20, 2, 1), int(1), dec(3, 10, 0), int(0)]).unwrap());
        assert_eq!(
            q,
            ScalarValue::Decimal128(Some(-66_666_666_666_666_666_667 * 10i128.pow(4)), 38, 24)
        );
    }

    #[test]
    fn division_by_zero_and_unheld_places_are_errors() {
        let f = NumericDivFunc::new();
        let message = invoke(&f, vec![dec(1, 2, 0), int(0), dec(0, 2, 0), int(0)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("division by zero"), "{message}");
        // 1 / 100000000.0 needs 28 places.
        let message = invoke(
            &f,
            vec![dec(1, 2, 0), int(0), dec(1_000_000_000, 10, 1), int(1)],
        )
        .unwrap_err()
        .to_string();
        assert!(message.contains("28 decimal places"), "{message}");
    }
}
