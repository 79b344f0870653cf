//! conversql through the non-Python drivers and the BI tools' metadata queries:
//! tokio-postgres, pgjdbc (Debian's libpostgresql-jdbc-java with the machine's
//! Java), node-postgres with pg-cursor, psqlODBC through pyodbc, and the
//! connect-time and table-listing queries of Metabase, Grafana, DBeaver,
//! Tableau and Npgsql (Power BI), kept by hand in tests/bi/ (none of these
//! runs here), replayed over the extended protocol and compared with a real
//! PostgreSQL 15 where the answer's shape matters. The clients that run here
//! have their SQL captured instead (tests/integration/clients.rs).
//!
//! Every test starts its own `conversql serve` on the bundled sample and
//! checks values (the sample's overview numbers computed in-process, the
//! columns of the `conversations` view), not only that nothing failed.

mod bi;
mod pgvalue;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::common::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {conninfo}: {}", bi::describe_error(&e)));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The rows of a simple-protocol query, every cell as text (`NULL` for null).
async fn simple(client: &Client, sql: &str) -> Vec<Vec<String>> {
    let messages = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {}", bi::describe_error(&e)));
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or("NULL").to_string())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

fn assert_overview(what: &str, total: i64, resolved: i64, percent: f64, sales: &str) {
    let (t, r, p, s) = expected_overview();
    assert_eq!(
        (total, resolved),
        (t, r),
        "{what}: total_volume, resolved_by_ai"
    );
    assert!(
        (percent - p).abs() < 1e-9,
        "{what}: percent_resolved_by_ai {percent} != {p}"
    );
    assert_eq!(
        sales.parse::<f64>().unwrap(),
        s.parse::<f64>().unwrap(),
        "{what}: ai_generated_sales {sales} != {s}"
    );
}

/// The first conversations of ACCOUNT by id, as `id|status|started_date|message_count`, in-process.
fn expected_first_conversations(n: usize) -> Vec<String> {
    in_process(&format!(
        "SELECT conversation_id, status, started_date, message_count FROM conversations \
         WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT {n}"
    ))
}

// ---------------------------------------------------------------- tokio-postgres

