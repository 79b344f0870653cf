//! Runs the sqllogictest files of `tests/slt/` against conversql sessions.
//!
//! Each file gets a fresh dataset root (`$ROOT`, with the four table folders
//! created empty). Statements starting with `COPY` go to a plain DataFusion
//! context that writes fixture Parquet files under `$ROOT` (any column types,
//! missing columns, ms/ns or zone-less timestamps…); everything else runs in a
//! conversql session over `$ROOT`, opened on first use, exactly as the server
//! runs it (SET/SHOW/RESET, read-only rules, views, table functions). Files
//! written after the session opened are seen by its next query. Each
//! `connection NAME` block gets its own session.
//!
//! The whole suite runs on local files (raw log, fact store), on an
//! in-process cluster of two workers (raw log, fact store), over S3 — a real
//! S3-compatible server (`moto_server`, from `tests/requirements.txt`) that the
//! test starts on loopback, where `$ROOT` is `s3://conversql-slt/<file>` and
//! the fixtures are written through the same object store conversql reads —
//! and over S3 again with the queries distributed over two `conversql worker`
//! processes, which reach the bucket with their own S3 settings.
//! Without `moto_server` the S3 runs are skipped with a `SKIPPED` line saying
//! what to install (a failure under `CONVERSQL_TEST_REQUIRE_ALL=1`), as the
//! integration tests skip (`tests/integration/common/require.rs`).

#[path = "integration/common/require.rs"]
mod require;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use conversql::cluster::auth::ClusterSecret;
use conversql::cluster::coordinator::{Cluster, ClusterOptions};
use conversql::cluster::worker::WorkerOptions;
use conversql::facts::FactsPlacement;
use conversql::s3::S3Options;
use conversql::session::StatementResult;
use conversql::{Engine, EngineOptions, Session};
use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;
use datafusion_sqllogictest::{DFColumnType, convert_batches, convert_schema_to_types};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sqllogictest::{AsyncDB, DBOutput};

