//! The reports file (TOML) and its validation. Each `[[report]]` is checked on
//! its own: a bad one is rejected with an error naming the report and the
//! field, and the others still load. The SQL is checked against the engine
//! (it must parse and plan: no unknown view, column or function).
//!
//! ```toml
//! [[report]]
//! name = "daily_overview_acc_001"
//! sql_file = "daily_overview.sql"      # or sql = "SELECT …"; relative to this file
//! schedule = "0 6 * * *"               # cron: 5 fields, or 6 with seconds first
//! timezone = "Europe/Paris"            # IANA zone of the schedule and of {date}; default UTC
//! output = "out/{name}/{date}.html"    # path, file:// or s3:// URL with placeholders
//! format = "html"                      # csv | parquet | json | html; default: the output's extension
//! missed = "catch_up"                  # or "skip": a run missed while down
//! replace = false                      # overwrite an existing output
//! retries = 2                          # retries after a failed attempt
//! retry_backoff = "30s"                # first back-off, doubled each retry
//! sections = ["Overview", "Per day"]   # html section titles, one per statement
//! [report.params]
//! account_id = "acc_001"
//! range = "last 7 days"                # gives :'start_date' and :'end_date'
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;

use super::params::{Range, run_values, substitute};
use super::render::Format;
use super::schedule::{Schedule, parse_zone};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::session::StatementResult;

/// What to do with a run missed while the server was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// Run the latest missed slot once at start-up.
    CatchUp,
    /// Record it as skipped and wait for the next slot.
    Skip,
}

/// The most retries a report may ask for.
pub const MAX_RETRIES: u32 = 10;

/// One report, validated.
#[derive(Debug, Clone)]
pub struct Report {
    /// Its name (letters, digits, `_`, `-`).
    pub name: String,
    /// The page title of the html format (`description`); the name when unset.
    pub title: Option<String>,
    /// The SQL, with `:'param'` placeholders.
    pub sql: String,
    /// Where the SQL came from, for messages: `sql` or `sql_file`.
    pub sql_field: &'static str,
    /// When it runs (`None`: only on demand).
    pub schedule: Option<Schedule>,
    /// The zone of the schedule and of `{date}`.
    pub zone: Tz,
    /// The output URL template.
    pub output: String,
    /// The output format.
    pub format: Format,
    /// Parameters, including `range` when given.
    pub params: BTreeMap<String, String>,
    /// The parsed `range` parameter.
    pub range: Option<Range>,
    /// The catch-up policy.
    pub missed: Missed,
    /// Whether an existing output is replaced.
    pub replace: bool,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// The first back-off (doubled for each further retry).
    pub retry_backoff: Duration,
    /// HTML section titles.
    pub sections: Vec<String>,
}

/// A `[[report]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    name: String,
    #[serde(default)]
    description: Option<String>,
    sql: Option<String>,
    sql_file: Option<PathBuf>,
    schedule: String,
    #[serde(default)]
    timezone: Option<String>,
    output: String,
    format: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, toml::Value>,
    #[serde(default)]
    missed: Option<String>,
    #[serde(default)]
    replace: bool,
    retries: Option<u32>,
    retry_backoff: Option<String>,
    #[serde(default)]
    sections: Vec<String>,
}

/// A loaded reports file: the valid reports and the rejected ones with their errors.
#[derive(Debug)]
pub struct ReportsFile {
    /// The file.
    pub path: PathBuf,
    /// Valid reports, in file order.
    pub reports: Vec<Report>,
    /// Rejected reports: (name, error naming the report and the field).
    pub rejected: Vec<(String, Error)>,
}

