//! The engine: one place that builds everything a session needs (object
//! store, contract tables, UDFs, table functions, Postgres catalog, views,
//! settings). The server, the CLI, the tests and later a distributed runner
//! all start from [`Engine::open`] and take [`Session`]s from it.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::{MemorySchemaProvider, SchemaProvider, TableProvider};
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::setup_pg_catalog;

use crate::contract::TABLES;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::facts::{FactStore, StoreInputs, StoreSchemas, StoredKind, StoredTable};
use crate::log_table::LogTable;
use crate::scope::AccountScope;
use crate::session::Session;
use crate::spill::SpillDir;
use crate::stop::StopCheckRule;
use crate::table_functions::{OverviewFunction, OverviewKind};
use crate::views::{builtin_views, load_views, views_from_dir};

/// The result schema of a query, planned but not run.
async fn planned_schema(ctx: &SessionContext, sql: &str) -> Result<SchemaRef> {
    Ok(Arc::new(ctx.sql(sql).await?.schema().as_arrow().clone()))
}

/// The database (catalog) name clients see.
pub const DATABASE: &str = "conversql";
/// The schema of the views.
pub const PUBLIC_SCHEMA: &str = "public";
/// The schema of the file-backed contract tables, as written (not de-duplicated).
pub const RAW_SCHEMA: &str = "raw";
/// The schema of the tables under `messages` and `conversation_facts` (the fact store, or the raw path).
pub const MATERIALIZED_SCHEMA: &str = "materialized";
/// The built-in views that `conversation_facts`' raw path reads, created before it.
const FACTS_INPUT_VIEWS: [&str; 3] = ["accounts", "profiles", "messages"];

/// How to open an engine.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The dataset root URL or path.
    pub data: String,
    /// A directory of extra `.sql` view files, loaded after the built-in ones.
    pub views_dir: Option<PathBuf>,
    /// The default instant T of every session (µs since the epoch, UTC); the current time if `None`.
    pub as_of: Option<i64>,
    /// The memory one query may use (bytes); above it operators spill to disk or the query fails
    /// with SQLSTATE 53200. `None`: no limit.
    pub memory_limit: Option<usize>,
    /// Leave files that fail the contract check out of every query (listed in
    /// `data_quality`) instead of failing the query; sessions may change it
    /// with `SET conversql.skip_bad_files`.
    pub skip_bad_files: bool,
    /// How `s3://` roots are reached (endpoint, credentials, retries, timeouts).
    pub s3: crate::s3::S3Options,
    /// The runs file of scheduled reports behind the `report_runs` view; `None`: the view is empty.
    pub report_runs: Option<PathBuf>,
    /// The fact store's directory (materialised conversation facts, see [`crate::facts`]);
    /// `None`: every query computes the facts from the raw log.
    pub facts_dir: Option<PathBuf>,
    /// Where queries over the memory limit spill (this process's own directory under it,
    /// see [`crate::spill`]); `None`: DataFusion's default, under the system temp dir.
    pub spill_dir: Option<PathBuf>,
}

/// Everything shared by all sessions: the catalog with its tables and views, the functions, the settings.
#[derive(Clone)]
pub struct Engine {
    state: SessionState,
    dataset: Dataset,
    memory_limit: Option<usize>,
    facts: Option<Arc<FactStore>>,
    spill: Option<Arc<SpillDir>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("dataset", &self.dataset.root)
            .finish()
    }
}

impl Engine {
    /// Opens the dataset at `options.data` and builds the engine.
    pub async fn open(options: EngineOptions) -> Result<Engine> {
        let dataset = Dataset::open_with(&options.data, &options.s3)?;
        Self::open_dataset(dataset, options).await
    }

