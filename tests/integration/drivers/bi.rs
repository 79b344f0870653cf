//! Replays the connect-time and table-listing queries of BI tools
//! (tests/bi/<tool>.sql) over the extended protocol, against conversql and,
//! where the answer's shape matters, against a real PostgreSQL 15 that holds
//! views of the same names and columns.
//!
//! File format: statements end with `;` at the end of a line. Comment lines
//! before a statement's first SQL line may carry directives:
//! - `-- @bind: SQL` — run SQL first (simple protocol, same server) and bind its
//!   first row's values as `$1…$n`;
//! - `-- @params: 'a', 'b'` — bind these literal values as `$1…$n` (quotes optional,
//!   `''` is the empty string; a `regclass` parameter given by name is looked up);
//! - `-- @shape` — result column names and types must equal PostgreSQL's, where
//!   types drivers decode alike count as one: the string types (`name`,
//!   `varchar`, `bpchar`, `"char"`, `text`), the integer widths (`int2`, `int4`,
//!   `int8`), the oid types (`oid`, `regtype`, `regclass`, `regproc`, which travel
//!   as the oid's number); an `unknown` column (an all-NULL literal) matches any type;
//! - `-- @same-rows` — the rows must equal PostgreSQL's (as sorted sets);
//! - `-- @contains: v` — some cell of the answer equals `v` (repeatable);
//! - `-- @prefix: v` — some cell of the answer starts with `v`;
//! - `-- @min-rows: n` — at least n rows;
//! - `-- @known-gap: why` — this statement's failures are printed as warnings,
//!   not failures: a difference the real client does not see (e.g. one of the
//!   binary format only, which the client does not request), named in `why`;
//! - `-- @param: v` — bind the next parameter `$n` to `v` as PostgreSQL logs a
//!   bound value (`'text'` with `''` for a quote, or `NULL`), sent in text
//!   format as the client sent it (repeatable, in order);
//! - `-- @simple` — the client sent this statement by the simple protocol
//!   (Query), which may hold several statements; the answer compared is the
//!   last result's, column names only (the simple protocol's rows are text);
//! - `-- @each: shape` — before the first statement: `@shape` for every
//!   statement of the file (the captured fixtures of tests/clients/captured/).
//!
//! `COPY … TO STDOUT` is read with the COPY protocol and must succeed.

use std::path::Path;

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::pgvalue::{PgValue, UNDECODABLE, row_values};

/// One replayed statement and what its answer must satisfy.
#[derive(Debug, Default, Clone)]
pub struct Replay {
    /// The line the statement starts on, for messages.
    pub line: usize,
    /// The SQL sent.
    pub sql: String,
    /// A query whose first row gives the parameters.
    pub bind: Option<String>,
    /// Literal parameters.
    pub params: Vec<String>,
    /// Column names and types must equal PostgreSQL's.
    pub shape: bool,
    /// Rows must equal PostgreSQL's.
    pub same_rows: bool,
    /// Cells that must appear somewhere in the answer.
    pub contains: Vec<String>,
    /// Prefixes some cell must start with.
    pub prefix: Vec<String>,
    /// Minimum row count.
    pub min_rows: usize,
    /// Why failures of this statement are only warnings.
    pub known_gap: Option<String>,
    /// Parameters as PostgreSQL logs them, bound in text format (`None`: NULL).
    pub text_params: Vec<Option<String>>,
    /// Sent by the simple protocol.
    pub simple: bool,
}

/// Parses a tests/bi/*.sql file.
pub fn parse(path: &Path) -> Vec<Replay> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut out = vec![];
    let mut cur = Replay::default();
    let mut in_sql = false;
    let mut each_shape = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if !in_sql {
            if trimmed.is_empty() {
                continue;
            }
            if let Some(d) = trimmed.strip_prefix("-- @") {
                let (key, value) = d
                    .split_once(':')
                    .map_or((d.trim(), ""), |(k, v)| (k.trim(), v.trim()));
                match key {
                    "bind" => cur.bind = Some(value.to_string()),
                    "params" => cur.params = value.split(',').map(|p| unquote(p.trim())).collect(),
                    "shape" => cur.shape = true,
                    "same-rows" => cur.same_rows = true,
                    "contains" => cur.contains.push(value.to_string()),
                    "prefix" => cur.prefix.push(value.to_string()),
                    "min-rows" => cur.min_rows = value.parse().expect("@min-rows: a number"),
                    "known-gap" => cur.known_gap = Some(value.to_string()),
                    "param" => cur.text_params.push(logged_value(value)),
                    "simple" => cur.simple = true,
                    "each" if value == "shape" && out.is_empty() => each_shape = true,
                    other => panic!("{}:{}: unknown directive @{other}", path.display(), i + 1),
                }
                continue;
            }
            if trimmed.starts_with("--") {
                continue;
            }
            in_sql = true;
            cur.line = i + 1;
        }
        cur.sql.push_str(line);
        cur.sql.push('\n');
        if trimmed.ends_with(';') {
            let sql = cur.sql.trim_end().trim_end_matches(';').to_string();
            cur.shape |= each_shape;
            out.push(Replay {
                sql,
                ..std::mem::take(&mut cur)
            });
            in_sql = false;
        }
    }
    assert!(
        !in_sql,
        "{}: the last statement does not end with ';'",
        path.display()
    );
    out
}

