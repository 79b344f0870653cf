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
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_pg_catalog::pg_catalog::context::EmptyContextProvider;
use datafusion_pg_catalog::pg_catalog::setup_pg_catalog;

use crate::cluster::coordinator::Cluster;
use crate::contract::TABLES;
use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::facts::{FactStore, FactsPlacement, StoreInputs, StoreSchemas, StoredKind, StoredTable};
use crate::log_table::LogTable;
use crate::names::{DATABASE, MATERIALIZED_SCHEMA, PUBLIC_SCHEMA, RAW_SCHEMA};
use crate::scope::AccountScope;
use crate::session::Session;
use crate::spill::SpillDir;
use crate::stop::StopCheckRule;
use crate::table_functions::{OverviewFunction, OverviewKind};
use crate::user_views::UserViews;
use crate::user_views::store::ViewStore;
use crate::views::{Definition, ViewSource, builtin_views};

/// How to open an engine.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// The dataset root URL or path.
    pub data: String,
    /// The views location (path, `file://`, `s3://`, `memory://`) where views
    /// defined from SQL are kept (see [`crate::user_views`]); `None`: `<root>/_conversql/views`.
    pub views: Option<String>,
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
    /// Where the fact store is kept (materialised conversation facts, see [`crate::facts`]);
    /// [`FactsPlacement::Off`]: every query computes the facts from the raw log.
    pub facts: FactsPlacement,
    /// Where queries over the memory limit spill (this process's own directory under it,
    /// see [`crate::spill`]); `None`: DataFusion's default, under the system temp dir.
    pub spill_dir: Option<PathBuf>,
    /// The cluster queries are distributed over (`--workers`); `None`: every query runs here.
    pub cluster: Option<Arc<Cluster>>,
}

/// Everything shared by all sessions: the catalog with its tables and views, the functions, the settings.
#[derive(Clone)]
pub struct Engine {
    state: SessionState,
    dataset: Dataset,
    memory_limit: Option<usize>,
    facts: Option<Arc<FactStore>>,
    spill: Option<Arc<SpillDir>>,
    user_views: Arc<UserViews>,
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

