//! PostgreSQL's `interval` on the wire, in text (`interval_out` with
//! IntervalStyle `postgres`, `EncodeInterval` in
//! src/backend/utils/adt/datetime.c) and binary (`interval_send`: the time
//! in microseconds, the days, the months). arrow-pg encodes an Arrow
//! interval without looking at its validity, so a NULL interval reached the
//! client as `00:00:00`, and its text carries six fraction digits where
//! PostgreSQL prints only those there are (`00:00:01.5`). Interval columns
//! are therefore encoded here: text as PostgreSQL's text, binary as
//! PostgreSQL's bytes, NULL as NULL.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BinaryBuilder, RecordBatch, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, IntervalMonthDayNanoType, IntervalUnit};
use datafusion::error::DataFusionError;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// `batch` with its interval columns in PostgreSQL's text or bytes.
pub fn pg_intervals(
    batch: RecordBatch,
    fields: &[FieldInfo],
) -> Result<RecordBatch, DataFusionError> {
    super::column_forms::replace_columns(batch, |i, field, column| {
        if !matches!(field.data_type(), DataType::Interval(_)) {
            return Ok(None);
        }
        let binary = fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Binary);
        let values = cast(column, &DataType::Interval(IntervalUnit::MonthDayNano))?;
        let values = values.as_primitive::<IntervalMonthDayNanoType>();
        if binary {
            let mut out = BinaryBuilder::with_capacity(values.len(), values.len() * 16);
            for value in values {
                match value {
                    Some(v) => {
                        out.append_value(interval_send(v.months, v.days, v.nanoseconds / 1000));
                    }
                    None => out.append_null(),
                }
            }
            Ok(Some(Arc::new(out.finish()) as ArrayRef))
        } else {
            let mut out = StringBuilder::with_capacity(values.len(), values.len() * 16);
            for value in values {
                match value {
                    Some(v) => {
                        out.append_value(interval_text(v.months, v.days, v.nanoseconds / 1000));
                    }
                    None => out.append_null(),
                }
            }
            Ok(Some(Arc::new(out.finish()) as ArrayRef))
        }
    })
}

/// PostgreSQL's `interval_send`: time (µs, int8), days (int4), months (int4).
fn interval_send(months: i32, days: i32, micros: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&micros.to_be_bytes());
    out.extend_from_slice(&days.to_be_bytes());
    out.extend_from_slice(&months.to_be_bytes());
    out
}

/// PostgreSQL's `interval_out` in the `postgres` style: `1 year 2 mons
/// -3 days +04:05:06.5`, `00:00:00` for zero.
pub fn interval_text(months: i32, days: i32, micros: i64) -> String {
    let mut out = String::new();
    let mut is_zero = true;
    let mut is_before = false;
    let mut part = |value: i64, unit: &str, out: &mut String| {
        if value == 0 {
            return;
        }
        let sign = if is_before && value > 0 { "+" } else { "" };
        let space = if is_zero { "" } else { " " };
        let plural = if value == 1 { "" } else { "s" };
        out.push_str(&format!("{space}{sign}{value} {unit}{plural}"));
        is_before = value < 0;
        is_zero = false;
    };
    part(i64::from(months / 12), "year", &mut out);
    part(i64::from(months % 12), "mon", &mut out);
    part(i64::from(days), "day", &mut out);
    let (hour, min) = (micros / 3_600_000_000, micros / 60_000_000 % 60);
    let (sec, fraction) = (micros / 1_000_000 % 60, micros % 1_000_000);
    if is_zero || micros != 0 {
        let minus = micros < 0;
        let sign = if minus {
            "-"
        } else if is_before {
            "+"
        } else {
            ""
        };
        let space = if is_zero { "" } else { " " };
        out.push_str(&format!(
            "{space}{sign}{:02}:{:02}:{:02}{}",
            hour.abs(),
            min.abs(),
            sec.abs(),
            fraction_text(fraction.unsigned_abs())
        ));
    }
    out
}

/// `.5` for 500000 µs, nothing for none: the digits there are.
pub fn fraction_text(micros: u64) -> String {
    if micros == 0 {
        String::new()
    } else {
        format!(".{}", format!("{micros:06}").trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expected text is what PostgreSQL 15 prints.
    #[test]
    fn intervals_print_as_postgresql_prints_them() {
        assert_eq!(interval_text(0, 0, 0), "00:00:00");
        assert_eq!(interval_text(0, 0, -250_000), "-00:00:00.25");
        assert_eq!(
            interval_text(14, 25, 18_367_500_000),
            "1 year 2 mons 25 days 05:06:07.5"
        );
        assert_eq!(
            interval_text(16, 22, 43_200_000_000),
            "1 year 4 mons 22 days 12:00:00"
        );
        assert_eq!(interval_text(0, 1, 0), "1 day");
        assert_eq!(interval_text(-14, -3, 0), "-1 years -2 mons -3 days");
        assert_eq!(interval_text(0, -3, 3_600_000_000), "-3 days +01:00:00");
        assert_eq!(interval_text(1, -3, -60_000_000), "1 mon -3 days -00:01:00");
        assert_eq!(interval_text(0, 0, 100 * 3_600_000_000), "100:00:00");
    }

    #[test]
    fn binary_is_time_days_months() {
        assert_eq!(
            interval_send(14, 25, 1),
            [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 25, 0, 0, 0, 14]
        );
    }
}