#[test]
fn tokio_postgres_simple_and_extended_queries_with_typed_rows() {
    let server = Server::start();
    runtime().block_on(async {
        let client = connect(&server.conninfo()).await;

        // Simple protocol: the catalog.
        let schemas: Vec<String> =
            simple(&client, "SELECT schema_name FROM information_schema.schemata").await.into_iter().map(|r| r[0].clone()).collect();
        for s in ["public", "raw", "pg_catalog", "information_schema"] {
            assert!(schemas.contains(&s.to_string()), "schemata lists {s}: {schemas:?}");
        }
        let tables = simple(&client, "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public'").await;
        for v in VIEWS {
            assert!(tables.contains(&vec![v.to_string(), "VIEW".to_string()]), "{v} is a VIEW: {tables:?}");
        }
        let columns: Vec<(String, String)> = simple(
            &client,
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = 'conversations' ORDER BY ordinal_position",
        )
        .await
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
        assert_eq!(columns, expected_conversation_columns(), "columns of conversations");
        let overview_text =
            simple(&client, &format!("SELECT * FROM overview('{ACCOUNT}', DATE '{START}', DATE '{END}')")).await;
        let o = &overview_text[0];
        assert_overview("simple protocol", o[0].parse().unwrap(), o[1].parse().unwrap(), o[2].parse().unwrap(), &o[3]);

        // Extended protocol: bound parameters, binary results, typed rows.
        let stmt = client.prepare("SELECT * FROM overview($1, $2, $3)").await.unwrap_or_else(|e| panic!("prepare overview: {}", bi::describe_error(&e)));
        let names: Vec<&str> = stmt.columns().iter().map(tokio_postgres::Column::name).collect();
        assert_eq!(names, ["total_volume", "resolved_by_ai", "percent_resolved_by_ai", "ai_generated_sales"]);
        let start: chrono::NaiveDate = START.parse().unwrap();
        let end: chrono::NaiveDate = END.parse().unwrap();
        let params = stmt.params().to_vec();
        // Bind the dates as the type the server describes ($2/$3 are dates in Postgres).
        let rows = if params.get(1) == Some(&tokio_postgres::types::Type::DATE) {
            client.query(&stmt, &[&ACCOUNT, &start, &end]).await
        } else {
            client.query(&stmt, &[&ACCOUNT, &START, &END]).await
        }
        .unwrap_or_else(|e| panic!("overview with bound parameters ({params:?}): {}", bi::describe_error(&e)));
        assert_eq!(params[0], tokio_postgres::types::Type::TEXT, "overview's $1 is text");
        assert_eq!(params[1], tokio_postgres::types::Type::DATE, "overview's $2 is a date, as in Postgres");
        let row = &rows[0];
        let total: i64 = row.get(0);
        let resolved: i64 = row.get(1);
        let percent: f64 = row.get(2);
        let sales_type = stmt.columns()[3].type_().clone();
        assert_eq!(sales_type, tokio_postgres::types::Type::NUMERIC, "ai_generated_sales is numeric");
        assert_overview("extended protocol, binary", total, resolved, percent, &o[3]);

        // Typed rows of the conversations view.
        let rows = client
            .query(
                "SELECT conversation_id, status, started_at, started_date, tags, message_count \
                 FROM conversations WHERE account_id = $1 ORDER BY conversation_id",
                &[&ACCOUNT],
            )
            .await
            .unwrap_or_else(|e| panic!("conversations: {}", bi::describe_error(&e)));
        assert_eq!(rows.len() as i64, expected_conversation_count(), "conversation count");
        let expected = in_process(&format!(
            "SELECT conversation_id, status, CAST(arrow_cast(started_at, 'Int64') AS BIGINT), started_date, \
             array_to_string(tags, ','), message_count FROM conversations \
             WHERE account_id = '{ACCOUNT}' ORDER BY conversation_id LIMIT 20"
        ));
        for (row, want) in rows.iter().zip(&expected) {
            let id: String = row.get(0);
            let status: String = row.get(1);
            let started_at: chrono::DateTime<chrono::Utc> = row.get(2);
            let started_date: chrono::NaiveDate = row.get(3);
            let tags: Option<Vec<String>> = row.get(4);
            let messages: i64 = row.get(5);
            let got = format!(
                "{id}|{status}|{}|{started_date}|{}|{messages}",
                started_at.timestamp_micros(),
                tags.unwrap_or_default().join(",")
            );
            // started_at is stored in microseconds or nanoseconds; compare at microsecond precision.
            let mut want_fields: Vec<String> = want.split('|').map(str::to_string).collect();
            let raw: i64 = want_fields[2].parse().unwrap();
            want_fields[2] = if raw.abs() > 10_000_000_000_000_000 { (raw / 1000).to_string() } else { raw.to_string() };
            assert_eq!(got, want_fields.join("|"), "typed conversation row");
        }
    });
}

// ---------------------------------------------------------------- pgjdbc

/// Debian's pgjdbc (the test asks for it with `require!(PGJDBC)`).
fn jdbc_jar() -> PathBuf {
    PathBuf::from("/usr/share/java/postgresql.jar")
}

/// Compiles tests/clients/java/JdbcClient.java into a temp dir and runs it in `mode`.
fn jdbc(mode: &str, port: u16) -> Value {
    let jar = jdbc_jar();
    let classes = tempfile::tempdir().unwrap();
    let source = repo_root().join("tests/clients/java/JdbcClient.java");
    run_client(
        "javac",
        Command::new("javac")
            .arg("-d")
            .arg(classes.path())
            .arg("-cp")
            .arg(&jar)
            .arg(&source),
    );
    let classpath = format!("{}:{}", classes.path().display(), jar.display());
    let out = run_client(
        &format!("pgjdbc {mode}"),
        Command::new("java").args([
            "-cp",
            &classpath,
            "JdbcClient",
            mode,
            &port.to_string(),
            ACCOUNT,
            START,
            END,
        ]),
    );
    json_of(&format!("pgjdbc {mode}"), &out)
}

/// The first two text columns of each row of a JSON array of rows.
fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
        .collect()
}