    /// Builds the engine over an already resolved dataset (e.g. an in-memory
    /// store), in named steps: the runtime with the object store, the raw
    /// contract tables, the fact store, the functions, the catalog, then the
    /// views with the `materialized` tables under them.
    pub async fn open_dataset(dataset: Dataset, options: EngineOptions) -> Result<Engine> {
        dataset.check_layout().await?;
        let spill = open_spill_dir(&options)?;
        let ctx = context(&dataset, &options, spill.as_deref())?;
        let raw = register_raw_tables(&ctx, &dataset)?;
        let facts = open_fact_store(&ctx, &options, &dataset, &raw).await?;
        register_functions(&ctx, &raw, &options, facts.as_ref());
        let views = builtin_views();
        register_catalog(&ctx, &views)?;
        let materialized = load_views(&ctx, views, facts.as_ref()).await?;
        let user_views = open_user_views(&options, &dataset).await?;
        if let Some(store) = &facts {
            store.prepare(ctx.state(), store_schemas(&ctx, &raw, materialized).await?);
        }
        Ok(Engine {
            state: ctx.state(),
            dataset,
            memory_limit: options.memory_limit,
            facts,
            spill,
            user_views,
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
        let mut session = Session::new(ctx);
        session.set_user_views(self.user_views.clone());
        Ok(session)
    }

    /// The fact store, when the engine keeps one.
    pub fn fact_store(&self) -> Option<&Arc<FactStore>> {
        self.facts.as_ref()
    }

    /// This process's spill directory, when the engine has one.
    pub fn spill_dir(&self) -> Option<&Arc<SpillDir>> {
        self.spill.as_ref()
    }

    /// The views defined from SQL.
    pub fn user_views(&self) -> &Arc<UserViews> {
        &self.user_views
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

/// The raw contract tables of schema `raw`, one [`LogTable`] a contract table.
#[derive(Debug, Clone)]
pub struct RawTables(Vec<Arc<LogTable>>);

impl RawTables {
    /// The log table named `name` (a contract table's name).
    fn get(&self, name: &str) -> Arc<LogTable> {
        self.0
            .iter()
            .find(|t| t.name() == name)
            .cloned()
            .expect("every contract table is registered")
    }
}

/// The schemas of the `materialized` tables, as their raw-path queries plan.
struct MaterializedSchemas {
    messages: SchemaRef,
    events: SchemaRef,
    facts: SchemaRef,
    touches: SchemaRef,
}

/// Step 0: this process's spill directory, when one is asked for.
fn open_spill_dir(options: &EngineOptions) -> Result<Option<Arc<SpillDir>>> {
    Ok(options
        .spill_dir
        .as_deref()
        .map(SpillDir::open)
        .transpose()?
        .map(Arc::new))
}

/// Step 1: the settings every session starts from.
fn session_config(options: &EngineOptions) -> SessionConfig {
    let mut config = crate::settings::datafusion_settings(
        SessionConfig::new().with_default_catalog_and_schema(DATABASE, PUBLIC_SCHEMA),
    );
    conversql_udfs::ConversqlOptions::of_mut(&mut config).skip_bad_files =
        conversql_udfs::OnOff(options.skip_bad_files);
    if let Some(as_of) = options.as_of {
        conversql_udfs::set_as_of(&mut config, Some(as_of));
    }
    if options.cluster.is_some() {
        // The `conversql.*` settings travel with every task to the workers.
        let settings = conversql_udfs::ConversqlOptions::of(&config);
        datafusion_distributed::DistributedExt::set_distributed_option_extension(
            &mut config,
            settings,
        );
    }
    config
}

/// Step 1: the runtime, with the dataset's object store and the spill directory.
fn runtime(dataset: &Dataset, spill: Option<&SpillDir>) -> Result<Arc<RuntimeEnv>> {
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(spill) = spill {
        runtime = runtime.with_disk_manager_builder(DiskManagerBuilder::default().with_mode(
            DiskManagerMode::Directories(vec![spill.path().to_path_buf()]),
        ));
    }
    let runtime = runtime.build_arc()?;
    runtime.register_object_store(dataset.store_url.as_ref(), dataset.store.clone());
    Ok(runtime)
}

/// Step 1: the context the engine is built in (settings, runtime, the stop rule).
fn context(
    dataset: &Dataset,
    options: &EngineOptions,
    spill: Option<&SpillDir>,
) -> Result<SessionContext> {
    // PostgreSQL's planners, before DataFusion's (which `with_default_features` appends);
    // `with_expr_planners` replaces the list, so it is set once.
    let mut planners = conversql_udfs::expr_planners();
    planners.extend(crate::pg_types::planners());
    planners.push(Arc::new(crate::pg_datetime::DateTimeArithmeticPlanner));
    let mut builder = SessionStateBuilder::new()
        .with_config(session_config(options))
        .with_runtime_env(runtime(dataset, spill)?)
        .with_expr_planners(planners)
        .with_default_features()
        .with_optimizer_rules(crate::local_date_bounds::optimizer_rules())
        .with_analyzer_rules(crate::pg_types::analyzer_rules())
        .with_analyzer_rule(Arc::new(crate::decimal_division::DecimalDivisionScale))
        .with_analyzer_rule(Arc::new(crate::pg_rounding::PostgresRounding))
        .with_analyzer_rule(Arc::new(crate::pg_arithmetic::CheckedArithmetic))
        .with_physical_optimizer_rule(Arc::new(StopCheckRule));
    if let Some(cluster) = &options.cluster {
        builder = cluster.distribute(builder)?;
    }
    let mut state = builder.build();
    crate::pg_types::add_rules(&mut state);
    datafusion::execution::FunctionRegistry::register_function_rewrite(
        &mut state,
        Arc::new(crate::pg_math::FloatMath),
    )?;
    datafusion::execution::FunctionRegistry::register_function_rewrite(
        &mut state,
        Arc::new(crate::pg_types::integer_results::IntegerResults),
    )?;
    Ok(SessionContext::new_with_state(state))
}

/// Step 2: the contract tables as written, in schema `raw`.
fn register_raw_tables(ctx: &SessionContext, dataset: &Dataset) -> Result<RawTables> {
    let raw = MemorySchemaProvider::new();
    let mut tables = vec![];
    for table in TABLES {
        let log_table = Arc::new(LogTable::new(dataset.clone(), table));
        raw.register_table(table.name.to_string(), log_table.clone())?;
        tables.push(log_table);
    }
    database(ctx)?.register_schema(RAW_SCHEMA, Arc::new(raw))?;
    Ok(RawTables(tables))
}

/// Step 3: the fact store, where the options place it (its object store registered for the scans).
async fn open_fact_store(
    ctx: &SessionContext,
    options: &EngineOptions,
    dataset: &Dataset,
    raw: &RawTables,
) -> Result<Option<Arc<FactStore>>> {
    let Some(location) =
        crate::facts::placement::locate(&options.facts, dataset, &options.s3).await?
    else {
        return Ok(None);
    };
    if location.url != dataset.store_url {
        ctx.runtime_env()
            .register_object_store(location.url.as_ref(), location.store.clone());
    }
    let store = FactStore::open(
        location,
        // The dataset's identity however it was spelt (`data`, `./data`, `/abs/data`).
        &format!("{}{}", dataset.store_url.as_str(), dataset.prefix),
        StoreInputs {
            messages: raw.get("messages"),
            profiles: raw.get("profiles"),
            accounts: raw.get("accounts"),
            events: raw.get("events"),
        },
    )
    .await?;
    Ok(Some(Arc::new(store)))
}

/// Step 4: the scalar functions of `conversql-udfs` and the table functions.
fn register_functions(
    ctx: &SessionContext,
    raw: &RawTables,
    options: &EngineOptions,
    facts: Option<&Arc<FactStore>>,
) {
    conversql_udfs::register_all(ctx);
    ctx.add_analyzer_rule(Arc::new(
        crate::dialect::scalar_subquery::SingleRowSubqueries,
    ));
    ctx.add_analyzer_rule(Arc::new(crate::dialect::lateral_unnest::LateralUnnest));
    crate::dialect::array_subquery::register(ctx);
    crate::dialect::reg_array_output::register(ctx);
    for kind in [OverviewKind::Totals, OverviewKind::Daily] {
        let function = OverviewFunction::new(kind);
        ctx.register_udtf(function.name(), Arc::new(function));
    }
    ctx.register_udtf(
        crate::data_quality::FUNCTION,
        Arc::new(crate::data_quality::DataQualityFunction::new(raw.0.clone())),
    );
    ctx.register_udtf(
        crate::run_history::FUNCTION,
        Arc::new(crate::run_history::ReportRunsFunction::new(
            options.report_runs.clone(),
        )),
    );
    ctx.register_udtf(
        crate::cluster::system_view::FUNCTION,
        Arc::new(crate::cluster::system_view::ClusterWorkersFunction::new(
            options.cluster.clone(),
        )),
    );
    ctx.register_udtf(
        crate::facts::system_view::FUNCTION,
        Arc::new(crate::facts::system_view::FactStoreFunction::new(
            facts.cloned(),
        )),
    );
}

/// Step 8: the views location, read once so that an unreachable one stops the start.
async fn open_user_views(options: &EngineOptions, dataset: &Dataset) -> Result<Arc<UserViews>> {
    let store = ViewStore::open(options.views.as_deref(), dataset, &options.s3)?;
    let views = Arc::new(UserViews::new(store));
    views.sync(true).await?;
    Ok(views)
}

fn register_catalog(ctx: &SessionContext, views: &[ViewSource]) -> Result<()> {
    setup_pg_catalog(ctx, DATABASE, EmptyContextProvider).map_err(|e| Error::DataFusion(*e))?;
    // The catalog crate registers a `quote_ident` of its own; PostgreSQL's
    // quotes every key word PostgreSQL reserves in any way.
    ctx.register_udf(conversql_udfs::QuoteIdentFunc::new().into());
    crate::pg_types::type_identity::install_type_planner(ctx);
    crate::catalog::register(ctx, views)?;
    crate::catalog::driver_compat::register(ctx, DATABASE)
}

/// Step 6: the views, and under them the `materialized` tables (the fact
/// store's, or the raw path when there is none), each created as soon as the
/// relations its query reads exist.
async fn load_views(
    ctx: &SessionContext,
    views: Vec<ViewSource>,
    facts: Option<&Arc<FactStore>>,
) -> Result<MaterializedSchemas> {
    let materialized = Arc::new(MemorySchemaProvider::new());
    database(ctx)?.register_schema(MATERIALIZED_SCHEMA, materialized.clone())?;
    let mut definitions: Vec<Definition> = StoredKind::ALL
        .into_iter()
        .map(|kind| {
            let (materialized, facts) = (materialized.clone(), facts.cloned());
            Definition::Table {
                name: kind.table_name(),
                query: kind.raw_path_query(),
                register: Box::new(move |schema: SchemaRef| {
                    let stored = StoredTable::new(kind, schema, facts);
                    materialized.register_table(kind.table_name().to_string(), Arc::new(stored))?;
                    Ok(())
                }),
            }
        })
        .collect();
    definitions.extend(views.into_iter().map(Definition::View));
    crate::views::load(ctx, definitions).await?;
    // `load` created every definition or failed: the tables are there.
    let schema_of = async |kind: StoredKind| -> Result<SchemaRef> {
        let table = materialized.table(kind.table_name()).await?;
        Ok(table
            .expect("load creates every definition or fails")
            .schema())
    };
    Ok(MaterializedSchemas {
        messages: schema_of(StoredKind::Messages).await?,
        events: schema_of(StoredKind::Events).await?,
        facts: schema_of(StoredKind::Facts).await?,
        touches: schema_of(StoredKind::Touches).await?,
    })
}

/// Step 7: the schemas the fact store writes and reads, from the views and the raw tables.
async fn store_schemas(
    ctx: &SessionContext,
    raw: &RawTables,
    materialized: MaterializedSchemas,
) -> Result<StoreSchemas> {
    let planned = async |sql: &str| -> Result<SchemaRef> {
        Ok(Arc::new(ctx.sql(sql).await?.schema().as_arrow().clone()))
    };
    // A store file holds the view's columns and the raw file's `source_file`.
    let file_schema = |raw: Arc<LogTable>, view: &SchemaRef| -> Result<SchemaRef> {
        let raw = raw.schema();
        let mut names: Vec<&str> = view.fields().iter().map(|f| f.name().as_str()).collect();
        names.push(crate::contract::SOURCE_FILE_COLUMN);
        let indices = names
            .iter()
            .map(|n| raw.index_of(n))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Arc::new(raw.project(&indices)?))
    };
    let profiles = planned("SELECT * FROM profiles").await?;
    Ok(StoreSchemas {
        message_file: file_schema(raw.get("messages"), &materialized.messages)?,
        messages: materialized.messages,
        facts: materialized.facts,
        touches: materialized.touches,
        profile_file: file_schema(raw.get("profiles"), &profiles)?,
        profiles,
        accounts: planned("SELECT * FROM accounts").await?,
        event_file: file_schema(raw.get("events"), &materialized.events)?,
        events: materialized.events,
    })
}

/// The engine's database (catalog).
fn database(ctx: &SessionContext) -> Result<Arc<dyn datafusion::catalog::CatalogProvider>> {
    ctx.catalog(DATABASE)
        .ok_or_else(|| Error::config(format!("catalog {DATABASE} missing")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Dataset, EngineOptions) {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let options = EngineOptions {
            data: data.to_string(),
            ..Default::default()
        };
        (Dataset::open_with(data, &options.s3).unwrap(), options)
    }

    #[tokio::test]
    async fn the_raw_step_registers_every_contract_table() {
        let (dataset, options) = sample();
        let ctx = context(&dataset, &options, None).unwrap();
        let raw = register_raw_tables(&ctx, &dataset).unwrap();
        let schema = database(&ctx).unwrap().schema(RAW_SCHEMA).unwrap();
        let mut names = schema.table_names();
        names.sort_unstable();
        let mut contract: Vec<_> = TABLES.iter().map(|t| t.name.to_string()).collect();
        contract.sort_unstable();
        assert_eq!(names, contract);
        assert_eq!(raw.get("events").name(), "events");
    }

    #[tokio::test]
    async fn the_view_step_creates_every_view_and_the_materialized_tables() {
        let (dataset, options) = sample();
        let ctx = context(&dataset, &options, None).unwrap();
        let raw = register_raw_tables(&ctx, &dataset).unwrap();
        register_functions(&ctx, &raw, &options, None);
        let views = builtin_views();
        register_catalog(&ctx, &views).unwrap();
        let schemas = load_views(&ctx, views, None).await.unwrap();

        let public = database(&ctx).unwrap().schema(PUBLIC_SCHEMA).unwrap();
        for (name, _) in crate::views::BUILTIN_VIEWS {
            assert!(public.table_exist(name), "view {name} missing");
        }
        let materialized = database(&ctx).unwrap().schema(MATERIALIZED_SCHEMA).unwrap();
        for kind in StoredKind::ALL {
            assert!(materialized.table_exist(kind.table_name()));
        }
        // The `messages` view reads `materialized.messages`: same columns.
        let view = ctx.table("messages").await.unwrap();
        let view_columns: Vec<_> = view
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let table_columns: Vec<_> = schemas
            .messages
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(view_columns, table_columns);
        assert!(schemas.facts.index_of("conversation_id").is_ok());
        assert!(schemas.events.index_of("event_id").is_ok());
    }
}