/// A bound value as PostgreSQL's log shows it: `'it''s'` or `NULL`.
fn logged_value(v: &str) -> Option<String> {
    if v == "NULL" {
        return None;
    }
    let inner = v
        .strip_prefix('\'')
        .and_then(|q| q.strip_suffix('\''))
        .unwrap_or_else(|| panic!("@param: {v} is neither 'quoted' nor NULL"));
    Some(inner.replace("''", "'"))
}

/// A parameter sent in text format, as a client that binds text sends it:
/// the server parses it as the type it described.
#[derive(Debug)]
struct TextParam(String);

impl ToSql for TextParam {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    fn encode_format(&self, _: &Type) -> tokio_postgres::types::Format {
        tokio_postgres::types::Format::Text
    }

    tokio_postgres::types::to_sql_checked!();
}

fn unquote(p: &str) -> String {
    p.strip_prefix('\'')
        .and_then(|q| q.strip_suffix('\''))
        .unwrap_or(p)
        .to_string()
}

/// An oid-like parameter (`oid`, `regclass`, `regtype`, `regproc`), binary as a u32.
#[derive(Debug)]
struct OidLike(u32);

impl ToSql for OidLike {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(&self.0.to_be_bytes());
        Ok(tokio_postgres::types::IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::OID | Type::REGCLASS | Type::REGTYPE | Type::REGPROC
        )
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A parameter value converted to the type the server described.
fn param(value: &str, ty: &Type) -> Box<dyn ToSql + Sync + Send> {
    match *ty {
        Type::OID | Type::REGCLASS | Type::REGTYPE | Type::REGPROC => Box::new(OidLike(
            value
                .parse::<u32>()
                .unwrap_or_else(|_| panic!("{} parameter {value}", ty.name())),
        )),
        Type::INT2 => Box::new(value.parse::<i16>().unwrap()),
        Type::INT4 => Box::new(value.parse::<i32>().unwrap()),
        Type::INT8 => Box::new(value.parse::<i64>().unwrap()),
        Type::BOOL => Box::new(value == "t" || value == "true"),
        Type::DATE => Box::new(value.parse::<chrono::NaiveDate>().unwrap()),
        _ => Box::new(value.to_string()),
    }
}

/// Runs `replay` over the extended protocol with its logged parameters in text format.
async fn run_text_params(client: &Client, replay: &Replay) -> Result<Answer, String> {
    let stmt = client
        .prepare(&replay.sql)
        .await
        .map_err(|e| format!("prepare: {}", describe_error(&e)))?;
    if stmt.params().len() != replay.text_params.len() {
        return Err(format!(
            "the server describes {} parameters, the client bound {}",
            stmt.params().len(),
            replay.text_params.len()
        ));
    }
    let values: Vec<Option<TextParam>> = replay
        .text_params
        .iter()
        .map(|v| v.clone().map(TextParam))
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
    let rows = client
        .query(&stmt, &refs)
        .await
        .map_err(|e| format!("execute: {}", describe_error(&e)))?;
    Ok(Answer {
        columns: stmt
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.type_().name().to_string()))
            .collect(),
        rows: rows.iter().map(row_values).collect(),
    })
}

/// What one server answered to a replayed statement.
#[derive(Debug)]
pub struct Answer {
    /// (name, type name) of each result column.
    pub columns: Vec<(String, String)>,
    /// The rows, decoded.
    pub rows: Vec<Vec<PgValue>>,
}

