//! `int8pl(a, b)`: PostgreSQL's `bigint` addition (its function behind
//! `+`), an error when the result does not fit.
//!
//! DataFusion's integer operators wrap around on overflow
//! (`9223372036854775807 + 1` is `-9223372036854775808`); PostgreSQL raises
//! `bigint out of range` (SQLSTATE 22003). conversql plans `+` of two
//! `bigint`s as this function.

use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::checked_arithmetic::{coerce_bigints, evaluate};

/// `int8pl(a, b)`: `a + b` of two bigints, SQLSTATE 22003 on overflow.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "PostgreSQL's `bigint` addition, what `a + b` of two bigints is planned as: \
an error (SQLSTATE 22003, `bigint out of range`) when the result does not fit in a bigint. \
Returns NULL if either argument is NULL.",
    syntax_example = "int8pl(a, b)",
    sql_example = r"```sql
> SELECT int8pl(40, 2) AS n;
+----+
| n  |
+----+
| 42 |
+----+
```",
    argument(name = "a", description = "A bigint."),
    argument(name = "b", description = "A bigint.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Int8PlFunc {
    signature: Signature,
}

impl Default for Int8PlFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl Int8PlFunc {
    /// Creates the `int8pl` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Int8PlFunc {
    fn name(&self) -> &'static str {
        "int8pl"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_bigints(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
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

    fn int(v: i64) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Int64(Some(v)))
    }

    #[test]
    fn sums_or_22003() {
        let f = Int8PlFunc::new();
        assert_eq!(
            to_scalar(invoke(&f, vec![int(40), int(2)]).unwrap()),
            ScalarValue::Int64(Some(42))
        );
        let message = invoke(&f, vec![int(i64::MAX), int(1)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("bigint out of range"), "{message}");
    }
}
