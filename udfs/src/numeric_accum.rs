//! PostgreSQL's `numeric` variance accumulator (`numeric_accum`,
//! `numeric_stddev_internal` of src/backend/utils/adt/numeric.c), shared by
//! [`crate::numeric_variance`] and [`crate::numeric_variance_scale`].
//!
//! PostgreSQL computes `var_samp`, `var_pop`, `stddev_samp` and
//! `stddev_pop` of integers and `numeric`s exactly: it keeps the count N,
//! the sum Sx and the sum of squares Sxx as numerics (Sx's display scale is
//! the most places of its values, d), then divides `N·Sxx − Sx²` (display
//! scale 2d) by `N·(N − 1)` (or `N·N`) at `select_div_scale`, rounding half
//! away from zero, and takes the square root at that scale for a standard
//! deviation. A numerator of zero or less answers `0`. The same integer
//! arithmetic (256 bits) gives the same digits. The result is held at
//! [`QUOTIENT_SCALE`] places (the display scale travels beside it); one that
//! needs more places, or more than 38 digits, is an error, never a shorter
//! answer.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Decimal256Type, Field, FieldRef, Int32Type, Int64Type, Schema, i256,
};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{Accumulator, ColumnarValue};

use crate::float8_accum::{Statistic, refuse_distinct};
use crate::numeric_div::{
    QUOTIENT_SCALE, div_scale_of_weights, divide, operand_type, pow10, weight_and_first_digit,
    wide_weight_and_first_digit,
};
use crate::sql_error::SqlError;

/// The statistic a `numeric_variance` call names (`'var_samp'`, `'var_pop'`,
/// `'stddev_samp'`, `'stddev_pop'`).
pub(crate) fn statistic_named(name: &str) -> Result<Statistic> {
    [
        Statistic::VarSamp,
        Statistic::VarPop,
        Statistic::StddevSamp,
        Statistic::StddevPop,
    ]
    .into_iter()
    .find(|s| s.name() == name)
    .map_or_else(
        || {
            plan_err!(
                "numeric_variance: the statistic is var_samp, var_pop, stddev_samp or \
                 stddev_pop, got '{name}'"
            )
        },
        Ok,
    )
}

/// The argument types: the value as a decimal, its places as `Int32`, the statistic as text.
pub(crate) fn coerce_arguments(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let [x, places, statistic] = arg_types else {
        return plan_err!(
            "{function} takes a value, its display scale and a statistic, got {} arguments",
            arg_types.len()
        );
    };
    if !(places.is_integer() || places.is_null()) {
        return plan_err!("{function}: a display scale is an integer, got {places}");
    }
    if !matches!(
        statistic,
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 | DataType::Null
    ) {
        return plan_err!("{function}: the statistic is text, got {statistic}");
    }
    Ok(vec![
        operand_type(function, x)?,
        DataType::Int32,
        DataType::Utf8,
    ])
}

/// The scale of the (coerced) value's decimal type.
fn value_scale(x: &DataType) -> i8 {
    match x {
        DataType::Decimal128(_, s) => *s,
        _ => 0,
    }
}

/// The state: N, Sx (at the value's scale), Sxx (at twice it) and d.
pub(crate) fn state_fields(args: &StateFieldsArgs) -> Result<Vec<FieldRef>> {
    let scale = value_scale(args.input_fields[0].data_type());
    let Some(squared) = scale.checked_mul(2).filter(|s| *s <= 76) else {
        return plan_err!("numeric variance of a value with {scale} places is not supported");
    };
    let field = |name: &str, data_type: DataType| {
        Arc::new(Field::new(
            format_state_name(args.name, name),
            data_type,
            true,
        ))
    };
    Ok(vec![
        field("n", DataType::Int64),
        field("sx", DataType::Decimal256(76, scale)),
        field("sxx", DataType::Decimal256(76, squared)),
        field("places", DataType::Int32),
    ])
}

/// What an accumulator evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Output {
    /// The statistic, a `Decimal128(38, QUOTIENT_SCALE)`.
    Value,
    /// Its display scale, an `Int32`.
    Places,
}

/// The value type of `numeric_variance`.
pub(crate) const VALUE_TYPE: DataType = DataType::Decimal128(38, QUOTIENT_SCALE);

/// PostgreSQL's `numeric` variance state.
#[derive(Debug)]
pub(crate) struct NumericAccum {
    output: Output,
    statistic: Statistic,
    /// The values' decimal scale (Sx's; Sxx's is twice it).
    scale: i8,
    n: i64,
    sx: i256,
    sxx: i256,
    /// The most display places of the values added (`None` before any).
    places: Option<i32>,
}

/// An answer: the unscaled value at `places` places, or NULL.
pub(crate) struct Answer {
    /// The value × 10^places.
    pub unscaled: i256,
    /// PostgreSQL's display scale.
    pub places: i32,
}

fn overflow() -> datafusion::error::DataFusionError {
    SqlError::new("22003", "value out of range: overflow in numeric variance").into()
}

