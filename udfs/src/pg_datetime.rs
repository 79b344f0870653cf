//! PostgreSQL's calendar arithmetic, shared by `age`, `make_date`,
//! `make_timestamp`, `make_timestamptz` and `make_interval`.
//!
//! - Dates are proleptic Gregorian with astronomical years (1 BC is year 0),
//!   as `date2j`/`j2date` in src/backend/utils/adt/datetime.c compute them;
//!   here by day counts from 1970-01-01, which work for every `i64`, beyond
//!   chrono's ±262143 years.
//! - PostgreSQL's range: dates and timestamps start on 4714-11-24 BC
//!   (`IS_VALID_JULIAN`, `IS_VALID_TIMESTAMP` in src/include/datatype/timestamp.h),
//!   timestamps end before 294277-01-01, dates before 5874898-01-01.
//! - Time zones: an IANA name (`Area/Location`, any case, as PostgreSQL reads
//!   names) or `UTC`/`GMT`. Other names are refused (0A000): PostgreSQL reads
//!   abbreviations (`CET`, `EST`, `PST`) as fixed offsets before zone names,
//!   so a zone of the same name could give another answer.
//! - Wall-clock time to an instant (`DetermineTimeZoneOffset` in
//!   src/backend/utils/adt/datetime.c): a time skipped by a spring-forward
//!   transition takes the offset before it, a time repeated by a fall-back
//!   transition the offset after it.

use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;
use datafusion::common::config::ConfigOptions;

use crate::sql_error::SqlError;

/// Microseconds in a day.
pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days from 1970-01-01 to year `y` (astronomical), month `m`, day `d`.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The year (astronomical), month and day `days` after 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Whether year `y` (astronomical) is a leap year.
pub(crate) fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// The days of month `m` (1 to 12) of year `y`.
pub(crate) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The first valid timestamp, 4714-11-24 BC 00:00, in microseconds since 1970.
pub(crate) fn min_timestamp() -> i128 {
    i128::from(days_from_civil(-4713, 11, 24)) * i128::from(MICROS_PER_DAY)
}

/// The end of the valid timestamps, 294277-01-01 00:00, in microseconds since 1970.
pub(crate) fn end_timestamp() -> i128 {
    i128::from(days_from_civil(294_277, 1, 1)) * i128::from(MICROS_PER_DAY)
}

/// The broken-down fields of a timestamp (`struct pg_tm` and `fsec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: i64,
    pub(crate) minute: i64,
    pub(crate) second: i64,
    pub(crate) micros: i64,
}

/// The fields of wall-clock time `micros` since 1970-01-01 00:00.
pub(crate) fn fields(micros: i64) -> Fields {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let time = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let seconds = time / 1_000_000;
    Fields {
        year,
        month,
        day,
        hour: seconds / 3600,
        minute: seconds / 60 % 60,
        second: seconds % 60,
        micros: time % 1_000_000,
    }
}

