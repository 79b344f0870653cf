//! `int4mi(a, b)`: PostgreSQL's `integer` subtraction (its function behind
//! `-`), an error when the result does not fit.
//!
//! DataFusion's integer operators wrap around on overflow
//! (`2147483647 + 1` is `-2147483648`); PostgreSQL raises
//! `integer out of range` (SQLSTATE 22003). conversql plans `-` of two
//! `integer`s as this function.

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::checked_arithmetic::{coerce_int4s, evaluate};

/// `int4mi(a, b)`: `a - b` of two integers, SQLSTATE 22003 on overflow.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "PostgreSQL's `integer` subtraction, what `a - b` of two integers is planned as: \
an error (SQLSTATE 22003, `integer out of range`) when the result does not fit in an integer. \
Returns NULL if either argument is NULL.",
    syntax_example = "int4mi(a, b)",
    sql_example = r"```sql
> SELECT int4mi(CAST(44 AS INT), CAST(2 AS INT)) AS n;
+----+
| n  |
+----+
| 42 |
+----+
```",
    argument(name = "a", description = "An integer."),
    argument(name = "b", description = "An integer.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Int4MiFunc {
    signature: Signature,
}

impl Default for Int4MiFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Int4MiFunc {
    /// Creates the `int4mi` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Int4MiFunc {
    fn name(&self) -> &'static str {
        "int4mi"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_int4s(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        evaluate(&args.args, arrow::compute::kernels::numeric::sub)
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

    fn int(v: i32) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Int32(Some(v)))
    }

    #[test]
    fn differences_or_22003() {
        let f = Int4MiFunc::new();
        assert_eq!(
            to_scalar(invoke(&f, vec![int(44), int(2)]).unwrap()),
            ScalarValue::Int32(Some(42))
        );
        let message = invoke(&f, vec![int(i32::MIN), int(1)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("integer out of range"), "{message}");
    }
}
