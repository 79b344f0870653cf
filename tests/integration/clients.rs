//! conversql through the clients analysts and data engineers use, in their
//! current releases (scripts/install-python-clients installs them: the light
//! ones from tests/requirements.txt, the heavy or conflicting ones each in its
//! own virtual environment from tests/clients/venvs/): polars (ADBC and
//! connectorx), psycopg's COPY, adbc-driver-postgresql, pg8000, SQLAlchemy, ibis, pgcli,
//! harlequin, DuckDB's PostgreSQL scanner, Apache Superset and dbt-postgres.
//!
//! Two kinds of test per client:
//! - `<client>_…`: the scenario tests/clients/<client>_client.py does what a
//!   user of the client does against `conversql serve` and prints what it
//!   read; every value is compared with the answer of a plain query to the
//!   same server (not only that nothing failed);
//! - `captured_<client>`: the SQL the client sent to a real PostgreSQL 15
//!   while the same scenario ran (tests/clients/captured/<client>.sql, made by
//!   scripts/capture-client-sql) is replayed against conversql and that
//!   PostgreSQL, and each answer's column names and types must be equal.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::common::require::venv_bin;
use crate::common::*;

/// Rows of a plain query to `server` (simple protocol), every cell as text, `NULL` for null.
fn plain(server: &Server, sql: &str) -> Vec<Vec<String>> {
    let conninfo = server.conninfo();
    let sql = sql.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
                tokio::spawn(connection);
                let messages = client
                    .simple_query(&sql)
                    .await
                    .unwrap_or_else(|e| panic!("plain query {sql}: {e:?}"));
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
            })
    })
    .join()
    .unwrap()
}

/// The first column of a plain query.
fn plain_column(server: &Server, sql: &str) -> Vec<String> {
    plain(server, sql)
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// A JSON value as the text a plain query gives (numbers as written, null as `NULL`).
fn text(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "t" } else { "f" }.to_string(),
        other => other.to_string(),
    }
}

/// A JSON array of rows as text rows.
fn rows(v: &Value) -> Vec<Vec<String>> {
    v.as_array()
        .unwrap_or_else(|| panic!("rows expected, got {v}"))
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(text).collect())
        .collect()
}

/// A JSON array as text.
fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array expected, got {v}"))
        .iter()
        .map(text)
        .collect()
}

/// Runs tests/clients/<script> with `python` against `server` and parses its JSON.
fn scenario(python: &Path, script: &str, server: &Server) -> Value {
    let out = run_client(
        script,
        Command::new(python)
            .arg(repo_root().join("tests/clients").join(script))
            .args([ACCOUNT, START, END])
            .env("PGHOST", "127.0.0.1")
            .env("PGPORT", server.port.to_string())
            .env("PGUSER", "analyst")
            .env("PGDATABASE", "conversql")
            .env_remove("CONVERSQL_CAPTURE"),
    );
    json_of(script, &out)
}

fn machine_python() -> &'static Path {
    Path::new("python3")
}

const FIRST_CONVERSATIONS: &str = "SELECT conversation_id, status, message_count FROM conversations \
     WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10";

const BY_STATUS: &str = "SELECT status, count(*) FROM conversations \
     WHERE account_id = 'acc_001' GROUP BY status ORDER BY status";

fn public_relations(server: &Server) -> Vec<String> {
    plain_column(
        server,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    )
}

fn public_views(server: &Server) -> Vec<String> {
    plain_column(
        server,
        "SELECT table_name FROM information_schema.views WHERE table_schema = 'public' ORDER BY 1",
    )
}

