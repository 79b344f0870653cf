//! `factorial(n)`: PostgreSQL's `numeric_fac`, a `numeric` of scale 0
//! (DataFusion's `factorial` is a `bigint`). A negative `n` is an error
//! (SQLSTATE 22023, PostgreSQL's message). PostgreSQL's numerics have no
//! 38-digit limit; an Arrow decimal does, so `factorial(34)` and above are
//! refused (SQLSTATE 0A000) rather than rounded or wrapped.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Decimal128Builder};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// The digits of the widest numeric an Arrow `Decimal128` holds.
const PRECISION: u8 = 38;

/// `n!`, or the error PostgreSQL raises (or conversql's limit).
fn factorial_of(n: i64) -> std::result::Result<i128, SqlError> {
    if n < 0 {
        return Err(SqlError::new(
            "22023",
            "factorial of a negative number is undefined",
        ));
    }
    let limit = 10i128.pow(u32::from(PRECISION)) - 1;
    (2..=i128::from(n))
        .try_fold(1i128, |acc, k| acc.checked_mul(k).filter(|v| *v <= limit))
        .ok_or_else(|| {
            SqlError::unsupported(format!(
                "factorial({n}) has more than {PRECISION} digits, beyond conversql's numeric"
            ))
        })
}

/// `factorial(n)`: `n!` as a numeric.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "`n!` as a numeric of scale 0, as PostgreSQL's `factorial` (`factorial(0)` is 1). \
A negative `n` is an error (SQLSTATE 22023); a result of more than 38 digits (`n` over 33) is \
refused (SQLSTATE 0A000). Returns NULL if `n` is NULL.",
    syntax_example = "factorial(n)",
    sql_example = r"```sql
> SELECT factorial(5) AS f, factorial(20) AS g;
+-----+---------------------+
| f   | g                   |
+-----+---------------------+
| 120 | 2432902008176640000 |
+-----+---------------------+
```",
    argument(name = "n", description = "An integer.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgFactorialFunc {
    signature: Signature,
}

impl Default for PgFactorialFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgFactorialFunc {
    /// Creates the `factorial` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgFactorialFunc {
    fn name(&self) -> &'static str {
        "factorial"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if t.is_integer() || t.is_null() => Ok(vec![DataType::Int64]),
            _ => plan_err!("factorial takes one integer, got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(PRECISION, 0))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let values = arrays[0].as_primitive::<Int64Type>();
        let mut out = Decimal128Builder::with_capacity(values.len());
        for v in values {
            match v {
                None => out.append_null(),
                Some(n) => out.append_value(factorial_of(n)?),
            }
        }
        to_columnar(
            Arc::new(out.finish().with_precision_and_scale(PRECISION, 0)?) as Arc<dyn Array>,
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

    #[test]
    fn factorials_and_their_limits() {
        assert_eq!(factorial_of(0), Ok(1));
        assert_eq!(factorial_of(5), Ok(120));
        assert_eq!(
            factorial_of(33),
            Ok(8_683_317_618_811_886_495_518_194_401_280_000_000)
        );
        assert_eq!(factorial_of(-1).unwrap_err().sqlstate, "22023");
        assert_eq!(factorial_of(34).unwrap_err().sqlstate, "0A000");
    }
}
