//! Soak test: 64 connections run the dashboard mix against
//! the real `conversql serve` for several minutes while new log files arrive,
//! with zero errors, every answer checked against an in-process recomputation,
//! and no growth of the server's memory. It prints its figures.
//!
//! The server reads a temporary copy of the bundled sample. After a warm-up, a
//! writer adds Parquet files to the conversation log of one account
//! ([`TOUCHED`]), as the platform would: under a hidden name first (`_tmp-…`,
//! written in two halves with a pause, so a half-written file sits there for a
//! while), then renamed into place; some into date partitions that did not
//! exist, some re-deliveries of earlier files (same message_ids: nothing may
//! change), some follow-ups that add rows to an earlier arrival's conversation.
//!
//! Expected answers are computed before the run with an in-process
//! [`conversql::Engine`] on a second copy, once per arrival state (the sample
//! plus the first k arrival files). Answers about the other accounts must equal
//! the state-0 answer every time (the arrivals never touch them; checked in
//! process too). Answers about [`TOUCHED`] must equal the answer of some state k
//! with k at least the number of files renamed before the query started, at
//! most the number renamed when it ended, and not below what the same client
//! already saw (a client's answers never go backwards).
//!
//! Memory: the server's VmRSS is sampled every second. The warm-up lasts a
//! sixth of the run and at least until every connection has had an answer;
//! the arrivals start after it. The median RSS of the last 10 s must not exceed
//! the median of the 10 s after the warm-up by more than the margin stated at
//! the assertion.
//!
//! Settings: `CONVERSQL_SOAK_SECS` (run length, default 180),
//! `CONVERSQL_SOAK_ARRIVALS` (files, default one per 10 s of run),
//! `CONVERSQL_SOAK_CONNECTIONS` (default 64).
//!
//! The test is `#[ignore]`d, so a plain `cargo test` does not wait for it:
//! `cargo test --test integration soak -- --ignored --nocapture` runs it, as
//! `.ci/run` does after the other tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::array::{
    Array, ArrayRef, AsArray, ListBuilder, RecordBatch, StringBuilder, TimestampMicrosecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::{DateTime, NaiveDate, Utc};
use conversql::{Engine, EngineOptions};
use parquet::arrow::ArrowWriter;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage, Statement};

use crate::common::{self, AS_OF, data_root, free_port, wait_for_port};

/// The account the arrivals add conversations to.
const TOUCHED: &str = "acc_003";
/// The accounts no arrival touches: their answers never change.
const UNTOUCHED: [&str; 2] = ["acc_001", "acc_002"];
/// First day of the touched range: a week before the sample's first partition,
/// so some arrivals create new `date=` folders.
const TOUCHED_START: &str = "2026-05-01";
/// Rows of one page of the conversations table.
const PAGE: usize = 25;

// ------------------------------------------------------------------ settings

/// A positive integer setting from the environment, else `default`.
fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or_else(|| panic!("{name}={v} is not a positive integer")),
        Err(_) => default,
    }
}

// ------------------------------------------------------------------ answers

/// One answer: rows of cells in Postgres text format (`None` for NULL).
type Answer = Vec<Vec<Option<String>>>;

/// Postgres text of a `text[]` value: `{a,b}`, elements quoted where needed.
fn pg_text_array(items: &[Option<String>]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|item| match item {
            None => "NULL".to_string(),
            Some(s)
                if s.is_empty()
                    || s.eq_ignore_ascii_case("null")
                    || s.chars().any(|c| {
                        matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace()
                    }) =>
            {
                format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
            }
            Some(s) => s.clone(),
        })
        .collect();
    format!("{{{}}}", quoted.join(","))
}

/// Postgres text of a timestamptz in UTC, as conversql prints it.
fn pg_text_instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

/// A float in one canonical text, whichever side printed it.
fn canonical_float(text: &str) -> String {
    text.parse::<f64>()
        .map_or_else(|_| format!("<not a float: {text}>"), |f| format!("{f:?}"))
}

/// One Arrow column as Postgres text cells.
fn column_text(column: &ArrayRef) -> Vec<Option<String>> {
    let n = column.len();
    let text_of = |c: &ArrayRef| -> Vec<Option<String>> {
        let c = cast(c, &DataType::Utf8).expect("cast to Utf8");
        let c = c.as_string::<i32>();
        (0..n)
            .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
            .collect()
    };
    match column.data_type() {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => text_of(column),
        DataType::Float64 | DataType::Float32 => text_of(column)
            .into_iter()
            .map(|v| v.map(|s| canonical_float(&s)))
            .collect(),
        DataType::Boolean => {
            let c = column.as_boolean();
            (0..n)
                .map(|i| {
                    c.is_valid(i)
                        .then(|| if c.value(i) { "t" } else { "f" }.to_string())
                })
                .collect()
        }
        DataType::Timestamp(_, _) => {
            let c = cast(column, &DataType::Timestamp(TimeUnit::Microsecond, None))
                .expect("cast to µs");
            let c = c
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .expect("µs timestamps");
            (0..n)
                .map(|i| {
                    c.is_valid(i).then(|| {
                        pg_text_instant(
                            DateTime::from_timestamp_micros(c.value(i)).expect("in range"),
                        )
                    })
                })
                .collect()
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_) => {
            let c = cast(
                column,
                &DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            )
            .expect("cast to list<utf8>");
            let c = c.as_list::<i32>();
            (0..n)
                .map(|i| {
                    c.is_valid(i).then(|| {
                        let items = c.value(i);
                        let items = items.as_string::<i32>();
                        let items: Vec<Option<String>> = (0..items.len())
                            .map(|j| items.is_valid(j).then(|| items.value(j).to_string()))
                            .collect();
                        pg_text_array(&items)
                    })
                })
                .collect()
        }
        // Integers, decimals (printed with their scale, as Postgres does) and dates.
        _ => {
            let f = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
                .expect("formatter");
            (0..n)
                .map(|i| column.is_valid(i).then(|| f.value(i).to_string()))
                .collect()
        }
    }
}

