//! `ntile(n)`: PostgreSQL's ntile, an `integer` from 1 to `n` dividing the
//! partition as equally as possible (the first buckets one row larger).
//!
//! DataFusion's answers an unsigned 64-bit integer (which a client reads as a
//! `bigint`), takes `n` only as a constant, and answers an error for a NULL
//! `n`. PostgreSQL's takes `n` from the partition's first row: NULL gives
//! NULL for every row, `n` of 0 or less is an error (SQLSTATE 22014). A
//! `bigint` `n` is taken too (cast to `integer`, an error past its range).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array};
use arrow::datatypes::{DataType, Field, FieldRef, Int32Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Documentation, PartitionEvaluator, Signature, Volatility, WindowUDFImpl,
};
use datafusion_macros::user_doc;

use crate::sql_error::SqlError;

/// `ntile(n)`: the bucket of the row, 1 to `n`.
#[user_doc(
    doc_section(label = "Ranking Functions"),
    description = "The bucket, from 1 to `n`, of the row in its partition divided into `n` \
buckets as equally as possible, as PostgreSQL's `ntile`: an integer; NULL if `n` is NULL.",
    syntax_example = "ntile(n) OVER (ORDER BY …)",
    sql_example = r"```sql
> SELECT x, ntile(2) OVER (ORDER BY x) AS b FROM (VALUES (10), (20), (30)) AS t(x) ORDER BY x;
+----+---+
| x  | b |
+----+---+
| 10 | 1 |
| 20 | 1 |
| 30 | 2 |
+----+---+
```",
    argument(name = "n", description = "The number of buckets, an integer above 0.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NtileFunc {
    signature: Signature,
}

impl Default for NtileFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NtileFunc {
    /// Creates the `ntile` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl WindowUDFImpl for NtileFunc {
    fn name(&self) -> &'static str {
        "ntile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            // A bigint (DataFusion's integer literal, in the views' SQL) as well.
            [t] if t.is_integer() || t.is_null() => Ok(vec![DataType::Int32]),
            [other] => plan_err!("ntile takes an integer, got {other}"),
            _ => plan_err!("ntile takes one argument, got {}", arg_types.len()),
        }
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(NtileEvaluator))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            field_args.name(),
            DataType::Int32,
            true,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Buckets one partition, all at once.
#[derive(Debug)]
struct NtileEvaluator;

/// The buckets of `rows` rows divided into `n`.
fn buckets(rows: usize, n: i32) -> Result<Int32Array> {
    let n = usize::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| SqlError::new("22014", "argument of ntile must be greater than zero"))?;
    let base = rows / n;
    let remainder = rows % n;
    let large_rows = remainder * (base + 1);
    Ok((0..rows)
        .map(|i| {
            let bucket = if i < large_rows {
                i / (base + 1)
            } else {
                remainder + (i - large_rows) / base
            };
            // At most n, an i32.
            Some(i32::try_from(bucket + 1).unwrap_or(i32::MAX))
        })
        .collect())
}

impl PartitionEvaluator for NtileEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        if num_rows == 0 {
            return Ok(Arc::new(Int32Array::from(Vec::<i32>::new())));
        }
        let n = values[0].as_primitive::<Int32Type>();
        if n.is_null(0) {
            return Ok(Arc::new(Int32Array::new_null(num_rows)));
        }
        Ok(Arc::new(buckets(num_rows, n.value(0))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_buckets_are_one_larger() {
        assert_eq!(
            buckets(7, 3).unwrap().values().to_vec(),
            [1, 1, 1, 2, 2, 3, 3]
        );
        assert_eq!(buckets(2, 5).unwrap().values().to_vec(), [1, 2]);
    }

    #[test]
    fn null_and_non_positive_counts() {
        let mut evaluator = NtileEvaluator;
        let null: ArrayRef = Arc::new(Int32Array::from(vec![None, Some(2)]));
        let out = evaluator.evaluate_all(&[null], 2).unwrap();
        assert_eq!(out.null_count(), 2);
        let zero: ArrayRef = Arc::new(Int32Array::from(vec![0, 0]));
        let err = evaluator.evaluate_all(&[zero], 2).unwrap_err();
        assert!(err.to_string().contains("greater than zero"), "{err}");
    }
}
