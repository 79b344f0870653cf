//! The coordinator's side of the cluster: which workers a plan may go to,
//! how they are reached, and what each one did.
//!
//! The pgwire server stays the coordinator: it resolves views, table
//! providers, account scope, `as_of` and settings, plans the query, and
//! datafusion-distributed's planner cuts the physical plan into stages at its
//! shuffles; stages run on the workers and the head stage here. A plan with
//! no stage worth sending (a catalog query, a thread) runs here as it is.
//!
//! Every worker is checked every [`CHECK_EVERY`]: a worker that does not
//! answer, answers with another version, or refuses the secret is left out of
//! new plans until it answers again, so a worker that is down at start-up
//! does not stop the server and one that comes back is used again. With no
//! worker up, queries run on the coordinator alone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::{SessionStateBuilder, TaskContext};
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::prelude::SessionConfig;
use datafusion_distributed::{
    ChannelResolver, CoordinatorToWorkerMsg, DistributedExt, ExecuteTaskRequest,
    GetWorkerInfoRequest, GetWorkerInfoResponse, SessionStateBuilderExt, SetPlanRequest,
    WorkerChannel, WorkerResolver, WorkerToCoordinatorMsg,
};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use http::HeaderMap;
use url::Url;

use super::auth::{ClusterSecret, SecretChannels};
use super::codec::ConversqlCodec;
use super::constants::KeepConstantsRule;
use super::scoped_tasks::{ScopedScanTaskCount, scale_up_scoped_scan};
use super::worker_version;
use crate::error::{Error, Result as CrateResult};

/// How often every worker is checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// How long a check waits for a worker's answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The workers of `serve --workers` / `query --workers`, and the secret they share.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The workers' URLs (`http://host:port`).
    pub workers: Vec<Url>,
    /// The shared secret sent to every worker, if the cluster has one.
    pub secret: Option<ClusterSecret>,
    /// The bytes of Parquet one task of a scan reads (`None`:
    /// [`DEFAULT_SCAN_BYTES_PER_TASK`]); a scan of more is spread over several workers.
    pub scan_bytes_per_task: Option<usize>,
}

/// The Parquet one task of a scan reads unless `--scan-bytes-per-task` says
/// otherwise: 256 MiB. Sending a stage to workers costs about 50–120 ms on
/// loopback whatever its size (measured at SF10, docs/cluster-sizing.md),
/// more than a one-account dashboard query takes on one node, so such scans
/// stay on the coordinator and only scans of several hundred megabytes, which
/// take seconds, are spread.
pub const DEFAULT_SCAN_BYTES_PER_TASK: usize = 256 << 20;

/// Parses `--workers URL[,URL…]`: `http://host:port` or `https://host:port`, each once.
pub fn parse_workers(text: &str) -> CrateResult<Vec<Url>> {
    let mut workers: Vec<Url> = vec![];
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let invalid = |why: &str| {
            Error::InvalidSetting(format!(
                "invalid worker URL '{item}' in --workers: {why} (expected http://host:port)"
            ))
        };
        let url = Url::parse(item).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if url.host_str().is_none() || url.port_or_known_default().is_none() {
            return Err(invalid("a host and a port are needed"));
        }
        if url.path() != "/" || url.query().is_some() {
            return Err(invalid("a worker URL has no path or query"));
        }
        if workers.contains(&url) {
            return Err(invalid("listed twice"));
        }
        workers.push(url);
    }
    if workers.is_empty() {
        return Err(Error::InvalidSetting(
            "--workers needs at least one worker URL".into(),
        ));
    }
    Ok(workers)
}

/// The state of one worker, as the `cluster_workers` view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerState {
    /// Not answered yet since the coordinator started.
    Starting,
    /// Answering with this coordinator's version and secret: plans go to it.
    Up,
    /// Not answering (connection refused, timeout, …).
    Down,
    /// Answering, but not as a worker of this coordinator (another version, not a
    /// conversql worker, the secret refused): no plan goes to it.
    Refused,
}

impl WorkerState {
    /// The state's name in `cluster_workers`.
    pub fn name(&self) -> &'static str {
        match self {
            WorkerState::Starting => "starting",
            WorkerState::Up => "up",
            WorkerState::Down => "down",
            WorkerState::Refused => "refused",
        }
    }
}

