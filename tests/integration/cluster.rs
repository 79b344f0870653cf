//! The cluster as its users run it: `conversql serve --workers` and
//! `conversql worker` processes on loopback, talking gRPC, checked against a
//! single-node server through a real Postgres client.
//!
//! - the dataset and the fact store on a real S3-compatible server (moto),
//!   the answers of the coordinator and two workers equal to one node's, the
//!   work visible in `cluster_workers` and the stages in `EXPLAIN`;
//! - a worker killed mid-query: the query fails within seconds naming the
//!   worker, the next queries run on the other, and the worker, restarted,
//!   is used again; a worker down at start-up does not stop the server;
//! - a timeout and a cancel stop a distributed query at once, for the
//!   client and on the workers (their CPU goes quiet);
//! - the secret: a worker beyond loopback without one does not start, a
//!   coordinator with another secret is refused; a URL that is not a
//!   conversql worker, or a worker of another version, gets no plan.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use object_store::{ObjectStoreExt, PutPayload};
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::common::{AS_OF, Moto, Server, data_root, free_port, wait_for_port};

const SECRET: &str = "integration-cluster-secret";

/// Questions whose answers must not depend on where they are computed.
const QUESTIONS: &[&str] = &[
    "SELECT * FROM conversations ORDER BY account_id, conversation_id",
    "SELECT * FROM conversation_messages ORDER BY account_id, conversation_id, sent_at, message_id",
    "SELECT * FROM daily_conversations ORDER BY account_id, date, channel, status",
    "SELECT * FROM daily_conversations_by_tag ORDER BY account_id, date, tag",
    "SELECT * FROM attributed_orders ORDER BY account_id, order_id",
    "SELECT * FROM customer_agent_events ORDER BY account_id, metric, conversation_id, occurred_at, product_ids",
    "SELECT * FROM segment_recommended_not_purchased ORDER BY account_id, profile_id",
    "SELECT * FROM segment_escalated_last_7_days ORDER BY account_id, profile_id",
    "SELECT * FROM overview('acc_001', DATE '2026-05-09', DATE '2026-06-07')",
    "SELECT * FROM overview_daily('acc_001', DATE '2026-05-09', DATE '2026-06-07', 'status') ORDER BY 1, 2",
    "SELECT account_id, count(*), count(DISTINCT conversation_id) FROM raw.messages GROUP BY 1 ORDER BY 1",
];

/// A long join over the raw log: several seconds of work on the workers.
const LONG_QUERY: &str = "SELECT count(*) FROM raw.messages a JOIN raw.messages b \
     ON a.account_id = b.account_id AND a.channel = b.channel";

/// A running `conversql` process (worker or server), killed when dropped.
struct Process {
    child: Child,
    port: u16,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// `conversql ARGS --listen 127.0.0.1:PORT` with `env`, once it listens.
    fn start(args: &[&str], port: u16, env: &[(&str, String)]) -> Process {
        let listen = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_conversql"))
            .args(args)
            .args(["--listen", &listen])
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start conversql");
        wait_for_port(port, args[0], &mut child);
        Process { child, port }
    }

    fn worker(port: u16, env: &[(&str, String)]) -> Process {
        Process::start(&["worker"], port, env)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// `conversql serve` over `data` at [`AS_OF`], distributing over `workers`.
fn coordinator(data: &str, workers: &[String], env: &[(&str, String)]) -> Process {
    let workers = workers.join(",");
    Process::start(
        &[
            "serve",
            "--data",
            data,
            "--as-of",
            AS_OF,
            "--workers",
            &workers,
            // Spread every scan over the workers, as a large dataset's would be.
            "--scan-bytes-per-task",
            "1",
        ],
        free_port(),
        env,
    )
}

async fn connect(port: u16) -> tokio_postgres::Client {
    let conninfo = format!("host=127.0.0.1 port={port} user=analyst dbname=conversql");
    let (client, connection) = tokio_postgres::connect(&conninfo, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The rows of `sql` as `a|b|c` lines, or the error's SQLSTATE and message.
async fn answer(client: &tokio_postgres::Client, sql: &str) -> Result<Vec<String>, String> {
    match client.simple_query(sql).await {
        Ok(messages) => Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(r) => Some(
                    (0..r.len())
                        .map(|i| r.get(i).unwrap_or("null").to_string())
                        .collect::<Vec<_>>()
                        .join("|"),
                ),
                _ => None,
            })
            .collect()),
        Err(e) => Err(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        }),
    }
}

