//! `serve --reports`: one task per report. At start-up a slot missed while the
//! server was down (after the last slot in the history) is caught up once, or
//! recorded as skipped; then each slot runs when it comes. A report never runs
//! twice at once: slots that pass while it is still running are not run.

use chrono::Utc;
use tokio::task::JoinHandle;

use super::config::{Missed, Report, ReportsFile};
use super::runner::run_with_retries;
use crate::engine::Engine;
use crate::run_history::{History, RunRecord, RunStatus, Trigger};

/// Records the reports the file rejected (status `invalid`, with the error) and logs them.
pub fn record_rejected(file: &ReportsFile, history: &History) {
    for (name, error) in &file.rejected {
        tracing::error!("{error}; the report does not run");
        let now = Utc::now();
        let record = RunRecord {
            report: name.clone(),
            scheduled_for: None,
            trigger: Trigger::Load,
            started_at: now,
            finished_at: now,
            attempt: 1,
            status: RunStatus::Invalid,
            rows: None,
            bytes: None,
            output_url: None,
            error: Some(error.to_string()),
            accounts: None,
        };
        if let Err(e) = history.append(&record) {
            tracing::error!(report = %name, "cannot record the rejection: {e}");
        }
    }
}

/// Starts one task per scheduled report; they run until the process ends (or the handles are aborted).
pub fn start(engine: Engine, history: History, reports: Vec<Report>) -> Vec<JoinHandle<()>> {
    reports
        .into_iter()
        .filter(|r| r.schedule.is_some())
        .map(|report| {
            let engine = engine.clone();
            let history = history.clone();
            tokio::spawn(async move { run_schedule(engine, history, report).await })
        })
        .collect()
}

async fn run_schedule(engine: Engine, history: History, report: Report) {
    let Some(schedule) = report.schedule.clone() else {
        return;
    };
    let last = history.last_scheduled(&report.name).unwrap_or_else(|e| {
        tracing::error!(report = %report.name, "cannot read the run history: {e}");
        None
    });
    if let Some(slot) = schedule.missed(last, Utc::now()) {
        match report.missed {
            Missed::CatchUp => {
                tracing::info!(report = %report.name, scheduled_for = %slot, "catching up a missed run");
                run_with_retries(&engine, &history, &report, slot, Trigger::CatchUp).await;
            }
            Missed::Skip => {
                let now = Utc::now();
                let record = RunRecord {
                    report: report.name.clone(),
                    scheduled_for: Some(slot),
                    trigger: Trigger::CatchUp,
                    started_at: now,
                    finished_at: now,
                    attempt: 1,
                    status: RunStatus::Skipped,
                    rows: None,
                    bytes: None,
                    output_url: None,
                    error: Some(
                        "missed while the server was down; not caught up (missed = \"skip\")"
                            .into(),
                    ),
                    accounts: super::accounts::run_accounts(&report, slot),
                };
                if let Err(e) = history.append(&record) {
                    tracing::error!(report = %report.name, "cannot record the skipped run: {e}");
                }
            }
        }
    }
    let mut after = Utc::now();
    while let Some(next) = schedule.next_after(after) {
        if let Ok(wait) = (next - Utc::now()).to_std() {
            tokio::time::sleep(wait).await;
        }
        run_with_retries(&engine, &history, &report, next, Trigger::Schedule).await;
        after = next.max(Utc::now());
    }
    tracing::warn!(report = %report.name, "the schedule has no further slot");
}