    /// Builds the engine over an already resolved dataset (e.g. an in-memory store).
    pub async fn open_dataset(dataset: Dataset, options: EngineOptions) -> Result<Engine> {
        dataset.check_layout().await?;
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema(DATABASE, PUBLIC_SCHEMA)
            .with_information_schema(false)
            .set_bool(
                "datafusion.execution.parquet.schema_force_view_types",
                false,
            )
            .set_str("datafusion.execution.time_zone", "UTC");
        conversql_udfs::ConversqlOptions::of_mut(&mut config).skip_bad_files =
            conversql_udfs::OnOff(options.skip_bad_files);
        if let Some(as_of) = options.as_of {
            conversql_udfs::set_as_of(&mut config, Some(as_of));
        }
        let spill = options
            .spill_dir
            .as_deref()
            .map(SpillDir::open)
            .transpose()?
            .map(Arc::new);
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(spill) = &spill {
            runtime = runtime.with_disk_manager_builder(DiskManagerBuilder::default().with_mode(
                DiskManagerMode::Directories(vec![spill.path().to_path_buf()]),
            ));
        }
        let runtime = runtime.build_arc()?;
        runtime.register_object_store(dataset.store_url.as_ref(), dataset.store.clone());
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(StopCheckRule))
            .build();
        let ctx = SessionContext::new_with_state(state);

        let raw = MemorySchemaProvider::new();
        let mut log_tables = vec![];
        for table in TABLES {
            let log_table = Arc::new(LogTable::new(dataset.clone(), table));
            raw.register_table(table.name.to_string(), log_table.clone())?;
            log_tables.push(log_table);
        }
        let catalog = ctx
            .catalog(DATABASE)
            .ok_or_else(|| Error::config(format!("catalog {DATABASE} missing")))?;
        catalog.register_schema(RAW_SCHEMA, Arc::new(raw))?;
        let log_table = |name: &str| {
            log_tables
                .iter()
                .find(|t| t.name() == name)
                .cloned()
                .expect("every contract table is registered")
        };
        let facts = match &options.facts_dir {
            Some(dir) => Some(Arc::new(FactStore::open(
                dir,
                // The dataset's identity however it was spelt (`data`, `./data`, `/abs/data`).
                &format!("{}{}", dataset.store_url.as_str(), dataset.prefix),
                StoreInputs {
                    messages: log_table("messages"),
                    profiles: log_table("profiles"),
                    accounts: log_table("accounts"),
                    events: log_table("events"),
                },
            )?)),
            None => None,
        };
        let materialized = Arc::new(MemorySchemaProvider::new());
        catalog.register_schema(MATERIALIZED_SCHEMA, materialized.clone())?;

        conversql_udfs::register_all(&ctx);
        for kind in [OverviewKind::Totals, OverviewKind::Daily] {
            let function = OverviewFunction::new(kind);
            ctx.register_udtf(function.name(), Arc::new(function));
        }
        ctx.register_udtf(
            crate::data_quality::FUNCTION,
            Arc::new(crate::data_quality::DataQualityFunction::new(
                log_tables.clone(),
            )),
        );
        ctx.register_udtf(
            crate::report::history::FUNCTION,
            Arc::new(crate::report::history::ReportRunsFunction::new(
                options.report_runs.clone(),
            )),
        );
        setup_pg_catalog(&ctx, DATABASE, EmptyContextProvider)
            .map_err(|e| Error::DataFusion(*e))?;
        crate::catalog::register(&ctx, options.views_dir.as_deref())?;
        crate::catalog::driver_compat::register(&ctx, DATABASE)?;

