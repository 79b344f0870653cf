//! The run history: one JSON line per attempt in `<state dir>/report_runs.jsonl`,
//! appended with one `write` and synced, read back by `conversql report history`
//! and by the `report_runs` view (through the table function
//! `conversql_report_runs()`, which reads the file each time a query scans it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The name of the runs file inside the state directory.
pub const RUNS_FILE: &str = "report_runs.jsonl";
/// The table function behind the `report_runs` view.
pub const FUNCTION: &str = "conversql_report_runs";

/// What became of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// The output was written.
    Succeeded,
    /// The attempt failed and will be retried after a back-off.
    Retrying,
    /// The attempt failed and no retry is left.
    Failed,
    /// A missed run that the report's `missed = "skip"` policy did not catch up.
    Skipped,
    /// The report was rejected when the reports file was loaded; it does not run.
    Invalid,
}

impl RunStatus {
    /// The status as the view shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Succeeded => "succeeded",
            RunStatus::Retrying => "retrying",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
            RunStatus::Invalid => "invalid",
        }
    }
}

/// Why a run happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Its schedule's slot came (in `serve --reports`).
    Schedule,
    /// A slot missed while the server was down, caught up (or skipped) at start-up.
    CatchUp,
    /// `conversql report run` (scheduled_for is then the instant the data is judged at).
    Manual,
    /// Loading the reports file (rejected reports).
    Load,
}

impl Trigger {
    /// The trigger as the view shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch_up",
            Trigger::Manual => "manual",
            Trigger::Load => "load",
        }
    }
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// The report's name.
    pub report: String,
    /// The schedule slot this run is for, the instant its data is judged at (`None` for rejected reports).
    pub scheduled_for: Option<DateTime<Utc>>,
    /// Why it ran.
    pub trigger: Trigger,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
    /// The outcome.
    pub status: RunStatus,
    /// Rows written (succeeded runs).
    pub rows: Option<i64>,
    /// Bytes written (succeeded runs).
    pub bytes: Option<i64>,
    /// The output URL (once the template could be expanded).
    pub output_url: Option<String>,
    /// The error of a failed, retried, skipped or invalid run.
    pub error: Option<String>,
    /// The accounts the run belongs to (see [`crate::report::accounts`]); `None`: not decided,
    /// and a user bound to accounts does not see the run. Absent in older runs files.
    #[serde(default)]
    pub accounts: Option<Vec<String>>,
}

/// The runs file of a state directory.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
}

impl History {
    /// The history kept in `state_dir` (created on the first append).
    pub fn in_dir(state_dir: &Path) -> Self {
        History {
            path: state_dir.join(RUNS_FILE),
        }
    }

    /// The runs file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record as one line (a single `write`, then `fsync`).
    pub fn append(&self, record: &RunRecord) -> Result<()> {
        let io = |e: std::io::Error| Error::Io {
            path: self.path.display().to_string(),
            source: e,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
        }
        let mut line = serde_json::to_string(record)
            .map_err(|e| Error::config(format!("cannot encode a run record: {e}")))?;
        line.push('\n');
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// Every record, oldest first. A missing file is an empty history; a torn last line
    /// (a crash while appending) is ignored; any other bad line is an error naming it.
    pub fn read(&self) -> Result<Vec<RunRecord>> {
        read_runs(&self.path)
    }

    /// The latest schedule slot recorded for `report` (any status; manual runs do not count), if any.
    pub fn last_scheduled(&self, report: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .read()?
            .iter()
            .filter(|r| {
                r.report == report && matches!(r.trigger, Trigger::Schedule | Trigger::CatchUp)
            })
            .filter_map(|r| r.scheduled_for)
            .max())
    }
}

fn read_runs(path: &Path) -> Result<Vec<RunRecord>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => {
            return Err(Error::Io {
                path: path.display().to_string(),
                source: e,
            });
        }
    };
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(_) if i + 1 == lines.len() && !complete => {}
            Err(e) => {
                return Err(Error::Io {
                    path: format!("{}:{}", path.display(), i + 1),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                });
            }
        }
    }
    Ok(records)
}

/// The columns of `report_runs`.
pub fn schema() -> SchemaRef {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("report", DataType::Utf8, false),
        Field::new("scheduled_for", ts(), true),
        Field::new("trigger", DataType::Utf8, false),
        Field::new("started_at", ts(), false),
        Field::new("finished_at", ts(), false),
        Field::new("attempt", DataType::Int64, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("rows", DataType::Int64, true),
        Field::new("bytes", DataType::Int64, true),
        Field::new("output_url", DataType::Utf8, true),
        Field::new("error", DataType::Utf8, true),
    ]))
}

