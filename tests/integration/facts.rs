//! The fact store against the raw log: the same answers, whatever arrives.
//!
//! A generated dataset (several accounts and zones, writers, re-delivered
//! rows and events) is revealed to one engine in steps — a first part, more days, a
//! re-delivered file, a delivery earlier than the stored one, a profile
//! update, the rest, a restart, a deleted file — and after each step every
//! view and table function is asked twice in the same session: with the fact
//! store (`SET conversql.facts = on`) and straight from the raw log
//! (`off`). The answers must be identical, the store must fold in only what
//! arrived (the conversations the new files touch), survive a restart without
//! rebuilding, and read a conversation's thread from a few row groups.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};

use conversql::facts::FactsPlacement;
use conversql::facts::crash_points;
use conversql::facts::manifest::{Committed, Loaded, Manifest};
use conversql::s3::S3Options;
use conversql::store_location::StoreLocation;
use conversql::{Engine, EngineOptions, Session};
use conversql_datagen::{GenerateOptions, generate};
use futures::TryStreamExt;
use object_store::{ObjectStoreExt, PutPayload};

use crate::common::{AS_OF, Moto, pipe_rows};

/// Every question whose answer is compared, each in a deterministic order.
const QUESTIONS: &[&str] = &[
    "SELECT * FROM conversations ORDER BY account_id, conversation_id",
    "SELECT * FROM conversation_facts ORDER BY account_id, conversation_id",
    "SELECT * FROM conversation_messages ORDER BY account_id, conversation_id, sent_at, message_id",
    "SELECT * FROM daily_conversations ORDER BY account_id, date, channel, status",
    "SELECT * FROM daily_conversations_by_tag ORDER BY account_id, date, tag",
    "SELECT * FROM attribution_touches ORDER BY account_id, profile_id, touch_at, touch, touch_id",
    "SELECT * FROM attributed_orders ORDER BY account_id, order_id",
    "SELECT * FROM customer_agent_events ORDER BY account_id, metric, conversation_id, occurred_at, product_ids",
    "SELECT * FROM segment_recommended_not_purchased ORDER BY account_id, profile_id",
    "SELECT * FROM segment_escalated_last_7_days ORDER BY account_id, profile_id",
    "SELECT * FROM overview('acc_001', '2026-05-10', '2026-06-08')",
    "SELECT * FROM overview('acc_003', '2026-05-25', '2026-05-31')",
    "SELECT * FROM overview_daily('acc_002', '2026-05-10', '2026-06-08', 'status')",
    "SELECT * FROM overview_daily('acc_001', '2026-05-10', '2026-06-08', 'tag')",
    "SELECT * FROM conversations WHERE account_id = 'acc_001' AND started_date BETWEEN DATE '2026-05-20' AND DATE '2026-05-27' ORDER BY conversation_id",
];

async fn answer(session: &mut Session, sql: &str) -> Vec<String> {
    let df = session
        .query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pipe_rows(
        &df.collect().await.unwrap_or_else(|e| panic!("{sql}: {e}")),
        "",
    )
}

async fn set(session: &mut Session, sql: &str) {
    session
        .sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Asks every question from the store and from the raw log; they must agree. Returns the store's answers.
async fn both_paths_agree(session: &mut Session, step: &str) -> Vec<Vec<String>> {
    let mut answers = vec![];
    for sql in QUESTIONS {
        set(session, "SET conversql.facts = on").await;
        let stored = answer(session, sql).await;
        set(session, "SET conversql.facts = off").await;
        let raw = answer(session, sql).await;
        assert!(
            !raw.is_empty() || sql.contains("segment"),
            "{step}: {sql} has no rows"
        );
        if stored != raw {
            let first = stored
                .iter()
                .zip(&raw)
                .position(|(a, b)| a != b)
                .unwrap_or(stored.len().min(raw.len()));
            panic!(
                "{step}: {sql}\nfact store and raw log differ: {} vs {} rows; first difference at row {first}:\n  store: {:?}\n  raw:   {:?}",
                stored.len(),
                raw.len(),
                stored.get(first),
                raw.get(first)
            );
        }
        answers.push(stored);
    }
    set(session, "SET conversql.facts = on").await;
    answers
}

async fn open(root: &Path, facts: &Path) -> Engine {
    Engine::open(EngineOptions {
        data: root.display().to_string(),
        as_of: Some(conversql_udfs::parse_instant(AS_OF).unwrap()),
        facts: FactsPlacement::At(facts.display().to_string()),
        ..Default::default()
    })
    .await
    .unwrap()
}

/// Moves the message and event folders of the dates in `dates` between the dataset and the
/// holding folder; returns the message folders moved.
fn move_days(from: &Path, to: &Path, dates: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut moved = vec![];
    for table in ["messages", "events"] {
        std::fs::create_dir_all(to.join(table)).unwrap();
        for entry in std::fs::read_dir(from.join(table)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().to_string();
            if dates(name.trim_start_matches("date=")) {
                std::fs::rename(entry.path(), to.join(table).join(&name)).unwrap();
                if table == "messages" {
                    moved.push(to.join(table).join(&name));
                }
            }
        }
    }
    moved
}

/// The distinct (account_id, conversation_id) of the given message files.
async fn conversations_in(session: &mut Session, files: &[PathBuf]) -> usize {
    let mut seen = BTreeSet::new();
    for dir in files {
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            let sql = format!(
                "SELECT DISTINCT account_id, conversation_id FROM raw.messages WHERE source_file = 'file://{}'",
                path.display()
            );
            seen.extend(answer(session, &sql).await);
        }
    }
    seen.len()
}