        // messages and conversation_facts read materialized.*, whose schemas are those of the raw path.
        let messages_schema = planned_schema(&ctx, crate::facts::table::MESSAGES_FROM_LOG).await?;
        materialized.register_table(
            "messages".into(),
            Arc::new(StoredTable::new(
                StoredKind::Messages,
                messages_schema.clone(),
                facts.clone(),
            )),
        )?;
        let events_schema = planned_schema(&ctx, crate::facts::table::EVENTS_FROM_LOG).await?;
        materialized.register_table(
            "events".into(),
            Arc::new(StoredTable::new(
                StoredKind::Events,
                events_schema.clone(),
                facts.clone(),
            )),
        )?;
        let (first, rest): (Vec<_>, Vec<_>) = builtin_views().into_iter().partition(|v| {
            FACTS_INPUT_VIEWS
                .iter()
                .any(|name| v.file == format!("sql/{name}.sql"))
        });
        load_views(&ctx, first).await?;
        let facts_schema = planned_schema(&ctx, crate::facts::table::FACTS_FROM_LOG).await?;
        materialized.register_table(
            "conversation_facts".into(),
            Arc::new(StoredTable::new(
                StoredKind::Facts,
                facts_schema.clone(),
                facts.clone(),
            )),
        )?;
        load_views(&ctx, rest).await?;
        if let Some(dir) = &options.views_dir {
            load_views(&ctx, views_from_dir(dir)?).await?;
        }
        if let Some(store) = &facts {
            let raw_messages = log_table("messages").schema();
            let raw_profiles = log_table("profiles").schema();
            let raw_events = log_table("events").schema();
            let file_schema = |raw: &SchemaRef, view: &SchemaRef| -> Result<SchemaRef> {
                let mut names: Vec<&str> =
                    view.fields().iter().map(|f| f.name().as_str()).collect();
                names.push(crate::contract::SOURCE_FILE_COLUMN);
                let indices = names
                    .iter()
                    .map(|n| raw.index_of(n))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok(Arc::new(raw.project(&indices)?))
            };
            let profiles_schema = planned_schema(&ctx, "SELECT * FROM profiles").await?;
            let schemas = StoreSchemas {
                message_file: file_schema(&raw_messages, &messages_schema)?,
                messages: messages_schema,
                facts: facts_schema,
                profile_file: file_schema(&raw_profiles, &profiles_schema)?,
                profiles: profiles_schema,
                accounts: planned_schema(&ctx, "SELECT * FROM accounts").await?,
                event_file: file_schema(&raw_events, &events_schema)?,
                events: events_schema,
            };
            store.prepare(ctx.state(), schemas);
        }
        Ok(Engine {
            state: ctx.state(),
            dataset,
            memory_limit: options.memory_limit,
            facts,
            spill,
        })
    }

    /// A new session with its own settings (`SET conversql.as_of`, …), seeing every account.
    pub fn session(&self) -> Session {
        self.session_with(None)
            .expect("a session without a scope always builds")
    }

    /// A new session limited to `accounts` when given (per-user isolation), with its own memory pool.
    pub fn session_with(&self, accounts: Option<AccountScope>) -> Result<Session> {
        let mut builder = SessionStateBuilder::new_from_existing(self.state.clone());
        if let Some(limit) = self.memory_limit {
            let pool = TrackConsumersPool::new(
                FairSpillPool::new(limit),
                NonZeroUsize::new(3).expect("3 > 0"),
            );
            let runtime = RuntimeEnvBuilder::from_runtime_env(self.state.runtime_env())
                .with_memory_pool(Arc::new(pool))
                .build_arc()?;
            builder = builder.with_runtime_env(runtime);
        }
        if let Some(scope) = accounts {
            let config = self.state.config().clone().with_extension(Arc::new(scope));
            builder = builder.with_config(config);
        }
        let ctx = SessionContext::new_with_state(builder.build());
        crate::bounded_values::register(&ctx, ctx.runtime_env().memory_pool.clone());
        Ok(Session::new(ctx))
    }

    /// The fact store, when the engine keeps one.
    pub fn fact_store(&self) -> Option<&Arc<FactStore>> {
        self.facts.as_ref()
    }

    /// This process's spill directory, when the engine has one.
    pub fn spill_dir(&self) -> Option<&Arc<SpillDir>> {
        self.spill.as_ref()
    }

    /// The dataset the engine reads.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The names of the views in the public schema, sorted.
    pub fn view_names(&self) -> Vec<String> {
        let mut names = self
            .state
            .catalog_list()
            .catalog(DATABASE)
            .and_then(|c| c.schema(PUBLIC_SCHEMA))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }
}
