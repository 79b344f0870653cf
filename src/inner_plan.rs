//! Plans built inside a table provider's scan (the raw path of a stored
//! table, a table function's query, a catalog view) are planned without the
//! session's query planner.
//!
//! On a cluster the session's query planner is datafusion-distributed's: it
//! would wrap the inner plan in a `DistributedExec` of its own, which then
//! sits, with its single partition, inside the outer plan that the same
//! planner distributes as a whole ("DistributedExec must only have 1
//! partition"). Planning the inner query with DataFusion's default physical
//! planner leaves the distribution to the outer plan; on a single node the
//! session's planner is that default one, so nothing changes there.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

/// `plan` optimised and planned as DataFusion plans it, for use inside another plan.
pub async fn plan_inner(
    state: &SessionState,
    plan: &LogicalPlan,
) -> Result<Arc<dyn ExecutionPlan>> {
    let optimized = state.optimize(plan)?;
    DefaultPhysicalPlanner::default()
        .create_physical_plan(&optimized, state)
        .await
}
