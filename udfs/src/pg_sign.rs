//! `sign(x)`: PostgreSQL's sign, -1, 0 or 1 (NaN for NaN): a `numeric` of
//! scale 0 for a numeric, a `double precision` otherwise (PostgreSQL reads
//! integers as doubles here). DataFusion has `signum` only.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Builder, Float64Array};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};

/// `sign(x)`: -1, 0 or 1.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The sign of `x`, -1, 0 or 1, as PostgreSQL's `sign`: a numeric for a numeric, \
a double precision for a float or an integer. Returns NULL if `x` is NULL.",
    syntax_example = "sign(x)",
    sql_example = r"```sql
> SELECT sign(-3) AS a, sign(CAST(2.5 AS DECIMAL(2,1))) AS b;
+------+---+
| a    | b |
+------+---+
| -1.0 | 1 |
+------+---+
```",
    argument(name = "x", description = "A number.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgSignFunc {
    signature: Signature,
}

impl Default for PgSignFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgSignFunc {
    /// Creates the `sign` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgSignFunc {
    fn name(&self) -> &'static str {
        "sign"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [DataType::Decimal128(_, _)] => Ok(arg_types.to_vec()),
            [t] if t.is_numeric() || t.is_null() => Ok(vec![DataType::Float64]),
            _ => plan_err!("sign takes one number, got {arg_types:?}"),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types.first() {
            Some(DataType::Decimal128(_, _)) => DataType::Decimal128(1, 0),
            _ => DataType::Float64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result: Arc<dyn Array> = if let DataType::Decimal128(_, _) = arrays[0].data_type() {
            let values = arrays[0].as_primitive::<Decimal128Type>();
            let mut out = Decimal128Builder::with_capacity(values.len());
            for v in values {
                out.append_option(v.map(i128::signum));
            }
            Arc::new(out.finish().with_precision_and_scale(1, 0)?)
        } else {
            let values = arrays[0].as_primitive::<Float64Type>();
            Arc::new(
                values
                    .iter()
                    .map(|v| {
                        v.map(|x| {
                            if x.is_nan() || x == 0.0 {
                                x.abs()
                            } else {
                                x.signum()
                            }
                        })
                    })
                    .collect::<Float64Array>(),
            )
        };
        to_columnar(result, all_scalar)
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
    fn signs_of_numerics_and_doubles() {
        let f = PgSignFunc::new();
        assert_eq!(
            to_scalar(
                invoke(
                    &f,
                    vec![ColumnarValue::Scalar(ScalarValue::Decimal128(
                        Some(-25),
                        2,
                        1
                    ))]
                )
                .unwrap()
            ),
            ScalarValue::Decimal128(Some(-1), 1, 0)
        );
        assert_eq!(
            to_scalar(
                invoke(
                    &f,
                    vec![ColumnarValue::Scalar(ScalarValue::Float64(Some(0.0)))]
                )
                .unwrap()
            ),
            ScalarValue::Float64(Some(0.0))
        );
    }
}
