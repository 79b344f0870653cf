//! conversql: an embedded analytical database for AI customer-agent analytics.
//!
//! It reads the Customer Agent platform's Parquet logs in place (local files,
//! S3 or memory) with Apache DataFusion, computes every number of the data
//! contract through SQL views and custom functions, and serves them over the
//! Postgres wire protocol.

pub mod at_time_zone;
pub mod bounded_values;
pub mod catalog;
pub mod cli;
pub mod client_rules;
pub mod cluster;
pub mod copy_out;
pub mod cursors;
pub mod data_quality;
pub mod dataset;
pub mod decimal_division;
pub mod declaration;
pub mod dialect;
pub mod display_scale;
pub mod engine;
pub mod error;
pub mod facts;
pub mod folder_listing;
pub mod inner_plan;
pub mod integer_literals;
#[cfg(test)]
mod layering;
pub mod limits;
pub mod local_date_bounds;
pub mod log_table;
pub mod names;
pub mod output;
pub mod pg_arithmetic;
pub mod pg_datetime;
pub mod pg_duration;
pub mod pg_literals;
pub mod pg_math;
pub mod pg_rounding;
pub mod pg_types;
pub mod report;
pub mod run_history;
pub mod s3;
pub mod scope;
pub mod server;
pub mod session;
pub mod settings;
pub mod spill;
pub mod stop;
pub mod store_location;
pub mod table_functions;
pub mod temp_views;
pub mod user_views;
pub mod views;

/// The data contract's tables (the `conversql-contract` crate).
pub use conversql_contract as contract;
pub use engine::{Engine, EngineOptions};
pub use error::{Error, Result};
pub use session::Session;