/// Record batches as an [`Answer`].
fn batches_answer(batches: &[RecordBatch]) -> Answer {
    let mut rows = vec![];
    for batch in batches {
        let columns: Vec<Vec<Option<String>>> = batch.columns().iter().map(column_text).collect();
        for r in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[r].clone()).collect());
        }
    }
    rows
}

// ------------------------------------------------------------------ the dashboard mix

/// How a query goes over the wire.
#[derive(Debug, Clone)]
enum Protocol {
    /// Simple protocol, the SQL as is.
    Simple,
    /// Extended protocol: prepared once per connection, run with these text parameters.
    Extended(Vec<String>),
}

/// One query of the dashboard mix.
#[derive(Debug, Clone)]
struct MixQuery {
    /// Short name of the kind of query (the latency table groups by it).
    kind: &'static str,
    /// The SQL (with `$n` parameters for [`Protocol::Extended`]).
    sql: String,
    protocol: Protocol,
    /// Whether the arrivals can change its answer.
    touched: bool,
}

impl MixQuery {
    /// The SQL with its parameters written in as literals, for the in-process engine.
    fn inline_sql(&self) -> String {
        let mut sql = self.sql.clone();
        if let Protocol::Extended(params) = &self.protocol {
            for (i, p) in params.iter().enumerate().rev() {
                sql = sql.replace(
                    &format!("${}", i + 1),
                    &format!("'{}'", p.replace('\'', "''")),
                );
            }
        }
        sql
    }

    /// Whether the answer's float columns need the canonical float text (the simple protocol's text).
    fn float_columns(&self) -> Vec<usize> {
        if self.kind == "overview" {
            vec![2]
        } else {
            vec![]
        }
    }
}

fn overview(account: &str, start: &str, end: &str, touched: bool) -> MixQuery {
    MixQuery {
        kind: "overview",
        sql: format!("SELECT * FROM overview('{account}', '{start}', '{end}')"),
        protocol: Protocol::Simple,
        touched,
    }
}

fn overview_daily(account: &str, start: &str, end: &str, group: &str, touched: bool) -> MixQuery {
    MixQuery {
        kind: "overview_daily",
        sql: format!("SELECT * FROM overview_daily('{account}', '{start}', '{end}', '{group}')"),
        protocol: Protocol::Simple,
        touched,
    }
}

fn page(account: &str, status: &str, touched: bool) -> MixQuery {
    MixQuery {
        kind: "conversations page",
        sql: format!(
            "SELECT conversation_id, first_question, profile, channel, status, tags, message_count, last_updated \
             FROM conversations WHERE account_id = $1 AND status = $2 \
             ORDER BY last_updated DESC, conversation_id LIMIT {PAGE}"
        ),
        protocol: Protocol::Extended(vec![account.into(), status.into()]),
        touched,
    }
}

fn thread(account: &str, conversation: &str, touched: bool) -> MixQuery {
    MixQuery {
        kind: "thread",
        sql: "SELECT message_id, sent_at, sender, kind, body, tags FROM conversation_messages \
              WHERE account_id = $1 AND conversation_id = $2 ORDER BY sent_at, message_id"
            .into(),
        protocol: Protocol::Extended(vec![account.into(), conversation.into()]),
        touched,
    }
}

/// The dashboard mix: for each account the overview, the daily overview by
/// channel, status and tag, a page of the conversations table per status and
/// one conversation's thread; the touched account over a range that includes
/// the new partitions, and its thread is a conversation the arrivals create.
fn dashboard_mix(untouched_threads: &[(String, String)], touched_thread: &str) -> Vec<MixQuery> {
    let mut mix = vec![
        overview(UNTOUCHED[0], "2026-06-01", "2026-06-07", false),
        overview(UNTOUCHED[1], "2026-05-09", "2026-06-07", false),
        overview(TOUCHED, TOUCHED_START, "2026-06-07", true),
        overview(TOUCHED, "2026-06-01", "2026-06-07", true),
    ];
    for group in ["channel", "status", "tag"] {
        mix.push(overview_daily(
            UNTOUCHED[0],
            "2026-06-01",
            "2026-06-07",
            group,
            false,
        ));
        mix.push(overview_daily(
            TOUCHED,
            TOUCHED_START,
            "2026-06-07",
            group,
            true,
        ));
    }
    for status in ["Open", "Resolved", "Closed", "Routed"] {
        mix.push(page(UNTOUCHED[0], status, false));
        mix.push(page(TOUCHED, status, true));
    }
    for (account, conversation) in untouched_threads {
        mix.push(thread(account, conversation, false));
    }
    mix.push(thread(TOUCHED, touched_thread, true));
    mix
}