fn report(engine: &Engine) -> conversql::facts::RefreshReport {
    engine
        .fact_store()
        .unwrap()
        .last_report()
        .expect("a refresh happened")
}

#[test]
fn the_fact_store_answers_as_the_raw_log_does_while_files_arrive() {
    on_a_statement_stack(files_arrive_step_by_step);
}

/// Runs `steps` on a runtime whose threads have the stack the server gives a
/// statement: the engine plans on its caller's thread, and a debug build's
/// planning needs more than a test thread's 2 MiB.
fn on_a_statement_stack<F: std::future::Future<Output = ()> + 'static>(steps: fn() -> F) {
    let stack = conversql::limits::THREAD_STACK_BYTES;
    let thread = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_stack_size(stack)
                .enable_all()
                .build()
                .unwrap()
                .block_on(steps());
        })
        .unwrap();
    if let Err(panic) = thread.join() {
        std::panic::resume_unwind(panic);
    }
}

async fn files_arrive_step_by_step() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let held = dir.path().join("held");
    let facts = dir.path().join("facts");
    let summary = generate(&GenerateOptions {
        out: root.clone(),
        seed: 7,
        conversations: 3000,
        accounts: 4,
        days: 30,
        writers: 2,
        at_scale: true,
        ..GenerateOptions::default()
    })
    .unwrap();
    assert!(summary.messages > 20_000, "{summary:?}");

    // 1. The first 20 days: the store is built from nothing.
    move_days(&root, &held, |d| d > "2026-05-28");
    let engine = open(&root, &facts).await;
    let mut session = engine.session();
    let first = both_paths_agree(&mut session, "first 20 days").await;
    let built = report(&engine);
    assert!(
        built.rebuilt() && built.message_files > 0 && built.conversations_recomputed > 1000,
        "{built}"
    );
    let total_after_first = built.conversations_recomputed;
    assert_eq!(built.rebuild_cause.as_deref(), Some("the first build"));
    store_view_counts_what_is_stored(&mut session).await;
    assert_eq!(
        answer(
            &mut session,
            "SELECT rebuild_cause, refresh_generation = generation, rows_folded FROM fact_store WHERE account_id IS NULL",
        )
        .await,
        vec![format!("the first build|true|{}", built.rows_folded())]
    );
    // Touches are read from the store's touches files; a week of sales reads
    // the account's orders with a bound on their instant, not all of them.
    let touches = answer(
        &mut session,
        "EXPLAIN SELECT count(*) FROM attribution_touches WHERE account_id = 'acc_001'",
    )
    .await
    .join("\n");
    assert!(touches.contains("/touches-g"), "{touches}");
    let sales = answer(
        &mut session,
        "EXPLAIN SELECT sum(value) FROM attributed_orders WHERE account_id = 'acc_001' \
         AND placed_date BETWEEN DATE '2026-05-18' AND DATE '2026-05-24'",
    )
    .await
    .join("\n");
    let orders_scan = sales
        .lines()
        .find(|l| l.contains("/events-g") && l.contains("Placed Order"))
        .unwrap_or_else(|| panic!("no scan of the orders:\n{sales}"));
    assert!(
        orders_scan.contains("occurred_at@")
            && (orders_scan.contains("2026-05-17T00:00:00")
                || orders_scan.contains("1778976000000000")),
        "the orders scan has no bound on occurred_at:\n{orders_scan}"
    );

    // 2. Four more days: only the conversations of the new files are recomputed.
    let arrived = move_days(&held, &root, |d| d <= "2026-06-01");
    let touched = conversations_in(
        &mut session,
        &arrived
            .iter()
            .map(|p| root.join("messages").join(p.file_name().unwrap()))
            .collect::<Vec<_>>(),
    )
    .await;
    let after = both_paths_agree(&mut session, "four more days").await;
    assert_ne!(first, after, "new days change the answers");
    let step = report(&engine);
    assert!(!step.rebuilt(), "{step}");
    assert_eq!(step.conversations_recomputed, touched, "{step}");
    assert!(step.conversations_recomputed < total_after_first, "{step}");
    assert!(
        step.segments_written <= 4 * 2,
        "new days touch at most two weeks per account: {step}"
    );
    // Each account's row says what this refresh folded in for it: the rows of the new days.
    let new_rows = "SELECT account_id, count(DISTINCT source_file) AS files, count(*) AS n FROM ( \
         SELECT account_id, source_file FROM raw.messages UNION ALL SELECT account_id, source_file FROM raw.events) \
         WHERE substr(source_file, strpos(source_file, 'date=') + 5, 10) BETWEEN '2026-05-29' AND '2026-06-01' \
         GROUP BY account_id ORDER BY account_id";
    let folded = answer(
        &mut session,
        "SELECT account_id, files_folded, rows_folded FROM fact_store \
         WHERE account_id IS NOT NULL AND refresh_generation = generation AND rebuild_cause IS NULL ORDER BY account_id",
    )
    .await;
    assert_eq!(folded, answer(&mut session, new_rows).await);
    assert_eq!(folded.len(), 4, "every account had new rows");
    store_view_counts_what_is_stored(&mut session).await;

    // 3. A file delivered again under another name: nothing changes.
    let day = root.join("messages/date=2026-05-20");
    let original = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::create_dir_all(root.join("messages/date=2026-06-01")).unwrap();
    std::fs::copy(
        &original,
        root.join("messages/date=2026-06-01/redelivered.parquet"),
    )
    .unwrap();
    let redelivered = both_paths_agree(&mut session, "re-delivered file").await;
    assert_eq!(redelivered, after, "a re-delivery changes nothing");
    assert!(!report(&engine).rebuilt());

    // 4. A delivery of a stored message_id that is earlier than the stored one
    //    (and in another conversation): it wins, and both conversations change.
    let writer = datafusion::prelude::SessionContext::new().enable_url_table();
    let earlier = format!(
        "COPY (SELECT account_id, 'conv_moved' AS conversation_id, message_id, channel, \
                      sent_at - INTERVAL '1' SECOND AS sent_at, sender, kind, 'delivered earlier' AS body, \
                      profile_id, skill, product_ids, tags, escalation_reason \
               FROM '{}' WHERE kind = 'text' ORDER BY message_id LIMIT 3) \
         TO '{}' STORED AS PARQUET",
        original.display(),
        root.join("messages/date=2026-06-01/earlier.parquet")
            .display()
    );
    writer.sql(&earlier).await.unwrap().collect().await.unwrap();
    let displaced = both_paths_agree(&mut session, "earlier delivery").await;
    let moved = answer(
        &mut session,
        "SELECT count(*) FROM conversation_messages WHERE conversation_id = 'conv_moved'",
    )
    .await;
    assert_eq!(moved, vec!["3"], "the earlier deliveries won");
    assert_ne!(displaced, redelivered);
    assert!(
        report(&engine).conversations_recomputed >= 2,
        "{}",
        report(&engine)
    );

    // 5. A profile update: the conversations of that profile show the new name.
    let profile = answer(
        &mut session,
        "SELECT account_id || '|' || profile_id FROM conversations WHERE profile_id IS NOT NULL ORDER BY conversation_id LIMIT 1",
    )
    .await[0]
        .clone();
    let (account, profile_id) = profile.split_once('|').unwrap();
    let update = format!(
        "COPY (SELECT '{profile_id}' AS profile_id, '{account}' AS account_id, 'Renamed' AS first_name, \
                      'Shopper' AS last_name, CAST(NULL AS VARCHAR) AS email, CAST(NULL AS VARCHAR) AS phone_number, \
                      arrow_cast('2027-01-01T00:00:00Z', 'Timestamp(Microsecond, Some(\"UTC\"))') AS updated_at) \
         TO '{}' STORED AS PARQUET",
        root.join("profiles/update-1.parquet").display()
    );
    writer.sql(&update).await.unwrap().collect().await.unwrap();
    both_paths_agree(&mut session, "profile update").await;
    let names = answer(
        &mut session,
        &format!("SELECT DISTINCT profile FROM conversations WHERE profile_id = '{profile_id}'"),
    )
    .await;
    assert_eq!(names, vec!["Renamed Shopper"]);
    let renamed = report(&engine);
    assert!(
        !renamed.rebuilt() && renamed.profile_files == 1 && renamed.message_files == 0,
        "{renamed}"
    );

    // 6. The rest of the month.
    move_days(&held, &root, |_| true);
    let complete = both_paths_agree(&mut session, "whole month").await;
    let generation = engine.fact_store().unwrap().manifest().generation;

    // 7. A restart: the store is read as it was left, nothing is rebuilt.
    drop(session);
    drop(engine);
    let engine = open(&root, &facts).await;
    let mut session = engine.session();
    let restarted = both_paths_agree(&mut session, "after a restart").await;
    assert_eq!(restarted, complete);
    assert!(
        engine.fact_store().unwrap().last_report().is_none(),
        "a restart must not refresh the store"
    );
    assert_eq!(
        engine.fact_store().unwrap().manifest().generation,
        generation
    );
    // The last refresh is part of the store, so the view still shows it.
    assert_eq!(
        answer(
            &mut session,
            "SELECT generation, refresh_generation, rebuild_cause IS NULL, refreshed_at IS NOT NULL FROM fact_store WHERE account_id IS NULL",
        )
        .await,
        vec![format!("{generation}|{generation}|true|true")]
    );

    // 8. One conversation's thread reads a few row groups of its account's segments.
    let plan = answer(
        &mut session,
        "EXPLAIN ANALYZE SELECT * FROM conversation_messages WHERE account_id = 'acc_001' AND conversation_id = 'conv_acc_001_000100'",
    )
    .await
    .join("\n");
    let segments: usize = engine.fact_store().unwrap().manifest().accounts["acc_001"]
        .partitions
        .values()
        .map(|p| p.segments.len())
        .sum();
    let matched = row_groups_matched(&plan);
    assert!(
        matched >= 1 && matched <= segments,
        "{matched} row groups matched ({segments} segments):\n{plan}"
    );

    // 9. A file deleted (a compaction): the store is rebuilt, still in agreement.
    std::fs::remove_file(root.join("messages/date=2026-06-01/redelivered.parquet")).unwrap();
    let deleted = both_paths_agree(&mut session, "after a deletion").await;
    let cause = report(&engine).rebuild_cause.unwrap_or_default();
    assert!(
        cause.contains("date=2026-06-01/redelivered.parquet changed or disappeared"),
        "{cause}"
    );
    assert_eq!(
        answer(
            &mut session,
            "SELECT DISTINCT rebuild_cause FROM fact_store WHERE refresh_generation = generation",
        )
        .await,
        vec![cause]
    );

    // 10. A store file cut short, then a damaged manifest: each time the server starts,
    //     says why the store is rebuilt, and answers as the raw log does.
    let manifest = engine.fact_store().unwrap().manifest();
    let victim = manifest.accounts["acc_002"]
        .partitions
        .values()
        .next()
        .unwrap()
        .segments[0]
        .facts
        .path
        .clone();
    drop(session);
    drop(engine);
    let victim = facts.join(victim);
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    for damage in ["cut short", "damaged manifest"] {
        let expected = if damage == "cut short" {
            format!("{} has {} bytes", victim.display(), bytes.len() / 2)
        } else {
            // The newest generation's manifest, written over with half a document.
            let newest = std::fs::read_dir(facts.join("manifest"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .max()
                .unwrap();
            std::fs::write(&newest, "{\"format\": 4, \"root\": ").unwrap();
            format!("{} is damaged", newest.display())
        };
        let engine = open(&root, &facts).await;
        let mut session = engine.session();
        assert_eq!(both_paths_agree(&mut session, damage).await, deleted);
        let cause = report(&engine).rebuild_cause.unwrap_or_default();
        assert!(cause.contains(&expected), "{damage}: {cause}");
        store_view_counts_what_is_stored(&mut session).await;
    }
}

/// The `fact_store` view's counts per account are those of the views over the store.
async fn store_view_counts_what_is_stored(session: &mut Session) {
    for (column, view) in [
        ("conversations", "conversation_facts"),
        ("messages", "messages"),
        ("events", "events"),
        ("touches", "attribution_touches"),
    ] {
        let stored = answer(
            session,
            &format!("SELECT account_id, {column} FROM fact_store WHERE account_id IS NOT NULL AND {column} > 0 ORDER BY account_id"),
        )
        .await;
        let counted = answer(
            session,
            &format!(
                "SELECT account_id, count(*) FROM {view} GROUP BY account_id ORDER BY account_id"
            ),
        )
        .await;
        assert_eq!(stored, counted, "fact_store.{column} against {view}");
    }
    let totals = answer(
        session,
        "SELECT sum(conversations) = (SELECT conversations FROM fact_store WHERE account_id IS NULL), \
                sum(bytes) = (SELECT bytes FROM fact_store WHERE account_id IS NULL) \
         FROM fact_store WHERE account_id IS NOT NULL",
    )
    .await;
    assert_eq!(totals, vec!["true|true"]);
}

/// The number of row groups the Parquet scans of an `EXPLAIN ANALYZE` read after statistics pruning.
fn row_groups_matched(plan: &str) -> usize {
    let mut total = 0;
    for part in plan.split("row_groups_pruned_statistics=").skip(1) {
        // "<total> total → <matched> matched"
        let text: String = part
            .chars()
            .take_while(|c| *c != ',' && *c != ']')
            .collect();
        let matched = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[1] == "matched")
            .and_then(|w| w[0].parse::<usize>().ok())
            .unwrap_or_else(|| panic!("cannot read row_groups_pruned_statistics in: {text}"));
        total += matched;
    }
    assert!(
        plan.contains("row_groups_pruned_statistics="),
        "no Parquet scan in:\n{plan}"
    );
    total
}

