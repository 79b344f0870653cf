//! Scheduled SQL reports (`conversql report …`, `serve --reports FILE`).
//!
//! - [`config`]: the reports file (TOML) and its validation;
//! - [`schedule`]: cron in UTC or an IANA zone, and the catch-up rule;
//! - [`params`]: relative ranges and `:'name'` parameters in the SQL;
//! - [`render`] and [`html`]: CSV, Parquet, JSON and the HTML dashboard page;
//! - [`output`]: the output URL template and the atomic write;
//! - the runs file and the `report_runs` view's table function live in
//!   [`crate::run_history`] (the engine serves the view, reports append to it);
//! - [`runner`]: one run with retries; [`scheduler`]: the in-process schedule;
//! - `conversql report list|run|history` is [`crate::cli::report`];
//! - [`accounts`]: the accounts a run belongs to (what a bound user sees of `report_runs`).

pub mod accounts;
pub mod config;
pub mod html;
pub mod output;
pub mod params;
pub mod render;
pub mod runner;
pub mod schedule;
pub mod scheduler;

use std::path::PathBuf;

/// The runs file's directory when neither `--state-dir` nor `CONVERSQL_STATE_DIR`
/// is given: `$XDG_STATE_HOME/conversql`, else `~/.local/state/conversql`, else `.conversql`.
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("conversql");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(home).join(".local/state/conversql");
    }
    PathBuf::from(".conversql")
}