// ------------------------------------------------------------------ arrivals

/// One arriving file: where it goes under the dataset root and its bytes.
#[derive(Clone)]
struct Arrival {
    /// Partition folder under `messages/`, e.g. `date=2026-06-07`.
    partition: String,
    /// File name once in place.
    name: String,
    bytes: Vec<u8>,
    /// What it is, for the log.
    what: String,
}

/// One row of the conversation log written by the arrivals.
struct Row {
    conversation: String,
    message: String,
    sent_at: DateTime<Utc>,
    sender: &'static str,
    kind: &'static str,
    body: Option<String>,
    skill: Option<&'static str>,
    tags: Vec<String>,
    escalation_reason: Option<&'static str>,
}

/// The messages schema of the contract, as the platform writes it.
fn messages_schema() -> SchemaRef {
    Arc::new(Schema::new(
        conversql::contract::MESSAGES
            .columns
            .iter()
            .map(|c| Field::new(c.name, c.kind.data_type(), !c.not_null))
            .collect::<Vec<_>>(),
    ))
}

/// Rows of [`TOUCHED`] as Parquet bytes: web chat, no profile (so no
/// attribution touch: the arrivals change conversation counts, never sales).
fn parquet_bytes(rows: &[Row]) -> Vec<u8> {
    let schema = messages_schema();
    let text = |f: &dyn Fn(&Row) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let list = |f: &dyn Fn(&Row) -> Option<Vec<String>>| -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new())
            .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true)));
        for r in rows {
            match f(r) {
                Some(items) => {
                    for i in items {
                        b.values().append_value(i);
                    }
                    b.append(true);
                }
                None => b.append(false),
            }
        }
        Arc::new(b.finish())
    };
    let sent_at: ArrayRef = Arc::new(
        TimestampMicrosecondArray::from(
            rows.iter()
                .map(|r| r.sent_at.timestamp_micros())
                .collect::<Vec<_>>(),
        )
        .with_timezone("UTC"),
    );
    let columns = vec![
        text(&|_| Some(TOUCHED.into())),
        text(&|r| Some(r.conversation.clone())),
        text(&|r| Some(r.message.clone())),
        text(&|_| Some("web_chat".into())),
        sent_at,
        text(&|r| Some(r.sender.into())),
        text(&|r| Some(r.kind.into())),
        text(&|r| r.body.clone()),
        text(&|_| None),
        text(&|r| r.skill.map(Into::into)),
        list(&|_| None),
        list(&|r| (!r.tags.is_empty()).then(|| r.tags.clone())),
        text(&|r| r.escalation_reason.map(Into::into)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("arrival batch");
    let mut bytes = vec![];
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, None).expect("parquet writer");
    writer.write(&batch).expect("write arrival");
    writer.close().expect("close arrival");
    bytes
}

