//! `numeric` values bound to `$n` parameters, in text and binary format.
//!
//! A PostgreSQL `numeric` value carries its own scale (`12.50` prints with
//! two places); an Arrow decimal has the scale of its type, and arrow-pg
//! decodes a `numeric` parameter into DataFusion's unconstrained decimal
//! (scale 10, `12.5000000000`). conversql decodes a parameter declared
//! `numeric` itself and binds it as `CAST(12.50 AS DECIMAL(4, 2))`: the
//! value's own digits and places, so `SELECT $1` prints what PostgreSQL
//! prints and arithmetic on it is `numeric` arithmetic.
//!
//! - Text format: PostgreSQL's `numeric` input (`12.50`, `-3`, `1e3`, `.5`).
//! - Binary format: `numeric_send`'s layout: the number of base-10000
//!   digits, the weight of the first, the sign, the display scale, then the
//!   digits.
//!
//! `NaN` and the infinities, and values of more than 38 digits (Arrow's
//! widest decimal) are 0A000 naming the parameter; malformed input is 22P02.

use datafusion::sql::sqlparser::ast::{
    CastKind, DataType, ExactNumberInfo, Expr, UnaryOperator, Value,
};

use super::array_parameters::{invalid, unsupported};
use crate::error::Error;

/// The widest decimal conversql computes with (Arrow's `Decimal128`).
const MAX_DIGITS: usize = 38;

/// The SQL expression binding `numeric` parameter `index` (0-based) to
/// `value` (`None` is NULL) sent in text or `binary` format.
///
/// # Errors
/// 22P02 for malformed input, 0A000 for `NaN`, infinities and values wider
/// than 38 digits.
pub fn bind_numeric(index: usize, value: Option<&[u8]>, binary: bool) -> Result<Expr, Error> {
    let Some(bytes) = value else {
        return Ok(cast(
            Expr::value(Value::Null),
            DataType::Numeric(ExactNumberInfo::None),
        ));
    };
    let (negative, whole, fraction) = if binary {
        from_binary(index, bytes)?
    } else {
        let text =
            std::str::from_utf8(bytes).map_err(|_| invalid(index, "numeric text is not UTF-8"))?;
        from_text(index, text)?
    };
    let whole = whole.trim_start_matches('0');
    let digits = whole.len() + fraction.len();
    if digits > MAX_DIGITS {
        return Err(unsupported(
            index,
            format!("numeric values of more than {MAX_DIGITS} digits are not supported"),
        ));
    }
    let number = if fraction.is_empty() {
        if whole.is_empty() {
            "0".to_string()
        } else {
            whole.to_string()
        }
    } else {
        format!("{}.{fraction}", if whole.is_empty() { "0" } else { whole })
    };
    let literal = Expr::value(Value::Number(number, false));
    let literal = if negative {
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr: Box::new(literal),
        }
    } else {
        literal
    };
    let precision = digits.max(1) as u64;
    let scale = fraction.len() as u64;
    Ok(Expr::Nested(Box::new(cast(
        literal,
        DataType::Decimal(ExactNumberInfo::PrecisionAndScale(precision, scale as i64)),
    ))))
}

fn cast(expr: Expr, data_type: DataType) -> Expr {
    Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(expr),
        data_type,
        array: false,
        format: None,
    }
}

/// Sign, whole digits and fraction digits of PostgreSQL's `numeric` text input.
fn from_text(index: usize, text: &str) -> Result<(bool, String, String), Error> {
    let trimmed = text.trim();
    if [
        "nan",
        "infinity",
        "+infinity",
        "-infinity",
        "inf",
        "+inf",
        "-inf",
    ]
    .contains(&trimmed.to_ascii_lowercase().as_str())
    {
        return Err(unsupported(
            index,
            format!("numeric value {trimmed} is not supported"),
        ));
    }
    let (negative, unsigned) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    let plain =
        crate::pg_literals::without_exponent(unsigned).unwrap_or_else(|| unsigned.to_string());
    let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(invalid(
            index,
            format!("invalid input syntax for type numeric: \"{text}\""),
        ));
    }
    Ok((negative, whole.to_string(), fraction.to_string()))
}