/// A time zone name as conversql reads it (see the module documentation).
pub(crate) fn pg_zone(name: &str) -> Option<Tz> {
    if ["UTC", "GMT", "Etc/UTC", "Etc/GMT"]
        .iter()
        .any(|utc| name.eq_ignore_ascii_case(utc))
    {
        return Some(Tz::UTC);
    }
    if !name.contains('/') {
        return None;
    }
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|tz| tz.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

/// The session's time zone (`datafusion.execution.time_zone`, UTC if unset).
pub(crate) fn session_zone(function: &str, config: &ConfigOptions) -> Result<Tz, SqlError> {
    match config.execution.time_zone.as_deref() {
        None => Ok(Tz::UTC),
        Some(name) => pg_zone(name).ok_or_else(|| {
            SqlError::unsupported(format!(
                "{function} in the session time zone \"{name}\" is not supported"
            ))
        }),
    }
}

fn beyond_zone_range(function: &str) -> SqlError {
    SqlError::unsupported(format!(
        "{function}: a timestamp this far from the present is not supported outside UTC"
    ))
}

/// The wall-clock time in `zone` of instant `micros`.
pub(crate) fn to_local(function: &str, micros: i64, zone: Tz) -> Result<i64, SqlError> {
    if zone == Tz::UTC {
        return Ok(micros);
    }
    let instant =
        DateTime::from_timestamp_micros(micros).ok_or_else(|| beyond_zone_range(function))?;
    let offset = zone
        .offset_from_utc_datetime(&instant.naive_utc())
        .fix()
        .local_minus_utc();
    micros
        .checked_add(i64::from(offset) * 1_000_000)
        .ok_or_else(|| beyond_zone_range(function))
}

/// The instant of wall-clock time `local` in `zone`, as PostgreSQL resolves
/// skipped and repeated times.
pub(crate) fn from_local(function: &str, local: i64, zone: Tz) -> Result<i64, SqlError> {
    if zone == Tz::UTC {
        return Ok(local);
    }
    let naive = DateTime::from_timestamp_micros(local)
        .ok_or_else(|| beyond_zone_range(function))?
        .naive_utc();
    let offset = match zone.offset_from_local_datetime(&naive) {
        chrono::LocalResult::Single(o) | chrono::LocalResult::Ambiguous(_, o) => o.fix(),
        chrono::LocalResult::None => {
            // In a gap: the offset in force before it (a day and a half
            // earlier is before the transition, whatever the offsets).
            let before = naive - chrono::Duration::hours(36);
            zone.offset_from_utc_datetime(&before).fix()
        }
    };
    local
        .checked_sub(i64::from(offset.local_minus_utc()) * 1_000_000)
        .ok_or_else(|| beyond_zone_range(function))
}

/// C's `%g` (six significant digits, trailing zeros removed) with a minimum
/// width of 2, zero-padded (`%02g`), as PostgreSQL prints seconds in messages.
pub(crate) fn format_02g(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let text = if x == 0.0 {
        if x.is_sign_negative() { "-0" } else { "0" }.to_string()
    } else {
        let sci = format!("{x:.5e}");
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        if (-4..6).contains(&exponent) {
            let decimals = (5 - exponent).max(0) as usize;
            trim_zeros(&format!("{x:.decimals$}")).to_string()
        } else {
            let mantissa = trim_zeros(mantissa);
            let sign = if exponent < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exponent.abs())
        }
    };
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    if sign.len() + digits.len() < 2 {
        format!("{sign}{digits:0>width$}", width = 2 - sign.len())
    } else {
        text.clone()
    }
}

/// A decimal without trailing fractional zeros (and without a bare point).
fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_across_eras() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [
            -2_000_000_000_i64,
            -719_468,
            -1,
            0,
            1,
            59,
            11_016,
            3_000_000_000,
        ] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 4714-11-24 BC is Julian day 0.
        assert_eq!(days_from_civil(-4713, 11, 24), -2_440_588);
        assert!(is_leap(0) && is_leap(2000) && !is_leap(1900) && !is_leap(2026));
    }

    #[test]
    fn fields_of_times_before_1970() {
        let f = fields(-1);
        assert_eq!(
            (f.year, f.month, f.day, f.hour, f.minute, f.second, f.micros),
            (1969, 12, 31, 23, 59, 59, 999_999)
        );
    }

    #[test]
    fn seconds_print_as_c_does() {
        for (x, text) in [
            (0.0, "00"),
            (1.0, "01"),
            (0.5, "0.5"),
            (60.5, "60.5"),
            (-1.0, "-1"),
            (45.123_456_7, "45.1235"),
            (1e-7, "1e-07"),
            (1_234_567.0, "1.23457e+06"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
        ] {
            assert_eq!(format_02g(x), text, "{x}");
        }
    }

    #[test]
    fn zones_are_read_as_postgresql_reads_names() {
        assert_eq!(pg_zone("utc"), Some(Tz::UTC));
        assert_eq!(pg_zone("america/new_york"), Some(Tz::America__New_York));
        assert_eq!(pg_zone("CET"), None);
        assert_eq!(pg_zone("+02"), None);
        assert_eq!(pg_zone("Mars/Olympus"), None);
        let ny = Tz::America__New_York;
        let local = |s: &str| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        // Checked on PostgreSQL 15: the gap takes EST, the repeated hour EST.
        assert_eq!(
            from_local("f", local("2026-03-08 02:30"), ny).unwrap(),
            local("2026-03-08 07:30")
        );
        assert_eq!(
            from_local("f", local("2026-11-01 01:30"), ny).unwrap(),
            local("2026-11-01 06:30")
        );
        assert_eq!(
            to_local("f", local("2026-06-07 14:30"), ny).unwrap(),
            local("2026-06-07 10:30")
        );
    }
}
