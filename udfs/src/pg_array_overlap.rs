//! `pg_array_overlap(a, b)`: PostgreSQL's `&&` on arrays (see [`crate::array_sets`]).
//!
//! The SQL operator `&&` on arrays is planned as this function, with
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

/// `pg_array_overlap(a, b)`: PostgreSQL's `a && b` on arrays.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "Whether two arrays have an element in common, as PostgreSQL's `&&`. NULL elements are ignored (they never equal anything); an empty array overlaps nothing. Returns NULL when either array is NULL.",
    syntax_example = "pg_array_overlap(a, b)",
    sql_example = r"```sql
> SELECT pg_array_overlap(['a', NULL], ['b', 'a']) AS r;
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
pub struct PgArrayOverlapFunc {
    signature: Signature,
}

impl Default for PgArrayOverlapFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgArrayOverlapFunc {
    /// Creates the `pg_array_overlap` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgArrayOverlapFunc {
    fn name(&self) -> &'static str {
        "pg_array_overlap"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_pair("&&", arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = compare(&arrays[0], &arrays[1], SetComparison::Overlaps)?;
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

    fn list(values: Option<&[Option<i32>]>) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::List(Arc::new(
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![values.map(<[_]>::to_vec)]),
        )))
    }

    fn overlaps(a: Option<&[Option<i32>]>, b: Option<&[Option<i32>]>) -> Option<bool> {
        match invoke(&PgArrayOverlapFunc::new(), vec![list(a), list(b)]).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Boolean(b)) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn postgres_overlap() {
        assert_eq!(
            overlaps(Some(&[Some(1), Some(2)]), Some(&[Some(2), Some(3)])),
            Some(true)
        );
        assert_eq!(overlaps(Some(&[Some(1)]), Some(&[Some(3)])), Some(false));
        // PostgreSQL: ARRAY[1,NULL] && ARRAY[NULL] is false.
        assert_eq!(overlaps(Some(&[Some(1), None]), Some(&[None])), Some(false));
        assert_eq!(overlaps(Some(&[]), Some(&[])), Some(false));
        assert_eq!(overlaps(None, Some(&[Some(1)])), None);
    }
}
