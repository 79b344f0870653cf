//! A bound user's scans, spread over the workers like anyone's.
//!
//! datafusion-distributed splits a Parquet scan (`DataSourceExec` over a
//! `FileScanConfig`) into one scan per task; a [`ScopedScanExec`] hides its
//! file scan (see [`crate::scope`]), so without these handlers the planner saw
//! an opaque leaf of one task and a bound user's query ran on the coordinator
//! alone. The handlers do for the scoped scan what datafusion-distributed's own
//! do for the file scan it hides — the same task count from the bytes to read,
//! the same split of its files — and give each task a scoped scan of its share
//! of the files, with the same accounts: the scope stays the leaf every task runs.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::common::Result;
use datafusion::datasource::physical_plan::{FileGroupPartitioner, FileScanConfig};
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties};
use datafusion_distributed::{
    DesiredTaskCountEvent, DesiredTaskCountEventResponse, DesiredTaskCountHandler,
    DistributedConfig, DistributedLeafExec, ScaleUpLeafNodeEvent, ScaleUpLeafNodeEventResponse,
};

use crate::scope::{AccountScope, ScopedScanExec};

/// The scoped scan of `plan` and the file scan it hides, when `plan` is one.
fn scoped_file_scan(plan: &Arc<dyn ExecutionPlan>) -> Option<(&ScopedScanExec, &FileScanConfig)> {
    let scoped = plan.downcast_ref::<ScopedScanExec>()?;
    let source = scoped.inner().downcast_ref::<DataSourceExec>()?;
    let files = source.data_source().downcast_ref::<FileScanConfig>()?;
    Some((scoped, files))
}

/// How many tasks a scoped scan wants: as many as its files' bytes fill at
/// `file_scan_config_bytes_per_partition` each, per `target_partitions`.
#[derive(Debug, Default, Clone, Copy)]
pub struct ScopedScanTaskCount;

#[async_trait]
impl DesiredTaskCountHandler for ScopedScanTaskCount {
    async fn handle(
        &self,
        ev: DesiredTaskCountEvent<'_>,
    ) -> Option<Result<DesiredTaskCountEventResponse>> {
        let (_, files) = scoped_file_scan(ev.plan)?;
        let config = match DistributedConfig::from_session_config(ev.session_config) {
            Ok(config) => config,
            Err(e) => return Some(Err(e)),
        };
        let bytes: usize = files
            .file_groups
            .iter()
            .flat_map(datafusion::datasource::physical_plan::FileGroup::files)
            .map(|file| usize::try_from(file.effective_size()).unwrap_or(usize::MAX))
            .sum();
        let tasks = bytes
            .div_ceil(config.file_scan_config_bytes_per_partition.max(1))
            .div_ceil(ev.session_config.target_partitions().max(1));
        Some(Ok(DesiredTaskCountEventResponse::desired(tasks)))
    }
}

/// Splits a scoped scan into `task_count` scoped scans of a share of its files each.
pub fn scale_up_scoped_scan(
    ev: ScaleUpLeafNodeEvent,
) -> Option<Result<ScaleUpLeafNodeEventResponse>> {
    let (scoped, files) = scoped_file_scan(ev.plan)?;
    Some(split(ev.plan, scoped, files, ev.task_count))
}

fn split(
    plan: &Arc<dyn ExecutionPlan>,
    scoped: &ScopedScanExec,
    files: &FileScanConfig,
    task_count: usize,
) -> Result<ScaleUpLeafNodeEventResponse> {
    let partitions = plan.output_partitioning().partition_count();
    let groups = FileGroupPartitioner::new()
        .with_target_partitions(partitions * task_count)
        .with_repartition_file_min_size(0)
        .with_preserve_order_within_groups(!files.output_ordering.is_empty())
        .repartition_file_groups(&files.file_groups)
        .unwrap_or_else(|| files.file_groups.clone());
    let mut template = files.clone();
    template.file_groups.clear();
    let mut per_task = vec![template; task_count];
    for (i, group) in groups.into_iter().enumerate() {
        per_task[i % task_count].file_groups.push(group);
    }
    let scope = AccountScope::new(scoped.accounts().to_vec());
    let variants = per_task
        .into_iter()
        .map(|files| {
            let inner = DataSourceExec::from_data_source(files) as Arc<dyn ExecutionPlan>;
            ScopedScanExec::try_new(
                scoped.table(),
                inner,
                &scope,
                Some(scoped.projection().to_vec()),
                scoped.limit(),
            )
            .map(|scan| Arc::new(scan) as Arc<dyn ExecutionPlan>)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ScaleUpLeafNodeEventResponse::new(Arc::new(
        DistributedLeafExec::try_new(plan.clone(), variants)?,
    )))
}
