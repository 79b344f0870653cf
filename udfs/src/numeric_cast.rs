//! `numeric(x)`: PostgreSQL's cast to `numeric` without a precision
//! (`x::numeric`, `CAST(x AS NUMERIC)`), which keeps the value's own scale:
//! `2.5::numeric` is `2.5` and `7::numeric` is `7`. DataFusion reads an
//! unconstrained `NUMERIC` as `Decimal128(38, 10)` (`2.5000000000`), so the
//! statement's cast without a precision becomes this call: an integer
//! becomes a decimal of scale 0, a decimal stays as it is. Text and floats
//! are read as DataFusion's `Decimal128(38, 10)` (PostgreSQL keeps the
//! digits written, up to 15 significant digits of a float).

use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::sql_error::SqlError;

/// DataFusion's type for a `NUMERIC` without precision.
const UNCONSTRAINED: DataType = DataType::Decimal128(38, 10);

/// `numeric(x)`: `x` as a numeric of its own scale.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "`x` as a numeric, as PostgreSQL's cast to `numeric` without a precision: an \
integer has scale 0, a numeric keeps its scale, text and floats are read with 10 places. \
`x::numeric` and `CAST(x AS NUMERIC)` are this function.",
    syntax_example = "numeric(x)",
    sql_example = r"```sql
> SELECT numeric(7) AS a, numeric(2.5) AS b;
+---+-----+
| a | b   |
+---+-----+
| 7 | 2.5 |
+---+-----+
```",
    argument(name = "x", description = "A number, or text holding one.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericCastFunc {
    signature: Signature,
}

impl Default for NumericCastFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericCastFunc {
    /// Creates the `numeric` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The numeric type `x::numeric` has for an `x` of this type.
fn numeric_type(data_type: &DataType) -> Result<DataType> {
    Ok(match data_type {
        DataType::Int8 | DataType::UInt8 => DataType::Decimal128(3, 0),
        DataType::Int16 | DataType::UInt16 => DataType::Decimal128(5, 0),
        DataType::Int32 | DataType::UInt32 => DataType::Decimal128(10, 0),
        DataType::Int64 => DataType::Decimal128(19, 0),
        DataType::UInt64 => DataType::Decimal128(20, 0),
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => data_type.clone(),
        DataType::Null
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View => UNCONSTRAINED,
        DataType::Dictionary(_, value) => numeric_type(value)?,
        other => return plan_err!("cannot cast type {other} to numeric"),
    })
}

impl ScalarUDFImpl for NumericCastFunc {
    fn name(&self) -> &'static str {
        "numeric"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let [t] = arg_types {
            numeric_type(t)?;
            Ok(vec![t.clone()])
        } else {
            plan_err!("numeric takes one argument, got {}", arg_types.len())
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if let [t] = arg_types {
            numeric_type(t)
        } else {
            plan_err!("numeric takes one argument, got {}", arg_types.len())
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [x] = args.args.as_slice() else {
            return plan_err!("numeric takes one argument");
        };
        let to = numeric_type(&x.data_type())?;
        let options = CastOptions {
            safe: false,
            ..Default::default()
        };
        let text = matches!(
            x.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        );
        let invalid = |e: arrow::error::ArrowError| -> datafusion::error::DataFusionError {
            if text {
                SqlError::new(
                    "22P02",
                    format!("invalid input syntax for type numeric: {e}"),
                )
                .into()
            } else {
                SqlError::new("22003", format!("numeric field overflow: {e}")).into()
            }
        };
        match x {
            ColumnarValue::Array(a) => Ok(ColumnarValue::Array(
                cast_with_options(a, &to, &options).map_err(invalid)?,
            )),
            ColumnarValue::Scalar(s) => {
                let a = cast_with_options(&s.to_array()?, &to, &options).map_err(invalid)?;
                Ok(ColumnarValue::Scalar(
                    datafusion::common::ScalarValue::try_from_array(&a, 0)?,
                ))
            }
        }
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
    fn integers_have_scale_0_and_decimals_keep_theirs() {
        let f = NumericCastFunc::new();
        assert_eq!(
            to_scalar(
                invoke(&f, vec![ColumnarValue::Scalar(ScalarValue::Int32(Some(7)))]).unwrap()
            ),
            ScalarValue::Decimal128(Some(7), 10, 0)
        );
        let d = ScalarValue::Decimal128(Some(25), 2, 1);
        assert_eq!(
            to_scalar(invoke(&f, vec![ColumnarValue::Scalar(d.clone())]).unwrap()),
            d
        );
        let message = invoke(
            &f,
            vec![ColumnarValue::Scalar(ScalarValue::Utf8(Some("abc".into())))],
        )
        .unwrap_err()
        .to_string();
        assert!(
            message.contains("invalid input syntax for type numeric"),
            "{message}"
        );
    }
}
