//! `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)`: PostgreSQL's
//! discrete percentile (`percentile_disc_final` in
//! src/backend/utils/adt/orderedsetaggs.c): of the `n` non-NULL values in
//! the `WITHIN GROUP` order, the one at position `ceil(fraction × n)` (the
//! first for 0). The value keeps its type (text, dates and numbers alike).
//! A NULL fraction gives NULL; one outside [0, 1] is 22003 "percentile value
//! 1.5 is not between 0 and 1", even for no rows, as in PostgreSQL. The
//! array form (`percentile_disc(ARRAY[…])`) is refused (0A000).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, FieldRef, Schema};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, ColumnarValue, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::ordered_set::{Values, state_fields};
use crate::sql_error::SqlError;

/// `percentile_disc(fraction) WITHIN GROUP (ORDER BY x)`.
#[user_doc(
    doc_section(label = "General Functions"),
    description = "The first value whose position in the `WITHIN GROUP` order is at or past \
`fraction` of the non-NULL values, as PostgreSQL's `percentile_disc`: one of the values, of \
their type. `fraction` is between 0 and 1 (SQLSTATE 22003 otherwise); NULL for no values.",
    syntax_example = "percentile_disc(fraction) WITHIN GROUP (ORDER BY x)",
    sql_example = r"```sql
> SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) AS p FROM (VALUES (1), (2), (3), (4)) AS t(x);
+---+
| p |
+---+
| 2 |
+---+
```",
    argument(name = "fraction", description = "A constant between 0 and 1."),
    argument(name = "x", description = "The values, of any sortable type.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PercentileDiscFunc {
    signature: Signature,
}

impl Default for PercentileDiscFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PercentileDiscFunc {
    /// Creates the `percentile_disc` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for PercentileDiscFunc {
    fn name(&self) -> &'static str {
        "percentile_disc"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [value, DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)] => {
                Err(SqlError::unsupported(format!(
                    "percentile_disc with an array of fractions is not supported (the values are {value}); call it once per fraction"
                ))
                .into())
            }
            [value, _] => Ok(vec![value.clone(), DataType::Float64]),
            _ => plan_err!(
                "percentile_disc takes one fraction and a WITHIN GROUP (ORDER BY x) clause"
            ),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // A constant evaluates without a row; a column reference fails.
        let empty = RecordBatch::new_empty(Arc::new(Schema::empty()));
        let fraction = match args.exprs[1].evaluate(&empty) {
            Ok(ColumnarValue::Scalar(value)) => match value.cast_to(&DataType::Float64)? {
                ScalarValue::Float64(fraction) => fraction,
                _ => None,
            },
            _ => {
                return Err(SqlError::unsupported(
                    "percentile_disc with a fraction that is not a constant is not supported",
                )
                .into());
            }
        };
        Ok(Box::new(PercentileDisc {
            fraction,
            values: Values::new(&args),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(&args, self.name()))
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        // The values are sorted at the end; the input's order does not matter.
        AggregateOrderSensitivity::Insensitive
    }

    fn supports_within_group_clause(&self) -> bool {
        true
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The values of one group and the fraction to pick at.
#[derive(Debug)]
struct PercentileDisc {
    fraction: Option<f64>,
    values: Values,
}

impl Accumulator for PercentileDisc {
    fn update_batch(&mut self, values: &[arrow::array::ArrayRef]) -> Result<()> {
        self.values.add(&values[0])
    }

    fn merge_batch(&mut self, states: &[arrow::array::ArrayRef]) -> Result<()> {
        self.values.merge(&states[0])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.values.state()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let sorted = self.values.sorted()?;
        let null = || ScalarValue::try_from(sorted.data_type());
        let Some(fraction) = self.fraction else {
            return null();
        };
        if !(0.0..=1.0).contains(&fraction) {
            return Err(SqlError::new(
                "22003",
                format!(
                    "percentile value {} is not between 0 and 1",
                    c_g_format(fraction)
                ),
            )
            .into());
        }
        if sorted.is_empty() {
            return null();
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let row = (fraction * sorted.len() as f64).ceil() as usize;
        ScalarValue::try_from_array(&sorted, row.clamp(1, sorted.len()) - 1)
    }

    fn size(&self) -> usize {
        self.values.size()
    }
}

/// A double as C's `%g` prints it (6 significant digits, exponent form
/// below 1e-4 and from 1e6), which PostgreSQL's message uses.
fn c_g_format(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_nan() {
            "nan".into()
        } else if v.is_infinite() {
            if v > 0.0 { "inf".into() } else { "-inf".into() }
        } else {
            "0".into()
        };
    }
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    let scientific = format!("{v:.5e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{}e{sign}{:02}", trim(mantissa.to_string()), exponent.abs());
    }
    #[allow(clippy::cast_sign_loss)]
    let decimals = (5 - exponent).max(0) as usize;
    trim(format!("{v:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use arrow::array::{ArrayRef, Int32Array, StringArray};

    use super::*;

    fn pick(fraction: Option<f64>, values: ArrayRef, descending: bool) -> Result<ScalarValue> {
        let mut acc = PercentileDisc {
            fraction,
            values: Values::for_test(values.data_type().clone(), descending),
        };
        acc.update_batch(&[values])?;
        acc.evaluate()
    }

    #[test]
    fn the_value_at_the_fraction_rounded_up() {
        // Each checked on PostgreSQL 15.
        let values: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(4),
            None,
            Some(1),
            Some(3),
            Some(2),
        ]));
        let at = |f| pick(Some(f), Arc::clone(&values), false).unwrap();
        assert_eq!(at(0.5), ScalarValue::Int32(Some(2)));
        assert_eq!(at(0.0), ScalarValue::Int32(Some(1)));
        assert_eq!(at(0.26), ScalarValue::Int32(Some(2)));
        assert_eq!(at(1.0), ScalarValue::Int32(Some(4)));
        assert_eq!(
            pick(Some(0.25), Arc::clone(&values), true).unwrap(),
            ScalarValue::Int32(Some(4))
        );
        let text: ArrayRef = Arc::new(StringArray::from(vec!["b", "a", "c"]));
        assert_eq!(
            pick(Some(0.5), text, false).unwrap(),
            ScalarValue::Utf8(Some("b".into()))
        );
    }

    #[test]
    fn no_values_or_a_null_fraction_is_null_and_a_bad_fraction_an_error() {
        let none: ArrayRef = Arc::new(Int32Array::from(vec![None::<i32>]));
        assert_eq!(
            pick(Some(0.5), Arc::clone(&none), false).unwrap(),
            ScalarValue::Int32(None)
        );
        assert_eq!(
            pick(None, Arc::new(Int32Array::from(vec![1])), false).unwrap(),
            ScalarValue::Int32(None)
        );
        let message = pick(Some(1.5), none, false).unwrap_err().to_string();
        assert!(
            message.contains("percentile value 1.5 is not between 0 and 1"),
            "{message}"
        );
        assert_eq!(c_g_format(-0.25), "-0.25");
        assert_eq!(c_g_format(2.0), "2");
        assert_eq!(c_g_format(1_234_567.0), "1.23457e+06");
        assert_eq!(c_g_format(0.00001), "1e-05");
    }
}
