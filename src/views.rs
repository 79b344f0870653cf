//! The SQL surface: the built-in views of `sql/` (compiled into the binary) and
//! a data engineer's own `.sql` files from `--views DIR`, loaded after them.
//!
//! Each file holds one `CREATE VIEW name AS …` statement. Files may build on
//! each other in any order: the loader creates the views whose inputs exist,
//! then retries the rest, until all are created or none can be.

use std::path::Path;

use datafusion::prelude::SessionContext;

use crate::error::{Error, Result};

/// A view definition: where it came from and its SQL.
#[derive(Debug, Clone)]
pub struct ViewSource {
    /// The file name (built-in: `sql/<name>.sql`).
    pub file: String,
    /// The `CREATE VIEW` statement.
    pub sql: String,
}

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../sql/", $name, ".sql")))),*]
    };
}

/// The built-in views, by file name (without `.sql`) and SQL text.
pub const BUILTIN_VIEWS: &[(&str, &str)] = builtin![
    "accounts",
    "profiles",
    "messages",
    "events",
    "conversation_messages",
    "conversation_facts",
    "conversations",
    "daily_conversations",
    "daily_conversations_by_tag",
    "attribution_touches",
    "attributed_orders",
    "customer_agent_events",
    "segment_recommended_not_purchased",
    "segment_escalated_last_7_days",
    "report_runs",
    "data_quality",
];

/// The built-in view sources.
pub fn builtin_views() -> Vec<ViewSource> {
    BUILTIN_VIEWS
        .iter()
        .map(|(name, sql)| ViewSource {
            file: format!("sql/{name}.sql"),
            sql: (*sql).to_string(),
        })
        .collect()
}

/// Reads every `*.sql` file of `dir`, sorted by name.
pub fn views_from_dir(dir: &Path) -> Result<Vec<ViewSource>> {
    let io = |e: std::io::Error| Error::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(io)?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql") && p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let sql = std::fs::read_to_string(&p).map_err(|e| Error::Io {
                path: p.display().to_string(),
                source: e,
            })?;
            Ok(ViewSource {
                file: p.display().to_string(),
                sql,
            })
        })
        .collect()
}

/// Creates the views in `ctx`, retrying those whose inputs are not there yet.
pub async fn load_views(ctx: &SessionContext, views: Vec<ViewSource>) -> Result<()> {
    let mut pending = views;
    loop {
        let mut failed = vec![];
        let before = pending.len();
        for view in pending {
            match ctx.sql(&view.sql).await {
                Ok(df) => {
                    df.collect().await.map_err(|e| Error::View {
                        file: view.file.clone(),
                        message: e.to_string(),
                    })?;
                }
                Err(e) => failed.push((view, e)),
            }
        }
        if failed.is_empty() {
            return Ok(());
        }
        if failed.len() == before {
            let (view, e) = failed.into_iter().next().expect("non-empty");
            return Err(Error::View {
                file: view.file,
                message: e.to_string(),
            });
        }
        pending = failed.into_iter().map(|(v, _)| v).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_file_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "sql"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = BUILTIN_VIEWS.iter().map(|(n, _)| n.to_string()).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in, "sql/*.sql and BUILTIN_VIEWS differ");
    }

    #[test]
    fn each_file_creates_the_view_it_is_named_after() {
        for (name, sql) in BUILTIN_VIEWS {
            assert!(
                sql.contains(&format!("CREATE VIEW {name} AS")),
                "sql/{name}.sql must create view {name}"
            );
        }
    }
}
