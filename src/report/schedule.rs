//! Cron schedules in UTC or a named IANA zone (croner: 5 fields, or 6 with
//! seconds first), and the catch-up rule for runs missed while the server was down.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// A parsed schedule: when a report runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    /// The cron expression as written.
    pub expression: String,
    /// The zone the expression is read in.
    pub zone: Tz,
}

/// Parses an IANA zone name (`UTC`, `Europe/Paris`).
pub fn parse_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!(
            "unknown time zone '{name}' (expected an IANA name such as 'UTC' or 'Europe/Paris')"
        )
    })
}

impl Schedule {
    /// Parses `expression` (e.g. `0 6 * * *`, or `*/1 * * * * *` with seconds) in `zone`.
    pub fn parse(expression: &str, zone: Tz) -> Result<Schedule, String> {
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse(expression)
            .map_err(|e| format!("invalid cron expression '{expression}': {e}"))?;
        let schedule = Schedule {
            cron,
            expression: expression.to_string(),
            zone,
        };
        if schedule.next_after(Utc::now()).is_none() {
            return Err(format!("cron expression '{expression}' never fires"));
        }
        Ok(schedule)
    }

    /// The first slot strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&self.zone), false)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The latest slot at or before `t`.
    pub fn latest_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&t.with_timezone(&self.zone), true)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// The run missed between the last recorded slot `last` and `now`: the latest
    /// slot after `last` and at or before `now` (however many were missed, one run
    /// catches up). Without a recorded slot nothing counts as missed: a new report
    /// starts with its next slot.
    pub fn missed(&self, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let last = last?;
        self.latest_at_or_before(now).filter(|slot| *slot > last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 8, h, m, 0).unwrap()
    }

    #[test]
    fn five_fields_in_a_zone() {
        let paris = parse_zone("Europe/Paris").unwrap();
        let s = Schedule::parse("0 6 * * *", paris).unwrap();
        // 06:00 in Paris (summer) is 04:00 UTC.
        assert_eq!(s.next_after(utc(3, 0)), Some(utc(4, 0)));
        assert_eq!(
            s.next_after(utc(4, 0)),
            Some(utc(4, 0) + chrono::Duration::days(1))
        );
        assert_eq!(s.latest_at_or_before(utc(4, 0)), Some(utc(4, 0)));
    }

    #[test]
    fn six_fields_have_seconds() {
        let s = Schedule::parse("*/5 * * * * *", Tz::UTC).unwrap();
        assert_eq!(
            s.next_after(utc(3, 0)),
            Some(utc(3, 0) + chrono::Duration::seconds(5))
        );
    }

    #[test]
    fn bad_cron_and_zone_are_refused() {
        assert!(
            Schedule::parse("61 * * * *", Tz::UTC)
                .unwrap_err()
                .contains("invalid cron expression '61 * * * *'")
        );
        assert!(Schedule::parse("every day", Tz::UTC).is_err());
        assert!(
            parse_zone("Mars/Olympus")
                .unwrap_err()
                .contains("unknown time zone 'Mars/Olympus'")
        );
    }

    #[test]
    fn several_missed_slots_catch_up_once_with_the_latest() {
        let s = Schedule::parse("0 * * * *", Tz::UTC).unwrap();
        assert_eq!(s.missed(Some(utc(1, 0)), utc(5, 30)), Some(utc(5, 0)));
        assert_eq!(
            s.missed(Some(utc(5, 0)), utc(5, 30)),
            None,
            "the latest slot already ran"
        );
        assert_eq!(
            s.missed(None, utc(5, 30)),
            None,
            "a new report has missed nothing"
        );
    }
}