impl ReportsFile {
    /// Reads and checks `path` (everything but the SQL against the engine; see [`ReportsFile::check_sql`]).
    /// Only an unreadable file, bad TOML or a file without `[[report]]` is an error.
    pub fn load(path: &Path) -> Result<ReportsFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        let file_err =
            |message: String| Error::config(format!("reports file {}: {message}", path.display()));
        let table: toml::Table = toml::from_str(&text).map_err(|e| file_err(e.to_string()))?;
        if let Some(key) = table.keys().find(|k| *k != "report") {
            return Err(file_err(format!(
                "unknown key '{key}' (expected [[report]] tables)"
            )));
        }
        let entries = match table.get("report") {
            Some(toml::Value::Array(entries)) => entries.clone(),
            _ => return Err(file_err("no [[report]] tables".into())),
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut file = ReportsFile {
            path: path.to_path_buf(),
            reports: vec![],
            rejected: vec![],
        };
        let mut names = BTreeSet::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let name = entry
                .get("name")
                .and_then(|n| n.as_str())
                .map_or_else(|| format!("#{}", i + 1), str::to_string);
            let report = match entry.try_into::<RawReport>() {
                Ok(raw) => validate(raw, base),
                Err(e) => Err(Error::report(
                    &name,
                    field_of(&e.to_string()),
                    e.message().to_string(),
                )),
            };
            match report {
                Ok(report) if !names.insert(report.name.clone()) => {
                    file.rejected.push((
                        name.clone(),
                        Error::report(&name, "name", "another report has this name"),
                    ));
                }
                Ok(report) => file.reports.push(report),
                Err(e) => file.rejected.push((name, e)),
            }
        }
        Ok(file)
    }

    /// Plans each report's SQL on `engine`; a report whose SQL does not plan moves to the rejected.
    pub async fn check_sql(&mut self, engine: &Engine) {
        let mut valid = vec![];
        for report in std::mem::take(&mut self.reports) {
            match check_sql(engine, &report).await {
                Ok(()) => valid.push(report),
                Err(e) => self.rejected.push((report.name.clone(), e)),
            }
        }
        self.reports = valid;
    }

    /// The valid report called `name`, or an error saying whether it was rejected or is unknown.
    pub fn get(&self, name: &str) -> Result<&Report> {
        if let Some(report) = self.reports.iter().find(|r| r.name == name) {
            return Ok(report);
        }
        if let Some((_, e)) = self.rejected.iter().find(|(n, _)| n == name) {
            return Err(Error::config(format!("{e}")));
        }
        let known: Vec<&str> = self.reports.iter().map(|r| r.name.as_str()).collect();
        Err(Error::config(format!(
            "reports file {}: no report named '{name}' (known: {})",
            self.path.display(),
            known.join(", ")
        )))
    }
}

/// The field a serde error is about (`missing field `schedule``, `unknown field `x``).
fn field_of(message: &str) -> &str {
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split('`').next().unwrap_or("report");
        }
    }
    "report"
}

/// The format named by `format`, else by the output's extension.
pub fn format_of(report: &str, format: Option<&str>, output: &str) -> Result<Format> {
    if let Some(f) = format {
        Format::parse(f).map_err(|e| Error::report(report, "format", e))
    } else {
        let ext = output.rsplit_once('.').map_or("", |(_, e)| e);
        Format::parse(ext).map_err(|_| {
            Error::report(
                report,
                "format",
                format!("no format given and the output '{output}' has no known extension"),
            )
        })
    }
}

fn validate(raw: RawReport, base: &Path) -> Result<Report> {
    let name = raw.name.clone();
    let err = |field: &str, message: String| Error::report(&name, field, message);
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(err("name", "use letters, digits, '_' and '-' only".into()));
    }
    let (sql, sql_field) = match (raw.sql, raw.sql_file) {
        (Some(sql), None) => (sql, "sql"),
        (None, Some(file)) => {
            let path = base.join(&file);
            let sql = std::fs::read_to_string(&path)
                .map_err(|e| err("sql_file", format!("cannot read {}: {e}", path.display())))?;
            (sql, "sql_file")
        }
        (Some(_), Some(_)) => {
            return Err(err("sql", "give either sql or sql_file, not both".into()));
        }
        (None, None) => return Err(err("sql", "missing: give sql or sql_file".into())),
    };
    if sql.trim().is_empty() {
        return Err(err(sql_field, "the SQL is empty".into()));
    }
    let zone =
        parse_zone(raw.timezone.as_deref().unwrap_or("UTC")).map_err(|e| err("timezone", e))?;
    let schedule = Schedule::parse(&raw.schedule, zone).map_err(|e| err("schedule", e))?;
    let format = format_of(&name, raw.format.as_deref(), &raw.output)?;
    let mut params = BTreeMap::new();
    for (key, value) in raw.params {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(err(
                    &format!("params.{key}"),
                    format!("expected a string or number, got {}", other.type_str()),
                ));
            }
        };
        if ["name", "date", "time", "as_of", "start_date", "end_date"].contains(&key.as_str()) {
            return Err(err(
                &format!("params.{key}"),
                format!("'{key}' is set by the run itself"),
            ));
        }
        params.insert(key, text);
    }
    let range = params
        .get("range")
        .map(|r| Range::parse(r))
        .transpose()
        .map_err(|e| err("params.range", e))?;
    let missed = match raw.missed.as_deref() {
        None | Some("catch_up") => Missed::CatchUp,
        Some("skip") => Missed::Skip,
        Some(other) => {
            return Err(err(
                "missed",
                format!("'{other}' (expected \"catch_up\" or \"skip\")"),
            ));
        }
    };
    let retries = raw.retries.unwrap_or(2);
    if retries > MAX_RETRIES {
        return Err(err(
            "retries",
            format!("{retries} is more than {MAX_RETRIES}"),
        ));
    }
    let retry_backoff = match raw.retry_backoff.as_deref() {
        None => Duration::from_secs(30),
        Some(text) => crate::pg_duration::parse_millis(&format!("'{text}'"))
            .map_err(|e| err("retry_backoff", e))?
            .unwrap_or(Duration::ZERO),
    };
    let report = Report {
        name: name.clone(),
        title: raw.description,
        sql,
        sql_field,
        schedule: Some(schedule),
        zone,
        output: raw.output,
        format,
        params,
        range,
        missed,
        replace: raw.replace,
        retries,
        retry_backoff,
        sections: raw.sections,
    };
    check_output(&report)?;
    Ok(report)
}

