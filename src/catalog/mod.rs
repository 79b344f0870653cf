//! The Postgres catalog as clients see it, on top of `datafusion-pg-catalog`:
//! documentation of every view and column (`obj_description`,
//! `col_description`, `pg_description`), the views in `pg_views`,
//! conversql's functions in `pg_proc` (psql's `\df`, derived from the
//! functions' own documentation and declarations, see [`functions`]), the
//! session's `conversql.*` settings in `pg_settings`, and the catalog
//! functions drivers and BI tools call (`version()`, `pg_function_is_visible`,
//! `pg_get_serial_sequence`, …).
//!
//! [`register`] runs right after `setup_pg_catalog`; everything it serves is
//! computed when a query reads it, so views loaded later are included.

pub mod array_subquery;
pub mod asyncpg_introspection;
pub mod column_types;
pub mod constraint_functions;
pub mod docs;
pub mod driver_compat;
mod format_type;
pub mod functions;
pub mod index;
pub mod information_schema;
pub mod overlay;
pub mod parse_ident;
pub mod pg_functions;
pub mod regproc_compare;
pub mod reshape;
pub mod rewrite;
pub mod rule_functions;
pub mod sql_view;
pub mod temp_relations;

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
    functions::functions().map_err(|e| Error::config(format!("pg_proc: {e}")))?;
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
    format_type::register(ctx);
    Ok(())
}

/// Documents the views defined from SQL in the catalog of `ctx`
/// (`obj_description`, `col_description`, `pg_views.definition`).
pub fn set_view_docs(ctx: &SessionContext, views: Vec<(String, docs::RelationDoc)>) {
    let overlay = ctx
        .catalog(DATABASE)
        .and_then(|c| c.schema("pg_catalog"))
        .and_then(|s| {
            let any: &dyn std::any::Any = s.as_ref();
            any.downcast_ref::<overlay::PgCatalogOverlay>()
                .map(overlay::PgCatalogOverlay::index)
        });
    if let Some(index) = overlay {
        index.set_view_docs(views);
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::DataType;

    /// The rows of a query, every value as text (NULL as `NULL`).
    pub(super) async fn rows(session: &mut crate::Session, sql: &str) -> Vec<Vec<String>> {
        let batches = session.query(sql).await.unwrap().collect().await.unwrap();
        let mut rows = vec![];
        for batch in batches {
            let columns: Vec<_> = batch
                .columns()
                .iter()
                .map(|c| arrow::compute::cast(c, &DataType::Utf8).unwrap())
                .collect();
            for i in 0..batch.num_rows() {
                rows.push(
                    columns
                        .iter()
                        .map(|c| {
                            if c.is_null(i) {
                                "NULL".to_string()
                            } else {
                                c.as_string::<i32>().value(i).to_string()
                            }
                        })
                        .collect(),
                );
            }
        }
        rows
    }

    /// `information_schema.routines` lists functions from `pg_proc` (harlequin);
    /// `pg_indexes` has PostgreSQL's columns and no rows; the temporary-schema functions answer.
    #[tokio::test]
    async fn routines_indexes_and_temp_schema_functions() {
        let engine = crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        let found = rows(
            &mut session,
            "SELECT routine_schema, routine_type, data_type, external_language FROM information_schema.routines \
             WHERE routine_name = 'lower' LIMIT 1",
        )
        .await;
        assert_eq!(found, [["pg_catalog", "FUNCTION", "text", "INTERNAL"]]);
        let count = rows(
            &mut session,
            "SELECT count(*) FROM information_schema.routines",
        )
        .await;
        assert!(count[0][0].parse::<i64>().unwrap() > 100, "{count:?}");
        assert_eq!(
            rows(&mut session, "SELECT count(*) FROM pg_indexes").await,
            [["0"]]
        );
        assert_eq!(
            rows(
                &mut session,
                "SELECT schemaname, tablename, indexname, tablespace, indexdef FROM pg_catalog.pg_indexes"
            )
            .await
            .len(),
            0
        );
        assert_eq!(
            rows(
                &mut session,
                "SELECT pg_my_temp_schema(), pg_is_other_temp_schema(oid) FROM pg_namespace WHERE nspname = 'public'"
            )
            .await,
            [["0", "false"]]
        );
    }

    /// `pg_settings` and `current_setting` show the session's `conversql.*`
    /// settings, with their descriptions.
    #[tokio::test]
    async fn settings_are_the_sessions() {
        let engine = crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        session
            .sql("SET conversql.as_of = '2026-06-07T12:00:00Z'; SET conversql.facts = off")
            .await
            .unwrap();
        let settings = rows(
            &mut session,
            "SELECT name, setting, short_desc FROM pg_catalog.pg_settings \
             WHERE name LIKE 'conversql.%' ORDER BY name",
        )
        .await;
        let shown: Vec<(&str, &str)> = settings
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("conversql.as_of", "2026-06-07T12:00:00Z"),
                ("conversql.facts", "off"),
                ("conversql.skip_bad_files", "off")
            ]
        );
        assert!(
            settings[0][2].starts_with("The analysis instant T"),
            "{settings:?}"
        );
        assert_eq!(
            rows(
                &mut session,
                "SELECT current_setting('conversql.as_of'), current_setting('conversql.facts'), \
                 current_setting('server_version')",
            )
            .await,
            [["2026-06-07T12:00:00Z", "off", crate::names::SERVER_VERSION]]
        );
    }
}
