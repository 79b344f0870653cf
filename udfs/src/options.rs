//! The `conversql.*` session settings and the syntaxes they accept: instants
//! and PostgreSQL's booleans.
//!
//! ```sql
//! SET conversql.as_of = '2026-06-07T12:00:00Z';
//! SHOW conversql.as_of;
//! SET conversql.skip_bad_files = on;
//! RESET conversql.as_of;
//! ```
//!
//! Every setting is declared once, as a field of [`ConversqlOptions`]: the
//! field's name is its key (`conversql.<field>`), its doc comment the
//! description `pg_settings` and `information_schema.df_settings` show, and
//! its type how `SET` reads a value and `SHOW` writes it ([`OnOff`],
//! [`OptionalInstant`]).

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use datafusion::common::config::{ConfigExtension, ConfigField, ConfigOptions, Visit};
use datafusion::common::{DataFusionError, Result, config_datafusion_err, extensions_options};
use datafusion::execution::config::SessionConfig;

/// The example shown when an instant cannot be parsed.
const INSTANT_EXAMPLE: &str = "expected an instant such as '2026-06-07T12:00:00Z'";

extensions_options! {
    /// The session settings of conversql, registered as the DataFusion config
    /// extension `conversql` (see [`crate::register_options`]).
    ///
    /// Every setting is carried by the session configuration, so functions
    /// and scans read it from the configuration they are given and stay
    /// stateless.
    pub struct ConversqlOptions {
        /// The analysis instant T returned by as_of(), e.g. '2026-06-07T12:00:00Z';
        /// empty means the start time of each query.
        pub as_of: OptionalInstant, default = OptionalInstant(None)

        /// Whether a file that fails the contract check is left out of every
        /// query (and listed in data_quality) instead of failing it; by default
        /// the server's --skip-bad-files.
        pub skip_bad_files: OnOff, default = OnOff(false)

        /// Whether messages, events and conversation_facts read the fact store
        /// (on, the default) or are computed from the raw log (off); without a
        /// fact store they are computed from the raw log either way.
        pub facts: OnOff, default = OnOff(true)
    }
}

impl ConfigExtension for ConversqlOptions {
    const PREFIX: &'static str = "conversql";
}

impl ConversqlOptions {
    /// The settings of a session configuration; the defaults if they were
    /// never registered.
    pub fn of(config: &SessionConfig) -> Self {
        Self::of_options(config.options())
    }

    /// The settings of a set of configuration options; the defaults if they
    /// were never registered.
    pub fn of_options(options: &ConfigOptions) -> Self {
        options
            .extensions
            .get::<Self>()
            .cloned()
            .unwrap_or_default()
    }

    /// The settings of a session configuration, to change them (registered
    /// first if missing).
    pub fn of_mut(config: &mut SessionConfig) -> &mut Self {
        let extensions = &mut config.options_mut().extensions;
        if extensions.get::<Self>().is_none() {
            extensions.insert(Self::default());
        }
        extensions
            .get_mut::<Self>()
            .expect("the conversql settings were just registered")
    }

    /// The configured analysis instant in microseconds since the epoch (UTC),
    /// or `None` when `as_of()` is the query start time.
    pub fn as_of(&self) -> Option<i64> {
        self.as_of.0
    }

    /// Whether files that fail the contract check are left out of queries.
    pub fn skip_bad_files(&self) -> bool {
        self.skip_bad_files.0
    }

    /// Whether the fact store is read (when there is one).
    pub fn facts(&self) -> bool {
        self.facts.0
    }

    /// These settings with `as_of` set to `as_of` (microseconds since the
    /// epoch, UTC; `None` for the query start time).
    pub fn with_as_of(mut self, as_of: Option<i64>) -> Self {
        self.as_of = OptionalInstant(as_of);
        self
    }
}

/// The full key of a setting (`conversql.<field>`): entries are reported
/// fully qualified, like DataFusion's own `datafusion.*` ones, so that
/// DataFusion's `SHOW` and `information_schema.df_settings` find them.
fn qualified(key: &str) -> String {
    format!("{}.{key}", ConversqlOptions::PREFIX)
}

