//! The settings of a run: [`GenerateOptions`], the sizes of `--scale` and the
//! checks of a run's settings before anything is written.

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};

use crate::GenerateError;

/// Options of `conversql generate`.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Output directory; `accounts/`, `profiles/`, `messages/` and `events/` are created in it.
    pub out: PathBuf,
    /// Seed of the pseudo-random generator: the same options give byte-identical files.
    pub seed: u64,
    /// Number of conversations, spread over all accounts.
    pub conversations: usize,
    /// Number of accounts (brands); at least 1.
    pub accounts: usize,
    /// Number of days covered, ending at `end_date` (inclusive); at least 1.
    pub days: u32,
    /// Last day covered (in each account's own time zone).
    pub end_date: NaiveDate,
    /// Writers: files per UTC day and table, each written by its own writer that owns a
    /// share of the accounts (accounts are dealt round-robin). 1 is the bundled sample's
    /// layout (`part-00000.parquet`, one global event numbering); more generate the shares
    /// in parallel, one `part-NNNNN.parquet` per writer and day, streamed day by day.
    pub writers: usize,
    /// The large platform of `--scale`: uneven account sizes (account `i` weighs
    /// `1 / (i + 1)^0.7`, so the first account is a heavy brand) instead of the sample's
    /// repeating pattern, and longer conversations (0–7 follow-up questions after the
    /// first topic, about ten rows per conversation instead of about four).
    pub at_scale: bool,
}

/// Conversations per scale factor 1 (`--scale 1`).
pub const SCALE_CONVERSATIONS: f64 = 1_000_000.0;
/// Accounts at every scale factor (`--scale`).
pub const SCALE_ACCOUNTS: usize = 100;
/// Days covered at every scale factor (`--scale`).
pub const SCALE_DAYS: u32 = 90;
/// Writers (files per day and table) at every scale factor (`--scale`).
pub const SCALE_WRITERS: usize = 4;

impl GenerateOptions {
    /// The options of `--scale factor`: about `factor` million conversations (about ten
    /// message rows each, with their shopper events) over [`SCALE_ACCOUNTS`] accounts of
    /// uneven size in several zones and [`SCALE_DAYS`] days, written by [`SCALE_WRITERS`]
    /// parallel writers. Fractions (e.g. 0.1) are allowed; the factor must be positive.
    pub fn scaled(out: PathBuf, factor: f64) -> Result<Self, GenerateError> {
        if !factor.is_finite() || factor <= 0.0 {
            return Err(GenerateError::setting(format!(
                "setting `scale` must be a positive number (e.g. 0.1, 1, 10), not {factor}"
            )));
        }
        let conversations = (factor * SCALE_CONVERSATIONS).round();
        if !(1.0..=50_000_000.0).contains(&conversations) {
            return Err(GenerateError::setting(format!(
                "setting `scale` {factor} gives {conversations} conversations; it must be between 0.000001 and 50"
            )));
        }
        Ok(GenerateOptions {
            out,
            conversations: conversations as usize,
            accounts: SCALE_ACCOUNTS,
            days: SCALE_DAYS,
            writers: SCALE_WRITERS,
            at_scale: true,
            ..GenerateOptions::default()
        })
    }
}

impl Default for GenerateOptions {
    /// seed 42, 2000 conversations, 3 accounts, 30 days ending 2026-06-07, one writer,
    /// written to `data`: the bundled sample.
    fn default() -> Self {
        GenerateOptions {
            out: PathBuf::from("data"),
            seed: 42,
            conversations: 2000,
            accounts: 3,
            days: 30,
            end_date: NaiveDate::from_ymd_opt(2026, 6, 7).expect("valid date"),
            writers: 1,
            at_scale: false,
        }
    }
}

/// Checks the settings; nothing is written when they are out of range.
pub(crate) fn validate(opts: &GenerateOptions) -> Result<(), GenerateError> {
    if opts.accounts == 0 {
        return Err(GenerateError::setting(
            "setting `accounts` must be at least 1",
        ));
    }
    if opts.accounts > 9999 {
        return Err(GenerateError::setting(
            "setting `accounts` must be at most 9999",
        ));
    }
    if opts.days == 0 {
        return Err(GenerateError::setting("setting `days` must be at least 1"));
    }
    if opts.days > 3660 {
        return Err(GenerateError::setting(
            "setting `days` must be at most 3660",
        ));
    }
    if opts.conversations > 50_000_000 {
        return Err(GenerateError::setting(
            "setting `conversations` must be at most 50000000",
        ));
    }
    let first = opts
        .end_date
        .checked_sub_days(chrono::Days::new(u64::from(opts.days) - 1));
    let next = opts.end_date.succ_opt();
    match (first, next) {
        (Some(first), Some(_)) if first.year() >= 1971 && opts.end_date.year() <= 9000 => Ok(()),
        _ => Err(GenerateError::setting(format!(
            "setting `end_date` {} with `days` {} is out of the supported range",
            opts.end_date, opts.days
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_options_reject_bad_factors() {
        for factor in [-1.0, 0.0, f64::NAN, f64::INFINITY, 100.0, 1e-9] {
            let err = GenerateOptions::scaled(PathBuf::from("x"), factor).unwrap_err();
            assert!(err.to_string().contains("scale"), "{factor}: {err}");
        }
        let sf1 = GenerateOptions::scaled(PathBuf::from("x"), 1.0).unwrap();
        assert_eq!(
            (
                sf1.conversations,
                sf1.accounts,
                sf1.days,
                sf1.writers,
                sf1.at_scale
            ),
            (1_000_000, 100, 90, 4, true)
        );
    }
}