/// `cluster_workers` as `url|state|tasks_run` lines.
async fn workers(client: &tokio_postgres::Client) -> Vec<String> {
    answer(
        client,
        "SELECT url, state, tasks_run FROM cluster_workers ORDER BY url",
    )
    .await
    .unwrap()
}

/// Waits until `cluster_workers` shows `url` in `state`.
async fn wait_for_state(client: &tokio_postgres::Client, url: &str, state: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = workers(client).await;
        if rows
            .iter()
            .any(|r| r.starts_with(&format!("{url}/|{state}|")))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{url} not {state} within 20 s: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The tasks `cluster_workers` counts for `url`.
async fn tasks_of(client: &tokio_postgres::Client, url: &str) -> i64 {
    workers(client)
        .await
        .iter()
        .find_map(|r| r.strip_prefix(&format!("{url}/|")))
        .and_then(|r| r.rsplit('|').next())
        .map(|n| n.parse().unwrap())
        .unwrap()
}

/// Copies the files under `dir` to `store` under `prefix`.
async fn upload(store: &dyn object_store::ObjectStore, dir: &Path, prefix: &str) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('_') || name.starts_with('.') {
            continue;
        }
        let key = format!("{prefix}/{name}");
        if path.is_dir() {
            Box::pin(upload(store, &path, &key)).await;
        } else {
            let bytes = std::fs::read(&path).unwrap();
            store
                .put(&key.as_str().into(), PutPayload::from(bytes))
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_and_two_worker_processes_on_s3_answer_as_one_node() {
    require!(MOTO_SERVER, BOTO3);
    let moto = Moto::start(&["logs"]);
    let store = moto.s3_options().build("logs").unwrap();
    upload(&store, Path::new(&data_root()), "shop").await;
    let mut env = moto.env();
    env.push(("CONVERSQL_CLUSTER_SECRET", SECRET.to_string()));
    let (w1, w2) = (
        Process::worker(free_port(), &env),
        Process::worker(free_port(), &env),
    );
    // The dataset and the fact store (beside it, by default) are in the bucket.
    let cluster = coordinator("s3://logs/shop", &[w1.url(), w2.url()], &env);
    let one_node = Server::start();
    let (cluster, one_node) = (connect(cluster.port).await, connect(one_node.port).await);
    for question in QUESTIONS {
        let expected = answer(&one_node, question).await.unwrap();
        assert!(!expected.is_empty(), "{question}: no rows to compare");
        assert_eq!(
            answer(&cluster, question).await.unwrap(),
            expected,
            "{question}"
        );
    }
    // The same with the fact store off: the raw path's plans are distributed too.
    answer(&cluster, "SET conversql.facts = off").await.unwrap();
    answer(&one_node, "SET conversql.facts = off")
        .await
        .unwrap();
    for question in &QUESTIONS[..3] {
        assert_eq!(
            answer(&cluster, question).await.unwrap(),
            answer(&one_node, question).await.unwrap(),
            "{question} (raw log)"
        );
    }
    for worker in [&w1, &w2] {
        assert!(
            tasks_of(&cluster, &worker.url()).await > 0,
            "{} ran no task: {:?}",
            worker.url(),
            workers(&cluster).await
        );
    }
    let plan = answer(&cluster, &format!("EXPLAIN {}", QUESTIONS[10]))
        .await
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("DistributedExec") && plan.contains("Stage"),
        "EXPLAIN shows the stages:\n{plan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_worker_fails_its_query_naming_it_and_is_used_again_when_back() {
    let (p1, p2) = (free_port(), free_port());
    let env = [("CONVERSQL_CLUSTER_SECRET", SECRET.to_string())];
    let mut w1 = Process::worker(p1, &env);
    let w2 = Process::worker(p2, &env);
    // A third worker that is not there at start-up does not stop the server.
    let p3 = free_port();
    let url3 = format!("http://127.0.0.1:{p3}");
    let server = coordinator(&data_root(), &[w1.url(), w2.url(), url3.clone()], &env);
    let client = connect(server.port).await;
    wait_for_state(&client, &url3, "down").await;
    let expected = answer(&client, LONG_QUERY).await.unwrap();

    // Killed while the long query runs: the query fails within seconds, naming it.
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        w1.child.kill().unwrap();
        w1.child.wait().unwrap();
        Instant::now()
    });
    let outcome = answer(&client, LONG_QUERY).await;
    let finished = Instant::now();
    let killed_at = killer.await.unwrap();
    let url1 = format!("http://127.0.0.1:{p1}");
    match outcome {
        Err(e) => {
            assert!(
                e.contains(&url1) && e.starts_with("08006"),
                "the error names the worker: {e}"
            );
            assert!(
                finished.saturating_duration_since(killed_at) < Duration::from_secs(10),
                "the query failed {:?} after the kill",
                finished.saturating_duration_since(killed_at)
            );
        }
        // The query may have finished before the kill landed: then it is whole.
        Ok(rows) => assert_eq!(rows, expected),
    }
    wait_for_state(&client, &url1, "down").await;
    let before = tasks_of(&client, &w2.url()).await;
    assert_eq!(answer(&client, LONG_QUERY).await.unwrap(), expected);
    assert!(
        tasks_of(&client, &w2.url()).await > before,
        "the other worker ran it"
    );

    // Back on its port (and the third one started late): both are used again.
    let w1 = Process::worker(p1, &env);
    let w3 = Process::worker(p3, &env);
    wait_for_state(&client, &w1.url(), "up").await;
    wait_for_state(&client, &w3.url(), "up").await;
    let (before1, before3) = (
        tasks_of(&client, &w1.url()).await,
        tasks_of(&client, &w3.url()).await,
    );
    assert_eq!(answer(&client, LONG_QUERY).await.unwrap(), expected);
    assert!(tasks_of(&client, &w1.url()).await > before1, "back in use");
    assert!(tasks_of(&client, &w3.url()).await > before3, "used once up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_workers_of_this_cluster_get_plans() {
    // Beyond loopback a worker needs the secret.
    let out = Command::new(env!("CARGO_BIN_EXE_conversql"))
        .args(["worker", "--listen", &format!("0.0.0.0:{}", free_port())])
        .env_remove("CONVERSQL_CLUSTER_SECRET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("CONVERSQL_CLUSTER_SECRET"),
        "{stderr}"
    );

    // A worker with another secret, a Postgres port, a DataFusion worker of another
    // program and a conversql worker of another version: refused, and the
    // queries run on the coordinator alone, with the same answers.
    let other_secret = Process::worker(
        free_port(),
        &[(
            "CONVERSQL_CLUSTER_SECRET",
            "another-secret-0123456".to_string(),
        )],
    );
    let postgres_port = Server::start();
    let foreign = spawn_foreign_worker().await;
    let options = conversql::cluster::worker::WorkerOptions {
        secret: Some(conversql::cluster::auth::ClusterSecret::new(SECRET).unwrap()),
        s3: conversql::s3::S3Options::default(),
        memory_limit: None,
    };
    let old = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let worker = conversql::cluster::worker::ClusterWorker::new(&options, None)
            .unwrap()
            .with_version("conversql 0.0.1");
        tokio::spawn(worker.serve(listener, options.secret.clone()));
        format!("http://127.0.0.1:{port}")
    };
    let postgres = format!("http://127.0.0.1:{}", postgres_port.port);
    let not_workers = [
        other_secret.url(),
        postgres.clone(),
        foreign.clone(),
        old.clone(),
    ];
    let server = coordinator(
        &data_root(),
        &not_workers,
        &[("CONVERSQL_CLUSTER_SECRET", SECRET.to_string())],
    );
    let client = connect(server.port).await;
    let reference = Server::start();
    let one_node = connect(reference.port).await;
    for url in [&other_secret.url(), &postgres, &foreign, &old] {
        wait_for_state(&client, url, "refused").await;
    }
    let errors = answer(
        &client,
        "SELECT url, last_error FROM cluster_workers ORDER BY url",
    )
    .await
    .unwrap()
    .join("\n");
    for expected in [
        "cluster secret",
        "does not answer gRPC",
        "not a conversql worker (a DataFusion worker of another program)",
        "the worker is conversql 0.0.1",
    ] {
        assert!(errors.contains(expected), "{expected}:\n{errors}");
    }
    assert!(
        workers(&client).await.iter().all(|r| !r.contains("|up|")),
        "{:?}",
        workers(&client).await
    );
    assert_eq!(
        answer(&client, QUESTIONS[0]).await.unwrap(),
        answer(&one_node, QUESTIONS[0]).await.unwrap()
    );
    assert!(workers(&client).await.iter().all(|r| r.ends_with("|0")));
}

