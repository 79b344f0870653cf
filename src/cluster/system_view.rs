//! `conversql_cluster_workers()`, the table function behind the
//! `cluster_workers` view: each worker of the coordinator's cluster, its state
//! and what it did (see [`super::coordinator`]). Empty on a single node, and
//! for a user bound to accounts: the work of a worker is every tenant's.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use super::coordinator::{Cluster, WorkerStatus};
use crate::declaration::Declaration;
use crate::scope::AccountScope;

/// The table function behind the `cluster_workers` view.
pub const FUNCTION: &str = "conversql_cluster_workers";

/// The columns of `cluster_workers`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("url", DataType::Utf8, false),
        Field::new("state", DataType::Utf8, false),
        Field::new("tasks_run", DataType::Int64, false),
        Field::new("rows_out", DataType::Int64, false),
        Field::new("last_error", DataType::Utf8, true),
        Field::new(
            "last_seen",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
    ]))
}

/// The declaration of `conversql_cluster_workers()`.
pub fn declaration() -> Declaration {
    Declaration {
        name: FUNCTION,
        parameters: vec![],
        description: "The rows of the cluster_workers view: each worker of the server's cluster (--workers), its state and the work it did (docs/cluster.md).",
        columns: schema(),
    }
}

/// `conversql_cluster_workers()` over the engine's cluster (`None`: a single node, no rows).
#[derive(Debug, Clone)]
pub struct ClusterWorkersFunction {
    cluster: Option<Arc<Cluster>>,
}

impl ClusterWorkersFunction {
    /// The function over `cluster`.
    pub fn new(cluster: Option<Arc<Cluster>>) -> Self {
        ClusterWorkersFunction { cluster }
    }
}

impl TableFunctionImpl for ClusterWorkersFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        declaration().arguments(args.exprs())?;
        Ok(Arc::new(ClusterWorkersTable {
            cluster: self.cluster.clone(),
        }))
    }
}

/// The table the function returns: the workers' states when scanned.
#[derive(Debug)]
struct ClusterWorkersTable {
    cluster: Option<Arc<Cluster>>,
}

#[async_trait]
impl TableProvider for ClusterWorkersTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = match &self.cluster {
            Some(cluster) if AccountScope::of(state.config()).is_none() => cluster.status(),
            _ => vec![],
        };
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![to_batch(&rows)?]],
            schema(),
            projection.cloned(),
        )?)
    }
}

fn to_batch(rows: &[WorkerStatus]) -> Result<RecordBatch> {
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| &r.url))),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.state.name()),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| count(r.tasks_run)),
        )),
        Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| count(r.rows_out)),
        )),
        Arc::new(
            rows.iter()
                .map(|r| r.last_error.as_deref())
                .collect::<StringArray>(),
        ),
        Arc::new(
            rows.iter()
                .map(|r| {
                    r.last_seen
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .and_then(|d| i64::try_from(d.as_micros()).ok())
                })
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
    ];
    Ok(RecordBatch::try_new(schema(), columns)?)
}
