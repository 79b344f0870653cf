//! Reading a date or timestamp by a PostgreSQL template, as PostgreSQL's
//! `to_date(text, template)` and `to_timestamp(text, template)` do
//! (`formatting.c`, outside `FX` mode).
//!
//! The template is split by `to_char`'s reader ([`parse_date_template`]).
//! A numeric pattern reads digits: all of them when the next template piece
//! is text or there is none (`YYYY-MM`), exactly its width when another
//! pattern follows (`YYYYMMDD`). Leading spaces before a field are skipped. A
//! template character that is not a pattern matches any one separator (a
//! character that is neither a letter nor a digit) of the input, spaces
//! match any run of spaces. `Mon`/`Month` read month names, `Dy`/`Day` day
//! names (checked, then ignored, as PostgreSQL does), `AM`/`PM` the half of
//! the day. Missing fields default to PostgreSQL's (year 1, January, the 1st,
//! midnight). A two-digit `YY` is the year nearest 2020 (`70`–`99` is the
//! 1900s). A pattern conversql does not read (`TZ`, `Q`, `W`, `IYYY`, `J`,
//! `RM`, …) is an error (SQLSTATE 0A000) naming it; input that does not fit
//! the template is SQLSTATE 22007, a field out of range 22008.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::common::{DataFusionError, Result};

use crate::sql_error::SqlError;
use crate::to_char::{DatePiece, parse_date_template};

/// The fields read from the input.
#[derive(Debug, Default)]
struct Fields {
    year: Option<i64>,
    two_digit_year: bool,
    month: Option<i64>,
    day: Option<i64>,
    day_of_year: Option<i64>,
    hour: Option<i64>,
    twelve_hour: bool,
    pm: Option<bool>,
    minute: Option<i64>,
    second: Option<i64>,
    micros: Option<i64>,
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAYS: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

fn invalid(function: &str, message: String) -> DataFusionError {
    SqlError::new("22007", format!("{function}: {message}")).into()
}

fn out_of_range(function: &str, message: String) -> DataFusionError {
    SqlError::new("22008", format!("{function}: {message}")).into()
}

/// The width a numeric pattern reads when another pattern follows it directly,
/// or `None` for a pattern that is not numeric.
fn numeric_width(pattern: &str) -> Option<usize> {
    Some(match pattern.to_ascii_uppercase().as_str() {
        "YYYY" | "Y,YYY" => 4,
        "YYY" | "DDD" | "MS" | "FF3" => 3,
        "YY" | "MM" | "DD" | "HH24" | "HH12" | "HH" | "MI" | "SS" => 2,
        "Y" | "FF1" => 1,
        "US" | "FF6" => 6,
        "FF2" => 2,
        "FF4" => 4,
        "FF5" => 5,
        _ => return None,
    })
}

/// The date and time `input` spells by `template`, for `function`.
pub(crate) fn parse(function: &str, input: &str, template: &str) -> Result<NaiveDateTime> {
    let pieces = parse_date_template(template).map_err(|_| {
        DataFusionError::from(SqlError::unsupported(format!(
            "{function}: template pattern suffixes (TH, SP) are not supported"
        )))
    })?;
    let mut fields = Fields::default();
    let mut rest = input;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            DatePiece::Text(text) => {
                for c in text.chars() {
                    if c.is_whitespace() {
                        rest = rest.trim_start();
                    } else if let Some(next) = rest.chars().next()
                        && (next == c || (!next.is_alphanumeric() && !next.is_whitespace()))
                    {
                        rest = &rest[next.len_utf8()..];
                    }
                }
            }
            DatePiece::Pattern(pattern, _) => {
                rest = rest.trim_start();
                if rest.is_empty() {
                    break;
                }
                let followed_by_pattern = matches!(pieces.get(i + 1), Some(DatePiece::Pattern(..)));
                rest = read_field(function, pattern, rest, followed_by_pattern, &mut fields)?;
            }
        }
    }
    build(function, &fields)
}

