//! Stopping statements: Postgres cancel requests, `statement_timeout`, and
//! clients that go away.
//!
//! Every connection has a [`QueryControl`]; each statement takes a fresh
//! [`StatementGuard`] from it. The guard watches, for the whole life of the
//! statement (planning, execution and every row streamed), for a cancel
//! request and for the statement's deadline. Result streams are wrapped in
//! [`GuardedStream`], so a cancel stops a query that is already streaming,
//! and dropping the stream (a client that disconnects) drops DataFusion's
//! tasks with it.
//!
//! A client that disconnects before the first row is not noticed that way:
//! nobody writes to or reads from its socket while the query computes, so
//! the query ran on for as long as it lasted. While a statement runs, a
//! watcher therefore polls the connection's socket ([`PeerSocket`]) for the
//! peer's hang-up (`POLLRDHUP`, which pipelined messages such as `Sync` do not
//! raise) every [`PEER_CHECK`], and stops the statement when it comes.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use futures::{FutureExt, Stream};
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::AbortOnDropHandle;

use crate::stop::StopFlag;

/// Why a statement stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A cancel request from the client.
    Canceled,
    /// The statement ran past `statement_timeout`.
    TimedOut,
}

impl Stop {
    /// The message Postgres gives (SQLSTATE 57014 for both).
    pub fn message(self) -> &'static str {
        match self {
            Stop::Canceled => "canceling statement due to user request",
            Stop::TimedOut => "canceling statement due to statement timeout",
        }
    }

    /// The SQLSTATE of a stopped statement.
    pub const SQLSTATE: &'static str = "57014";
}

/// How often a running statement's socket is checked for a client that hung up.
pub const PEER_CHECK: Duration = Duration::from_millis(100);

/// The socket of a connection, checked for the peer's hang-up while a statement runs.
#[derive(Debug, Clone, Copy)]
pub struct PeerSocket(std::os::fd::RawFd);

impl PeerSocket {
    /// The socket of a TCP connection (TLS or not: the watch is below TLS).
    pub fn of(socket: &tokio::net::TcpStream) -> PeerSocket {
        PeerSocket(std::os::fd::AsRawFd::as_raw_fd(socket))
    }

    /// Whether the peer closed the connection (or it failed), without reading from it.
    pub fn hung_up(self) -> bool {
        let mut poll = libc::pollfd {
            fd: self.0,
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one valid pollfd, a zero timeout; the descriptor is the connection's own
        // socket, open while its statement (and so this watch) runs.
        let ready = unsafe { libc::poll(&raw mut poll, 1, 0) };
        ready > 0
            && poll.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL)
                != 0
    }
}

/// The statement-stopping state of one connection.
#[derive(Debug, Default)]
pub struct QueryControl {
    current: Mutex<(CancellationToken, Arc<StopFlag>)>,
    peer: Option<PeerSocket>,
}

impl QueryControl {
    /// The control of a connection over `peer` (`None`: the hang-up watch is off).
    pub fn new(peer: Option<PeerSocket>) -> Self {
        QueryControl {
            current: Mutex::default(),
            peer,
        }
    }

    /// Starts a statement: a guard with a fresh cancel token and the given timeout (none when `None`).
    pub fn begin(&self, timeout: Option<Duration>) -> StatementGuard {
        let token = CancellationToken::new();
        let flag = Arc::new(StopFlag::default());
        *self.current.lock().expect("cancel token lock") = (token.clone(), flag.clone());
        let watch = self
            .peer
            .map(|peer| Arc::new(watch_peer(peer, token.clone(), flag.clone())));
        StatementGuard {
            token,
            flag,
            deadline: timeout.map(|t| Instant::now() + t),
            watch_handle: watch,
        }
    }

    /// Cancels the statement running now, if any (a later statement is not affected).
    pub fn cancel(&self) {
        let current = self.current.lock().expect("cancel token lock");
        current.1.stop();
        current.0.cancel();
    }
}

/// Stops the statement of `token` and `flag` when `peer` hangs up; ends when dropped.
fn watch_peer(
    peer: PeerSocket,
    token: CancellationToken,
    flag: Arc<StopFlag>,
) -> AbortOnDropHandle<()> {
    AbortOnDropHandle::new(tokio::spawn(async move {
        let mut tick = tokio::time::interval(PEER_CHECK);
        loop {
            tick.tick().await;
            if peer.hung_up() {
                tracing::debug!("client hung up: stopping its statement");
                flag.stop();
                token.cancel();
                return;
            }
        }
    }))
}

