//! `mode() WITHIN GROUP (ORDER BY x)`: PostgreSQL's most frequent value
//! (`mode_final` in src/backend/utils/adt/orderedsetaggs.c). PostgreSQL
//! walks the values in the `WITHIN GROUP` order and keeps a run only when it
//! is strictly longer than the longest so far, so among equally frequent
//! values the first in that order wins (the smallest for `ASC`, the largest
//! for `DESC`). NULLs are ignored; no values give NULL.

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::ordered_set::{Values, state_fields};

/// `mode() WITHIN GROUP (ORDER BY x)`.
#[user_doc(
    doc_section(label = "General Functions"),
    description = "The most frequent non-NULL value, as PostgreSQL's `mode`: among equally \
frequent values, the first in the `WITHIN GROUP` order. NULL for no values.",
    syntax_example = "mode() WITHIN GROUP (ORDER BY x)",
    sql_example = r"```sql
> SELECT mode() WITHIN GROUP (ORDER BY x) AS m FROM (VALUES ('a'), ('b'), ('b')) AS t(x);
+---+
| m |
+---+
| b |
+---+
```",
    argument(name = "x", description = "The values, of any sortable type.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ModeFunc {
    signature: Signature,
}

impl Default for ModeFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ModeFunc {
    /// Creates the `mode` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for ModeFunc {
    fn name(&self) -> &'static str {
        "mode"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let [value] = arg_types {
            Ok(vec![value.clone()])
        } else {
            plan_err!("mode takes no arguments and a WITHIN GROUP (ORDER BY x) clause")
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Mode {
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

/// The values of one group.
#[derive(Debug)]
struct Mode {
    values: Values,
}

impl Accumulator for Mode {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.values.add(&values[0])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.values.merge(&states[0])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.values.state()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let sorted = self.values.sorted()?;
        if sorted.is_empty() {
            return ScalarValue::try_from(sorted.data_type());
        }
        let equal = Values::equal(&sorted)?;
        let (mut best, mut best_len) = (0, 0);
        let mut start = 0;
        for i in 1..=sorted.len() {
            if i == sorted.len() || !equal(start, i) {
                if i - start > best_len {
                    (best, best_len) = (start, i - start);
                }
                start = i;
            }
        }
        ScalarValue::try_from_array(&sorted, best)
    }

    fn size(&self) -> usize {
        self.values.size()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int32Array, StringArray};

    use super::*;

    fn mode(values: ArrayRef, descending: bool) -> ScalarValue {
        let mut acc = Mode {
            values: Values::for_test(values.data_type().clone(), descending),
        };
        acc.update_batch(&[values]).unwrap();
        acc.evaluate().unwrap()
    }

    #[test]
    fn the_most_frequent_and_the_first_of_a_tie() {
        // Each checked on PostgreSQL 15.
        let text: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "b"]));
        assert_eq!(mode(text, false), ScalarValue::Utf8(Some("b".into())));
        let tie: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(3),
            Some(1),
            None,
            None,
            Some(3),
            Some(1),
        ]));
        assert_eq!(mode(Arc::clone(&tie), false), ScalarValue::Int32(Some(1)));
        assert_eq!(mode(tie, true), ScalarValue::Int32(Some(3)));
        let none: ArrayRef = Arc::new(Int32Array::from(vec![None::<i32>]));
        assert_eq!(mode(none, false), ScalarValue::Int32(None));
    }
}
