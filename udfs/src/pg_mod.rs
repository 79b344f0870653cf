//! `mod(a, b)`: PostgreSQL's remainder, the same as its `%` (the sign of
//! `a`: `mod(-7, 3)` is `-1`, `mod(7.5, 2)` is `1.5`). DataFusion has no
//! `mod` function.

use std::sync::Arc;

use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// `mod(a, b)`: the remainder of `a / b`, with the sign of `a`.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The remainder of `a / b` with the sign of `a`, as PostgreSQL's `mod`: of \
integers an integer, of numerics a numeric with the larger scale, of floats a float. Division \
by zero is an error (SQLSTATE 22012). Returns NULL if either argument is NULL.",
    syntax_example = "mod(a, b)",
    sql_example = r"```sql
> SELECT mod(-7, 3) AS a, mod(CAST(7.5 AS DECIMAL(2,1)), 2) AS b;
+----+-----+
| a  | b   |
+----+-----+
| -1 | 1.5 |
+----+-----+
```",
    argument(name = "a", description = "The dividend."),
    argument(name = "b", description = "The divisor.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgModFunc {
    signature: Signature,
}

impl Default for PgModFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgModFunc {
    /// Creates the `mod` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// An integer as a decimal of scale 0.
const INTEGER_AS_DECIMAL: DataType = DataType::Decimal128(19, 0);

/// The common type PostgreSQL's `mod` (or `div`) is chosen by: floats, else
/// numerics, else integers; `None` for another type.
pub(crate) fn common_numeric(arg_types: &[DataType]) -> Option<Vec<DataType>> {
    if arg_types.len() != 2 || !arg_types.iter().all(|t| t.is_numeric() || t.is_null()) {
        return None;
    }
    if arg_types.iter().any(DataType::is_floating) {
        return Some(vec![DataType::Float64, DataType::Float64]);
    }
    if arg_types
        .iter()
        .any(|t| matches!(t, DataType::Decimal128(_, _)))
    {
        return Some(
            arg_types
                .iter()
                .map(|t| match t {
                    DataType::Decimal128(_, _) => t.clone(),
                    _ => INTEGER_AS_DECIMAL,
                })
                .collect(),
        );
    }
    if arg_types.iter().any(|t| !(t.is_integer() || t.is_null())) {
        return None;
    }
    // `mod(integer, integer)` is an `integer`, with a `bigint` a `bigint`.
    let integers = arg_types.iter().all(|t| {
        matches!(
            t,
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16
        ) || t.is_null()
    });
    let to = if integers {
        DataType::Int32
    } else {
        DataType::Int64
    };
    Some(vec![to.clone(), to])
}

impl ScalarUDFImpl for PgModFunc {
    fn name(&self) -> &'static str {
        "mod"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let Some(types) = common_numeric(arg_types) {
            Ok(types)
        } else {
            plan_err!("mod takes two numbers, got {arg_types:?}")
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match (&arg_types[0], &arg_types[1]) {
            (DataType::Decimal128(p1, s1), DataType::Decimal128(p2, s2)) => {
                let scale = *s1.max(s2);
                let whole = (i16::from(*p1) - i16::from(*s1)).min(i16::from(*p2) - i16::from(*s2));
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let precision = (i16::from(scale) + whole).clamp(1, 38) as u8;
                DataType::Decimal128(precision, scale)
            }
            (t, _) => t.clone(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result =
            arrow::compute::kernels::numeric::rem(&arrays[0], &arrays[1]).map_err(|e| match e {
                ArrowError::DivideByZero => SqlError::new("22012", "division by zero").into(),
                other => datafusion::error::DataFusionError::ArrowError(Box::new(other), None),
            })?;
        to_columnar(Arc::clone(&result), all_scalar)
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

    #[test]
    fn remainders_take_the_dividends_sign() {
        let f = PgModFunc::new();
        let int = |v| ColumnarValue::Scalar(ScalarValue::Int64(Some(v)));
        assert_eq!(
            to_scalar(invoke(&f, vec![int(-7), int(3)]).unwrap()),
            ScalarValue::Int64(Some(-1))
        );
        let message = invoke(&f, vec![int(1), int(0)]).unwrap_err().to_string();
        assert!(message.contains("division by zero"), "{message}");
        assert_eq!(
            f.return_type(&[DataType::Decimal128(2, 1), DataType::Decimal128(19, 0)])
                .unwrap(),
            DataType::Decimal128(2, 1)
        );
    }
}