/// What stops one statement: its cancel token, its deadline, and the client hanging up.
#[derive(Debug, Clone)]
pub struct StatementGuard {
    token: CancellationToken,
    flag: Arc<StopFlag>,
    deadline: Option<Instant>,
    /// The hang-up watch, kept while the guard or a stream it guards lives.
    watch_handle: Option<Arc<AbortOnDropHandle<()>>>,
}

impl StatementGuard {
    /// Runs `work` until it finishes or the statement is stopped.
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Result<T, Stop> {
        let deadline = async {
            match self.deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let outcome = tokio::select! {
            biased;
            () = self.token.cancelled() => Err(Stop::Canceled),
            () = deadline => Err(Stop::TimedOut),
            out = work => Ok(out),
        };
        if outcome.is_err() {
            self.flag.stop();
        }
        outcome
    }

    /// The flag the statement's operators watch (see [`crate::stop`]).
    pub fn flag(&self) -> Arc<StopFlag> {
        self.flag.clone()
    }

    /// Wraps a result stream so that it ends with an error when the statement is stopped.
    pub fn guard_stream(&self, inner: SendableRecordBatchStream) -> SendableRecordBatchStream {
        Box::pin(GuardedStream {
            _watch: self.watch_handle.clone(),
            schema: inner.schema(),
            inner: Some(inner),
            flag: self.flag.clone(),
            cancelled: Box::pin(self.token.clone().cancelled_owned()),
            deadline: self
                .deadline
                .map(|at| Box::pin(tokio::time::sleep_until(at))),
        })
    }
}

/// A record-batch stream that stops with SQLSTATE 57014 on cancel or timeout.
/// Stopping drops the inner stream, which stops DataFusion's work.
pub struct GuardedStream {
    /// Keeps the client-watch task alive while the stream is.
    _watch: Option<Arc<AbortOnDropHandle<()>>>,
    schema: SchemaRef,
    inner: Option<SendableRecordBatchStream>,
    flag: Arc<StopFlag>,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl GuardedStream {
    fn stop(&mut self, stop: Stop) -> Poll<Option<datafusion::error::Result<RecordBatch>>> {
        self.flag.stop();
        self.inner = None;
        Poll::Ready(Some(Err(stopped_error(stop))))
    }
}

/// The DataFusion error that carries a stop to the client.
pub fn stopped_error(stop: Stop) -> DataFusionError {
    DataFusionError::External(Box::new(StoppedError(stop)))
}

/// The error a stopped statement ends with.
#[derive(Debug, Clone, Copy)]
pub struct StoppedError(pub Stop);

impl std::fmt::Display for StoppedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.message())
    }
}

impl std::error::Error for StoppedError {}

impl Stream for GuardedStream {
    type Item = datafusion::error::Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.inner.is_none() {
            return Poll::Ready(None);
        }
        // Checked before every batch: a stream whose batches are always ready must stop too.
        if self.cancelled.poll_unpin(cx).is_ready() {
            return self.stop(Stop::Canceled);
        }
        if let Some(deadline) = self.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return self.stop(Stop::TimedOut);
        }
        let inner = self.inner.as_mut().expect("checked above");
        let next = std::task::ready!(inner.as_mut().poll_next(cx));
        if next.is_none() {
            self.inner = None;
        }
        Poll::Ready(next)
    }
}

/// A result dropped before its end (client gone, portal closed) stops the statement's work.
impl Drop for GuardedStream {
    fn drop(&mut self) {
        if self.inner.is_some() {
            self.flag.stop();
        }
    }
}

impl RecordBatchStream for GuardedStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A registered connection: its secret key (as bytes) and its query control.
type Registered = (Vec<u8>, Weak<QueryControl>);

/// The connections that cancel requests can reach, by process id and secret key.
#[derive(Debug, Default)]
pub struct Cancellations {
    connections: Mutex<HashMap<i32, Registered>>,
}

