//! The shared evaluation of PostgreSQL's checked `bigint` operators
//! (`int8pl`, `int8mi`, `int8mul`): Arrow's checked kernels, with an
//! overflow reported as PostgreSQL reports it (SQLSTATE 22003, `bigint out
//! of range`) where DataFusion's operators wrap around.

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::ColumnarValue;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// Both arguments as `bigint` (any integer, or an untyped NULL).
pub(crate) fn coerce_bigints(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    if arg_types.len() != 2 {
        return plan_err!(
            "{function} takes two bigints, got {} arguments",
            arg_types.len()
        );
    }
    for t in arg_types {
        if !(t.is_integer() || t.is_null()) {
            return plan_err!("{function} takes two bigints, got {t}");
        }
    }
    Ok(vec![DataType::Int64, DataType::Int64])
}

/// `kernel` of the two arguments, an overflow as SQLSTATE 22003.
pub(crate) fn evaluate(
    args: &[ColumnarValue],
    kernel: fn(&dyn arrow::array::Datum, &dyn arrow::array::Datum) -> Result<ArrayRef, ArrowError>,
) -> Result<ColumnarValue> {
    let (arrays, all_scalar) = to_arrays(args)?;
    let result = kernel(&arrays[0], &arrays[1]).map_err(|e| match e {
        ArrowError::ArithmeticOverflow(_) => SqlError::new("22003", "bigint out of range").into(),
        other => datafusion::error::DataFusionError::ArrowError(Box::new(other), None),
    })?;
    to_columnar(result, all_scalar)
}
