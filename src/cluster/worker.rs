//! `conversql worker`: a process that runs plan fragments for coordinators.
//!
//! It serves datafusion-distributed's worker service (gRPC, Arrow Flight
//! batches) and nothing else: it has no catalog, no views and no SQL, only
//! what executing a conversql plan needs — DataFusion's and conversql's
//! functions (looked up by name when a plan is decoded), the codec of
//! conversql's plan nodes, the `conversql.*` settings each task carries from
//! its coordinator, and the object stores the plan's files are in (`file://`,
//! and `s3://` buckets reached with the worker's own `--s3-*` settings; the
//! worker never reads the coordinator's disk).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;
use datafusion_distributed::{DistributedExt, Worker, WorkerQueryContext};
use object_store::ObjectStore;
use tokio::net::TcpListener;
use url::Url;

use super::auth::{ClusterSecret, SECRET_ENV, SecretChannels, check_requests};
use super::codec::ConversqlCodec;
use super::task_stop::{StopTasks, TaskStops};
use super::worker_version;
use crate::error::{Error, Result};
use crate::s3::S3Options;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The shared secret coordinators must send; required beyond loopback.
    pub secret: Option<ClusterSecret>,
    /// How `s3://` buckets named by plans are reached.
    pub s3: S3Options,
    /// The memory all tasks of the worker may use together (bytes); above it
    /// operators spill or the task fails. `None`: no limit.
    pub memory_limit: Option<usize>,
}

/// Refuses to listen beyond loopback without a secret.
pub fn check_listen(listen: &SocketAddr, secret: Option<&ClusterSecret>) -> Result<()> {
    if !listen.ip().is_loopback() && secret.is_none() {
        return Err(Error::InvalidSetting(format!(
            "a worker listening on {listen} (beyond loopback) needs the cluster secret: \
             --cluster-secret or {SECRET_ENV}"
        )));
    }
    Ok(())
}

/// A conversql worker: datafusion-distributed's worker with conversql's
/// sessions, and the stop flags of the tasks it runs.
pub struct ClusterWorker {
    worker: Worker,
    stops: TaskStops,
}

impl ClusterWorker {
    /// The worker of `options`; `runtime` replaces its own (an in-process
    /// cluster shares the coordinator's, `memory://` stores included).
    pub fn new(options: &WorkerOptions, runtime: Option<Arc<RuntimeEnv>>) -> Result<ClusterWorker> {
        let runtime = match runtime {
            Some(runtime) => runtime,
            None => worker_runtime(options)?,
        };
        let stops = TaskStops::default();
        let functions = Arc::new(Functions::of(
            &runtime,
            SecretChannels::new(options.secret.clone()),
            stops.clone(),
        ));
        let builder = move |ctx: WorkerQueryContext| {
            let functions = functions.clone();
            async move { functions.session(ctx) }
        };
        let worker = Worker::from_session_builder(builder)
            .with_runtime_env(runtime)
            .with_version(worker_version());
        Ok(ClusterWorker { worker, stops })
    }

    /// The same worker reporting `version` (a test's stand-in for another release).
    #[must_use]
    pub fn with_version(mut self, version: &str) -> Self {
        self.worker = self.worker.with_version(version.to_string());
        self
    }

    /// Serves the worker on `listener` until the process ends; with a
    /// secret, every request without it is refused.
    pub async fn serve(self, listener: TcpListener, secret: Option<ClusterSecret>) -> Result<()> {
        let service = tonic::service::interceptor::InterceptedService::new(
            StopTasks::new(self.worker.into_worker_server(), self.stops),
            check_requests(secret),
        );
        tonic::transport::Server::builder()
            // A coordinator gives up on requests a busy worker has not yet
            // accepted (its health check's timeout, a LIMIT met early); h2's
            // default of 20 such resets per connection then closes the
            // connection and fails every query on it.
            .http2_max_pending_accept_reset_streams(Some(MAX_PENDING_RESETS))
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
            .map_err(|e| Error::config(format!("the worker service stopped: {e}")))
    }
}

/// Requests a coordinator may reset before the worker accepted them, per connection.
const MAX_PENDING_RESETS: usize = 10_000;

/// The worker's runtime: its object stores and memory limit.
fn worker_runtime(options: &WorkerOptions) -> Result<Arc<RuntimeEnv>> {
    let mut runtime = RuntimeEnvBuilder::new().with_object_store_registry(Arc::new(WorkerStores {
        s3: options.s3.clone(),
        known: DefaultObjectStoreRegistry::new(),
    }));
    if let Some(limit) = options.memory_limit {
        runtime = runtime.with_memory_pool(Arc::new(TrackConsumersPool::new(
            FairSpillPool::new(limit),
            NonZeroUsize::new(3).expect("3 > 0"),
        )));
    }
    Ok(runtime.build_arc()?)
}

