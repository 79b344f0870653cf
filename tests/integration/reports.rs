//! Scheduled reports end to end, with the real binary: the built-in examples
//! run against the sample in `data/`, ad-hoc runs, `serve --reports` running
//! schedules (every second), catching up and skipping missed runs, retrying
//! failures and rejecting bad reports, with the history read as the
//! `report_runs` view over the Postgres protocol; and the html overview
//! rendered by headless Chromium with its bars measured.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};

use crate::common::{
    ACCOUNT, AS_OF, END, Moto, START, data_root, expected_overview, free_port, in_process,
    repo_root, wait_for_port,
};
use conversql::run_history::{History, RunRecord, RunStatus, Trigger};

fn conversql() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conversql"));
    cmd.env("CONVERSQL_LOG", "warn")
        .env_remove("CONVERSQL_REPORTS")
        .env_remove("CONVERSQL_STATE_DIR");
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run conversql")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn examples() -> PathBuf {
    repo_root().join("reports/examples.toml")
}

/// `conversql report run NAME` of the examples, in `dir`, as of the tests' instant.
fn run_example(dir: &Path, state: &Path, name: &str, extra: &[&str]) -> Output {
    run(conversql()
        .current_dir(dir)
        .args(["report", "run", name, "--reports"])
        .arg(examples())
        .args(["--data", &data_root(), "--as-of", AS_OF, "--state-dir"])
        .arg(state)
        .args(extra))
}

