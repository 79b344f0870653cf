//! `pg_any_equal(array, x)`: PostgreSQL's `x = ANY(array)`, with its NULLs.
//!
//! PostgreSQL's `x = ANY(array)` is true when an element equals `x`, NULL
//! when none does but the array has a NULL element (or `x` is NULL and the
//! array is not empty), false otherwise. DataFusion's `array_has` answers
//! false where PostgreSQL answers NULL, which `NOT` turns into a different
//! answer. The PostgreSQL-compatibility parser (datafusion-pg-catalog) plans
//! `x = ANY(array)` and `x <> ALL(array)` as `[NOT] array_contains(array, x)`,
//! and conversql's server renames those calls to this function.

use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray};
use arrow::datatypes::{DataType, Field};
use arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::type_coercion::binary::comparison_coercion;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};

/// `pg_any_equal(array, x)`: PostgreSQL's `x = ANY(array)`.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "Whether an element of the array equals x, as PostgreSQL's `x = ANY(array)`: \
true when one does; NULL when none does but the array has a NULL element, or x is NULL and the \
array is not empty; false otherwise (an empty array gives false). NULL for a NULL array. \
`= ANY` and `<> ALL` over an array are planned with it.",
    syntax_example = "pg_any_equal(array, x)",
    sql_example = r"```sql
> SELECT pg_any_equal([1, NULL], 3) IS NULL AS r;
+------+
| r    |
+------+
| true |
+------+
```",
    argument(name = "array", description = "An array."),
    argument(name = "x", description = "A value comparable with the elements.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgAnyEqualFunc {
    signature: Signature,
}

impl Default for PgAnyEqualFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgAnyEqualFunc {
    /// Creates the `pg_any_equal` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgAnyEqualFunc {
    fn name(&self) -> &'static str {
        "pg_any_equal"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 2 {
            return plan_err!("pg_any_equal expects 2 arguments, got {}", arg_types.len());
        }
        let element = match &arg_types[0] {
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::FixedSizeList(f, _)
            | DataType::ListView(f)
            | DataType::LargeListView(f) => f.data_type().clone(),
            DataType::Null => DataType::Null,
            other => {
                return plan_err!(
                    "op ANY/ALL (array) requires an array on the right side, got {other}"
                );
            }
        };
        let Some(common) = comparison_coercion(&element, &arg_types[1]) else {
            return plan_err!(
                "operator does not exist: {} = {element} (in = ANY/<> ALL)",
                arg_types[1]
            );
        };
        let common = if common == DataType::Null {
            DataType::Utf8
        } else {
            common
        };
        Ok(vec![
            DataType::List(Arc::new(Field::new_list_field(common.clone(), true))),
            common,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let lists = arrays[0].as_list::<i32>();
        let needles = &arrays[1];
        let converter = RowConverter::new(vec![SortField::new(needles.data_type().clone())])?;
        let values = converter.convert_columns(&[lists.values().clone()])?;
        let needle_rows = converter.convert_columns(std::slice::from_ref(needles))?;
        let offsets = lists.value_offsets();
        let result: BooleanArray = (0..lists.len())
            .map(|i| {
                if lists.is_null(i) {
                    return None;
                }
                let start = usize::try_from(offsets[i]).unwrap_or_default();
                let end = usize::try_from(offsets[i + 1]).unwrap_or_default();
                if start == end {
                    return Some(false);
                }
                if needles.is_null(i) {
                    return None;
                }
                let needle = needle_rows.row(i);
                let mut saw_null = false;
                for j in start..end {
                    if lists.values().is_null(j) {
                        saw_null = true;
                    } else if values.row(j) == needle {
                        return Some(true);
                    }
                }
                if saw_null { None } else { Some(false) }
            })
            .collect();
        to_columnar(Arc::new(result), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::ListArray;
    use arrow::datatypes::Int32Type;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::invoke;

    fn any(array: Option<Vec<Option<i32>>>, x: Option<i32>) -> Option<bool> {
        let list = ColumnarValue::Scalar(ScalarValue::List(Arc::new(
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![array]),
        )));
        let x = ColumnarValue::Scalar(ScalarValue::Int32(x));
        match invoke(&PgAnyEqualFunc::new(), vec![list, x]).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Boolean(b)) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_any_with_nulls() {
        assert_eq!(any(Some(vec![Some(1), Some(2)]), Some(2)), Some(true));
        assert_eq!(any(Some(vec![Some(1), Some(2)]), Some(3)), Some(false));
        // PostgreSQL: 3 = ANY('{1,NULL}') is NULL, 1 = ANY('{1,NULL}') is true.
        assert_eq!(any(Some(vec![Some(1), None]), Some(3)), None);
        assert_eq!(any(Some(vec![Some(1), None]), Some(1)), Some(true));
        assert_eq!(any(Some(vec![Some(1)]), None), None);
        assert_eq!(any(Some(vec![]), None), Some(false));
        assert_eq!(any(Some(vec![]), Some(1)), Some(false));
        assert_eq!(any(None, Some(1)), None);
    }
}