/// What one worker did for this coordinator.
#[derive(Debug)]
struct WorkerRecord {
    state: Mutex<(WorkerState, Option<String>, Option<SystemTime>)>,
    tasks_run: AtomicU64,
    rows_out: AtomicU64,
}

/// One row of `cluster_workers`.
#[derive(Debug, Clone)]
pub struct WorkerStatus {
    /// The worker's URL.
    pub url: String,
    /// Its state.
    pub state: WorkerState,
    /// Plan fragments (tasks) sent to it.
    pub tasks_run: u64,
    /// Rows it sent back.
    pub rows_out: u64,
    /// The last error it gave or that reaching it gave, if any.
    pub last_error: Option<String>,
    /// When it last answered a check or a task.
    pub last_seen: Option<SystemTime>,
}

/// The coordinator's workers: their states, and what plans go to.
pub struct Cluster {
    scan_bytes_per_task: Option<usize>,
    workers: BTreeMap<Url, WorkerRecord>,
    /// The connections queries use.
    channels: SecretChannels,
    /// The health checks' own connections: a check that times out resets
    /// its request, and resets must not count against the queries'
    /// connection (h2 closes a connection after too many).
    check_channels: SecretChannels,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("workers", &self.workers.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Cluster {
    /// The cluster of `options`; call [`Cluster::watch`] to start checking the workers.
    pub fn new(options: &ClusterOptions) -> Arc<Cluster> {
        let workers = options
            .workers
            .iter()
            .map(|url| {
                let record = WorkerRecord {
                    state: Mutex::new((WorkerState::Starting, None, None)),
                    tasks_run: AtomicU64::new(0),
                    rows_out: AtomicU64::new(0),
                };
                (url.clone(), record)
            })
            .collect();
        Arc::new(Cluster {
            scan_bytes_per_task: options.scan_bytes_per_task,
            workers,
            channels: SecretChannels::new(options.secret.clone()),
            check_channels: SecretChannels::new(options.secret.clone()),
        })
    }

    /// Checks every worker once now, then every [`CHECK_EVERY`] in the background
    /// (until the cluster is dropped); says on standard error when a worker's state changes.
    pub async fn watch(self: &Arc<Self>) {
        self.check_all().await;
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECK_EVERY).await;
                let Some(cluster) = weak.upgrade() else {
                    return;
                };
                cluster.check_all().await;
            }
        });
    }

    /// The workers' rows of `cluster_workers`, in URL order.
    pub fn status(&self) -> Vec<WorkerStatus> {
        self.workers
            .iter()
            .map(|(url, record)| {
                let (state, last_error, last_seen) =
                    record.state.lock().expect("not poisoned").clone();
                WorkerStatus {
                    url: url.to_string(),
                    state,
                    tasks_run: record.tasks_run.load(Ordering::Relaxed),
                    rows_out: record.rows_out.load(Ordering::Relaxed),
                    last_error,
                    last_seen,
                }
            })
            .collect()
    }

    /// `builder` planning with the distributed planner over this cluster's workers.
    pub fn distribute(
        self: &Arc<Self>,
        builder: SessionStateBuilder,
    ) -> Result<SessionStateBuilder> {
        let mut builder = builder
            .with_distributed_worker_resolver(LiveWorkers(self.clone()))
            .with_distributed_channel_resolver(ClusterChannels(self.clone()))
            .with_distributed_user_codec(ConversqlCodec)
            .with_physical_optimizer_rule(Arc::new(KeepConstantsRule))
            .with_distributed_desired_task_count_handler(ScopedScanTaskCount)
            .with_distributed_scale_up_leaf_node_handler(scale_up_scoped_scan)
            .with_distributed_planner();
        // datafusion-distributed counts bytes per partition, and a task has
        // `target_partitions` partitions.
        let partitions = builder
            .config()
            .as_ref()
            .map_or_else(num_cpus_or_one, SessionConfig::target_partitions)
            .max(1);
        let per_task = self
            .scan_bytes_per_task
            .unwrap_or(DEFAULT_SCAN_BYTES_PER_TASK);
        builder = builder.with_distributed_file_scan_config_bytes_per_partition(
            (per_task / partitions).max(1),
        )?;
        Ok(builder)
    }

    async fn check_all(&self) {
        let checks = self.workers.keys().map(|url| self.check(url));
        futures::future::join_all(checks).await;
    }

    /// Asks one worker for its version and records what came back.
    async fn check(&self, url: &Url) {
        let answer = tokio::time::timeout(CHECK_TIMEOUT, async {
            let mut client = self.check_channels.client(url).await?;
            client.get_worker_info(GetWorkerInfoRequest {}).await
        })
        .await;
        // A failure that is not a refusal: is something else listening there
        // (a Postgres port, a web server), or nothing at all?
        let someone_listens = match &answer {
            Ok(Err(e)) if !is_refusal(e) => accepts_connections(url).await,
            _ => false,
        };
        let (state, error) = match answer {
            Err(_) => (
                WorkerState::Down,
                Some(format!(
                    "no answer within {} s",
                    CHECK_TIMEOUT.as_secs_f64()
                )),
            ),
            Ok(Err(e)) if is_refusal(&e) => (WorkerState::Refused, Some(e.to_string())),
            Ok(Err(e)) if someone_listens => (
                WorkerState::Refused,
                Some(format!(
                    "not a conversql worker: the port accepts connections but does not answer gRPC ({e})"
                )),
            ),
            Ok(Err(e)) => (WorkerState::Down, Some(e.to_string())),
            Ok(Ok(GetWorkerInfoResponse { version })) if version == worker_version() => {
                (WorkerState::Up, None)
            }
            Ok(Ok(GetWorkerInfoResponse { version })) if version.starts_with("conversql ") => (
                WorkerState::Refused,
                Some(format!(
                    "the worker is {version}, this coordinator is {}",
                    worker_version()
                )),
            ),
            Ok(Ok(_)) => (
                WorkerState::Refused,
                Some("not a conversql worker (a DataFusion worker of another program)".into()),
            ),
        };
        self.record_check(url, state, error);
    }

    fn record_check(&self, url: &Url, state: WorkerState, error: Option<String>) {
        let Some(record) = self.workers.get(url) else {
            return;
        };
        let mut current = record.state.lock().expect("not poisoned");
        if current.0 != state {
            match &error {
                Some(error) => eprintln!("conversql: worker {url} is {}: {error}", state.name()),
                None => eprintln!("conversql: worker {url} is {}", state.name()),
            }
        }
        current.0 = state;
        if error.is_some() {
            current.1 = error;
        }
        if current.0 == WorkerState::Up {
            current.2 = Some(SystemTime::now());
        }
    }

    fn record_error(&self, url: &Url, error: &DataFusionError) {
        if let Some(record) = self.workers.get(url) {
            record.state.lock().expect("not poisoned").1 = Some(error.to_string());
        }
    }

    /// The worker's client, with the secret on every request.
    async fn raw_client(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        self.channels.client(url).await
    }
}