/// Reads one pattern's field from the start of `rest`; returns what follows it.
fn read_field<'a>(
    function: &str,
    pattern: &str,
    rest: &'a str,
    followed_by_pattern: bool,
    fields: &mut Fields,
) -> Result<&'a str> {
    let upper = pattern.to_ascii_uppercase();
    if let Some(width) = numeric_width(pattern) {
        let (value, digits, after) =
            read_number(function, pattern, rest, width, followed_by_pattern)?;
        match upper.as_str() {
            "YYYY" | "Y,YYY" | "YYY" | "YY" | "Y" => {
                fields.year = Some(value);
                fields.two_digit_year = upper == "YY" && digits <= 2;
                if upper == "YYY" && digits <= 3 {
                    fields.year = Some(if value < 520 {
                        value + 2000
                    } else {
                        value + 1000
                    });
                } else if upper == "Y" && digits == 1 {
                    fields.year = Some(value + 2020);
                }
            }
            "MM" => fields.month = Some(value),
            "DD" => fields.day = Some(value),
            "DDD" => fields.day_of_year = Some(value),
            "HH24" => fields.hour = Some(value),
            "HH12" | "HH" => {
                fields.hour = Some(value);
                fields.twelve_hour = true;
            }
            "MI" => fields.minute = Some(value),
            "SS" => fields.second = Some(value),
            _ => {
                // Fractions of a second: MS, US, FF1–FF6, scaled by their digits.
                let scale = match upper.as_str() {
                    "MS" => 1_000,
                    "US" => 1,
                    _ => 10_i64.pow(6 - u32::try_from(width).unwrap_or(6).min(6)),
                };
                let read_scale = if upper == "MS" {
                    10_i64.pow(3 - u32::try_from(digits.min(3)).unwrap_or(3))
                } else if upper == "US" {
                    10_i64.pow(6 - u32::try_from(digits.min(6)).unwrap_or(6))
                } else {
                    1
                };
                fields.micros = Some(fields.micros.unwrap_or(0) + value * scale * read_scale);
            }
        }
        return Ok(after);
    }
    match upper.as_str() {
        "AM" | "PM" | "A.M." | "P.M." => {
            let dotted = upper.contains('.');
            let len = if dotted { 4 } else { 2 };
            let word = rest.get(..len).map(str::to_ascii_uppercase);
            let pm = match word.as_deref() {
                Some("AM" | "A.M.") => false,
                Some("PM" | "P.M.") => true,
                _ => {
                    return Err(invalid(
                        function,
                        format!("invalid value \"{}\" for \"{pattern}\"", first_word(rest)),
                    ));
                }
            };
            fields.pm = Some(pm);
            Ok(&rest[len..])
        }
        "MONTH" | "MON" => {
            let (index, after) = read_name(function, pattern, rest, &MONTHS, upper == "MON")?;
            fields.month = Some(i64::try_from(index).unwrap_or(0) + 1);
            Ok(after)
        }
        "DAY" | "DY" => {
            let (_, after) = read_name(function, pattern, rest, &DAYS, upper == "DY")?;
            Ok(after)
        }
        _ => Err(SqlError::unsupported(format!(
            "{function}: the template pattern \"{pattern}\" is not supported"
        ))
        .into()),
    }
}

fn first_word(rest: &str) -> &str {
    let end = rest
        .find(|c: char| !c.is_alphanumeric() && c != '.')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// Reads a (possibly signed) number: `width` digits when a pattern follows,
/// all digits otherwise. Returns the value, the digits read and the rest.
fn read_number<'a>(
    function: &str,
    pattern: &str,
    rest: &'a str,
    width: usize,
    fixed: bool,
) -> Result<(i64, usize, &'a str)> {
    let (negative, body) = match rest.strip_prefix('-') {
        Some(body) if !fixed => (true, body),
        _ => (
            false,
            rest.strip_prefix('+').filter(|_| !fixed).unwrap_or(rest),
        ),
    };
    let available = body.bytes().take_while(u8::is_ascii_digit).count();
    let digits = if fixed {
        available.min(width)
    } else {
        available
    };
    if digits == 0 {
        return Err(invalid(
            function,
            format!("invalid value \"{}\" for \"{pattern}\"", first_word(rest)),
        ));
    }
    let value: i64 = body[..digits].parse().map_err(|_| {
        out_of_range(
            function,
            format!(
                "value \"{}\" for \"{pattern}\" is out of range",
                &body[..digits]
            ),
        )
    })?;
    Ok((
        if negative { -value } else { value },
        digits,
        &body[digits..],
    ))
}

/// Reads a month or day name (its first three letters when `short`).
fn read_name<'a>(
    function: &str,
    pattern: &str,
    rest: &'a str,
    names: &[&str],
    short: bool,
) -> Result<(usize, &'a str)> {
    let lower = rest.to_lowercase();
    for (i, name) in names.iter().enumerate() {
        let candidate = if short { &name[..3] } else { name };
        if lower.starts_with(candidate) {
            return Ok((i, &rest[candidate.len()..]));
        }
    }
    Err(invalid(
        function,
        format!("invalid value \"{}\" for \"{pattern}\"", first_word(rest)),
    ))
}

