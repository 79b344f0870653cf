//! `numeric(x)`: PostgreSQL's cast to `numeric` without a precision
//! (`x::numeric`, `CAST(x AS NUMERIC)`), which keeps the value's own scale:
//! `2.5::numeric` is `2.5` and `7::numeric` is `7`. DataFusion reads an
//! unconstrained `NUMERIC` as `Decimal128(38, 10)` (`2.5000000000`), so the
//! statement's cast without a precision becomes this call: an integer
//! becomes a decimal of scale 0, a decimal stays as it is. Text and floats
//! are read as DataFusion's `Decimal128(38, 10)` (PostgreSQL keeps the
//! digits written, up to 15 significant digits of a float).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Builder, Float32Array, Float64Array};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::DataType;
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// DataFusion's type for a `NUMERIC` without precision.
const UNCONSTRAINED: DataType = DataType::Decimal128(38, 10);

/// `numeric(x)`: `x` as a numeric of its own scale.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "`x` as a numeric, as PostgreSQL's cast to `numeric` without a precision: an \
integer has scale 0, a numeric keeps its scale, text is read as PostgreSQL reads a numeric and \
a float through its text to 15 significant digits (6 for `real`), into 10 places; a value with \
nonzero digits beyond 10 places is an error. \
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
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let [x] = arrays.as_slice() else {
            return plan_err!("numeric takes one argument");
        };
        let to = numeric_type(x.data_type())?;
        let out: ArrayRef = if let Some(input) = WrittenInput::of(x)? {
            let mut out = Decimal128Builder::with_capacity(x.len());
            for i in 0..x.len() {
                out.append_option(input.read(i)?.map(|w| w.unscaled));
            }
            Arc::new(out.finish().with_data_type(to))
        } else {
            let options = CastOptions {
                safe: false,
                ..Default::default()
            };
            cast_with_options(x, &to, &options).map_err(|e| {
                datafusion::error::DataFusionError::from(SqlError::new(
                    "22003",
                    format!("numeric field overflow: {e}"),
                ))
            })?
        };
        to_columnar(out, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// A number as PostgreSQL's `numeric_in` reads it: its value at the scale of
/// an unconstrained `numeric` here, and the places PostgreSQL shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The value × 10^10.
    pub unscaled: i128,
    /// The display scale: the digits written after the point, less the
    /// exponent (`1.50` 2, `1.5e1` 0), never below 0.
    pub places: i32,
}

/// The places an unconstrained `numeric` holds here.
const HELD_PLACES: i32 = 10;

/// Reads `text` as `numeric_in` does: blanks around, a sign, digits with
/// at most one point, an exponent.
pub(crate) fn read_text(text: &str) -> std::result::Result<Written, SqlError> {
    let invalid = || {
        SqlError::new(
            "22P02",
            format!("invalid input syntax for type numeric: \"{text}\""),
        )
    };
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let unsigned = trimmed.trim_start_matches(['+', '-']);
    let negative = trimmed.starts_with('-');
    if trimmed.len() - unsigned.len() > 1 {
        return Err(invalid());
    }
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "nan" | "inf" | "infinity") {
        return Err(SqlError::unsupported(format!(
            "numeric NaN and infinity are not supported: \"{text}\""
        )));
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => {
            let exponent = &unsigned[at + 1..];
            let digits = exponent.trim_start_matches(['+', '-']);
            if digits.is_empty()
                || exponent.len() - digits.len() > 1
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid());
            }
            let exponent: i64 = exponent.parse().map_err(|_| invalid())?;
            (&unsigned[..at], exponent)
        }
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let overflow = || {
        SqlError::new(
            "22003",
            format!(
                "numeric field overflow: \"{text}\" does not fit a numeric of 38 digits with {HELD_PLACES} places"
            ),
        )
    };
    let fraction_len = i64::try_from(fraction.len()).map_err(|_| overflow())?;
    let places = i32::try_from((fraction_len - exponent).max(0)).map_err(|_| overflow())?;
    // The digits as one integer, and the power of ten that scales it to the held places.
    let digits = format!("{whole}{fraction}");
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    if significant.is_empty() {
        return Ok(Written {
            unscaled: 0,
            places,
        });
    }
    let trailing_zeros = digits.len() - digits.trim_end_matches('0').len();
    let shift = i64::from(HELD_PLACES) - fraction_len
        + exponent
        + i64::try_from(trailing_zeros).map_err(|_| overflow())?;
    if shift < 0 {
        return Err(SqlError::unsupported(format!(
            "\"{text}\" has nonzero digits beyond {HELD_PLACES} decimal places, the most a \
             numeric without a precision holds here"
        )));
    }
    let magnitude = u32::try_from(shift)
        .ok()
        .and_then(|shift| 10i128.checked_pow(shift))
        .and_then(|power| significant.parse::<i128>().ok()?.checked_mul(power))
        .filter(|m| *m < 10i128.pow(38))
        .ok_or_else(overflow)?;
    Ok(Written {
        unscaled: if negative { -magnitude } else { magnitude },
        places,
    })
}