/// The arrival sequence: `count` files, deterministic. New conversations cycle
/// through Resolved, Closed (visitor last), Routed (ticket) and Open (recent),
/// the old ones alternating between existing June partitions and new May
/// folders; every 6th file re-delivers the previous new conversation's file
/// under another name; every 6th (offset 4) adds an agent reply and a visitor
/// answer to the first Open arrival. Tags come from `tags` (the touched
/// account's existing tags, so no new group appears in `overview_daily`).
fn arrival_sequence(count: usize, tags: &[String]) -> (Vec<Arrival>, String) {
    let at = |date: &str, hour: u32, minute: usize| -> DateTime<Utc> {
        let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        d.and_hms_opt(hour, 0, 0).unwrap().and_utc() + chrono::Duration::minutes(minute as i64)
    };
    let open_target = "conv_acc_003_soak_00004".to_string();
    let mut arrivals: Vec<Arrival> = vec![];
    let mut last_new: Option<Arrival> = None;
    let mut new_count = 0usize;
    let mut follow_ups = 0usize;
    for k in 1..=count {
        let name = format!("soak-{k:05}.parquet");
        if k.is_multiple_of(6)
            && let Some(prev) = &last_new
        {
            arrivals.push(Arrival {
                partition: prev.partition.clone(),
                name,
                bytes: prev.bytes.clone(),
                what: format!("re-delivery of {}", prev.name),
            });
            continue;
        }
        if k % 6 == 4 && new_count >= 4 {
            // Follow-up of the first Open arrival: rows after its last one (still within 48 h of T).
            follow_ups += 1;
            let base = at("2026-06-07", 13, 2 * follow_ups);
            let id = |j: usize| format!("msg_acc_003_soak_00004_f{follow_ups:03}_{j}");
            let rows = vec![
                Row {
                    conversation: open_target.clone(),
                    message: id(1),
                    sent_at: base + chrono::Duration::seconds(10),
                    sender: "agent",
                    kind: "text",
                    body: Some(format!("Follow-up {follow_ups}: anything else?")),
                    skill: Some("faq"),
                    tags: vec![],
                    escalation_reason: None,
                },
                Row {
                    conversation: open_target.clone(),
                    message: id(2),
                    sent_at: base + chrono::Duration::seconds(40),
                    sender: "visitor",
                    kind: "text",
                    body: Some(format!("Yes, question {follow_ups}")),
                    skill: None,
                    tags: vec![],
                    escalation_reason: None,
                },
            ];
            arrivals.push(Arrival {
                partition: "date=2026-06-07".into(),
                name,
                bytes: parquet_bytes(&rows),
                what: format!("follow-up {follow_ups} of {open_target}"),
            });
            continue;
        }
        new_count += 1;
        let n = new_count;
        let conversation = format!("conv_acc_003_soak_{n:05}");
        let pattern = n % 4; // 1 Resolved, 2 Closed, 3 Routed, 0 Open
        let date = if pattern == 0 {
            "2026-06-07".to_string()
        } else if n % 2 == 1 {
            format!("2026-05-0{}", 1 + n % 7)
        } else {
            format!("2026-06-0{}", 1 + n % 5)
        };
        let base = if pattern == 0 {
            at(&date, 12, n)
        } else {
            at(&date, 9, n)
        };
        let conv_tags = if n.is_multiple_of(5) {
            vec![]
        } else {
            vec![tags[n % tags.len()].clone()]
        };
        let mut rows = vec![];
        let mut push = |j: usize, secs: i64, sender, kind, body: &str, skill, reason| {
            rows.push(Row {
                conversation: conversation.clone(),
                message: format!("msg_acc_003_soak_{n:05}_{j:03}"),
                sent_at: base + chrono::Duration::seconds(secs),
                sender,
                kind,
                body: (!body.is_empty()).then(|| body.to_string()),
                skill,
                tags: if j == 1 { conv_tags.clone() } else { vec![] },
                escalation_reason: reason,
            });
        };
        push(
            1,
            0,
            "visitor",
            "text",
            &format!("Soak question {n}, \"quoted\", with a comma"),
            None,
            None,
        );
        match pattern {
            1 => push(
                2,
                20,
                "agent",
                "text",
                "Here is the answer.",
                Some("faq"),
                None,
            ),
            2 => {
                push(
                    2,
                    20,
                    "agent",
                    "text",
                    "Here is the answer.",
                    Some("returns"),
                    None,
                );
                push(3, 90, "visitor", "text", "That does not help", None, None);
            }
            3 => push(
                2,
                20,
                "agent",
                "handoff_ticket",
                "",
                Some("order_tracking"),
                Some("customer_request"),
            ),
            _ => {}
        }
        let arrival = Arrival {
            partition: format!("date={date}"),
            name,
            bytes: parquet_bytes(&rows),
            what: format!("new conversation {conversation} on {date}"),
        };
        last_new = Some(arrival.clone());
        arrivals.push(arrival);
    }
    (arrivals, open_target)
}

/// Puts an arrival in place as the platform does: the bytes under a hidden
/// `_tmp-` name, half of them first and the rest after `pause`, then a rename.
fn land(root: &Path, arrival: &Arrival, pause: Duration) {
    use std::io::Write;
    let dir = root.join("messages").join(&arrival.partition);
    std::fs::create_dir_all(&dir).expect("create partition folder");
    let tmp = dir.join(format!("_tmp-{}", arrival.name));
    let mut f = std::fs::File::create(&tmp).expect("create temporary file");
    let half = arrival.bytes.len() / 2;
    f.write_all(&arrival.bytes[..half])
        .expect("write first half");
    f.flush().unwrap();
    if !pause.is_zero() {
        std::thread::sleep(pause);
    }
    f.write_all(&arrival.bytes[half..])
        .expect("write second half");
    f.sync_all().expect("sync");
    drop(f);
    std::fs::rename(&tmp, dir.join(&arrival.name)).expect("rename into place");
}

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

// ------------------------------------------------------------------ expectations

