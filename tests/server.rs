//! Starts the real `conversql serve` on the bundled sample data and talks to it
//! through real Postgres clients (psql and psycopg 3), checking the values
//! against the same queries run in-process.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conversql::{Engine, EngineOptions};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

const AS_OF: &str = "2026-06-08T12:00:00Z";
const ACCOUNT: &str = "acc_001";
const START: &str = "2026-05-09";
const END: &str = "2026-06-07";

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data_root() -> String {
    format!("{}/data", env!("CARGO_MANIFEST_DIR"))
}

fn start_server() -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_conversql"))
        .args(["serve", "--data", &data_root(), "--as-of", AS_OF, "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start conversql serve");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start listening within 60 s");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { child, port }
}

fn psql(port: u16, commands: &[&str]) -> (String, String) {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-A", "-t", "-F", "|", "-h", "127.0.0.1", "-p", &port.to_string(), "-U", "analyst", "conversql"]);
    for c in commands {
        cmd.args(["-c", c]);
    }
    let out = cmd.output().expect("psql must be installed (apt-get install postgresql-client)");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `sql` in-process and formats every row as `a|b|c`.
fn in_process(sql: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let engine = Engine::open(EngineOptions {
            data: data_root(),
            as_of: Some(conversql_udfs::parse_instant(AS_OF).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        let batches = session.query(sql).await.unwrap().collect().await.unwrap();
        let mut rows = vec![];
        for batch in batches {
            let options = FormatOptions::default();
            let formatters: Vec<_> =
                batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap()).collect();
            for row in 0..batch.num_rows() {
                rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect::<Vec<_>>().join("|"));
            }
        }
        rows
    })
}

#[test]
fn psql_and_psycopg_read_the_overview() {
    let server = start_server();
    let overview = format!("SELECT * FROM overview('{ACCOUNT}', '{START}', '{END}')");
    let expected = in_process(&overview);
    assert_eq!(expected.len(), 1);

    // psql: the overview, catalog commands, settings, and an error that keeps the session usable.
    let (out, err) = psql(server.port, &[&overview]);
    assert_eq!(out.trim(), expected[0], "psql overview; stderr: {err}");
    let total: i64 = expected[0].split('|').next().unwrap().parse().unwrap();
    assert!(total > 0, "the sample must have conversations for {ACCOUNT}");

    let daily = format!("SELECT * FROM overview_daily('{ACCOUNT}', '{START}', '{END}', 'channel')");
    let (out, _) = psql(server.port, &[&daily]);
    let psql_rows: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    let expected_daily = in_process(&daily);
    assert_eq!(psql_rows, expected_daily, "overview_daily through psql");
    let days = 30;
    assert_eq!(psql_rows.len() % days, 0, "every date of the range for every channel");
    let summed: i64 = psql_rows.iter().map(|r| r.rsplit('|').next().unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(summed, total, "daily counts add up to the total volume");

    let (out, err) = psql(server.port, &["\\dv", "\\d conversations"]);
    for view in [
        "conversations",
        "conversation_messages",
        "daily_conversations",
        "daily_conversations_by_tag",
        "attributed_orders",
        "customer_agent_events",
        "segment_recommended_not_purchased",
        "segment_escalated_last_7_days",
    ] {
        assert!(out.lines().any(|l| l.starts_with(&format!("public|{view}|view"))), "\\dv lists {view}: {out}{err}");
    }
    for column in [
        "started_at|timestamp with time zone",
        "started_date|date",
        "tags|text[]",
        "message_count|bigint",
        "status|text",
    ] {
        assert!(out.contains(column), "\\d conversations shows {column}: {out}");
    }

    let (out, err) = psql(
        server.port,
        &[
            "SHOW conversql.as_of",
            "SET conversql.as_of = '2026-06-01T00:00:00Z'",
            "SHOW conversql.as_of",
            "SET conversql.as_of = 'yesterday-ish'",
            "SHOW conversql.as_of",
            "RESET conversql.as_of",
            "SHOW conversql.as_of",
        ],
    );
    let shown: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(shown, [AS_OF, "2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z", AS_OF], "stderr: {err}");
    assert!(err.contains("yesterday-ish"), "bad as_of is reported: {err}");

    // psycopg 3: bound parameters, text and binary results, typed values.
    let script = format!("{}/tests/clients/psycopg_overview.py", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .args([&script, &server.port.to_string(), ACCOUNT, START, END, AS_OF])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "psycopg client failed (is psycopg installed? pip install 'psycopg[binary]'): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("psycopg output is JSON");
    assert_eq!(json["as_of"], AS_OF);
    let fields: Vec<&str> = expected[0].split('|').collect();
    for key in ["overview_text", "overview_binary"] {
        let got = &json[key];
        assert_eq!(got[0].as_i64().unwrap().to_string(), fields[0], "{key} total_volume");
        assert_eq!(got[1].as_i64().unwrap().to_string(), fields[1], "{key} resolved_by_ai");
        let percent: f64 = fields[2].parse().unwrap();
        assert_eq!(got[2].as_f64().unwrap(), percent, "{key} percent_resolved_by_ai");
        assert_eq!(got[3].as_str().unwrap(), fields[3], "{key} ai_generated_sales");
    }
    let page = in_process(&format!(
        "SELECT conversation_id, status, started_date, array_to_string(tags, ','), \
         CAST(arrow_cast(last_updated, 'Int64') AS BIGINT), message_count FROM conversations \
         WHERE account_id = '{ACCOUNT}' ORDER BY last_updated DESC, conversation_id LIMIT 5"
    ));
    for key in ["page_text", "page_binary"] {
        let rows = json[key].as_array().unwrap();
        assert_eq!(rows.len(), page.len(), "{key}");
        for (row, expected_row) in rows.iter().zip(&page) {
            let tags: Vec<&str> = row[3].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
            let got = format!(
                "{}|{}|{}|{}|{}|{}",
                row[0].as_str().unwrap(),
                row[1].as_str().unwrap(),
                row[2].as_str().unwrap(),
                tags.join(","),
                row[4].as_i64().unwrap(),
                row[5].as_i64().unwrap()
            );
            assert_eq!(&got, expected_row, "{key}");
        }
    }
    let bad = &json["bad_grouping"];
    assert_eq!(bad[0], "42601", "bad grouping error code: {bad}");
    assert!(bad[1].as_str().unwrap().contains("'channel', 'status', 'tag'"), "{bad}");
    assert_eq!(json["after_error"].as_i64().unwrap(), total, "the connection stays usable after an error");
}
