//! The fact store: conversation facts that do not depend on the instant T,
//! materialised as Parquet and kept up to date as log files arrive.
//!
//! Layout (one directory, `--facts-dir`; by default `<root>/_conversql/facts`
//! for a local dataset):
//!
//! ```text
//! manifest.json                                   the generation in use (replaced atomically)
//! <account>/profiles-g<N>.parquet                 the account's profiles, latest version of each
//! <account>/delivered-events-g<N>.parquet         the account's events, first delivery of each event_id
//! <account>/events-g<N>.parquet                   …and one event per order_id: the `events` view
//! <account>/touches-g<N>.parquet                  the account's attribution touches, by (profile_id, touch_at)
//! <account>/w=<monday>/messages-g<N>.parquet      de-duplicated log rows of the conversations that
//!                                                 started that UTC week, sorted by conversation_id
//! <account>/w=<monday>/facts-g<N>.parquet         one row per such conversation, sorted by started_at
//! ```
//!
//! Every statement that reads `messages` or `conversation_facts` (and so every
//! view and table function built on them) first compares the log's file
//! listing with the manifest. New files are folded in before the statement runs
//! ([`refresh`]): only the conversations they touch are recomputed, with the
//! same SQL as the raw path (`sql/from_log/conversation_facts.sql`), and only
//! the week partitions holding them are rewritten; an account whose events or
//! conversations changed gets its touches again (`sql/from_log/touches.sql`
//! over its stored events and facts). A log file that disappeared
//! or changed, or any change of `accounts/` (time zones date every
//! conversation), rebuilds the store. The answers are therefore always those of
//! the raw log (`SET conversql.facts = off` computes them from it; tests/integration/facts.rs
//! compares both). Status and closure are derived at query time from the
//! stored facts by the UDFs of the `conversations` view.
//!
//! Several processes may share a store: a refresh holds an exclusive lock on
//! `<dir>/lock`, and replaced files are deleted only after [`RETIRE_GRACE`], so a
//! query still reading the previous generation keeps its files.

mod dedup;
pub mod manifest;
mod parquet_io;
mod refresh;
pub mod system_view;
pub mod table;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Result as DfResult, exec_datafusion_err};
use datafusion::execution::context::SessionState;
use object_store::ObjectMeta;

use crate::error::{Error, Result};
use crate::log_table::LogTable;
use manifest::{InputFile, Inputs, Loaded, Manifest};

pub use manifest::RefreshReport;
pub use table::{StoredKind, StoredTable};

/// How long a replaced store file is kept for queries still reading it.
pub const RETIRE_GRACE: Duration = Duration::from_mins(10);

/// The schemas the store reads and writes, known once the engine's views are planned.
#[derive(Debug, Clone)]
pub(crate) struct StoreSchemas {
    /// The `messages` view's columns.
    pub messages: SchemaRef,
    /// The `messages` store files: the view's columns and `source_file`.
    pub message_file: SchemaRef,
    /// The `conversation_facts` view's columns.
    pub facts: SchemaRef,
    /// The `materialized.touches` columns.
    pub touches: SchemaRef,
    /// The `profiles` view's columns.
    pub profiles: SchemaRef,
    /// The profile store files: the view's columns and `source_file`.
    pub profile_file: SchemaRef,
    /// The `accounts` view's columns.
    pub accounts: SchemaRef,
    /// The `events` view's columns.
    pub events: SchemaRef,
    /// The delivered-events store files: the view's columns and `source_file`.
    pub event_file: SchemaRef,
}

/// The log tables the store is built from.
#[derive(Debug, Clone)]
pub struct StoreInputs {
    /// `raw.messages`
    pub messages: Arc<LogTable>,
    /// `raw.profiles`
    pub profiles: Arc<LogTable>,
    /// `raw.accounts`
    pub accounts: Arc<LogTable>,
    /// `raw.events`
    pub events: Arc<LogTable>,
}

