//! The shared evaluation of PostgreSQL's checked integer operators
//! (`int8pl`, `int8mi`, `int8mul` for `bigint`, `int4pl`, `int4mi`,
//! `int4mul` for `integer`): Arrow's checked kernels, with an overflow
//! reported as PostgreSQL reports it (SQLSTATE 22003, `bigint out of range`
//! or `integer out of range`) where DataFusion's operators wrap around.

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use arrow::error::ArrowError;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::ColumnarValue;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// Both arguments as `bigint` (any integer, or an untyped NULL).
pub(crate) fn coerce_bigints(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    coerce_integers(function, arg_types, &DataType::Int64)
}

/// Both arguments as `integer` (an integer of at most 32 bits, or an untyped NULL).
pub(crate) fn coerce_int4s(function: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    for t in arg_types {
        if matches!(t, DataType::Int64 | DataType::UInt32 | DataType::UInt64) {
            return plan_err!("{function} takes two integers, got {t}");
        }
    }
    coerce_integers(function, arg_types, &DataType::Int32)
}

fn coerce_integers(function: &str, arg_types: &[DataType], to: &DataType) -> Result<Vec<DataType>> {
    if arg_types.len() != 2 {
        return plan_err!(
            "{function} takes two arguments of type {to}, got {} arguments",
            arg_types.len()
        );
    }
    for t in arg_types {
        if !(t.is_integer() || t.is_null()) {
            return plan_err!("{function} takes two integers, got {t}");
        }
    }
    Ok(vec![to.clone(), to.clone()])
}

/// `kernel` of the two arguments, an overflow as SQLSTATE 22003 naming the
/// PostgreSQL type of the arguments.
pub(crate) fn evaluate(
    args: &[ColumnarValue],
    kernel: fn(&dyn arrow::array::Datum, &dyn arrow::array::Datum) -> Result<ArrayRef, ArrowError>,
) -> Result<ColumnarValue> {
    let (arrays, all_scalar) = to_arrays(args)?;
    let type_name = match arrays[0].data_type() {
        DataType::Int16 => "smallint",
        DataType::Int32 => "integer",
        _ => "bigint",
    };
    let result = kernel(&arrays[0], &arrays[1]).map_err(|e| match e {
        ArrowError::ArithmeticOverflow(_) => {
            SqlError::new("22003", format!("{type_name} out of range")).into()
        }
        other => datafusion::error::DataFusionError::ArrowError(Box::new(other), None),
    })?;
    to_columnar(result, all_scalar)
}
