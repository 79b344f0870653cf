//! `to_char(value, template)` with PostgreSQL's template patterns.
//!
//! DataFusion's own `to_char` takes a chrono `strftime` format, so
//! PostgreSQL's `to_char(DATE '2026-06-07', 'YYYY-MM')` came back as the
//! template itself (`'YYYY-MM'`): a silently wrong answer. This function
//! replaces it under the same name and follows PostgreSQL's
//! `formatting.c`: the date and time patterns (`YYYY`, `MM`, `Mon`, `Month`,
//! `DD`, `Day`, `HH24`, `MI`, `SS`, `MS`, `US`, `AM`, `IYYY`, `IW`, `Q`, …,
//! with the `FM` prefix and `"quoted"` text) for dates, timestamps and
//! intervals, and the digit patterns (`9`, `0`, `.`, `,`, `D`, `G`, `FM`) for
//! numbers. Template text that is not a pattern is copied, as PostgreSQL
//! does. A PostgreSQL pattern this function does not implement (`TZ`, `OF`,
//! `RM`, `TH`, `SP`, `FX`, `TM`, `S`, `MI` and `PR` for numbers, `EEEE`, …)
//! is an error (SQLSTATE 0A000) naming the function and the pattern, never a
//! different answer.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float64Type, Int64Type, IntervalMonthDayNanoType,
    IntervalUnit, TimeUnit, TimestampMicrosecondType,
};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike};
use datafusion::common::{DataFusionError, Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, ZoneCache, check_arity, coerce_string, to_arrays, to_columnar};

/// `to_char(value, template)`: a date, timestamp, interval or number as text, formatted by a PostgreSQL template.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Formats a date, timestamp, interval or number as text by a PostgreSQL template \
(`YYYY-MM-DD`, `FMMonth`, `HH24:MI:SS`, `FM999,990.00`, …), as PostgreSQL's `to_char` does. \
A PostgreSQL pattern conversql does not implement (such as `TZ`, `RM`, `TH`, `EEEE`) is an error \
(SQLSTATE 0A000) naming it. Returns NULL if either argument is NULL.",
    syntax_example = "to_char(value, template)",
    sql_example = r"```sql
