//! The command line: `serve`, `query`, `generate`.

pub mod report;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::{Engine, EngineOptions};
use crate::error::{Error, Result};
use crate::facts::FactsPlacement;
use crate::output::{OutputFormat, write_batches};
use crate::report::config::ReportsFile;
use crate::report::scheduler;
use crate::server::ServerOptions;
use crate::server::tls::Tls;
use crate::server::users::{Users, add_user};
use crate::session::StatementResult;
pub use report::ReportCommand;

/// conversql: Customer Agent analytics over Parquet logs, served as Postgres.
#[derive(Debug, Parser)]
#[command(name = "conversql", version, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SQL surface over the Postgres wire protocol.
    Serve(ServeArgs),
    /// Run SQL once and print the result.
    Query(QueryArgs),
    /// Write a deterministic sample dataset in the contract's layout.
    Generate(GenerateArgs),
    /// List every file and row of a dataset that the numbers do not include (the data_quality view);
    /// exits with 1 when there is any.
    Check(CheckArgs),
    /// Manage the users file (SCRAM-SHA-256 verifiers, per-user accounts).
    #[command(subcommand)]
    User(UserCommand),
    /// Scheduled SQL reports: list a reports file, run a report or ad-hoc SQL, show the run history.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run plan fragments for coordinators (`serve --workers`, `query --workers`): a cluster worker.
    Worker(WorkerArgs),
}

/// `conversql user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (or with --replace change one). The password is read from the first line of
    /// standard input, or from CONVERSQL_PASSWORD; the file keeps only a salted SCRAM verifier.
    Add(UserAddArgs),
}

/// `conversql user add`
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The users file to create or update.
    #[arg(long)]
    pub users: PathBuf,
    /// Limit the user to these account_ids (comma-separated); without it the user sees every account.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Option<Vec<String>>,
    /// The user's role: reader (the default) reads; writer also defines views (CREATE VIEW, …).
    #[arg(long, value_enum, default_value_t = crate::server::users::Role::Reader)]
    pub role: crate::server::users::Role,
    /// Replace an existing user of that name.
    #[arg(long)]
    pub replace: bool,
    /// The login name.
    pub name: String,
}

/// Where the data is and how it is judged; shared by `serve` and `query`.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The dataset root: a path, file://…, s3://bucket/prefix (AWS_* variables) or memory://.
    /// Defaults to the bundled sample in data/.
    #[arg(long, env = "CONVERSQL_DATA")]
    pub data: Option<String>,
    /// The instant T every conversation is judged as of (e.g. 2026-06-07T12:00:00Z); the current time if unset.
    #[arg(long)]
    pub as_of: Option<String>,
    /// The views location: where views defined with CREATE VIEW are kept, one NAME.sql file each
    /// (a directory, file://, s3://bucket/prefix); hand-written files there are read too.
    /// Default: <data>/_conversql/views.
    #[arg(long, env = "CONVERSQL_VIEWS")]
    pub views: Option<String>,
    /// Leave files that fail the contract check (unreadable, wrong column types, NULLs in NOT NULL
    /// columns) out of every query and list them in data_quality, instead of failing the query.
    #[arg(long)]
    pub skip_bad_files: bool,
    /// How s3:// locations are reached.
    #[command(flatten)]
    pub s3: S3Args,
    /// The state directory holding the report run history (report_runs.jsonl, the `report_runs` view).
    /// Default: $XDG_STATE_HOME/conversql, else ~/.local/state/conversql.
    #[arg(long, env = "CONVERSQL_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where the fact store is kept (conversation facts materialised as Parquet, kept up to
    /// date as log files arrive): a path, file://, s3://bucket/prefix or memory://. Default:
    /// <root>/_conversql/facts beside the data, in the dataset's own store (s3:// included);
    /// where that refuses writes, a local cache folder named at start-up.
    #[arg(long, env = "CONVERSQL_FACTS", conflicts_with = "facts_dir")]
    pub facts: Option<String>,
    /// The fact store in a local folder (the same as --facts DIR).
    #[arg(long, env = "CONVERSQL_FACTS_DIR")]
    pub facts_dir: Option<PathBuf>,
    /// Compute every query straight from the raw log, without the fact store.
    #[arg(long, conflicts_with_all = ["facts", "facts_dir"])]
    pub no_facts: bool,
}

