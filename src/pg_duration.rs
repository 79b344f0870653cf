//! Postgres duration settings (`statement_timeout = 5000`, `'5s'`, `'1min'`):
//! a number with an optional unit, milliseconds when none is given.

use std::time::Duration;

/// Parses a Postgres time setting in milliseconds: `0` means no limit (`None`).
pub fn parse_millis(text: &str) -> Result<Option<Duration>, String> {
    let trimmed = text.trim().trim_matches('\'');
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let invalid = || {
        format!(
            "invalid value for a time setting: \"{text}\" (expected e.g. 5000, '5s', '2min', '1h'; 0 disables)"
        )
    };
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let millis_per_unit = match unit.trim() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1_000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(invalid()),
    };
    let millis = value * millis_per_unit;
    if !millis.is_finite() || millis < 0.0 || millis > f64::from(i32::MAX) {
        return Err(format!(
            "{} is outside the valid range for a time setting (0 .. {} ms)",
            text.trim(),
            i32::MAX
        ));
    }
    Ok(if millis == 0.0 {
        None
    } else {
        Some(Duration::from_micros((millis * 1000.0).round() as u64))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_spellings() {
        assert_eq!(parse_millis("0"), Ok(None));
        assert_eq!(parse_millis("1500"), Ok(Some(Duration::from_millis(1500))));
        assert_eq!(parse_millis("'5s'"), Ok(Some(Duration::from_secs(5))));
        assert_eq!(parse_millis("2min"), Ok(Some(Duration::from_mins(2))));
        assert_eq!(parse_millis("250ms"), Ok(Some(Duration::from_millis(250))));
        assert!(parse_millis("soon").unwrap_err().contains("\"soon\""));
        assert!(parse_millis("-1").is_err());
        assert!(parse_millis("5 fortnights").is_err());
    }
}