/// The machine's cores, DataFusion's default `target_partitions`.
fn num_cpus_or_one() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Whether something accepts TCP connections at `url`'s host and port.
async fn accepts_connections(url: &Url) -> bool {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return false;
    };
    // An IPv6 host is written in brackets in a URL, not in a socket address.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    matches!(
        tokio::time::timeout(CHECK_TIMEOUT, tokio::net::TcpStream::connect((host, port))).await,
        Ok(Ok(_))
    )
}

/// Whether a worker's error says it will not work for this coordinator (as opposed to being down).
fn is_refusal(error: &DataFusionError) -> bool {
    let text = error.to_string();
    text.contains("Unauthenticated")
        || text.contains("cluster secret")
        || text.contains("Unimplemented")
}

/// The workers plans may go to: those up at the last check.
///
/// The planner makes as many tasks per stage as there are URLs, and a plan of
/// one task per stage runs on the coordinator alone; so with a single worker
/// up its URL is listed twice, and the stages run on it as two tasks.
struct LiveWorkers(Arc<Cluster>);

impl WorkerResolver for LiveWorkers {
    fn get_urls(&self) -> Result<Vec<Url>> {
        let up: Vec<Url> = self
            .0
            .workers
            .iter()
            .filter(|(_, r)| r.state.lock().expect("not poisoned").0 == WorkerState::Up)
            .map(|(url, _)| url.clone())
            .collect();
        Ok(match up.as_slice() {
            [only] => vec![only.clone(), only.clone()],
            _ => up,
        })
    }
}

