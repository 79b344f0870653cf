//! PostgreSQL's containment and overlap of arrays (`@>`, `<@`, `&&`), shared
//! by [`crate::pg_array_contains`] and [`crate::pg_array_overlap`].
//!
//! PostgreSQL (arrayfuncs.c, `array_contain_compare`) compares the elements
//! as sets: duplicates do not matter, a NULL element never equals anything
//! (so `ARRAY[1,NULL] @> ARRAY[NULL]` is false and a NULL element is ignored
//! by `&&`), and a NULL array gives NULL. DataFusion's `array_has_all`
//! treats a NULL element as equal to a NULL element, so it is not used.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::datatypes::{DataType, Field};
use arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::type_coercion::binary::comparison_coercion;

/// Which comparison of two arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetComparison {
    /// Every element of the right array is in the left one (`@>`).
    Contains,
    /// Some non-NULL element is in both (`&&`).
    Overlaps,
}

/// The element type of a list type, `Null` for an untyped NULL.
fn element_type(operator: &str, data_type: &DataType) -> Result<DataType> {
    match data_type {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::FixedSizeList(f, _)
        | DataType::ListView(f)
        | DataType::LargeListView(f) => Ok(f.data_type().clone()),
        DataType::Null => Ok(DataType::Null),
        other => {
            plan_err!("operator does not exist: {operator} on {other}: both sides must be arrays")
        }
    }
}

/// Both arguments as lists of one element type PostgreSQL would compare.
pub(crate) fn coerce_pair(operator: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    if arg_types.len() != 2 {
        return plan_err!("{operator} expects 2 arguments, got {}", arg_types.len());
    }
    let left = element_type(operator, &arg_types[0])?;
    let right = element_type(operator, &arg_types[1])?;
    let Some(common) = comparison_coercion(&left, &right) else {
        return plan_err!(
            "operator does not exist: {left}[] {operator} {right}[] (the element types cannot be compared)"
        );
    };
    let common = if common == DataType::Null {
        DataType::Utf8
    } else {
        common
    };
    let list = DataType::List(Arc::new(Field::new_list_field(common, true)));
    Ok(vec![list.clone(), list])
}

/// Compares two equally long arrays of lists row by row.
pub(crate) fn compare(
    left: &ArrayRef,
    right: &ArrayRef,
    comparison: SetComparison,
) -> Result<BooleanArray> {
    let left = left.as_list::<i32>();
    let right = right.as_list::<i32>();
    let element = match left.data_type() {
        DataType::List(f) => f.data_type().clone(),
        other => return plan_err!("expected a list, got {other}"),
    };
    let converter = RowConverter::new(vec![SortField::new(element)])?;
    let left_rows = converter.convert_columns(&[left.values().clone()])?;
    let right_rows = converter.convert_columns(&[right.values().clone()])?;
    let left_values = left.values();
    let right_values = right.values();
    let left_offsets = left.value_offsets();
    let right_offsets = right.value_offsets();
    let mut result = Vec::with_capacity(left.len());
    for i in 0..left.len() {
        if left.is_null(i) || right.is_null(i) {
            result.push(None);
            continue;
        }
        let (left_start, left_end) = (index(left_offsets[i]), index(left_offsets[i + 1]));
        let set: HashSet<_> = (left_start..left_end)
            .filter(|j| left_values.is_valid(*j))
            .map(|j| left_rows.row(j))
            .collect();
        let (right_start, right_end) = (index(right_offsets[i]), index(right_offsets[i + 1]));
        let answer = match comparison {
            SetComparison::Contains => (right_start..right_end)
                .all(|j| right_values.is_valid(j) && set.contains(&right_rows.row(j))),
            SetComparison::Overlaps => (right_start..right_end)
                .any(|j| right_values.is_valid(j) && set.contains(&right_rows.row(j))),
        };
        result.push(Some(answer));
    }
    Ok(BooleanArray::from(result))
}

/// A list offset as an index (offsets are never negative).
fn index(offset: i32) -> usize {
    usize::try_from(offset).unwrap_or_default()
}
