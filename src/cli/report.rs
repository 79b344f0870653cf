//! `conversql report list|run|history`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use super::DataArgs;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::output::{OutputFormat, write_batches};
use crate::report::config::{Missed, Report, ReportsFile, check_output, check_sql, format_of};
use crate::report::params::Range;
use crate::report::runner::run_with_retries;
use crate::report::schedule::parse_zone;
use crate::run_history::{History, RunStatus, Trigger, to_batch};

/// `conversql report …`
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// List the reports of a reports file with their next run; rejected reports are
    /// printed with their error on standard error (and the command fails).
    List(ListArgs),
    /// Run one report of a reports file (NAME) or ad-hoc SQL (--sql FILE or --query SQL) once, now.
    Run(RunArgs),
    /// Print the run history of the state directory (what the `report_runs` view shows).
    History(HistoryArgs),
}

/// `conversql report list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Data options (the SQL of each report is planned against this data).
    #[command(flatten)]
    pub data: DataArgs,
    /// The reports file (TOML).
    #[arg(long, env = "CONVERSQL_REPORTS")]
    pub reports: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

/// `conversql report run`
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Data options; --as-of is the instant the run is for (default: now).
    #[command(flatten)]
    pub data: DataArgs,
    /// The report of --reports to run.
    #[arg(value_name = "NAME", conflicts_with_all = ["sql", "query"])]
    pub report: Option<String>,
    /// The reports file (TOML) holding NAME.
    #[arg(long, env = "CONVERSQL_REPORTS")]
    pub reports: Option<PathBuf>,
    /// A file of SQL to run (several statements only for --format html).
    #[arg(long, conflicts_with = "query")]
    pub sql: Option<PathBuf>,
    /// SQL to run.
    #[arg(long)]
    pub query: Option<String>,
    /// The output: a path, file:// or s3:// URL, with {name}, {date}, {time}, {account_id}, … placeholders.
    /// Required for ad-hoc SQL; overrides a report's output.
    #[arg(long)]
    pub out: Option<String>,
    /// The output format (default: the report's, else the output's extension).
    #[arg(long, value_enum)]
    pub format: Option<crate::report::render::Format>,
    /// A parameter (`account_id=acc_001`, `range=last 7 days`); repeatable; overrides the report's.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Overwrite an existing output.
    #[arg(long)]
    pub replace: bool,
    /// The zone of {date}/{time} and of the range's dates for ad-hoc SQL (default UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// The name of an ad-hoc run in {name} and the history (default: the SQL file's stem, else `query`).
    #[arg(long = "name")]
    pub run_name: Option<String>,
    /// Retries after a failed attempt (default: the report's; 0 for ad-hoc SQL).
    #[arg(long)]
    pub retries: Option<u32>,
}

/// `conversql report history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The state directory (see `serve --state-dir`).
    #[arg(long, env = "CONVERSQL_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Only this report's runs.
    #[arg(long)]
    pub report: Option<String>,
    /// Only the latest N runs.
    #[arg(long)]
    pub last: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

/// Runs a `report` subcommand.
pub async fn run(command: ReportCommand) -> Result<()> {
    match command {
        ReportCommand::List(args) => list(args).await,
        ReportCommand::Run(args) => run_report(args).await,
        ReportCommand::History(args) => history(args),
    }
}

async fn list(args: ListArgs) -> Result<()> {
    let engine = Engine::open(args.data.engine_options()?).await?;
    let mut file = ReportsFile::load(&args.reports)?;
    file.check_sql(&engine).await;
    let now = Utc::now();
    let column = |values: Vec<String>| -> ArrayRef { Arc::new(StringArray::from(values)) };
    let reports = &file.reports;
    let text = |f: &dyn Fn(&Report) -> String| reports.iter().map(f).collect::<Vec<_>>();
    let fields = [
        "name", "schedule", "timezone", "next_run", "format", "output", "missed",
    ];
    let schema = Arc::new(Schema::new(
        fields
            .iter()
            .map(|f| Field::new(*f, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            column(text(&|r| r.name.clone())),
            column(text(&|r| {
                r.schedule
                    .as_ref()
                    .map(|s| s.expression.clone())
                    .unwrap_or_default()
            })),
            column(text(&|r| r.zone.name().to_string())),
            column(text(&|r| {
                r.schedule
                    .as_ref()
                    .and_then(|s| s.next_after(now))
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default()
            })),
            column(text(&|r| r.format.as_str().to_string())),
            column(text(&|r| r.output.clone())),
            column(text(&|r| match r.missed {
                Missed::CatchUp => "catch_up".to_string(),
                Missed::Skip => "skip".to_string(),
            })),
        ],
    )
    .map_err(datafusion::error::DataFusionError::from)?;
    write_batches(
        &mut std::io::stdout().lock(),
        &schema,
        &[batch],
        args.format,
    )?;
    for (_, error) in &file.rejected {
        eprintln!("rejected: {error}");
    }
    if file.rejected.is_empty() {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{} of the reports in {} rejected",
            file.rejected.len(),
            args.reports.display()
        )))
    }
}