/// Runs `sql` in-process and returns the answer.
async fn run_in_process(engine: &Engine, sql: &str) -> Answer {
    let mut session = engine.session();
    let batches = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("in-process {sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("in-process {sql}: {e}"));
    batches_answer(&batches)
}

/// The expected answers: `untouched[i]` for the queries arrivals never touch,
/// `states[k][i]` for the touched ones after the first k arrivals.
struct Expected {
    untouched: BTreeMap<usize, Answer>,
    states: Vec<BTreeMap<usize, Answer>>,
}

impl Expected {
    /// Computes every answer in-process on `root` (a fresh copy of the sample),
    /// landing the arrivals one by one; checks the design's assumptions: the
    /// untouched answers are the same after all arrivals, the arrivals change
    /// the touched answers, sales never change and `overview_daily`'s groups
    /// stay the same (so an answer is that of one file set even though the
    /// function lists the log twice).
    async fn compute(root: &Path, mix: &[MixQuery], arrivals: &[Arrival]) -> Expected {
        let engine = Engine::open(EngineOptions {
            data: root.display().to_string(),
            as_of: Some(conversql_udfs::parse_instant(AS_OF).unwrap()),
            ..Default::default()
        })
        .await
        .expect("open the in-process engine");
        let all = |touched_only: bool| {
            let engine = &engine;
            let futures: Vec<_> = mix
                .iter()
                .enumerate()
                .filter(|(_, q)| q.touched || !touched_only)
                .map(|(i, q)| async move { (i, run_in_process(engine, &q.inline_sql()).await) })
                .collect();
            async move {
                futures::future::join_all(futures)
                    .await
                    .into_iter()
                    .collect::<BTreeMap<_, _>>()
            }
        };
        let first = all(false).await;
        let untouched: BTreeMap<usize, Answer> = first
            .iter()
            .filter(|(i, _)| !mix[**i].touched)
            .map(|(i, a)| (*i, a.clone()))
            .collect();
        let mut states = vec![
            first
                .into_iter()
                .filter(|(i, _)| mix[*i].touched)
                .collect::<BTreeMap<_, _>>(),
        ];
        for arrival in arrivals {
            land(root, arrival, Duration::ZERO);
            states.push(all(true).await);
        }
        let last = all(false).await;
        for (i, answer) in &untouched {
            assert_eq!(
                &last[i], answer,
                "the arrivals changed an untouched answer: {}",
                mix[*i].sql
            );
        }
        for (i, q) in mix.iter().enumerate().filter(|(_, q)| q.touched) {
            let per_state: Vec<&Answer> = states.iter().map(|s| &s[&i]).collect();
            if q.kind == "overview" {
                let sales: Vec<_> = per_state.iter().map(|a| a[0][3].clone()).collect();
                assert!(
                    sales.windows(2).all(|w| w[0] == w[1]),
                    "arrivals changed sales of {}: {sales:?}",
                    q.sql
                );
            }
            if q.kind == "overview_daily" {
                let groups = |a: &Answer| {
                    a.iter()
                        .map(|r| r[1].clone())
                        .collect::<std::collections::BTreeSet<_>>()
                };
                assert!(
                    per_state.iter().all(|a| groups(a) == groups(per_state[0])),
                    "arrivals changed the groups of {}",
                    q.sql
                );
            }
        }
        for kind in ["overview", "overview_daily", "conversations page", "thread"] {
            let changed = mix.iter().enumerate().any(|(i, q)| {
                q.kind == kind && q.touched && states[0][&i] != states[arrivals.len()][&i]
            });
            assert!(
                changed || arrivals.len() < 4,
                "the arrivals changed no touched answer of kind {kind}"
            );
        }
        Expected { untouched, states }
    }
}

// ------------------------------------------------------------------ the server and its memory

/// A `conversql serve` on the soak copy, killed when dropped.
struct SoakServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Drop for SoakServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SoakServer {
    fn start(root: &Path, log: PathBuf) -> SoakServer {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_conversql"))
            .args([
                "serve",
                "--data",
                &root.display().to_string(),
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start conversql serve");
        wait_for_port(port, "conversql serve", &mut child);
        SoakServer { child, port, log }
    }

    /// The server's resident memory (`VmRSS`) in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }
}

/// The median of some KiB samples.
fn median(samples: &[u64]) -> u64 {
    let mut s = samples.to_vec();
    s.sort_unstable();
    s[s.len() / 2]
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ------------------------------------------------------------------ clients

/// What the clients found, shared.
#[derive(Default)]
struct Tally {
    /// Latencies per query kind.
    latencies: BTreeMap<&'static str, Vec<Duration>>,
    /// Answers compared with the expectation.
    checked: usize,
    /// Touched answers that were some later state than state 0.
    saw_arrivals: usize,
    /// Highest state any answer identified.
    max_state_seen: usize,
    /// Query errors (the text of each).
    errors: Vec<String>,
    /// Answers that matched no allowed expectation.
    wrong: Vec<String>,
}

/// Decodes one extended-protocol row to Postgres text cells.
fn row_text(row: &tokio_postgres::Row) -> Result<Vec<Option<String>>, String> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            let e = |e: tokio_postgres::Error| format!("column {i} ({ty}): {e}");
            Ok(match *ty {
                Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
                    row.try_get::<_, Option<String>>(i).map_err(e)?
                }
                Type::INT8 => row
                    .try_get::<_, Option<i64>>(i)
                    .map_err(e)?
                    .map(|v| v.to_string()),
                Type::INT4 => row
                    .try_get::<_, Option<i32>>(i)
                    .map_err(e)?
                    .map(|v| v.to_string()),
                Type::FLOAT8 => row
                    .try_get::<_, Option<f64>>(i)
                    .map_err(e)?
                    .map(|v| format!("{v:?}")),
                Type::BOOL => row
                    .try_get::<_, Option<bool>>(i)
                    .map_err(e)?
                    .map(|v| if v { "t" } else { "f" }.into()),
                Type::DATE => row
                    .try_get::<_, Option<NaiveDate>>(i)
                    .map_err(e)?
                    .map(|v| v.to_string()),
                Type::TIMESTAMPTZ => row
                    .try_get::<_, Option<DateTime<Utc>>>(i)
                    .map_err(e)?
                    .map(pg_text_instant),
                Type::TEXT_ARRAY => row
                    .try_get::<_, Option<Vec<Option<String>>>>(i)
                    .map_err(e)?
                    .map(|v| pg_text_array(&v)),
                _ => return Err(format!("column {i}: unexpected type {ty}")),
            })
        })
        .collect()
}

