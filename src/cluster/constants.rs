//! The columns a plan knows to be constant, kept across network boundaries.
//!
//! DataFusion drops sort keys that are constant: under `WHERE account_id =
//! 'acc_001'`, the de-duplication window `PARTITION BY account_id,
//! message_id` is fed by a sort on `message_id` alone. datafusion-distributed
//! rebuilds a network boundary on a worker from its schema and partitioning
//! only, so the worker no longer knows that `account_id` is constant, and the
//! window above the boundary fails to decode ("Expects PARTITION BY expression
//! to be ordered").
//!
//! [`KeepConstantsRule`] (the last physical rule of a coordinator) puts a
//! [`KeepConstantsExec`] above every repartition and coalesce, the operators
//! the distributed planner turns into network boundaries, whose output has
//! constants; the node passes rows through and declares those constants, and
//! it travels with them (see [`super::codec`]). The declaration is sound: the
//! boundary moves the very rows the constants were derived for.

use std::fmt;
use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::config::ConfigOptions;
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{ConstExpr, PhysicalExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties, PlanProperties,
    SendableRecordBatchStream,
};

/// Passes its input through, declaring `constants` of its output.
#[derive(Debug)]
pub struct KeepConstantsExec {
    input: Arc<dyn ExecutionPlan>,
    constants: Vec<ConstExpr>,
    properties: Arc<PlanProperties>,
}

impl KeepConstantsExec {
    /// `input`, declared to have `constants`.
    pub fn try_new(input: Arc<dyn ExecutionPlan>, constants: Vec<ConstExpr>) -> Result<Self> {
        let mut eq_properties = input.equivalence_properties().clone();
        eq_properties.add_constants(constants.clone())?;
        let properties = input
            .properties()
            .as_ref()
            .clone()
            .with_eq_properties(eq_properties);
        Ok(KeepConstantsExec {
            input,
            constants,
            properties: Arc::new(properties),
        })
    }

    /// The declared constants.
    pub fn constants(&self) -> &[ConstExpr] {
        &self.constants
    }
}

impl DisplayAs for KeepConstantsExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let names: Vec<String> = self.constants.iter().map(|c| c.expr.to_string()).collect();
        write!(f, "KeepConstantsExec: [{}]", names.join(", "))
    }
}

impl ExecutionPlan for KeepConstantsExec {
    fn name(&self) -> &'static str {
        "KeepConstantsExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        let mut recursion = TreeNodeRecursion::Continue;
        for constant in &self.constants {
            recursion = f(&constant.expr)?;
            if recursion == TreeNodeRecursion::Stop {
                break;
            }
        }
        Ok(recursion)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(KeepConstantsExec::try_new(
            children.swap_remove(0),
            self.constants.clone(),
        )?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        self.input.execute(partition, context)
    }
}

/// Puts a [`KeepConstantsExec`] above each repartition and coalesce whose output has constants.
#[derive(Debug, Default)]
pub struct KeepConstantsRule;

impl PhysicalOptimizerRule for KeepConstantsRule {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            let boundary = node.is::<RepartitionExec>() || node.is::<CoalescePartitionsExec>();
            let constants = node.equivalence_properties().constants();
            if !boundary || constants.is_empty() {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(
                Arc::new(KeepConstantsExec::try_new(node, constants)?) as Arc<dyn ExecutionPlan>,
            ))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "keep_constants"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
