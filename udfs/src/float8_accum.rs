//! PostgreSQL's `double precision` variance accumulator (`float8_accum`,
//! `float8_combine` of `float.c`), shared by `var_pop`, `var_samp`,
//! `stddev_pop` and `stddev`.
//!
//! PostgreSQL keeps the count N, the sum Sx and the sum of squared
//! differences Sxx by Youngs and Cramer's method; DataFusion's variance
//! (Welford's method) rounds differently in the last bits
//! (`var_pop` of 1, 2 and 4 is `1.5555555555555554` in DataFusion,
//! `1.5555555555555556` in PostgreSQL). The same arithmetic gives the same
//! bits. A sliding window frame (`ROWS BETWEEN 1 PRECEDING AND CURRENT
//! ROW`) would need to remove values, which PostgreSQL's accumulator cannot
//! either: it is an error (SQLSTATE 0A000).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::Accumulator;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;

use crate::sql_error::SqlError;

/// What an accumulator answers from N, Sx and Sxx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Statistic {
    /// `var_pop`: Sxx / N.
    VarPop,
    /// `var_samp`: Sxx / (N - 1).
    VarSamp,
    /// `stddev_pop`: the square root of `var_pop`.
    StddevPop,
    /// `stddev_samp`: the square root of `var_samp`.
    StddevSamp,
}

/// `DISTINCT` is not implemented for the variances (the accumulators would
/// need the set of values seen): refused (0A000) rather than ignored.
pub(crate) fn refuse_distinct(function: &str, args: &AccumulatorArgs) -> Result<()> {
    if args.is_distinct {
        return Err(SqlError::unsupported(format!(
            "{function}(DISTINCT …) is not supported; aggregate the distinct values of a \
             subquery (SELECT DISTINCT …)"
        ))
        .into());
    }
    Ok(())
}

impl Statistic {
    /// PostgreSQL's name of the aggregate.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Statistic::VarPop => "var_pop",
            Statistic::VarSamp => "var_samp",
            Statistic::StddevPop => "stddev_pop",
            Statistic::StddevSamp => "stddev_samp",
        }
    }
}

/// The argument as a `double precision` (any number).
pub(crate) fn coerce_float(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    match arg_types {
        [t] if t.is_numeric() || t.is_null() => Ok(vec![DataType::Float64]),
        _ => plan_err!("{function} takes one double precision, got {arg_types:?}"),
    }
}

/// The state: N, Sx and Sxx.
pub(crate) fn state_fields(args: &StateFieldsArgs) -> Vec<FieldRef> {
    ["n", "sx", "sxx"]
        .into_iter()
        .map(|name| {
            Arc::new(Field::new(
                format_state_name(args.name, name),
                DataType::Float64,
                true,
            ))
        })
        .collect()
}

/// PostgreSQL's `float8_accum` state.
#[derive(Debug)]
pub(crate) struct Float8Accum {
    statistic: Statistic,
    n: f64,
    sx: f64,
    sxx: f64,
}

impl Float8Accum {
    /// An empty state answering `statistic`.
    pub(crate) fn new(statistic: Statistic) -> Self {
        Self {
            statistic,
            n: 0.0,
            sx: 0.0,
            sxx: 0.0,
        }
    }

    fn add(&mut self, x: f64) -> Result<()> {
        let old_n = self.n;
        let old_sx = self.sx;
        self.n += 1.0;
        self.sx += x;
        if old_n > 0.0 {
            let tmp = x * self.n - self.sx;
            self.sxx += tmp * tmp / (self.n * old_n);
            if self.sx.is_infinite() || self.sxx.is_infinite() {
                if !old_sx.is_infinite() && !x.is_infinite() {
                    return Err(SqlError::new("22003", "value out of range: overflow").into());
                }
                self.sxx = f64::NAN;
            }
        } else if x.is_nan() || x.is_infinite() {
            self.sxx = f64::NAN;
        }
        Ok(())
    }

    fn combine(&mut self, n: f64, sx: f64, sxx: f64) {
        if n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            (self.n, self.sx, self.sxx) = (n, sx, sxx);
            return;
        }
        let total = self.n + n;
        let tmp = self.sx / self.n - sx / n;
        self.sxx = self.sxx + sxx + self.n * n * tmp * tmp / total;
        self.sx += sx;
        self.n = total;
    }
}

impl Accumulator for Float8Accum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = cast(&values[0], &DataType::Float64)?;
        for x in values.as_primitive::<Float64Type>().iter().flatten() {
            self.add(x)?;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [n, sx, sxx] =
            [&states[0], &states[1], &states[2]].map(AsArray::as_primitive::<Float64Type>);
        for i in 0..n.len() {
            if n.is_valid(i) {
                self.combine(n.value(i), sx.value(i), sxx.value(i));
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Float64(Some(self.n)),
            ScalarValue::Float64(Some(self.sx)),
            ScalarValue::Float64(Some(self.sxx)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let divisor = match self.statistic {
            Statistic::VarPop | Statistic::StddevPop if self.n > 0.0 => self.n,
            Statistic::VarSamp | Statistic::StddevSamp if self.n > 1.0 => self.n - 1.0,
            _ => return Ok(ScalarValue::Float64(None)),
        };
        let variance = self.sxx / divisor;
        Ok(ScalarValue::Float64(Some(match self.statistic {
            Statistic::StddevPop | Statistic::StddevSamp => variance.sqrt(),
            _ => variance,
        })))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Float64Array;

    fn of(statistic: Statistic, values: &[f64]) -> ScalarValue {
        let mut acc = Float8Accum::new(statistic);
        let array: ArrayRef = Arc::new(Float64Array::from(values.to_vec()));
        acc.update_batch(&[array]).unwrap();
        acc.evaluate().unwrap()
    }

    #[test]
    fn the_bits_postgresql_answers() {
        assert_eq!(
            of(Statistic::VarPop, &[1.0, 2.0, 4.0]),
            ScalarValue::Float64(Some(f64::from_bits(0x3ff8_e38e_38e3_8e39)))
        );
        assert_eq!(of(Statistic::VarSamp, &[1.0]), ScalarValue::Float64(None));
        let mut left = Float8Accum::new(Statistic::VarPop);
        left.update_batch(&[Arc::new(Float64Array::from(vec![1.0, 2.0])) as ArrayRef])
            .unwrap();
        let mut right = Float8Accum::new(Statistic::VarPop);
        right
            .update_batch(&[Arc::new(Float64Array::from(vec![4.0])) as ArrayRef])
            .unwrap();
        let state: Vec<ArrayRef> = right
            .state()
            .unwrap()
            .into_iter()
            .map(|s| s.to_array().unwrap())
            .collect();
        left.merge_batch(&state).unwrap();
        let ScalarValue::Float64(Some(v)) = left.evaluate().unwrap() else {
            panic!("a value")
        };
        assert!((v - 14.0 / 9.0).abs() < 1e-15);
    }
}
