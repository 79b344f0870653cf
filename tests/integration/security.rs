//! The server's security and robustness, through real clients against the
//! real `conversql serve`: SCRAM-SHA-256 users, TLS, read-only rules,
//! per-account isolation, limits, cancellation, timeouts, streaming with
//! back-pressure, and bad input.
//!
//! Clients: psql (TLS, passwords, the million-row stream) and tokio-postgres
//! (SQLSTATEs, cancel requests, prepared statements); raw TCP for malformed
//! protocol messages.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls};

use crate::common::{AS_OF, data_root, free_port};

/// A query that runs for minutes and yields no row until it ends.
const ENDLESS_AGGREGATE: &str = "SELECT count(*) FROM conversation_messages a, conversation_messages b, conversation_messages c";
/// A query that streams rows for minutes.
const ENDLESS_STREAM: &str =
    "SELECT a.body, b.body FROM conversation_messages a, conversation_messages b";

struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `key=value` libpq connection string for `user`.
    fn conninfo(&self, user: &str, password: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} password={password} dbname=conversql",
            self.port
        )
    }

    async fn connect(&self, user: &str, password: &str) -> Result<Client, tokio_postgres::Error> {
        let (client, connection) =
            tokio_postgres::connect(&self.conninfo(user, password), NoTls).await?;
        tokio::spawn(connection);
        Ok(client)
    }
}

fn conversql(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_conversql"));
    cmd.args(args);
    cmd
}

/// Adds a user with the CLI, the password on standard input.
fn add_user(users: &Path, name: &str, password: &str, accounts: Option<&str>) {
    add_user_with_role(users, name, password, accounts, "reader");
}

fn add_user_with_role(
    users: &Path,
    name: &str,
    password: &str,
    accounts: Option<&str>,
    role: &str,
) {
    let mut args = vec![
        "user",
        "add",
        "--users",
        users.to_str().unwrap(),
        "--role",
        role,
        name,
    ];
    if let Some(a) = accounts {
        args.extend(["--accounts", a]);
    }
    let mut child = conversql(&args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A users file with `alice` (every account) and `bob` (acc_001 only).
fn users_file(dir: &Path) -> PathBuf {
    let users = dir.join("users.toml");
    add_user(&users, "alice", "alice-secret", None);
    add_user(&users, "bob", "bob-secret", Some("acc_001"));
    users
}

/// Starts `conversql serve` with `extra` arguments and a users file; waits until it listens.
fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    start_in(dir, &users, extra)
}

/// [`start`] with environment variables.
fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    start_in_with_env(dir, &users, extra, env)
}

fn start_in(dir: tempfile::TempDir, users: &Path, extra: &[&str]) -> Server {
    start_in_with_env(dir, users, extra, &[])
}