/// `conversql serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data options.
    #[command(flatten)]
    pub data: DataArgs,
    /// The address to listen on. Without --users only loopback addresses are allowed.
    #[arg(long, default_value = "127.0.0.1:5433")]
    pub listen: String,
    /// The users file (see `conversql user add`); with it every connection authenticates with SCRAM-SHA-256.
    #[arg(long, env = "CONVERSQL_USERS")]
    pub users: Option<PathBuf>,
    /// PEM certificate chain for TLS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Refuse connections that do not use TLS.
    #[arg(long)]
    pub require_tls: bool,
    /// The most connections served at once; more are refused with SQLSTATE 53300.
    #[arg(long, default_value_t = 100)]
    pub max_connections: usize,
    /// Memory per query (e.g. 512MB, 4GB); above it a query spills to disk or fails with SQLSTATE 53200.
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// statement_timeout of every session and its ceiling (e.g. 30s, 5min; 0 = none): sessions may lower it, not raise or disable it.
    #[arg(long)]
    pub statement_timeout: Option<String>,
    /// A reports file (TOML) whose reports run on their schedules inside the server.
    #[arg(long, env = "CONVERSQL_REPORTS")]
    pub reports: Option<PathBuf>,
    /// Where queries over --memory-limit spill to disk: the server uses its own directory under it,
    /// removed at shutdown (SIGTERM, SIGINT) and, after a crash, at the next start-up.
    /// Default: conversql-spill under the system temp dir.
    #[arg(long, env = "CONVERSQL_SPILL_DIR")]
    pub spill_dir: Option<PathBuf>,
    /// The cluster to run on.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

impl ServeArgs {
    /// The server options these arguments describe (loads the users file and the TLS files).
    pub fn server_options(&self) -> Result<ServerOptions> {
        let users = match &self.users {
            Some(path) => Some(Users::load(path)?),
            None => None,
        };
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(Tls::load(cert, key)?),
            _ => None,
        };
        Ok(ServerOptions {
            users,
            tls,
            require_tls: self.require_tls,
            max_connections: self.max_connections,
            statement_timeout: self.statement_timeout.clone(),
        })
    }
}

/// Parses a byte size such as `512MB`, `4GB`, `1.5GiB` or `1048576`.
pub fn parse_bytes(text: &str) -> Result<usize> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let invalid =
        || Error::InvalidSetting(format!("invalid size '{text}' (expected e.g. 512MB, 4GB)"));
    let value: f64 = number.parse().map_err(|_| invalid())?;
    let scale: f64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "KB" | "KIB" | "K" => 1024.0,
        "MB" | "MIB" | "M" => 1024.0 * 1024.0,
        "GB" | "GIB" | "G" => 1024.0 * 1024.0 * 1024.0,
        "TB" | "TIB" | "T" => 1024.0f64.powi(4),
        _ => return Err(invalid()),
    };
    let bytes = value * scale;
    if !(1.0..=usize::MAX as f64).contains(&bytes) {
        return Err(invalid());
    }
    Ok(bytes as usize)
}

/// How `s3://` locations are reached; shared by `serve`, `query`, `check` and `worker`.
#[derive(Debug, Args)]
pub struct S3Args {
    /// S3-compatible endpoint URL for s3:// roots (e.g. http://127.0.0.1:9000).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub s3_endpoint: Option<String>,
    /// S3 region (default us-east-1).
    #[arg(long, env = "AWS_REGION")]
    pub s3_region: Option<String>,
    /// S3 access key id (prefer the AWS_ACCESS_KEY_ID variable).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,
    /// S3 secret access key (prefer the AWS_SECRET_ACCESS_KEY variable: flags show in `ps`).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,
    /// How many times a failed S3 request is retried, with exponential back-off.
    #[arg(long, default_value_t = 3)]
    pub s3_retries: usize,
    /// Time limit of one S3 request, and of all retries of it (e.g. 30s, 2min).
    #[arg(long, default_value = "30s")]
    pub s3_timeout: String,
    /// Time limit of connecting to the S3 endpoint.
    #[arg(long, default_value = "5s")]
    pub s3_connect_timeout: String,
}

