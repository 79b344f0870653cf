//! Stopping a statement's work inside DataFusion's operators.
//!
//! Dropping a query's stream aborts its tasks, but an abort only lands when a
//! task yields, and an operator that multiplies rows (a cross join feeding an
//! aggregate) can run for minutes inside one poll. So every statement gets a
//! [`StopFlag`] in its session configuration, set on cancel, timeout or
//! disconnect, and the [`StopCheckRule`] puts a [`StopCheckExec`] above each
//! such operator: the consumer's next poll ends the work with an error.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, RecordBatchStream,
    SendableRecordBatchStream,
};
use futures::Stream;

/// Set when the running statement must stop (cancel request, timeout, client gone).
#[derive(Debug, Default)]
pub struct StopFlag(AtomicBool);

impl StopFlag {
    /// Asks the statement's operators to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the statement was asked to stop.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Operators that can produce many rows per input row or per poll: their output is checked.
const CHECKED_OPERATORS: &[&str] = &[
    "CrossJoinExec",
    "NestedLoopJoinExec",
    "HashJoinExec",
    "SortMergeJoinExec",
    "SymmetricHashJoinExec",
    "LazyMemoryExec",
];

/// Puts a [`StopCheckExec`] above every operator of [`CHECKED_OPERATORS`].
#[derive(Debug, Default)]
pub struct StopCheckRule;

impl PhysicalOptimizerRule for StopCheckRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if CHECKED_OPERATORS.contains(&node.name()) {
                Ok(Transformed::yes(
                    Arc::new(StopCheckExec { input: node }) as Arc<dyn ExecutionPlan>
                ))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "stop_check"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Passes its input through, ending it with an error once the statement's [`StopFlag`] is set.
#[derive(Debug)]
pub struct StopCheckExec {
    input: Arc<dyn ExecutionPlan>,
}

impl StopCheckExec {
    /// Checks the output of `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        StopCheckExec { input }
    }

    /// The checked operator.
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }
}

impl DisplayAs for StopCheckExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "StopCheckExec")
    }
}

impl ExecutionPlan for StopCheckExec {
    fn name(&self) -> &'static str {
        "StopCheckExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(StopCheckExec {
            input: children.swap_remove(0),
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let flag = context.session_config().get_extension::<StopFlag>();
        let input = self.input.execute(partition, context)?;
        Ok(match flag {
            Some(flag) => Box::pin(StopCheckStream { input, flag }),
            None => input,
        })
    }
}

struct StopCheckStream {
    input: SendableRecordBatchStream,
    flag: Arc<StopFlag>,
}

impl Stream for StopCheckStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.flag.is_stopped() {
            return Poll::Ready(Some(Err(DataFusionError::Execution(
                "the statement was stopped".into(),
            ))));
        }
        self.input.as_mut().poll_next(cx)
    }
}

impl RecordBatchStream for StopCheckStream {
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
}
