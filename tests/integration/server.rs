//! Starts the real `conversql serve` on the bundled sample data and talks to it
//! through real Postgres clients (psql and psycopg 3), checking the values
//! against the same queries run in-process.

use std::process::Command;

use conversql::{Engine, EngineOptions};

use crate::common::{AS_OF, Server, VIEWS, data_root, in_process};

const ACCOUNT: &str = "acc_001";
const START: &str = "2026-05-09";
const END: &str = "2026-06-07";

fn psql(port: u16, commands: &[&str]) -> (String, String) {
    let mut cmd = Command::new("psql");
    cmd.args([
        "-X",
        "-q",
        "-A",
        "-t",
        "-F",
        "|",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-U",
        "analyst",
        "conversql",
    ]);
    for c in commands {
        cmd.args(["-c", c]);
    }
    let out = cmd
        .output()
        .expect("psql must be installed (apt-get install postgresql-client)");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `sql` in-process and formats every row as `a|b|c`.
#[test]
fn psql_and_psycopg_read_the_overview() {
    require!(PSQL, PSYCOPG);
    let server = Server::start();
    let overview = format!("SELECT * FROM overview('{ACCOUNT}', '{START}', '{END}')");
    let expected = in_process(&overview);
    assert_eq!(expected.len(), 1);

    // psql: the overview, catalog commands, settings, and an error that keeps the session usable.
    let (out, err) = psql(server.port, &[&overview]);
    assert_eq!(out.trim(), expected[0], "psql overview; stderr: {err}");
    let total: i64 = expected[0].split('|').next().unwrap().parse().unwrap();
    assert!(
        total > 0,
        "the sample must have conversations for {ACCOUNT}"
    );

    let daily = format!("SELECT * FROM overview_daily('{ACCOUNT}', '{START}', '{END}', 'channel')");
    let (out, _) = psql(server.port, &[&daily]);
    let psql_rows: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    let expected_daily = in_process(&daily);
    assert_eq!(psql_rows, expected_daily, "overview_daily through psql");
    let days = 30;
    assert_eq!(
        psql_rows.len() % days,
        0,
        "every date of the range for every channel"
    );
    let summed: i64 = psql_rows
        .iter()
        .map(|r| r.rsplit('|').next().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(summed, total, "daily counts add up to the total volume");

    let (out, err) = psql(server.port, &["\\dv", "\\d conversations"]);
    for view in VIEWS {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("public|{view}|view"))),
            "\\dv lists {view}: {out}{err}"
        );
    }
    for column in [
        "started_at|timestamp with time zone",
        "started_date|date",
        "tags|text[]",
        "message_count|bigint",
        "status|text",
    ] {
        assert!(
            out.contains(column),
            "\\d conversations shows {column}: {out}"
        );
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
    assert_eq!(
        shown,
        [AS_OF, "2026-06-01T00:00:00Z", "2026-06-01T00:00:00Z", AS_OF],
        "stderr: {err}"
    );
    assert!(
        err.contains("yesterday-ish"),
        "bad as_of is reported: {err}"
    );

    // psycopg 3: bound parameters, text and binary results, typed values.
    let script = format!(
        "{}/tests/clients/psycopg_overview.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new("python3")
        .args([
            &script,
            &server.port.to_string(),
            ACCOUNT,
            START,
            END,
            AS_OF,
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "psycopg client failed (is psycopg installed? pip install 'psycopg[binary]'): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("psycopg output is JSON");
    assert_eq!(json["as_of"], AS_OF);
    let fields: Vec<&str> = expected[0].split('|').collect();
    for key in ["overview_text", "overview_binary"] {
        let got = &json[key];
        assert_eq!(
            got[0].as_i64().unwrap().to_string(),
            fields[0],
            "{key} total_volume"
        );
        assert_eq!(
            got[1].as_i64().unwrap().to_string(),
            fields[1],
            "{key} resolved_by_ai"
        );
        let percent: f64 = fields[2].parse().unwrap();
        assert_eq!(
            got[2].as_f64().unwrap(),
            percent,
            "{key} percent_resolved_by_ai"
        );
        assert_eq!(
            got[3].as_str().unwrap(),
            fields[3],
            "{key} ai_generated_sales"
        );
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
            let tags: Vec<&str> = row[3]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
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
    assert!(
        bad[1]
            .as_str()
            .unwrap()
            .contains("'channel', 'status', 'tag'"),
        "{bad}"
    );
    assert_eq!(
        json["after_error"].as_i64().unwrap(),
        total,
        "the connection stays usable after an error"
    );
}

/// The column names of `relation`, read in-process.
fn in_process_columns(relation: &str) -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let engine = Engine::open(EngineOptions {
            data: data_root(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        let df = session
            .query(&format!("SELECT * FROM {relation} LIMIT 0"))
            .await
            .unwrap();
        df.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    })
}

fn view_names() -> Vec<String> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        Engine::open(EngineOptions {
            data: data_root(),
            ..Default::default()
        })
        .await
        .unwrap()
        .view_names()
    })
}

#[test]
fn psql_catalog_commands_comments_and_views() {
    require!(PSQL);
    let server = Server::start();
    let views = view_names();
    assert!(views.len() >= 14, "{views:?}");
    let lines = |out: &str| {
        out.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };

    // \l, \dn, \dt (public has no tables), \dt raw.*, \dv, \df.
    let (out, err) = psql(server.port, &["\\l"]);
    assert!(
        out.lines().any(|l| l.starts_with("conversql|")),
        "\\l lists conversql: {out}{err}"
    );
    let (out, err) = psql(server.port, &["\\dn"]);
    assert_eq!(
        lines(&out),
        ["materialized|postgres", "public|postgres", "raw|postgres"],
        "\\dn: {err}"
    );
    let (out, err) = psql(server.port, &["\\dt"]);
    assert!(
        out.trim().is_empty() && err.is_empty(),
        "\\dt lists no table of public: {out}{err}"
    );
    let (out, err) = psql(server.port, &["\\dt raw.*"]);
    let raw: Vec<String> = ["accounts", "events", "messages", "profiles"]
        .iter()
        .map(|t| format!("raw|{t}|table|postgres"))
        .collect();
    assert_eq!(lines(&out), raw, "\\dt raw.*: {err}");
    let (out, err) = psql(server.port, &["\\dv"]);
    let listed: Vec<String> = views
        .iter()
        .map(|v| format!("public|{v}|view|postgres"))
        .collect();
    assert_eq!(lines(&out), listed, "\\dv: {err}");
    let (out, err) = psql(server.port, &["\\df"]);
    assert!(
        out.lines().any(|l| l == "public|overview|TABLE(total_volume bigint, resolved_by_ai bigint, percent_resolved_by_ai double precision, ai_generated_sales numeric)|account_id text, start_date date, end_date date|func"),
        "\\df lists overview: {out}{err}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("public|overview_daily|")),
        "\\df lists overview_daily: {out}"
    );

    // \dv+ and \dn+ show the comments.
    let (out, err) = psql(server.port, &["\\dv+ conversations", "\\dn+"]);
    assert!(
        out.lines().any(|l| l.starts_with("public|conversations|view|") && l.ends_with("|One row per conversation, judged as of the session's instant T (SET conversql.as_of): the conversations table of the overview (docs/contract.md sections 3 and 9).")),
        "\\dv+ shows the view's comment: {out}{err}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("raw|postgres||The contract tables")),
        "\\dn+: {out}"
    );

    // \d conversations: the view's columns, in order.
    let (out, err) = psql(server.port, &["\\d conversations"]);
    let shown: Vec<String> = out
        .lines()
        .filter_map(|l| l.split('|').next())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(
        shown,
        in_process_columns("conversations"),
        "\\d conversations: {err}"
    );

    // \d+ conversations: columns with their comments (the helper's tuples-only
    // output leaves out the footer with the view's definition).
    let (out, err) = psql(server.port, &["\\d+ conversations", "\\d+ raw.messages"]);
    assert!(err.is_empty(), "\\d+: {err}");
    assert!(
        out.lines().any(|l| l.starts_with("status|text|")
            && l.ends_with("|extended|Routed, Closed, Open or Resolved by the five-step rule of docs/contract.md section 3, as of T.")),
        "\\d+ conversations shows status with its comment: {out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("message_id|text||not null||extended|")
                && l.contains("at-least-once")),
        "\\d+ raw.messages shows message_id with its comment: {out}"
    );

    // \x output of one row.
    let mut cmd = Command::new("psql");
    cmd.args([
        "-X",
        "-q",
        "-A",
        "-x",
        "-h",
        "127.0.0.1",
        "-p",
        &server.port.to_string(),
        "-U",
        "analyst",
        "conversql",
    ]);
    cmd.args(["-c", &format!("SET conversql.as_of = '{AS_OF}'")]);
    cmd.args(["-c", "SELECT conversation_id, status, message_count FROM conversations WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 1"]);
    let out = String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned();
    let expected = in_process(
        "SELECT conversation_id, status, message_count FROM conversations WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 1",
    );
    let fields: Vec<&str> = expected[0].split('|').collect();
    let shown: Vec<&str> = out.lines().filter(|l| l.contains('|')).collect();
    assert_eq!(
        shown,
        [
            format!("conversation_id|{}", fields[0]),
            format!("status|{}", fields[1]),
            format!("message_count|{}", fields[2])
        ],
        "\\x row: {out}"
    );

    // Every view and every column (views and raw tables) carries a comment.
    let (out, err) = psql(
        server.port,
        &[
            "SELECT n.nspname || '.' || c.relname || '.' || a.attname FROM pg_catalog.pg_class c \
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
           JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
           WHERE n.nspname IN ('public', 'raw') AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NULL",
        ],
    );
    assert!(
        out.trim().is_empty() && err.is_empty(),
        "columns without a comment:\n{out}{err}"
    );
    let (out, err) = psql(
        server.port,
        &[
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
           WHERE n.nspname IN ('public', 'raw') AND obj_description(c.oid, 'pg_class') IS NULL",
        ],
    );
    assert!(
        out.trim().is_empty() && err.is_empty(),
        "relations without a comment:\n{out}{err}"
    );
    let (out, _) = psql(
        server.port,
        &[
            "SELECT count(*) FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid \
           JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND d.objsubid = 0",
        ],
    );
    assert_eq!(
        out.trim(),
        views.len().to_string(),
        "pg_description has one comment per view"
    );
    let (out, _) = psql(
        server.port,
        &[
            "SELECT col_description(c.oid, 4) FROM pg_catalog.pg_class c WHERE c.relname = 'conversations'",
        ],
    );
    assert!(
        out.contains("five-step rule"),
        "col_description(conversations.status): {out}"
    );

    // pgjdbc's getTables joins pg_description on classoid = 'pg_class'::regclass.
    let (out, err) = psql(
        server.port,
        &[
            "SELECT c.relname, d.description IS NOT NULL FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c            LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass)            WHERE c.relnamespace = n.oid AND n.nspname = 'public' ORDER BY 1",
        ],
    );
    let expected: Vec<String> = views.iter().map(|v| format!("{v}|t")).collect();
    assert_eq!(
        lines(&out),
        expected,
        "remarks through 'pg_class'::regclass: {err}"
    );

    // Views are views: relkind, pg_views, information_schema.
    let (out, _) = psql(
        server.port,
        &[
            "SELECT c.relkind, count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
           WHERE n.nspname IN ('public', 'raw') GROUP BY n.nspname, c.relkind ORDER BY 1",
        ],
    );
    assert_eq!(
        lines(&out),
        ["r|4".to_string(), format!("v|{}", views.len())],
        "relkinds"
    );
    let (out, _) = psql(
        server.port,
        &[
            "SELECT viewname, definition LIKE ' SELECT%' FROM pg_catalog.pg_views WHERE schemaname = 'public' ORDER BY 1",
        ],
    );
    let expected: Vec<String> = views.iter().map(|v| format!("{v}|t")).collect();
    assert_eq!(lines(&out), expected, "pg_views");
    let (out, _) = psql(
        server.port,
        &[
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1",
        ],
    );
    assert_eq!(lines(&out), views, "information_schema.views");
    let (out, _) = psql(
        server.port,
        &[
            "SELECT DISTINCT table_type FROM information_schema.tables WHERE table_schema = 'public'",
        ],
    );
    assert_eq!(out.trim(), "VIEW");

    // version() is PostgreSQL-shaped and agrees with server_version.
    let (out, _) = psql(server.port, &["SELECT version()", "SHOW server_version"]);
    let shown = lines(&out);
    assert!(
        shown[0].starts_with(&format!("PostgreSQL {} ", shown[1]))
            && shown[0].contains("conversql"),
        "{shown:?}"
    );
}