/// Reads a float as PostgreSQL's `float8_numeric` (`float4_numeric`) does:
/// its text with `significant` significant digits (`%.15g`, `%.6g`), read
/// by `numeric_in`.
pub(crate) fn read_float(value: f64, significant: usize) -> std::result::Result<Written, SqlError> {
    if !value.is_finite() {
        return Err(SqlError::unsupported(format!(
            "numeric NaN and infinity are not supported: {value}"
        )));
    }
    let text = format!("{value:.prec$e}", prec = significant - 1);
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    // `%g` drops the fraction's trailing zeros.
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    read_text(&format!("{mantissa}e{exponent}"))
}

/// An argument `numeric(x)` reads as written: text or a float.
pub(crate) enum WrittenInput<'a> {
    /// Text, read by `numeric_in`.
    Text(Strings<'a>),
    /// `float8`, to 15 significant digits.
    Float64(&'a Float64Array),
    /// `float4`, to 6 significant digits.
    Float32(&'a Float32Array),
}

impl<'a> WrittenInput<'a> {
    /// `array` as text or floats; `None` for an integer or a decimal, whose
    /// value is exact.
    pub(crate) fn of(array: &'a ArrayRef) -> Result<Option<Self>> {
        Ok(Some(match array.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
                Self::Text(Strings::try_new("numeric", array)?)
            }
            DataType::Float64 => Self::Float64(array.as_primitive()),
            DataType::Float32 => Self::Float32(array.as_primitive()),
            _ => return Ok(None),
        }))
    }

    /// Row `i`, read; `None` where it is NULL.
    pub(crate) fn read(&self, i: usize) -> Result<Option<Written>> {
        let written = match self {
            Self::Text(strings) => strings.get(i).map(read_text),
            Self::Float64(a) => a.is_valid(i).then(|| read_float(a.value(i), 15)),
            Self::Float32(a) => a.is_valid(i).then(|| read_float(f64::from(a.value(i)), 6)),
        };
        written.transpose().map_err(Into::into)
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

    fn text(s: &str) -> std::result::Result<(i128, i32), String> {
        read_text(s)
            .map(|w| (w.unscaled, w.places))
            .map_err(|e| format!("{} {}", e.sqlstate, e.message))
    }

    #[test]
    fn text_is_read_as_numeric_in_reads_it() {
        let e10 = 10_000_000_000i128;
        assert_eq!(text(" 1.50 "), Ok((15 * e10 / 10, 2)));
        assert_eq!(text("-2.5e-3"), Ok((-25 * e10 / 10_000, 4)));
        assert_eq!(text("1.5e1"), Ok((15 * e10, 0)));
        assert_eq!(text("1e3"), Ok((1000 * e10, 0)));
        assert_eq!(text(".5"), Ok((5 * e10 / 10, 1)));
        assert_eq!(text("7."), Ok((7 * e10, 0)));
        assert_eq!(text("+0.000"), Ok((0, 3)));
        assert_eq!(text("1.500000000000"), Ok((15 * e10 / 10, 12)));
        assert_eq!(text("0.0000000001"), Ok((1, 10)));
        for bad in [
            "", " ", "abc", "1.2.3", "--1", "1e", "1e+-2", ".", "1 2", "0x10",
        ] {
            let message = text(bad).unwrap_err();
            assert!(
                message.starts_with("22P02 invalid input syntax for type numeric"),
                "{bad:?}: {message}"
            );
        }
        assert!(text("NaN").unwrap_err().starts_with("0A000"));
        assert!(text("-Infinity").unwrap_err().starts_with("0A000"));
        let beyond = text("2.123456789012").unwrap_err();
        assert!(
            beyond.starts_with("0A000") && beyond.contains("beyond 10 decimal places"),
            "{beyond}"
        );
        let overflow = text("1e30").unwrap_err();
        assert!(overflow.starts_with("22003"), "{overflow}");
        assert_eq!(
            text("9999999999999999999999999999"),
            Ok((9_999_999_999_999_999_999_999_999_999 * e10, 0))
        );
    }

    #[test]
    fn floats_are_read_through_their_text_to_15_digits() {
        let float = |v: f64| {
            read_float(v, 15)
                .map(|w| (w.unscaled, w.places))
                .map_err(|e| e.sqlstate)
        };
        let e10 = 10_000_000_000i128;
        assert_eq!(float(0.1), Ok((e10 / 10, 1)));
        assert_eq!(float(1.5), Ok((15 * e10 / 10, 1)));
        assert_eq!(float(100.0), Ok((100 * e10, 0)));
        assert_eq!(float(-0.0), Ok((0, 0)));
        // 1234567.123456789 to 15 significant digits is 1234567.12345679.
        assert_eq!(
            float(1_234_567.123_456_789),
            Ok((12_345_671_234_567_900, 8))
        );
        assert_eq!(float(1e-12), Err("0A000"));
        assert_eq!(float(f64::NAN), Err("0A000"));
        assert_eq!(
            read_float(f64::from(0.1f32), 6).map(|w| (w.unscaled, w.places)),
            Ok((e10 / 10, 1))
        );
    }
}