impl S3Args {
    /// The S3 client settings these arguments describe.
    pub fn options(&self) -> Result<crate::s3::S3Options> {
        let duration = |flag: &str, text: &str| -> Result<std::time::Duration> {
            match crate::pg_duration::parse_millis(text) {
                Ok(Some(d)) => Ok(d),
                Ok(None) | Err(_) => Err(Error::InvalidSetting(format!(
                    "invalid {flag} '{text}' (expected a positive duration such as '30s' or '500ms')"
                ))),
            }
        };
        let timeout = duration("--s3-timeout", &self.s3_timeout)?;
        Ok(crate::s3::S3Options {
            endpoint: self.s3_endpoint.clone(),
            region: self.s3_region.clone(),
            access_key_id: self.s3_access_key_id.clone(),
            secret_access_key: self.s3_secret_access_key.clone(),
            max_retries: self.s3_retries,
            retry_timeout: timeout,
            request_timeout: timeout,
            connect_timeout: duration("--s3-connect-timeout", &self.s3_connect_timeout)?,
        })
    }
}

/// The cluster a coordinator distributes queries over; shared by `serve` and `query`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Distribute queries over these `conversql worker` processes
    /// (http://host:port, comma-separated); without it every query runs in this process.
    #[arg(long)]
    pub workers: Option<String>,
    /// The secret shared with the workers (prefer the CONVERSQL_CLUSTER_SECRET variable:
    /// flags show in `ps`); at least 16 printable characters.
    #[arg(long, env = "CONVERSQL_CLUSTER_SECRET", hide_env_values = true)]
    pub cluster_secret: Option<String>,
    /// The Parquet one task of a scan reads (default 256MB); a scan of more is spread over
    /// several workers, a smaller one stays on this server.
    #[arg(long, requires = "workers")]
    pub scan_bytes_per_task: Option<String>,
}

impl ClusterArgs {
    /// The secret, checked.
    pub fn secret(&self) -> Result<Option<crate::cluster::auth::ClusterSecret>> {
        crate::cluster::auth::ClusterSecret::from_setting(self.cluster_secret.as_deref())
    }

    /// The cluster of `--workers`, its workers checked once (a worker that is
    /// down is reported and checked again in the background); `None` without it.
    pub async fn cluster(
        &self,
    ) -> Result<Option<std::sync::Arc<crate::cluster::coordinator::Cluster>>> {
        let Some(workers) = &self.workers else {
            return Ok(None);
        };
        let options = crate::cluster::coordinator::ClusterOptions {
            workers: crate::cluster::coordinator::parse_workers(workers)?,
            secret: self.secret()?,
            scan_bytes_per_task: self
                .scan_bytes_per_task
                .as_deref()
                .map(parse_bytes)
                .transpose()?,
        };
        let cluster = crate::cluster::coordinator::Cluster::new(&options);
        cluster.watch().await;
        Ok(Some(cluster))
    }
}

/// `conversql worker`
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The address to listen on. Beyond loopback the cluster secret is required.
    #[arg(long, default_value = "127.0.0.1:7001")]
    pub listen: String,
    /// How s3:// locations named by plans are reached.
    #[command(flatten)]
    pub s3: S3Args,
    /// The secret coordinators must send (prefer the CONVERSQL_CLUSTER_SECRET variable).
    #[arg(long, env = "CONVERSQL_CLUSTER_SECRET", hide_env_values = true)]
    pub cluster_secret: Option<String>,
    /// Memory for all the worker's tasks together (e.g. 4GB); above it operators spill or the task fails.
    #[arg(long)]
    pub memory_limit: Option<String>,
}

/// `conversql query`
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Data options.
    #[command(flatten)]
    pub data: DataArgs,
    /// The cluster to run on.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// The SQL to run (several statements separated by `;` are run in order).
    pub sql: String,
}

/// `conversql check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Data options.
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
}

/// `conversql generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The dataset root to write (must not hold data yet).
    #[arg(long)]
    pub out: PathBuf,
    /// Random seed; the same options give byte-identical files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Scale factor: about SF million conversations (about 10 message rows each, with their
    /// events), 100 accounts, 90 days, 4 files per day written in parallel. Fractions such
    /// as 0.1 are allowed. Without it the small bundled sample is written.
    #[arg(long, value_parser = parse_scale, allow_hyphen_values = true)]
    pub scale: Option<f64>,
    /// Number of conversations (default 2000, or SF million with --scale).
    #[arg(long)]
    pub conversations: Option<usize>,
    /// Number of accounts (default 3, or 100 with --scale).
    #[arg(long)]
    pub accounts: Option<usize>,
    /// Number of days, ending at --end-date (default 30, or 90 with --scale).
    #[arg(long)]
    pub days: Option<u32>,
    /// The last day of data (YYYY-MM-DD).
    #[arg(long, default_value = "2026-06-07")]
    pub end_date: chrono::NaiveDate,
}