/// Checks that, a second after their query ended, the worker processes
/// `pids` use less than 30 % of a core over the next two seconds: the work of
/// a stopped query does not run on to the end of its stage (which kept both
/// cores busy, 2 CPU seconds in those 2 s, before workers stopped it).
async fn assert_workers_go_quiet(pids: &[u32]) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before: f64 = pids.iter().map(|&pid| cpu_seconds(pid)).sum();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = pids.iter().map(|&pid| cpu_seconds(pid)).sum::<f64>() - before;
    assert!(
        used < 0.6,
        "the workers used {used:.2} CPU seconds in the 2 s after their query was stopped"
    );
}

/// The CPU time process `pid` has used (user and system), from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses: state is the
    // first, utime and stime the 12th and 13th (proc(5)).
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks / per_second
}

/// Another program's DataFusion worker (datafusion-distributed's default
/// worker, served as its documentation shows) on a loopback port; its URL.
async fn spawn_foreign_worker() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(datafusion_distributed::Worker::default().into_worker_server())
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    format!("http://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_or_a_cancel_stops_a_distributed_query_at_once() {
    let env = [("CONVERSQL_CLUSTER_SECRET", SECRET.to_string())];
    let (w1, w2) = (
        Process::worker(free_port(), &env),
        Process::worker(free_port(), &env),
    );
    let server = coordinator(&data_root(), &[w1.url(), w2.url()], &env);
    let client = connect(server.port).await;

    let worker_pids = [w1.child.id(), w2.child.id()];
    answer(&client, "SET statement_timeout = '1s'")
        .await
        .unwrap();
    let started = Instant::now();
    let err = answer(&client, LONG_QUERY).await.unwrap_err();
    assert!(err.starts_with("57014"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_workers_go_quiet(&worker_pids).await;

    answer(&client, "SET statement_timeout = 0").await.unwrap();
    let cancel = client.cancel_token();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        cancel.cancel_query(NoTls).await.unwrap();
    });
    let started = Instant::now();
    let err = answer(&client, LONG_QUERY).await.unwrap_err();
    canceller.await.unwrap();
    assert!(err.starts_with("57014"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_workers_go_quiet(&worker_pids).await;

    // The session goes on, on the workers.
    let expected = answer(&client, QUESTIONS[10]).await.unwrap();
    assert!(!expected.is_empty());
}
