//! Query execution on its own thread pool.
//!
//! DataFusion's operators are CPU-bound. Run on the runtime that serves the
//! sockets, a heavy query would starve every other connection, cancel
//! requests and timers included. So results are produced on a dedicated
//! runtime (one worker per core) and handed to the connection through a
//! small bounded channel: the channel gives back-pressure (a slow client
//! pauses the query instead of buffering its result), and dropping the
//! receiving side (cancel, timeout, client gone) aborts the producer, which
//! drops DataFusion's stream and its tasks.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrame;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_plan::{RecordBatchStream, SendableRecordBatchStream};
use futures::{Stream, StreamExt};
use tokio::runtime::{Builder, Runtime};
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::AbortOnDropHandle;

/// Batches in flight between the query and the connection.
const CHANNEL_BATCHES: usize = 2;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("conversql-query")
            .thread_stack_size(crate::limits::THREAD_STACK_BYTES)
            .enable_all()
            .build()
            .expect("the query runtime starts")
    })
}

/// Starts `df` on the query runtime and returns its result stream, readable from any runtime.
pub async fn execute_stream(df: DataFrame) -> Result<SendableRecordBatchStream> {
    let (schema_tx, schema_rx) = oneshot::channel();
    let (tx, rx) = mpsc::channel::<Result<RecordBatch>>(CHANNEL_BATCHES);
    let task = runtime().spawn(async move {
        let mut stream = match df.execute_stream().await {
            Ok(stream) => {
                let _ = schema_tx.send(Ok(stream.schema()));
                stream
            }
            Err(e) => {
                let _ = schema_tx.send(Err(e));
                return;
            }
        };
        while let Some(batch) = stream.next().await {
            let failed = batch.is_err();
            if tx.send(batch).await.is_err() || failed {
                break;
            }
        }
    });
    let task = AbortOnDropHandle::new(task);
    let schema = schema_rx.await.map_err(|_| {
        DataFusionError::Execution("the query task ended before it started".into())
    })??;
    Ok(Box::pin(ChannelStream {
        schema,
        rx,
        _task: task,
    }))
}

/// The receiving end of a query running on the query runtime; dropping it aborts the query.
struct ChannelStream {
    schema: SchemaRef,
    rx: mpsc::Receiver<Result<RecordBatch>>,
    _task: AbortOnDropHandle<()>,
}

impl Stream for ChannelStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl RecordBatchStream for ChannelStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