impl NumericAccum {
    /// The accumulator of a `numeric_variance(x, places, statistic)` call.
    pub(crate) fn new(args: &AccumulatorArgs, output: Output) -> Result<Self> {
        let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
        let statistic = match args.exprs[2].evaluate(&empty) {
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name)))) => statistic_named(&name)?,
            _ => return plan_err!("numeric_variance: the statistic must be a constant"),
        };
        refuse_distinct(statistic.name(), args)?;
        Ok(Self {
            output,
            statistic,
            scale: value_scale(&args.exprs[0].data_type(args.schema)?),
            n: 0,
            sx: i256::ZERO,
            sxx: i256::ZERO,
            places: None,
        })
    }

    fn fold(&mut self, values: &[ArrayRef], remove: bool) -> Result<()> {
        let x = cast(&values[0], &DataType::Decimal256(76, self.scale))?;
        let x = x.as_primitive::<Decimal256Type>();
        let places = cast(&values[1], &DataType::Int32)?;
        let places = places.as_primitive::<Int32Type>();
        for i in 0..x.len() {
            if x.is_null(i) {
                continue;
            }
            let v = x.value(i);
            let square = v.checked_mul(v).ok_or_else(overflow)?;
            if remove {
                self.n -= 1;
                self.sx = self.sx.checked_sub(v).ok_or_else(overflow)?;
                self.sxx = self.sxx.checked_sub(square).ok_or_else(overflow)?;
            } else {
                self.n += 1;
                self.sx = self.sx.checked_add(v).ok_or_else(overflow)?;
                self.sxx = self.sxx.checked_add(square).ok_or_else(overflow)?;
                // Sx's display scale only grows, as PostgreSQL's does on removal too.
                let p = if places.is_null(i) {
                    i32::from(self.scale)
                } else {
                    places.value(i)
                };
                self.places = Some(self.places.map_or(p, |q| q.max(p)));
            }
        }
        Ok(())
    }

    /// The statistic as PostgreSQL answers it, or `None` for NULL.
    pub(crate) fn answer(&self) -> Result<Option<Answer>> {
        let n = i256::from_i128(i128::from(self.n));
        let divisor = match self.statistic {
            Statistic::VarSamp | Statistic::StddevSamp if self.n > 1 => {
                n.checked_mul(n.wrapping_sub(i256::ONE))
            }
            Statistic::VarPop | Statistic::StddevPop if self.n > 0 => n.checked_mul(n),
            _ => return Ok(None),
        }
        .ok_or_else(overflow)?;
        // N·Sxx − Sx², at twice the values' scale.
        let numerator = n
            .checked_mul(self.sxx)
            .and_then(|a| self.sx.checked_mul(self.sx).and_then(|b| a.checked_sub(b)))
            .ok_or_else(overflow)?;
        if numerator <= i256::ZERO {
            return Ok(Some(Answer {
                unscaled: i256::ZERO,
                places: 0,
            }));
        }
        let squared_scale = self.scale * 2;
        let places = div_scale_of_weights(
            wide_weight_and_first_digit(numerator, squared_scale),
            2 * self.places.unwrap_or(0),
            weight_and_first_digit(divisor.to_i128().ok_or_else(overflow)?, 0),
            0,
        );
        let variance = divide(numerator, squared_scale, divisor, 0, places).ok_or_else(overflow)?;
        let unscaled = match self.statistic {
            Statistic::VarSamp | Statistic::VarPop => variance,
            Statistic::StddevSamp | Statistic::StddevPop => {
                rounded_sqrt(variance, places).ok_or_else(overflow)?
            }
        };
        Ok(Some(Answer { unscaled, places }))
    }

    fn state_values(&self) -> Vec<ScalarValue> {
        vec![
            ScalarValue::Int64(Some(self.n)),
            ScalarValue::Decimal256(Some(self.sx), 76, self.scale),
            ScalarValue::Decimal256(Some(self.sxx), 76, self.scale * 2),
            ScalarValue::Int32(self.places),
        ]
    }

    fn merge(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states[0].as_primitive::<Int64Type>();
        let sx = states[1].as_primitive::<Decimal256Type>();
        let sxx = states[2].as_primitive::<Decimal256Type>();
        let places = states[3].as_primitive::<Int32Type>();
        for i in 0..n.len() {
            if n.is_null(i) || n.value(i) == 0 {
                continue;
            }
            self.n += n.value(i);
            self.sx = self.sx.checked_add(sx.value(i)).ok_or_else(overflow)?;
            self.sxx = self.sxx.checked_add(sxx.value(i)).ok_or_else(overflow)?;
            if places.is_valid(i) {
                let p = places.value(i);
                self.places = Some(self.places.map_or(p, |q| q.max(p)));
            }
        }
        Ok(())
    }
}