> SELECT to_char(DATE '2026-06-07', 'FMDay, FMDD Mon YYYY') AS d, to_char(1234.5, 'FM9,999.00') AS n;
+--------------------+----------+
| d                  | n        |
+--------------------+----------+
| Sunday, 7 Jun 2026 | 1,234.50 |
+--------------------+----------+
```",
    argument(
        name = "value",
        description = "A date, timestamp (with or without time zone: formatted in its own zone), interval, integer, numeric or floating-point number."
    ),
    argument(
        name = "template",
        description = "A PostgreSQL formatting template; text in double quotes is copied."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToCharFunc {
    signature: Signature,
}

impl Default for ToCharFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ToCharFunc {
    /// Creates the `to_char` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for ToCharFunc {
    fn name(&self) -> &'static str {
        "to_char"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        let value = match &arg_types[0] {
            DataType::Date32 | DataType::Date64 => DataType::Date32,
            DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            DataType::Interval(_) => DataType::Interval(IntervalUnit::MonthDayNano),
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32 => DataType::Int64,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => DataType::Float64,
            d @ DataType::Decimal128(_, _) => d.clone(),
            DataType::Null => DataType::Int64,
            other => {
                return plan_err!(
                    "to_char: the value must be a date, timestamp, interval or number, got {other}"
                );
            }
        };
        Ok(vec![
            value,
            coerce_string(self.name(), "template", &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        to_columnar(to_char(&arrays[0], &arrays[1])?, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// A PostgreSQL pattern this implementation does not have: SQLSTATE 0A000.
fn unsupported(pattern: &str, of: &str) -> DataFusionError {
    DataFusionError::NotImplemented(format!(
        "to_char: the template pattern \"{pattern}\" is not supported for {of}"
    ))
}

/// Formats every row of `values` by the template of the same row.
fn to_char(values: &ArrayRef, templates: &ArrayRef) -> Result<ArrayRef> {
    let templates = Strings::try_new("to_char", templates)?;
    let mut out = StringBuilder::new();
    let mut zones = ZoneCache::default();
    let zone = match values.data_type() {
        DataType::Timestamp(_, Some(tz)) => Some(tz.to_string()),
        _ => None,
    };
    for i in 0..values.len() {
        let Some(template) = templates.get(i) else {
            out.append_null();
            continue;
        };
        if values.is_null(i) {
            out.append_null();
            continue;
        }
        let text = match values.data_type() {
            DataType::Date32 => {
                let days = values.as_primitive::<Date32Type>().value(i);
                let date =
                    NaiveDate::from_num_days_from_ce_opt(days + 719_163).ok_or_else(|| {
                        DataFusionError::Execution("to_char: date out of range".into())
                    })?;
                format_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default(), 0, template)?
            }
            DataType::Timestamp(_, _) => {
                let micros = values.as_primitive::<TimestampMicrosecondType>().value(i);
                let Some(utc) = DateTime::from_timestamp_micros(micros) else {
                    return exec_err!("to_char: timestamp out of range");
                };
                let local = match &zone {
                    Some(name) => {
                        let Some(tz) = zones.get(name) else {
                            return exec_err!("to_char: unknown time zone '{name}'");
                        };
                        utc.with_timezone(&tz).naive_local()
                    }
                    None => utc.naive_utc(),
                };
                format_datetime(&local, micros.rem_euclid(1_000_000), template)?
            }
            DataType::Interval(_) => {
                let v = values.as_primitive::<IntervalMonthDayNanoType>().value(i);
                format_interval(v.months, v.days, v.nanoseconds, template)?
            }
            DataType::Int64 => {
                let v = values.as_primitive::<Int64Type>().value(i);
                format_number(&Digits::of_integer(i128::from(v)), template)?
            }
            DataType::Float64 => {
                let v = values.as_primitive::<Float64Type>().value(i);
                if !v.is_finite() {
                    return Err(unsupported(&v.to_string(), "non-finite numbers"));
                }
                format_number(&Digits::of_float(v), template)?
            }
            DataType::Decimal128(_, scale) => {
                let v = values.as_primitive::<Decimal128Type>().value(i);
                format_number(&Digits::of_decimal(v, *scale), template)?
            }
            other => return exec_err!("to_char: unexpected argument type {other}"),
        };
        out.append_value(text);
    }
    Ok(Arc::new(out.finish()))
}

/// One piece of a date/time template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DatePiece {
    /// Copied text.
    Text(String),
    /// A pattern, with the `FM` (fill mode: no padding) prefix or not.
    Pattern(&'static str, bool),
}

/// PostgreSQL's date/time patterns, longest first where one is a prefix of another.
/// The ones with no arm in [`date_field`] are reported as unsupported.
const DATE_PATTERNS: &[&str] = &[
    "Y,YYY", "y,yyy", "YYYY", "yyyy", "YYY", "yyy", "YY", "yy", "Y", "y", "IYYY", "iyyy", "IYY",
    "iyy", "IY", "iy", "IDDD", "iddd", "ID", "id", "IW", "iw", "I", "i", "HH24", "hh24", "HH12",
    "hh12", "HH", "hh", "MI", "mi", "MS", "ms", "MONTH", "Month", "month", "MON", "Mon", "mon",
    "MM", "mm", "SSSSS", "sssss", "SSSS", "ssss", "SS", "ss", "US", "us", "FF1", "FF2", "FF3",
    "FF4", "FF5", "FF6", "ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "A.M.", "a.m.", "P.M.", "p.m.",
    "AM", "am", "PM", "pm", "A.D.", "a.d.", "B.C.", "b.c.", "AD", "ad", "BC", "bc", "DAY", "Day",
    "day", "DDD", "ddd", "DD", "dd", "DY", "Dy", "dy", "D", "d", "WW", "ww", "W", "w", "Q", "q",
    "CC", "cc", "J", "j", "RM", "rm", "TZH", "TZM", "TZ", "tz", "OF", "of", "FX", "fx", "TM", "tm",
];

/// Splits a date/time template into text and patterns, as PostgreSQL reads it:
/// `"…"` is copied text (`\"` a quote inside it), `\` before a character copies it,
/// `FM` before a pattern suppresses its padding, anything else is copied.
pub(crate) fn parse_date_template(template: &str) -> Result<Vec<DatePiece>> {
    let mut pieces = vec![];
    let mut text = String::new();
    let mut rest = template;
    let mut fill = false;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let mut chars = rest[1..].char_indices();
            let mut end = rest.len();
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            text.push(next);
                        }
                    }
                    '"' => {
                        end = i + 2;
                        break;
                    }
                    other => text.push(other),
                }
            }
            rest = &rest[end.min(rest.len())..];
            continue;
        }
        if c == '\\' {
            let mut chars = rest.chars();
            chars.next();
            if let Some(next) = chars.next() {
                text.push(next);
                rest = &rest[1 + next.len_utf8()..];
            } else {
                text.push('\\');
                rest = "";
            }
            continue;
        }
        if rest.starts_with("FM") || rest.starts_with("fm") {
            fill = true;
            rest = &rest[2..];
            continue;
        }
        if let Some(pattern) = DATE_PATTERNS.iter().find(|p| rest.starts_with(**p)) {
            if !text.is_empty() {
                pieces.push(DatePiece::Text(std::mem::take(&mut text)));
            }
            rest = &rest[pattern.len()..];
            for suffix in ["TH", "th", "SP", "sp"] {
                if rest.starts_with(suffix) {
                    return Err(unsupported(
                        &format!("{pattern}{suffix}"),
                        "dates and times",
                    ));
                }
            }
            pieces.push(DatePiece::Pattern(pattern, fill));
            fill = false;
            continue;
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !text.is_empty() {
        pieces.push(DatePiece::Text(text));
    }
    Ok(pieces)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// `n` zero-padded to `width` digits (minus sign first), or plain under `FM`.
fn padded(n: i64, width: usize, fill: bool) -> String {
    if fill {
        n.to_string()
    } else if n < 0 {
        format!("-{:0width$}", -n, width = width.saturating_sub(1))
    } else {
        format!("{n:0width$}")
    }
}

/// A name in the case of its pattern (`MONTH`, `Month`, `month`), padded to
/// `width` characters unless `FM`.
fn named(name: &str, pattern: &str, width: usize, fill: bool) -> String {
    let cased = if pattern.chars().all(|c| c.is_ascii_uppercase()) {
        name.to_uppercase()
    } else if pattern.chars().all(|c| c.is_ascii_lowercase()) {
        name.to_lowercase()
    } else {
        name.to_string()
    };
    if fill {
        cased
    } else {
        format!("{cased:<width$}")
    }
}

/// The last `digits` digits of a year (`YYY`, `YY`, `Y`).
fn year_tail(year: i32, digits: u32, fill: bool) -> String {
    let tail = i64::from(year.abs()) % 10_i64.pow(digits);
    padded(tail, digits as usize, fill)
}

/// The value of one date/time pattern for a local date and time.
fn date_field(pattern: &'static str, fill: bool, t: &NaiveDateTime, micros: i64) -> Result<String> {
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    let pm = t.hour() >= 12;
    let iso = t.iso_week();
    let upper = pattern.to_uppercase();
    Ok(match upper.as_str() {
        "YYYY" => padded(i64::from(t.year()), 4, fill),
        "YYY" => year_tail(t.year(), 3, fill),
        "YY" => year_tail(t.year(), 2, fill),
        "Y" => year_tail(t.year(), 1, fill),
        "IYYY" => padded(i64::from(iso.year()), 4, fill),
        "IYY" => year_tail(iso.year(), 3, fill),
        "IY" => year_tail(iso.year(), 2, fill),
        "I" => year_tail(iso.year(), 1, fill),
        "IW" => padded(i64::from(iso.week()), 2, fill),
        "ID" => t.weekday().number_from_monday().to_string(),
        "IDDD" => padded(
            i64::from((iso.week() - 1) * 7 + t.weekday().number_from_monday()),
            3,
            fill,
        ),
        "HH" | "HH12" => padded(i64::from(hour12), 2, fill),
        "HH24" => padded(i64::from(t.hour()), 2, fill),
        "MI" => padded(i64::from(t.minute()), 2, fill),
        "SS" => padded(i64::from(t.second()), 2, fill),
        "MS" => padded(micros / 1000, 3, fill),
        "US" => padded(micros, 6, fill),
        "SSSS" | "SSSSS" => t.num_seconds_from_midnight().to_string(),
        "AM" | "PM" => {
            let s = if pm { "PM" } else { "AM" };
            if pattern.starts_with(|c: char| c.is_ascii_lowercase()) {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        }
        "A.M." | "P.M." => {
            let s = if pm { "P.M." } else { "A.M." };
            if pattern.starts_with(|c: char| c.is_ascii_lowercase()) {
                s.to_lowercase()
            } else {
                s.to_string()
            }
        }
        "MM" => padded(i64::from(t.month()), 2, fill),
        "MONTH" => named(MONTHS[t.month0() as usize], pattern, 9, fill),
        "MON" => named(&MONTHS[t.month0() as usize][..3], pattern, 3, true),
        "DD" => padded(i64::from(t.day()), 2, fill),
        "DDD" => padded(i64::from(t.ordinal()), 3, fill),
        "D" => t.weekday().number_from_sunday().to_string(),
        "DAY" => named(
            DAYS[t.weekday().num_days_from_sunday() as usize],
            pattern,
            9,
            fill,
        ),
        "DY" => named(
            &DAYS[t.weekday().num_days_from_sunday() as usize][..3],
            pattern,
            3,
            true,
        ),
        "WW" => padded(i64::from((t.ordinal() - 1) / 7 + 1), 2, fill),
        "W" => ((t.day() - 1) / 7 + 1).to_string(),
        "Q" => ((t.month0() / 3) + 1).to_string(),
        "CC" => {
            let year = t.year();
            let cc = if year > 0 {
                (year + 99) / 100
            } else {
                -((99 - (year - 1)) / 100)
            };
            padded(i64::from(cc), 2, fill)
        }
        "J" => (i64::from(t.num_days_from_ce()) + 1_721_425).to_string(),
        "AD" | "BC" | "A.D." | "B.C." => {
            let era = match (t.year() > 0, upper.contains('.')) {
                (true, false) => "AD",
                (false, false) => "BC",
                (true, true) => "A.D.",
                (false, true) => "B.C.",
            };
            if pattern.starts_with(|c: char| c.is_ascii_lowercase()) {
                era.to_lowercase()
            } else {
                era.to_string()
            }
        }
        _ => return Err(unsupported(pattern, "dates and times")),
    })
}

/// `to_char` of a date or timestamp (its local date and time, and the
/// microseconds within the second).
fn format_datetime(t: &NaiveDateTime, micros: i64, template: &str) -> Result<String> {
    let mut out = String::new();
    for piece in parse_date_template(template)? {
        match piece {
            DatePiece::Text(text) => out.push_str(&text),
            DatePiece::Pattern(pattern, fill) => {
                out.push_str(&date_field(pattern, fill, t, micros)?);
            }
        }
    }
    Ok(out)
}

/// `to_char` of an interval: PostgreSQL formats its fields (years and months
/// from the months, days, hours beyond 24, minutes, seconds) by the numeric
/// patterns; the calendar ones (month and day names, weeks…) are refused here.
fn format_interval(months: i32, days: i32, nanos: i64, template: &str) -> Result<String> {
    if months < 0 || days < 0 || nanos < 0 {
        return Err(unsupported(template, "negative intervals"));
    }
    let micros = nanos / 1000;
    let seconds = micros / 1_000_000;
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let fraction = micros % 1_000_000;
    let mut out = String::new();
    for piece in parse_date_template(template)? {
        match piece {
            DatePiece::Text(text) => out.push_str(&text),
            DatePiece::Pattern(pattern, fill) => {
                let value = match pattern.to_uppercase().as_str() {
                    "YYYY" => padded(i64::from(months / 12), 4, fill),
                    "MM" => padded(i64::from(months % 12), 2, fill),
                    "DD" => padded(i64::from(days), 2, fill),
                    "HH24" => padded(hour, 2, fill),
                    "HH" | "HH12" => padded(
                        match hour % 12 {
                            0 => 12,
                            h => h,
                        },
                        2,
                        fill,
                    ),
                    "MI" => padded(minute, 2, fill),
                    "SS" => padded(second, 2, fill),
                    "MS" => padded(fraction / 1000, 3, fill),
                    "US" => padded(fraction, 6, fill),
                    "SSSS" | "SSSSS" => (hour * 3600 + minute * 60 + second).to_string(),
                    _ => return Err(unsupported(pattern, "intervals")),
                };
                out.push_str(&value);
            }
        }
    }
    Ok(out)
}

/// A number as sign and decimal digits, to be rounded to a template's places.
#[derive(Debug, Clone)]
enum Digits {
    /// An exact decimal: unscaled value and scale.
    Decimal(i128, i8),
    /// A float, formatted by its exact binary value (as C's `printf` does).
    Float(f64),
}

impl Digits {
    fn of_integer(v: i128) -> Self {
        Digits::Decimal(v, 0)
    }

    fn of_decimal(v: i128, scale: i8) -> Self {
        Digits::Decimal(v, scale)
    }

    fn of_float(v: f64) -> Self {
        Digits::Float(v)
    }

    /// (negative, integer digits without leading zeros, exactly `places` fraction digits).
    fn rounded(&self, places: usize) -> Result<(bool, String, String)> {
        let text = match self {
            Digits::Float(v) => format!("{:.places$}", v.abs()),
            Digits::Decimal(v, scale) => {
                let scale = i32::from(*scale);
                let places_i = i32::try_from(places).unwrap_or(i32::MAX);
                let magnitude = v.unsigned_abs();
                // Round half away from zero to `places`, as PostgreSQL's numeric does.
                let (unscaled, digits_scale) = if scale > places_i {
                    let div = 10u128
                        .checked_pow((scale - places_i).unsigned_abs())
                        .ok_or_else(|| {
                            DataFusionError::Execution("to_char: scale too large".into())
                        })?;
                    let q = magnitude / div;
                    let r = magnitude % div;
                    (if r * 2 >= div { q + 1 } else { q }, places_i)
                } else {
                    (magnitude, scale)
                };
                let mut s = unscaled.to_string();
                let digits_scale = usize::try_from(digits_scale.max(0)).unwrap_or(0);
                if s.len() <= digits_scale {
                    s = format!("{}{s}", "0".repeat(digits_scale + 1 - s.len()));
                }
                let (int, frac) = s.split_at(s.len() - digits_scale);
                let mut frac = frac.to_string();
                while frac.len() < places {
                    frac.push('0');
                }
                if places == 0 {
                    int.to_string()
                } else {
                    format!("{int}.{frac}")
                }
            }
        };
        let negative = match self {
            Digits::Float(v) => *v < 0.0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)),
            Digits::Decimal(v, _) => *v < 0 && text.bytes().any(|b| (b'1'..=b'9').contains(&b)),
        };
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let int = int.trim_start_matches('0').to_string();
        Ok((negative, int, frac.to_string()))
    }
}

