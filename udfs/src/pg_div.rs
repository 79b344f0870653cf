//! `div(a, b)`: PostgreSQL's integer quotient of two numerics, truncated
//! toward zero (`div(-7, 2)` is `-3`), a `numeric` of scale 0. DataFusion
//! has no `div` function.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Builder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::pg_mod::common_numeric;
use crate::sql_error::SqlError;

/// `div(a, b)`: the integer part of `a / b`.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The integer quotient of `a / b`, truncated toward zero, as PostgreSQL's `div` \
of two numerics: a numeric of scale 0. Division by zero is an error (SQLSTATE 22012). PostgreSQL \
has no `div` of floats; neither has conversql. Returns NULL if either argument is NULL.",
    syntax_example = "div(a, b)",
    sql_example = r"```sql
> SELECT div(-7, 2) AS q, div(CAST(9.5 AS DECIMAL(2,1)), 2) AS r;
+----+---+
| q  | r |
+----+---+
| -3 | 4 |
+----+---+
```",
    argument(name = "a", description = "The dividend, an integer or numeric."),
    argument(name = "b", description = "The divisor, an integer or numeric.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgDivFunc {
    signature: Signature,
}

impl Default for PgDivFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgDivFunc {
    /// Creates the `div` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The common scale the two decimals are compared at.
const SCALE: i8 = 18;

impl ScalarUDFImpl for PgDivFunc {
    fn name(&self) -> &'static str {
        "div"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match common_numeric(arg_types) {
            Some(types) if !types.iter().any(DataType::is_floating) => Ok(types
                .into_iter()
                .map(|t| match t {
                    DataType::Int64 => DataType::Decimal128(19, 0),
                    other => other,
                })
                .collect()),
            _ => plan_err!("div takes two integers or numerics, got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, 0))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        // Both at one scale (at least each one's own): the quotient of the unscaled values.
        let scale = arrays
            .iter()
            .map(|a| match a.data_type() {
                DataType::Decimal128(_, s) => *s,
                _ => 0,
            })
            .max()
            .unwrap_or(0)
            .clamp(0, SCALE);
        let at = DataType::Decimal128(38, scale);
        let a = cast(&arrays[0], &at)?;
        let b = cast(&arrays[1], &at)?;
        let (a, b) = (
            a.as_primitive::<Decimal128Type>(),
            b.as_primitive::<Decimal128Type>(),
        );
        let mut out = Decimal128Builder::with_capacity(a.len());
        for i in 0..a.len() {
            if a.is_null(i) || b.is_null(i) {
                out.append_null();
                continue;
            }
            let divisor = b.value(i);
            if divisor == 0 {
                return Err(SqlError::new("22012", "division by zero").into());
            }
            out.append_value(a.value(i) / divisor);
        }
        to_columnar(
            Arc::new(out.finish().with_precision_and_scale(38, 0)?),
            all_scalar,
        )
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
    fn quotients_truncate_toward_zero() {
        let f = PgDivFunc::new();
        let dec = |v, p, s| ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), p, s));
        assert_eq!(
            to_scalar(invoke(&f, vec![dec(-7, 19, 0), dec(2, 19, 0)]).unwrap()),
            ScalarValue::Decimal128(Some(-3), 38, 0)
        );
        assert_eq!(
            to_scalar(invoke(&f, vec![dec(95, 2, 1), dec(2, 19, 0)]).unwrap()),
            ScalarValue::Decimal128(Some(4), 38, 0)
        );
        let message = invoke(&f, vec![dec(1, 19, 0), dec(0, 19, 0)])
            .unwrap_err()
            .to_string();
        assert!(message.contains("division by zero"), "{message}");
    }
}