/// The store of one dataset.
pub struct FactStore {
    dir: PathBuf,
    root: String,
    inputs: StoreInputs,
    engine: OnceLock<(SessionState, StoreSchemas)>,
    current: RwLock<Arc<Manifest>>,
    refreshing: tokio::sync::Mutex<()>,
    last_report: Mutex<Option<RefreshReport>>,
    /// Why the store found at start-up was not used, until a refresh rebuilds it.
    unusable: Mutex<Option<String>>,
}

impl std::fmt::Debug for FactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactStore")
            .field("dir", &self.dir)
            .field("root", &self.root)
            .finish()
    }
}

/// The manifest one statement reads: the first scan of the store in a
/// statement refreshes it if needed, the later ones reuse that generation (so
/// a query joining `messages` with `conversation_facts` sees one state).
#[derive(Debug, Default)]
pub struct FactsSnapshot(Mutex<Option<Arc<Manifest>>>);

impl FactStore {
    /// Opens (or creates) the store in `dir` for the dataset `root`.
    pub fn open(dir: &Path, root: &str, inputs: StoreInputs) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            source: std::io::Error::new(e.kind(), format!("cannot create the fact store directory: {e} (choose another with --facts-dir, or run without it: --no-facts)")),
        })?;
        // Absolute, so the scans' file URLs do not depend on the working directory.
        let dir = &std::fs::canonicalize(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        let (manifest, unusable) = match usable(dir, root)? {
            Ok(manifest) => (manifest, None),
            Err((reason, generation)) => {
                // The first statement rebuilds it; no query reads the unusable files.
                tracing::warn!(
                    target: "conversql::facts",
                    "the fact store {} is rebuilt: {reason}",
                    dir.display()
                );
                remove_stored_files(dir)?;
                // Generations only grow: the unusable manifest left on disk is never taken
                // for a newer one (by this process or another sharing the store).
                let empty = Manifest {
                    generation,
                    ..Manifest::empty(root)
                };
                (empty, Some(reason))
            }
        };
        Ok(FactStore {
            dir: dir.clone(),
            root: root.to_string(),
            inputs,
            engine: OnceLock::new(),
            current: RwLock::new(Arc::new(manifest)),
            refreshing: tokio::sync::Mutex::new(()),
            last_report: Mutex::new(None),
            unusable: Mutex::new(unusable),
        })
    }

    /// Gives the store the engine it builds with (called once the views exist).
    pub(crate) fn prepare(&self, state: SessionState, schemas: StoreSchemas) {
        let _ = self.engine.set((state, schemas));
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The generation in use.
    pub fn manifest(&self) -> Arc<Manifest> {
        self.current.read().expect("manifest lock").clone()
    }

    /// What the last refresh of this process did.
    pub fn last_report(&self) -> Option<RefreshReport> {
        self.last_report.lock().expect("report lock").clone()
    }

    /// The full path of a store file.
    pub(crate) fn path_of(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// The generation a statement reads: the store brought up to date with the
    /// log files this statement sees (the statement's listing), refreshing it if needed.
    pub async fn fresh(&self, state: &dyn Session) -> DfResult<Arc<Manifest>> {
        let snapshot = state.config().get_extension::<FactsSnapshot>();
        if let Some(m) = snapshot
            .as_ref()
            .and_then(|s| s.0.lock().expect("snapshot lock").clone())
        {
            return Ok(m);
        }
        let config = state.config();
        let listing = Listing {
            messages: self.inputs.messages.statement_files(config).await?,
            profiles: self.inputs.profiles.statement_files(config).await?,
            accounts: self.inputs.accounts.statement_files(config).await?,
            events: self.inputs.events.statement_files(config).await?,
        };
        let manifest = self.up_to_date(listing).await.map_err(|e| match e {
            Error::DataFusion(e) => e,
            other => exec_datafusion_err!("fact store {}: {other}", self.dir.display()),
        })?;
        if let Some(s) = snapshot {
            *s.0.lock().expect("snapshot lock") = Some(manifest.clone());
        }
        Ok(manifest)
    }

    async fn up_to_date(&self, listing: Listing) -> Result<Arc<Manifest>> {
        let wanted = listing.inputs();
        let current = self.manifest();
        if current.inputs == wanted {
            return Ok(current);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        let lock_path = self.dir.join("lock");
        let lock = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok(file)
        })
        .await
        .map_err(|e| Error::config(format!("fact store lock: {e}")))?
        .map_err(|e| Error::Io {
            path: self.dir.join("lock").display().to_string(),
            source: e,
        })?;
        // Another statement, or another process sharing the store, may have refreshed it meanwhile.
        let mut current = self.manifest();
        if let Ok(Loaded::Found(on_disk)) = Manifest::load(&self.dir)
            && on_disk.root == self.root
            && on_disk.format == manifest::FORMAT
            && on_disk.generation > current.generation
        {
            current = Arc::new(*on_disk);
            *self.current.write().expect("manifest lock") = current.clone();
        }
        if current.inputs == wanted {
            return Ok(current);
        }
        let (state, schemas) = self
            .engine
            .get()
            .ok_or_else(|| Error::config("the fact store is used before the engine prepared it"))?;
        let unusable = self.unusable.lock().expect("unusable lock").clone();
        let (next, report) =
            refresh::run(self, state, schemas, &current, &listing, unusable).await?;
        next.save(&self.dir)?;
        *self.unusable.lock().expect("unusable lock") = None;
        let next = Arc::new(next);
        *self.current.write().expect("manifest lock") = next.clone();
        tracing::info!(target: "conversql::facts", "{report}");
        *self.last_report.lock().expect("report lock") = Some(report);
        drop(lock);
        Ok(next)
    }
}

