//! `pg_array_contains(a, b)`: PostgreSQL's `@>` on arrays (see [`crate::array_sets`]).
//!
//! The SQL operator `@>` on arrays is planned as this function, with
//! PostgreSQL's meaning; DataFusion's own planning of the operator differs
//! for NULL elements.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::array_sets::{SetComparison, coerce_pair, compare};
use crate::common::{to_arrays, to_columnar};

/// `pg_array_contains(a, b)`: PostgreSQL's `a @> b` on arrays.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "Whether the first array contains the second, as PostgreSQL's `@>` (and, with the arguments swapped, `<@`): every element of the second array equals some element of the first. Elements are compared as sets (duplicates do not matter); a NULL element never equals anything, so a second array with a NULL element is not contained; an empty second array is contained in any array. Returns NULL when either array is NULL.",
    syntax_example = "pg_array_contains(a, b)",
    sql_example = r"```sql
> SELECT pg_array_contains(['a', 'b', NULL], ['b', 'a']) AS r;
+------+
| r    |
+------+
| true |
+------+
```",
    argument(name = "a", description = "An array."),
    argument(name = "b", description = "An array of a comparable element type.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgArrayContainsFunc {
    signature: Signature,
}

impl Default for PgArrayContainsFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgArrayContainsFunc {
    /// Creates the `pg_array_contains` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgArrayContainsFunc {
    fn name(&self) -> &'static str {
        "pg_array_contains"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_pair("@>", arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = compare(&arrays[0], &arrays[1], SetComparison::Contains)?;
        to_columnar(Arc::new(result), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{Array, AsArray, ListArray};
    use arrow::datatypes::Int32Type;
    use datafusion::common::ScalarValue;

    use crate::common::test_util::invoke;

    fn list(values: &[Option<i32>]) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::List(Arc::new(
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(values.to_vec())]),
        )))
    }

    fn contains(a: &[Option<i32>], b: &[Option<i32>]) -> Option<bool> {
        match invoke(&PgArrayContainsFunc::new(), vec![list(a), list(b)]).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Boolean(b)) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_containment() {
        assert_eq!(
            contains(&[Some(1), Some(2)], &[Some(2), Some(1), Some(2)]),
            Some(true)
        );
        assert_eq!(contains(&[Some(1)], &[Some(1), Some(3)]), Some(false));
        // PostgreSQL: ARRAY[1,NULL] @> ARRAY[NULL] is false.
        assert_eq!(contains(&[Some(1), None], &[None]), Some(false));
        // A NULL element of the containing array is ignored.
        assert_eq!(contains(&[Some(1), None], &[Some(1)]), Some(true));
        // Empty arrays: everything contains the empty array, the empty array contains nothing else.
        assert_eq!(contains(&[], &[]), Some(true));
        assert_eq!(contains(&[Some(1)], &[]), Some(true));
        assert_eq!(contains(&[], &[Some(1)]), Some(false));
    }

    #[test]
    fn null_arrays_give_null_row_by_row() {
        let a: ListArray = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
            None,
            Some(vec![Some(2)]),
        ]);
        let b: ListArray = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
            Some(vec![Some(1)]),
            Some(vec![Some(1)]),
        ]);
        let result = invoke(
            &PgArrayContainsFunc::new(),
            vec![
                ColumnarValue::Array(Arc::new(a)),
                ColumnarValue::Array(Arc::new(b)),
            ],
        )
        .unwrap();
        let ColumnarValue::Array(result) = result else {
            panic!("expected an array");
        };
        let result = result.as_boolean();
        assert!(result.value(0));
        assert!(result.is_null(1));
        assert!(!result.value(2));
    }

    #[test]
    fn element_types_must_be_comparable() {
        let text = DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Utf8,
            true,
        )));
        let date = DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Boolean,
            true,
        )));
        assert!(
            PgArrayContainsFunc::new()
                .coerce_types(&[date, text.clone()])
                .is_err()
        );
        assert!(
            PgArrayContainsFunc::new()
                .coerce_types(&[DataType::Utf8, text])
                .is_err()
        );
    }
}
