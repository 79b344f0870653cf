//! The PostgreSQL settings conversql reports (`SHOW`, `current_setting()`,
//! the start-up parameters) and the engine settings a session may change.
//! The session ([`crate::session`]) and the catalog functions
//! ([`crate::catalog`]) both read them from here; the `conversql.*` settings
//! are the config extension `ConversqlOptions` of the `conversql-udfs` crate.

use datafusion::prelude::SessionConfig;

use crate::names::{SERVER_VERSION, SERVER_VERSION_NUM};

/// The DataFusion settings every conversql session runs with, on the server
/// and on every cluster worker (which runs the server's plans and must read
/// and compute them the same way).
pub fn datafusion_settings(config: SessionConfig) -> SessionConfig {
    config
        .with_information_schema(false)
        .set_bool(
            "datafusion.execution.parquet.schema_force_view_types",
            false,
        )
        .set_str("datafusion.execution.time_zone", "UTC")
        // `1.5` and `100.0` are `numeric` in PostgreSQL, not `double precision`.
        .set_bool("datafusion.sql_parser.parse_float_as_decimal", true)
}

/// Postgres settings that clients read on connect, with the values conversql reports.
pub const FIXED_SETTINGS: &[(&str, &str)] = &[
    ("server_version", SERVER_VERSION),
    ("server_version_num", SERVER_VERSION_NUM),
    ("server_encoding", "UTF8"),
    ("client_encoding", "UTF8"),
    ("datestyle", "ISO, MDY"),
    ("intervalstyle", "postgres"),
    ("timezone", "UTC"),
    ("integer_datetimes", "on"),
    ("standard_conforming_strings", "on"),
    ("transaction_isolation", "read committed"),
    ("transaction isolation level", "read committed"),
    ("default_transaction_isolation", "read committed"),
    ("transaction_read_only", "on"),
    ("default_transaction_read_only", "on"),
    ("search_path", "public"),
    ("max_identifier_length", "63"),
    ("statement_timeout", "0"),
    ("lock_timeout", "0"),
    ("idle_in_transaction_session_timeout", "0"),
    ("extra_float_digits", "1"),
    ("application_name", ""),
    ("is_superuser", "off"),
    ("bytea_output", "hex"),
    ("client_min_messages", "notice"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
    ("lc_messages", "C"),
    ("lc_monetary", "C"),
    ("lc_numeric", "C"),
    ("lc_time", "C"),
    ("max_connections", "100"),
    ("default_text_search_config", "pg_catalog.english"),
    ("jit", "off"),
];

/// The engine (`datafusion.*`) settings a session may change: how `EXPLAIN`
/// shows a plan, nothing that changes what a statement may read, how much
/// memory or time it may take, or how its answer is computed. The others
/// (batch sizes, partitions, spilling, pushdowns, …) are the server's: a
/// session that sets one gets 42501.
pub const SETTABLE_ENGINE_SETTINGS: &[&str] = &[
    "datafusion.explain.format",
    "datafusion.explain.logical_plan_only",
    "datafusion.explain.physical_plan_only",
    "datafusion.explain.show_schema",
];

/// The value a Postgres setting has unless a session changed it (`current_setting()`).
pub fn default_setting(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    FIXED_SETTINGS
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| *v)
}