/// One piece of a number template.
#[derive(Debug, Clone, PartialEq)]
enum NumPiece {
    /// `9`: a digit, blank when a leading zero.
    Nine,
    /// `0`: a digit, printed even when a leading zero.
    Zero,
    /// `.` or `D`: the decimal point.
    Point,
    /// `,` or `G`: the group separator.
    Group,
    /// Copied text.
    Text(String),
}

/// Splits a number template; patterns conversql does not implement are an error.
fn parse_number_template(template: &str) -> Result<(Vec<NumPiece>, bool)> {
    let mut pieces = vec![];
    let mut fill = false;
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        let mut advance = c.len_utf8();
        match c {
            '9' => pieces.push(NumPiece::Nine),
            '0' => pieces.push(NumPiece::Zero),
            '.' | 'D' | 'd' => pieces.push(NumPiece::Point),
            ',' | 'G' | 'g' => pieces.push(NumPiece::Group),
            'F' | 'f' if rest[1..].starts_with(['M', 'm']) => {
                fill = true;
                advance = 2;
            }
            '"' => {
                let inner = &rest[1..];
                let end = inner.find('"').unwrap_or(inner.len());
                pieces.push(NumPiece::Text(inner[..end].to_string()));
                advance = 1 + end + usize::from(end < inner.len());
            }
            '\\' => {
                let next = rest[1..].chars().next();
                if let Some(next) = next {
                    pieces.push(NumPiece::Text(next.to_string()));
                    advance = 1 + next.len_utf8();
                }
            }
            'B' | 'b' | 'C' | 'c' | 'E' | 'e' | 'L' | 'l' | 'M' | 'm' | 'P' | 'p' | 'R' | 'r'
            | 'S' | 's' | 'T' | 't' | 'V' | 'v' | 'F' | 'f' => {
                let end = rest
                    .char_indices()
                    .find(|(_, ch)| !ch.is_ascii_alphabetic())
                    .map_or(rest.len(), |(i, _)| i);
                return Err(unsupported(&rest[..end.min(4)], "numbers"));
            }
            other => pieces.push(NumPiece::Text(other.to_string())),
        }
        rest = &rest[advance..];
    }
    if pieces.iter().filter(|p| **p == NumPiece::Point).count() > 1 {
        return plan_err!("to_char: multiple decimal points in \"{template}\"");
    }
    Ok((pieces, fill))
}