/// The error of a value a setting does not accept.
fn invalid(value: &str, reason: &str) -> DataFusionError {
    DataFusionError::Configuration(format!("invalid value '{value}' ({reason})"))
}

/// A boolean setting: `SET` accepts the spellings PostgreSQL accepts
/// ([`parse_on_off`]), `SHOW` reports `on` or `off`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnOff(pub bool);

impl fmt::Display for OnOff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "on" } else { "off" })
    }
}

impl ConfigField for OnOff {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        v.some(&qualified(key), self, description);
    }

    /// A value [`parse_on_off`] rejects leaves the setting unchanged.
    fn set(&mut self, _key: &str, value: &str) -> Result<()> {
        self.0 = parse_on_off(value).ok_or_else(|| invalid(value, "expected on or off"))?;
        Ok(())
    }
}

/// A PostgreSQL boolean, as `SET` reads it: `on`, `off`, `true`, `false`,
/// `yes`, `no`, `1`, `0`, case-insensitive, and any unambiguous prefix of
/// the words (`t`, `fa`, `y`, `n`, `of`…, but not `o`). Surrounding
/// whitespace and single quotes are ignored. `None` for anything else.
pub fn parse_on_off(value: &str) -> Option<bool> {
    let value = value.trim().trim_matches('\'').trim().to_ascii_lowercase();
    // A prefix of `word` at least `min` characters long.
    let abbreviates = |word: &str, min: usize| value.len() >= min && word.starts_with(&value);
    match value.as_bytes().first()? {
        b't' if abbreviates("true", 1) => Some(true),
        b'f' if abbreviates("false", 1) => Some(false),
        b'y' if abbreviates("yes", 1) => Some(true),
        b'n' if abbreviates("no", 1) => Some(false),
        b'o' if abbreviates("on", 2) => Some(true),
        b'o' if abbreviates("off", 2) => Some(false),
        b'1' if value == "1" => Some(true),
        b'0' if value == "0" => Some(false),
        _ => None,
    }
}

/// An instant setting that may be unset: `SET` accepts what
/// [`parse_instant`] accepts, or an empty value, `none` or `null` to unset
/// it; `SHOW` reports it as [`format_instant`] writes it, or nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OptionalInstant(pub Option<i64>);

impl ConfigField for OptionalInstant {
    fn visit<V: Visit>(&self, v: &mut V, key: &str, description: &'static str) {
        match self.0 {
            Some(micros) => v.some(&qualified(key), format_instant(micros), description),
            None => v.none(&qualified(key), description),
        }
    }

    /// A value that is not an instant leaves the setting unchanged.
    fn set(&mut self, _key: &str, value: &str) -> Result<()> {
        let trimmed = value.trim();
        self.0 = if trimmed.is_empty()
            || trimmed.eq_ignore_ascii_case("none")
            || trimmed.eq_ignore_ascii_case("null")
        {
            None
        } else {
            Some(parse(trimmed).map_err(|reason| invalid(value, &reason))?)
        };
        Ok(())
    }
}

/// Parses an instant into microseconds since the epoch (UTC).
///
/// Accepted, after trimming surrounding whitespace:
/// - RFC 3339: `2026-06-07T12:00:00Z`, `2026-06-07T14:00:00+02:00`,
///   `2026-06-07T12:00:00.123456Z`;
/// - the space-separated form `2026-06-07 12:00:00[.ffffff][Z|+HH[:MM]]`;
/// - either form without an offset, which means UTC;
/// - a bare date `2026-06-07`, which means 00:00 UTC.
///
/// Up to nine fractional digits are accepted, but digits beyond the
/// microsecond must be zero: nothing is silently truncated. Anything else is
/// an error.
pub fn parse_instant(s: &str) -> Result<i64> {
    parse(s.trim()).map_err(|reason| config_datafusion_err!("invalid instant '{s}' ({reason})"))
}

