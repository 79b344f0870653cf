//! Running a report: expand the output URL, substitute the parameters, run
//! the SQL as of the run's instant, render, write atomically; attempts are
//! retried with a doubling back-off and every attempt is recorded.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::config::Report;
use super::output::{expand, write_atomic};
use super::params::{run_values, substitute};
use super::render::{PageInfo, ResultSet, render};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::run_history::{History, RunRecord, RunStatus, Trigger};
use crate::session::StatementResult;

/// What a successful run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Rows written (summed over the results of an html page).
    pub rows: i64,
    /// Bytes written.
    pub bytes: i64,
    /// Where.
    pub url: String,
}

/// Runs `report` once for the instant `at` (its slot; the data is judged as of `at`).
/// `url` receives the output URL as soon as it is known, so a failure can name it.
pub async fn run_once(
    engine: &Engine,
    report: &Report,
    at: DateTime<Utc>,
    url: &mut Option<String>,
) -> Result<Written> {
    let (values, dates) = run_values(&report.name, &report.params, report.range, report.zone, at);
    let target =
        expand(&report.output, &values).map_err(|e| Error::report(&report.name, "output", e))?;
    *url = Some(target.clone());
    let sql = substitute(&report.sql, &values)
        .map_err(|e| Error::report(&report.name, report.sql_field, e))?;
    let mut session = engine.session();
    session.set_parameter("conversql.as_of", &values["as_of"])?;
    let sql_err =
        |e: &dyn std::fmt::Display| Error::report(&report.name, report.sql_field, e.to_string());
    let mut results = vec![];
    for result in session.sql(&sql).await.map_err(|e| sql_err(&e))? {
        if let StatementResult::Rows(df) = result {
            let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
            let batches = df.collect().await.map_err(|e| sql_err(&e))?;
            results.push(ResultSet { schema, batches });
        }
    }
    let rows = results.iter().map(ResultSet::rows).sum::<usize>() as i64;
    let page = PageInfo {
        title: report.title.clone().unwrap_or_else(|| report.name.clone()),
        subtitle: subtitle(report, &values),
        sections: report.sections.clone(),
        dates,
    };
    let bytes = render(report.format, &results, &page)
        .map_err(|e| Error::report(&report.name, "format", e.to_string()))?;
    let size = bytes.len() as i64;
    write_atomic(&target, bytes, report.replace).await?;
    Ok(Written {
        rows,
        bytes: size,
        url: target,
    })
}

/// `account_id acc_001 · 2026-06-01 to 2026-06-07 · as of 2026-06-08 06:00 UTC`
fn subtitle(report: &Report, values: &std::collections::BTreeMap<String, String>) -> String {
    let mut parts: Vec<String> = report
        .params
        .iter()
        .filter(|(k, _)| k.as_str() != "range")
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if let (Some(start), Some(end)) = (values.get("start_date"), values.get("end_date")) {
        parts.push(if start == end {
            start.clone()
        } else {
            format!("{start} to {end}")
        });
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(&values["as_of"]) {
        parts.push(format!(
            "as of {}",
            at.with_timezone(&Utc).format("%Y-%m-%d %H:%M UTC")
        ));
    }
    parts.join(" · ")
}

/// Runs `report` for `at`, retrying a failed attempt (but not an existing output) up to `report.retries` times
/// after `retry_backoff`, `2 × retry_backoff`, …; records every attempt in `history`
/// and returns the last record. A history that cannot be written is logged.
pub async fn run_with_retries(
    engine: &Engine,
    history: &History,
    report: &Report,
    at: DateTime<Utc>,
    trigger: Trigger,
) -> RunRecord {
    let mut attempt = 1u32;
    loop {
        let started_at = Utc::now();
        let mut url = None;
        let outcome = run_once(engine, report, at, &mut url).await;
        let finished_at = Utc::now();
        // An existing output stays there: retrying cannot help.
        let permanent = matches!(&outcome, Err(Error::Output { message, .. }) if message.starts_with(super::output::EXISTS));
        let last = permanent || attempt > report.retries;
        let (status, rows, bytes, output_url, error) = match outcome {
            Ok(written) => (
                RunStatus::Succeeded,
                Some(written.rows),
                Some(written.bytes),
                Some(written.url),
                None,
            ),
            Err(e) => {
                let status = if last {
                    RunStatus::Failed
                } else {
                    RunStatus::Retrying
                };
                (status, None, None, url, Some(e.to_string()))
            }
        };
        let record = RunRecord {
            report: report.name.clone(),
            scheduled_for: Some(at),
            trigger,
            started_at,
            finished_at,
            attempt,
            status,
            rows,
            bytes,
            output_url,
            error,
            accounts: super::accounts::run_accounts(report, at),
        };
        if record.status == RunStatus::Succeeded {
            tracing::info!(
                report = %report.name, scheduled_for = %at, rows = record.rows, bytes = record.bytes,
                output = record.output_url.as_deref().unwrap_or(""), "report written"
            );
        } else {
            tracing::warn!(
                report = %report.name, scheduled_for = %at, attempt, status = record.status.as_str(),
                error = record.error.as_deref().unwrap_or(""), "report run failed"
            );
        }
        if let Err(e) = history.append(&record) {
            tracing::error!(report = %report.name, "cannot record the run: {e}");
        }
        if record.status != RunStatus::Retrying {
            return record;
        }
        tokio::time::sleep(backoff(report.retry_backoff, attempt)).await;
        attempt += 1;
    }
}

/// The wait after failed attempt `attempt` (1-based): `base × 2^(attempt−1)`, at most an hour.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1u32 << (attempt - 1).min(16))
        .min(Duration::from_hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1), Duration::from_millis(100));
        assert_eq!(backoff(base, 3), Duration::from_millis(400));
        assert_eq!(backoff(Duration::from_mins(1), 10), Duration::from_hours(1));
    }
}