impl Cancellations {
    /// Registers a connection; it is forgotten when the returned registration is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        key: SecretKey,
        control: &Arc<QueryControl>,
    ) -> Registration {
        let mut map = self.connections.lock().expect("cancellations lock");
        map.retain(|_, (_, c)| c.strong_count() > 0);
        map.insert(pid, (key.to_bytes().to_vec(), Arc::downgrade(control)));
        Registration {
            registry: Arc::downgrade(self),
            pid,
        }
    }

    /// Cancels the running statement of the connection `pid` if `key` matches; `false` otherwise.
    /// Keys are compared by their bytes: a cancel request carries no hint of the key's width.
    pub fn cancel(&self, pid: i32, key: &SecretKey) -> bool {
        let map = self.connections.lock().expect("cancellations lock");
        match map.get(&pid) {
            Some((expected, control)) if expected[..] == key.to_bytes()[..] => {
                match control.upgrade() {
                    Some(control) => {
                        control.cancel();
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }
}

/// Keeps a connection reachable by cancel requests while it lives.
#[derive(Debug)]
pub struct Registration {
    registry: Weak<Cancellations>,
    pid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            registry
                .connections
                .lock()
                .expect("cancellations lock")
                .remove(&self.pid);
        }
    }
}

/// Answers Postgres cancel requests (sent on a separate connection with the process id and secret key).
#[derive(Debug)]
pub struct CancelRequests {
    /// The registry of live connections.
    pub registry: Arc<Cancellations>,
}

#[async_trait]
impl CancelHandler for CancelRequests {
    async fn on_cancel_request(&self, request: CancelRequest) {
        let found = self.registry.cancel(request.pid, &request.secret_key);
        tracing::debug!(pid = request.pid, found, "cancel request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::StreamExt;

    fn endless() -> SendableRecordBatchStream {
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        Box::pin(RecordBatchStreamAdapter::new(
            schema,
            futures::stream::pending(),
        ))
    }

    #[tokio::test]
    async fn cancel_stops_a_waiting_stream_and_only_the_current_statement() {
        let control = Arc::new(QueryControl::default());
        let guard = control.begin(None);
        let mut stream = guard.guard_stream(endless());
        control.cancel();
        let err = stream.next().await.unwrap().unwrap_err();
        assert!(err.to_string().contains("due to user request"), "{err}");
        assert!(guard.flag().is_stopped(), "the operators are told to stop");
        assert!(stream.next().await.is_none());
        let next = control.begin(None);
        assert_eq!(
            next.run(async { 7 }).await,
            Ok(7),
            "a new statement starts uncancelled"
        );
    }

    #[tokio::test]
    async fn cancel_stops_a_stream_whose_batches_are_always_ready() {
        let control = Arc::new(QueryControl::default());
        let guard = control.begin(None);
        let schema = Arc::new(arrow::datatypes::Schema::empty());
        let ready = futures::stream::repeat_with(|| {
            Ok(RecordBatch::new_empty(Arc::new(
                arrow::datatypes::Schema::empty(),
            )))
        });
        let mut stream = guard.guard_stream(Box::pin(RecordBatchStreamAdapter::new(schema, ready)));
        assert!(stream.next().await.unwrap().is_ok());
        control.cancel();
        assert!(
            stream.next().await.unwrap().is_err(),
            "the next batch is an error, not more data"
        );
    }

    #[tokio::test]
    async fn timeout_stops_work() {
        let guard = QueryControl::default().begin(Some(Duration::from_millis(20)));
        assert_eq!(
            guard.run(std::future::pending::<()>()).await,
            Err(Stop::TimedOut)
        );
        let mut stream = guard.guard_stream(endless());
        assert!(
            stream
                .next()
                .await
                .unwrap()
                .unwrap_err()
                .to_string()
                .contains("statement timeout")
        );
    }

    #[tokio::test]
    async fn cancel_requests_need_the_secret_key() {
        let registry = Arc::new(Cancellations::default());
        let control = Arc::new(QueryControl::default());
        let registration = registry.register(7, SecretKey::I32(42), &control);
        assert!(!registry.cancel(7, &SecretKey::I32(41)));
        assert!(registry.cancel(7, &SecretKey::I32(42)));
        let as_decoded = SecretKey::Bytes(42i32.to_be_bytes().to_vec().into());
        assert!(
            registry.cancel(7, &as_decoded),
            "a decoded request carries the key as bytes"
        );
        drop(registration);
        assert!(!registry.cancel(7, &SecretKey::I32(42)));
    }
}