/// Runs one query of the mix on `client`, returning its answer as text.
async fn run_on_wire(
    client: &Client,
    q: &MixQuery,
    prepared: Option<&Statement>,
) -> Result<Answer, String> {
    let describe = |e: tokio_postgres::Error| match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    };
    if let (Protocol::Extended(params), Some(stmt)) = (&q.protocol, prepared) {
        let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn tokio_postgres::types::ToSql + Sync))
            .collect();
        let rows = client.query(stmt, &params).await.map_err(describe)?;
        rows.iter().map(row_text).collect()
    } else {
        let floats = q.float_columns();
        let messages = client.simple_query(&q.sql).await.map_err(describe)?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| {
                            r.get(i).map(|s| {
                                if floats.contains(&i) {
                                    canonical_float(s)
                                } else {
                                    s.to_string()
                                }
                            })
                        })
                        .collect(),
                ),
                _ => None,
            })
            .collect())
    }
}

/// Shared state of a run.
struct Run {
    mix: Vec<MixQuery>,
    expected: Expected,
    /// Files renamed into place so far (a lower bound of what a query started now sees).
    landed: AtomicUsize,
    /// Files renamed or about to be (an upper bound of what a query that ended now saw).
    landing: AtomicUsize,
    deadline: Instant,
    /// Connections that have had an answer (the warm-up waits for all).
    warmed_connections: AtomicUsize,
    tally: Mutex<Tally>,
}

/// One dashboard connection: sets the instant T, prepares the extended
/// queries, then runs queries of the mix in a pseudo-random order until the
/// deadline, checking every answer.
async fn client_loop(run: Arc<Run>, conninfo: String, seed: u64) {
    let (client, connection) = match tokio_postgres::connect(&conninfo, NoTls).await {
        Ok(c) => c,
        Err(e) => {
            run.tally
                .lock()
                .unwrap()
                .errors
                .push(format!("connection {seed}: connect: {e}"));
            return;
        }
    };
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let setup = async {
        client
            .batch_execute(&format!("SET conversql.as_of = '{AS_OF}'"))
            .await
            .map_err(|e| format!("SET as_of: {e}"))?;
        let mut prepared = BTreeMap::new();
        for (i, q) in run.mix.iter().enumerate() {
            if let Protocol::Extended(params) = &q.protocol {
                let types = vec![Type::TEXT; params.len()];
                let stmt = client
                    .prepare_typed(&q.sql, &types)
                    .await
                    .map_err(|e| format!("prepare {}: {e}", q.sql))?;
                prepared.insert(i, stmt);
            }
        }
        Ok::<_, String>(prepared)
    };
    let prepared = match setup.await {
        Ok(p) => p,
        Err(e) => {
            run.tally
                .lock()
                .unwrap()
                .errors
                .push(format!("connection {seed}: {e}"));
            return;
        }
    };
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    // The lowest arrival state this client's next answer may show.
    let mut floor = 0usize;
    let mut answered = 0usize;
    while Instant::now() < run.deadline {
        if answered == 1 {
            run.warmed_connections.fetch_add(1, Ordering::SeqCst);
        }
        answered += 1;
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let i = (rng % run.mix.len() as u64) as usize;
        let q = &run.mix[i];
        let landed_before = run.landed.load(Ordering::SeqCst);
        let started = Instant::now();
        let result = run_on_wire(&client, q, prepared.get(&i)).await;
        let elapsed = started.elapsed();
        let landed_after = run.landing.load(Ordering::SeqCst);
        let mut tally = run.tally.lock().unwrap();
        tally.latencies.entry(q.kind).or_default().push(elapsed);
        let answer = match result {
            Ok(a) => a,
            Err(e) => {
                tally
                    .errors
                    .push(format!("connection {seed}: {}: {e}", q.sql));
                continue;
            }
        };
        tally.checked += 1;
        if !q.touched {
            if answer != run.expected.untouched[&i] {
                tally.wrong.push(format!(
                    "connection {seed}: {} (params {:?}) answered {answer:?}, expected {:?}",
                    q.sql, q.protocol, run.expected.untouched[&i]
                ));
            }
            continue;
        }
        // Some state between what was in place when it started (and what this
        // client saw before) and what was in place when it ended.
        let low = floor.max(landed_before);
        if let Some(k) = (low..=landed_after).find(|k| run.expected.states[*k][&i] == answer) {
            floor = k;
            tally.max_state_seen = tally.max_state_seen.max(k);
            if k > 0 {
                tally.saw_arrivals += 1;
            }
        } else {
            let any =
                (0..run.expected.states.len()).find(|k| run.expected.states[*k][&i] == answer);
            tally.wrong.push(format!(
                "connection {seed}: {} (params {:?}): answer is {} but must be one of states {low}..={landed_after}: {answer:?}",
                q.sql,
                q.protocol,
                match any {
                    Some(k) => format!("state {k}"),
                    None => "no state at all".into(),
                }
            ));
        }
    }
}

