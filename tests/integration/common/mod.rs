//! Shared helpers of the integration tests: start the real
//! `conversql serve` on the bundled sample, start a real PostgreSQL 15 from
//! Debian's packages to compare answers with, run queries in-process for the
//! expected values, run external client programs, and skip a test whose
//! programs are not installed ([`require`], the `require!` macro).

#![allow(dead_code)]

pub mod require;

/// Returns from the calling test (skipping it, or failing it under
/// `CONVERSQL_TEST_REQUIRE_ALL=1`) unless every named requirement of
/// [`require`] is installed: `require!(PSQL, PSYCOPG);`.
macro_rules! require {
    ($($need:ident),+ $(,)?) => {
        if !$crate::common::require::require(
            &$crate::common::require::current_test(module_path!()),
            &[$(&$crate::common::require::$need),+],
        ) {
            return;
        }
    };
}

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use conversql::{Engine, EngineOptions};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// The analysis instant every test pins, so the sample's answers are fixed.
pub const AS_OF: &str = "2026-06-08T12:00:00Z";
/// The sample account the tests read.
pub const ACCOUNT: &str = "acc_001";
/// First day of the overview range.
pub const START: &str = "2026-06-01";
/// Last day of the overview range.
pub const END: &str = "2026-06-07";

/// The views conversql serves in `public`.
pub const VIEWS: &[&str] = &[
    "conversations",
    "conversation_messages",
    "daily_conversations",
    "daily_conversations_by_tag",
    "attributed_orders",
    "customer_agent_events",
    "segment_recommended_not_purchased",
    "segment_escalated_last_7_days",
];

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled sample data.
pub fn data_root() -> String {
    repo_root().join("data").to_string_lossy().into_owned()
}

/// A TCP port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something accepts connections on `port`, or panics naming `what`.
pub fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on port {port}: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 90 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sample data's root.
static DATA: std::sync::LazyLock<String> = std::sync::LazyLock::new(data_root);

/// A running `conversql serve`, killed when dropped.
pub struct Server {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    /// Its own views location, when it was not given one.
    views: Option<tempfile::TempDir>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `conversql serve` on the sample data at [`AS_OF`], with a views
    /// location of its own (views a test defines reach no other test).
    pub fn start() -> Server {
        let views = tempfile::tempdir().expect("a views directory");
        let mut server = Server::start_with(&["--views", views.path().to_str().unwrap()]);
        server.views = Some(views);
        server
    }

    /// Starts `conversql serve` on the sample data at [`AS_OF`] with `extra` arguments.
    pub fn start_with(extra: &[&str]) -> Server {
        Server::start_with_env(extra, &[])
    }

    /// [`Server::start_with`] with environment variables (S3 endpoint and credentials, …).
    pub fn start_with_env(extra: &[&str], env: &[(&str, String)]) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec![
            "serve",
            "--data",
            DATA.as_str(),
            "--as-of",
            AS_OF,
            "--listen",
            &listen,
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(env!("CARGO_BIN_EXE_conversql"))
            .args(&args)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start conversql serve");
        wait_for_port(port, "conversql serve", &mut child);
        Server {
            child,
            port,
            views: None,
        }
    }

    /// A libpq-style connection string for tokio-postgres.
    pub fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} user=analyst dbname=conversql",
            self.port
        )
    }
}

/// Runs `work` on a fresh thread with its own tokio runtime, so callers may be
/// inside a runtime themselves.
fn on_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || tokio::runtime::Runtime::new().unwrap().block_on(work))
        .join()
        .unwrap()
}

/// Formats every row of `batches` as `a|b|c`, nulls as `null`.
pub fn pipe_rows(batches: &[RecordBatch], null: &str) -> Vec<String> {
    let options = FormatOptions::default().with_null(null);
    let mut rows = vec![];
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            );
        }
    }
    rows
}