#[test]
fn pgjdbc_database_metadata_and_prepared_statements() {
    require!(JAVA, PGJDBC);
    let server = Server::start();
    let json = jdbc("meta", server.port);
    assert_eq!(json["product"], "PostgreSQL");

    let schemas: Vec<String> = json["schemas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    for s in ["public", "raw"] {
        assert!(
            schemas.contains(&s.to_string()),
            "getSchemas lists {s}: {schemas:?}"
        );
    }
    let tables: Vec<(String, String)> = pairs(&json["tables"]);
    for v in VIEWS {
        assert!(
            tables.contains(&(v.to_string(), "VIEW".to_string())),
            "getTables lists {v} as a VIEW: {tables:?}"
        );
    }

    let columns: Vec<(String, String)> = pairs(&json["columns"]);
    let expected = expected_conversation_columns();
    let names: Vec<&String> = columns.iter().map(|c| &c.0).collect();
    let expected_names: Vec<&String> = expected.iter().map(|c| &c.0).collect();
    assert_eq!(
        names, expected_names,
        "getColumns of conversations: names in order"
    );
    // pgjdbc reports pg_type names (int8, timestamptz, _text) for information_schema's data types.
    let jdbc_type = |data_type: &str| -> &'static str {
        match data_type {
            "bigint" => "int8",
            "integer" => "int4",
            "smallint" => "int2",
            "text" | "character varying" => "text",
            "date" => "date",
            "timestamp with time zone" => "timestamptz",
            "timestamp without time zone" => "timestamp",
            "double precision" => "float8",
            "boolean" => "bool",
            "numeric" => "numeric",
            "ARRAY" => "_text",
            _ => "?",
        }
    };
    for ((name, got), (_, want)) in columns.iter().zip(&expected) {
        assert_eq!(
            got,
            jdbc_type(want),
            "getColumns TYPE_NAME of {name} (information_schema says {want})"
        );
    }
    let positions: Vec<i64> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[3].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=expected.len() as i64).collect::<Vec<_>>(),
        "ORDINAL_POSITION"
    );

    let type_names: Vec<String> = json["type_info"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    for t in [
        "int8",
        "text",
        "date",
        "timestamptz",
        "float8",
        "numeric",
        "bool",
    ] {
        assert!(type_names.contains(&t.to_string()), "getTypeInfo lists {t}");
    }

    let o = &json["overview"];
    assert_overview(
        "pgjdbc PreparedStatement",
        o[0].as_i64().unwrap(),
        o[1].as_i64().unwrap(),
        o[2].as_f64().unwrap(),
        o[3].as_str().unwrap(),
    );
    let overview_types: Vec<String> = json["overview_columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        overview_types,
        ["int8", "int8", "float8", "numeric"],
        "overview result types"
    );

    assert_eq!(
        json["conversations_count"].as_i64().unwrap(),
        expected_conversation_count(),
        "conversations count"
    );
    let first: Vec<String> = json["conversations_first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}",
                r[0].as_str().unwrap(),
                r[1].as_str().unwrap(),
                r[2].as_str().unwrap(),
                r[3]
            )
        })
        .collect();
    assert_eq!(
        first,
        expected_first_conversations(5),
        "first conversations through pgjdbc"
    );
}

/// How many rows of conversation_messages ACCOUNT has, in-process.
fn expected_message_count() -> i64 {
    in_process(&format!(
        "SELECT count(*) FROM conversation_messages WHERE account_id = '{ACCOUNT}'"
    ))[0]
        .parse()
        .unwrap()
}