/// Copies the dataset folder `from` into `to`, without its `_conversql` folder.
fn copy_dataset(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "_conversql" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dataset(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// Starts `conversql serve` over `root` with the store in `facts`.
fn serve(root: &Path, facts: &Path) -> (Serving, u16) {
    let (root, facts) = (root.display().to_string(), facts.display().to_string());
    serve_with(&["--data", &root, "--facts-dir", &facts], &[])
}

/// A `conversql serve` process, killed when dropped (also when a test fails).
struct Serving(std::process::Child);

impl Serving {
    /// Kills the server and waits for it.
    fn stop(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `conversql serve` with these arguments and environment.
fn serve_with(args: &[&str], env: &[(&str, String)]) -> (Serving, u16) {
    let port = crate::common::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conversql"))
        .arg("serve")
        .args(args)
        .args(["--as-of", AS_OF, "--listen", &format!("127.0.0.1:{port}")])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start conversql serve");
    crate::common::wait_for_port(port, "conversql serve", &mut child);
    (Serving(child), port)
}

/// A client of the server on `port`.
async fn connect(port: u16) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=analyst dbname=conversql"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
}

/// Every row of `sql` as `a|b|c` (NULL as empty), through the simple protocol.
async fn rows_of(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}: {:?}", e.as_db_error()))
        .iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                (0..r.len())
                    .map(|i| r.get(i).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("|"),
            ),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_store() {
    let dir = tempfile::tempdir().unwrap();
    let (root, held, facts) = (
        dir.path().join("root"),
        dir.path().join("held"),
        dir.path().join("facts"),
    );
    copy_dataset(Path::new(&crate::common::data_root()), &root);
    move_days(&root, &held, |d| d >= "2026-06-06");
    let (first, first_port) = serve(&root, &facts);
    let (second, second_port) = serve(&root, &facts);
    let (a, b) = (connect(first_port).await, connect(second_port).await);
    let generation = "SELECT generation, refresh_generation, rebuild_cause FROM fact_store WHERE account_id IS NULL";
    let questions = [
        generation,
        "SELECT * FROM overview('acc_001', '2026-05-09', '2026-06-07')",
        "SELECT * FROM overview_daily('acc_002', '2026-05-09', '2026-06-07', 'status')",
        "SELECT account_id, count(*), max(last_updated) FROM conversations GROUP BY account_id ORDER BY account_id",
        "SELECT account_id, conversations, messages, events, touches, bytes FROM fact_store ORDER BY account_id NULLS LAST",
    ];

    // The first server builds the store; the second reads the generation it wrote.
    assert_eq!(rows_of(&a, generation).await, vec!["1|1|the first build"]);
    assert_eq!(rows_of(&b, generation).await, vec!["1|1|the first build"]);

    // New days arrive and both servers are asked at once: both may fold them in, but
    // only one commits generation 2; the other loses the race, deletes its files
    // and reads the winner's generation.
    move_days(&held, &root, |_| true);
    let (from_a, from_b) = tokio::join!(rows_of(&a, questions[3]), rows_of(&b, questions[3]));
    assert_eq!(from_a, from_b);
    for sql in questions {
        assert_eq!(rows_of(&a, sql).await, rows_of(&b, sql).await, "{sql}");
    }
    assert_eq!(
        rows_of(&a, generation).await,
        vec!["2|2|"],
        "one refresh folded the new days in, without a rebuild"
    );
    // And both answer as the raw log does.
    a.batch_execute("SET conversql.facts = off").await.unwrap();
    for sql in &questions[1..4] {
        assert_eq!(rows_of(&a, sql).await, rows_of(&b, sql).await, "{sql}");
    }
    first.stop();
    second.stop();
}

/// Where a crash test keeps its dataset and its store: a local folder, or a
/// bucket of a moto server (the dataset's files uploaded as they arrive, the
/// store beside them in the bucket, where a server keeps it by default).
struct CrashSite {
    /// The dataset as it has arrived so far, on the local disk.
    root: PathBuf,
    /// The files still to arrive.
    held: PathBuf,
    /// `serve`'s data and store arguments.
    args: Vec<String>,
    /// `serve`'s environment.
    env: Vec<(&'static str, String)>,
    /// The store, for the test to look into.
    facts: StoreLocation,
    /// The bucket the dataset is uploaded to, and its prefix there.
    bucket: Option<(StoreLocation, BTreeSet<PathBuf>)>,
}

impl CrashSite {
    /// Uploads the files of the local dataset not yet in the bucket (nothing for a local site).
    async fn sync(&mut self) {
        let Some((bucket, uploaded)) = &mut self.bucket else {
            return;
        };
        // Object stores have no folders: a `_SUCCESS` marker (which the listing
        // rule ignores) makes each table's prefix exist before its files do.
        for table in ["accounts", "profiles", "messages", "events"] {
            let marker = bucket.child(&format!("{table}/_SUCCESS"));
            bucket
                .store
                .put(&marker, PutPayload::default())
                .await
                .unwrap();
        }
        let mut files = vec![];
        let mut folders = vec![self.root.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        for file in files {
            if uploaded.insert(file.clone()) {
                let relative = file.strip_prefix(&self.root).unwrap().display().to_string();
                bucket
                    .store
                    .put(
                        &bucket.child(&relative),
                        PutPayload::from(std::fs::read(&file).unwrap()),
                    )
                    .await
                    .unwrap();
            }
        }
    }

    fn serve(&self, env: &[(&str, String)]) -> (Serving, u16) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut all: Vec<(&str, String)> = self.env.clone();
        all.extend(env.iter().cloned());
        serve_with(&args, &all)
    }
}

/// The newest committed generation of the store.
async fn newest_generation(facts: &StoreLocation) -> u64 {
    match Manifest::load(facts).await.unwrap() {
        Loaded::Found(m) => m.generation,
        other => panic!("no usable manifest: {other:?}"),
    }
}

/// Kills a refresh at every step of [`crash_points::STEPS`] in turn: each
/// time new files have arrived, a server told to die at that step is asked a
/// question and dies of SIGKILL; the store must still hold the last
/// committed generation (the next one, from the commit on), and a new server
/// must fold the files in without a rebuild, answer as the raw log does, and
/// leave no file that no generation refers to.
async fn kill_at_every_step(site: &mut CrashSite) {
    copy_dataset(Path::new(&crate::common::data_root()), &site.root);
    // Days from June 1st, and the profiles, arrive one step at a time.
    move_days(&site.root, &site.held, |d| d >= "2026-06-01");
    std::fs::create_dir_all(site.held.join("profiles")).unwrap();
    std::fs::rename(
        site.root.join("profiles/profiles.parquet"),
        site.held.join("profiles/profiles.parquet"),
    )
    .unwrap();
    site.sync().await;
    let generation = "SELECT generation, refresh_generation, rebuild_cause FROM fact_store WHERE account_id IS NULL";
    let questions = [
        "SELECT * FROM overview('acc_001', '2026-05-09', '2026-06-07')",
        "SELECT * FROM overview_daily('acc_002', '2026-05-09', '2026-06-07', 'channel')",
        "SELECT account_id, count(*), max(last_updated), count(DISTINCT profile) FROM conversations GROUP BY account_id ORDER BY account_id",
        "SELECT channel, count(*), sum(value) FROM attributed_orders GROUP BY channel ORDER BY channel",
    ];
    let (first, port) = site.serve(&[]);
    let client = connect(port).await;
    assert_eq!(
        rows_of(&client, generation).await,
        vec!["1|1|the first build"]
    );
    assert_eq!(
        rows_of(
            &client,
            "SELECT location FROM fact_store WHERE account_id IS NULL"
        )
        .await,
        vec![site.facts.url_of_folder()],
        "the server keeps the store where the test looks"
    );
    first.stop();

    let committed_at = crash_points::STEPS
        .iter()
        .position(|s| *s == "manifest-committed")
        .unwrap();
    for (i, step) in crash_points::STEPS.iter().enumerate() {
        let day = format!("2026-06-0{}", i + 1);
        move_days(&site.held, &site.root, |d| d == day);
        if *step == "profiles-written" {
            std::fs::rename(
                site.held.join("profiles/profiles.parquet"),
                site.root.join("profiles/profiles.parquet"),
            )
            .unwrap();
        }
        site.sync().await;
        let before = newest_generation(&site.facts).await;

        let (mut crashing, port) = site.serve(&[(crash_points::VARIABLE, (*step).to_string())]);
        let client = connect(port).await;
        let asked = client.simple_query(questions[0]).await;
        let status = crashing.0.wait().unwrap();
        assert!(asked.is_err(), "{step}: the server answered: {asked:?}");
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{step}: {status}");
        let committed = u64::from(i >= committed_at);
        assert_eq!(
            newest_generation(&site.facts).await,
            before + committed,
            "{step}: the newest generation after the kill"
        );

        let (server, port) = site.serve(&[]);
        let client = connect(port).await;
        let next = before + 1;
        assert_eq!(
            rows_of(&client, generation).await,
            vec![format!("{next}|{next}|")],
            "{step}: the next server completes the work without a rebuild"
        );
        let stored = {
            let mut answers = vec![];
            for sql in questions {
                answers.push(rows_of(&client, sql).await);
            }
            answers
        };
        client
            .batch_execute("SET conversql.facts = off")
            .await
            .unwrap();
        for (sql, stored) in questions.iter().zip(&stored) {
            assert_eq!(&rows_of(&client, sql).await, stored, "{step}: {sql}");
        }
        // Every stored file is the newest generation's, or replaced by it and waiting out its grace.
        let Loaded::Found(manifest) = Manifest::load(&site.facts).await.unwrap() else {
            panic!("{step}: no usable manifest");
        };
        let referenced: BTreeSet<String> = manifest
            .files()
            .map(|f| f.path.clone())
            .chain(manifest.retired.iter().map(|r| r.path.clone()))
            .collect();
        let listed: Vec<_> = site
            .facts
            .store
            .list(Some(&site.facts.prefix))
            .try_collect()
            .await
            .unwrap();
        let unreferenced: Vec<String> = listed
            .iter()
            .filter_map(|meta| site.facts.relative(&meta.location))
            .filter(|f| f.ends_with(".parquet") && !referenced.contains(f))
            .collect();
        assert!(
            unreferenced.is_empty(),
            "{step}: files no generation refers to: {unreferenced:?}"
        );
        server.stop();
    }
    // The newest generation cannot be committed again (a writer that lost the
    // race): the store's conditional write refuses it, on S3 as on the local disk.
    let Loaded::Found(newest) = Manifest::load(&site.facts).await.unwrap() else {
        panic!("no usable manifest");
    };
    assert_eq!(
        newest.commit(&site.facts).await.unwrap(),
        Committed::LostRace
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_killed_at_any_step_leaves_the_store_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (root, facts) = (dir.path().join("root"), dir.path().join("facts"));
    let mut site = CrashSite {
        args: vec![
            "--data".into(),
            root.display().to_string(),
            "--facts-dir".into(),
            facts.display().to_string(),
        ],
        env: vec![],
        facts: StoreLocation::parse(&facts.display().to_string(), &S3Options::default()).unwrap(),
        root,
        held: dir.path().join("held"),
        bucket: None,
    };
    kill_at_every_step(&mut site).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_killed_at_any_step_leaves_the_store_in_s3_readable() {
    require!(MOTO_SERVER, BOTO3);
    let moto = Moto::start(&["logs"]);
    let dir = tempfile::tempdir().unwrap();
    let s3 = moto.s3_options();
    let mut site = CrashSite {
        args: vec!["--data".into(), "s3://logs/shop".into()],
        env: moto.env(),
        // By default the store sits beside the data, in the bucket.
        facts: StoreLocation::parse("s3://logs/shop/_conversql/facts", &s3).unwrap(),
        root: dir.path().join("root"),
        held: dir.path().join("held"),
        bucket: Some((
            StoreLocation::parse("s3://logs/shop", &s3).unwrap(),
            BTreeSet::new(),
        )),
    };
    kill_at_every_step(&mut site).await;
}

#[test]
fn a_dataset_that_refuses_writes_keeps_its_store_in_a_named_local_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (root, cache) = (dir.path().join("root"), dir.path().join("cache"));
    copy_dataset(Path::new(&crate::common::data_root()), &root);
    // `_conversql` is a file: nothing can be written below it, as in a read-only bucket.
    std::fs::write(root.join("_conversql"), "not a folder").unwrap();
    let views = dir.path().join("views");
    let query = |extra: &[&str], sql: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_conversql"))
            .arg("query")
            .arg("--data")
            .arg(&root)
            .arg("--views")
            .arg(&views)
            .args(extra)
            .args(["--as-of", AS_OF, "--format", "csv", sql])
            .env("XDG_CACHE_HOME", &cache)
            .output()
            .unwrap()
    };
    let out = query(
        &[],
        "SELECT location, conversations > 0 FROM fact_store WHERE account_id IS NULL",
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let folder = cache.join("conversql/facts");
    assert!(
        stdout.contains(&format!("file://{}/", folder.display())) && stdout.contains(",true"),
        "the store is in the local folder:\n{stdout}"
    );
    assert!(
        stderr.contains("cannot be written beside the data")
            && stderr.contains(&format!("kept in the local folder {}", folder.display())),
        "the server says where the store went:\n{stderr}"
    );

    // Named with --facts, a place that refuses writes stops the start-up, naming it.
    let refused = root.join("_conversql/facts").display().to_string();
    let out = query(&["--facts", &refused], "SELECT 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "started with an unwritable store");
    assert!(stderr.contains(&format!("--facts {refused}")), "{stderr}");
}

/// A store that gets no new file still gives back the space of the files it
/// retired (a rebuild retires the whole previous store) once no query can be
/// reading them: the next statement of a process deletes them in the
/// background, without a refresh; files retired less than the grace ago stay.
#[test]
fn retired_files_are_deleted_without_a_refresh() {
    on_a_statement_stack(retired_files_go);
}

async fn retired_files_go() {
    let dir = tempfile::tempdir().unwrap();
    let (root, facts) = (dir.path().join("root"), dir.path().join("facts"));
    copy_dataset(Path::new(&crate::common::data_root()), &root);
    let expected = {
        let engine = open(&root, &facts).await;
        answer(&mut engine.session(), "SELECT count(*) FROM conversations").await
    };

    // Two files the committed generation retired: one long ago, one just now.
    let location =
        StoreLocation::parse(&facts.display().to_string(), &S3Options::default()).unwrap();
    let Loaded::Found(mut manifest) = Manifest::load(&location).await.unwrap() else {
        panic!("no store was built");
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (old, recent) = (
        "a=acc_001/old-g0-0-0.parquet",
        "a=acc_001/recent-g0-0-1.parquet",
    );
    for (path, at_ms) in [(old, 0), (recent, now_ms)] {
        std::fs::write(facts.join(path), "retired").unwrap();
        manifest.retired.push(conversql::facts::manifest::Retired {
            path: path.to_string(),
            at_ms,
        });
    }
    let object = facts.join(format!("manifest/{:020}.json", manifest.generation));
    assert!(object.exists(), "{}", object.display());
    std::fs::write(&object, serde_json::to_vec(&*manifest).unwrap()).unwrap();

    // A new process's first statement: no refresh (nothing arrived), the old file goes.
    let engine = open(&root, &facts).await;
    assert_eq!(
        answer(&mut engine.session(), "SELECT count(*) FROM conversations").await,
        expected
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while facts.join(old).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the file retired long ago is still there"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        facts.join(recent).exists(),
        "a file retired just now was deleted"
    );
    assert!(
        engine.fact_store().unwrap().last_report().is_none(),
        "it refreshed"
    );
}