/// Runs `replay` by the simple protocol: the last result's column names and text rows.
async fn run_simple(client: &Client, replay: &Replay) -> Result<Answer, String> {
    let messages = client
        .simple_query(&replay.sql)
        .await
        .map_err(|e| format!("simple query: {}", describe_error(&e)))?;
    let mut answer = Answer {
        columns: vec![],
        rows: vec![],
    };
    for m in messages {
        match m {
            tokio_postgres::SimpleQueryMessage::RowDescription(columns) => {
                answer = Answer {
                    columns: columns
                        .iter()
                        .map(|c| (c.name().to_string(), "simple".to_string()))
                        .collect(),
                    rows: vec![],
                };
            }
            tokio_postgres::SimpleQueryMessage::Row(r) => answer.rows.push(
                (0..r.len())
                    .map(|i| PgValue(r.get(i).map(str::to_string)))
                    .collect(),
            ),
            _ => {}
        }
    }
    Ok(answer)
}

/// Reads `COPY … TO STDOUT` with the COPY protocol: one text cell, the byte count.
async fn run_copy(client: &Client, replay: &Replay) -> Result<Answer, String> {
    use futures::TryStreamExt;
    let stream = client
        .copy_out(replay.sql.as_str())
        .await
        .map_err(|e| format!("copy out: {}", describe_error(&e)))?;
    let chunks: Vec<bytes::Bytes> = stream
        .try_collect()
        .await
        .map_err(|e| format!("copy out: {}", describe_error(&e)))?;
    let bytes: usize = chunks.iter().map(bytes::Bytes::len).sum();
    Ok(Answer {
        columns: vec![],
        rows: vec![vec![PgValue(Some(bytes.to_string()))]],
    })
}

/// Whether `sql` is a `COPY … TO STDOUT`.
fn is_copy_out(sql: &str) -> bool {
    let flat = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.get(..5)
        .is_some_and(|w| w.eq_ignore_ascii_case("COPY "))
        && flat.to_ascii_uppercase().contains(" TO STDOUT")
}

/// Runs `replay` as its client sent it: the simple protocol, COPY, or the
/// extended protocol (Parse/Describe/Bind/Execute).
pub async fn run(client: &Client, replay: &Replay) -> Result<Answer, String> {
    if is_copy_out(&replay.sql) {
        return run_copy(client, replay).await;
    }
    if replay.simple {
        return run_simple(client, replay).await;
    }
    if !replay.text_params.is_empty() {
        return run_text_params(client, replay).await;
    }
    let mut values = replay.params.clone();
    if let Some(bind) = &replay.bind {
        let rows = client
            .simple_query(bind)
            .await
            .map_err(|e| format!("@bind query {bind}: {e:?}"))?;
        let row = rows
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r),
                _ => None,
            })
            .ok_or_else(|| format!("@bind query {bind} returned no row"))?;
        values = (0..row.len())
            .map(|i| row.get(i).unwrap_or("").to_string())
            .collect();
    }
    let stmt = client
        .prepare(&replay.sql)
        .await
        .map_err(|e| format!("prepare: {}", describe_error(&e)))?;
    if stmt.params().len() != values.len() {
        return Err(format!(
            "the server describes {} parameters, the replay binds {}",
            stmt.params().len(),
            values.len()
        ));
    }
    // A regclass parameter given by name (as drivers send it, in text) is bound by its oid.
    for (v, ty) in values.iter_mut().zip(stmt.params()) {
        if *ty == Type::REGCLASS && v.parse::<u32>().is_err() {
            let sql = format!("SELECT c.oid FROM pg_catalog.pg_class c WHERE c.relname = '{v}'");
            let rows = client
                .simple_query(&sql)
                .await
                .map_err(|e| format!("regclass lookup of {v}: {e:?}"))?;
            *v = rows
                .iter()
                .find_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
                    _ => None,
                })
                .ok_or_else(|| format!("no relation {v} for a regclass parameter"))?;
        }
    }
    let boxed: Vec<Box<dyn ToSql + Sync + Send>> = values
        .iter()
        .zip(stmt.params())
        .map(|(v, t)| param(v, t))
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed
        .iter()
        .map(|b| b.as_ref() as &(dyn ToSql + Sync))
        .collect();
    let rows = client
        .query(&stmt, &refs)
        .await
        .map_err(|e| format!("execute: {}", describe_error(&e)))?;
    let columns = stmt
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_().name().to_string()))
        .collect();
    Ok(Answer {
        columns,
        rows: rows.iter().map(row_values).collect(),
    })
}

