//! `int4pl(a, b)`: PostgreSQL's `integer` addition (its function behind
//! `+`), an error when the result does not fit.
//!
//! DataFusion's integer operators wrap around on overflow
//! (`2147483647 + 1` is `-2147483648`); PostgreSQL raises
//! `integer out of range` (SQLSTATE 22003). conversql plans `+` of two
//! `integer`s as this function.

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::checked_arithmetic::{coerce_int4s, evaluate};

/// `int4pl(a, b)`: `a + b` of two integers, SQLSTATE 22003 on overflow.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "PostgreSQL's `integer` addition, what `a + b` of two integers is planned as: \
an error (SQLSTATE 22003, `integer out of range`) when the result does not fit in an integer. \
Returns NULL if either argument is NULL.",
    syntax_example = "int4pl(a, b)",
    sql_example = r"```sql
> SELECT int4pl(CAST(40 AS INT), CAST(2 AS INT)) AS n;
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
pub struct Int4PlFunc {
    signature: Signature,
}

impl Default for Int4PlFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Int4PlFunc {
    /// Creates the `int4pl` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Int4PlFunc {
    fn name(&self) -> &'static str {
        "int4pl"
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
        evaluate(&args.args, arrow::compute::kernels::numeric::add)
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
    fn sums_or_22003() {
        let f = Int4PlFunc::new();
        assert_eq!(
            to_scalar(invoke(&f, vec![int(40), int(2)]).unwrap()),
            ScalarValue::Int32(Some(42))
        );
        let message = invoke(&f, vec![int(i32::MAX), int(1)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("integer out of range"), "{message}");
    }
}