struct ConversqlDb {
    root: String,
    s3: S3Options,
    facts: FactsPlacement,
    cluster: Option<Arc<Cluster>>,
    writer: SessionContext,
    session: Option<Session>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SltError(String);

impl ConversqlDb {
    async fn session(&mut self) -> Result<&mut Session, SltError> {
        if self.session.is_none() {
            let engine = Engine::open(EngineOptions {
                data: self.root.clone(),
                s3: self.s3.clone(),
                facts: self.facts.clone(),
                cluster: self.cluster.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| SltError(e.to_string()))?;
            self.session = Some(engine.session());
        }
        Ok(self.session.as_mut().expect("opened"))
    }
}

#[async_trait]
impl AsyncDB for ConversqlDb {
    type Error = SltError;
    type ColumnType = DFColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DFColumnType>, SltError> {
        let sql = &sql.replace("$ROOT", &self.root);
        if sql.trim_start().to_ascii_uppercase().starts_with("COPY") {
            let df = self
                .writer
                .sql(sql)
                .await
                .map_err(|e| SltError(format!("fixture: {e}")))?;
            df.collect()
                .await
                .map_err(|e| SltError(format!("fixture: {e}")))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let session = self.session().await?;
        let mut results = session
            .sql(sql)
            .await
            .map_err(|e| SltError(e.to_string()))?;
        match results.pop() {
            Some(StatementResult::Rows(df)) => {
                let schema = Arc::new(df.schema().as_arrow().clone());
                let batches = df.collect().await.map_err(|e| SltError(e.to_string()))?;
                // The rows' own schema where there are rows: DataFusion's logical
                // schema calls a scalar subquery's column non-null when the
                // subquery's is, but no row makes it NULL (as in PostgreSQL).
                let schema = batches.first().map_or(schema, RecordBatch::schema);
                let types = convert_schema_to_types(schema.fields());
                let rows = convert_batches(&schema, batches, false)
                    .map_err(|e| SltError(e.to_string()))?;
                if rows.is_empty() && types.is_empty() {
                    Ok(DBOutput::StatementComplete(0))
                } else {
                    Ok(DBOutput::Rows { types, rows })
                }
            }
            _ => Ok(DBOutput::StatementComplete(0)),
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &'static str {
        "conversql"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

/// Where a file's dataset lives.
#[derive(Clone)]
enum Backend {
    /// A fresh temporary directory; `facts`: with a fact store (folding in
    /// each fixture file as the queries after it see it), else the raw path.
    Local { facts: bool },
    /// A fresh prefix in a bucket of the S3 server at this endpoint, with the
    /// fact store beside the data in the bucket; with `cluster`, the queries
    /// are distributed over its workers, which read the bucket themselves.
    S3 {
        endpoint: String,
        cluster: Option<Arc<Cluster>>,
    },
    /// As `Local`, with the queries distributed over the workers of `cluster`.
    Cluster { facts: bool, cluster: Arc<Cluster> },
}

const BUCKET: &str = "conversql-slt";

fn s3_options(endpoint: &str) -> S3Options {
    S3Options {
        endpoint: Some(endpoint.to_string()),
        region: Some("us-east-1".into()),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        ..Default::default()
    }
}

async fn run_file(path: &Path, backend: &Backend) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tables = ["accounts", "profiles", "messages", "events"];
    let facts = match backend {
        Backend::Local { facts: false } | Backend::Cluster { facts: false, .. } => {
            FactsPlacement::Off
        }
        Backend::Local { facts: true } | Backend::Cluster { facts: true, .. } => {
            FactsPlacement::At(dir.path().join("_facts").display().to_string())
        }
        Backend::S3 { .. } => FactsPlacement::BesideData,
    };
    let cluster = match backend {
        Backend::Cluster { cluster, .. } => Some(cluster.clone()),
        Backend::S3 { cluster, .. } => cluster.clone(),
        Backend::Local { .. } => None,
    };
    let (root, s3, store) = match backend {
        Backend::Local { .. } | Backend::Cluster { .. } => {
            for table in tables {
                std::fs::create_dir_all(dir.path().join(table)).map_err(|e| e.to_string())?;
            }
            (dir.path().display().to_string(), S3Options::default(), None)
        }
        Backend::S3 { endpoint, .. } => {
            let options = s3_options(endpoint);
            let store: Arc<dyn ObjectStore> =
                Arc::new(options.build(BUCKET).map_err(|e| e.to_string())?);
            let stem = path.file_stem().unwrap().to_string_lossy();
            // Each backend writes its own copy of the fixtures.
            let prefix = match cluster {
                Some(_) => format!("workers-{stem}"),
                None => stem.to_string(),
            };
            // Object stores have no folders: a `_SUCCESS` marker (ignored by the
            // listing rule) makes each table's prefix exist.
            for table in tables {
                let marker = object_store::path::Path::from(format!("{prefix}/{table}/_SUCCESS"));
                store
                    .put(&marker, PutPayload::default())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            (format!("s3://{BUCKET}/{prefix}"), options, Some(store))
        }
    };
    let mut runner = sqllogictest::Runner::new(move || {
        let (root, s3, store, facts, cluster) = (
            root.clone(),
            s3.clone(),
            store.clone(),
            facts.clone(),
            cluster.clone(),
        );
        async move {
            let writer = SessionContext::new();
            if let Some(store) = store {
                writer.register_object_store(
                    &url::Url::parse(&format!("s3://{BUCKET}")).unwrap(),
                    store,
                );
            }
            Ok(ConversqlDb {
                root,
                s3,
                facts,
                cluster,
                writer,
                session: None,
            })
        }
    });
    runner
        .run_file_async(path)
        .await
        .map_err(|e| e.display(true).to_string())
}

/// A `moto_server` on a free loopback port with the test bucket created; killed on drop.
struct MotoServer {
    child: std::process::Child,
    endpoint: String,
}

impl MotoServer {
    fn start() -> Result<MotoServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start moto_server (pip install -r tests/requirements.txt): {e}")
            })?;
        let server = MotoServer {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
        loop {
            // Create the bucket (moto's server accepts unsigned requests).
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read, Write};
                let request = format!(
                    "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                if s.write_all(request.as_bytes()).is_ok() {
                    let mut reply = String::new();
                    let _ = s.read_to_string(&mut reply);
                    if reply.starts_with("HTTP/1.1 200") {
                        return Ok(server);
                    }
                }
            }
            if std::time::Instant::now() > deadline {
                return Err("moto_server did not start within 60 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sample dataset uploaded to the S3 server under `sample/`.
async fn upload_sample(endpoint: &str) -> Result<String, String> {
    let store = s3_options(endpoint)
        .build(BUCKET)
        .map_err(|e| e.to_string())?;
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let mut pending = vec![data.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(&data)
                    .unwrap()
                    .to_string_lossy()
                    .to_string();
                let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
                store
                    .put(
                        &object_store::path::Path::from(format!("sample/{relative}")),
                        bytes.into(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(format!("s3://{BUCKET}/sample"))
}

async fn count_conversations(session: &mut Session) -> Result<String, String> {
    let df = session
        .query("SELECT count(*) AS n FROM conversations")
        .await
        .map_err(|e| e.to_string())?;
    let batches = df.collect().await.map_err(|e| e.to_string())?;
    Ok(arrow::util::pretty::pretty_format_batches(&batches)
        .map_err(|e| e.to_string())?
        .to_string())
}

/// The S3 server stops answering in the middle of a query (SIGSTOP): the query
/// fails with a clear error naming what it was reading, within the configured
/// timeout; queries that do not need S3 go on; when the server answers again
/// (SIGCONT) the same query gives the same answer as before, on the session
/// that saw the outage and on a new engine.
async fn s3_outage_is_a_clear_error_and_recovers(moto: &MotoServer) -> Result<String, String> {
    let root = upload_sample(&moto.endpoint).await?;
    let mut s3 = s3_options(&moto.endpoint);
    s3.max_retries = 1;
    s3.retry_timeout = std::time::Duration::from_secs(3);
    s3.request_timeout = std::time::Duration::from_secs(3);
    let open = || {
        let options = EngineOptions {
            data: root.clone(),
            s3: s3.clone(),
            ..Default::default()
        };
        async move { Engine::open(options).await.map_err(|e| e.to_string()) }
    };
    let engine = open().await?;
    let mut session = engine.session();
    let cold_started = std::time::Instant::now();
    let before = count_conversations(&mut session).await?;
    let cold = cold_started.elapsed();
    let signal = |sig: &str| {
        std::process::Command::new("kill")
            .args([sig, &moto.child.id().to_string()])
            .status()
            .map(|_| ())
    };
    // Stop S3 while a query is running: a fresh engine has read no footer yet,
    // so its first query makes many requests; stop the server part-way through
    // (a third of the first query's time; shorter if the query beats it).
    let mut delay = cold / 3;
    let mut outcome = None;
    for _ in 0..5 {
        let fresh = open().await?;
        let mut fresh_session = fresh.session();
        let query = tokio::spawn(async move { count_conversations(&mut fresh_session).await });
        tokio::time::sleep(delay).await;
        if query.is_finished() {
            delay /= 2;
            continue;
        }
        signal("-STOP").map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let during = query.await.map_err(|e| e.to_string())?;
        let took = started.elapsed();
        let other = match session.query("SELECT 40 + 2 AS answer").await {
            Ok(df) => df
                .collect()
                .await
                .map(|b| b[0].num_rows())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        signal("-CONT").map_err(|e| e.to_string())?;
        outcome = Some((during, took, other));
        break;
    }
    let Some((during, took, other)) = outcome else {
        return Err(format!(
            "every query finished before S3 could be stopped (first query {cold:?})"
        ));
    };
    let error = match during {
        Ok(out) => return Err(format!("a query running when S3 stopped succeeded: {out}")),
        Err(e) => e,
    };
    if !error.contains(&format!("{BUCKET}/sample")) {
        return Err(format!(
            "the outage error does not name the object or root: {error}"
        ));
    }
    if took > std::time::Duration::from_secs(20) {
        return Err(format!(
            "the outage error took {took:?}, beyond the configured timeouts"
        ));
    }
    if other != Ok(1) {
        return Err(format!(
            "a query without S3 failed during the outage: {other:?}"
        ));
    }
    let after = count_conversations(&mut session).await?;
    let after_fresh = count_conversations(&mut open().await?.session()).await?;
    if after != before || after_fresh != before {
        return Err(format!(
            "after the outage: {after} / {after_fresh}\nbefore: {before}"
        ));
    }
    Ok(format!(
        "stopped {delay:.1?} into a {cold:.1?} query, which failed {took:.1?} later: {}",
        error.chars().take(160).collect::<String>()
    ))
}

/// An unreachable S3 endpoint is a clear error naming the dataset root, after the configured retries.
async fn unreachable_s3_is_a_clear_error() -> Result<(), String> {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut s3 = s3_options(&format!("http://127.0.0.1:{closed}"));
    s3.max_retries = 1;
    s3.retry_timeout = std::time::Duration::from_secs(2);
    let root = format!("s3://{BUCKET}/nowhere");
    match Engine::open(EngineOptions {
        data: root.clone(),
        s3,
        ..Default::default()
    })
    .await
    {
        Ok(_) => Err("opening a dataset on an unreachable S3 endpoint succeeded".into()),
        Err(e) if e.to_string().contains(&root) => Ok(()),
        Err(e) => Err(format!("the error does not name {root}: {e}")),
    }
}

/// Counts and prints the outcome of each check: `what ... ok [(detail)]` or `what ... FAILED` and why.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
}

impl Tally {
    fn record(&mut self, what: &str, outcome: Result<String, String>) {
        match outcome {
            Ok(detail) => {
                self.passed += 1;
                if detail.is_empty() {
                    println!("{what} ... ok");
                } else {
                    println!("{what} ... ok ({detail})");
                }
            }
            Err(e) => {
                self.failed += 1;
                println!("{what} ... FAILED\n{e}");
            }
        }
    }
}

/// Two workers in this process, each serving on its own loopback port, and
/// the cluster of a coordinator over them.
async fn start_cluster() -> Result<Arc<Cluster>, String> {
    let mut workers = vec![];
    for _ in 0..2 {
        let options = WorkerOptions {
            secret: Some(ClusterSecret::new(CLUSTER_SECRET).map_err(|e| e.to_string())?),
            s3: S3Options::default(),
            memory_limit: None,
        };
        let worker = conversql::cluster::worker::ClusterWorker::new(&options, None)
            .map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        tokio::spawn(worker.serve(listener, options.secret.clone()));
        workers.push(url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap());
    }
    coordinate(workers).await
}

/// Two `conversql worker` processes on loopback that reach the S3 server at
/// `endpoint` with their own settings, and the cluster of a coordinator over
/// them; the processes are killed when the returned guard is dropped.
async fn start_worker_processes(endpoint: &str) -> Result<(Arc<Cluster>, WorkerProcesses), String> {
    let mut processes = WorkerProcesses(vec![]);
    let mut workers = vec![];
    for _ in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_conversql"))
            .args(["worker", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--s3-endpoint", endpoint, "--s3-region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("CONVERSQL_CLUSTER_SECRET", CLUSTER_SECRET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start `conversql worker`: {e}"))?;
        processes.0.push(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "`conversql worker` on port {port} did not listen within 60 s"
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        workers.push(url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap());
    }
    Ok((coordinate(workers).await?, processes))
}

/// Worker processes, killed when dropped.
struct WorkerProcesses(Vec<std::process::Child>);

impl Drop for WorkerProcesses {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The cluster of a coordinator over `workers`, once all of them are up.
/// Every scan of more than one byte is spread over the workers, so the small
/// fixtures of the suite are distributed as a large dataset would be.
async fn coordinate(workers: Vec<url::Url>) -> Result<Arc<Cluster>, String> {
    let cluster = Cluster::new(&ClusterOptions {
        workers,
        secret: Some(ClusterSecret::new(CLUSTER_SECRET).map_err(|e| e.to_string())?),
        scan_bytes_per_task: Some(1),
    });
    cluster.watch().await;
    let down: Vec<String> = cluster
        .status()
        .into_iter()
        .filter(|w| w.state.name() != "up")
        .map(|w| format!("{} is {}: {:?}", w.url, w.state.name(), w.last_error))
        .collect();
    if down.is_empty() {
        Ok(cluster)
    } else {
        Err(down.join("; "))
    }
}

/// The cluster suites ran on the workers, not on the coordinator alone.
fn workers_ran_tasks(cluster: &Cluster) -> Result<String, String> {
    let status = cluster.status();
    let idle: Vec<&str> = status
        .iter()
        .filter(|w| w.tasks_run == 0 || w.rows_out == 0)
        .map(|w| w.url.as_str())
        .collect();
    let summary: Vec<String> = status
        .iter()
        .map(|w| format!("{}: {} tasks, {} rows", w.url, w.tasks_run, w.rows_out))
        .collect();
    if idle.is_empty() {
        Ok(summary.join("; "))
    } else {
        Err(format!(
            "workers that did nothing: {idle:?} ({})",
            summary.join("; ")
        ))
    }
}

/// The cluster secret of the in-process cluster.
const CLUSTER_SECRET: &str = "slt-cluster-secret-0123";

#[tokio::main]
async fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            filter
                .as_ref()
                .is_none_or(|f| p.to_string_lossy().contains(f.as_str()))
        })
        .collect();
    files.sort();
    let mut tally = Tally::default();
    let moto = if require::require("slt over S3", &[&require::MOTO_SERVER]) {
        match MotoServer::start() {
            Ok(m) => Some(m),
            Err(e) => {
                tally.record("slt over S3", Err(e));
                None
            }
        }
    } else {
        None
    };
    let cluster = match start_cluster().await {
        Ok(cluster) => Some(cluster),
        Err(e) => {
            tally.record("in-process cluster", Err(e));
            None
        }
    };
    let mut backends = vec![
        ("local, raw log", Backend::Local { facts: false }),
        ("local, fact store", Backend::Local { facts: true }),
    ];
    if let Some(cluster) = &cluster {
        for (label, facts) in [
            ("2 workers, raw log", false),
            ("2 workers, fact store", true),
        ] {
            backends.push((
                label,
                Backend::Cluster {
                    facts,
                    cluster: cluster.clone(),
                },
            ));
        }
    }
    let process_cluster = match &moto {
        Some(m) => match start_worker_processes(&m.endpoint).await {
            Ok(started) => Some(started),
            Err(e) => {
                tally.record("worker processes on S3", Err(e));
                None
            }
        },
        None => None,
    };
    if let Some(m) = &moto {
        backends.push((
            "s3, fact store",
            Backend::S3 {
                endpoint: m.endpoint.clone(),
                cluster: None,
            },
        ));
    }
    if let (Some(m), Some((cluster, _))) = (&moto, &process_cluster) {
        backends.push((
            "2 worker processes, s3, fact store",
            Backend::S3 {
                endpoint: m.endpoint.clone(),
                cluster: Some(cluster.clone()),
            },
        ));
    }
    for (label, backend) in &backends {
        for file in &files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            tally.record(
                &format!("slt {name} ({label})"),
                run_file(file, backend).await.map(|()| String::new()),
            );
        }
    }
    if let Some(m) = &moto {
        tally.record(
            "S3 outage mid-work",
            s3_outage_is_a_clear_error_and_recovers(m).await,
        );
    }
    tally.record(
        "unreachable S3 endpoint",
        unreachable_s3_is_a_clear_error()
            .await
            .map(|()| String::new()),
    );
    if let Some(cluster) = &cluster {
        tally.record("the workers ran tasks", workers_ran_tasks(cluster));
    }
    if let Some((cluster, _)) = &process_cluster {
        tally.record("the worker processes ran tasks", workers_ran_tasks(cluster));
    }
    let Tally { passed, failed } = tally;
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 || files.is_empty() {
        std::process::exit(1);
    }
}
