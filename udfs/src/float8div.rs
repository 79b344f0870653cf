//! `float8div(a, b)`: PostgreSQL's `double precision` division (its function
//! behind `/`), an error on division by zero.
//!
//! DataFusion divides floats as IEEE 754 does (`1.0::float8 / 0` is
//! `Infinity`); PostgreSQL raises `division by zero` (SQLSTATE 22012) unless
//! the dividend is NaN. conversql plans `/` of two `double precision`s as
//! this function.

use std::sync::Arc;

use arrow::array::{AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// `float8div(a, b)`: `a / b` of two doubles, SQLSTATE 22012 when `b` is zero.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "PostgreSQL's `double precision` division, what `a / b` of two doubles is \
planned as: an error (SQLSTATE 22012, `division by zero`) when `b` is zero and `a` is not NaN. \
Returns NULL if either argument is NULL.",
    syntax_example = "float8div(a, b)",
    sql_example = r"```sql
> SELECT float8div(CAST(1 AS DOUBLE), CAST(4 AS DOUBLE)) AS q;
+------+
| q    |
+------+
| 0.25 |
+------+
```",
    argument(name = "a", description = "The dividend, a double."),
    argument(name = "b", description = "The divisor, a double.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Float8DivFunc {
    signature: Signature,
}

impl Default for Float8DivFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Float8DivFunc {
    /// Creates the `float8div` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Float8DivFunc {
    fn name(&self) -> &'static str {
        "float8div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 2 || !arg_types.iter().all(|t| t.is_numeric() || t.is_null()) {
            return plan_err!("float8div takes two doubles, got {arg_types:?}");
        }
        Ok(vec![DataType::Float64, DataType::Float64])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let a = arrays[0].as_primitive::<Float64Type>();
        let b = arrays[1].as_primitive::<Float64Type>();
        let mut out = Vec::with_capacity(a.len());
        for (x, y) in a.iter().zip(b.iter()) {
            out.push(match (x, y) {
                (Some(x), Some(y)) => {
                    if y == 0.0 && !x.is_nan() {
                        return Err(SqlError::new("22012", "division by zero").into());
                    }
                    Some(x / y)
                }
                _ => None,
            });
        }
        to_columnar(Arc::new(Float64Array::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, to_scalar};
    use datafusion::common::ScalarValue;

    fn float(v: f64) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Float64(Some(v)))
    }

    #[test]
    fn quotients_or_22012() {
        let f = Float8DivFunc::new();
        assert_eq!(
            to_scalar(invoke(&f, vec![float(1.0), float(4.0)]).unwrap()),
            ScalarValue::Float64(Some(0.25))
        );
        let message = invoke(&f, vec![float(1.0), float(0.0)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("division by zero"), "{message}");
        let nan = to_scalar(invoke(&f, vec![float(f64::NAN), float(0.0)]).unwrap());
        assert!(matches!(nan, ScalarValue::Float64(Some(v)) if v.is_nan()));
    }
}