#[test]
fn pgjdbc_fetch_size_reads_a_portal_in_batches() {
    require!(JAVA, PGJDBC);
    let server = Server::start();
    let json = jdbc("fetch", server.port);
    let total = expected_message_count();
    assert!(
        total > 150,
        "the sample has enough messages for several batches ({total})"
    );
    assert_eq!(json["total"].as_i64().unwrap(), total, "every row arrives");
    let batches: Vec<i64> = json["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect();
    assert!(
        batches.len() > 1 && batches.iter().all(|b| *b <= 50),
        "with setFetchSize(50) and autocommit off the rows arrive in batches of at most 50 \
         (Execute with a row limit, PortalSuspended); got batches {batches:?}"
    );
}

/// A long query stopped by `case`: SQLSTATE 57014 within a second after the 1 s
/// trigger, as real PostgreSQL does.
fn assert_stopped(json: &Value, case: &str) {
    let c = &json[case];
    assert!(
        c.get("not_stopped_after_ms").is_none(),
        "{case}: the long query was still running after 15 s: {json}"
    );
    assert_eq!(
        c["sqlstate"], "57014",
        "{case}: the long query stops with SQLSTATE 57014 (query_canceled): {json}"
    );
    let ms = c["elapsed_ms"].as_i64().unwrap();
    assert!(
        ms < 2500,
        "{case}: the query stopped {ms} ms after it started (limit 1 s + 1 s): {json}"
    );
}

/// Statement.cancel and setQueryTimeout (pgjdbc sends a CancelRequest for both)
/// on a long cross join; the connection stays usable after the cancel.
#[test]
fn pgjdbc_cancel_and_query_timeout_stop_a_long_query() {
    require!(JAVA, PGJDBC);
    let server = Server::start();
    let json = jdbc("cancel", server.port);
    assert_stopped(&json, "cancel");
    assert_stopped(&json, "query_timeout");
    assert_eq!(
        json["cancel"]["after"], 2,
        "the connection stays usable after a cancel: {json}"
    );
}

/// `SET statement_timeout = 1000` stops a long cross join; the next (short)
/// statement runs normally.
#[test]
fn pgjdbc_statement_timeout_stops_a_long_query() {
    require!(JAVA, PGJDBC);
    let server = Server::start();
    let json = jdbc("timeout", server.port);
    assert_stopped(&json, "statement_timeout");
    assert_eq!(
        json["statement_timeout"]["after"], 2,
        "a short statement after a timed-out one runs: {json}"
    );
}

// ---------------------------------------------------------------- node-postgres

fn node(mode: &str, port: u16) -> Value {
    let dir = repo_root().join("tests/clients/node");
    let out = run_client(
        &format!("node-postgres {mode}"),
        Command::new("node").current_dir(&dir).args([
            "client.js",
            mode,
            &port.to_string(),
            ACCOUNT,
            START,
            END,
        ]),
    );
    json_of(&format!("node-postgres {mode}"), &out)
}

#[test]
fn node_postgres_catalog_parameters_and_rows() {
    require!(NODE, NODE_POSTGRES);
    let server = Server::start();
    let json = node("meta", server.port);
    let schemas = strings(&json["schemas"]);
    assert!(
        schemas.contains(&"public".to_string()) && schemas.contains(&"raw".to_string()),
        "{schemas:?}"
    );
    let tables: Vec<(String, String)> = pairs(&json["tables"]);
    for v in VIEWS {
        assert!(
            tables.contains(&(v.to_string(), "VIEW".to_string())),
            "{v} is a VIEW: {tables:?}"
        );
    }
    let relkinds: Vec<(String, String)> = pairs(&json["relkinds"]);
    for v in VIEWS {
        assert!(
            relkinds.contains(&(v.to_string(), "v".to_string())),
            "pg_class.relkind of {v} is 'v': {relkinds:?}"
        );
    }
    let columns: Vec<(String, String)> = pairs(&json["columns"]);
    assert_eq!(
        columns,
        expected_conversation_columns(),
        "columns of conversations"
    );

    // node-postgres returns int8 and numeric as strings (they do not fit a JS number).
    let o = &json["overview"][0];
    assert_overview(
        "node-postgres",
        o[0].as_str().unwrap().parse().unwrap(),
        o[1].as_str().unwrap().parse().unwrap(),
        o[2].as_f64().unwrap(),
        o[3].as_str().unwrap(),
    );
    let oids: Vec<i64> = json["overview_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[1].as_i64().unwrap())
        .collect();
    assert_eq!(
        oids,
        [20, 20, 701, 1700],
        "overview column type oids (int8, int8, float8, numeric)"
    );
    assert_eq!(
        json["conversations_count"].as_i64().unwrap(),
        expected_conversation_count()
    );
    let first: Vec<String> = json["conversations_first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            // started_date arrives as a JS Date at local midnight; the test runs in UTC.
            let date = r[2].as_str().unwrap();
            format!(
                "{}|{}|{}|{}",
                r[0].as_str().unwrap(),
                r[1].as_str().unwrap(),
                &date[..10],
                r[3].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        first,
        expected_first_conversations(5),
        "first conversations through node-postgres"
    );
}

#[test]
fn node_pg_cursor_reads_a_portal_with_row_limits() {
    require!(NODE, NODE_POSTGRES);
    let server = Server::start();
    let json = node("cursor", server.port);
    let total = expected_message_count();
    assert_eq!(
        json["total"].as_i64().unwrap(),
        total,
        "every row arrives through the cursor"
    );
    let batches: Vec<i64> = json["batches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_i64().unwrap())
        .collect();
    assert!(
        batches.len() > 1 && batches.iter().all(|b| *b <= 50),
        "cursor.read(50) returns at most 50 rows per Execute; got batches {batches:?}"
    );
    assert_eq!(
        json["after"], 2,
        "the connection is usable after the cursor closes"
    );
}

// ---------------------------------------------------------------- psqlODBC

const ODBC_DRIVER: &str = "/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so";

#[test]
fn psqlodbc_tables_columns_and_parameters_through_pyodbc() {
    require!(PSQLODBC, PYODBC);
    let server = Server::start();
    let script = repo_root().join("tests/clients/odbc/odbc_client.py");
    let out = run_client(
        "pyodbc + psqlODBC",
        Command::new("python3").arg(&script).args([
            ODBC_DRIVER,
            &server.port.to_string(),
            ACCOUNT,
            START,
            END,
        ]),
    );
    let json = json_of("pyodbc + psqlODBC", &out);
    assert_eq!(json["dbms"][0], "PostgreSQL");

    let tables: Vec<(String, String)> = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[1].as_str().unwrap().to_string(),
                r[2].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for v in VIEWS {
        assert!(
            tables.contains(&(v.to_string(), "VIEW".to_string())),
            "SQLTables lists {v} as a VIEW: {tables:?}"
        );
    }
    let columns: Vec<String> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    let expected: Vec<String> = expected_conversation_columns()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(columns, expected, "SQLColumns of conversations");
    let types: Vec<String> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap().to_string())
        .collect();
    let by_name = |n: &str| types[expected.iter().position(|c| c == n).unwrap()].clone();
    assert_eq!(by_name("message_count"), "int8");
    assert_eq!(by_name("started_date"), "date");
    assert_eq!(by_name("started_at"), "timestamptz");

    let o = &json["overview"];
    assert_overview(
        "psqlODBC",
        o[0].as_i64().unwrap(),
        o[1].as_i64().unwrap(),
        o[2].as_f64().unwrap(),
        o[3].as_str().unwrap(),
    );
    assert_eq!(
        json["conversations_count"].as_i64().unwrap(),
        expected_conversation_count()
    );
    let first: Vec<String> = json["conversations_first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}|{}",
                r[0].as_str().unwrap(),
                r[1].as_str().unwrap(),
                r[2].as_str().unwrap(),
                r[3]
            )
        })
        .collect();
    assert_eq!(
        first,
        expected_first_conversations(5),
        "first conversations through psqlODBC"
    );
}

// ---------------------------------------------------------------- BI tools

/// Creates, in a fresh PostgreSQL, a database `conversql` with the same schemas,
/// views and tables (names, column names and types, comments) conversql serves,
/// read from conversql's own pg_catalog (relkind, `format_type`, `obj_description`,
/// `col_description`).
async fn mirror_schema(conversql: &Client, postgres: &Postgres) -> Client {
    let admin = connect(&postgres.conninfo("postgres")).await;
    admin
        .batch_execute("CREATE DATABASE conversql")
        .await
        .unwrap();
    let pg = connect(&postgres.conninfo("conversql")).await;
    let columns = simple(
        conversql,
        "SELECT n.nspname, c.relname, c.relkind, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname IN ('public', 'raw', 'materialized') AND c.relkind IN ('r', 'v') AND a.attnum > 0 \
         ORDER BY n.nspname, c.relname, a.attnum",
    )
    .await;
    assert!(
        columns.len() > 50,
        "conversql's pg_attribute lists the views' columns: {columns:?}"
    );
    let mut ddl = String::from("CREATE SCHEMA raw;\nCREATE SCHEMA materialized;\n");
    let mut relations: Vec<(&String, &String, &String)> =
        columns.iter().map(|c| (&c[0], &c[1], &c[2])).collect();
    relations.dedup();
    for (schema, name, kind) in relations {
        let cols: Vec<&Vec<String>> = columns
            .iter()
            .filter(|c| &c[0] == schema && &c[1] == name)
            .collect();
        let qualified = format!("\"{schema}\".\"{name}\"");
        if kind == "v" {
            let select: Vec<String> = cols
                .iter()
                .map(|c| format!("NULL::{} AS \"{}\"", c[4], c[3]))
                .collect();
            ddl.push_str(&format!(
                "CREATE VIEW {qualified} AS SELECT {} WHERE false;\n",
                select.join(", ")
            ));
        } else {
            let defs: Vec<String> = cols
                .iter()
                .map(|c| format!("\"{}\" {}", c[3], c[4]))
                .collect();
            ddl.push_str(&format!(
                "CREATE TABLE {qualified} ({});\n",
                defs.join(", ")
            ));
        }
    }
    // The documentation too, so catalog answers that carry comments (REMARKS) compare.
    let comments = simple(
        conversql,
        "SELECT n.nspname, c.relname, c.relkind, a.attname, \
         pg_catalog.obj_description(c.oid, 'pg_class'), pg_catalog.col_description(c.oid, a.attnum) \
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
         WHERE n.nspname IN ('public', 'raw', 'materialized') AND c.relkind IN ('r', 'v') AND a.attnum > 0",
    )
    .await;
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut documented = std::collections::BTreeSet::new();
    for c in &comments {
        let kind = if c[2] == "v" { "VIEW" } else { "TABLE" };
        if c[4] != "NULL" && documented.insert((c[0].clone(), c[1].clone())) {
            ddl.push_str(&format!(
                "COMMENT ON {kind} \"{}\".\"{}\" IS {};\n",
                c[0],
                c[1],
                quote(&c[4])
            ));
        }
        if c[5] != "NULL" {
            ddl.push_str(&format!(
                "COMMENT ON COLUMN \"{}\".\"{}\".\"{}\" IS {};\n",
                c[0],
                c[1],
                c[3],
                quote(&c[5])
            ));
        }
    }
    pg.batch_execute(&ddl).await.unwrap_or_else(|e| {
        panic!(
            "mirror schema in PostgreSQL: {}\n{ddl}",
            bi::describe_error(&e)
        )
    });
    pg
}

fn replay_tool(tool: &str) {
    replay_fixture(&repo_root().join(format!("tests/bi/{tool}.sql")));
}

/// Replays a fixture of client SQL (tests/bi/*.sql, tests/clients/captured/*.sql)
/// against conversql and a PostgreSQL 15 holding the same schema; fails
/// listing every statement whose answer differs.
pub(crate) fn replay_fixture(file: &std::path::Path) {
    require!(POSTGRES_SERVER);
    let tool = file.file_stem().unwrap().to_string_lossy().into_owned();
    let server = Server::start();
    let postgres = Postgres::start();
    let failures = runtime().block_on(async {
        // As the same user as the real PostgreSQL, so rows naming the user compare.
        let ours = connect(&server.conninfo().replace("user=analyst", "user=postgres")).await;
        let theirs = mirror_schema(&ours, &postgres).await;
        // Both servers answer in UTC, as a BI tool's session would set.
        theirs.batch_execute("SET TimeZone = 'UTC'").await.unwrap();
        tokio::time::timeout(
            Duration::from_mins(5),
            bi::replay_file(file, &ours, &theirs),
        )
        .await
        .expect("replay within 5 min")
    });
    assert!(
        failures.is_empty(),
        "{tool}: {} of the replayed queries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn bi_metabase_queries() {
    replay_tool("metabase");
}

#[test]
fn bi_grafana_queries() {
    replay_tool("grafana");
}

#[test]
fn bi_dbeaver_queries() {
    replay_tool("dbeaver");
}

#[test]
fn bi_tableau_queries() {
    replay_tool("tableau");
}

#[test]
fn bi_power_bi_npgsql_queries() {
    replay_tool("npgsql");
}