#[test]
fn python_clients_list_the_catalog_and_read_values() {
    require!(PSYCOPG, PSYCOPG2, SQLALCHEMY, PANDAS, ASYNCPG);
    let server = Server::start();
    let script = format!(
        "{}/tests/clients/catalog_clients.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new("python3")
        .args([
            &script,
            &server.port.to_string(),
            ACCOUNT,
            START,
            END,
            AS_OF,
        ])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python clients failed (pip install -r tests/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("client output is JSON");
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let views = view_names();
    let columns = in_process_columns("conversations");

    let overview = in_process(&format!(
        "SELECT * FROM overview('{ACCOUNT}', '{START}', '{END}')"
    ));
    let fields: Vec<&str> = overview[0].split('|').collect();
    for key in ["psycopg2_overview", "pandas_overview", "asyncpg_overview"] {
        let got = &json[key];
        assert_eq!(
            got[0].as_i64().unwrap().to_string(),
            fields[0],
            "{key} total_volume"
        );
        assert_eq!(
            got[1].as_i64().unwrap().to_string(),
            fields[1],
            "{key} resolved_by_ai"
        );
        assert_eq!(
            got[2].as_f64().unwrap(),
            fields[2].parse::<f64>().unwrap(),
            "{key} percent"
        );
        assert_eq!(
            got[3].as_str().unwrap(),
            fields[3],
            "{key} ai_generated_sales"
        );
    }
    let page = in_process(&format!(
        "SELECT conversation_id, status, message_count FROM conversations \
         WHERE account_id = '{ACCOUNT}' ORDER BY last_updated DESC, conversation_id LIMIT 5"
    ));
    for key in ["psycopg2_page", "pandas_page", "asyncpg_page"] {
        let rows: Vec<String> = json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}|{}|{}",
                    r[0].as_str().unwrap(),
                    r[1].as_str().unwrap(),
                    r[2].as_i64().unwrap()
                )
            })
            .collect();
        assert_eq!(rows, page, "{key}");
    }

    assert_eq!(
        strings(&json["psycopg2_schemas"]),
        [
            "information_schema",
            "materialized",
            "pg_catalog",
            "public",
            "raw"
        ],
        "pg_namespace lists information_schema, as PostgreSQL does"
    );
    assert_eq!(
        strings(&json["psycopg2_function_columns"]),
        ["count", "max"],
        "Postgres-style column names"
    );
    assert_eq!(strings(&json["psycopg2_views"]), views);
    assert_eq!(strings(&json["psycopg2_columns"]), columns);
    assert_eq!(
        strings(&json["pandas_overview_columns"]),
        [
            "total_volume",
            "resolved_by_ai",
            "percent_resolved_by_ai",
            "ai_generated_sales"
        ]
    );
    assert_eq!(
        strings(&json["asyncpg_parameter_types"]),
        ["text", "date", "date"],
        "asyncpg types the overview's parameters"
    );
    assert_eq!(
        strings(&json["asyncpg_overview_types"]),
        ["int8", "int8", "float8", "numeric"]
    );
    assert_eq!(
        json["asyncpg_tags_type"], "list",
        "asyncpg decodes text[] with its built-in codec"
    );
    let introspected: Vec<Vec<String>> = json["asyncpg_introspected_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(strings)
        .collect();
    assert_eq!(
        introspected,
        [
            ["int8[]", "array", "pg_catalog"],
            ["float8[]", "array", "pg_catalog"]
        ],
        "asyncpg's type introspection"
    );
    let counts = in_process(&format!(
        "SELECT message_count FROM conversations WHERE account_id = '{ACCOUNT}' AND started_date = DATE '{START}' ORDER BY conversation_id"
    ));
    assert!(counts.len() > 3, "{counts:?}");
    let ints: Vec<i64> = json["asyncpg_int8_array"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(
        ints.iter()
            .map(std::string::ToString::to_string)
            .collect::<Vec<_>>(),
        counts,
        "int8[] decoded by asyncpg"
    );
    let halves: Vec<f64> = json["asyncpg_float8_array"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(
        halves,
        ints.iter().map(|v| *v as f64 / 2.0).collect::<Vec<_>>(),
        "float8[] decoded by asyncpg"
    );

    for driver in ["sqlalchemy_psycopg2", "sqlalchemy_psycopg"] {
        let s = &json[driver];
        assert_eq!(
            strings(&s["schemas"]),
            ["information_schema", "materialized", "public", "raw"],
            "{driver} get_schema_names (as against PostgreSQL)"
        );
        assert!(
            s["tables"].as_array().unwrap().is_empty(),
            "{driver}: public has views only"
        );
        assert_eq!(
            strings(&s["raw_tables"]),
            ["accounts", "events", "messages", "profiles"],
            "{driver} raw tables"
        );
        assert_eq!(strings(&s["views"]), views, "{driver} get_view_names");
        assert_eq!(strings(&s["columns"]), columns, "{driver} get_columns");
        assert!(
            s["column_comments"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c.as_str().is_some_and(|c| !c.is_empty())),
            "{driver} column comments"
        );
        assert!(
            s["table_comment"]
                .as_str()
                .unwrap()
                .starts_with("One row per conversation"),
            "{driver} table comment"
        );
        assert!(
            s["view_definition"]
                .as_str()
                .unwrap()
                .trim_start()
                .starts_with("SELECT"),
            "{driver} view definition"
        );
        assert_eq!(s["types"]["started_at"], "TIMESTAMP");
        assert_eq!(s["types"]["message_count"], "BIGINT");
    }

    // Cursors stream the query in steps; savepoints are no-ops; writes are refused with 25006.
    let ids = in_process(&format!(
        "SELECT conversation_id FROM conversations WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id"
    ));
    let cursor = &json["cursor"];
    assert_eq!(strings(&cursor["first"]), ids[..2]);
    assert_eq!(cursor["moved"], "MOVE 3");
    assert_eq!(strings(&cursor["next"]), ids[5..6]);
    assert_eq!(cursor["rest"].as_u64().unwrap() as usize, ids.len() - 6);
    let stream = &json["cursor_stream"];
    assert_eq!(
        stream["rows"],
        serde_json::json!([1, 2, 3, 4, 5]),
        "a cursor over ten billion rows"
    );
    assert!(
        stream["seconds"].as_f64().unwrap() < 10.0,
        "the cursor streams instead of collecting: {stream}"
    );
    for (sql, state) in json["refused"].as_object().unwrap() {
        assert_eq!(state, "25006", "{sql} must be refused as read-only");
    }
    // psycopg 3's named (server-side) cursors: DECLARE, then Describe of the cursor as a portal, then FETCH.
    assert_eq!(
        json["named_cursor"].as_u64(),
        Some(ids.len() as u64),
        "named cursor: {}",
        json["named_cursor"]
    );
}
