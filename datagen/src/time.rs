//! Time: microsecond durations, local days in an account's zone (daylight
//! saving included) and the hours of the day when chats and SMS campaigns happen.

use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// Durations and instants are in microseconds.
pub(crate) const SEC: i64 = 1_000_000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;
/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Local chat traffic by hour of the day (busy during the day and the evening).
#[rustfmt::skip]
pub(crate) const CHAT_HOURS: [f64; 24] = [
    0.6, 0.4, 0.25, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 3.0, 3.8, 4.2, 4.5, 4.4, 4.2, 4.0, 3.9, 3.8,
    4.0, 4.6, 4.8, 4.2, 3.0, 1.6,
];
/// Outbound SMS campaigns go out in business hours.
#[rustfmt::skip]
pub(crate) const CAMPAIGN_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 2.0, 4.0, 4.0, 3.0, 2.5, 2.5, 3.0, 3.0, 2.5, 2.0,
    1.0, 0.3, 0.0, 0.0, 0.0,
];

/// The UTC instant (µs) of a local time; in a daylight-saving gap, the first local
/// hour after it; when ambiguous, the earlier instant.
pub(crate) fn local_to_utc(tz: &Tz, local: NaiveDateTime) -> i64 {
    let mut local = local;
    for _ in 0..4 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(dt) => return dt.timestamp_micros(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_micros(),
            // In a daylight-saving gap: move forward past it.
            LocalResult::None => local += TimeDelta::hours(1),
        }
    }
    local.and_utc().timestamp_micros()
}

/// The UTC instant (µs) at which `date` starts in `tz`.
pub(crate) fn local_midnight(tz: &Tz, date: NaiveDate) -> i64 {
    local_to_utc(tz, date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The local date of a UTC instant (µs) in `tz`.
pub(crate) fn local_date(tz: &Tz, micros: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .expect("timestamp in range")
        .with_timezone(tz)
        .date_naive()
}

/// The date of a UTC day number (days since 1970-01-01).
pub(crate) fn utc_day_to_date(day: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day as i32 + UNIX_EPOCH_DAYS_FROM_CE)
        .expect("date in range")
}

/// "Monday", "Tuesday", ...
pub(crate) fn weekday_name(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}