/// Runs `sql` in-process on the sample at [`AS_OF`] and formats every row as `a|b|c`.
pub fn in_process(sql: &str) -> Vec<String> {
    let sql = sql.to_string();
    on_own_runtime(async move {
        let engine = Engine::open(EngineOptions {
            data: data_root(),
            as_of: Some(conversql_udfs::parse_instant(AS_OF).unwrap()),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        let batches = session.query(&sql).await.unwrap().collect().await.unwrap();
        pipe_rows(&batches, "")
    })
}

/// The overview of [`ACCOUNT`] over [`START`]..[`END`], computed in-process:
/// (total_volume, resolved_by_ai, percent_resolved_by_ai, ai_generated_sales as text).
pub fn expected_overview() -> (i64, i64, f64, String) {
    let rows = in_process(&format!(
        "SELECT * FROM overview('{ACCOUNT}', DATE '{START}', DATE '{END}')"
    ));
    assert_eq!(rows.len(), 1, "one overview row");
    let f: Vec<&str> = rows[0].split('|').collect();
    (
        f[0].parse().unwrap(),
        f[1].parse().unwrap(),
        f[2].parse().unwrap(),
        f[3].to_string(),
    )
}

/// The Postgres name of an Arrow type as `information_schema.columns.data_type`
/// gives it in PostgreSQL (`ARRAY` for lists), with the `pg_type` name
/// (`udt_name`: `int8`, `timestamptz`, `_text`).
pub fn postgres_type(t: &DataType) -> (&'static str, &'static str) {
    match t {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => ("text", "text"),
        DataType::Int64 => ("bigint", "int8"),
        DataType::Int32 => ("integer", "int4"),
        DataType::Int16 => ("smallint", "int2"),
        DataType::Float64 => ("double precision", "float8"),
        DataType::Float32 => ("real", "float4"),
        DataType::Boolean => ("boolean", "bool"),
        DataType::Date32 => ("date", "date"),
        DataType::Timestamp(_, Some(_)) => ("timestamp with time zone", "timestamptz"),
        DataType::Timestamp(_, None) => ("timestamp without time zone", "timestamp"),
        DataType::Decimal128(_, _) => ("numeric", "numeric"),
        DataType::List(f) | DataType::LargeList(f) => match postgres_type(f.data_type()).1 {
            "text" => ("ARRAY", "_text"),
            "int8" => ("ARRAY", "_int8"),
            other => panic!("no Postgres array type for {other}"),
        },
        other => panic!("no Postgres type for Arrow {other}"),
    }
}

/// The columns of the `conversations` view as (name, Postgres `data_type`), in
/// order, from the view's Arrow schema computed in-process.
pub fn expected_conversation_columns() -> Vec<(String, String)> {
    let schema = on_own_runtime(async {
        let engine = Engine::open(EngineOptions {
            data: data_root(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        session
            .query("SELECT * FROM conversations LIMIT 0")
            .await
            .unwrap()
            .schema()
            .inner()
            .clone()
    });
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), postgres_type(f.data_type()).0.to_string()))
        .collect()
}

/// The number of conversations of [`ACCOUNT`], computed in-process.
pub fn expected_conversation_count() -> i64 {
    in_process(&format!(
        "SELECT count(*) FROM conversations WHERE account_id = '{ACCOUNT}'"
    ))[0]
        .parse()
        .unwrap()
}

/// Runs a client program, panicking with its output if it fails.
pub fn run_client(what: &str, cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Parses a client program's JSON output.
pub fn json_of(what: &str, out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{what} did not print JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A real PostgreSQL 15 (Debian's `postgresql` package) in a temporary data
/// directory, run as the `postgres` user, stopped and removed when dropped.
pub struct Postgres {
    child: Child,
    dir: tempfile::TempDir,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's "fast shutdown".
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The directory holding Debian's PostgreSQL 15 server programs.
pub fn postgres_bin() -> PathBuf {
    let dir = PathBuf::from("/usr/lib/postgresql/15/bin");
    assert!(
        dir.join("postgres").exists(),
        "PostgreSQL 15 server is not installed (apt-get install postgresql); scripts/test installs it"
    );
    dir
}

fn as_postgres(program: &Path) -> Command {
    let mut cmd = if nix_is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.env_remove("PGDATA");
    cmd
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// initdb into a fresh temporary directory and start the server on a free port
    /// with trust authentication on 127.0.0.1 only.
    pub fn start() -> Postgres {
        let bin = postgres_bin();
        let dir = tempfile::Builder::new()
            .prefix("conversql-pg-")
            .tempdir()
            .unwrap();
        let data = dir.path().join("data");
        if nix_is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(
                status.success(),
                "chown the PostgreSQL temp dir to postgres"
            );
        }
        let out = as_postgres(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--lc-ctype=C.UTF-8",
                "--no-sync",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let mut child = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                &format!("port={port}"),
            ])
            .args([
                "-c",
                &format!("unix_socket_directories={}", dir.path().display()),
                "-c",
                "fsync=off",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        wait_for_port(port, "PostgreSQL 15", &mut child);
        // Accepting TCP is not yet accepting queries: wait for a successful connection.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                break;
            }
            assert!(Instant::now() < deadline, "PostgreSQL did not become ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        Postgres { child, dir, port }
    }

    /// A libpq-style connection string for `dbname` as the superuser.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user=postgres dbname={dbname}",
            self.port
        )
    }
}

/// A moto S3 server (`moto_server` from PyPI, tests/requirements.txt) on a
/// free loopback port, with the given buckets; killed when dropped.
pub struct Moto {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts the server and creates `buckets` (through boto3).
    pub fn start(buckets: &[&str]) -> Moto {
        let port = free_port();
        let mut child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server is not installed (pip install -r tests/requirements.txt; scripts/test does)");
        wait_for_port(port, "moto_server", &mut child);
        let moto = Moto { child, port };
        for bucket in buckets {
            moto.boto3(&format!("s3.create_bucket(Bucket='{bucket}')"));
        }
        moto
    }

    /// The endpoint URL.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a conversql process reaches the server with.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "k".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "s".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ALLOW_HTTP", "true".to_string()),
        ]
    }

    /// The options an in-process object store reaches the server with.
    pub fn s3_options(&self) -> conversql::s3::S3Options {
        conversql::s3::S3Options {
            endpoint: Some(self.endpoint()),
            region: Some("us-east-1".into()),
            access_key_id: Some("k".into()),
            secret_access_key: Some("s".into()),
            ..Default::default()
        }
    }

    /// Runs a boto3 snippet against the server (`s3` is the client); its standard output.
    pub fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3\ns3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='k', \
             aws_secret_access_key='s', region_name='us-east-1')\n{code}",
            self.endpoint()
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