fn parse_params(report: &str, params: &[String]) -> Result<BTreeMap<String, String>> {
    params
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    Error::report(report, "--param", format!("'{p}' (expected NAME=VALUE)"))
                })
        })
        .collect()
}

/// The report `report run` describes: a named one with the options applied, or ad-hoc SQL.
async fn requested_report(args: &RunArgs, engine: &Engine) -> Result<Report> {
    let mut report = match (&args.report, &args.sql, &args.query) {
        (Some(name), None, None) => {
            let path = args
                .reports
                .as_ref()
                .ok_or_else(|| Error::config("report run NAME needs --reports FILE"))?;
            let file = ReportsFile::load(path)?;
            file.get(name)?.clone()
        }
        (None, sql_file, query) => {
            let (sql, field, stem) = match (sql_file, query) {
                (Some(path), None) => {
                    let sql = std::fs::read_to_string(path).map_err(|e| Error::Io {
                        path: path.display().to_string(),
                        source: e,
                    })?;
                    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                    (sql, "--sql", stem)
                }
                (None, Some(query)) => (query.clone(), "--query", None),
                _ => {
                    return Err(Error::config(
                        "report run needs a report NAME (with --reports), --sql FILE or --query SQL",
                    ));
                }
            };
            let name = args
                .run_name
                .clone()
                .or(stem)
                .unwrap_or_else(|| "query".into());
            let output = args
                .out
                .clone()
                .ok_or_else(|| Error::report(&name, "--out", "an ad-hoc run needs --out URL"))?;
            let format = match args.format {
                Some(f) => f,
                None => format_of(&name, None, &output)?,
            };
            let zone = parse_zone(args.timezone.as_deref().unwrap_or("UTC"))
                .map_err(|e| Error::report(&name, "--timezone", e))?;
            Report {
                name,
                title: None,
                sql,
                sql_field: field,
                schedule: None,
                zone,
                output,
                format,
                params: BTreeMap::new(),
                range: None,
                missed: Missed::CatchUp,
                replace: false,
                retries: 0,
                retry_backoff: std::time::Duration::from_secs(1),
                sections: vec![],
            }
        }
        _ => {
            return Err(Error::config(
                "give either a report NAME or --sql/--query, not both",
            ));
        }
    };
    if let Some(out) = &args.out {
        report.output = out.clone();
    }
    if let Some(format) = args.format {
        report.format = format;
    }
    report.replace |= args.replace;
    if let Some(retries) = args.retries {
        report.retries = retries.min(crate::report::config::MAX_RETRIES);
    }
    report
        .params
        .extend(parse_params(&report.name, &args.params)?);
    if let Some(range) = report.params.get("range") {
        report.range =
            Some(Range::parse(range).map_err(|e| Error::report(&report.name, "params.range", e))?);
    }
    check_output(&report)?;
    check_sql(engine, &report).await?;
    Ok(report)
}

async fn run_report(args: RunArgs) -> Result<()> {
    let engine = Engine::open(args.data.engine_options()?).await?;
    let report = requested_report(&args, &engine).await?;
    let at: DateTime<Utc> = match args.data.engine_options()?.as_of {
        Some(micros) => DateTime::from_timestamp_micros(micros)
            .ok_or_else(|| Error::config("--as-of out of range"))?,
        None => Utc::now(),
    };
    let history = args.data.history();
    let record = run_with_retries(&engine, &history, &report, at, Trigger::Manual).await;
    match record.status {
        RunStatus::Succeeded => {
            println!(
                "{}: {} rows, {} bytes written to {}",
                report.name,
                record.rows.unwrap_or(0),
                record.bytes.unwrap_or(0),
                record.output_url.unwrap_or_default()
            );
            Ok(())
        }
        _ => {
            Err(Error::config(record.error.unwrap_or_else(|| {
                format!("report {} failed", report.name)
            })))
        }
    }
}

fn history(args: HistoryArgs) -> Result<()> {
    let history = History::in_dir(
        &args
            .state_dir
            .clone()
            .unwrap_or_else(crate::report::default_state_dir),
    );
    let mut runs = history.read()?;
    if let Some(report) = &args.report {
        runs.retain(|r| &r.report == report);
    }
    if let Some(last) = args.last {
        runs.drain(..runs.len().saturating_sub(last));
    }
    let batch = to_batch(&runs)?;
    write_batches(
        &mut std::io::stdout().lock(),
        &batch.schema(),
        &[batch],
        args.format,
    )
}
