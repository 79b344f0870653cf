//! `pg_array_length(array, dimension)`: PostgreSQL's `array_length`.
//!
//! PostgreSQL's `array_length` takes the dimension and answers NULL for an
//! empty array (which has no dimensions) or a dimension the array does not
//! have; DataFusion's answers 0 for an empty array and accepts no
//! dimension. conversql's server renames calls of `array_length` to this
//! function, so the PostgreSQL name has PostgreSQL's meaning; the
//! one-argument form is an error, as in PostgreSQL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar, to_int64};

/// `pg_array_length(array, dimension)`: the length of one dimension of an array.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "The length of the given dimension of an array, as PostgreSQL's array_length: \
NULL for an empty array, a dimension the array does not have, or NULL arguments. Calls of \
`array_length` are planned with it.",
    syntax_example = "pg_array_length(array, dimension)",
    sql_example = r"```sql
> SELECT pg_array_length([1, 2, 3], 1) AS n;
+---+
| n |
+---+
| 3 |
+---+
```",
    argument(name = "array", description = "An array."),
    argument(name = "dimension", description = "The dimension, from 1.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgArrayLengthFunc {
    signature: Signature,
}

impl Default for PgArrayLengthFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgArrayLengthFunc {
    /// Creates the `pg_array_length` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

fn is_list(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

impl ScalarUDFImpl for PgArrayLengthFunc {
    fn name(&self) -> &'static str {
        "pg_array_length"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [array, dimension]
                if (is_list(array) || array.is_null())
                    && (dimension.is_integer() || dimension.is_null()) =>
            {
                let array = match array {
                    DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                        DataType::List(f.clone())
                    }
                    DataType::Null => DataType::List(Arc::new(
                        arrow::datatypes::Field::new_list_field(DataType::Int32, true),
                    )),
                    other => other.clone(),
                };
                Ok(vec![array, DataType::Int64])
            }
            _ => plan_err!(
                "function array_length({}) does not exist: PostgreSQL's array_length takes an array and a dimension (array_length(a, 1))",
                arg_types
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let dimensions = to_int64("array_length", &arrays[1])?;
        let lists = arrays[0].as_list::<i32>();
        let result: Int32Array = (0..lists.len())
            .map(|i| {
                if lists.is_null(i) || dimensions.is_null(i) {
                    return None;
                }
                length(lists.value(i), dimensions.value(i))
            })
            .collect();
        to_columnar(Arc::new(result), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// The length of dimension `dimension` of one array (its elements), NULL where PostgreSQL's is.
fn length(elements: ArrayRef, dimension: i64) -> Option<i32> {
    if elements.is_empty() || dimension < 1 {
        return None;
    }
    if dimension == 1 {
        return i32::try_from(elements.len()).ok();
    }
    // A deeper dimension: PostgreSQL's arrays are rectangular, so the first sub-array tells.
    match elements.data_type() {
        DataType::List(_) if elements.is_valid(0) => {
            length(elements.as_list::<i32>().value(0), dimension - 1)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::ListArray;
    use arrow::datatypes::Int32Type;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::invoke;

    fn len(array: Option<Vec<Option<i32>>>, dimension: i64) -> Option<i32> {
        let list = ColumnarValue::Scalar(ScalarValue::List(Arc::new(
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![array]),
        )));
        let dimension = ColumnarValue::Scalar(ScalarValue::Int64(Some(dimension)));
        match invoke(&PgArrayLengthFunc::new(), vec![list, dimension]).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Int32(n)) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_array_length() {
        assert_eq!(len(Some(vec![Some(1), None, Some(3)]), 1), Some(3));
        assert_eq!(len(Some(vec![]), 1), None);
        assert_eq!(len(Some(vec![Some(1)]), 2), None);
        assert_eq!(len(Some(vec![Some(1)]), 0), None);
        assert_eq!(len(None, 1), None);
    }

    #[test]
    fn one_argument_is_an_error() {
        let list = DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        )));
        assert!(PgArrayLengthFunc::new().coerce_types(&[list]).is_err());
    }
}
