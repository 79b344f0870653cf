//! The sorted values an ordered-set aggregate (`percentile_disc`, `mode`)
//! chooses from, as PostgreSQL's `ordered_set_transition` keeps them
//! (src/backend/utils/adt/orderedsetaggs.c): every non-NULL value of the
//! group, sorted by the `WITHIN GROUP (ORDER BY …)` key at the end. The
//! values are any sortable type; text sorts byte-wise (the C collation).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, make_comparator};
use arrow::compute::{SortOptions, concat, sort_to_indices, take};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;

/// The values of one group, unsorted until [`Values::sorted`].
#[derive(Debug)]
pub(crate) struct Values {
    data_type: DataType,
    chunks: Vec<ArrayRef>,
    descending: bool,
}

impl Values {
    /// No values yet, of `args`' first argument's type, in the direction of
    /// its `WITHIN GROUP` order.
    pub(crate) fn new(args: &AccumulatorArgs) -> Self {
        let descending = args
            .order_bys
            .first()
            .is_some_and(|sort| sort.options.descending);
        Values {
            data_type: args.expr_fields[0].data_type().clone(),
            chunks: vec![],
            descending,
        }
    }

    /// Adds the non-NULL values of `values`.
    pub(crate) fn add(&mut self, values: &ArrayRef) -> Result<()> {
        if values.null_count() == values.len() {
            return Ok(());
        }
        let kept = if values.null_count() > 0 {
            let mask = arrow::compute::is_not_null(values)?;
            arrow::compute::filter(values, &mask)?
        } else {
            Arc::clone(values)
        };
        self.chunks.push(kept);
        Ok(())
    }

    /// The state: every value so far, as one list.
    pub(crate) fn state(&self) -> Result<ScalarValue> {
        let values = self.concatenated()?;
        Ok(ScalarValue::List(Arc::new(
            datafusion::common::utils::SingleRowListArrayBuilder::new(values).build_list_array(),
        )))
    }

    /// Adds the values of other groups' states (a list column).
    pub(crate) fn merge(&mut self, states: &ArrayRef) -> Result<()> {
        for list in states.as_list::<i32>().iter().flatten() {
            self.add(&list)?;
        }
        Ok(())
    }

    /// Every value, sorted in the `WITHIN GROUP` order; empty for none.
    pub(crate) fn sorted(&self) -> Result<ArrayRef> {
        let values = self.concatenated()?;
        let options = SortOptions {
            descending: self.descending,
            nulls_first: false,
        };
        let indices = sort_to_indices(&values, Some(options), None)?;
        Ok(take(&values, &indices, None)?)
    }

    /// Whether two values of a sorted array are equal.
    pub(crate) fn equal(values: &ArrayRef) -> Result<impl Fn(usize, usize) -> bool> {
        let compare = make_comparator(values, values, SortOptions::default())?;
        Ok(move |i, j| compare(i, j).is_eq())
    }

    /// The memory the values hold.
    pub(crate) fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .chunks
                .iter()
                .map(arrow::array::Array::get_array_memory_size)
                .sum::<usize>()
    }

    fn concatenated(&self) -> Result<ArrayRef> {
        if self.chunks.is_empty() {
            return Ok(arrow::array::new_empty_array(&self.data_type));
        }
        let parts: Vec<&dyn Array> = self.chunks.iter().map(AsRef::as_ref).collect();
        Ok(concat(&parts)?)
    }
}

/// The state of an ordered-set aggregate: a list of its argument's type.
pub(crate) fn state_fields(args: &StateFieldsArgs, function: &str) -> Vec<FieldRef> {
    let item = Field::new_list_field(args.input_fields[0].data_type().clone(), true);
    vec![Arc::new(Field::new(
        format_state_name(args.name, function),
        DataType::List(Arc::new(item)),
        true,
    ))]
}

#[cfg(test)]
impl Values {
    /// No values of `data_type` yet, sorted ascending or descending.
    pub(crate) fn for_test(data_type: DataType, descending: bool) -> Self {
        Values {
            data_type,
            chunks: vec![],
            descending,
        }
    }
}