/// Sign, whole digits and fraction digits of `numeric_send`'s binary layout.
fn from_binary(index: usize, bytes: &[u8]) -> Result<(bool, String, String), Error> {
    let word = |at: usize| -> Result<u16, Error> {
        bytes
            .get(at..at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| invalid(index, "truncated binary numeric"))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i64::from(word(2)? as i16);
    let sign = word(4)?;
    let dscale = usize::from(word(6)?);
    if bytes.len() != 8 + 2 * ndigits {
        return Err(invalid(index, "binary numeric of the wrong length"));
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        0xC000 | 0xD000 | 0xF000 => {
            return Err(unsupported(
                index,
                "numeric NaN and infinities are not supported",
            ));
        }
        other => return Err(invalid(index, format!("binary numeric sign {other:#06x}"))),
    };
    let mut groups = Vec::with_capacity(ndigits);
    for i in 0..ndigits {
        let digit = word(8 + 2 * i)?;
        if digit >= 10000 {
            return Err(invalid(index, format!("binary numeric digit {digit}")));
        }
        groups.push(digit);
    }
    // Group g (0-based) has weight `weight - g`: 10000^(weight - g).
    let mut whole = String::new();
    for w in (0..=weight).rev() {
        let g = weight - w;
        let digit = usize::try_from(g)
            .ok()
            .and_then(|g| groups.get(g))
            .copied()
            .unwrap_or(0);
        whole.push_str(&format!("{digit:04}"));
    }
    let mut fraction = String::new();
    let mut w = -1;
    while fraction.len() < dscale {
        let g = weight - w;
        let digit = usize::try_from(g)
            .ok()
            .and_then(|g| groups.get(g))
            .copied()
            .unwrap_or(0);
        fraction.push_str(&format!("{digit:04}"));
        w -= 1;
    }
    fraction.truncate(dscale);
    Ok((negative, whole, fraction))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        bind_numeric(0, Some(s.as_bytes()), false).map_or_else(|e| e.to_string(), |e| e.to_string())
    }

    fn binary(ndigits: u16, weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> String {
        let mut bytes = vec![];
        for w in [ndigits, weight as u16, sign, dscale]
            .into_iter()
            .chain(digits.iter().copied())
        {
            bytes.extend_from_slice(&w.to_be_bytes());
        }
        bind_numeric(0, Some(&bytes), true).map_or_else(|e| e.to_string(), |e| e.to_string())
    }

    #[test]
    fn text_keeps_the_values_own_places() {
        assert_eq!(text("12.50"), "(CAST(12.50 AS DECIMAL(4,2)))");
        assert_eq!(text("-3"), "(CAST(-3 AS DECIMAL(1,0)))");
        assert_eq!(text("1e3"), "(CAST(1000 AS DECIMAL(4,0)))");
        assert_eq!(text(".5"), "(CAST(0.5 AS DECIMAL(1,1)))");
        assert!(text("12,5").contains("parameter $1"), "{}", text("12,5"));
        assert!(text("NaN").contains("not supported"));
    }

    #[test]
    fn binary_reads_numeric_send() {
        // 12.50: digits [12, 5000], weight 0, dscale 2.
        assert_eq!(
            binary(2, 0, 0, 2, &[12, 5000]),
            "(CAST(12.50 AS DECIMAL(4,2)))"
        );
        // 1000000: digits [100], weight 1, dscale 0.
        assert_eq!(
            binary(1, 1, 0, 0, &[100]),
            "(CAST(1000000 AS DECIMAL(7,0)))"
        );
        // -0.0012: digits [12], weight -1, dscale 4.
        assert_eq!(
            binary(1, -1, 0x4000, 4, &[12]),
            "(CAST(-0.0012 AS DECIMAL(4,4)))"
        );
        // 0 with no digits.
        assert_eq!(binary(0, 0, 0, 0, &[]), "(CAST(0 AS DECIMAL(1,0)))");
        assert!(binary(1, 0, 0xC000, 0, &[0]).contains("NaN"));
    }
}