/// The date and time of the fields read, checked.
fn build(function: &str, f: &Fields) -> Result<NaiveDateTime> {
    let mut year = f.year.unwrap_or(1);
    if f.two_digit_year {
        year += if year < 70 { 2000 } else { 1900 };
    }
    let range = |name: &str, value: i64| {
        out_of_range(
            function,
            format!("date/time field value out of range: {name} {value}"),
        )
    };
    let year_i32 = i32::try_from(year).map_err(|_| range("year", year))?;
    let date = if let Some(doy) = f.day_of_year
        && f.month.is_none()
        && f.day.is_none()
    {
        u32::try_from(doy)
            .ok()
            .and_then(|d| NaiveDate::from_yo_opt(year_i32, d))
            .ok_or_else(|| range("day of year", doy))?
    } else {
        let month = f.month.unwrap_or(1);
        let day = f.day.unwrap_or(1);
        let month_u32 = u32::try_from(month)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(|| range("month", month))?;
        u32::try_from(day)
            .ok()
            .and_then(|d| NaiveDate::from_ymd_opt(year_i32, month_u32, d))
            .ok_or_else(|| range("day", day))?
    };
    let mut hour = f.hour.unwrap_or(0);
    if f.twelve_hour || f.pm.is_some() {
        if !(1..=12).contains(&hour) && f.hour.is_some() {
            return Err(out_of_range(
                function,
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            ));
        }
        match f.pm {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            _ => {}
        }
    }
    let minute = f.minute.unwrap_or(0);
    let second = f.second.unwrap_or(0);
    let micros = f.micros.unwrap_or(0);
    let time = u32::try_from(hour)
        .ok()
        .zip(u32::try_from(minute).ok())
        .zip(u32::try_from(second).ok())
        .zip(u32::try_from(micros).ok())
        .and_then(|(((h, m), s), us)| NaiveTime::from_hms_micro_opt(h, m, s, us))
        .ok_or_else(|| {
            out_of_range(
                function,
                format!("date/time field value out of range: {hour}:{minute}:{second}.{micros:06}"),
            )
        })?;
    Ok(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::parse;

    fn read(input: &str, template: &str) -> String {
        parse("to_timestamp", input, template).unwrap().to_string()
    }

    #[test]
    fn separators_and_fixed_widths_read_as_postgresql_does() {
        assert_eq!(read("2026-06-07", "YYYY-MM-DD"), "2026-06-07 00:00:00");
        assert_eq!(read("07/06/2026", "DD/MM/YYYY"), "2026-06-07 00:00:00");
        assert_eq!(read("20260607", "YYYYMMDD"), "2026-06-07 00:00:00");
        assert_eq!(read("2026/6/7", "YYYY-MM-DD"), "2026-06-07 00:00:00");
        assert_eq!(
            read("2026-06-07 14:05:09", "YYYY-MM-DD HH24:MI:SS"),
            "2026-06-07 14:05:09"
        );
        assert_eq!(
            read("07/06/2026 02:05 PM", "DD/MM/YYYY HH12:MI AM"),
            "2026-06-07 14:05:00"
        );
        assert_eq!(read("12:30 AM", "HH12:MI AM"), "0001-01-01 00:30:00");
        assert_eq!(read("07 Jun 26", "DD Mon YY"), "2026-06-07 00:00:00");
        assert_eq!(
            read("Sunday, June 7, 1999", "Day, Month DD, YYYY"),
            "1999-06-07 00:00:00"
        );
        assert_eq!(
            read("2026-06-07 14:05:09.25", "YYYY-MM-DD HH24:MI:SS.MS"),
            "2026-06-07 14:05:09.250"
        );
    }

    #[test]
    fn bad_input_and_unsupported_patterns_are_errors() {
        let message = |input: &str, template: &str| {
            parse("to_date", input, template).unwrap_err().to_string()
        };
        assert!(message("2026-13-01", "YYYY-MM-DD").contains("month 13"));
        assert!(message("2026-02-30", "YYYY-MM-DD").contains("day 30"));
        assert!(
            message("abcd-01-01", "YYYY-MM-DD").contains("invalid value \"abcd\" for \"YYYY\"")
        );
        assert!(message("2026 Q2", "YYYY Q").contains("\"Q\" is not supported"));
    }
}
