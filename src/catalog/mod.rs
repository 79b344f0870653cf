//! The Postgres catalog as clients see it, on top of `datafusion-pg-catalog`:
//! documentation of every view and column (`obj_description`,
//! `col_description`, `pg_description`), the views in `pg_views`,
//! conversql's functions in `pg_proc` (psql's `\df`), and the catalog
//! functions drivers and BI tools call (`version()`, `pg_function_is_visible`,
//! `pg_get_serial_sequence`, …).
//!
//! [`register`] runs right after `setup_pg_catalog`; everything it serves is
//! computed when a query reads it, so views loaded later are included.

pub mod array_subquery;
pub mod asyncpg_introspection;
pub mod constraint_functions;
pub mod docs;
pub mod driver_compat;
pub mod functions;
pub mod index;
pub mod information_schema;
pub mod overlay;
pub mod parse_ident;
pub mod pg_functions;
pub mod regproc_compare;
pub mod reshape;
pub mod rewrite;
pub mod search_path_subquery;
pub mod session_characteristics;

use std::sync::Arc;

use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};
use crate::names::{DATABASE, PUBLIC_SCHEMA, RAW_SCHEMA};
use crate::views::ViewSource;

/// The comment of a schema (`obj_description(oid, 'pg_namespace')`, psql's `\dn+`).
pub fn schema_comment(schema: &str) -> Option<&'static str> {
    match schema {
        PUBLIC_SCHEMA => Some(
            "The SQL surface of the data contract: views over the logs (docs/contract.md section 9).",
        ),
        RAW_SCHEMA => Some(
            "The contract tables as written in the Parquet logs, before de-duplication (docs/contract.md section 2).",
        ),
        _ => None,
    }
}

/// Replaces the `pg_catalog` schema of `ctx` by the documented overlay and
/// registers the catalog functions. `views` are the view files the engine
/// loads (their `-- @comment`/`-- @column` lines document them).
pub fn register(ctx: &SessionContext, views: &[ViewSource]) -> Result<()> {
    let catalog = ctx
        .catalog(DATABASE)
        .ok_or_else(|| Error::config(format!("catalog {DATABASE} missing")))?;
    let inner = catalog
        .schema("pg_catalog")
        .ok_or_else(|| Error::config("pg_catalog must be set up before the catalog overlay"))?;
    let index = Arc::new(index::Index::new(docs::collect(views), inner));
    catalog.register_schema(
        "pg_catalog",
        Arc::new(overlay::PgCatalogOverlay::new(index.clone())),
    )?;
    pg_functions::register(ctx, index);
    Ok(())
}