/// Channels to the workers that count their tasks and rows, and name the worker in errors.
struct ClusterChannels(Arc<Cluster>);

#[async_trait]
impl ChannelResolver for ClusterChannels {
    async fn get_worker_client_for_url(&self, url: &Url) -> Result<Box<dyn WorkerChannel>> {
        let inner = self
            .0
            .raw_client(url)
            .await
            .map_err(|e| worker_error(url, e))?;
        Ok(Box::new(CountedChannel {
            cluster: self.0.clone(),
            url: url.clone(),
            inner,
        }))
    }
}

/// `error` of the worker at `url`, saying so.
fn worker_error(url: &Url, error: DataFusionError) -> DataFusionError {
    DataFusionError::Context(format!("cluster worker {url}"), Box::new(error))
}

/// A worker's client that records what the worker did.
struct CountedChannel {
    cluster: Arc<Cluster>,
    url: Url,
    inner: Box<dyn WorkerChannel>,
}

#[async_trait]
impl WorkerChannel for CountedChannel {
    async fn coordinator_channel(
        &mut self,
        headers: HeaderMap,
        set_plan_request: SetPlanRequest,
        c2w_stream: BoxStream<'static, CoordinatorToWorkerMsg>,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<BoxStream<'static, Result<WorkerToCoordinatorMsg>>> {
        if let Some(record) = self.cluster.workers.get(&self.url) {
            record.tasks_run.fetch_add(1, Ordering::Relaxed);
        }
        let (cluster, url) = (self.cluster.clone(), self.url.clone());
        match self
            .inner
            .coordinator_channel(headers, set_plan_request, c2w_stream, metrics, task_ctx)
            .await
        {
            Ok(stream) => Ok(stream
                .map_err(move |e| {
                    cluster.record_error(&url, &e);
                    worker_error(&url, e)
                })
                .boxed()),
            Err(e) => {
                self.cluster.record_error(&self.url, &e);
                Err(worker_error(&self.url, e))
            }
        }
    }

    async fn execute_task(
        &mut self,
        headers: HeaderMap,
        request: ExecuteTaskRequest,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> Result<Vec<BoxStream<'static, Result<RecordBatch>>>> {
        let streams = match self
            .inner
            .execute_task(headers, request, metrics, task_ctx)
            .await
        {
            Ok(streams) => streams,
            Err(e) => {
                self.cluster.record_error(&self.url, &e);
                return Err(worker_error(&self.url, e));
            }
        };
        Ok(streams
            .into_iter()
            .map(|stream| {
                let (cluster, url) = (self.cluster.clone(), self.url.clone());
                stream
                    .map(move |batch| match batch {
                        Ok(batch) => {
                            if let Some(record) = cluster.workers.get(&url) {
                                record
                                    .rows_out
                                    .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
                            }
                            Ok(batch)
                        }
                        Err(e) => {
                            cluster.record_error(&url, &e);
                            Err(worker_error(&url, e))
                        }
                    })
                    .boxed()
            })
            .collect())
    }

    async fn get_worker_info(
        &mut self,
        request: GetWorkerInfoRequest,
    ) -> Result<GetWorkerInfoResponse> {
        self.inner.get_worker_info(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_urls_are_checked() {
        let urls = parse_workers("http://127.0.0.1:7001, http://10.0.0.2:7001").unwrap();
        assert_eq!(urls.len(), 2);
        for bad in [
            "",
            "127.0.0.1:7001",
            "ftp://host:1",
            "http://host:7001/path",
            "http://a:1,http://a:1",
        ] {
            let err = parse_workers(bad).unwrap_err().to_string();
            assert!(err.contains("worker"), "{bad}: {err}");
        }
    }
}
