//! `numeric_cast_scale(x)`: the display scale PostgreSQL gives `x::numeric`
//! (`numeric_in` for text, `float8_numeric` for floats), the places
//! [`crate::numeric_cast`] reads. A `numeric` value carries its display
//! scale in PostgreSQL; an Arrow decimal column has one scale, so conversql
//! computes the places a cast value shows beside it.

use std::sync::Arc;

use arrow::array::{Array, Int32Builder};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::numeric_cast::WrittenInput;

/// `numeric_cast_scale(x)`: the places `x::numeric` shows.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The number of decimal places PostgreSQL shows in `x::numeric`: for text, the \
digits written after the point less the exponent (`'1.50'` 2, `'1.5e1'` 0); for a float, those \
of its text to 15 significant digits (6 for `real`); for an integer 0; for a numeric its scale. \
NULL if `x` is NULL; an error where `x::numeric` is one.",
    syntax_example = "numeric_cast_scale(x)",
    sql_example = r"```sql
> SELECT numeric_cast_scale('1.50') AS a, numeric_cast_scale(0.25::double) AS b, numeric_cast_scale(7) AS c;
+---+---+---+
| a | b | c |
+---+---+---+
| 2 | 2 | 0 |
+---+---+---+
```",
    argument(name = "x", description = "A number, or text holding one.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericCastScaleFunc {
    signature: Signature,
}

impl Default for NumericCastScaleFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericCastScaleFunc {
    /// Creates the `numeric_cast_scale` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for NumericCastScaleFunc {
    fn name(&self) -> &'static str {
        "numeric_cast_scale"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        crate::numeric_cast::NumericCastFunc::new().coerce_types(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let [x] = arrays.as_slice() else {
            return plan_err!("numeric_cast_scale takes one argument");
        };
        let mut out = Int32Builder::with_capacity(x.len());
        if let Some(input) = WrittenInput::of(x)? {
            for i in 0..x.len() {
                out.append_option(input.read(i)?.map(|w| w.places));
            }
        } else {
            let places = match x.data_type() {
                DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => i32::from(*s),
                _ => 0,
            };
            for i in 0..x.len() {
                out.append_option(x.is_valid(i).then_some(places));
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
    use crate::common::test_util::{invoke, to_scalar, utf8};
    use datafusion::common::ScalarValue;

    #[test]
    fn places_are_those_written() {
        let f = NumericCastScaleFunc::new();
        let places = |x| to_scalar(invoke(&f, vec![x]).unwrap());
        assert_eq!(places(utf8(Some("1.50"))), ScalarValue::Int32(Some(2)));
        assert_eq!(places(utf8(Some("1.5e1"))), ScalarValue::Int32(Some(0)));
        assert_eq!(places(utf8(None)), ScalarValue::Int32(None));
        assert_eq!(
            places(ColumnarValue::Scalar(ScalarValue::Float64(Some(0.125)))),
            ScalarValue::Int32(Some(3))
        );
        assert_eq!(
            places(ColumnarValue::Scalar(ScalarValue::Int64(Some(3)))),
            ScalarValue::Int32(Some(0))
        );
        assert_eq!(
            places(ColumnarValue::Scalar(ScalarValue::Decimal128(
                Some(25),
                5,
                2
            ))),
            ScalarValue::Int32(Some(2))
        );
        let message = invoke(&f, vec![utf8(Some("x"))]).unwrap_err().to_string();
        assert!(message.contains("invalid input syntax"), "{message}");
    }
}
