//! Stopping a task's work on a worker the moment its query ends.
//!
//! A coordinator keeps one `CoordinatorChannel` request stream open per task
//! for the whole query; datafusion-distributed 4 reads the end of that stream
//! (normal end, abort, or the coordinator's connection gone) as "the query is
//! over" and drops the task's plan. Dropping only aborts what next yields,
//! though: a join feeding an aggregate runs on inside one poll (the reason
//! for [`StopCheckExec`](crate::stop::StopCheckExec)), and on a worker no
//! one ever set the statement's [`StopFlag`], which lives on the coordinator.
//! Measured before this module: after a 1 s statement timeout the workers
//! kept both cores busy for the rest of their stage, minutes for a large join.
//!
//! So the worker's gRPC service is wrapped in [`StopTasks`]: each
//! `CoordinatorChannel` request gets a fresh [`StopFlag`], registered in
//! [`TaskStops`] under an id sent to the task's session builder in the
//! [`TASK_HEADER`] header (any such header from outside is removed first),
//! and its request body carries a guard that sets the flag when the body is
//! dropped, which is when the channel ends. The task's session has the flag,
//! so its `StopCheckExec`s end the work at their next batch.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use http_body::{Body, Frame, SizeHint};

use crate::stop::StopFlag;

/// The header that names a task's stop flag to its session builder.
pub const TASK_HEADER: &str = "x-conversql-task-stop";

/// The gRPC method whose request stream lives as long as a task's query.
const COORDINATOR_CHANNEL: &str = "/worker.WorkerService/CoordinatorChannel";

/// The stop flags of the tasks a worker runs, by id.
#[derive(Clone, Default, Debug)]
pub struct TaskStops {
    flags: Arc<Mutex<HashMap<u64, Arc<StopFlag>>>>,
    next_id: Arc<AtomicU64>,
}

impl TaskStops {
    /// The flag of the task whose request carried `headers`, while its channel is open.
    pub fn flag_of(&self, headers: &HeaderMap) -> Option<Arc<StopFlag>> {
        let id: u64 = headers.get(TASK_HEADER)?.to_str().ok()?.parse().ok()?;
        self.flags.lock().expect("not poisoned").get(&id).cloned()
    }

    /// How many tasks' channels are open.
    pub fn open_tasks(&self) -> usize {
        self.flags.lock().expect("not poisoned").len()
    }

    /// A new task's id and the guard that stops it when dropped.
    fn open(&self) -> (u64, StopOnDrop) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let flag = Arc::new(StopFlag::default());
        self.flags
            .lock()
            .expect("not poisoned")
            .insert(id, flag.clone());
        let guard = StopOnDrop {
            id,
            flag,
            stops: self.clone(),
        };
        (id, guard)
    }
}

/// Stops its task and forgets it when dropped.
struct StopOnDrop {
    id: u64,
    flag: Arc<StopFlag>,
    stops: TaskStops,
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.flag.stop();
        self.stops
            .flags
            .lock()
            .expect("not poisoned")
            .remove(&self.id);
    }
}

/// A request body that stops its task when dropped.
struct GuardedBody {
    body: tonic::body::Body,
    _guard: StopOnDrop,
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The worker's gRPC service with a stop flag for every task (see the module docs).
#[derive(Clone)]
pub struct StopTasks<S> {
    inner: S,
    stops: TaskStops,
}

impl<S> StopTasks<S> {
    /// Wraps `inner`, registering its tasks' flags in `stops`.
    pub fn new(inner: S, stops: TaskStops) -> Self {
        StopTasks { inner, stops }
    }
}

impl<S> tower::Service<http::Request<tonic::body::Body>> for StopTasks<S>
where
    S: tower::Service<http::Request<tonic::body::Body>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> S::Future {
        request.headers_mut().remove(TASK_HEADER);
        if request.uri().path() != COORDINATOR_CHANNEL {
            return self.inner.call(request);
        }
        let (id, guard) = self.stops.open();
        request
            .headers_mut()
            .insert(TASK_HEADER, HeaderValue::from(id));
        self.inner.call(request.map(|body| {
            tonic::body::Body::new(GuardedBody {
                body,
                _guard: guard,
            })
        }))
    }
}

impl<S: tonic::server::NamedService> tonic::server::NamedService for StopTasks<S> {
    const NAME: &'static str = S::NAME;
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures::FutureExt;
    use tower::Service;

    use super::*;

    /// A service that keeps the requests it gets.
    #[derive(Clone, Default)]
    struct Keep(Arc<Mutex<Vec<http::Request<tonic::body::Body>>>>);

    impl Service<http::Request<tonic::body::Body>> for Keep {
        type Response = ();
        type Error = Infallible;
        type Future = futures::future::Ready<Result<(), Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
            self.0.lock().unwrap().push(request);
            futures::future::ready(Ok(()))
        }
    }

    /// A request body the client has not ended.
    struct Open;

    impl Body for Open {
        type Data = Bytes;
        type Error = tonic::Status;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
            Poll::Pending
        }
    }

    /// A request to `path` whose body stays open, naming a flag of its own choosing.
    fn open_request(path: &str) -> http::Request<tonic::body::Body> {
        let mut request = http::Request::new(tonic::body::Body::new(Open));
        *request.uri_mut() = path.parse().unwrap();
        request
            .headers_mut()
            .insert(TASK_HEADER, HeaderValue::from_static("7"));
        request
    }

    #[test]
    fn a_task_is_stopped_when_its_channel_ends() {
        let stops = TaskStops::default();
        let kept = Keep::default();
        let mut service = StopTasks::new(kept.clone(), stops.clone());
        service
            .call(open_request(COORDINATOR_CHANNEL))
            .now_or_never()
            .unwrap()
            .unwrap();
        let request = kept.0.lock().unwrap().pop().unwrap();
        let flag = stops
            .flag_of(request.headers())
            .expect("a flag for the task");
        assert!(!flag.is_stopped());
        assert_eq!(stops.open_tasks(), 1);
        drop(request);
        assert!(flag.is_stopped());
        assert_eq!(stops.open_tasks(), 0);
    }

    #[test]
    fn other_requests_get_no_flag_and_cannot_name_one() {
        let stops = TaskStops::default();
        let kept = Keep::default();
        let mut service = StopTasks::new(kept.clone(), stops.clone());
        let _open = service.call(open_request(COORDINATOR_CHANNEL));
        service
            .call(open_request("/worker.WorkerService/ExecuteTask"))
            .now_or_never()
            .unwrap()
            .unwrap();
        let request = kept.0.lock().unwrap().pop().unwrap();
        assert!(request.headers().get(TASK_HEADER).is_none());
        assert!(stops.flag_of(request.headers()).is_none());
    }
}
