//! Report parameters: the relative ranges (`range = "last 7 days"`) that give
//! `start_date`/`end_date`, and the substitution of `:'name'` in report SQL by
//! the parameter's value as a quoted SQL string literal.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

/// A range of local dates relative to the run's date D (the date of the slot in the report's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// D itself.
    Today,
    /// D − 1.
    Yesterday,
    /// The N whole days before D: D − N ..= D − 1.
    LastDays(u32),
}

impl Range {
    /// Parses `today`, `yesterday`, `last N days`, `last N weeks` (7N days), `last day`, `last week`.
    pub fn parse(text: &str) -> Result<Range, String> {
        let lower = text.trim().to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let invalid = || {
            format!(
                "invalid range '{text}' (expected 'today', 'yesterday', 'last N days' or 'last N weeks')"
            )
        };
        let range = match words.as_slice() {
            ["today"] => Range::Today,
            ["yesterday"] => Range::Yesterday,
            ["last", "day"] => Range::LastDays(1),
            ["last", "week"] => Range::LastDays(7),
            ["last", n, unit] => {
                let n: u32 = n.parse().map_err(|_| invalid())?;
                match *unit {
                    "day" | "days" => Range::LastDays(n),
                    "week" | "weeks" => Range::LastDays(n.checked_mul(7).ok_or_else(invalid)?),
                    _ => return Err(invalid()),
                }
            }
            _ => return Err(invalid()),
        };
        if range == Range::LastDays(0) || matches!(range, Range::LastDays(n) if n > 3660) {
            return Err(invalid());
        }
        Ok(range)
    }

    /// The first and last date of the range for a run dated `date`.
    pub fn dates(self, date: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Range::Today => (date, date),
            Range::Yesterday => (date - Duration::days(1), date - Duration::days(1)),
            Range::LastDays(n) => (
                date - Duration::days(i64::from(n)),
                date - Duration::days(1),
            ),
        }
    }
}

/// The values a run can use, in its SQL (`:'name'`) and output template (`{name}`):
/// `name`, `date` (the slot's local date in `zone`), `time` (its local `HHMMSS`),
/// `as_of` (the instant the data is judged at, RFC 3339 UTC), `start_date` and
/// `end_date` (when a `range` is given), and every parameter. Also returns the range's dates.
pub fn run_values(
    report: &str,
    params: &BTreeMap<String, String>,
    range: Option<Range>,
    zone: Tz,
    at: DateTime<Utc>,
) -> (BTreeMap<String, String>, Option<(NaiveDate, NaiveDate)>) {
    let mut values = params.clone();
    let local = at.with_timezone(&zone);
    values.insert("name".into(), report.to_string());
    values.insert("date".into(), local.format("%Y-%m-%d").to_string());
    values.insert("time".into(), local.format("%H%M%S").to_string());
    values.insert(
        "as_of".into(),
        at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    );
    let dates = range.map(|r| r.dates(local.date_naive()));
    if let Some((start, end)) = dates {
        values.insert("start_date".into(), start.to_string());
        values.insert("end_date".into(), end.to_string());
    }
    (values, dates)
}

/// Replaces every `:'name'` outside string literals and comments by `values[name]`
/// as a quoted SQL literal. An unknown name is an error naming it and the known ones.
pub fn substitute(sql: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\'' {
            // A string literal, with '' escapes: copied as is.
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            out.extend(&chars[start..i]);
        } else if c == '-' && next == Some('-') {
            let start = i;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            out.extend(&chars[start..i]);
        } else if c == ':' && next == Some('\'') && chars.get(i.wrapping_sub(1)) != Some(&':') {
            let start = i + 2;
            let mut end = start;
            while end < chars.len() && (chars[end].is_ascii_alphanumeric() || chars[end] == '_') {
                end += 1;
            }
            if end > start && chars.get(end) == Some(&'\'') {
                let name: String = chars[start..end].iter().collect();
                let value = values.get(&name).ok_or_else(|| {
                    format!(
                        "unknown parameter :'{name}' (known: {})",
                        values
                            .keys()
                            .map(|k| format!(":'{k}'"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                out.push('\'');
                out.push_str(&value.replace('\'', "''"));
                out.push('\'');
                i = end + 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_end_the_day_before_the_run() {
        assert_eq!(
            Range::parse("last 7 days").unwrap().dates(d("2026-06-08")),
            (d("2026-06-01"), d("2026-06-07"))
        );
        assert_eq!(Range::parse("Last 2 weeks").unwrap(), Range::LastDays(14));
        assert_eq!(
            Range::parse("yesterday").unwrap().dates(d("2026-06-08")),
            (d("2026-06-07"), d("2026-06-07"))
        );
        assert_eq!(
            Range::parse("today").unwrap().dates(d("2026-06-08")),
            (d("2026-06-08"), d("2026-06-08"))
        );
        assert!(Range::parse("last 0 days").is_err());
        assert!(
            Range::parse("next week")
                .unwrap_err()
                .contains("invalid range 'next week'")
        );
    }

    #[test]
    fn substitutes_outside_strings_and_comments_and_quotes_values() {
        let values: BTreeMap<String, String> = [
            ("account_id".to_string(), "o'brien".to_string()),
            ("start_date".into(), "2026-06-01".into()),
        ]
        .into();
        let sql = "SELECT 'a :''account_id'' b' AS s, x::date -- :'nope'\nFROM t WHERE a = :'account_id' AND d >= DATE :'start_date'";
        assert_eq!(
            substitute(sql, &values).unwrap(),
            "SELECT 'a :''account_id'' b' AS s, x::date -- :'nope'\nFROM t WHERE a = 'o''brien' AND d >= DATE '2026-06-01'"
        );
        let err = substitute("SELECT :'acount'", &values).unwrap_err();
        assert!(
            err.contains("unknown parameter :'acount'") && err.contains(":'account_id'"),
            "{err}"
        );
    }
}
