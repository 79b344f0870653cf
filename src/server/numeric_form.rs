//! PostgreSQL's `numeric` in binary format (`numeric_send`,
//! src/backend/utils/adt/numeric.c): base-10000 digits with the trailing
//! zero digits dropped (`10000` is one digit `1` of weight 1), the weight,
//! the sign and the display scale. arrow-pg encodes a decimal through
//! `rust_decimal`, which keeps trailing zero digits (bytes no PostgreSQL
//! sends) and holds at most 28 digits (a wider `numeric(38,0)` value was an
//! error); so binary-format `numeric` columns are encoded here, from the
//! Arrow decimal's unscaled value and scale, and travel as their bytes.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryBuilder, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type};
use datafusion::error::DataFusionError;
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// The sign word of a negative numeric.
const NUMERIC_NEG: u16 = 0x4000;

/// The binary form of the decimal `unscaled × 10^-scale`.
pub fn numeric_send(unscaled: i128, scale: i8) -> Vec<u8> {
    let negative = unscaled < 0;
    let mut magnitude = unscaled.unsigned_abs();
    let mut dscale = u32::try_from(scale).unwrap_or(0);
    if scale < 0 {
        // A negative scale multiplies: at most 38 places, within u128's range for a Decimal128.
        magnitude = magnitude.saturating_mul(10u128.pow(u32::from(scale.unsigned_abs())));
        dscale = 0;
    }
    let divisor = 10u128.pow(dscale);
    let (integer, fraction) = (magnitude / divisor, magnitude % divisor);
    // Integer digits, least significant first.
    let mut integer_digits = vec![];
    let mut rest = integer;
    while rest > 0 {
        integer_digits.push((rest % 10_000) as i16);
        rest /= 10_000;
    }
    integer_digits.reverse();
    // Fraction digits: the fraction padded to whole base-10000 digits.
    let fraction_groups = dscale.div_ceil(4);
    let padded = fraction * 10u128.pow(fraction_groups * 4 - dscale);
    let mut fraction_digits = vec![0i16; fraction_groups as usize];
    let mut rest = padded;
    for digit in fraction_digits.iter_mut().rev() {
        *digit = (rest % 10_000) as i16;
        rest /= 10_000;
    }
    let mut weight = integer_digits.len() as i16 - 1;
    let mut digits = integer_digits;
    digits.extend(fraction_digits);
    // Leading zero digits (a value below 1) lower the weight; trailing ones go.
    let leading = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..leading);
    // Only a value below 1 (no integer digits) has leading zero digits.
    weight = if digits.is_empty() {
        0
    } else {
        weight - leading as i16
    };
    while digits.last() == Some(&0) {
        digits.pop();
    }
    let mut out = Vec::with_capacity(8 + digits.len() * 2);
    out.extend_from_slice(&(digits.len() as i16).to_be_bytes());
    out.extend_from_slice(&weight.to_be_bytes());
    let sign = if negative && !digits.is_empty() {
        NUMERIC_NEG
    } else {
        0
    };
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(dscale as u16).to_be_bytes());
    for digit in digits {
        out.extend_from_slice(&digit.to_be_bytes());
    }
    out
}

/// `batch` with its binary-format `numeric` columns as PostgreSQL's bytes.
pub fn binary_numerics(
    batch: RecordBatch,
    fields: &[FieldInfo],
) -> Result<RecordBatch, DataFusionError> {
    super::column_forms::replace_columns(batch, |i, field, column| {
        let DataType::Decimal128(_, scale) = field.data_type() else {
            return Ok(None);
        };
        let binary = fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Binary && *f.datatype() == Type::NUMERIC);
        if !binary {
            return Ok(None);
        }
        let values = column.as_primitive::<Decimal128Type>();
        let mut bytes = BinaryBuilder::with_capacity(values.len(), values.len() * 12);
        for value in values {
            match value {
                Some(v) => bytes.append_value(numeric_send(v, *scale)),
                None => bytes.append_null(),
            }
        }
        Ok(Some(Arc::new(bytes.finish()) as ArrayRef))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write;
        bytes.iter().fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    /// Each expected value is what PostgreSQL 15 sends for the literal.
    #[test]
    fn bytes_as_postgresql_sends_them() {
        // 2432902008176640000: the trailing zero digit dropped.
        assert_eq!(
            hex(&numeric_send(2_432_902_008_176_640_000, 0)),
            "000400040000000000f30b5600511df0"
        );
        assert_eq!(hex(&numeric_send(1, 0)), "00010000000000000001");
        // 1.0
        assert_eq!(hex(&numeric_send(10, 1)), "00010000000000010001");
        // 0.3333333333333333
        assert_eq!(
            hex(&numeric_send(3_333_333_333_333_333, 16)),
            "0004ffff000000100d050d050d050d05"
        );
        // 0: no digits, the scale kept; -12.50
        assert_eq!(hex(&numeric_send(0, 2)), "0000000000000002");
        assert_eq!(hex(&numeric_send(-1250, 2)), "0002000040000002000c1388");
        // 0.00012: a leading zero digit lowers the weight.
        assert_eq!(hex(&numeric_send(12, 5)), "0002ffff00000005000107d0");
        // 10000: one digit of weight 1.
        assert_eq!(hex(&numeric_send(10_000, 0)), "00010001000000000001");
        // 38 digits, beyond rust_decimal's 28.
        assert_eq!(numeric_send(10i128.pow(38) - 1, 0).len(), 8 + 10 * 2);
    }
}