/// An error with the server's SQLSTATE and message when there is one.
pub fn describe_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} {}", db.code().code(), db.message()),
        None => format!("{e:?}"),
    }
}

fn sorted(rows: &[Vec<PgValue>]) -> Vec<Vec<PgValue>> {
    let mut r = rows.to_vec();
    r.sort();
    r
}

/// Replays every statement of `file` on conversql (and PostgreSQL where asked)
/// and returns the failures, one message each.
pub async fn replay_file(file: &Path, conversql: &Client, postgres: &Client) -> Vec<String> {
    let mut failures = vec![];
    let replays = parse(file);
    assert!(
        !replays.is_empty(),
        "{} holds no statements",
        file.display()
    );
    for r in &replays {
        let before = failures.len();
        check(file, r, conversql, postgres, &mut failures).await;
        if let Some(why) = &r.known_gap {
            for f in failures.drain(before..) {
                eprintln!("known gap ({why}): {f}");
            }
        }
    }
    failures
}

/// Replays `r` and appends its failures.
async fn check(
    file: &Path,
    r: &Replay,
    conversql: &Client,
    postgres: &Client,
    failures: &mut Vec<String>,
) {
    {
        let at = format!("{}:{}", file.file_name().unwrap().to_string_lossy(), r.line);
        let ours = match run(conversql, r).await {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!(
                    "{at}: conversql: {e}\n    query: {}",
                    first_line(&r.sql)
                ));
                return;
            }
        };
        if let Some(bad) = ours
            .rows
            .iter()
            .flatten()
            .find(|v| v.text().starts_with(UNDECODABLE))
        {
            failures.push(format!(
                "{at}: a binary value does not decode as its column type: {}",
                bad.text()
            ));
        }
        if ours.rows.len() < r.min_rows {
            failures.push(format!(
                "{at}: {} rows, expected at least {}",
                ours.rows.len(),
                r.min_rows
            ));
        }
        for want in &r.contains {
            if !ours.rows.iter().flatten().any(|v| v.text() == want) {
                failures.push(format!(
                    "{at}: no cell equals {want:?}; rows: {:?}",
                    preview(&ours.rows)
                ));
            }
        }
        for want in &r.prefix {
            if !ours
                .rows
                .iter()
                .flatten()
                .any(|v| v.text().starts_with(want.as_str()))
            {
                failures.push(format!(
                    "{at}: no cell starts with {want:?}; rows: {:?}",
                    preview(&ours.rows)
                ));
            }
        }
        if r.shape || r.same_rows {
            let theirs = match run(postgres, r).await {
                Ok(a) => a,
                Err(e) => panic!("{at}: PostgreSQL itself fails the replay (a wrong test): {e}"),
            };
            if r.shape && !same_shape(&ours.columns, &theirs.columns) {
                failures.push(format!(
                    "{at}: columns differ\n    conversql:  {:?}\n    PostgreSQL: {:?}",
                    ours.columns, theirs.columns
                ));
            }
            if r.same_rows && sorted(&ours.rows) != sorted(&theirs.rows) {
                failures.push(format!(
                    "{at}: rows differ\n    conversql:  {:?}\n    PostgreSQL: {:?}",
                    preview(&sorted(&ours.rows)),
                    preview(&sorted(&theirs.rows))
                ));
            }
        }
    }
}

/// The decoding class of a Postgres type name (see the module documentation).
fn class(t: &str) -> &str {
    match t {
        "name" | "varchar" | "bpchar" | "char" | "text" => "text",
        "int2" | "int4" | "int8" => "integer",
        "oid" | "regtype" | "regclass" | "regproc" => "oid",
        other => other,
    }
}

/// Equal column names, and types of the same class (`unknown` matching any).
fn same_shape(ours: &[(String, String)], theirs: &[(String, String)]) -> bool {
    ours.len() == theirs.len()
        && ours
            .iter()
            .zip(theirs)
            .all(|((n1, t1), (n2, t2))| n1 == n2 && (t1 == "unknown" || class(t1) == class(t2)))
}

fn first_line(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(160).collect()
}

fn preview(rows: &[Vec<PgValue>]) -> Vec<String> {
    rows.iter()
        .take(12)
        .map(|r| {
            r.iter()
                .map(|v| v.text().to_string())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}
