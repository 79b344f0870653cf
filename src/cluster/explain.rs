//! `EXPLAIN` on a coordinator: the stages and their tasks.
//!
//! DataFusion's `EXPLAIN` builds the query's physical plan inside its own
//! physical planner, without the session's query planner, so on a cluster it
//! would show the plan as one node would run it. [`explain`] plans the query
//! as it will run — through datafusion-distributed's planner — and shows that
//! plan with its stages (`[Stage N] => …`, the tasks of each), followed by
//! the workers the tasks are placed on when the query runs (the workers up at
//! that moment, see `cluster_workers`). `EXPLAIN VERBOSE` and `EXPLAIN
//! ANALYZE` are DataFusion's (the latter runs distributed and shows the
//! stages with their metrics).

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::Result;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::SessionContext;
use datafusion_distributed::{display_plan_ascii, get_distributed_worker_resolver};

/// The rows of `EXPLAIN` for `plan` when the session distributes queries and
/// `plan` is a plain `EXPLAIN`; `None` otherwise (DataFusion's EXPLAIN then applies).
///
/// Every query passes here: the session's state is only taken (a copy) for an `EXPLAIN`.
pub async fn explain(ctx: &SessionContext, plan: &LogicalPlan) -> Result<Option<RecordBatch>> {
    let LogicalPlan::Explain(explain) = plan else {
        return Ok(None);
    };
    let state = ctx.state();
    let Ok(workers) = get_distributed_worker_resolver(state.config()) else {
        return Ok(None);
    };
    if explain.verbose {
        return Ok(None);
    }
    let logical = state.optimize(&explain.plan)?;
    let physical = state.create_physical_plan(&explain.plan).await?;
    let placed_on = match workers.get_urls()? {
        urls if urls.is_empty() => {
            "no worker is up: the whole plan runs on this server".to_string()
        }
        urls => {
            let mut urls: Vec<String> = urls.iter().map(ToString::to_string).collect();
            urls.dedup();
            format!(
                "stage tasks run on the workers up when the query starts (now: {}); the head stage on this server",
                urls.join(", ")
            )
        }
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("plan_type", DataType::Utf8, false),
        Field::new("plan", DataType::Utf8, false),
    ]));
    Ok(Some(RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec![
                "logical_plan",
                "physical_plan",
                "placement",
            ])),
            Arc::new(StringArray::from(vec![
                logical.display_indent().to_string(),
                display_plan_ascii(physical.as_ref(), false),
                placed_on,
            ])),
        ],
    )?))
}
