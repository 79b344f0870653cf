//! Runs the sqllogictest files of `tests/slt/` against conversql sessions.
//!
//! Each file gets a fresh dataset root (`$ROOT`, with the four table folders
//! created empty). Statements starting with `COPY` go to a plain DataFusion
//! context that writes fixture Parquet files under `$ROOT` (any column types,
//! missing columns, ms/ns or zone-less timestamps…); everything else runs in a
//! conversql session over `$ROOT`, opened on first use, exactly as the server
//! runs it (SET/SHOW/RESET, read-only rules, views, table functions). Files
//! written after the session opened are seen by its next query. Each
//! `connection NAME` block gets its own session.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use conversql::session::StatementResult;
use conversql::{Engine, EngineOptions, Session};
use datafusion::prelude::SessionContext;
use datafusion_sqllogictest::{DFColumnType, convert_batches, convert_schema_to_types};
use sqllogictest::{AsyncDB, DBOutput};

struct ConversqlDb {
    root: PathBuf,
    writer: SessionContext,
    session: Option<Session>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct SltError(String);

impl ConversqlDb {
    async fn session(&mut self) -> Result<&mut Session, SltError> {
        if self.session.is_none() {
            let engine = Engine::open(EngineOptions {
                data: self.root.display().to_string(),
                ..Default::default()
            })
            .await
            .map_err(|e| SltError(e.to_string()))?;
            self.session = Some(engine.session());
        }
        Ok(self.session.as_mut().expect("opened"))
    }
}

#[async_trait]
impl AsyncDB for ConversqlDb {
    type Error = SltError;
    type ColumnType = DFColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DFColumnType>, SltError> {
        let sql = &sql.replace("$ROOT", &self.root.display().to_string());
        if sql.trim_start().to_ascii_uppercase().starts_with("COPY") {
            let df = self.writer.sql(sql).await.map_err(|e| SltError(format!("fixture: {e}")))?;
            df.collect().await.map_err(|e| SltError(format!("fixture: {e}")))?;
            return Ok(DBOutput::StatementComplete(0));
        }
        let session = self.session().await?;
        let mut results = session.sql(sql).await.map_err(|e| SltError(e.to_string()))?;
        match results.pop() {
            Some(StatementResult::Rows(df)) => {
                let schema = Arc::new(df.schema().as_arrow().clone());
                let batches = df.collect().await.map_err(|e| SltError(e.to_string()))?;
                let types = convert_schema_to_types(schema.fields());
                let rows = convert_batches(&schema, batches, false).map_err(|e| SltError(e.to_string()))?;
                if rows.is_empty() && types.is_empty() {
                    Ok(DBOutput::StatementComplete(0))
                } else {
                    Ok(DBOutput::Rows { types, rows })
                }
            }
            _ => Ok(DBOutput::StatementComplete(0)),
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "conversql"
    }

    async fn sleep(dur: std::time::Duration) {
        tokio::time::sleep(dur).await;
    }
}

async fn run_file(path: &Path) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().to_path_buf();
    for table in ["accounts", "profiles", "messages", "events"] {
        std::fs::create_dir_all(root.join(table)).map_err(|e| e.to_string())?;
    }
    let make_root = root.clone();
    let mut runner = sqllogictest::Runner::new(move || {
        let root = make_root.clone();
        async move { Ok(ConversqlDb { root, writer: SessionContext::new(), session: None }) }
    });
    runner.run_file_async(path).await.map_err(|e| e.display(true).to_string())
}

#[tokio::main]
async fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/slt")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| filter.as_ref().is_none_or(|f| p.to_string_lossy().contains(f.as_str())))
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        match run_file(file).await {
            Ok(()) => {
                passed += 1;
                println!("slt {name} ... ok");
            }
            Err(e) => {
                failed += 1;
                println!("slt {name} ... FAILED\n{e}");
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    if failed > 0 || files.is_empty() {
        std::process::exit(1);
    }
}