/// Formats microseconds since the epoch as RFC 3339 in UTC:
/// `2026-06-07T12:00:00Z`, with `.ffffff` only when the microseconds are not
/// zero. The inverse of [`parse_instant`] for years 0 to 9999.
pub fn format_instant(micros: i64) -> String {
    match DateTime::from_timestamp_micros(micros) {
        Some(instant) if instant.timestamp_subsec_micros() == 0 => {
            instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
        Some(instant) => instant.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        // Beyond chrono's range (about ±262,000 years).
        None => format!("{micros} microseconds since 1970-01-01T00:00:00Z"),
    }
}

/// A cursor over the bytes of an instant.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }

    /// Consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Consumes exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + n)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.pos += n;
        Some(
            digits
                .iter()
                .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }

    /// Consumes one or more ASCII digits.
    fn digit_run(&mut self) -> &[u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.bytes[start..self.pos]
    }
}

/// Parses a trimmed instant, or explains what is wrong with it.
fn parse(s: &str) -> std::result::Result<i64, String> {
    let generic = || INSTANT_EXAMPLE.to_string();
    let mut c = Cursor {
        bytes: s.as_bytes(),
        pos: 0,
    };

    // The date.
    let year = c.digits(4).ok_or_else(generic)?;
    let month = c
        .eat(b'-')
        .then(|| c.digits(2))
        .flatten()
        .ok_or_else(generic)?;
    let day = c
        .eat(b'-')
        .then(|| c.digits(2))
        .flatten()
        .ok_or_else(generic)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| format!("no such date; {INSTANT_EXAMPLE}"))?;
    if c.at_end() {
        return Ok(date.and_time(NaiveTime::MIN).and_utc().timestamp_micros());
    }

    // The time of day.
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(generic());
    }
    let hour = c.digits(2).ok_or_else(generic)?;
    let minute = c
        .eat(b':')
        .then(|| c.digits(2))
        .flatten()
        .ok_or_else(generic)?;
    let second = c
        .eat(b':')
        .then(|| c.digits(2))
        .flatten()
        .ok_or_else(generic)?;
    let mut micro = 0;
    if c.eat(b'.') {
        let fraction = c.digit_run();
        if fraction.is_empty() || fraction.len() > 9 {
            return Err(generic());
        }
        if fraction.iter().skip(6).any(|d| *d != b'0') {
            return Err(format!(
                "sub-microsecond precision would be lost; {INSTANT_EXAMPLE}"
            ));
        }
        micro = fraction
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(6)
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0'));
    }
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micro)
        .ok_or_else(|| format!("no such time of day; {INSTANT_EXAMPLE}"))?;

    // The offset from UTC, in seconds east.
    let offset: i64 = if c.at_end() || c.eat(b'Z') || c.eat(b'z') {
        0
    } else {
        let sign = if c.eat(b'+') {
            1
        } else if c.eat(b'-') {
            -1
        } else {
            return Err(generic());
        };
        let hours = c.digits(2).ok_or_else(generic)?;
        let minutes = if c.eat(b':') {
            c.digits(2).ok_or_else(generic)?
        } else {
            0
        };
        if hours > 23 || minutes > 59 {
            return Err(format!("no such offset; {INSTANT_EXAMPLE}"));
        }
        sign * i64::from(hours * 3600 + minutes * 60)
    };
    if !c.at_end() {
        return Err(generic());
    }

    let local = NaiveDateTime::new(date, time).and_utc().timestamp_micros();
    Ok(local - offset * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    use datafusion::common::config::ConfigOptions;
    use datafusion::prelude::SessionConfig;

    const NOON: i64 = 1_780_833_600_000_000; // 2026-06-07T12:00:00Z

    #[test]
    fn noon_constant() {
        assert_eq!(
            NOON,
            DateTime::parse_from_rfc3339("2026-06-07T12:00:00Z")
                .unwrap()
                .timestamp_micros()
        );
    }

    #[test]
    fn accepted_forms() {
        for s in [
            "2026-06-07T12:00:00Z",
            "2026-06-07t12:00:00z",
            "2026-06-07T14:00:00+02:00",
            "2026-06-07T14:00:00+02",
            "2026-06-07T07:30:00-04:30",
            "2026-06-07T12:00:00+00:00",
            "2026-06-07T12:00:00-00:00",
            "2026-06-07 12:00:00",
            "2026-06-07 12:00:00Z",
            "2026-06-07 14:00:00+02",
            "2026-06-07 14:00:00+02:00",
            "2026-06-07T12:00:00",
            "2026-06-07T12:00:00.000000Z",
            "2026-06-07T12:00:00.000000000Z",
            "2026-06-07T12:00:00.0",
            "  2026-06-07T12:00:00Z\n",
        ] {
            assert_eq!(parse_instant(s).unwrap(), NOON, "{s:?}");
        }
        assert_eq!(
            parse_instant("2026-06-07").unwrap(),
            NOON - 12 * 3_600_000_000
        );
        assert_eq!(parse_instant("1970-01-01").unwrap(), 0);
    }

    #[test]
    fn fractional_seconds() {
        assert_eq!(
            parse_instant("2026-06-07T12:00:00.5Z").unwrap(),
            NOON + 500_000
        );
        assert_eq!(
            parse_instant("2026-06-07T12:00:00.123456Z").unwrap(),
            NOON + 123_456
        );
        assert_eq!(
            parse_instant("2026-06-07 12:00:00.000001+00:00").unwrap(),
            NOON + 1
        );
        assert_eq!(
            parse_instant("2026-06-07T12:00:00.123456000Z").unwrap(),
            NOON + 123_456
        );
        let err = parse_instant("2026-06-07T12:00:00.123456789Z").unwrap_err();
        assert!(err.to_string().contains("sub-microsecond"), "{err}");
        assert!(parse_instant("2026-06-07T12:00:00.0000001Z").is_err());
        assert!(parse_instant("2026-06-07T12:00:00.1234567890Z").is_err());
        assert!(parse_instant("2026-06-07T12:00:00.Z").is_err());
    }

    #[test]
    fn before_the_epoch() {
        assert_eq!(parse_instant("1969-12-31T23:59:59.999999Z").unwrap(), -1);
        assert_eq!(format_instant(-1), "1969-12-31T23:59:59.999999Z");
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "",
            "   ",
            "yesterday-ish",
            "now",
            "2026-06-07T12:00Z",
            "2026-06-07T12Z",
            "2026-6-7",
            "2026-06-07T",
            "2026-06-07 x",
            "2026-06-07T12:00:00 Z",
            "2026-06-07T12:00:00 +02:00",
            "2026-06-07T12:00:00+2",
            "2026-06-07T12:00:00+0200",
            "2026-06-07T12:00:00+24:00",
            "2026-06-07T12:00:00+02:60",
            "2026-06-07T12:00:00ZZ",
            "2026-06-07T12:00:00Z trailing",
            "2026-06-07T24:00:00Z",
            "2026-06-07T12:60:00Z",
            "2026-06-07T12:00:60Z",
            "2026-02-30",
            "2026-13-01",
            "26-06-07",
            "1780833600",
            "2026/06/07",
            "２０２６-06-07",
        ] {
            assert!(parse_instant(s).is_err(), "{s:?} should be rejected");
        }
        let err = parse_instant("yesterday-ish").unwrap_err().to_string();
        assert!(
            err.contains("invalid instant 'yesterday-ish' (expected an instant such as '2026-06-07T12:00:00Z')"),
            "{err}"
        );
    }

    #[test]
    fn formatting() {
        assert_eq!(format_instant(NOON), "2026-06-07T12:00:00Z");
        assert_eq!(format_instant(NOON + 1), "2026-06-07T12:00:00.000001Z");
        assert_eq!(
            format_instant(NOON + 500_000),
            "2026-06-07T12:00:00.500000Z"
        );
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        // Round trip.
        for micros in [NOON, NOON + 1, -1, 0, 253_402_300_799_999_999] {
            assert_eq!(parse_instant(&format_instant(micros)).unwrap(), micros);
        }
        // Never panics.
        assert!(!format_instant(i64::MAX).is_empty());
        assert!(!format_instant(i64::MIN).is_empty());
    }

    #[test]
    fn set_and_entries() {
        use datafusion::common::config::ExtensionOptions;

        let mut options = ConversqlOptions::default();
        assert_eq!(options.as_of(), None);
        let keys: Vec<String> = options.entries().into_iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            [
                "conversql.as_of",
                "conversql.skip_bad_files",
                "conversql.facts"
            ]
        );
        assert!(options.entries().iter().all(|e| !e.description.is_empty()));
        assert_eq!(options.entries()[0].value, None);

        ExtensionOptions::set(&mut options, "as_of", "2026-06-07T14:00:00+02:00").unwrap();
        assert_eq!(options.as_of(), Some(NOON));
        assert_eq!(
            options.entries()[0].value.as_deref(),
            Some("2026-06-07T12:00:00Z")
        );

        // A bad value is rejected and changes nothing.
        let err = ExtensionOptions::set(&mut options, "as_of", "yesterday-ish")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "invalid value 'yesterday-ish' \
(expected an instant such as '2026-06-07T12:00:00Z')"
            ),
            "{err}"
        );
        assert_eq!(options.as_of(), Some(NOON));

        // An unknown key is rejected.
        assert!(ExtensionOptions::set(&mut options, "as_off", "2026-06-07").is_err());
        assert_eq!(options.as_of(), Some(NOON));

        // Clearing.
        ExtensionOptions::set(&mut options, "as_of", "none").unwrap();
        assert_eq!(options.as_of(), None);
        ExtensionOptions::set(&mut options, "as_of", "2026-06-07").unwrap();
        ExtensionOptions::set(&mut options, "as_of", "").unwrap();
        assert_eq!(options.as_of(), None);

        options.as_of = OptionalInstant(Some(NOON + 1));
        assert_eq!(
            options.entries()[0].value.as_deref(),
            Some("2026-06-07T12:00:00.000001Z")
        );
        assert_eq!(
            ConversqlOptions::default().with_as_of(Some(5)).as_of(),
            Some(5)
        );

        // Booleans are shown as on/off; a bad value changes nothing.
        assert!(!options.skip_bad_files() && options.facts());
        ExtensionOptions::set(&mut options, "skip_bad_files", "yes").unwrap();
        ExtensionOptions::set(&mut options, "facts", "OFF").unwrap();
        assert!(options.skip_bad_files() && !options.facts());
        assert_eq!(options.entries()[1].value.as_deref(), Some("on"));
        assert_eq!(options.entries()[2].value.as_deref(), Some("off"));
        let err = ExtensionOptions::set(&mut options, "skip_bad_files", "sometimes")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid value 'sometimes' (expected on or off)"),
            "{err}"
        );
        assert!(options.skip_bad_files());
    }

    #[test]
    fn postgres_booleans() {
        for on in [
            "on", "ON", "true", "t", "tr", "TRUE", "yes", "y", "ye", "1", " on ", "'on'",
        ] {
            assert_eq!(parse_on_off(on), Some(true), "{on:?}");
        }
        for off in [
            "off", "of", "OFF", "false", "f", "fal", "no", "n", "0", "'off'",
        ] {
            assert_eq!(parse_on_off(off), Some(false), "{off:?}");
        }
        for neither in [
            "",
            "o",
            "onn",
            "offf",
            "truee",
            "nope",
            "yess",
            "2",
            "01",
            "10",
            "-1",
            "sometimes",
            "default",
        ] {
            assert_eq!(parse_on_off(neither), None, "{neither:?}");
        }
    }

    #[test]
    fn through_config_options() {
        let mut config = SessionConfig::new().with_option_extension(ConversqlOptions::default());
        let options: &mut ConfigOptions = config.options_mut();
        options
            .set("conversql.as_of", "2026-06-07T12:00:00Z")
            .unwrap();
        assert!(options.set("conversql.as_of", "nope").is_err());
        options.set("conversql.facts", "off").unwrap();
        let settings = ConversqlOptions::of_options(options);
        assert_eq!(settings.as_of(), Some(NOON));
        assert!(!settings.facts());
        let entry = options
            .entries()
            .into_iter()
            .find(|e| e.key == "conversql.as_of")
            .unwrap();
        assert_eq!(entry.value.as_deref(), Some("2026-06-07T12:00:00Z"));

        // Unregistered: the defaults; of_mut registers them.
        let mut config = SessionConfig::new();
        assert_eq!(ConversqlOptions::of(&config).as_of(), None);
        assert!(ConversqlOptions::of(&config).facts());
        ConversqlOptions::of_mut(&mut config).as_of = OptionalInstant(Some(NOON));
        assert_eq!(ConversqlOptions::of(&config).as_of(), Some(NOON));
    }
}
