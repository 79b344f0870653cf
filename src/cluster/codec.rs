//! conversql's own plan nodes as bytes, so that they travel to cluster workers.
//!
//! DataFusion's protobuf codec (`datafusion-proto`) carries every built-in
//! operator and the Parquet and in-memory scans; this codec adds the nodes
//! conversql puts in physical plans:
//! - [`StopCheckExec`] (the statement's stop check, see [`crate::stop`]): on a
//!   worker the statement's [`crate::stop::StopFlag`] is not in the task's
//!   configuration, so the node passes rows through there; the coordinator's
//!   check above the network boundary still stops the statement, and dropping
//!   its stream cancels the workers' tasks.
//! - [`KeepConstantsExec`] (the constants a network boundary keeps, see
//!   [`super::constants`]): encoded with its constants.
//! - [`ScopedScanExec`] (a bound user's account scope, see [`crate::scope`]):
//!   encoded with its accounts and the file scan it hides, so a worker never
//!   receives an unscoped scan for a bound user.

use std::sync::Arc;

use datafusion::common::{Result, internal_datafusion_err, internal_err};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::expressions::{Literal, lit};
use datafusion::physical_expr::{AcrossPartitions, ConstExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::{PhysicalExprNode, PhysicalPlanNode};
use prost::Message;

use super::constants::KeepConstantsExec;
use crate::scope::{AccountScope, ScopedScanExec};
use crate::stop::StopCheckExec;

/// One conversql plan node.
#[derive(Clone, PartialEq, prost::Message)]
struct NodeProto {
    #[prost(oneof = "Node", tags = "1, 2, 3")]
    node: Option<Node>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Node {
    #[prost(message, tag = "1")]
    StopCheck(StopCheckProto),
    #[prost(message, tag = "2")]
    ScopedScan(ScopedScanProto),
    #[prost(message, tag = "3")]
    KeepConstants(KeepConstantsProto),
}

/// [`KeepConstantsExec`]: its input is the plan's child.
#[derive(Clone, PartialEq, prost::Message)]
struct KeepConstantsProto {
    #[prost(message, repeated, tag = "1")]
    constants: Vec<ConstantProto>,
}

/// One constant: the expression, and its value when it is the same in every partition.
#[derive(Clone, PartialEq, prost::Message)]
struct ConstantProto {
    #[prost(bytes = "vec", tag = "1")]
    expr: Vec<u8>,
    #[prost(bool, tag = "2")]
    uniform: bool,
    /// A literal expression of the value (empty: uniform but unknown, or not uniform).
    #[prost(bytes = "vec", tag = "3")]
    value: Vec<u8>,
}

/// [`StopCheckExec`]: its input is the plan's child.
#[derive(Clone, PartialEq, prost::Message)]
struct StopCheckProto {}

/// [`ScopedScanExec`]: the hidden file scan travels inside it.
#[derive(Clone, PartialEq, prost::Message)]
struct ScopedScanProto {
    #[prost(string, tag = "1")]
    table: String,
    #[prost(string, repeated, tag = "2")]
    accounts: Vec<String>,
    #[prost(bytes = "vec", tag = "3")]
    inner: Vec<u8>,
    #[prost(uint64, repeated, tag = "4")]
    projection: Vec<u64>,
    #[prost(uint64, optional, tag = "5")]
    limit: Option<u64>,
}

/// The codec of conversql's plan nodes, given to the coordinator and to every worker.
#[derive(Debug, Default, Clone, Copy)]
pub struct ConversqlCodec;

impl PhysicalExtensionCodec for ConversqlCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let node = NodeProto::decode(buf)
            .map_err(|e| internal_datafusion_err!("a conversql plan node does not decode: {e}"))?;
        match node.node {
            Some(Node::StopCheck(_)) => {
                let [input] = inputs else {
                    return internal_err!("StopCheckExec has one input, not {}", inputs.len());
                };
                Ok(Arc::new(StopCheckExec::new(input.clone())))
            }
            Some(Node::ScopedScan(scan)) => {
                let inner = PhysicalPlanNode::decode(scan.inner.as_slice()).map_err(|e| {
                    internal_datafusion_err!("the scan of {} does not decode: {e}", scan.table)
                })?;
                let inner = proto_converter
                    .proto_to_execution_plan(&inner, &PhysicalPlanDecodeContext::new(ctx, self))?;
                let projection = scan
                    .projection
                    .iter()
                    .map(|&i| usize::try_from(i))
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| internal_datafusion_err!("a column index: {e}"))?;
                let limit = scan
                    .limit
                    .map(usize::try_from)
                    .transpose()
                    .map_err(|e| internal_datafusion_err!("a scan limit: {e}"))?;
                Ok(Arc::new(ScopedScanExec::try_new(
                    scan.table,
                    inner,
                    &AccountScope::new(scan.accounts),
                    Some(projection),
                    limit,
                )?))
            }
            Some(Node::KeepConstants(keep)) => {
                let [input] = inputs else {
                    return internal_err!("KeepConstantsExec has one input, not {}", inputs.len());
                };
                let schema = input.schema();
                let context = PhysicalPlanDecodeContext::new(ctx, self);
                let expr = |bytes: &[u8]| {
                    let node = PhysicalExprNode::decode(bytes)
                        .map_err(|e| internal_datafusion_err!("a constant does not decode: {e}"))?;
                    proto_converter.proto_to_physical_expr(&node, &schema, &context)
                };
                let mut constants = vec![];
                for constant in keep.constants {
                    let across_partitions = match (constant.uniform, constant.value.is_empty()) {
                        (false, _) => AcrossPartitions::Heterogeneous,
                        (true, true) => AcrossPartitions::Uniform(None),
                        (true, false) => {
                            let value = expr(&constant.value)?;
                            let literal = value.downcast_ref::<Literal>().ok_or_else(|| {
                                internal_datafusion_err!("a constant's value is not a literal")
                            })?;
                            AcrossPartitions::Uniform(Some(literal.value().clone()))
                        }
                    };
                    constants.push(ConstExpr::new(expr(&constant.expr)?, across_partitions));
                }
                Ok(Arc::new(KeepConstantsExec::try_new(
                    input.clone(),
                    constants,
                )?))
            }
            None => internal_err!("an empty conversql plan node"),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        let node = if node.downcast_ref::<StopCheckExec>().is_some() {
            Node::StopCheck(StopCheckProto {})
        } else if let Some(scan) = node.downcast_ref::<ScopedScanExec>() {
            let inner = proto_converter.execution_plan_to_proto(scan.inner(), self)?;
            Node::ScopedScan(ScopedScanProto {
                table: scan.table().to_string(),
                accounts: scan.accounts().to_vec(),
                inner: inner.encode_to_vec(),
                projection: scan.projection().iter().map(|&i| i as u64).collect(),
                limit: scan.limit().map(|l| l as u64),
            })
        } else if let Some(keep) = node.downcast_ref::<KeepConstantsExec>() {
            let mut constants = vec![];
            for constant in keep.constants() {
                let (uniform, value) = match &constant.across_partitions {
                    AcrossPartitions::Heterogeneous => (false, vec![]),
                    AcrossPartitions::Uniform(None) => (true, vec![]),
                    AcrossPartitions::Uniform(Some(value)) => (
                        true,
                        proto_converter
                            .physical_expr_to_proto(&lit(value.clone()), self)?
                            .encode_to_vec(),
                    ),
                };
                constants.push(ConstantProto {
                    expr: proto_converter
                        .physical_expr_to_proto(&constant.expr, self)?
                        .encode_to_vec(),
                    uniform,
                    value,
                });
            }
            Node::KeepConstants(KeepConstantsProto { constants })
        } else {
            return internal_err!(
                "{} cannot be sent to a cluster worker (no codec knows it)",
                node.name()
            );
        };
        NodeProto { node: Some(node) }
            .encode(buf)
            .map_err(|e| internal_datafusion_err!("a conversql plan node does not encode: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion::common::ScalarValue;
    use datafusion::physical_expr::expressions::col;
    use datafusion::physical_plan::ExecutionPlanProperties;
    use datafusion::physical_plan::displayable;
    use datafusion::physical_plan::empty::EmptyExec;
    use datafusion_proto::physical_plan::AsExecutionPlan;

    fn scan() -> Arc<dyn ExecutionPlan> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("account_id", DataType::Utf8, false),
            Field::new("body", DataType::Utf8, true),
        ]));
        Arc::new(EmptyExec::new(schema))
    }

    /// `plan` through protobuf and back, as a worker receives it.
    fn round_trip(plan: Arc<dyn ExecutionPlan>) -> Arc<dyn ExecutionPlan> {
        let node = PhysicalPlanNode::try_from_physical_plan(plan, &ConversqlCodec).unwrap();
        let bytes = node.encode_to_vec();
        PhysicalPlanNode::decode(bytes.as_slice())
            .unwrap()
            .try_into_physical_plan(&TaskContext::default(), &ConversqlCodec)
            .unwrap()
    }

    #[test]
    fn a_scoped_scan_travels_with_its_accounts_and_its_hidden_scan() {
        let scope = AccountScope::new(vec!["acc_001".into(), "acc_002".into()]);
        let scoped =
            ScopedScanExec::try_new("raw.messages", scan(), &scope, Some(vec![1]), Some(7))
                .unwrap();
        let plan = round_trip(Arc::new(scoped));
        let decoded = plan
            .downcast_ref::<ScopedScanExec>()
            .expect("a scoped scan");
        assert_eq!(decoded.accounts(), ["acc_001", "acc_002"]);
        assert_eq!(decoded.projection(), [1]);
        assert_eq!(decoded.limit(), Some(7));
        assert_eq!(
            displayable(decoded.inner().as_ref()).one_line().to_string(),
            displayable(scan().as_ref()).one_line().to_string()
        );
    }

    #[test]
    fn constants_and_stop_checks_travel() {
        let input = scan();
        let constant = ConstExpr::new(
            col("account_id", &input.schema()).unwrap(),
            AcrossPartitions::Uniform(Some(ScalarValue::Utf8(Some("acc_001".into())))),
        );
        let keep = KeepConstantsExec::try_new(input, vec![constant]).unwrap();
        let stop = StopCheckExec::new(Arc::new(keep));
        let plan = round_trip(Arc::new(stop));
        assert!(plan.downcast_ref::<StopCheckExec>().is_some());
        let keep = plan.children()[0].clone();
        let constants = keep.equivalence_properties().constants();
        assert_eq!(constants.len(), 1, "{constants:?}");
        assert_eq!(constants[0].expr.to_string(), "account_id@0");
        assert_eq!(
            constants[0].across_partitions,
            AcrossPartitions::Uniform(Some(ScalarValue::Utf8(Some("acc_001".into()))))
        );
    }
}