#[test]
fn the_built_in_examples_run_against_the_sample_and_never_overwrite_without_replace() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let list = run(conversql()
        .args([
            "report",
            "list",
            "--format",
            "csv",
            "--data",
            &data_root(),
            "--reports",
        ])
        .arg(examples()));
    assert!(list.status.success(), "report list: {}", text(&list.stderr));
    let names: Vec<String> = text(&list.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "daily_overview_acc_001",
            "daily_overview_acc_002",
            "weekly_escalations_by_reason",
            "recommended_not_purchased_acc_001"
        ]
    );

    // The overview page: its four metrics are those of overview() over the same 7 days.
    let started = Instant::now();
    let out = run_example(dir.path(), &state, "daily_overview_acc_001", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    eprintln!(
        "daily_overview_acc_001: {} in {:?}",
        text(&out.stdout).trim(),
        started.elapsed()
    );
    let page_path = dir
        .path()
        .join("reports-out/daily_overview_acc_001/2026-06-08.html");
    let page = std::fs::read_to_string(&page_path).unwrap();
    let (volume, resolved, percent, sales) = expected_overview();
    for (metric, value) in [
        ("total_volume", volume.to_string()),
        ("resolved_by_ai", resolved.to_string()),
        ("percent_resolved_by_ai", percent.to_string()),
        ("ai_generated_sales", sales.clone()),
    ] {
        assert!(
            page.contains(&format!("data-metric=\"{metric}\" data-value=\"{value}\"")),
            "{metric} = {value} in the page"
        );
    }
    assert!(
        !page.contains("<script") && !page.contains("http://") && !page.contains("https://"),
        "self-contained"
    );

    // Never overwritten without --replace; replaced with it.
    let again = run_example(dir.path(), &state, "daily_overview_acc_001", &[]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("exists already"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read_to_string(&page_path).unwrap(), page);
    let replaced = run_example(dir.path(), &state, "daily_overview_acc_001", &["--replace"]);
    assert!(replaced.status.success(), "{}", text(&replaced.stderr));

    // Weekly escalations by reason: the counts of the Escalated events of 06-01..06-07.
    let out = run_example(dir.path(), &state, "weekly_escalations_by_reason", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    eprintln!("weekly_escalations_by_reason: {}", text(&out.stdout).trim());
    let csv = std::fs::read_to_string(
        dir.path()
            .join("reports-out/weekly_escalations_by_reason/2026-06-08.csv"),
    )
    .unwrap();
    let expected = in_process(&format!(
        "SELECT account_id, coalesce(escalation_reason, 'unknown'), count(*) FROM customer_agent_events \
         WHERE metric = 'Conversation with Customer Agent Escalated' AND occurred_date BETWEEN DATE '{START}' AND DATE '{END}' \
         GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2"
    ));
    let got: Vec<String> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(3).collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(got, expected);
    assert!(!expected.is_empty());

    // The segment as Parquet: one row per profile of the view for acc_001.
    let out = run_example(dir.path(), &state, "recommended_not_purchased_acc_001", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    eprintln!(
        "recommended_not_purchased_acc_001: {}",
        text(&out.stdout).trim()
    );
    let parquet = dir
        .path()
        .join("reports-out/recommended_not_purchased_acc_001/acc_001-2026-06-08.parquet");
    let count = in_process(&format!(
        "SELECT count(*) FROM segment_recommended_not_purchased WHERE account_id = '{ACCOUNT}'"
    ))[0]
        .clone();
    let reader =
        parquet::file::reader::SerializedFileReader::new(std::fs::File::open(&parquet).unwrap())
            .unwrap();
    let rows = parquet::file::reader::FileReader::metadata(&reader)
        .file_metadata()
        .num_rows();
    assert_eq!(rows.to_string(), count);
    assert_ne!(count, "0");

    // The history: every attempt, the refused overwrite included.
    let history = run(conversql()
        .args(["report", "history", "--format", "csv", "--state-dir"])
        .arg(&state));
    let lines: Vec<String> = text(&history.stdout)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    let statuses: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l.split(',').next().unwrap(),
                l.split(',').nth(6).unwrap()
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "daily_overview_acc_001:succeeded",
            "daily_overview_acc_001:failed",
            "daily_overview_acc_001:succeeded",
            "weekly_escalations_by_reason:succeeded",
            "recommended_not_purchased_acc_001:succeeded"
        ]
    );
    assert!(
        lines[0].contains(",2026-06-08T12:00:00Z,manual,"),
        "{}",
        lines[0]
    );
}

#[test]
fn ad_hoc_sql_with_parameters_and_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let out_template = format!(
        "{}/{{name}}/{{account_id}}/{{date}}-{{start_date}}.json",
        dir.path().display()
    );
    let out = run(conversql().args([
        "report", "run", "--data", &data_root(), "--as-of", AS_OF, "--name", "counts", "--state-dir",
    ])
    .arg(&state)
    .args(["--query", "SELECT count(*) AS conversations FROM conversations WHERE account_id = :'account_id' AND started_date BETWEEN DATE :'start_date' AND DATE :'end_date'"])
    .args(["--param", "account_id=acc_002", "--param", "range=last 7 days", "--out", &out_template]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let file = dir.path().join("counts/acc_002/2026-06-08-2026-06-01.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let expected = in_process(&format!(
        "SELECT count(*) FROM conversations WHERE account_id = 'acc_002' AND started_date BETWEEN DATE '{START}' AND DATE '{END}'"
    ));
    assert_eq!(json[0]["conversations"].to_string(), expected[0]);
    assert_eq!(
        text(&out.stdout).trim(),
        format!(
            "counts: 1 rows, {} bytes written to {}",
            std::fs::metadata(&file).unwrap().len(),
            file.display()
        )
    );

    // Bad input: an unknown view, an unknown parameter, two queries for csv, an unwritable output.
    for (query, out, needle) in [
        (
            "SELECT * FROM no_such_view",
            "x.csv",
            "report query: --query: ",
        ),
        (
            "SELECT :'acount'",
            "x.csv",
            "report query: --query: unknown parameter :'acount'",
        ),
        (
            "SELECT 1; SELECT 2",
            "x.csv",
            "report query: format: format csv writes one query's rows, but the SQL has 2",
        ),
        (
            "SELECT 1 AS one",
            "/proc/conversql/x.csv",
            "output /proc/conversql/x.csv: cannot",
        ),
    ] {
        let out = run(conversql()
            .current_dir(dir.path())
            .args(["report", "run", "--data", &data_root(), "--state-dir"])
            .arg(&state)
            .args(["--query", query, "--out", out]));
        assert!(!out.status.success(), "{query} must fail");
        assert!(
            text(&out.stderr).contains(needle),
            "{query}: {}",
            text(&out.stderr)
        );
    }
    assert!(!dir.path().join("x.csv").exists());
}

/// A running `conversql serve --reports`, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(reports: &Path, state: &Path) -> Serve {
    let port = free_port();
    let mut child = conversql()
        .args([
            "serve",
            "--data",
            &data_root(),
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--reports",
        ])
        .arg(reports)
        .arg("--state-dir")
        .arg(state)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port, "conversql serve --reports", &mut child);
    Serve { child, port }
}

