//! Per-user account isolation: a user bound to a list of account_ids sees
//! only those accounts' rows, in every view, table function and raw table.
//!
//! The scope is a typed extension of the session configuration, which SQL
//! cannot reach (no `SET` names it). Every contract table applies it when it
//! is scanned, below every view and table function, so there is no path from
//! SQL to other accounts' rows.
//!
//! The scope is a barrier, not a conjunct. Applied as a `FilterExec` with the
//! account predicate, DataFusion's filter pushdown merged the user's own
//! predicate into the same filter, ahead of the account test, so an
//! expression that fails on a row (`CAST(body AS INT)`) reported a row of
//! another account in its error, and `EXPLAIN ANALYZE` counted their rows. A
//! scoped scan is therefore one opaque leaf, [`ScopedScanExec`]: the file scan
//! it drives is not one of its children, so no optimizer rule (filter,
//! projection, limit or dynamic-filter pushdown, or a future one) can place
//! anything between the files and the account test, and plans and metrics
//! show only the rows that passed it.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, ScalarValue};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::expressions::{col, in_list, lit};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::metrics::{BaselineMetrics, ExecutionPlanMetricsSet, MetricsSet};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    RecordBatchStream, SendableRecordBatchStream,
};
use datafusion::prelude::SessionConfig;
use futures::{Stream, StreamExt};

/// The accounts a session may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountScope {
    accounts: Vec<String>,
}

impl AccountScope {
    /// A scope limited to `accounts`.
    pub fn new(accounts: Vec<String>) -> Self {
        AccountScope { accounts }
    }

    /// The visible account_ids.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Whether `account` is visible.
    pub fn contains(&self, account: &str) -> bool {
        self.accounts.iter().any(|a| a == account)
    }

    /// The scope of a session configuration, if it has one.
    pub fn of(config: &SessionConfig) -> Option<Arc<AccountScope>> {
        config.get_extension::<AccountScope>()
    }
}

/// A scan limited to the scope's accounts, as one leaf of the plan: it runs
/// `inner` (the unscoped file scan, which it hides), keeps the rows whose
/// `account_id` is in scope, then the columns of `projection`, at most
/// `limit` rows per partition.
#[derive(Debug)]
pub struct ScopedScanExec {
    table: String,
    accounts: Vec<String>,
    inner: Arc<dyn ExecutionPlan>,
    predicate: Arc<dyn PhysicalExpr>,
    projection: Vec<usize>,
    limit: Option<usize>,
    properties: Arc<PlanProperties>,
    metrics: ExecutionPlanMetricsSet,
}

impl ScopedScanExec {
    /// Scopes `inner`, whose schema has an `account_id` column, to `scope`;
    /// the output has the columns `projection` (all when `None`) of `inner`.
    pub fn try_new(
        table: impl Into<String>,
        inner: Arc<dyn ExecutionPlan>,
        scope: &AccountScope,
        projection: Option<Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Self> {
        let inner_schema = inner.schema();
        let accounts: Vec<Arc<dyn PhysicalExpr>> = scope
            .accounts()
            .iter()
            .map(|a| lit(ScalarValue::Utf8(Some(a.clone()))))
            .collect();
        let predicate = in_list(
            col("account_id", &inner_schema)?,
            accounts,
            &false,
            &inner_schema,
        )?;
        let projection = projection.unwrap_or_else(|| (0..inner_schema.fields().len()).collect());
        let schema = Arc::new(inner_schema.project(&projection)?);
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(inner.output_partitioning().partition_count()),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(ScopedScanExec {
            table: table.into(),
            accounts: scope.accounts().to_vec(),
            inner,
            predicate,
            projection,
            limit,
            properties: Arc::new(properties),
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }
}

impl ScopedScanExec {
    /// The scanned table's name (for plans and errors).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The accounts whose rows the scan keeps.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// The unscoped file scan it drives.
    pub fn inner(&self) -> &Arc<dyn ExecutionPlan> {
        &self.inner
    }

    /// The columns of the inner scan it outputs.
    pub fn projection(&self) -> &[usize] {
        &self.projection
    }

    /// The most rows per partition.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }
}

impl DisplayAs for ScopedScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let schema = self.schema();
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        write!(
            f,
            "ScopedScanExec: table={}, accounts=[{}], projection=[{}]",
            self.table,
            self.accounts.join(", "),
            columns.join(", ")
        )?;
        if let Some(limit) = self.limit {
            write!(f, ", limit={limit}")?;
        }
        Ok(())
    }
}

impl ExecutionPlan for ScopedScanExec {
    fn name(&self) -> &'static str {
        "ScopedScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    /// None: the file scan below the account test is not part of the plan tree.
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            datafusion::common::internal_err!("ScopedScanExec is a leaf and takes no children")
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.inner.execute(partition, context)?;
        Ok(Box::pin(ScopedStream {
            schema: self.schema(),
            input,
            predicate: self.predicate.clone(),
            projection: self.projection.clone(),
            remaining: self.limit,
            metrics: BaselineMetrics::new(&self.metrics, partition),
        }))
    }

    /// Only the figures of the rows that passed the account test.
    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// The rows of one partition of the inner scan that are in scope.
struct ScopedStream {
    schema: SchemaRef,
    input: SendableRecordBatchStream,
    predicate: Arc<dyn PhysicalExpr>,
    projection: Vec<usize>,
    remaining: Option<usize>,
    metrics: BaselineMetrics,
}

impl ScopedStream {
    fn scope(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        let _timer = self.metrics.elapsed_compute().timer();
        let keep = self
            .predicate
            .evaluate(batch)?
            .into_array(batch.num_rows())?;
        let kept = filter_record_batch(batch, keep.as_boolean())?.project(&self.projection)?;
        Ok(match &mut self.remaining {
            Some(remaining) => {
                let take = kept.num_rows().min(*remaining);
                *remaining -= take;
                kept.slice(0, take)
            }
            None => kept,
        })
    }
}

impl Stream for ScopedStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.remaining == Some(0) {
                return Poll::Ready(None);
            }
            let batch = match std::task::ready!(self.input.poll_next_unpin(cx)) {
                Some(Ok(batch)) => batch,
                other => return self.metrics.record_poll(Poll::Ready(other)),
            };
            match self.scope(&batch) {
                Ok(kept) if kept.num_rows() == 0 => {}
                outcome => return self.metrics.record_poll(Poll::Ready(Some(outcome))),
            }
        }
    }
}

impl RecordBatchStream for ScopedStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}
