//! The command line: `serve`, `query`, `generate`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::{Engine, EngineOptions};
use crate::error::{Error, Result};
use crate::output::{OutputFormat, write_batches};
use crate::session::StatementResult;

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
    /// A directory of extra view definitions (*.sql, one CREATE VIEW each), loaded after the built-in views.
    #[arg(long)]
    pub views: Option<PathBuf>,
}

/// `conversql serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Data options.
    #[command(flatten)]
    pub data: DataArgs,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:5433")]
    pub listen: String,
}

/// `conversql query`
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Data options.
    #[command(flatten)]
    pub data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,
    /// The SQL to run (several statements separated by `;` are run in order).
    pub sql: String,
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
    /// Number of conversations.
    #[arg(long, default_value_t = 2000)]
    pub conversations: usize,
    /// Number of accounts.
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,
    /// Number of days, ending at --end-date.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// The last day of data (YYYY-MM-DD).
    #[arg(long, default_value = "2026-06-07")]
    pub end_date: chrono::NaiveDate,
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
        Ok(EngineOptions {
            data: self.data.clone().unwrap_or_else(default_data_root),
            views_dir: self.views.clone(),
            as_of,
        })
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let listen = crate::server::parse_listen(&args.listen)?;
            let engine = Engine::open(args.data.engine_options()?).await?;
            eprintln!(
                "conversql serving {} on {listen} ({} views); connect with: psql -h {} -p {}",
                engine.dataset().root,
                engine.view_names().len(),
                listen.ip(),
                listen.port()
            );
            crate::server::serve(engine, listen).await
        }
        Command::Query(args) => {
            let engine = Engine::open(args.data.engine_options()?).await?;
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
        Command::Generate(args) => {
            let options = crate::generate::GenerateOptions {
                out: args.out.clone(),
                seed: args.seed,
                conversations: args.conversations,
                accounts: args.accounts,
                days: args.days,
                end_date: args.end_date,
            };
            let summary = crate::generate::generate(&options).map_err(|e| Error::config(e.to_string()))?;
            eprintln!(
                "wrote {} files ({} bytes) to {}: {} accounts, {} profiles, {} conversations, {} message rows, {} events",
                summary.files,
                summary.bytes,
                args.out.display(),
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