/// `report_runs` through a real Postgres client, as rows of text.
async fn report_runs(port: u16, sql: &str) -> Vec<Vec<Option<String>>> {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=analyst dbname=conversql"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    let task = tokio::spawn(connection);
    let mut rows = vec![];
    for message in client.simple_query(sql).await.unwrap() {
        if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
            rows.push(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_string))
                    .collect(),
            );
        }
    }
    drop(client);
    let _ = task.await;
    rows
}

fn latest_six_am(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = Utc.from_utc_datetime(&now.date_naive().and_hms_opt(6, 0, 0).unwrap());
    if today <= now {
        today
    } else {
        today - chrono::Duration::days(1)
    }
}

#[tokio::test]
async fn serve_runs_schedules_catches_up_retries_and_shows_report_runs_over_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let out = dir.path().join("out");
    // Two daily reports that last ran three days ago: one catches up, one skips.
    let history = History::in_dir(&state);
    let three_days_ago = latest_six_am(Utc::now()) - chrono::Duration::days(3);
    for report in ["daily_catch_up", "daily_skip"] {
        history
            .append(&RunRecord {
                report: report.into(),
                scheduled_for: Some(three_days_ago),
                trigger: Trigger::Schedule,
                started_at: three_days_ago,
                finished_at: three_days_ago,
                attempt: 1,
                status: RunStatus::Succeeded,
                rows: Some(1),
                bytes: Some(10),
                output_url: Some("earlier".into()),
                error: None,
                accounts: None,
            })
            .unwrap();
    }
    let reports = dir.path().join("reports.toml");
    let o = out.display();
    std::fs::write(
        &reports,
        format!(
            r#"
[[report]]
name = "every_second"
sql = "SELECT count(*) AS n FROM conversations WHERE account_id = :'account_id'"
schedule = "* * * * * *"
output = "{o}/{{name}}/{{account_id}}-{{date}}-{{time}}.csv"
[report.params]
account_id = "acc_001"

[[report]]
name = "daily_catch_up"
sql = "SELECT 1 AS one"
schedule = "0 6 * * *"
output = "{o}/{{name}}/{{date}}.csv"

[[report]]
name = "daily_skip"
sql = "SELECT 1 AS one"
schedule = "0 6 * * *"
output = "{o}/{{name}}/{{date}}.csv"
missed = "skip"

[[report]]
name = "unwritable"
sql = "SELECT 1 AS one"
schedule = "*/2 * * * * *"
output = "/proc/conversql-reports/{{time}}.csv"
retries = 1
retry_backoff = "100ms"

[[report]]
name = "unknown_view"
sql = "SELECT * FROM no_such_view"
schedule = "* * * * * *"
output = "{o}/x.csv"

[[report]]
name = "bad_cron"
sql = "SELECT 1"
schedule = "0 61 * * *"
output = "{o}/y.csv"

[[report]]
name = "bad_zone"
sql = "SELECT 1"
schedule = "0 6 * * *"
timezone = "Moon/Tranquility"
output = "{o}/z.csv"
"#
        ),
    )
    .unwrap();
    let started = Instant::now();
    let server = serve(&reports, &state);

    // Wait for three scheduled runs of every_second and a final failure of unwritable.
    let deadline = Instant::now() + Duration::from_secs(25);
    loop {
        let counts = report_runs(
            server.port,
            "SELECT count(*) FILTER (WHERE report = 'every_second' AND status = 'succeeded'), \
                    count(*) FILTER (WHERE report = 'unwritable' AND status = 'failed') FROM report_runs",
        )
        .await;
        let n = |i: usize| counts[0][i].as_deref().unwrap().parse::<i64>().unwrap();
        if n(0) >= 3 && n(1) >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no three runs of every_second and a failure within 25 s: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("three scheduled runs after {:?}", started.elapsed());

    // Every second: one run per slot, whole seconds, each file whole and as recorded.
    let runs = report_runs(
        server.port,
        "SELECT scheduled_for, \"trigger\", attempt, \"rows\", bytes, output_url, extract(epoch FROM scheduled_for) \
         FROM report_runs WHERE report = 'every_second' AND status = 'succeeded' ORDER BY scheduled_for",
    )
    .await;
    let count = in_process(&format!(
        "SELECT count(*) FROM conversations WHERE account_id = '{ACCOUNT}'"
    ))[0]
        .clone();
    let mut slots = vec![];
    for run in &runs {
        let field = |i: usize| run[i].clone().unwrap();
        assert_eq!(
            (field(1).as_str(), field(2).as_str(), field(3).as_str()),
            ("schedule", "1", "1"),
            "{run:?}"
        );
        let epoch: f64 = field(6).parse().unwrap();
        assert_eq!(epoch.fract(), 0.0, "slots are whole seconds: {run:?}");
        slots.push(epoch as i64);
        let body = std::fs::read_to_string(field(5)).unwrap();
        assert_eq!(body, format!("n\n{count}\n"));
        assert_eq!(body.len().to_string(), field(4));
        assert!(field(5).contains("/every_second/acc_001-"), "{run:?}");
    }
    assert!(
        slots.windows(2).all(|w| w[1] > w[0]),
        "one run per slot: {slots:?}"
    );

    // The missed daily slot is caught up once, with the latest slot; the other is skipped.
    let slot = latest_six_am(Utc::now());
    let expected_slot = slot.timestamp().to_string();
    let missed = report_runs(
        server.port,
        "SELECT report, CAST(extract(epoch FROM scheduled_for) AS BIGINT), \"trigger\", status, error FROM report_runs \
         WHERE report IN ('daily_catch_up', 'daily_skip') AND \"trigger\" <> 'schedule' ORDER BY report",
    )
    .await;
    assert_eq!(missed.len(), 2, "{missed:?}");
    assert_eq!(
        missed[0][..4],
        [
            Some("daily_catch_up".into()),
            Some(expected_slot.clone()),
            Some("catch_up".into()),
            Some("succeeded".into())
        ]
    );
    assert_eq!(
        missed[1][..4],
        [
            Some("daily_skip".into()),
            Some(expected_slot.clone()),
            Some("catch_up".into()),
            Some("skipped".into())
        ]
    );
    assert!(
        out.join(format!("daily_catch_up/{}.csv", slot.format("%Y-%m-%d")))
            .exists()
    );
    assert!(!out.join("daily_skip").exists());

    // The unwritable output: a retried attempt, then a failure, both with the error, on the same slot.
    let failures = report_runs(
        server.port,
        "SELECT scheduled_for, attempt, status, error, output_url FROM report_runs WHERE report = 'unwritable' ORDER BY started_at LIMIT 2",
    )
    .await;
    assert_eq!(failures[0][0], failures[1][0], "{failures:?}");
    assert_eq!(
        (failures[0][1].as_deref(), failures[0][2].as_deref()),
        (Some("1"), Some("retrying"))
    );
    assert_eq!(
        (failures[1][1].as_deref(), failures[1][2].as_deref()),
        (Some("2"), Some("failed"))
    );
    for f in &failures {
        let error = f[3].clone().unwrap();
        assert!(
            error.starts_with("output /proc/conversql-reports/") && error.contains("cannot"),
            "{error}"
        );
        assert!(
            f[4].as_deref()
                .unwrap()
                .starts_with("/proc/conversql-reports/")
        );
    }

    // Rejected at load, naming the report and the field; recorded as invalid.
    let invalid = report_runs(
        server.port,
        "SELECT report, error FROM report_runs WHERE status = 'invalid' AND scheduled_for IS NULL ORDER BY report",
    )
    .await;
    let invalid: Vec<(String, String)> = invalid
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
    assert_eq!(
        invalid.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>(),
        ["bad_cron", "bad_zone", "unknown_view"]
    );
    assert!(
        invalid[0]
            .1
            .starts_with("report bad_cron: schedule: invalid cron expression '0 61 * * *'"),
        "{}",
        invalid[0].1
    );
    assert!(
        invalid[1]
            .1
            .starts_with("report bad_zone: timezone: unknown time zone 'Moon/Tranquility'"),
        "{}",
        invalid[1].1
    );
    assert!(
        invalid[2].1.starts_with("report unknown_view: sql: ")
            && invalid[2].1.contains("no_such_view"),
        "{}",
        invalid[2].1
    );

    // Only finished outputs are visible next to each other: a write in
    // progress (the schedule still runs every second) is a hidden `.….tmp`
    // file, renamed into place once complete.
    let names: Vec<String> = std::fs::read_dir(out.join("every_second"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| if n.starts_with('.') {
            Path::new(n).extension().is_some_and(|e| e == "tmp")
        } else {
            Path::new(n).extension().is_some_and(|e| e == "csv")
        }),
        "{names:?}"
    );
    drop(server);
    eprintln!("serve test took {:?}", started.elapsed());
}