// ------------------------------------------------------------------ the test

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

/// The soak: see the module documentation. About three minutes, so not part
/// of a plain `cargo test`; `.ci/run` (through `scripts/test --soak`) runs it.
#[test]
#[ignore = "a 3-minute soak: cargo test --test integration soak -- --ignored"]
fn soak_64_connections_dashboard_mix_with_arriving_files() {
    let secs = setting("CONVERSQL_SOAK_SECS", 180);
    let count = setting("CONVERSQL_SOAK_ARRIVALS", (secs / 10).max(4)) as usize;
    let connections = setting("CONVERSQL_SOAK_CONNECTIONS", 64) as usize;
    let total = Duration::from_secs(secs);
    // Warm-up: at least a sixth of the run (30 s by default), and until every
    // connection has had an answer. The arrivals follow, spread evenly up to
    // a tenth of the run before the end, so that the clients see the final state.
    let min_warmup = total / 6;
    let arrivals_end = total.checked_sub(total / 10).unwrap();

    let tmp = tempfile::Builder::new()
        .prefix("conversql-soak-")
        .tempdir()
        .unwrap();
    let serve_root = tmp.path().join("serve");
    let check_root = tmp.path().join("check");
    copy_tree(Path::new(&data_root()), &serve_root);
    copy_tree(Path::new(&data_root()), &check_root);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    // The mix's parameters and the arrivals' tags, from the sample in-process.
    let (untouched_threads, tags) = rt.block_on(async {
        let engine = Engine::open(EngineOptions { data: data_root(), ..Default::default() }).await.unwrap();
        let mut threads = vec![];
        for account in UNTOUCHED {
            let a = run_in_process(
                &engine,
                &format!("SELECT min(conversation_id) FROM conversations WHERE account_id = '{account}'"),
            )
            .await;
            threads.push((account.to_string(), a[0][0].clone().expect("a conversation")));
        }
        let tags = run_in_process(
            &engine,
            &format!("SELECT DISTINCT unnest(tags) AS t FROM conversations WHERE account_id = '{TOUCHED}' ORDER BY t"),
        )
        .await;
        (threads, tags.into_iter().filter_map(|r| r[0].clone()).collect::<Vec<_>>())
    });
    assert!(
        !tags.is_empty(),
        "{TOUCHED} has tagged conversations in the sample"
    );
    let (arrivals, touched_thread) = arrival_sequence(count, &tags);
    let mix = dashboard_mix(&untouched_threads, &touched_thread);

    let precompute = Instant::now();
    let expected = rt.block_on(Expected::compute(&check_root, &mix, &arrivals));
    let precompute = precompute.elapsed();
    // The sample's known overview, as a sanity check of the in-process side.
    assert_eq!(
        expected.untouched[&0],
        common::in_process(&mix[0].sql)
            .iter()
            .map(|r| r
                .split('|')
                .map(|c| Some(c.to_string()))
                .collect::<Vec<_>>())
            .map(|mut r| {
                r[2] = r[2].as_deref().map(canonical_float);
                r
            })
            .collect::<Vec<_>>(),
        "the untouched overview computed two ways"
    );

    let server = SoakServer::start(&serve_root, tmp.path().join("server.log"));
    let conninfo = format!(
        "host=127.0.0.1 port={} user=analyst dbname=conversql",
        server.port
    );
    let rss_start = server.rss_kib();
    let started = Instant::now();
    let run = Arc::new(Run {
        mix: mix.clone(),
        expected,
        landed: AtomicUsize::new(0),
        landing: AtomicUsize::new(0),
        deadline: started + total,
        warmed_connections: AtomicUsize::new(0),
        tally: Mutex::new(Tally::default()),
    });

    let clients: Vec<_> = (0..connections)
        .map(|c| rt.spawn(client_loop(run.clone(), conninfo.clone(), c as u64 + 1)))
        .collect();

    // Memory: VmRSS every second; the warm-up ends here.
    let mut rss: Vec<(Duration, u64)> = vec![];
    let warmup = loop {
        rss.push((started.elapsed(), server.rss_kib()));
        let t = started.elapsed();
        if t >= min_warmup && run.warmed_connections.load(Ordering::SeqCst) >= connections {
            break t;
        }
        assert!(
            t < total / 2,
            "warm-up not over at half the run: {} of {connections} connections had an answer in {} s \
             (the server is too slow for this run: raise CONVERSQL_SOAK_SECS or use --release)",
            run.warmed_connections.load(Ordering::SeqCst),
            t.as_secs()
        );
        std::thread::sleep(Duration::from_secs(1));
    };

    // The writer: the arrivals spread evenly from the end of the warm-up.
    let writer = {
        let run = run.clone();
        let root = serve_root.clone();
        let arrivals = arrivals.clone();
        let every = arrivals_end.checked_sub(warmup).unwrap() / count as u32;
        std::thread::spawn(move || {
            for (k, arrival) in arrivals.iter().enumerate() {
                let due = started + warmup + every * k as u32;
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                run.landing.store(k + 1, Ordering::SeqCst);
                land(&root, arrival, Duration::from_millis(300));
                run.landed.store(k + 1, Ordering::SeqCst);
            }
        })
    };

    let rss: Vec<(Duration, u64)> = {
        while Instant::now() < run.deadline {
            rss.push((started.elapsed(), server.rss_kib()));
            std::thread::sleep(Duration::from_secs(1));
        }
        rt.block_on(async {
            for c in clients {
                c.await.expect("client task");
            }
        });
        rss.push((started.elapsed(), server.rss_kib()));
        rss
    };
    writer.join().expect("writer thread");
    let elapsed = started.elapsed();

    // ---- figures
    let tally = run.tally.lock().unwrap();
    let queries: usize = tally.latencies.values().map(Vec::len).sum();
    // Post-warm-up level: the median of the 10 s after the warm-up; end level:
    // the median of the last 10 s (medians, not single samples: RSS moves with
    // the 64 queries in flight at the sampling instant).
    let window = |from: Duration, to: Duration| -> Vec<u64> {
        rss.iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(_, k)| *k)
            .collect()
    };
    let warm = median(&window(warmup, warmup + Duration::from_secs(10)));
    let end = median(&window(
        elapsed.saturating_sub(Duration::from_secs(10)),
        elapsed + Duration::from_secs(1),
    ));
    let peak = rss.iter().map(|(_, k)| *k).max().unwrap();
    let low = rss
        .iter()
        .filter(|(t, _)| *t >= warmup)
        .map(|(_, k)| *k)
        .min()
        .unwrap();
    // Allowed: 10% of the post-warm-up level plus 16 MiB. The arrivals add a
    // few dozen small files whose footers the server caches (a few KiB each),
    // and a glibc heap with 64 connections' worth of arenas keeps freed pages
    // it has not yet returned; a leak of one query's result per query (tens of
    // KiB × thousands of queries) or of a file's rows per scan exceeds it.
    let allowed = warm + warm / 10 + 16 * 1024;

    println!(
        "\nsoak: {} s ({} s warm-up), {connections} connections, as_of {AS_OF}, {} build",
        elapsed.as_secs(),
        warmup.as_secs(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    println!(
        "  expected answers computed in-process for {} arrival states in {:.1} s",
        run.expected.states.len(),
        precompute.as_secs_f64()
    );
    println!(
        "  queries run:      {queries} ({:.1}/s)",
        queries as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  answers checked:  {} ({} of them showed arrivals; highest arrival state seen {} of {})",
        tally.checked,
        tally.saw_arrivals,
        tally.max_state_seen,
        arrivals.len()
    );
    println!("  errors:           {}", tally.errors.len());
    println!("  wrong answers:    {}", tally.wrong.len());
    println!(
        "  files arrived:    {} ({} new conversations/follow-ups, {} re-deliveries)",
        run.landed.load(Ordering::SeqCst),
        arrivals
            .iter()
            .filter(|a| !a.what.starts_with("re-"))
            .count(),
        arrivals
            .iter()
            .filter(|a| a.what.starts_with("re-"))
            .count()
    );
    println!("  latency per query kind (p50 / p99 / max, n):");
    for (kind, l) in &tally.latencies {
        let mut l = l.clone();
        l.sort_unstable();
        println!(
            "    {kind:<20} {:>8.1} ms {:>8.1} ms {:>8.1} ms  {}",
            percentile(&l, 0.50).as_secs_f64() * 1e3,
            percentile(&l, 0.99).as_secs_f64() * 1e3,
            l.last().unwrap().as_secs_f64() * 1e3,
            l.len()
        );
    }
    println!(
        "  server RSS: start {}, after warm-up {}, end {} (allowed ≤ {}); after warm-up min {}, peak {}; {} samples",
        mib(rss_start),
        mib(warm),
        mib(end),
        mib(allowed),
        mib(low),
        mib(peak),
        rss.len()
    );
    let step = (rss.len() / 12).max(1);
    let series: Vec<String> = rss
        .iter()
        .step_by(step)
        .map(|(t, k)| format!("{}s:{:.0}", t.as_secs(), *k as f64 / 1024.0))
        .collect();
    println!("  RSS series (MiB): {}", series.join(" "));

    let server_log = || std::fs::read_to_string(&server.log).unwrap_or_default();
    assert!(
        tally.errors.is_empty(),
        "{} errors, first ones:\n{}\nserver log:\n{}",
        tally.errors.len(),
        tally
            .errors
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        server_log()
    );
    assert!(
        tally.wrong.is_empty(),
        "{} wrong answers, first ones:\n{}",
        tally.wrong.len(),
        tally
            .wrong
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_eq!(
        run.landed.load(Ordering::SeqCst),
        arrivals.len(),
        "every arrival landed"
    );
    assert_eq!(
        tally.max_state_seen,
        arrivals.len(),
        "after the last arrival some answer about {TOUCHED} showed it (the server sees new files)"
    );
    assert!(
        tally.checked >= connections,
        "every connection got answers ({} checked)",
        tally.checked
    );
    assert!(
        end <= allowed,
        "server RSS grew: {} after warm-up, {} at the end (allowed ≤ {})",
        mib(warm),
        mib(end),
        mib(allowed)
    );
}
