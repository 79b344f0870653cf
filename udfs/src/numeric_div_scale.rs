//! `numeric_div_scale(a, a_scale, b, b_scale)`: the display scale PostgreSQL
//! gives the `numeric` quotient `a / b` (`select_div_scale`,
//! src/backend/utils/adt/numeric.c), the places [`crate::numeric_div`]
//! rounds to. A `numeric` value carries its display scale in PostgreSQL; an
//! Arrow decimal column has one scale, so conversql computes the places a
//! quotient shows beside it.

use std::sync::Arc;

use arrow::array::Int32Builder;
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::numeric_div::{Operands, coerce_arguments};

/// `numeric_div_scale(a, a_scale, b, b_scale)`: the places of `a / b`.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The number of decimal places PostgreSQL shows in the numeric quotient `a / b`: \
enough for 16 significant digits, and no fewer than either operand's display scale (`a_scale`, \
`b_scale`). NULL if an argument is NULL or `b` is zero.",
    syntax_example = "numeric_div_scale(a, a_scale, b, b_scale)",
    sql_example = r"```sql
> SELECT numeric_div_scale(1.0, 1, 3, 0) AS a, numeric_div_scale(12500.0, 1, 241, 0) AS b;
+----+----+
| a  | b  |
+----+----+
| 20 | 16 |
+----+----+
```",
    argument(name = "a", description = "The dividend, an integer or numeric."),
    argument(name = "a_scale", description = "The dividend's display scale."),
    argument(name = "b", description = "The divisor, an integer or numeric."),
    argument(name = "b_scale", description = "The divisor's display scale.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericDivScaleFunc {
    signature: Signature,
}

impl Default for NumericDivScaleFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericDivScaleFunc {
    /// Creates the `numeric_div_scale` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for NumericDivScaleFunc {
    fn name(&self) -> &'static str {
        "numeric_div_scale"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_arguments(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let operands = Operands::read(&arrays)?;
        let mut out = Int32Builder::with_capacity(operands.a.len());
        for i in 0..operands.a.len() {
            if operands.is_null(i) || operands.b.value(i) == 0 {
                out.append_null();
            } else {
                out.append_value(operands.display_scale(i));
            }
        }
        to_columnar(Arc::new(out.finish()), all_scalar)
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
    fn places_follow_the_values() {
        let f = NumericDivScaleFunc::new();
        let dec = |v, p, s| ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), p, s));
        let int = |v| ColumnarValue::Scalar(ScalarValue::Int32(Some(v)));
        let places = |a, b| to_scalar(invoke(&f, vec![a, int(1), b, int(0)]).unwrap());
        assert_eq!(
            places(dec(10, 2, 1), dec(3, 1, 0)),
            ScalarValue::Int32(Some(20))
        );
        assert_eq!(
            places(dec(100, 3, 1), dec(4, 1, 0)),
            ScalarValue::Int32(Some(16))
        );
        assert_eq!(
            places(dec(10, 2, 1), dec(0, 1, 0)),
            ScalarValue::Int32(None)
        );
    }
}