/// Runs Debian's headless Chromium on `args` with a fresh profile.
fn chromium(args: &[&str]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("Debian's chromium is not installed (apt-get install chromium); scripts/test installs it");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    out
}

#[test]
fn the_html_overview_renders_in_chromium_with_bars_matching_the_numbers() {
    require!(CHROMIUM);
    let dir = tempfile::tempdir().unwrap();
    let out = run_example(
        dir.path(),
        &dir.path().join("state"),
        "daily_overview_acc_001",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = std::fs::read_to_string(
        dir.path()
            .join("reports-out/daily_overview_acc_001/2026-06-08.html"),
    )
    .unwrap();

    // A copy of the page with a probe that measures what Chromium laid out.
    let probe = r"<script>
const bars = [...document.querySelectorAll('rect.bar')].map(r => { const b = r.getBoundingClientRect();
  return {date: r.dataset.date, group: r.dataset.group, value: +r.dataset.value, top: b.top, bottom: b.bottom, height: b.height}; });
const metrics = [...document.querySelectorAll('.metric')].map(m => [m.dataset.metric, m.querySelector('.value').textContent]);
const svg = document.querySelector('svg.chart').getBoundingClientRect();
const out = document.createElement('pre'); out.id = 'measured';
out.textContent = JSON.stringify({bars, metrics, yMax: +document.querySelector('svg.chart').dataset.yMax, svgHeight: svg.height});
document.body.appendChild(out);
</script></body>";
    let probed = dir.path().join("probed.html");
    std::fs::write(&probed, page.replace("</body>", probe)).unwrap();
    let dom = text(&chromium(&["--dump-dom", &format!("file://{}", probed.display())]).stdout);
    let start =
        dom.find("<pre id=\"measured\">").expect("the probe ran") + "<pre id=\"measured\">".len();
    let json = dom[start..dom[start..].find("</pre>").unwrap() + start]
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    let measured: serde_json::Value = serde_json::from_str(&json).unwrap();

    // The bars are exactly the non-zero cells of overview_daily(…, 'channel').
    let expected: Vec<String> = in_process(&format!(
        "SELECT \"date\", \"group\", conversations FROM overview_daily('{ACCOUNT}', DATE '{START}', DATE '{END}', 'channel') \
         WHERE conversations > 0 ORDER BY 1, 2"
    ));
    let bars = measured["bars"].as_array().unwrap();
    let mut got: Vec<String> = bars
        .iter()
        .map(|b| {
            format!(
                "{}|{}|{}",
                b["date"].as_str().unwrap(),
                b["group"].as_str().unwrap(),
                b["value"]
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
    let (volume, resolved, percent, sales) = expected_overview();
    let total: i64 = bars.iter().map(|b| b["value"].as_i64().unwrap()).sum();
    assert_eq!(total, volume, "the bars add up to the total volume");

    // Drawn heights are proportional to the numbers (240 px of plot for the axis maximum),
    // and each day's bars are stacked on one another from the same baseline.
    let px_per_conversation = 240.0 / measured["yMax"].as_f64().unwrap();
    let mut baseline = None;
    for date in bars
        .iter()
        .map(|b| b["date"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let mut day: Vec<&serde_json::Value> = bars.iter().filter(|b| b["date"] == date).collect();
        day.sort_by(|a, b| {
            b["bottom"]
                .as_f64()
                .unwrap()
                .total_cmp(&a["bottom"].as_f64().unwrap())
        });
        let bottom = day[0]["bottom"].as_f64().unwrap();
        assert!(
            (bottom - *baseline.get_or_insert(bottom)).abs() < 0.01,
            "{date} starts at the baseline"
        );
        for pair in day.windows(2) {
            assert!(
                (pair[0]["top"].as_f64().unwrap() - pair[1]["bottom"].as_f64().unwrap()).abs()
                    < 0.01,
                "{date}: stacked"
            );
        }
        for bar in day {
            let want = bar["value"].as_f64().unwrap() * px_per_conversation;
            assert!(
                (bar["height"].as_f64().unwrap() - want).abs() < 0.01,
                "{bar} should be {want} px high"
            );
        }
    }

    // The four metric cards as shown.
    let metrics: Vec<String> = measured["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}={}", m[0].as_str().unwrap(), m[1].as_str().unwrap()))
        .collect();
    assert_eq!(
        metrics,
        [
            format!("total_volume={volume}"),
            format!("resolved_by_ai={resolved}"),
            format!("percent_resolved_by_ai={percent:.1}%"),
            format!(
                "ai_generated_sales={}",
                sales
                    .parse::<f64>()
                    .map(|s| if s >= 1000.0 {
                        format!("{},{:06.2}", (s / 1000.0) as i64, s % 1000.0)
                    } else {
                        format!("{s:.2}")
                    })
                    .unwrap()
            ),
        ]
    );

    // A screenshot of the page (docs/report-overview.png, shown in docs/reports.md, is made the same way).
    let shot = dir.path().join("overview.png");
    chromium(&[
        "--window-size=1100,1300",
        &format!("--screenshot={}", shot.display()),
        &format!(
            "file://{}",
            dir.path()
                .join("reports-out/daily_overview_acc_001/2026-06-08.html")
                .display()
        ),
    ]);
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "a real screenshot: {} bytes",
        png.len()
    );
}

#[test]
fn outputs_go_to_s3_in_one_put_and_are_not_overwritten_without_replace() {
    require!(MOTO_SERVER, BOTO3);
    let moto = Moto::start(&["reports"]);
    let port = moto.port;

    let dir = tempfile::tempdir().unwrap();
    let s3_run = |query: &str, extra: &[&str]| {
        run(conversql()
            .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
            .env("AWS_ACCESS_KEY_ID", "k")
            .env("AWS_SECRET_ACCESS_KEY", "s")
            .env("AWS_REGION", "us-east-1")
            .args([
                "report",
                "run",
                "--data",
                &data_root(),
                "--as-of",
                AS_OF,
                "--name",
                "volume",
                "--state-dir",
            ])
            .arg(dir.path())
            .args([
                "--query",
                query,
                "--param",
                "account_id=acc_003",
                "--out",
                "s3://reports/daily/{name}/{account_id}/{date}.csv",
            ])
            .args(extra))
    };
    let query =
        "SELECT total_volume FROM overview(:'account_id', DATE '2026-06-01', DATE '2026-06-07')";
    let out = s3_run(query, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let key = "daily/volume/acc_003/2026-06-08.csv";
    let expected = in_process(
        "SELECT total_volume FROM overview('acc_003', DATE '2026-06-01', DATE '2026-06-07')",
    );
    let read = format!(
        "print(s3.get_object(Bucket='reports', Key='{key}')['Body'].read().decode(), end='')"
    );
    assert_eq!(
        moto.boto3(&read),
        format!("total_volume\n{}\n", expected[0])
    );

    // A second run does not overwrite the object; --replace does.
    let again = s3_run("SELECT 0 AS total_volume", &[]);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains(&format!("output s3://reports/{key}: exists already")),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        moto.boto3(&read),
        format!("total_volume\n{}\n", expected[0])
    );
    let replaced = s3_run("SELECT 0 AS total_volume", &["--replace"]);
    assert!(replaced.status.success(), "{}", text(&replaced.stderr));
    assert_eq!(moto.boto3(&read), "total_volume\n0\n");
    let keys =
        moto.boto3("print([o['Key'] for o in s3.list_objects_v2(Bucket='reports')['Contents']])");
    assert_eq!(
        keys.trim(),
        format!("['{key}']"),
        "one object, no temporary ones"
    );
}