/// The square root of `v × 10^-places`, rounded half up to `places` places,
/// as an unscaled value (PostgreSQL's `sqrt_var` at the variance's scale).
fn rounded_sqrt(v: i256, places: i32) -> Option<i256> {
    // sqrt(v × 10^-p) × 10^p = sqrt(v × 10^p); one digit more, then rounded.
    let radicand = v.checked_mul(pow10(u32::try_from(places).ok()?.checked_add(2)?))?;
    let root = isqrt(radicand)?;
    let (tenths, last) = (root / i256::from_i128(10), root % i256::from_i128(10));
    Some(if last >= i256::from_i128(5) {
        tenths.checked_add(i256::ONE)?
    } else {
        tenths
    })
}

/// The integer square root (floor) of a non-negative `n`.
fn isqrt(n: i256) -> Option<i256> {
    if n < i256::ZERO {
        return None;
    }
    if n < i256::from_i128(2) {
        return Some(n);
    }
    // Newton's method from a power of two above the root, decreasing to it.
    let two = i256::from_i128(2);
    let digits = u32::try_from(n.to_string().len()).ok()?;
    // 10^digits > n, so 4^(2·digits) > n and 2^(2·digits) is above the root.
    let mut x = two.checked_pow(2 * digits)?;
    loop {
        let y = x.checked_add(n.checked_div(x)?)?.checked_div(two)?;
        if y >= x {
            return Some(x);
        }
        x = y;
    }
}

impl Accumulator for NumericAccum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.fold(values, false)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.fold(values, true)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.merge(states)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(self.state_values())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let answer = self.answer()?;
        match self.output {
            Output::Places => Ok(ScalarValue::Int32(answer.map(|a| a.places))),
            Output::Value => {
                let Some(answer) = answer else {
                    return ScalarValue::try_from(&VALUE_TYPE);
                };
                let held = i32::from(QUOTIENT_SCALE);
                if answer.places > held {
                    return Err(SqlError::unsupported(format!(
                        "the variance needs {} decimal places: conversql's numeric variance \
                         holds {held}",
                        answer.places
                    ))
                    .into());
                }
                let unscaled = u32::try_from(held - answer.places)
                    .ok()
                    .and_then(|shift| answer.unscaled.checked_mul(pow10(shift)))
                    .and_then(i256::to_i128)
                    .filter(|v| v.unsigned_abs() < 10u128.pow(38))
                    .ok_or_else(overflow)?;
                Ok(ScalarValue::Decimal128(Some(unscaled), 38, QUOTIENT_SCALE))
            }
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Int32Array};

    /// The statistic of `values` (unscaled at `scale`, each shown with `scale` places).
    fn of(statistic: Statistic, values: &[i128], scale: i8) -> Option<(String, i32)> {
        let mut acc = NumericAccum {
            output: Output::Value,
            statistic,
            scale,
            n: 0,
            sx: i256::ZERO,
            sxx: i256::ZERO,
            places: None,
        };
        let x: ArrayRef = Arc::new(
            Decimal128Array::from(values.to_vec())
                .with_precision_and_scale(38, scale)
                .unwrap(),
        );
        let places: ArrayRef = Arc::new(Int32Array::from(vec![i32::from(scale); values.len()]));
        acc.update_batch(&[x, places]).unwrap();
        let answer = acc.answer().unwrap()?;
        Some((answer.unscaled.to_string(), answer.places))
    }

    #[test]
    fn the_digits_postgresql_answers() {
        // SELECT var_samp(x) FROM (VALUES (1.0), (2.0), (4.0)) t(x): 2.3333333333333333
        assert_eq!(
            of(Statistic::VarSamp, &[10, 20, 40], 1),
            Some(("23333333333333333".into(), 16))
        );
        // stddev(x) of 1, 2, 3, 4: 1.2909944487358056; var_pop 1.2500000000000000
        assert_eq!(
            of(Statistic::StddevSamp, &[1, 2, 3, 4], 0),
            Some(("12909944487358056".into(), 16))
        );
        assert_eq!(
            of(Statistic::VarPop, &[1, 2, 3, 4], 0),
            Some(("12500000000000000".into(), 16))
        );
        // Equal values: 0, shown without places.
        assert_eq!(of(Statistic::StddevPop, &[5, 5], 0), Some(("0".into(), 0)));
        assert_eq!(of(Statistic::VarSamp, &[5], 0), None);
        assert_eq!(of(Statistic::VarPop, &[], 0), None);
    }

    #[test]
    fn square_roots_round_half_up() {
        assert_eq!(isqrt(i256::from_i128(99)), Some(i256::from_i128(9)));
        assert_eq!(isqrt(i256::from_i128(100)), Some(i256::from_i128(10)));
        let big = i256::from_i128(10i128.pow(30)).wrapping_mul(i256::from_i128(10i128.pow(30)));
        assert_eq!(isqrt(big), Some(i256::from_i128(10i128.pow(30))));
        // sqrt(2) to 3 places is 1.414; sqrt(2.25) exactly 1.5.
        assert_eq!(
            rounded_sqrt(i256::from_i128(2000), 3),
            Some(i256::from_i128(1414))
        );
        assert_eq!(
            rounded_sqrt(i256::from_i128(225), 2),
            Some(i256::from_i128(150))
        );
    }
}
