//! The same SQL on a cluster of worker processes, on datafusion-distributed.
//!
//! `conversql serve --workers URL,…` plans every query as before; the
//! distributed planner then cuts the physical plan at its shuffles into
//! stages, sends the stages' plans (protobuf, [`codec`] for conversql's own
//! nodes) to `conversql worker` processes ([`worker`]), and runs the head
//! stage on the coordinator ([`coordinator`]), which also keeps the workers'
//! states for the `cluster_workers` view. Workers check the coordinator's
//! shared secret on every request ([`auth`]).
//!
//! Only physical plans travel: views, table providers, account scope, `as_of`
//! and settings are resolved on the coordinator, so the scans a worker gets
//! are already limited to a bound user's accounts.

pub mod auth;
pub mod codec;
pub mod constants;
pub mod coordinator;
pub mod explain;
pub mod scoped_tasks;
pub mod system_view;
pub mod task_stop;
pub mod worker;

/// The version a worker reports and a coordinator requires: plans are only
/// exchanged between processes of the same conversql version.
pub fn worker_version() -> String {
    format!("conversql {}", env!("CARGO_PKG_VERSION"))
}