/// Parses `--scale`: a positive number such as 0.1, 1 or 10.
fn parse_scale(text: &str) -> std::result::Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 50.0 => Ok(v),
        _ => Err(format!(
            "invalid --scale '{text}': expected a positive scale factor up to 50 (e.g. 0.1, 1, 10)"
        )),
    }
}

impl GenerateArgs {
    /// The generator options these arguments describe.
    pub fn options(&self) -> Result<conversql_datagen::GenerateOptions> {
        let mut options = match self.scale {
            Some(factor) => conversql_datagen::GenerateOptions::scaled(self.out.clone(), factor)
                .map_err(|e| Error::InvalidSetting(e.to_string()))?,
            None => conversql_datagen::GenerateOptions {
                out: self.out.clone(),
                ..Default::default()
            },
        };
        options.seed = self.seed;
        options.end_date = self.end_date;
        if let Some(n) = self.conversations {
            options.conversations = n;
        }
        if let Some(n) = self.accounts {
            options.accounts = n;
        }
        if let Some(n) = self.days {
            options.days = n;
        }
        Ok(options)
    }
}

/// The bundled sample dataset: `data/` of the working directory, else of the source tree.
pub fn default_data_root() -> String {
    if std::path::Path::new("data/accounts").is_dir() {
        "data".to_string()
    } else {
        format!("{}/data", env!("CARGO_MANIFEST_DIR"))
    }
}

impl DataArgs {
    /// The engine options these arguments describe.
    pub fn engine_options(&self) -> Result<EngineOptions> {
        let as_of = match &self.as_of {
            Some(text) => Some(conversql_udfs::parse_instant(text).map_err(|_| {
                Error::InvalidSetting(format!(
                    "invalid --as-of '{text}' (expected an instant such as '2026-06-07T12:00:00Z')"
                ))
            })?),
            None => None,
        };
        let s3 = self.s3.options()?;
        let data = self.data.clone().unwrap_or_else(default_data_root);
        let facts = match (&self.facts, &self.facts_dir) {
            _ if self.no_facts => FactsPlacement::Off,
            (Some(location), _) => FactsPlacement::At(location.clone()),
            (None, Some(dir)) => FactsPlacement::At(dir.display().to_string()),
            (None, None) => FactsPlacement::BesideData,
        };
        Ok(EngineOptions {
            facts,
            data,
            views: self.views.clone(),
            as_of,
            memory_limit: None,
            skip_bad_files: self.skip_bad_files,
            s3,
            report_runs: Some(self.history().path().to_path_buf()),
            spill_dir: None,
            cluster: None,
        })
    }

    /// The state directory (`--state-dir`, else the default).
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir
            .clone()
            .unwrap_or_else(crate::report::default_state_dir)
    }

    /// The report run history of the state directory.
    pub fn history(&self) -> crate::run_history::History {
        crate::run_history::History::in_dir(&self.state_dir())
    }
}

/// On SIGTERM or SIGINT: removes the server's spill files, then exits
/// (SIGTERM's default action would leave them behind).
fn remove_spill_files_on_shutdown(engine: &Engine) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let Some(spill) = engine.spill_dir().cloned() else {
        return Ok(());
    };
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|e| Error::config(format!("cannot watch SIGTERM: {e}")))?;
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|e| Error::config(format!("cannot watch SIGINT: {e}")))?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = terminate.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        };
        spill.remove();
        eprintln!("conversql: {name}: spill files removed, shutting down");
        std::process::exit(0);
    });
    Ok(())
}