/// The columns of `conversations` as (name, `format_type`), in order.
fn conversation_columns(server: &Server) -> Vec<(String, String)> {
    plain(
        server,
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname = 'conversations' AND a.attnum > 0 \
         ORDER BY a.attnum",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect()
}

fn conversation_column_names(server: &Server) -> Vec<String> {
    conversation_columns(server)
        .into_iter()
        .map(|c| c.0)
        .collect()
}

/// A query with text, bigint, numeric, date, timestamptz and (nullable) text
/// columns, read through `COPY` by the clients that read so.
const WIDE_CONVERSATIONS: &str = "SELECT conversation_id, status, message_count, \
     CAST(message_count AS numeric(12,2)) / 4 AS quarter, started_date, started_at, first_question \
     FROM conversations WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10";

/// The column of [`WIDE_CONVERSATIONS`] that is numeric.
const WIDE_NUMERIC: usize = 3;

/// `rows` with the numeric column's trailing fractional zeros dropped
/// (clients give a numeric the scale of their own decimal type).
fn numeric_trimmed(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    for row in &mut rows {
        let v = &mut row[WIDE_NUMERIC];
        if v.contains('.') {
            *v = v.trim_end_matches('0').trim_end_matches('.').to_string();
        }
    }
    rows
}

fn bound_count_and_messages(server: &Server) -> Vec<String> {
    plain(
        server,
        &format!(
            "SELECT count(*), sum(message_count) FROM conversations WHERE account_id = '{ACCOUNT}' \
             AND started_date BETWEEN DATE '{START}' AND DATE '{END}'"
        ),
    )
    .remove(0)
}

// ---------------------------------------------------------------- ADBC, polars

#[test]
fn adbc_arrow_tables_bound_parameters_and_objects() {
    require!(ADBC_POSTGRESQL, PYARROW);
    let server = Server::start();
    let json = scenario(machine_python(), "adbc_client.py", &server);
    // fetch_arrow_table reads through `COPY (query) TO STDOUT (FORMAT binary)`.
    assert_eq!(
        rows(&json["rows"]),
        plain(&server, FIRST_CONVERSATIONS),
        "fetch_arrow_table"
    );
    assert_eq!(
        json["types"],
        serde_json::json!(["string", "string", "int64"]),
        "Arrow types of text, text, bigint"
    );
    assert_eq!(
        texts(&json["bound"]),
        bound_count_and_messages(&server),
        "$1..$3 bound"
    );
    let objects = json["objects"].as_array().unwrap();
    assert_eq!(
        objects.len(),
        1,
        "adbc_get_objects finds conversations once: {objects:?}"
    );
    assert_eq!(objects[0]["catalog"], "conversql");
    assert_eq!(objects[0]["schema"], "public");
    assert_eq!(objects[0]["type"], "view");
    assert_eq!(
        texts(&objects[0]["columns"]),
        conversation_column_names(&server)
    );
    assert_eq!(texts(&json["public_tables"]), public_relations(&server));
    let schema: Vec<String> = rows(&json["table_schema"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        schema,
        conversation_column_names(&server),
        "adbc_get_table_schema"
    );
}

#[test]
fn polars_reads_through_adbc_and_connectorx_cursor_and_default_protocol() {
    require!(POLARS, CONNECTORX, ADBC_POSTGRESQL);
    let server = Server::start();
    let json = scenario(machine_python(), "polars_client.py", &server);
    let want = plain(
        &server,
        "SELECT conversation_id, status, message_count, started_date FROM conversations \
         WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10",
    );
    assert_eq!(rows(&json["adbc"]), want, "engine=adbc");
    assert_eq!(
        rows(&json["connectorx_cursor"]),
        want,
        "connectorx, protocol=cursor"
    );
    assert_eq!(
        numeric_trimmed(rows(&json["connectorx_default"])),
        numeric_trimmed(plain(&server, WIDE_CONVERSATIONS)),
        "connectorx's default protocol (binary COPY)"
    );
    assert_eq!(
        json["connectorx_default_dtypes"],
        serde_json::json!([
            "String",
            "String",
            "Int64",
            "Decimal(precision=38, scale=10)",
            "Date",
            "Datetime(time_unit='us', time_zone='UTC')",
            "String"
        ]),
    );
    for key in ["adbc_dtypes", "connectorx_dtypes"] {
        assert_eq!(
            json[key],
            serde_json::json!(["String", "String", "Int64", "Date"]),
            "{key}"
        );
    }
}

// ---------------------------------------------------------------- psycopg COPY

#[test]
fn psycopg_copy_to_stdout_in_text_and_binary() {
    require!(PSYCOPG);
    let server = Server::start();
    let json = scenario(machine_python(), "psycopg_copy.py", &server);
    let want = plain(&server, WIDE_CONVERSATIONS);
    assert_eq!(rows(&json["text"]), want, "cursor.copy, text format");
    assert_eq!(
        rows(&json["binary"]),
        want,
        "cursor.copy, FORMAT BINARY, set_types and read_row"
    );
}

// ---------------------------------------------------------------- pg8000, SQLAlchemy

#[test]
fn pg8000_catalog_bound_parameters_and_rows() {
    require!(PG8000);
    let server = Server::start();
    let json = scenario(machine_python(), "pg8000_client.py", &server);
    assert_eq!(texts(&json["tables"]), public_relations(&server));
    let columns = plain(
        &server,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = 'conversations' ORDER BY ordinal_position",
    );
    assert_eq!(rows(&json["columns"]), columns);
    assert_eq!(texts(&json["bound"]), bound_count_and_messages(&server));
    let want = plain(
        &server,
        "SELECT conversation_id, status, message_count, started_date FROM conversations \
         WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10",
    );
    assert_eq!(rows(&json["rows"]), want);
}

#[test]
fn sqlalchemy_current_release_inspects_columns() {
    require!(SQLALCHEMY);
    let server = Server::start();
    let json = scenario(machine_python(), "sqlalchemy_client.py", &server);
    assert!(
        json["version"].as_str().unwrap() >= "2.1",
        "the current SQLAlchemy: {}",
        json["version"]
    );
    let count = plain_column(
        &server,
        &format!("SELECT count(*) FROM conversations WHERE account_id = '{ACCOUNT}'"),
    );
    for driver in ["psycopg", "psycopg2"] {
        assert_eq!(
            texts(&json[format!("{driver}_views")]),
            public_views(&server),
            "{driver}"
        );
        let names: Vec<String> = rows(&json[format!("{driver}_columns")])
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(
            names,
            conversation_column_names(&server),
            "{driver} get_columns"
        );
        assert_eq!(
            text(&json[format!("{driver}_count")]),
            count[0],
            "{driver} count"
        );
    }
}

// ---------------------------------------------------------------- ibis

#[test]
fn ibis_tables_schema_aggregation_and_sql() {
    require!(IBIS);
    let server = Server::start();
    let json = scenario(machine_python(), "ibis_client.py", &server);
    let tables = texts(&json["tables"]);
    for v in VIEWS {
        assert!(
            tables.contains(&v.to_string()),
            "list_tables has {v}: {tables:?}"
        );
    }
    let schema: Vec<String> = rows(&json["schema"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(
        schema,
        conversation_column_names(&server),
        "the table's schema"
    );
    let want = plain(
        &server,
        "SELECT status, count(*), sum(message_count) FROM conversations \
         WHERE account_id = 'acc_001' GROUP BY status ORDER BY status",
    );
    assert_eq!(rows(&json["aggregation"]), want, "group_by/aggregate");
    assert_eq!(
        rows(&json["sql_schema"]),
        vec![
            vec!["status".to_string(), "string".to_string()],
            vec!["n".to_string(), "int64".to_string()]
        ]
    );
    assert_eq!(rows(&json["sql"]), plain(&server, BY_STATUS), ".sql()");
}

// ---------------------------------------------------------------- pgcli, harlequin

#[test]
fn pgcli_starts_refreshes_completions_and_describes() {
    require!(PGCLI);
    let server = Server::start();
    let json = scenario(
        &venv_bin("pgcli").join("python"),
        "pgcli_client.py",
        &server,
    );
    assert_eq!(
        text(&json["server_time_zone"]),
        plain_column(&server, "SELECT current_setting('TimeZone')")[0]
    );
    // The scenario's local zone is the server's (UTC, the only zone conversql
    // reports instants in): pgcli leaves the session's zone as it is.
    assert_eq!(
        json["time_zone_after"], json["server_time_zone"],
        "pgcli's time zone after starting"
    );
    let search_path = texts(&json["search_path"]);
    assert!(
        search_path.contains(&"public".to_string()),
        "{search_path:?}"
    );
    let schemata = texts(&json["schemata"]);
    for s in ["public", "raw"] {
        assert!(
            schemata.contains(&s.to_string()),
            "completion schemata {schemata:?}"
        );
    }
    assert_eq!(
        texts(&json["views"]),
        public_views(&server),
        "completion views"
    );
    assert_eq!(
        texts(&json["view_columns"]),
        conversation_column_names(&server),
        "completion columns of conversations"
    );
    let databases = texts(&json["databases"]);
    assert!(
        databases.contains(&"conversql".to_string()),
        "{databases:?}"
    );
    let described = json["describe"].as_array().unwrap();
    let table = described
        .iter()
        .find(|d| {
            d["headers"]
                .as_array()
                .is_some_and(|h| h.first() == Some(&Value::from("Column")))
        })
        .unwrap_or_else(|| panic!("\\d+ conversations gave no column table: {described:?}"));
    let got: Vec<(String, String)> = rows(&table["rows"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        got,
        conversation_columns(&server),
        "\\d+ conversations: columns and types"
    );
}

#[test]
fn harlequin_catalog_describe_and_query() {
    require!(HARLEQUIN);
    let server = Server::start();
    let json = scenario(
        &venv_bin("harlequin").join("python"),
        "harlequin_client.py",
        &server,
    );
    assert!(texts(&json["databases"]).contains(&"conversql".to_string()));
    let schemas = texts(&json["schemas"]);
    for s in ["public", "raw"] {
        assert!(schemas.contains(&s.to_string()), "{schemas:?}");
    }
    let relations: Vec<String> = rows(&json["public_relations"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(relations, public_relations(&server));
    // harlequin reads a relation's columns from information_schema.columns.
    let columns: Vec<Vec<String>> = rows(&json["columns"])
        .into_iter()
        .map(|r| r[..2].to_vec())
        .collect();
    let want = plain(
        &server,
        "SELECT column_name, data_type FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = 'conversations' ORDER BY ordinal_position",
    );
    assert_eq!(columns, want, "catalog columns of conversations");
    assert_eq!(texts(&json["describe_columns"])[..2], ["Column", "Type"]);
    let described: Vec<(String, String)> = rows(&json["describe"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        described,
        conversation_columns(&server),
        "Describe Relation (\\d+)"
    );
    assert_eq!(rows(&json["query"]), plain(&server, BY_STATUS));
}

// ---------------------------------------------------------------- DuckDB

#[test]
fn duckdb_postgres_scanner_attaches_and_scans_in_text_and_default_modes() {
    require!(DUCKDB);
    let server = Server::start();
    let json = scenario(
        &venv_bin("duckdb").join("python"),
        "duckdb_client.py",
        &server,
    );
    let mut attached = texts(&json["views"]);
    attached.sort();
    assert_eq!(
        attached,
        public_relations(&server),
        "ATTACH: what public holds"
    );
    let columns: Vec<String> = rows(&json["columns"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(columns, conversation_column_names(&server));
    assert_eq!(
        rows(&json["scan"]),
        plain(&server, FIRST_CONVERSATIONS),
        "scan"
    );
    assert_eq!(
        rows(&json["aggregate"]),
        plain(&server, BY_STATUS),
        "aggregate over a scan"
    );
    assert_eq!(
        rows(&json["binary_scan"]),
        plain(&server, FIRST_CONVERSATIONS),
        "a scan of the attached view in the default mode (binary COPY)"
    );
    assert_eq!(
        numeric_trimmed(rows(&json["binary_query"])),
        numeric_trimmed(plain(&server, WIDE_CONVERSATIONS)),
        "postgres_query in the default mode (binary COPY)"
    );
}

// ---------------------------------------------------------------- Superset, dbt

#[test]
fn superset_metadata_and_sql_lab() {
    require!(SUPERSET);
    let server = Server::start();
    let json = scenario(
        &venv_bin("superset").join("python"),
        "superset_client.py",
        &server,
    );
    let schemas = texts(&json["schemas"]);
    for s in ["public", "raw"] {
        assert!(schemas.contains(&s.to_string()), "{schemas:?}");
    }
    assert_eq!(texts(&json["views"]), public_views(&server));
    let columns: Vec<String> = rows(&json["columns"])
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(columns, conversation_column_names(&server));
    let indexes = plain_column(
        &server,
        "SELECT i.relname FROM pg_catalog.pg_index x JOIN pg_catalog.pg_class c ON c.oid = x.indrelid \
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid WHERE c.relname = 'conversations' ORDER BY 1",
    );
    let mut got: Vec<String> = json["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| text(&i["name"]))
        .collect();
    got.sort();
    assert_eq!(got, indexes, "get_indexes");
    let primary_keys = plain_column(
        &server,
        "SELECT count(*) FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid \
         WHERE c.relname = 'conversations' AND k.contype = 'p'",
    );
    assert_eq!(primary_keys, ["0"], "conversations has no primary key");
    // SQLAlchemy 1.4 (Superset's) reports no primary key as null columns, as with PostgreSQL.
    assert!(
        json["pk"]["constrained_columns"].is_null()
            || json["pk"]["constrained_columns"] == serde_json::json!([]),
        "get_pk_constraint: {}",
        json["pk"]
    );
    assert_eq!(json["foreign_keys"], serde_json::json!([]));
    assert_eq!(
        rows(&json["sql_lab"]["data"]),
        plain(&server, BY_STATUS),
        "SQL Lab"
    );
    let overview = plain(
        &server,
        &format!("SELECT * FROM overview('{ACCOUNT}', DATE '{START}', DATE '{END}')"),
    );
    let got = rows(&json["sql_lab_overview"]["data"]);
    assert_eq!(got.len(), 1, "one overview row");
    for (g, w) in got[0].iter().zip(&overview[0]) {
        assert_eq!(
            g.parse::<f64>().unwrap(),
            w.parse::<f64>().unwrap(),
            "SQL Lab overview {got:?} != {overview:?}"
        );
    }
}

#[test]
fn dbt_debug_run_test_and_docs_generate() {
    require!(DBT);
    let server = Server::start();
    let json = scenario(&venv_bin("dbt").join("python"), "dbt_client.py", &server);
    assert_eq!(
        json["debug"]["success"], true,
        "dbt debug: {}",
        json["debug"]
    );
    let nulls = |column: &str| {
        plain_column(
            &server,
            &format!("SELECT count(*) FROM conversations WHERE {column} IS NULL"),
        )[0]
        .parse::<i64>()
        .unwrap()
    };
    let duplicates = plain_column(
        &server,
        "SELECT count(*) FROM (SELECT conversation_id FROM conversations \
         WHERE conversation_id IS NOT NULL GROUP BY conversation_id HAVING count(*) > 1) d",
    )[0]
    .parse::<i64>()
    .unwrap();
    // dbt run, twice: the view model is created, then replaced; it answers as its SQL.
    for (i, run) in json["run"].as_array().unwrap().iter().enumerate() {
        assert_eq!(run["success"], true, "dbt run {}: {run}", i + 1);
        assert_eq!(
            run["results"][0][0],
            "conv_by_status",
            "dbt run {}: {run}",
            i + 1
        );
        assert_eq!(run["results"][0][1], "success", "dbt run {}: {run}", i + 1);
    }
    assert_eq!(
        plain_column(
            &server,
            "SELECT status || '=' || conversations FROM conv_by_status ORDER BY status"
        ),
        plain_column(
            &server,
            "SELECT status || '=' || count(*) FROM conversations GROUP BY status ORDER BY status"
        ),
        "the model's view answers as its SQL"
    );
    assert_eq!(
        json["catalog_models"]["conv_by_status"]["type"], "VIEW",
        "docs generate lists the model: {}",
        json["catalog_models"]
    );
    let expected = [
        ("not_null_conv_by_status_status", 0),
        (
            "source_not_null_conversql_conversations_account_id",
            nulls("account_id"),
        ),
        (
            "source_not_null_conversql_conversations_conversation_id",
            nulls("conversation_id"),
        ),
        (
            "source_unique_conversql_conversations_conversation_id",
            duplicates,
        ),
        ("unique_conv_by_status_status", 0),
    ];
    let results = json["test"]["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len(), "dbt test: {}", json["test"]);
    for ((name, failures), got) in expected.iter().zip(results) {
        assert_eq!(got[0], *name);
        assert_eq!(
            got[2], *failures,
            "{name}: failures as a plain query counts them"
        );
        assert_eq!(
            got[1],
            if *failures == 0 { "pass" } else { "fail" },
            "{name}"
        );
    }
    assert_eq!(
        json["docs"]["success"], true,
        "dbt docs generate: {}",
        json["docs"]
    );
    let catalog = &json["catalog_sources"]["conversations"];
    let columns: Vec<(String, String)> = rows(&catalog["columns"])
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(
        columns,
        conversation_columns(&server),
        "catalog.json columns"
    );
}

// ---------------------------------------------------------------- captured SQL

fn captured(client: &str) {
    crate::drivers::replay_fixture(
        &repo_root().join(format!("tests/clients/captured/{client}.sql")),
    );
}

#[test]

fn captured_adbc() {
    captured("adbc");
}

#[test]
fn captured_polars() {
    captured("polars");
}

#[test]
fn captured_pg8000() {
    captured("pg8000");
}

#[test]
fn captured_sqlalchemy() {
    captured("sqlalchemy");
}

#[test]
fn captured_ibis() {
    captured("ibis");
}

#[test]
fn captured_pgcli() {
    captured("pgcli");
}

#[test]
fn captured_harlequin() {
    captured("harlequin");
}

#[test]
fn captured_duckdb() {
    captured("duckdb");
}

#[test]
fn captured_superset() {
    captured("superset");
}

#[test]
fn captured_dbt() {
    captured("dbt");
}

#[test]
fn every_captured_fixture_is_replayed() {
    let dir = repo_root().join("tests/clients/captured");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let source = std::fs::read_to_string(repo_root().join("tests/integration/clients.rs")).unwrap();
    for f in files {
        let client = f.trim_end_matches(".sql");
        assert!(
            source.contains(&format!("fn captured_{client}()")),
            "tests/clients/captured/{f} has no captured_{client} test"
        );
    }
}