/// The functions a plan may name, built once per worker.
struct Functions {
    scalar: Vec<Arc<ScalarUDF>>,
    aggregate: Vec<Arc<AggregateUDF>>,
    window: Vec<Arc<WindowUDF>>,
    /// How this worker reaches the other workers whose stages its tasks read.
    channels: SecretChannels,
    /// The stop flags of the tasks, by the header their channel got.
    stops: TaskStops,
}

impl Functions {
    /// DataFusion's functions with conversql's over them, as the server has them;
    /// the value-building ones bounded by the worker's memory pool. Functions of
    /// the Postgres catalog, which read the server's catalog, are not here: a
    /// plan naming one fails to decode on a worker instead of reading another catalog.
    fn of(runtime: &Arc<RuntimeEnv>, channels: SecretChannels, stops: TaskStops) -> Functions {
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_runtime_env(runtime.clone())
            .build();
        let ctx = SessionContext::new_with_state(state);
        conversql_udfs::register_all(&ctx);
        ctx.register_udf(conversql_udfs::QuoteIdentFunc::new().into());
        crate::dialect::array_subquery::register(&ctx);
        crate::bounded_values::register(&ctx, runtime.memory_pool.clone());
        let state = ctx.state();
        Functions {
            scalar: distinct(state.scalar_functions(), |f| f.name().to_string()),
            aggregate: distinct(state.aggregate_functions(), |f| f.name().to_string()),
            window: distinct(state.window_functions(), |f| f.name().to_string()),
            channels,
            stops,
        }
    }

    /// The session a task of `ctx` runs in.
    fn session(&self, ctx: WorkerQueryContext) -> DfResult<SessionState> {
        let mut builder = ctx.builder;
        let config = builder.config().get_or_insert_default();
        *config = crate::settings::datafusion_settings(std::mem::take(config));
        config.set_distributed_option_extension_from_headers::<conversql_udfs::ConversqlOptions>(
            &ctx.headers,
        )?;
        if let Some(flag) = self.stops.flag_of(&ctx.headers) {
            config.set_extension(flag);
        }
        Ok(builder
            .with_scalar_functions(self.scalar.clone())
            .with_aggregate_functions(self.aggregate.clone())
            .with_window_functions(self.window.clone())
            .with_distributed_user_codec(ConversqlCodec)
            .with_distributed_channel_resolver(self.channels.clone())
            .build())
    }
}

/// The functions of a registry once each (a registry lists a function under each alias).
fn distinct<T>(
    registry: &std::collections::HashMap<String, Arc<T>>,
    name: impl Fn(&T) -> String,
) -> Vec<Arc<T>> {
    let by_name: BTreeMap<String, Arc<T>> =
        registry.values().map(|f| (name(f), f.clone())).collect();
    by_name.into_values().collect()
}

/// The worker's object stores: `file://` and the stores registered, and every
/// `s3://` bucket a plan names, reached with the worker's S3 settings.
#[derive(Debug)]
struct WorkerStores {
    s3: S3Options,
    known: DefaultObjectStoreRegistry,
}

impl ObjectStoreRegistry for WorkerStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.known.register_store(url, store)
    }

    fn get_store(&self, url: &Url) -> DfResult<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.known.get_store(url) {
            return Ok(store);
        }
        match (url.scheme(), url.host_str()) {
            ("s3", Some(bucket)) if !bucket.is_empty() => {
                let store: Arc<dyn ObjectStore> = Arc::new(self.s3.build(bucket).map_err(|e| {
                    DataFusionError::External(
                        format!("the worker cannot reach s3://{bucket}: {e}").into(),
                    )
                })?);
                self.known.register_store(url, store.clone());
                Ok(store)
            }
            _ => Err(DataFusionError::Execution(format!(
                "a conversql worker reads file:// and s3:// stores, not {url} \
                 (an in-memory dataset cannot be shared with worker processes)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_beyond_loopback_needs_a_secret() {
        let public: SocketAddr = "0.0.0.0:7001".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:7001".parse().unwrap();
        let err = check_listen(&public, None).unwrap_err().to_string();
        assert!(err.contains(SECRET_ENV), "{err}");
        let secret = ClusterSecret::new("0123456789abcdef").unwrap();
        assert!(check_listen(&public, Some(&secret)).is_ok());
        assert!(check_listen(&local, None).is_ok());
    }

    #[test]
    fn plans_name_conversql_functions_the_worker_knows() {
        let runtime = Arc::new(RuntimeEnv::default());
        let functions = Functions::of(&runtime, SecretChannels::new(None), TaskStops::default());
        let names: Vec<&str> = functions.scalar.iter().map(|f| f.name()).collect();
        for name in ["as_of", "local_date", "repeat", "quote_ident"] {
            assert!(names.contains(&name), "{name} missing on workers");
        }
    }
}
