//! The differential proof: every statement of the corpus in `tests/pg_corpus/`
//! runs on a real PostgreSQL 15 and on conversql (serving the sample), over the
//! wire with tokio-postgres, and the answers are compared: column names, column
//! types (the type OIDs a client sees), and values — in order when the
//! statement ends in `ORDER BY`, as multisets otherwise.
//!
//! Values are compared twice: in binary form through the extended protocol
//! (with the corpus's bound parameters) and, for a statement without
//! parameters, in text form through the simple protocol (what psql prints).
//!
//! Each statement ends as one of
//! - **equal**: same names, types and values on both;
//! - **refused**: PostgreSQL answers and conversql refuses it with a clear
//!   error whose SQLSTATE says the feature is unsupported ([`REFUSAL_CODES`]);
//!   the test prints each with its SQLSTATE and message;
//! - **both error**: the statement is invalid in PostgreSQL and conversql
//!   refuses it too;
//! - otherwise the test fails naming the statement and the difference.
//!
//! The corpus format is described in `tests/pg_corpus/README.md`.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::common::{Postgres, Server, repo_root};

/// SQLSTATEs by which conversql may refuse a statement PostgreSQL answers:
/// feature not supported, undefined function, syntax error (a PostgreSQL
/// syntax DataFusion's parser lacks).
const REFUSAL_CODES: &[&str] = &["0A000", "42883", "42601"];

/// One corpus entry: a statement and its bound parameters.
#[derive(Debug, Clone)]
struct Entry {
    file: String,
    line: usize,
    sql: String,
    params: Vec<Param>,
}

/// A typed bound parameter of the corpus (`int4 5`, `text 'x'`, `text[] {a,b}`, `date null`).
#[derive(Debug, Clone)]
struct Param {
    ty: Type,
    /// The value in PostgreSQL's text form; `None` is NULL.
    text: Option<String>,
}

impl ToSql for Param {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let Some(text) = &self.text else {
            return Ok(IsNull::Yes);
        };
        if text_format(&self.ty) {
            out.extend_from_slice(text.as_bytes());
            return Ok(IsNull::No);
        }
        match self.ty.name() {
            "int2" => text.parse::<i16>()?.to_sql(ty, out),
            "int4" => text.parse::<i32>()?.to_sql(ty, out),
            "int8" => text.parse::<i64>()?.to_sql(ty, out),
            "float4" => text.parse::<f32>()?.to_sql(ty, out),
            "float8" => text.parse::<f64>()?.to_sql(ty, out),
            "bool" => text.parse::<bool>()?.to_sql(ty, out),
            "text" | "varchar" => text.as_str().to_sql(ty, out),
            "date" => NaiveDate::parse_from_str(text, "%Y-%m-%d")?.to_sql(ty, out),
            "timestamp" => {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")?.to_sql(ty, out)
            }
            "timestamptz" => DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z")?
                .with_timezone(&Utc)
                .to_sql(ty, out),
            other => Err(format!("no binary encoding for parameter type {other}").into()),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> tokio_postgres::types::Format {
        if text_format(&self.ty) {
            tokio_postgres::types::Format::Text
        } else {
            tokio_postgres::types::Format::Binary
        }
    }

    to_sql_checked!();
}

/// Parameters sent in text form (as psycopg, pgjdbc and asyncpg may send
/// them): numeric, interval and arrays; the others go in binary form.
fn text_format(ty: &Type) -> bool {
    matches!(ty.kind(), tokio_postgres::types::Kind::Array(_))
        || matches!(ty.name(), "numeric" | "interval")
}

/// A result value as the client received it (binary form), or NULL.
struct Raw(Option<Vec<u8>>);

impl<'a> FromSql<'a> for Raw {
    fn from_sql(
        _ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw.to_vec())))
    }

    fn from_sql_null(_ty: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }
}

/// What one server answered to one statement.
#[derive(Debug, PartialEq)]
enum Answer {
    Rows {
        /// (name, type name) of each column.
        columns: Vec<(String, String)>,
        /// Binary values, hex-encoded, `NULL` for null; one string per row.
        binary: Vec<String>,
        /// Text values (simple protocol), one string per row; `None` with parameters.
        text: Option<Vec<String>>,
    },
    Error {
        code: String,
        message: String,
    },
}