/// The records as one batch of [`schema`].
pub fn to_batch(records: &[RunRecord]) -> Result<RecordBatch> {
    let ts = |values: Vec<Option<i64>>| -> ArrayRef {
        Arc::new(TimestampMicrosecondArray::from(values).with_timezone("UTC"))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            records.iter().map(|r| r.report.as_str()),
        )),
        ts(records
            .iter()
            .map(|r| r.scheduled_for.map(|t| t.timestamp_micros()))
            .collect()),
        Arc::new(StringArray::from_iter_values(
            records.iter().map(|r| r.trigger.as_str()),
        )),
        ts(records
            .iter()
            .map(|r| Some(r.started_at.timestamp_micros()))
            .collect()),
        ts(records
            .iter()
            .map(|r| Some(r.finished_at.timestamp_micros()))
            .collect()),
        Arc::new(Int64Array::from_iter_values(
            records.iter().map(|r| i64::from(r.attempt)),
        )),
        Arc::new(StringArray::from_iter_values(
            records.iter().map(|r| r.status.as_str()),
        )),
        Arc::new(Int64Array::from(
            records.iter().map(|r| r.rows).collect::<Vec<_>>(),
        )),
        Arc::new(Int64Array::from(
            records.iter().map(|r| r.bytes).collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            records
                .iter()
                .map(|r| r.output_url.as_deref())
                .collect::<Vec<_>>(),
        )),
        Arc::new(StringArray::from(
            records
                .iter()
                .map(|r| r.error.as_deref())
                .collect::<Vec<_>>(),
        )),
    ];
    Ok(
        RecordBatch::try_new(schema(), columns)
            .map_err(datafusion::error::DataFusionError::from)?,
    )
}

/// The declaration of `conversql_report_runs()`.
pub fn declaration() -> crate::declaration::Declaration {
    crate::declaration::Declaration {
        name: FUNCTION,
        parameters: vec![],
        description: "The rows of the report_runs view: one per attempt of a report run, oldest first, read from the runs file of the state directory (empty without one).",
        columns: schema(),
    }
}

/// `conversql_report_runs()`: the runs file as a table (empty without a state directory).
#[derive(Debug, Clone)]
pub struct ReportRunsFunction {
    runs: Option<PathBuf>,
}

impl ReportRunsFunction {
    /// The function over the runs file `runs` (`None`: always empty).
    pub fn new(runs: Option<PathBuf>) -> Self {
        ReportRunsFunction { runs }
    }
}

impl TableFunctionImpl for ReportRunsFunction {
    fn call_with_args(
        &self,
        args: TableFunctionArgs,
    ) -> datafusion::common::Result<Arc<dyn TableProvider>> {
        declaration().arguments(args.exprs())?;
        Ok(Arc::new(ReportRunsTable {
            runs: self.runs.clone(),
        }))
    }
}

/// The table the function returns: reads the runs file when scanned, so every
/// query sees the runs recorded up to then.
#[derive(Debug)]
struct ReportRunsTable {
    runs: Option<PathBuf>,
}

#[async_trait]
impl TableProvider for ReportRunsTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        let mut records = match &self.runs {
            Some(path) => read_runs(path)
                .map_err(|e| datafusion::common::DataFusionError::External(Box::new(e)))?,
            None => vec![],
        };
        // A bound user sees the runs that belong only to accounts in scope.
        if let Some(scope) = crate::scope::AccountScope::of(state.config()) {
            records.retain(|r| {
                r.accounts
                    .as_ref()
                    .is_some_and(|a| a.iter().all(|a| scope.contains(a)))
            });
        }
        let batch = to_batch(&records)
            .map_err(|e| datafusion::common::DataFusionError::External(Box::new(e)))?;
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![batch]],
            schema(),
            projection.cloned(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(report: &str, minute: u32, status: RunStatus) -> RunRecord {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 6, 8, 6, minute, 0).unwrap();
        RunRecord {
            report: report.into(),
            scheduled_for: Some(at),
            trigger: Trigger::Schedule,
            started_at: at,
            finished_at: at,
            attempt: 1,
            status,
            rows: Some(3),
            bytes: Some(120),
            output_url: Some("/tmp/x.csv".into()),
            error: None,
            accounts: Some(vec!["acc_001".into()]),
        }
    }

    #[test]
    fn appends_and_reads_back_ignoring_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_dir(&dir.path().join("state"));
        assert!(history.read().unwrap().is_empty(), "no file: no runs");
        history
            .append(&record("a", 0, RunStatus::Succeeded))
            .unwrap();
        history.append(&record("a", 5, RunStatus::Failed)).unwrap();
        history
            .append(&record("b", 9, RunStatus::Succeeded))
            .unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(history.path())
            .unwrap();
        file.write_all(b"{\"report\":\"a\",\"sched").unwrap();
        let runs = history.read().unwrap();
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[1].status, RunStatus::Failed);
        assert_eq!(
            history
                .last_scheduled("a")
                .unwrap()
                .unwrap()
                .format("%H:%M")
                .to_string(),
            "06:05"
        );
        assert_eq!(to_batch(&runs).unwrap().num_rows(), 3);
    }

    #[test]
    fn a_bad_line_in_the_middle_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::in_dir(dir.path());
        std::fs::write(history.path(), "not json\n{}\n").unwrap();
        let err = history.read().unwrap_err().to_string();
        assert!(err.contains("report_runs.jsonl:1"), "{err}");
    }
}