/// `conversql worker`: checks the options, binds, then serves plan fragments until stopped.
async fn run_worker(args: &WorkerArgs) -> Result<()> {
    let listen = crate::server::parse_listen(&args.listen)?;
    let secret = crate::cluster::auth::ClusterSecret::from_setting(args.cluster_secret.as_deref())?;
    crate::cluster::worker::check_listen(&listen, secret.as_ref())?;
    let options = crate::cluster::worker::WorkerOptions {
        secret: secret.clone(),
        s3: args.s3.options()?,
        memory_limit: args.memory_limit.as_deref().map(parse_bytes).transpose()?,
    };
    let worker = crate::cluster::worker::ClusterWorker::new(&options, None)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::config(format!("the worker cannot listen on {listen}: {e}")))?;
    eprintln!(
        "{} listening on {} for coordinators ({})",
        crate::cluster::worker_version(),
        listener.local_addr().map_or(listen, |a| a),
        if secret.is_some() {
            "cluster secret required"
        } else {
            "loopback, no secret"
        }
    );
    worker.serve(listener, secret).await
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let listen = crate::server::parse_listen(&args.listen)?;
            let server_options = args.server_options()?;
            server_options.check(&listen)?;
            let mut engine_options = args.data.engine_options()?;
            engine_options.memory_limit =
                args.memory_limit.as_deref().map(parse_bytes).transpose()?;
            engine_options.spill_dir = Some(
                args.spill_dir
                    .clone()
                    .unwrap_or_else(crate::spill::default_spill_dir),
            );
            engine_options.cluster = args.cluster.cluster().await?;
            let engine = Engine::open(engine_options).await?;
            remove_spill_files_on_shutdown(&engine)?;
            if let Some(path) = &args.reports {
                let mut file = ReportsFile::load(path)?;
                file.check_sql(&engine).await;
                let history = args.data.history();
                scheduler::record_rejected(&file, &history);
                eprintln!(
                    "conversql running {} report(s) of {} ({} rejected); history in {}",
                    file.reports.len(),
                    path.display(),
                    file.rejected.len(),
                    history.path().display()
                );
                scheduler::start(engine.clone(), history, file.reports);
            }
            eprintln!(
                "conversql serving {} on {listen} ({} views); connect with: psql -h {} -p {}",
                engine.dataset().root,
                engine.view_names().len(),
                listen.ip(),
                listen.port()
            );
            crate::server::serve(engine, listen, server_options).await
        }
        Command::Query(args) => {
            let mut engine_options = args.data.engine_options()?;
            engine_options.cluster = args.cluster.cluster().await?;
            let engine = Engine::open(engine_options).await?;
            let mut session = engine.session();
            let mut stdout = std::io::stdout().lock();
            for result in session.sql(&args.sql).await? {
                if let StatementResult::Rows(df) = result {
                    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
                    let batches = df.collect().await?;
                    write_batches(&mut stdout, &schema, &batches, args.format)?;
                }
            }
            Ok(())
        }
        Command::Check(args) => {
            let engine = Engine::open(args.data.engine_options()?).await?;
            let mut session = engine.session();
            let df = session
                .query("SELECT table_name, rule, source_file, account_id, row_id, detail FROM data_quality ORDER BY table_name, rule, source_file, row_id")
                .await?;
            let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
            let batches = df.collect().await?;
            let problems: usize = batches
                .iter()
                .map(arrow::array::RecordBatch::num_rows)
                .sum();
            write_batches(
                &mut std::io::stdout().lock(),
                &schema,
                &batches,
                args.format,
            )?;
            if problems > 0 {
                return Err(Error::config(format!(
                    "{problems} file(s) or row(s) of {} are not in the numbers (listed above)",
                    engine.dataset().root
                )));
            }
            eprintln!(
                "{}: every file and row is in the numbers",
                engine.dataset().root
            );
            Ok(())
        }
        Command::User(UserCommand::Add(args)) => {
            let password = if let Ok(p) = std::env::var("CONVERSQL_PASSWORD") {
                p
            } else {
                eprintln!("password for {} (one line on standard input):", args.name);
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| Error::Io {
                        path: "standard input".into(),
                        source: e,
                    })?;
                line.trim_end_matches(['\r', '\n']).to_string()
            };
            add_user(
                &args.users,
                &args.name,
                &password,
                args.accounts.clone(),
                args.role,
                args.replace,
            )?;
            eprintln!("user {} written to {}", args.name, args.users.display());
            Ok(())
        }
        Command::Report(command) => crate::cli::report::run(command).await,
        Command::Worker(args) => run_worker(&args).await,
        Command::Generate(args) => {
            let options = args.options()?;
            let started = std::time::Instant::now();
            let summary =
                conversql_datagen::generate(&options).map_err(|e| Error::config(e.to_string()))?;
            eprintln!(
                "wrote {} files ({} bytes) to {} in {:.1} s: {} accounts, {} profiles, {} conversations, {} message rows, {} events",
                summary.files,
                summary.bytes,
                args.out.display(),
                started.elapsed().as_secs_f64(),
                summary.accounts,
                summary.profiles,
                summary.conversations,
                summary.messages,
                summary.events
            );
            Ok(())
        }
    }
}