/// The manifest in `dir` if the store it describes can be used for `root`,
/// else why not: there is none yet (an empty store), it is damaged or of
/// another version, it was built for another dataset (a copied folder, a
/// shared `--facts-dir`), or one of its files is missing or has another size
/// than the manifest records (a store file lost or cut short). With the
/// reason comes the generation it had, where it could be read.
fn usable(dir: &Path, root: &str) -> Result<std::result::Result<Manifest, (String, u64)>> {
    let manifest = match Manifest::load(dir)? {
        Loaded::Missing => return Ok(Ok(Manifest::empty(root))),
        Loaded::Unusable(reason) => return Ok(Err((reason, 0))),
        Loaded::Found(m) => *m,
    };
    let unusable = |reason: String| Ok(Err((reason, manifest.generation)));
    if manifest.root != root {
        return unusable(format!("it was built for the dataset {}", manifest.root));
    }
    for file in manifest.files() {
        let path = dir.join(&file.path);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() == file.size => {}
            Ok(meta) => {
                return unusable(format!(
                    "the store file {} has {} bytes, the manifest records {}",
                    path.display(),
                    meta.len(),
                    file.size
                ));
            }
            Err(e) => {
                return unusable(format!(
                    "the store file {} cannot be read: {e}",
                    path.display()
                ));
            }
        }
    }
    Ok(Ok(manifest))
}

/// Deletes the account directories of a store whose manifest cannot be used.
fn remove_stored_files(dir: &Path) -> Result<()> {
    let io = |e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_name().to_string_lossy().starts_with("a=") && entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).map_err(io)?;
        }
    }
    Ok(())
}

/// The good log files one statement sees.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    pub messages: Vec<ObjectMeta>,
    pub profiles: Vec<ObjectMeta>,
    pub accounts: Vec<ObjectMeta>,
    pub events: Vec<ObjectMeta>,
}

impl Listing {
    fn inputs(&self) -> Inputs {
        let set = |files: &[ObjectMeta]| files.iter().map(InputFile::from).collect();
        Inputs {
            messages: set(&self.messages),
            profiles: set(&self.profiles),
            accounts: set(&self.accounts),
            events: set(&self.events),
        }
    }
}