fn start_in_with_env(
    dir: tempfile::TempDir,
    users: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Server {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = data_root();
    let mut args = vec![
        "serve", "--data", &data, "--as-of", AS_OF, "--listen", &listen,
    ];
    args.extend(["--users", users.to_str().unwrap()]);
    // Views a test defines stay in its own directory.
    let views = dir.path().join("views");
    if !extra.contains(&"--views") {
        args.extend(["--views", views.to_str().unwrap()]);
    }
    args.extend(extra);
    let mut child = conversql(&args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("server exited ({status}) before listening: {err}");
        }
        assert!(
            Instant::now() < deadline,
            "server did not start listening within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { child, port, dir }
}

fn psql(conninfo: &str, sql: &str) -> Output {
    Command::new("psql")
        .args([
            conninfo,
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .env_remove("PGPASSWORD")
        .output()
        .expect("psql must be installed")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn code(e: &tokio_postgres::Error) -> String {
    e.code()
        .map_or_else(|| format!("no SQLSTATE: {e}"), |c| c.code().to_string())
}

/// The peak resident memory of a process (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The CPU time a process used so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Waits until the server uses (almost) no CPU: the work of a stopped query is gone.
fn assert_goes_idle(pid: u32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let before = cpu_ticks(pid);
        std::thread::sleep(Duration::from_secs(1));
        let used = cpu_ticks(pid) - before;
        // 100 ticks per second: under 20% of one core means the query's work has stopped.
        if used < 20 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: the server still burns {used} ticks/s after the query stopped"
        );
    }
}

#[test]
fn scram_users_only_verifiers_stored_and_wrong_credentials_refused() {
    require!(PSQL);
    let server = start(&[]);
    let users = std::fs::read_to_string(server.dir.path().join("users.toml")).unwrap();
    assert!(users.contains("SCRAM-SHA-256$4096:"), "{users}");
    assert!(
        !users.contains("alice-secret") && !users.contains("bob-secret"),
        "passwords must not be stored"
    );

    let ok = psql(
        &server.conninfo("alice", "alice-secret"),
        "SELECT count(*) FROM accounts",
    );
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(text(&ok).trim(), "3");

    let wrong = psql(&server.conninfo("alice", "wrong"), "SELECT 1");
    assert!(!wrong.status.success());
    assert!(
        text(&wrong).contains("password authentication failed for user \"alice\""),
        "{}",
        text(&wrong)
    );
    let unknown = psql(&server.conninfo("mallory", "x"), "SELECT 1");
    assert!(
        text(&unknown).contains("password authentication failed for user \"mallory\""),
        "{}",
        text(&unknown)
    );
    let none = Command::new("psql")
        .args([
            &format!(
                "host=127.0.0.1 port={} user=alice dbname=conversql",
                server.port
            ),
            "-w",
            "-c",
            "SELECT 1",
        ])
        .env_remove("PGPASSWORD")
        .output()
        .unwrap();
    assert!(
        !none.status.success(),
        "a connection without a password must fail: {}",
        text(&none)
    );

    // The server keeps serving after the failures.
    let again = psql(&server.conninfo("bob", "bob-secret"), "SELECT 1");
    assert!(again.status.success(), "{}", text(&again));
}

#[test]
fn without_users_file_only_loopback_and_no_password() {
    require!(PSQL);
    let out = conversql(&["serve", "--data", &data_root(), "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("refusing to listen on 0.0.0.0:0 without authentication"),
        "{}",
        text(&out)
    );

    let port = free_port();
    let mut child = conversql(&[
        "serve",
        "--data",
        &data_root(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = psql(
        &format!("host=127.0.0.1 port={port} user=anyone dbname=conversql"),
        "SELECT count(*) FROM accounts",
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(text(&out).trim(), "3");
}

#[test]
fn tls_from_pem_files_required_and_never_silent_plaintext() {
    require!(PSQL);
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("server.crt");
    let key = dir.path().join("server.key");
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let users = users_file(dir.path());

    // A broken key: the server refuses to start, naming the file.
    let broken = dir.path().join("broken.key");
    std::fs::write(
        &broken,
        "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let out = conversql(&[
        "serve",
        "--data",
        &data_root(),
        "--listen",
        &format!("127.0.0.1:{}", free_port()),
        "--users",
        users.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        broken.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        !out.status.success(),
        "a broken TLS key must stop the server"
    );
    assert!(text(&out).contains("broken.key"), "{}", text(&out));

    let (cert_s, key_s) = (
        cert.to_str().unwrap().to_string(),
        key.to_str().unwrap().to_string(),
    );
    let server = start_in(
        dir,
        &users,
        &["--tls-cert", &cert_s, "--tls-key", &key_s, "--require-tls"],
    );
    let verified = format!(
        "host=localhost port={} user=alice password=alice-secret dbname=conversql sslmode=verify-full sslrootcert={cert_s}",
        server.port
    );
    let out = Command::new("psql")
        .args([
            &verified,
            "-X",
            "-c",
            "\\conninfo",
            "-c",
            "SELECT count(*) FROM accounts",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("SSL connection (protocol: TLSv1.3"),
        "{}",
        text(&out)
    );

    let plain = psql(
        &format!(
            "{} sslmode=disable",
            server.conninfo("alice", "alice-secret")
        ),
        "SELECT 1",
    );
    assert!(!plain.status.success());
    assert!(
        text(&plain).contains("this server requires TLS"),
        "{}",
        text(&plain)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_every_change_with_25006() {
    let server = start(&[]);
    let client = server.connect("alice", "alice-secret").await.unwrap();
    let refused = [
        "INSERT INTO raw.accounts VALUES ('x', 'x', 'UTC')",
        "UPDATE raw.accounts SET account_id = 'x'",
        "DELETE FROM raw.accounts",
        "CREATE TABLE t (a int)",
        "CREATE EXTERNAL TABLE e STORED AS PARQUET LOCATION '/tmp/x'",
        "COPY raw.accounts FROM STDIN",
        "TRUNCATE raw.accounts",
        "GRANT SELECT ON conversations TO bob",
    ];
    for sql in refused {
        let simple = client.batch_execute(sql).await.expect_err(sql);
        assert_eq!(code(&simple), "25006", "simple protocol: {sql}: {simple:?}");
        let extended = client.query(sql, &[]).await.expect_err(sql);
        let c = code(&extended);
        assert!(
            c == "25006" || c == "42601",
            "extended protocol: {sql}: {extended:?}"
        );
    }
    // Defining views is a writer's: alice is a reader.
    let denied = [
        "CREATE VIEW v AS SELECT 1",
        "CREATE OR REPLACE VIEW conversations AS SELECT 1",
        "DROP VIEW conversations",
        "ALTER TABLE raw.accounts RENAME TO a",
        "CREATE SCHEMA s",
        "COMMENT ON VIEW conversations IS 'x'",
        "BEGIN READ WRITE",
    ];
    for sql in denied {
        let simple = client.batch_execute(sql).await.expect_err(sql);
        let c = code(&simple);
        assert!(
            c == "42501" || (sql.starts_with("BEGIN") && c == "0A000"),
            "simple protocol: {sql}: {simple:?}"
        );
    }
    assert!(
        std::fs::read_dir(server.dir.path().join("views")).map_or(0, Iterator::count) == 0,
        "a reader wrote a view file"
    );
    // A server file is refused as PostgreSQL refuses it to a user without pg_write_server_files.
    let file = "COPY (SELECT 1) TO '/tmp/conversql-should-not-exist.csv'";
    let err = client.batch_execute(file).await.expect_err(file);
    assert_eq!(code(&err), "42501", "{file}: {err:?}");
    assert!(!Path::new("/tmp/conversql-should-not-exist.csv").exists());
    // What stays allowed: queries, SET/SHOW/RESET, EXPLAIN, transactions.
    client
        .batch_execute(
            "BEGIN; SET statement_timeout = '10s'; SHOW statement_timeout; COMMIT; RESET ALL",
        )
        .await
        .unwrap();
    client
        .query("EXPLAIN SELECT * FROM conversations", &[])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_define_views_that_every_reader_sees_in_their_own_scope() {
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    add_user_with_role(&users, "wendy", "wendy-secret", Some("acc_001"), "writer");
    let server = start_in(dir, &users, &[]);
    let wendy = server.connect("wendy", "wendy-secret").await.unwrap();
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    let per_account = "SELECT account_id, count(*) AS n FROM conversations GROUP BY account_id";
    wendy
        .batch_execute(&format!("CREATE VIEW per_account AS {per_account}"))
        .await
        .unwrap();
    // Each reader sees the view in their own scope: the writer's scope is not the view's.
    for (client, who) in [(&alice, "alice"), (&bob, "bob"), (&wendy, "wendy")] {
        let mut through_view: Vec<(String, i64)> = client
            .query("SELECT account_id, n FROM per_account", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        through_view.sort();
        let mut direct: Vec<(String, i64)> = client
            .query(per_account, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        direct.sort();
        assert_eq!(through_view, direct, "{who}");
    }
    let bob_accounts: Vec<String> = bob
        .query("SELECT account_id FROM per_account", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(bob_accounts, ["acc_001"]);
    let alice_accounts = alice
        .query("SELECT account_id FROM per_account", &[])
        .await
        .unwrap()
        .len();
    assert!(alice_accounts > 1, "alice sees every account");
    // A reader is refused and nothing changes.
    let err = alice
        .batch_execute("DROP VIEW per_account")
        .await
        .expect_err("a reader drops a view");
    assert_eq!(code(&err), "42501", "{err:?}");
    assert_eq!(
        bob.query("SELECT count(*) FROM per_account", &[])
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_account_isolation_cannot_be_escaped() {
    isolation_holds(&start(&[])).await;
}

/// The same on a cluster (coordinator and two worker processes): a bound
/// user's scans run on the workers, each task's through the scope, and a
/// user bound to accounts sees no worker in `cluster_workers`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_account_isolation_holds_on_a_cluster() {
    let secret = [("CONVERSQL_CLUSTER_SECRET", "security-cluster-secret")];
    let mut workers = vec![];
    let mut urls = vec![];
    for _ in 0..2 {
        let port = free_port();
        let mut child = conversql(&["worker", "--listen", &format!("127.0.0.1:{port}")])
            .envs(secret)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        crate::common::wait_for_port(port, "conversql worker", &mut child);
        workers.push(KillOnDrop(child));
        urls.push(format!("http://127.0.0.1:{port}"));
    }
    let urls = urls.join(",");
    let server = start_with_env(&["--workers", &urls, "--scan-bytes-per-task", "1"], &secret);
    isolation_holds(&server).await;
    let explain = async |client: &Client| -> String {
        let rows = client
            .query(
                "EXPLAIN SELECT account_id, count(*) FROM raw.messages GROUP BY 1",
                &[],
            )
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<_, String>(1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    // Both users' scans are spread over the workers; bob's tasks each scan
    // their share of the files through the scope.
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let plan = explain(&alice).await;
    assert!(plan.contains("[Stage 1]"), "{plan}");
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    let plan = explain(&bob).await;
    assert!(
        plan.contains("[Stage 1]")
            && plan.contains("ScopedScanExec: table=raw.messages, accounts=[acc_001]")
            && !plan.contains("DataSourceExec"),
        "{plan}"
    );
    // A worker's work is every tenant's: bob sees no worker.
    let rows = bob
        .query("SELECT count(*) FROM cluster_workers", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 0);
    drop(workers);
}

/// Kills a child process when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a user bound to `acc_001` (bob) can reach of other accounts: nothing.
async fn isolation_holds(server: &Server) {
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let bob = server.connect("bob", "bob-secret").await.unwrap();

    // NULL is a row of no account (the whole store's row of `fact_store`).
    let accounts = |rows: Vec<tokio_postgres::Row>| -> Vec<Option<String>> {
        let mut v: Vec<Option<String>> = rows.iter().map(|r| r.get(0)).collect();
        v.sort();
        v.dedup();
        v
    };
    // Every relation with an account_id column: views and raw tables.
    let relations: Vec<(String, String)> = alice
        .query(
            "SELECT table_schema, table_name FROM information_schema.columns \
             WHERE column_name = 'account_id' AND table_schema IN ('public', 'raw') ORDER BY 1, 2",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(relations.len() >= 14, "{relations:?}");
    alice
        .batch_execute("SET conversql.as_of = '2026-06-08T12:00:00Z'")
        .await
        .unwrap();
    bob.batch_execute("SET conversql.as_of = '2026-06-08T12:00:00Z'")
        .await
        .unwrap();
    let mut seen_by_alice = 0;
    for (schema, table) in &relations {
        let sql = format!("SELECT DISTINCT account_id FROM {schema}.{table}");
        let all = accounts(alice.query(&sql, &[]).await.unwrap());
        let mine = accounts(bob.query(&sql, &[]).await.unwrap());
        assert!(
            mine.iter().all(|a| a.as_deref() == Some("acc_001")),
            "{schema}.{table}: bob saw {mine:?}"
        );
        if all.iter().flatten().count() > 1 {
            seen_by_alice += 1;
        }
    }
    assert!(
        seen_by_alice >= 10,
        "the test must see other accounts through alice ({seen_by_alice} relations)"
    );
    // The store's own view: bob's account, not the row of the whole store.
    let store_rows = "SELECT account_id FROM fact_store";
    assert_eq!(
        accounts(bob.query(store_rows, &[]).await.unwrap()),
        vec![Some("acc_001".to_string())]
    );
    let alice_store = accounts(alice.query(store_rows, &[]).await.unwrap());
    assert!(
        alice_store.contains(&None) && alice_store.len() > 2,
        "{alice_store:?}"
    );

    let count = |rows: Vec<tokio_postgres::Row>| rows[0].get::<_, i64>(0);
    let escapes = [
        "SELECT count(*) FROM raw.messages WHERE account_id <> 'acc_001'",
        "SELECT count(*) FROM conversations c JOIN raw.accounts a ON true WHERE a.account_id = 'acc_002'",
        "SELECT count(*) FROM (SELECT * FROM raw.events UNION ALL SELECT * FROM raw.events) e WHERE account_id = 'acc_003'",
        "SELECT count(*) FROM conversations WHERE account_id IN (SELECT 'acc_002')",
        "SELECT count(*) FROM conversation_messages WHERE account_id = 'acc_002' OR true AND account_id <> 'acc_001'",
        "WITH x AS (SELECT * FROM raw.profiles) SELECT count(*) FROM x WHERE account_id = 'acc_002'",
        "SELECT count(*) FROM attributed_orders WHERE account_id = 'acc_003'",
    ];
    for sql in escapes {
        assert_eq!(count(bob.query(sql, &[]).await.unwrap()), 0, "bob: {sql}");
        assert!(
            count(alice.query(sql, &[]).await.unwrap()) > 0,
            "alice must see rows (test sanity): {sql}"
        );
    }
    // Table functions, with literals and with bound parameters (prepared statements).
    let overview =
        "SELECT total_volume FROM overview('acc_002', DATE '2026-06-01', DATE '2026-06-07')";
    assert_eq!(count(bob.query(overview, &[]).await.unwrap()), 0);
    assert!(count(alice.query(overview, &[]).await.unwrap()) > 0);
    let prepared = bob
        .prepare("SELECT total_volume FROM overview($1, DATE '2026-06-01', DATE '2026-06-07')")
        .await
        .unwrap();
    assert_eq!(count(bob.query(&prepared, &[&"acc_002"]).await.unwrap()), 0);
    assert!(count(bob.query(&prepared, &[&"acc_001"]).await.unwrap()) > 0);
    let daily = bob
        .query("SELECT count(*) FROM overview_daily('acc_003', DATE '2026-05-01', DATE '2026-06-07', 'channel')", &[])
        .await
        .unwrap();
    assert_eq!(count(daily), 0);
    // Settings cannot widen the scope.
    for set in [
        "SET conversql.accounts = 'acc_002'",
        "SET conversql.scope = ''",
        "SET session_authorization = 'alice'",
        "SET role = 'alice'",
    ] {
        let _ = bob.batch_execute(set).await;
        assert_eq!(
            count(
                bob.query(
                    "SELECT count(*) FROM raw.accounts WHERE account_id <> 'acc_001'",
                    &[]
                )
                .await
                .unwrap()
            ),
            0,
            "{set}"
        );
    }
    // Engine settings are the server's: refused (42501), except how EXPLAIN shows a plan.
    for set in [
        "SET datafusion.execution.target_partitions = 1",
        "SET datafusion.optimizer.filter_null_join_keys = true",
        "SET datafusion.execution.batch_size = 300000000",
        "SET datafusion.execution.parquet.pushdown_filters = true",
        "SET datafusion.explain.show_statistics = true",
    ] {
        let err = bob.batch_execute(set).await.expect_err(set);
        assert_eq!(code(&err), "42501", "{set}: {err:?}");
    }
    bob.batch_execute("SET datafusion.explain.physical_plan_only = true")
        .await
        .unwrap();
    bob.batch_execute("RESET datafusion.explain.physical_plan_only")
        .await
        .unwrap();
    assert_eq!(
        count(
            bob.query(
                "SELECT count(*) FROM raw.messages WHERE account_id <> 'acc_001'",
                &[]
            )
            .await
            .unwrap()
        ),
        0
    );
    // No reading files by path around the tables.
    let file = format!("{}/accounts", data_root());
    for sql in [
        format!("SELECT * FROM '{file}'"),
        format!("SELECT * FROM read_parquet('{file}')"),
    ] {
        assert!(
            bob.query(sql.as_str(), &[]).await.is_err(),
            "{sql} must fail"
        );
    }
    // The catalog carries no rows of other accounts.
    let catalog = bob
        .query(
            "SELECT count(*) FROM pg_catalog.pg_class WHERE relname LIKE '%acc_002%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(count(catalog), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_requests_stop_running_and_streaming_queries_within_a_second() {
    let server = start(&[]);
    for sql in [ENDLESS_AGGREGATE, ENDLESS_STREAM] {
        let client = server.connect("alice", "alice-secret").await.unwrap();
        let token = client.cancel_token();
        let started = Instant::now();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let sent = Instant::now();
            token.cancel_query(NoTls).await.unwrap();
            sent
        });
        let err = client
            .query(sql, &[])
            .await
            .expect_err("a cancelled query fails");
        let sent = canceller.await.unwrap();
        let latency = sent.elapsed();
        assert_eq!(
            err.code(),
            Some(&SqlState::QUERY_CANCELED),
            "{sql}: {err:?}"
        );
        assert!(
            latency < Duration::from_secs(1),
            "{sql}: stopped {latency:?} after the cancel request"
        );
        assert!(started.elapsed() >= Duration::from_millis(1400));
        eprintln!("cancel of `{sql}`: error {latency:?} after the request");
        // The connection stays usable and the work is gone.
        assert_eq!(
            client.query("SELECT 1::bigint", &[]).await.unwrap()[0].get::<_, i64>(0),
            1
        );
        assert_goes_idle(server.pid(), sql);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_covers_execution_and_streaming() {
    let server = start(&["--statement-timeout", "30s"]);
    let client = server.connect("alice", "alice-secret").await.unwrap();
    let shown = client.query("SHOW statement_timeout", &[]).await.unwrap();
    assert_eq!(shown[0].get::<_, String>(0), "30s", "the server default");
    // The server's timeout is a ceiling: a session may lower it, not raise or disable it.
    for set in [
        "SET statement_timeout = 0",
        "SET statement_timeout = '1min'",
        "SET statement_timeout = 30001",
    ] {
        let err = client.batch_execute(set).await.expect_err(set);
        assert_eq!(code(&err), "42501", "{set}: {err:?}");
        assert!(
            err.as_db_error()
                .unwrap()
                .message()
                .contains("--statement-timeout"),
            "{err:?}"
        );
    }
    let conninfo = format!(
        "{} options='-c statement_timeout=0'",
        server.conninfo("alice", "alice-secret")
    );
    let err = tokio_postgres::connect(&conninfo, NoTls)
        .await
        .err()
        .expect("disabling the timeout at start-up is refused");
    assert_eq!(code(&err), "42501", "{err:?}");
    client
        .batch_execute("SET statement_timeout = '700ms'")
        .await
        .unwrap();
    for sql in [ENDLESS_AGGREGATE, ENDLESS_STREAM] {
        let started = Instant::now();
        let err = client.query(sql, &[]).await.expect_err("timeout");
        let took = started.elapsed();
        assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED), "{err:?}");
        assert!(
            err.as_db_error()
                .unwrap()
                .message()
                .contains("statement timeout"),
            "{err:?}"
        );
        assert!(
            took < Duration::from_millis(1700),
            "{sql}: took {took:?} with a 700 ms timeout"
        );
        assert_goes_idle(server.pid(), sql);
    }
    assert!(
        client
            .batch_execute("SET statement_timeout = 'soon'")
            .await
            .is_err()
    );
    client
        .batch_execute("RESET statement_timeout")
        .await
        .unwrap();
    assert_eq!(
        client.query("SHOW statement_timeout", &[]).await.unwrap()[0].get::<_, String>(0),
        "30s"
    );
    // Also from the startup packet (PGOPTIONS / options=-c …).
    let conninfo = format!(
        "{} options='-c statement_timeout=400'",
        server.conninfo("alice", "alice-secret")
    );
    let (other, connection) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
    tokio::spawn(connection);
    let err = other
        .query(ENDLESS_AGGREGATE, &[])
        .await
        .expect_err("timeout from options");
    assert_eq!(err.code(), Some(&SqlState::QUERY_CANCELED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_that_disconnects_mid_result_stops_the_work() {
    let server = start(&[]);
    let (client, connection) =
        tokio_postgres::connect(&server.conninfo("alice", "alice-secret"), NoTls)
            .await
            .unwrap();
    // The socket lives in the connection task: aborting it closes the socket mid-result.
    let socket = tokio::spawn(connection);
    let mut stream = Box::pin(
        client
            .query_raw(ENDLESS_STREAM, std::iter::empty::<i32>())
            .await
            .unwrap(),
    );
    use futures::StreamExt;
    for _ in 0..1000 {
        stream.next().await.unwrap().unwrap();
    }
    socket.abort();
    let _ = socket.await;
    assert_goes_idle(server.pid(), "after the client went away");
    drop(stream);
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_limit_gives_53200_and_the_server_keeps_serving() {
    let server = start(&["--memory-limit", "4MB"]);
    let client = server.connect("alice", "alice-secret").await.unwrap();
    let err = client
        .query(
            "SELECT a.conversation_id, array_agg(b.body) FROM conversation_messages a \
             JOIN conversation_messages b ON a.account_id = b.account_id GROUP BY a.conversation_id",
            &[],
        )
        .await
        .expect_err("over the memory limit");
    assert_eq!(code(&err), "53200", "{err:?}");
    assert!(
        err.as_db_error()
            .unwrap()
            .message()
            .contains("memory limit"),
        "{err:?}"
    );
    // The same connection and a new one keep working (small queries fit in 4 MB).
    let rows = client
        .query("SELECT count(*) FROM raw.accounts", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 3);
    let other = server.connect("bob", "bob-secret").await.unwrap();
    assert_eq!(
        other
            .query("SELECT count(*) FROM raw.accounts", &[])
            .await
            .unwrap()[0]
            .get::<_, i64>(0),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_refuses_with_53300_then_recovers() {
    let server = start(&["--max-connections", "3"]);
    let mut held = vec![];
    for _ in 0..3 {
        held.push(server.connect("alice", "alice-secret").await.unwrap());
    }
    let Err(err) = server.connect("alice", "alice-secret").await else {
        panic!("the fourth connection is refused")
    };
    assert_eq!(code(&err), "53300", "{err:?}");
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = server.connect("alice", "alice-secret").await.unwrap();
    again.query("SELECT 1", &[]).await.unwrap();
}

#[test]
fn million_row_result_streams_without_server_memory_growing() {
    require!(PSQL);
    let server = start(&[]);
    let conninfo = server.conninfo("alice", "alice-secret");
    let run = |rows: u64| -> u64 {
        // 8,015 messages × n: psql fetches with a cursor (FETCH_COUNT) and writes to /dev/null.
        let repeat = rows.div_ceil(8015);
        let sql = format!(
            "SELECT m.conversation_id, m.message_id, m.body, g.value FROM conversation_messages m CROSS JOIN generate_series(1, {repeat}) g"
        );
        let started = Instant::now();
        let out = Command::new("psql")
            .args([&conninfo, "-X", "-A", "-t", "-o", "/dev/null", "-c", &sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        let peak = peak_rss_kib(server.pid());
        eprintln!(
            "{rows} rows through psql in {:?}; server peak RSS {} MiB",
            started.elapsed(),
            peak / 1024
        );
        peak
    };
    let warm = run(10_000);
    let one_million = run(1_000_000);
    let four_million = run(4_000_000);
    eprintln!(
        "server peak RSS: {} MiB after 10k rows, {} MiB after 1M rows, {} MiB after 4M rows",
        warm / 1024,
        one_million / 1024,
        four_million / 1024
    );
    // The extended protocol (tokio-postgres, no row limit) streams too.
    let extended_peak = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let client = server.connect("alice", "alice-secret").await.unwrap();
            let messages: i64 = client.query("SELECT count(*) FROM conversation_messages", &[]).await.unwrap()[0].get(0);
            let sql = "SELECT m.conversation_id, m.message_id, m.body, g.value FROM conversation_messages m CROSS JOIN generate_series(1, 250) g";
            let stream = client.query_raw(sql, std::iter::empty::<i32>()).await.unwrap();
            futures::pin_mut!(stream);
            use futures::StreamExt;
            let mut rows = 0u64;
            while let Some(row) = stream.next().await {
                row.unwrap();
                rows += 1;
            }
            assert_eq!(rows, messages as u64 * 250);
            assert!(rows > 1_000_000);
        });
        let peak = peak_rss_kib(server.pid());
        eprintln!(
            "over a million rows through tokio-postgres (extended protocol); server peak RSS {} MiB",
            peak / 1024
        );
        peak
    };
    assert!(
        extended_peak - warm < 64 * 1024,
        "extended protocol grew the server by {} MiB",
        (extended_peak - warm) / 1024
    );
    // A million rows of this shape are ~100 MiB as text; the server must not hold them.
    assert!(
        one_million - warm < 64 * 1024,
        "1M rows grew the server by {} MiB",
        (one_million - warm) / 1024
    );
    assert!(
        four_million - warm < 64 * 1024,
        "4M rows grew the server by {} MiB",
        (four_million - warm) / 1024
    );
}

/// A startup packet for protocol 3.0 with the given parameters.
fn startup_packet(params: &[(&str, &str)]) -> Vec<u8> {
    let mut body = 196_608_u32.to_be_bytes().to_vec();
    for (k, v) in params {
        body.extend(k.as_bytes());
        body.push(0);
        body.extend(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

/// Reads what the server sends until it closes the connection or 5 s pass.
fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut all = vec![];
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => all.extend(&buf[..n]),
            Err(_) => break,
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clean_errors_and_the_server_keeps_serving() {
    let server = start(&[]);
    let port = server.port;
    let healthy = server.connect("bob", "bob-secret").await.unwrap();

    // Unknown startup parameter: FATAL 42704, like PostgreSQL.
    let conninfo = format!(
        "{} options='-c no_such_setting=1'",
        server.conninfo("alice", "alice-secret")
    );
    let err = tokio_postgres::connect(&conninfo, NoTls)
        .await
        .err()
        .expect("unknown parameter refused");
    assert_eq!(code(&err), "42704", "{err:?}");

    // Malformed and truncated protocol messages on raw sockets.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "garbage instead of a startup packet",
            b"\xff\xff\xff\xffhello".to_vec(),
        ),
        ("truncated startup packet", vec![0, 0, 0, 100, 0, 3, 0, 0]),
        ("negative length", vec![0xff, 0xff, 0xff, 0xf0]),
        (
            "startup without user",
            startup_packet(&[("database", "conversql")]),
        ),
    ];
    for (what, bytes) in cases {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&bytes).unwrap();
        let _ = s.shutdown(std::net::Shutdown::Write);
        let reply = read_until_closed(&mut s);
        assert!(
            reply.is_empty() || reply[0] == b'E',
            "{what}: unexpected reply {:?}",
            &reply[..reply.len().min(20)]
        );
    }
    // After authentication: a message with a bad type and a length past the end.
    {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&startup_packet(&[
            ("user", "bob"),
            ("database", "conversql"),
        ]))
        .unwrap();
        let mut buf = [0u8; 64];
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0 && buf[0] == b'R', "SCRAM challenge expected");
        // Not a SASL response: a Query message during authentication.
        s.write_all(b"Q\x00\x00\x00\x0dSELECT 1\x00").unwrap();
        let reply = read_until_closed(&mut s);
        assert!(
            reply.is_empty() || reply[0] == b'E',
            "{:?}",
            &reply[..reply.len().min(20)]
        );
    }

    // An Execute asking for 2^31-1 rows (the fuzz target's find: pgwire preallocated
    // room for them and the process ran out of memory) is served like any other.
    {
        let rows = healthy
            .query("SELECT conversation_id FROM conversations LIMIT 3", &[])
            .await
            .unwrap();
        assert_eq!(rows.len(), 3);
        let no_auth_port = free_port();
        let mut child = conversql(&[
            "serve",
            "--data",
            &data_root(),
            "--listen",
            &format!("127.0.0.1:{no_auth_port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let deadline = Instant::now() + Duration::from_mins(1);
        while TcpStream::connect(("127.0.0.1", no_auth_port)).is_err() {
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut s = TcpStream::connect(("127.0.0.1", no_auth_port)).unwrap();
        s.write_all(&startup_packet(&[("user", "x"), ("database", "conversql")]))
            .unwrap();
        let msg = |kind: u8, body: &[u8]| -> Vec<u8> {
            let mut m = vec![kind];
            m.extend(((body.len() + 4) as u32).to_be_bytes());
            m.extend(body);
            m
        };
        let mut bytes = msg(b'P', b"\0SELECT conversation_id FROM conversations\0\0\0");
        bytes.extend(msg(b'B', b"\0\0\0\0\0\0\0\0"));
        bytes.extend(msg(b'E', b"\0\x7f\xff\xff\xff"));
        bytes.extend(msg(b'S', b""));
        bytes.extend(msg(b'X', b""));
        s.write_all(&bytes).unwrap();
        let reply = read_until_closed(&mut s);
        let data_rows = reply
            .windows(5)
            .filter(|w| w[0] == b'D' && w[1..3] == [0, 0])
            .count();
        assert!(data_rows >= 2000, "all rows arrive: {data_rows} data rows");
        assert!(
            reply.windows(11).any(|w| w == b"SELECT 2000"),
            "the command completes"
        );

        // A Parse message announcing 5 parameter types and carrying none, and a
        // Bind announcing 3 parameter formats with none: pgwire 0.41.1's decoders
        // panic on these (upstream); only that connection ends, and closes.
        for (what, bad) in [
            (
                "Parse with missing parameter types",
                msg(b'P', b"\0SELECT 1\0\0\x05"),
            ),
            (
                "Bind with missing parameter formats",
                msg(b'B', b"\0\0\0\x03"),
            ),
        ] {
            let mut s = TcpStream::connect(("127.0.0.1", no_auth_port)).unwrap();
            s.write_all(&startup_packet(&[("user", "x"), ("database", "conversql")]))
                .unwrap();
            let mut bytes = bad;
            bytes.extend(msg(b'S', b""));
            s.write_all(&bytes).unwrap();
            let reply = read_until_closed(&mut s);
            assert!(
                !reply.windows(5).any(|w| w[0] == b'D' && w[1..3] == [0, 0]),
                "{what}: no rows"
            );
            // The server still serves a new connection.
            let mut ok = TcpStream::connect(("127.0.0.1", no_auth_port)).unwrap();
            ok.write_all(&startup_packet(&[("user", "x"), ("database", "conversql")]))
                .unwrap();
            ok.write_all(&msg(b'Q', b"SELECT 41 + 1 AS answer\0"))
                .unwrap();
            ok.write_all(&msg(b'X', b"")).unwrap();
            let reply = read_until_closed(&mut ok);
            assert!(
                reply.windows(2).any(|w| w == b"42"),
                "{what}: the server keeps serving"
            );
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    // A query string of 10 MB: a clean answer, not a crash.
    let huge = format!("SELECT 1 AS one /* {} */", "x".repeat(10 * 1024 * 1024));
    match healthy.simple_query(&huge).await {
        Ok(_) => {}
        Err(e) => assert!(
            e.code().is_some(),
            "a 10 MB query must get a Postgres error, got {e:?}"
        ),
    }

    // 1,000 connections at once: each is served or refused (53300), none hangs, the server survives.
    let mut tasks = vec![];
    for _ in 0..1000 {
        let conninfo = server.conninfo("bob", "bob-secret");
        tasks.push(tokio::spawn(async move {
            let attempt = tokio::time::timeout(
                Duration::from_mins(1),
                tokio_postgres::connect(&conninfo, NoTls),
            )
            .await;
            match attempt {
                Ok(Ok((client, connection))) => {
                    tokio::spawn(connection);
                    client
                        .simple_query("SELECT 1")
                        .await
                        .map(|_| "served")
                        .map_err(|e| format!("{e:?}"))
                }
                Ok(Err(e)) if e.code() == Some(&SqlState::TOO_MANY_CONNECTIONS) => Ok("refused"),
                Ok(Err(e)) => Err(format!("{e:?}")),
                Err(_) => Err("timed out".to_string()),
            }
        }));
    }
    let (mut served, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok("served") => served += 1,
            Ok(_) => refused += 1,
            Err(e) => panic!("a connection failed without a clean error: {e}"),
        }
    }
    eprintln!("1000 simultaneous connections: {served} served, {refused} refused with 53300");
    assert!(served >= 1);
    assert_eq!(served + refused, 1000);

    // Everyone else is still served.
    let rows = healthy
        .query("SELECT count(*) FROM conversations", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 1000, "bob sees acc_001 only");
}

// ---------------------------------------------------------------------------
// A hostile logged-in user: bob is bound to acc_001 and tries to learn about
// the other accounts, or to take the server down.
// ---------------------------------------------------------------------------

/// An expression that fails, naming the row's account, on any row not of acc_001.
fn oracle(qualifier: &str) -> String {
    format!(
        "CASE WHEN {qualifier}account_id <> 'acc_001' THEN CAST({qualifier}account_id AS INT) ELSE 1 END"
    )
}

/// Every relation with an account_id column (views and raw tables), as `schema.name`.
async fn relations_with_accounts(client: &Client) -> Vec<String> {
    client
        .query(
            "SELECT table_schema || '.' || table_name FROM information_schema.columns \
             WHERE column_name = 'account_id' AND table_schema IN ('public', 'raw', 'materialized') ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Fails the test if `outcome` is an error naming another account.
fn assert_no_leak<T>(outcome: Result<T, tokio_postgres::Error>, what: &str) {
    if let Err(e) = outcome {
        let text = format!("{e:?}");
        assert!(
            !text.contains("acc_002") && !text.contains("acc_003"),
            "{what}: another account leaked through an error: {text}"
        );
        panic!("{what}: unexpected error {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_scope_is_a_barrier_no_user_expression_meets_another_account() {
    let server = start(&[]);
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    let relations = relations_with_accounts(&alice).await;
    assert!(relations.len() >= 17, "{relations:?}");
    let o = oracle("");
    let ox = oracle("x.");
    // The user's expression in every position a plan evaluates one.
    let positions = |t: &str| {
        vec![
            ("filter", format!("SELECT count(*) FROM {t} WHERE {o} = 1")),
            ("projection", format!("SELECT {o} FROM {t}")),
            (
                "join condition",
                format!(
                    "SELECT count(*) FROM {t} x JOIN raw.accounts a ON a.account_id = x.account_id AND {ox} = 1"
                ),
            ),
            ("aggregate", format!("SELECT sum({o}) FROM {t}")),
            (
                "group key",
                format!("SELECT {o}, count(*) FROM {t} GROUP BY 1"),
            ),
            (
                "sort key",
                format!("SELECT account_id FROM {t} ORDER BY {o} LIMIT 1"),
            ),
            (
                "window",
                format!("SELECT row_number() OVER (PARTITION BY {o}) FROM {t} LIMIT 1"),
            ),
            (
                "function argument",
                format!("SELECT count(*) FROM {t} WHERE length(CAST({o} AS TEXT)) > 0"),
            ),
            (
                "subquery",
                format!(
                    "SELECT count(*) FROM (SELECT * FROM {t}) x WHERE {ox} = 1 AND x.account_id = 'acc_001'"
                ),
            ),
        ]
    };
    let mut checked = 0;
    for settings in [
        "SET conversql.facts = on",
        "SET conversql.facts = off; SET conversql.skip_bad_files = on",
    ] {
        bob.batch_execute(settings).await.unwrap();
        alice.batch_execute(settings).await.unwrap();
        for t in &relations {
            // The oracle works: alice (every account) gets the error naming one.
            let filter = format!("SELECT count(*) FROM {t} WHERE {o} = 1");
            let err = alice
                .simple_query(&filter)
                .await
                .expect_err("the oracle must fire for alice");
            assert!(format!("{err:?}").contains("acc_00"), "{t}: {err:?}");
            for (position, sql) in positions(t) {
                assert_no_leak(
                    bob.simple_query(&sql).await,
                    &format!("{settings}; {t}: {position} (simple protocol)"),
                );
                checked += 1;
            }
            // The extended protocol with a bound parameter, and a cursor.
            let prepared = format!("SELECT count(*) FROM {t} WHERE {o} = 1 AND account_id = $1");
            assert_no_leak(
                bob.query(prepared.as_str(), &[&"acc_001"]).await,
                &format!("{t}: extended protocol"),
            );
            let cursor = format!(
                "BEGIN; DECLARE c CURSOR FOR SELECT {o} FROM {t}; FETCH 100000 FROM c; COMMIT"
            );
            let outcome = bob.simple_query(&cursor).await;
            if outcome.is_err() {
                bob.batch_execute("ROLLBACK").await.unwrap();
            }
            assert_no_leak(outcome, &format!("{t}: cursor"));
            checked += 2;
        }
    }
    eprintln!(
        "{checked} statements over {} relations: no other account reached",
        relations.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_a_bound_user_only_the_rows_and_files_of_their_accounts() {
    let server = start(&[]);
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    bob.batch_execute("SET conversql.as_of = '2026-06-08T12:00:00Z'")
        .await
        .unwrap();
    let plan = |rows: Vec<tokio_postgres::SimpleQueryMessage>| -> String {
        rows.iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .filter_map(|i| r.get(i))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let output_rows = |text: &str| -> Vec<u64> {
        text.split("output_rows=")
            .skip(1)
            .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
            .collect()
    };
    for t in relations_with_accounts(&alice).await {
        let visible: i64 = bob
            .query(&format!("SELECT count(*) FROM {t}"), &[])
            .await
            .unwrap()[0]
            .get(0);
        for explain in ["EXPLAIN", "EXPLAIN ANALYZE", "EXPLAIN VERBOSE"] {
            let text = plan(
                bob.simple_query(&format!("{explain} SELECT * FROM {t}"))
                    .await
                    .unwrap(),
            );
            assert!(
                !text.contains("acc_002") && !text.contains("acc_003"),
                "{explain} {t}:\n{text}"
            );
            if t.starts_with("raw.") && explain == "EXPLAIN ANALYZE" {
                let counts = output_rows(&text);
                assert!(!counts.is_empty(), "{t}: {text}");
                assert!(
                    counts.iter().all(|n| *n as i64 <= visible),
                    "{t}: {visible} visible rows, plan counts {counts:?}:\n{text}"
                );
                assert!(
                    !text.contains("selectivity"),
                    "{t}: no figure of the rows filtered out:\n{text}"
                );
            }
        }
    }
    let text = plan(
        bob.simple_query("EXPLAIN ANALYZE SELECT * FROM raw.accounts")
            .await
            .unwrap(),
    );
    assert_eq!(output_rows(&text).into_iter().max(), Some(1), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_runs_show_a_bound_user_only_the_runs_of_their_accounts() {
    use conversql::run_history::{History, RunRecord, RunStatus, Trigger};
    let dir = tempfile::tempdir().unwrap();
    let users = users_file(dir.path());
    let state = dir.path().join("state");
    let history = History::in_dir(&state);
    let at = chrono::Utc::now();
    for (report, accounts) in [
        ("daily_overview_acc_001", Some(vec!["acc_001".to_string()])),
        ("daily_overview_acc_002", Some(vec!["acc_002".to_string()])),
        (
            "both_accounts",
            Some(vec!["acc_001".to_string(), "acc_002".to_string()]),
        ),
        ("cross_account", None),
    ] {
        let record = RunRecord {
            report: report.into(),
            scheduled_for: Some(at),
            trigger: Trigger::Manual,
            started_at: at,
            finished_at: at,
            attempt: 1,
            status: RunStatus::Succeeded,
            rows: Some(1),
            bytes: Some(1),
            output_url: Some(format!("/reports/{report}.csv")),
            error: None,
            accounts,
        };
        history.append(&record).unwrap();
    }
    let server = start_in(dir, &users, &["--state-dir", state.to_str().unwrap()]);
    let names = |rows: Vec<tokio_postgres::Row>| {
        rows.iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    let all = "SELECT report FROM report_runs ORDER BY report";
    assert_eq!(names(alice.query(all, &[]).await.unwrap()).len(), 4);
    assert_eq!(
        names(bob.query(all, &[]).await.unwrap()),
        vec!["daily_overview_acc_001"]
    );
    let count: i64 = bob
        .query(
            "SELECT count(*) FROM report_runs WHERE output_url LIKE '%acc_002%'",
            &[],
        )
        .await
        .unwrap()[0]
        .get(0);
    assert_eq!(count, 0);
}

/// SQL of `n` terms joined by `OR`.
fn ors(n: usize) -> String {
    let terms: Vec<String> = (0..n)
        .map(|i| format!("conversation_id = 'c{i}'"))
        .collect();
    format!(
        "SELECT count(*) FROM conversations WHERE {}",
        terms.join(" OR ")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_or_wide_statements_are_answered_or_refused_with_54001_never_a_crash() {
    let server = start(&[]);
    let bob = server.connect("bob", "bob-secret").await.unwrap();
    let unions = |n: usize| {
        format!(
            "SELECT count(*) FROM ({}) t",
            (0..n)
                .map(|i| format!("SELECT {i} AS x"))
                .collect::<Vec<_>>()
                .join(" UNION ALL ")
        )
    };
    let parens = |n: usize| format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n));
    let cases = |n: usize| {
        let mut e = "1".to_string();
        for _ in 0..n {
            e = format!("CASE WHEN account_id = 'acc_001' THEN {e} ELSE 0 END");
        }
        format!("SELECT {e} FROM raw.accounts")
    };
    for (what, sql) in [
        ("10,000 ORs", ors(10_000)),
        ("10,000 UNION ALL branches", unions(10_000)),
        ("10,000 nested parentheses", parens(10_000)),
        ("10,000 nested CASE expressions", cases(10_000)),
    ] {
        let err = bob.simple_query(&sql).await.expect_err(what);
        assert_eq!(code(&err), "54001", "{what}: {err:?}");
        assert!(
            err.as_db_error()
                .unwrap()
                .message()
                .starts_with("statement too complex"),
            "{what}: {err:?}"
        );
        assert!(
            bob.simple_query("SELECT 1").await.is_ok(),
            "{what}: the server is still up"
        );
    }
    // Deep enough to have crashed the server before, and wide lists: answered.
    let in_list = (0..100_000)
        .map(|i| format!("'c{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let array = (0..100_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    for (what, sql, expected) in [
        ("2,000 ORs", ors(2_000), 0),
        ("3,000 UNION ALL branches", unions(3_000), 3_000),
        (
            "a 100,000-element IN list",
            format!("SELECT count(*) FROM conversations WHERE conversation_id IN ({in_list})"),
            0,
        ),
        (
            "a 100,000-element array",
            format!("SELECT CAST(cardinality(ARRAY[{array}]) AS BIGINT)"),
            100_000,
        ),
    ] {
        let rows = bob
            .query(sql.as_str(), &[])
            .await
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(rows[0].get::<_, i64>(0), expected, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_built_by_functions_count_against_the_memory_limit() {
    const LIMIT_MIB: u64 = 64;
    // Batches in flight outside the pool, the pool's own accounting slack, allocator
    // retention: measured at 16-80 MiB above the start over these statements.
    const OVERHEAD_MIB: u64 = 48;
    let server = start(&["--memory-limit", "64MB"]);
    let alice = server.connect("alice", "alice-secret").await.unwrap();
    // Warm up: the catalog, the listing and the plan caches.
    for _ in 0..2 {
        alice
            .query("SELECT count(*) FROM conversation_messages", &[])
            .await
            .unwrap();
    }
    let pid = server.pid();
    let reset_peak = || std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let rss_kib = || -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    for (sql, expected) in [
        ("SELECT length(repeat('x', 500000000))", "53200"),
        ("SELECT length(repeat('x', 2000000000))", "54000"),
        ("SELECT length(lpad('x', 100000000))", "53200"),
        ("SELECT length(rpad('x', 300000000, 'ab'))", "54000"),
        (
            "SELECT length(concat(repeat('x', 40000000), repeat('y', 40000000)))",
            "53200",
        ),
        (
            "SELECT cardinality(array_repeat(repeat('x', 100), 10000000))",
            "53200",
        ),
        (
            "SELECT length(string_agg(body, ',')) FROM conversation_messages, generate_series(1, 1000)",
            "53200",
        ),
        (
            "SELECT cardinality(array_agg(body)) FROM conversation_messages, generate_series(1, 1000)",
            "53200",
        ),
        (
            "SELECT max(length(repeat('x', 10000))) FROM generate_series(1, 1000000)",
            "53200",
        ),
    ] {
        reset_peak();
        let before = rss_kib();
        let err = alice.query(sql, &[]).await.expect_err(sql);
        assert_eq!(code(&err), expected, "{sql}: {err:?}");
        let grew_mib = peak_rss_kib(pid).saturating_sub(before) / 1024;
        eprintln!("{sql}: {expected}, peak {grew_mib} MiB above the start");
        assert!(
            grew_mib <= LIMIT_MIB + OVERHEAD_MIB,
            "{sql}: the server grew {grew_mib} MiB under a {LIMIT_MIB} MiB limit"
        );
        assert_eq!(
            alice
                .query("SELECT count(*) FROM raw.accounts", &[])
                .await
                .unwrap()[0]
                .get::<_, i64>(0),
            3
        );
    }
    // Within the limit the answers are the functions' own.
    let rows = alice
        .query(
            "SELECT length(repeat('ab', 1000000)), lpad('7', 3, '0')",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (rows[0].get::<_, i32>(0), rows[0].get::<_, String>(1)),
        (2_000_000, "007".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_before_the_first_row_stops_its_query() {
    let server = start(&[]);
    let (client, connection) =
        tokio_postgres::connect(&server.conninfo("alice", "alice-secret"), NoTls)
            .await
            .unwrap();
    let socket = tokio::spawn(connection);
    // No row for minutes: the aggregate reads the whole cross product first.
    let query = tokio::spawn(async move { client.query(ENDLESS_AGGREGATE, &[]).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let busy_before = cpu_ticks(server.pid());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        cpu_ticks(server.pid()) - busy_before > 20,
        "the query must be running (test sanity)"
    );
    socket.abort();
    let _ = socket.await;
    let gone = Instant::now();
    // Within a second of the hang-up the work is gone: the next second is idle.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = cpu_ticks(server.pid());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let used = cpu_ticks(server.pid()) - before;
    assert!(
        used < 20,
        "{used} ticks in the second after {:?}: the query still runs",
        gone.elapsed()
    );
    query.abort();
}

#[test]
fn spill_files_live_in_one_directory_removed_at_shutdown_and_after_a_crash() {
    require!(PSQL, KILL);
    let dir = tempfile::tempdir().unwrap();
    let spill = dir.path().join("spill");
    // A crashed server's leftovers: its directory, a spill file, an unlocked lock file.
    let crashed = spill.join("server-999999");
    std::fs::create_dir_all(crashed.join("datafusion-x")).unwrap();
    std::fs::write(crashed.join("lock"), b"").unwrap();
    std::fs::write(crashed.join("datafusion-x/spill.arrow"), vec![7u8; 1 << 20]).unwrap();
    let users = users_file(dir.path());
    let mut server = start_in(
        dir,
        &users,
        &[
            "--memory-limit",
            "32MB",
            "--spill-dir",
            spill.to_str().unwrap(),
        ],
    );
    assert!(
        !crashed.exists(),
        "a crashed server's spill files are removed at start-up"
    );
    let own = spill.join(format!("server-{}", server.pid()));
    assert!(own.is_dir(), "the server spills into its own directory");
    // A query that spills (a sort of 3.2 M rows under 32 MB), stopped by SIGTERM while it spills.
    let conninfo = server.conninfo("alice", "alice-secret");
    let mut query = Command::new("psql")
        .args([
            conninfo.as_str(),
            "-X",
            "-c",
            "SELECT a.body, x FROM conversation_messages a CROSS JOIN generate_series(1, 400) g(x) ORDER BY a.body, x",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let size = |dir: &Path| -> u64 {
        fn walk(p: &Path) -> u64 {
            std::fs::read_dir(p).map_or(0, |d| {
                d.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            e.metadata().map_or(0, |m| m.len())
                        }
                    })
                    .sum()
            })
        }
        walk(dir)
    };
    let deadline = Instant::now() + Duration::from_mins(2);
    while size(&own) < 4 << 20 {
        assert!(
            Instant::now() < deadline,
            "the query did not spill within 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let spilled = size(&own);
    let status = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = query.wait();
    assert!(
        !own.exists(),
        "SIGTERM left {} bytes of spill files",
        size(&own)
    );
    eprintln!("{spilled} bytes spilled, all removed at SIGTERM");
}
