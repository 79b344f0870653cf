//! PostgreSQL's text output of floats, timestamps and times.
//!
//! Values sent in text format are what psql prints and what text-protocol
//! clients parse. pgwire's text encoders differ from PostgreSQL's output
//! functions: floats come out as Rust prints them (`1780828245.0`, `inf`,
//! `1e20`) where PostgreSQL's `float8out` prints `1780828245`, `Infinity`,
//! `1e+20`; timestamps always carry six fraction digits
//! (`2026-06-07 10:30:00.000000`) where PostgreSQL's `timestamp_out` prints
//! only the digits there are (`2026-06-07 10:30:00`, `…:00.5`). So columns of
//! these types that travel in text format are turned into PostgreSQL's text
//! before encoding; the described type (the OID) stays the column's own.

use std::str::FromStr;
use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float32Type, Float64Type, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use chrono::{DateTime, NaiveDateTime, Offset};
use datafusion::error::DataFusionError;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// `batch` with its text-format float and timestamp columns as PostgreSQL's text.
pub fn postgres_text(
    batch: RecordBatch,
    fields: &[FieldInfo],
) -> Result<RecordBatch, DataFusionError> {
    super::column_forms::replace_columns(batch, |i, field, column| {
        let text = fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Text)
            && matches!(
                field.data_type(),
                DataType::Float32
                    | DataType::Float64
                    | DataType::Timestamp(_, _)
                    | DataType::Time32(_)
                    | DataType::Time64(_)
            );
        if text {
            text_column(column).map(Some)
        } else {
            Ok(None)
        }
    })
}

fn text_column(column: &ArrayRef) -> Result<ArrayRef, DataFusionError> {
    let mut out = StringBuilder::new();
    match column.data_type() {
        DataType::Float32 => {
            let values = column.as_primitive::<Float32Type>();
            for i in 0..values.len() {
                if values.is_null(i) {
                    out.append_null();
                } else {
                    out.append_value(float_text(f64::from(values.value(i)), 6, true));
                }
            }
        }
        DataType::Float64 => {
            let values = column.as_primitive::<Float64Type>();
            for i in 0..values.len() {
                if values.is_null(i) {
                    out.append_null();
                } else {
                    out.append_value(float_text(values.value(i), 15, false));
                }
            }
        }
        DataType::Timestamp(_, zone) => {
            let micros = cast(
                column,
                &DataType::Timestamp(TimeUnit::Microsecond, zone.clone()),
            )?;
            let values = micros.as_primitive::<TimestampMicrosecondType>();
            let zone = zone
                .as_deref()
                .map(Tz::from_str)
                .transpose()
                .map_err(|e| DataFusionError::ArrowError(Box::new(e), None))?;
            for i in 0..values.len() {
                if values.is_null(i) {
                    out.append_null();
                    continue;
                }
                let Some(instant) = DateTime::from_timestamp_micros(values.value(i)) else {
                    return Err(DataFusionError::Execution(format!(
                        "timestamp {} µs is out of range",
                        values.value(i)
                    )));
                };
                out.append_value(match &zone {
                    Some(tz) => {
                        let local = instant.with_timezone(tz);
                        let offset = local.offset().fix().local_minus_utc();
                        format!(
                            "{}{}",
                            timestamp_text(&local.naive_local()),
                            offset_text(offset)
                        )
                    }
                    None => timestamp_text(&instant.naive_utc()),
                });
            }
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            // `time_out`: the fraction digits there are (`10:30:45.5`).
            let micros = cast(column, &DataType::Time64(TimeUnit::Microsecond))?;
            for value in micros.as_primitive::<Time64MicrosecondType>() {
                match value {
                    Some(us) => {
                        let seconds = us / 1_000_000;
                        out.append_value(format!(
                            "{:02}:{:02}:{:02}{}",
                            seconds / 3600,
                            seconds / 60 % 60,
                            seconds % 60,
                            super::interval_form::fraction_text((us % 1_000_000).unsigned_abs())
                        ));
                    }
                    None => out.append_null(),
                }
            }
        }
        other => {
            return Err(DataFusionError::Internal(format!(
                "no PostgreSQL text form for {other}"
            )));
        }
    }
    Ok(Arc::new(out.finish()))
}

/// PostgreSQL's `float8out`/`float4out` (`extra_float_digits` 1, the
/// default): the shortest digits that read back as the same value, in fixed
/// notation when the decimal exponent is in -4..`digits`, else as `1e+20`.
/// `single` formats the value's shortest `f32` digits.
pub fn float_text(v: f64, digits: i32, single: bool) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    #[allow(clippy::cast_possible_truncation)]
    let scientific = if single {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exponent) = scientific
        .split_once('e')
        .expect("`{:e}` always has an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` exponent is an integer");
    let negative = mantissa.starts_with('-');
    let digits_only: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..digits).contains(&exponent) {
        let body = if exponent >= 0 {
            let int_len = usize::try_from(exponent + 1).unwrap_or(0);
            if digits_only.len() <= int_len {
                format!("{digits_only}{}", "0".repeat(int_len - digits_only.len()))
            } else {
                format!("{}.{}", &digits_only[..int_len], &digits_only[int_len..])
            }
        } else {
            let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
            format!("0.{}{digits_only}", "0".repeat(zeros))
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits_only.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs())
    }
}

/// PostgreSQL's `timestamp_out` (ISO DateStyle): fraction digits only when
/// there are any, without trailing zeros.
pub fn timestamp_text(t: &NaiveDateTime) -> String {
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let micros = t.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        base
    } else {
        let fraction = format!("{micros:06}");
        format!("{base}.{}", fraction.trim_end_matches('0'))
    }
}

/// A UTC offset as PostgreSQL prints it: `+00`, `-04`, `+05:30`.
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    match (m, sec) {
        (0, 0) => format!("{sign}{h:02}"),
        (_, 0) => format!("{sign}{h:02}:{m:02}"),
        _ => format!("{sign}{h:02}:{m:02}:{sec:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_postgresql_prints_them() {
        for (v, expected) in [
            (1_780_828_245.0, "1780828245"),
            (0.5, "0.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e15, "1e+15"),
            (123_456_789_012_345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (0.0, "0"),
            (-0.0, "-0"),
            (1e308, "1e+308"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (1.5e-7, "1.5e-07"),
        ] {
            assert_eq!(float_text(v, 15, false), expected, "{v}");
        }
        assert_eq!(float_text(f64::from(0.1_f32), 6, true), "0.1");
        assert_eq!(float_text(1_000_000.0, 6, true), "1e+06");
    }

    #[test]
    fn timestamps_print_only_their_fraction_digits() {
        let t = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(
            timestamp_text(&t("2026-06-07 10:30:00")),
            "2026-06-07 10:30:00"
        );
        assert_eq!(
            timestamp_text(&t("2026-06-07 10:30:00.5")),
            "2026-06-07 10:30:00.5"
        );
        assert_eq!(
            timestamp_text(&t("2026-06-07 10:30:00.123456")),
            "2026-06-07 10:30:00.123456"
        );
        assert_eq!(offset_text(0), "+00");
        assert_eq!(offset_text(-4 * 3600), "-04");
        assert_eq!(offset_text(5 * 3600 + 1800), "+05:30");
    }
}