/// How one statement ended.
enum Outcome {
    Equal,
    Refused(String),
    BothError,
    Differs(String),
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn error_of(e: &tokio_postgres::Error) -> Answer {
    match e.as_db_error() {
        Some(db) => Answer::Error {
            code: db.code().code().to_string(),
            message: db.message().to_string(),
        },
        None => Answer::Error {
            code: "client".into(),
            message: e.to_string(),
        },
    }
}

async fn run(client: &Client, entry: &Entry) -> Answer {
    let types: Vec<Type> = entry.params.iter().map(|p| p.ty.clone()).collect();
    let statement = match client.prepare_typed(&entry.sql, &types).await {
        Ok(s) => s,
        Err(e) => return error_of(&e),
    };
    let columns: Vec<(String, String)> = statement
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_().name().to_string()))
        .collect();
    let params: Vec<&(dyn ToSql + Sync)> = entry
        .params
        .iter()
        .map(|p| p as &(dyn ToSql + Sync))
        .collect();
    let rows = match client.query(&statement, &params).await {
        Ok(rows) => rows,
        Err(e) => return error_of(&e),
    };
    let binary = rows
        .iter()
        .map(|row| {
            (0..row.len())
                .map(|i| match row.get::<_, Raw>(i).0 {
                    Some(bytes) => hex(&bytes),
                    None => "NULL".to_string(),
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect();
    let text = if entry.params.is_empty() {
        match client.simple_query(&entry.sql).await {
            Ok(messages) => Some(
                messages
                    .iter()
                    .filter_map(|m| match m {
                        SimpleQueryMessage::Row(row) => Some(
                            (0..row.len())
                                .map(|i| row.get(i).unwrap_or("NULL").to_string())
                                .collect::<Vec<_>>()
                                .join("|"),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) => return error_of(&e),
        }
    } else {
        None
    };
    Answer::Rows {
        columns,
        binary,
        text,
    }
}

/// Whether the statement's rows come in a defined order: an `ORDER BY` outside
/// every parenthesis (not one inside `OVER (…)` or an aggregate).
fn ordered(sql: &str) -> bool {
    let upper = sql.to_uppercase();
    let mut depth = 0i32;
    let bytes = upper.as_bytes();
    let mut in_string = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => in_string = !in_string,
            b'(' if !in_string => depth += 1,
            b')' if !in_string => depth -= 1,
            b'O' if !in_string && depth == 0 && upper[i..].starts_with("ORDER BY") => {
                return true;
            }
            _ => {}
        }
    }
    false
}

fn compare(entry: &Entry, pg: &Answer, cq: &Answer) -> Outcome {
    match (pg, cq) {
        (Answer::Error { .. }, Answer::Error { .. }) => Outcome::BothError,
        (Answer::Error { code, message }, Answer::Rows { .. }) => Outcome::Differs(format!(
            "PostgreSQL refuses it ({code}: {message}), conversql answers {cq:?}"
        )),
        (Answer::Rows { .. }, Answer::Error { code, message }) => {
            if REFUSAL_CODES.contains(&code.as_str()) {
                Outcome::Refused(format!("{code}: {message}"))
            } else {
                Outcome::Differs(format!(
                    "conversql fails with {code} ({message}) where PostgreSQL answers {pg:?}"
                ))
            }
        }
        (
            Answer::Rows {
                columns: pg_columns,
                binary: pg_binary,
                text: pg_text,
            },
            Answer::Rows {
                columns: cq_columns,
                binary: cq_binary,
                text: cq_text,
            },
        ) => {
            let mut diffs = vec![];
            if pg_columns != cq_columns {
                diffs.push(format!(
                    "columns (name, type): PostgreSQL {pg_columns:?}, conversql {cq_columns:?}"
                ));
            }
            let normalise = |rows: &Vec<String>| {
                let mut rows = rows.clone();
                if !ordered(&entry.sql) {
                    rows.sort();
                }
                rows
            };
            if let (Some(p), Some(c)) = (pg_text, cq_text)
                && normalise(p) != normalise(c)
            {
                diffs.push(format!(
                    "text values: PostgreSQL {:?}, conversql {:?}",
                    normalise(p),
                    normalise(c)
                ));
            }
            if pg_columns == cq_columns && normalise(pg_binary) != normalise(cq_binary) {
                diffs.push(format!(
                    "binary values (hex): PostgreSQL {:?}, conversql {:?}",
                    normalise(pg_binary),
                    normalise(cq_binary)
                ));
            }
            if diffs.is_empty() {
                Outcome::Equal
            } else {
                Outcome::Differs(diffs.join("; "))
            }
        }
    }
}

/// Splits a `-- params:` list at its top-level commas.
fn split_params(list: &str) -> Vec<String> {
    let mut items = vec![];
    let mut current = String::new();
    let (mut quoted, mut braces) = (false, 0);
    for c in list.chars() {
        match c {
            '\'' => quoted = !quoted,
            '{' if !quoted => braces += 1,
            '}' if !quoted => braces -= 1,
            ',' if !quoted && braces == 0 => {
                items.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        items.push(current.trim().to_string());
    }
    items
}

fn type_named(name: &str) -> Option<Type> {
    Some(match name {
        "int2" => Type::INT2,
        "int4" => Type::INT4,
        "int8" => Type::INT8,
        "float4" => Type::FLOAT4,
        "float8" => Type::FLOAT8,
        "numeric" => Type::NUMERIC,
        "text" => Type::TEXT,
        "varchar" => Type::VARCHAR,
        "bool" => Type::BOOL,
        "date" => Type::DATE,
        "timestamp" => Type::TIMESTAMP,
        "timestamptz" => Type::TIMESTAMPTZ,
        "interval" => Type::INTERVAL,
        "int4[]" => Type::INT4_ARRAY,
        "int8[]" => Type::INT8_ARRAY,
        "text[]" => Type::TEXT_ARRAY,
        "float8[]" => Type::FLOAT8_ARRAY,
        _ => return None,
    })
}

fn parse_param(item: &str, at: &str) -> Param {
    let (ty, value) = item
        .split_once(' ')
        .unwrap_or_else(|| panic!("{at}: parameter `{item}` is not `type value`"));
    let ty = type_named(ty).unwrap_or_else(|| panic!("{at}: unknown parameter type `{ty}`"));
    let value = value.trim();
    let text = if value.eq_ignore_ascii_case("null") {
        None
    } else if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(inner.replace("''", "'"))
    } else {
        Some(value.to_string())
    };
    Param { ty, text }
}

/// Reads one corpus file: statements end with `;` at the end of a line;
/// `-- params: …` gives the next statement's parameters; other `--` lines are comments.
fn read_corpus(path: &Path) -> Vec<Entry> {
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let source = std::fs::read_to_string(path).unwrap();
    let mut entries = vec![];
    let (mut sql, mut params, mut start) = (String::new(), vec![], 0);
    for (n, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(list) = trimmed.strip_prefix("-- params:") {
            let at = format!("{file}:{}", n + 1);
            params = split_params(list)
                .iter()
                .map(|item| parse_param(item, &at))
                .collect();
            continue;
        }
        if trimmed.starts_with("--") || (trimmed.is_empty() && sql.is_empty()) {
            continue;
        }
        if sql.is_empty() {
            start = n + 1;
        }
        sql.push_str(line);
        sql.push('\n');
        if trimmed.ends_with(';') {
            let statement = sql.trim().trim_end_matches(';').trim().to_string();
            entries.push(Entry {
                file: file.clone(),
                line: start,
                sql: statement,
                params: std::mem::take(&mut params),
            });
            sql.clear();
        }
    }
    assert!(
        sql.trim().is_empty(),
        "{file}: the last statement does not end with `;`"
    );
    entries
}

/// The corpus files, those named in `only` or all but those in `except`.
fn corpus(select: impl Fn(&str) -> bool) -> Vec<Entry> {
    let dir = repo_root().join("tests/pg_corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .filter(|p| select(&p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files.iter().flat_map(|p| read_corpus(p)).collect()
}

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// Runs `entries` on both servers and fails listing every statement that differs.
async fn differential(what: &str, entries: Vec<Entry>) {
    assert!(!entries.is_empty(), "{what}: no corpus statements");
    let server = Server::start();
    let postgres = Postgres::start();
    let cq = connect(&server.conninfo()).await;
    let pg = connect(&postgres.conninfo("postgres")).await;
    pg.batch_execute("SET TimeZone = 'UTC'").await.unwrap();
    let (mut equal, mut both_error) = (0, 0);
    let mut refused = vec![];
    let mut differs = vec![];
    for entry in &entries {
        let pg_answer = run(&pg, entry).await;
        let cq_answer = run(&cq, entry).await;
        let at = format!("{}:{}: {}", entry.file, entry.line, entry.sql);
        match compare(entry, &pg_answer, &cq_answer) {
            Outcome::Equal => equal += 1,
            Outcome::BothError => both_error += 1,
            Outcome::Refused(why) => refused.push(format!("{at}\n    refused: {why}")),
            Outcome::Differs(why) => differs.push(format!("{at}\n    {why}")),
        }
    }
    println!(
        "{what}: {} statements: {equal} equal, {} refused by conversql, {both_error} invalid on both, {} differ",
        entries.len(),
        refused.len(),
        differs.len()
    );
    for r in &refused {
        println!("REFUSED {r}");
    }
    assert!(
        differs.is_empty(),
        "{what}: {} of {} statements differ between PostgreSQL and conversql:\n{}",
        differs.len(),
        entries.len(),
        differs.join("\n")
    );
}

/// The corpus but its array and output-name files: every statement equal or refused.
#[tokio::test(flavor = "multi_thread")]
async fn the_corpus_answers_as_postgresql_does() {
    require!(POSTGRES_SERVER);
    let entries = corpus(|f| f != "arrays.sql" && f != "names.sql");
    assert!(
        entries.len() >= 300,
        "the corpus has {} statements",
        entries.len()
    );
    differential("corpus", entries).await;
}

/// Arrays: literals, `ARRAY[…]`, `@>`, `<@`, `&&`, `ANY`/`ALL`, `unnest`, `array_agg`.
#[tokio::test(flavor = "multi_thread")]
async fn arrays_answer_as_postgresql_does() {
    require!(POSTGRES_SERVER);
    differential("arrays", corpus(|f| f == "arrays.sql")).await;
}

/// Output column names of statements that do not alias their columns.
#[tokio::test(flavor = "multi_thread")]
async fn output_names_are_postgresql_names() {
    require!(POSTGRES_SERVER);
    differential("names", corpus(|f| f == "names.sql")).await;
}

#[test]
fn the_corpus_format_reads_statements_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.sql");
    std::fs::write(
        &path,
        "-- a comment\nSELECT 1 AS a;\n\n-- params: int4 5, text 'it''s, x', text[] {a,b}, date null\n\
         SELECT $1::int4 AS a,\n  $2 AS b, $3 AS c, $4 AS d;\n",
    )
    .unwrap();
    let entries = read_corpus(&path);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].sql, "SELECT 1 AS a");
    assert!(entries[0].params.is_empty());
    assert_eq!(entries[1].line, 5);
    let texts: Vec<_> = entries[1].params.iter().map(|p| p.text.clone()).collect();
    assert_eq!(
        texts,
        [
            Some("5".to_string()),
            Some("it's, x".to_string()),
            Some("{a,b}".to_string()),
            None
        ]
    );
    assert_eq!(entries[1].params[2].ty, Type::TEXT_ARRAY);
    assert!(ordered("SELECT a FROM t ORDER BY a"));
    assert!(!ordered(
        "SELECT row_number() OVER (ORDER BY a) AS r FROM t"
    ));
    assert!(!ordered("SELECT 'ORDER BY' AS a"));
}