/// `to_char` of a number: digit positions before the point take the integer
/// digits right-aligned (blank leading zeros for `9`, zeros from the first `0`),
/// the ones after it the rounded fraction; a sign slot goes before the first
/// digit (blank for a positive number); too many integer digits give `#`s.
fn format_number(value: &Digits, template: &str) -> Result<String> {
    let (pieces, fill) = parse_number_template(template)?;
    let point = pieces.iter().position(|p| *p == NumPiece::Point);
    let is_digit = |p: &NumPiece| matches!(p, NumPiece::Nine | NumPiece::Zero);
    let int_end = point.unwrap_or(pieces.len());
    let int_positions = pieces[..int_end].iter().filter(|p| is_digit(p)).count();
    let frac_positions = pieces[int_end..].iter().filter(|p| is_digit(p)).count();
    let (negative, mut int_digits, frac_digits) = value.rounded(frac_positions)?;
    if int_digits.is_empty() && frac_positions == 0 {
        int_digits = "0".to_string();
    }
    let overflow = int_digits.len() > int_positions;
    let first_zero = pieces[..int_end]
        .iter()
        .filter(|p| is_digit(p))
        .position(|p| *p == NumPiece::Zero)
        .unwrap_or(int_positions);
    let mut out = String::new();
    let mut digit = 0usize;
    let mut started = false;
    let mut sign_at = None;
    let mut frac = frac_digits.chars();
    let mut frac_kept_to = 0usize;
    for (i, piece) in pieces.iter().enumerate() {
        let before_point = i < int_end;
        match piece {
            NumPiece::Nine | NumPiece::Zero if before_point => {
                let lead = int_positions - int_digits.len().min(int_positions);
                let c = if overflow {
                    '#'
                } else if digit < lead {
                    if digit >= first_zero { '0' } else { ' ' }
                } else {
                    char::from(int_digits.as_bytes()[digit - lead])
                };
                if c != ' ' && !started {
                    started = true;
                    sign_at = Some(out.len());
                }
                out.push(c);
                digit += 1;
            }
            NumPiece::Nine | NumPiece::Zero => {
                let c = if overflow {
                    '#'
                } else {
                    frac.next().unwrap_or('0')
                };
                if !started {
                    started = true;
                    sign_at = Some(out.len());
                }
                out.push(c);
                if *piece == NumPiece::Zero || c != '0' {
                    frac_kept_to = out.len();
                }
            }
            NumPiece::Point => {
                if !started {
                    started = true;
                    sign_at = Some(out.len());
                }
                out.push('.');
                frac_kept_to = out.len();
            }
            NumPiece::Group => out.push(if started { ',' } else { ' ' }),
            NumPiece::Text(text) => out.push_str(text),
        }
    }
    if fill {
        // FM: no trailing zeros of `9` fraction digits, no padding.
        if point.is_some() {
            let tail_start = pieces[int_end..]
                .iter()
                .rposition(|p| !is_digit(p) && *p != NumPiece::Point)
                .map(|_| ());
            if tail_start.is_none() {
                out.truncate(frac_kept_to);
            }
        }
    }
    let sign = if negative {
        "-"
    } else if fill {
        ""
    } else {
        " "
    };
    let at = sign_at.unwrap_or(out.len());
    out.insert_str(at, sign);
    if fill {
        out = out.trim_start().to_string();
    } else if !started {
        out.insert(0, ' ');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
    };

    fn one(value: ArrayRef, template: &str) -> Result<String> {
        let templates: ArrayRef = Arc::new(StringArray::from(vec![template]));
        let out = to_char(&value, &templates)?;
        Ok(out.as_string::<i32>().value(0).to_string())
    }

    fn date(s: &str) -> ArrayRef {
        let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Arc::new(Date32Array::from(vec![d.num_days_from_ce() - 719_163]))
    }

    fn ts(s: &str) -> ArrayRef {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        Arc::new(TimestampMicrosecondArray::from(vec![
            t.and_utc().timestamp_micros(),
        ]))
    }

    fn num(v: f64) -> ArrayRef {
        Arc::new(Float64Array::from(vec![v]))
    }

    fn int(v: i64) -> ArrayRef {
        Arc::new(Int64Array::from(vec![v]))
    }

    #[test]
    fn dates_follow_postgresql_patterns() {
        let d = date("2026-06-07");
        for (template, expected) in [
            ("YYYY-MM", "2026-06"),
            ("DD/MM/YYYY", "07/06/2026"),
            ("Mon DD, YYYY", "Jun 07, 2026"),
            ("Month", "June     "),
            ("FMMonth", "June"),
            ("Day", "Sunday   "),
            ("FMDay, FMDD FMMonth YYYY", "Sunday, 7 June 2026"),
            ("YYYY\"Q\"Q", "2026Q2"),
            ("IYYY-\"W\"IW", "2026-W23"),
            ("DDD D ID", "158 1 7"),
            ("MON mon Dy", "JUN jun Sun"),
            ("month|", "june     |"),
        ] {
            assert_eq!(one(d.clone(), template).unwrap(), expected, "{template}");
        }
    }

    #[test]
    fn timestamps_follow_postgresql_patterns() {
        let t = ts("2026-06-07 14:05:09.123456");
        for (template, expected) in [
            ("YYYY-MM-DD HH24:MI:SS", "2026-06-07 14:05:09"),
            ("HH12:MI AM", "02:05 PM"),
            ("HH:MI pm", "02:05 pm"),
            ("HH24:MI:SS.MS", "14:05:09.123"),
            ("HH24:MI:SS.US", "14:05:09.123456"),
            ("YYYY-MM-DD\"T\"HH24:MI:SS", "2026-06-07T14:05:09"),
            ("SSSS", "50709"),
        ] {
            assert_eq!(one(t.clone(), template).unwrap(), expected, "{template}");
        }
        assert_eq!(one(ts("2026-06-07 00:05:09"), "HH12 AM").unwrap(), "12 AM");
    }

    #[test]
    fn unsupported_patterns_are_errors_naming_them() {
        for template in ["YYYY TZ", "DDth", "RM", "OF", "FXYYYY"] {
            let err = one(date("2026-06-07"), template).unwrap_err();
            assert!(
                matches!(err, DataFusionError::NotImplemented(_)),
                "{template}: {err}"
            );
        }
        let err = one(num(1.0), "S999").unwrap_err();
        assert!(err.to_string().contains("\"S"), "{err}");
        assert!(one(num(1.0), "9.99EEEE").is_err());
    }

    #[test]
    fn numbers_follow_postgresql_patterns() {
        for (value, template, expected) in [
            (num(1234.5), "9999.99", " 1234.50"),
            (num(1234.5), "FM9999.99", "1234.5"),
            (num(1_234_567.891), "9,999,999.99", " 1,234,567.89"),
            (num(1_234_567.891), "FM9,999,999.00", "1,234,567.89"),
            (int(42), "000", " 042"),
            (int(-42), "999", " -42"),
            (int(42), "999", "  42"),
            (num(0.5), "0.99", " 0.50"),
            (num(0.5), "9.99", "  .50"),
            (num(12.3456), "FM990.00", "12.35"),
            (int(42), "FM999", "42"),
            (int(99999), "999", " ###"),
            (num(25.0), "FM990.0\"%\"", "25.0%"),
            (int(0), "999", "   0"),
            (int(42), "9,999", "    42"),
        ] {
            assert_eq!(one(value, template).unwrap(), expected, "{template}");
        }
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        let v: ArrayRef = Arc::new(
            arrow::array::Decimal128Array::from(vec![2675_i128])
                .with_precision_and_scale(10, 3)
                .unwrap(),
        );
        assert_eq!(one(v, "FM0.00").unwrap(), "2.68");
    }

    #[test]
    fn replaces_datafusions_to_char_in_every_rebuilt_state() {
        use datafusion::execution::SessionStateBuilder;
        use datafusion::prelude::SessionContext;
        let ctx = SessionContext::new();
        crate::register_all(&ctx);
        for _ in 0..8 {
            let state = SessionStateBuilder::new_from_existing(ctx.state()).build();
            let to_char = &state.scalar_functions()["to_char"];
            let doc = to_char.documentation().expect("documented");
            assert!(
                doc.description.contains("PostgreSQL"),
                "{}",
                doc.description
            );
            assert!(!state.scalar_functions().contains_key("date_format"));
        }
    }

    #[test]
    fn intervals_format_their_fields() {
        let v: ArrayRef = Arc::new(arrow::array::IntervalMonthDayNanoArray::from(vec![
            arrow::datatypes::IntervalMonthDayNano::new(0, 3, 14_706_000_000_000),
        ]));
        assert_eq!(one(v.clone(), "DD HH24:MI:SS").unwrap(), "03 04:05:06");
        assert!(one(v, "Month").is_err());
    }
}