/// Checks the output template against the values of a run now.
pub fn check_output(report: &Report) -> Result<()> {
    if report.output.trim().is_empty() {
        return Err(Error::report(&report.name, "output", "the output is empty"));
    }
    let (values, _) = run_values(
        &report.name,
        &report.params,
        report.range,
        report.zone,
        Utc::now(),
    );
    let url = super::output::expand(&report.output, &values)
        .map_err(|e| Error::report(&report.name, "output", e))?;
    if url.contains("://") && !url.starts_with("s3://") && !url.starts_with("file://") {
        return Err(Error::report(
            &report.name,
            "output",
            format!("'{url}': use a path, file:// or s3://"),
        ));
    }
    Ok(())
}

/// Plans every statement of the report's SQL (parameters as of now) without running it,
/// and checks the number of results against the format.
pub async fn check_sql(engine: &Engine, report: &Report) -> Result<()> {
    let field = report.sql_field;
    let err = |message: String| Error::report(&report.name, field, message);
    let (values, _) = run_values(
        &report.name,
        &report.params,
        report.range,
        report.zone,
        Utc::now(),
    );
    let sql = substitute(&report.sql, &values).map_err(err)?;
    let mut session = engine.session();
    let statements = session.parse(&sql).map_err(|e| err(e.to_string()))?;
    let mut results = 0;
    for statement in statements {
        if let StatementResult::Rows(_) = session
            .execute(statement)
            .await
            .map_err(|e| err(e.to_string()))?
        {
            results += 1;
        }
    }
    if results == 0 {
        return Err(err("the SQL returns no rows (it needs a SELECT)".into()));
    }
    if results > 1 && !report.format.takes_several_results() {
        return Err(Error::report(
            &report.name,
            "format",
            format!(
                "format {} writes one query's rows, but the SQL has {results} queries (only html renders several)",
                report.format.as_str()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> ReportsFile {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reports.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::write(dir.path().join("q.sql"), "SELECT 1 AS one").unwrap();
        ReportsFile::load(&path).unwrap()
    }

    fn rejected(file: &ReportsFile) -> Vec<String> {
        file.rejected.iter().map(|(_, e)| e.to_string()).collect()
    }

    #[test]
    fn a_good_report_loads_with_defaults() {
        let file = load(
            "[[report]]\nname = \"a\"\nsql_file = \"q.sql\"\nschedule = \"0 6 * * *\"\noutput = \"out/{name}-{date}.csv\"\n\
             [report.params]\naccount_id = \"acc_001\"\nrange = \"last 7 days\"\n",
        );
        assert!(file.rejected.is_empty(), "{:?}", rejected(&file));
        let r = &file.reports[0];
        assert_eq!(
            (r.format, r.missed, r.retries, r.zone, r.sql.as_str()),
            (Format::Csv, Missed::CatchUp, 2, Tz::UTC, "SELECT 1 AS one")
        );
        assert_eq!(r.range, Some(Range::LastDays(7)));
    }

    #[test]
    fn each_bad_report_is_rejected_naming_report_and_field_and_the_others_load() {
        let file = load(
            "[[report]]\nname = \"cron\"\nsql = \"SELECT 1\"\nschedule = \"0 25 * * *\"\noutput = \"a.csv\"\n\
             [[report]]\nname = \"zone\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\ntimezone = \"Europe/Atlantis\"\noutput = \"a.csv\"\n\
             [[report]]\nname = \"placeholder\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\noutput = \"{account}.csv\"\n\
             [[report]]\nname = \"fmt\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\noutput = \"a.xlsx\"\n\
             [[report]]\nname = \"typo\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\noutput = \"a.csv\"\nretires = 3\n\
             [[report]]\nname = \"range\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\noutput = \"a.csv\"\n[report.params]\nrange = \"soon\"\n\
             [[report]]\nname = \"ok\"\nsql = \"SELECT 1\"\nschedule = \"0 6 * * *\"\noutput = \"a.csv\"\n",
        );
        assert_eq!(
            file.reports
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["ok"]
        );
        let errors = rejected(&file);
        let starts = [
            "report cron: schedule: invalid cron expression",
            "report zone: timezone: unknown time zone 'Europe/Atlantis'",
            "report placeholder: output: unknown placeholder {account}",
            "report fmt: format: no format given",
            "report typo: retires: unknown field",
            "report range: params.range: invalid range 'soon'",
        ];
        for (error, start) in errors.iter().zip(starts) {
            assert!(
                error.starts_with(start),
                "{error} should start with {start}"
            );
        }
        assert_eq!(errors.len(), starts.len());
    }
}
