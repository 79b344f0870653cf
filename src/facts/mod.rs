//! The fact store: conversation facts that do not depend on the instant T,
//! materialised as Parquet and kept up to date as log files arrive.
//!
//! The store is a folder of an object store ([`placement`]: by default
//! `<root>/_conversql/facts` in the dataset's own store, `s3://` included;
//! `--facts URL` names another):
//!
//! ```text
//! manifest/<generation>.json                      every generation committed (the highest is in use)
//! <account>/profiles-g<N>-<writer>-<n>.parquet    the account's profiles, latest version of each
//! <account>/delivered-events-g<N>-….parquet       the account's events, first delivery of each event_id
//! <account>/events-g<N>-….parquet                 …and one event per order_id: the `events` view
//! <account>/touches-g<N>-….parquet                the account's attribution touches, by (profile_id, touch_at)
//! <account>/w=<monday>/messages-g<N>-….parquet    a segment of the conversations that started that
//!                                                 UTC week: their de-duplicated log rows, sorted by
//!                                                 conversation_id…
//! <account>/w=<monday>/facts-g<N>-….parquet       …and one row per such conversation, sorted by
//!                                                 started_at (a week has a few segments)
//! ```
//!
//! Every statement that reads `messages` or `conversation_facts` (and so every
//! view and table function built on them) first compares the log's file
//! listing with the manifest. New files are folded in before the statement runs
//! ([`refresh`]): only the conversations they touch are recomputed, with the
//! same SQL as the raw path (`sql/from_log/conversation_facts.sql`), and only
//! the segments holding them are rewritten; an account whose events or
//! conversations changed gets its touches again (`sql/from_log/touches.sql`:
//! for the changed conversations only, merged into the stored ones, unless
//! its events changed). A log file that disappeared
//! or changed, or any change of `accounts/` (time zones date every
//! conversation), rebuilds the store. The answers are therefore always those of
//! the raw log (`SET conversql.facts = off` computes them from it; tests/integration/facts.rs
//! compares both). Status and closure are derived at query time from the
//! stored facts by the UDFs of the `conversations` view.
//!
//! Several processes may share a store, with no lock: a refresh writes its
//! files under names no other writer uses (`<writer>` is random per process),
//! then commits generation N+1 by creating `manifest/<N+1>.json` with a
//! conditional write that fails if the object exists (object_store's
//! `PutMode::Create`: a hard link on a local disk, `If-None-Match: *` on S3).
//! The writer that loses the race deletes its files, reads the winner's
//! generation and starts again from it, so no generation is ever overwritten.
//! A process killed at any step leaves the last committed generation whole;
//! what it wrote is unreferenced and swept later ([`crash_points`] names the
//! steps the tests kill it at). Replaced files are deleted only after
//! [`RETIRE_GRACE`], so a query still reading the previous generation keeps
//! its files.

pub mod crash_points;
mod dedup;
pub mod manifest;
mod parquet_io;
pub mod placement;
mod refresh;
pub mod system_view;
pub mod table;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::{Result as DfResult, exec_datafusion_err};
use datafusion::execution::context::SessionState;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};

use crate::error::{Error, Result};
use crate::log_table::LogTable;
use crate::store_location::StoreLocation;
use manifest::{Committed, InputFile, Inputs, Loaded, Manifest};

pub use manifest::RefreshReport;
pub use placement::FactsPlacement;
pub use table::{StoredKind, StoredTable};

/// How long a replaced store file is kept for queries still reading it.
pub const RETIRE_GRACE: Duration = Duration::from_mins(10);
/// How many refreshes in a row may lose the race for the next generation before a statement fails.
const COMMIT_ATTEMPTS: usize = 5;

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
    location: StoreLocation,
    root: String,
    /// This process's part of the names of the files it writes.
    writer: String,
    inputs: StoreInputs,
    engine: OnceLock<(SessionState, StoreSchemas)>,
    current: RwLock<Arc<Manifest>>,
    refreshing: tokio::sync::Mutex<()>,
    last_report: Mutex<Option<RefreshReport>>,
    /// Why the store found at start-up was not used, until a refresh rebuilds it.
    unusable: Mutex<Option<String>>,
    /// When this process last swept away the files no generation refers to.
    last_sweep: Mutex<Option<Instant>>,
    /// When this process last deleted the retired files no query can still read.
    last_retired_delete: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for FactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactStore")
            .field("location", &self.location.display)
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
    /// Opens the store at `location` for the dataset `root`: its newest
    /// generation if it can be used, else an empty store that the first
    /// statement rebuilds (the reason is logged and shown by `fact_store`).
    pub async fn open(location: StoreLocation, root: &str, inputs: StoreInputs) -> Result<Self> {
        let (manifest, unusable) = match usable(&location, root).await? {
            Ok(manifest) => (manifest, None),
            Err((reason, generation)) => {
                // The first statement rebuilds it; no query reads the unusable files,
                // which the sweep after that rebuild deletes.
                tracing::warn!(
                    target: "conversql::facts",
                    "the fact store {} is rebuilt: {reason}",
                    location.display
                );
                // Generations only grow: the unusable manifest is never taken
                // for a newer one (by this process or another sharing the store).
                let empty = Manifest {
                    generation,
                    ..Manifest::empty(root)
                };
                (empty, Some(reason))
            }
        };
        Ok(FactStore {
            location,
            root: root.to_string(),
            writer: writer_id(),
            inputs,
            engine: OnceLock::new(),
            current: RwLock::new(Arc::new(manifest)),
            refreshing: tokio::sync::Mutex::new(()),
            last_report: Mutex::new(None),
            unusable: Mutex::new(unusable),
            last_sweep: Mutex::new(None),
            last_retired_delete: Mutex::new(None),
        })
    }

    /// Gives the store the engine it builds with (called once the views exist).
    pub(crate) fn prepare(&self, state: SessionState, schemas: StoreSchemas) {
        let _ = self.engine.set((state, schemas));
    }

    /// Where the store is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The generation in use.
    pub fn manifest(&self) -> Arc<Manifest> {
        self.current.read().expect("manifest lock").clone()
    }

    /// What the last refresh of this process did.
    pub fn last_report(&self) -> Option<RefreshReport> {
        self.last_report.lock().expect("report lock").clone()
    }

    /// The object of a store file.
    pub(crate) fn path_of(&self, relative: &str) -> Path {
        self.location.child(relative)
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
            other => exec_datafusion_err!("fact store {}: {other}", self.location.display),
        })?;
        if let Some(s) = snapshot {
            *s.0.lock().expect("snapshot lock") = Some(manifest.clone());
        }
        Ok(manifest)
    }

    async fn up_to_date(&self, listing: Listing) -> Result<Arc<Manifest>> {
        let wanted = listing.inputs();
        if self.manifest().inputs == wanted {
            let current = self.manifest();
            self.delete_expired_retired(&current);
            return Ok(current);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        for _ in 0..COMMIT_ATTEMPTS {
            // Another statement, or another process sharing the store, may have refreshed it meanwhile.
            let current = self.adopt_newest().await?;
            if current.inputs == wanted {
                return Ok(current);
            }
            let (state, schemas) = self.engine.get().ok_or_else(|| {
                Error::config("the fact store is used before the engine prepared it")
            })?;
            let unusable = self.unusable.lock().expect("unusable lock").clone();
            let (next, report) = match refresh::run(
                self, state, schemas, &current, &listing, unusable,
            )
            .await
            {
                Ok(done) => done,
                // Overtaken by another writer's commit, a refresh may find the files it
                // wrote for that generation swept (they can never be committed): it lost
                // the race, and starts again from the newer generation.
                Err(e)
                    if manifest::newest_generation(&self.location).await? > current.generation =>
                {
                    tracing::info!(
                        target: "conversql::facts",
                        "fact store {}: a refresh overtaken by another writer's commit stopped ({e}); refreshing again from it",
                        self.location.display
                    );
                    continue;
                }
                Err(e) => return Err(e),
            };
            match next.commit(&self.location).await? {
                Committed::Done => {}
                Committed::LostRace => {
                    // Another writer committed this generation first: its work stands,
                    // ours is deleted, and the next attempt starts from its generation.
                    tracing::info!(
                        target: "conversql::facts",
                        "fact store {}: another writer committed generation {} first; refreshing again from it",
                        self.location.display,
                        next.generation
                    );
                    self.delete_new_files(&current, &next).await;
                    continue;
                }
            }
            crash_points::reached("manifest-committed");
            *self.unusable.lock().expect("unusable lock") = None;
            let next = Arc::new(next);
            *self.current.write().expect("manifest lock") = next.clone();
            tracing::info!(target: "conversql::facts", "{report}");
            *self.last_report.lock().expect("report lock") = Some(report);
            self.sweep_if_due(&next).await;
            return Ok(next);
        }
        Err(Error::config(format!(
            "{COMMIT_ATTEMPTS} refreshes in a row lost the race for the next generation to other writers sharing the store"
        )))
    }

    /// The newest committed generation, made the one in use if it is newer
    /// than it. A newest manifest this build cannot use (damaged, of another
    /// version or dataset) makes the next refresh a rebuild above its generation.
    async fn adopt_newest(&self) -> Result<Arc<Manifest>> {
        let current = self.manifest();
        let (newest, reason) = match Manifest::load(&self.location).await? {
            Loaded::Missing => return Ok(current),
            Loaded::Found(m) if m.root == self.root => (*m, None),
            Loaded::Found(m) => (
                Manifest {
                    generation: m.generation,
                    ..Manifest::empty(&self.root)
                },
                Some(format!("it was built for the dataset {}", m.root)),
            ),
            Loaded::Unusable(reason, generation) => (
                Manifest {
                    generation,
                    ..Manifest::empty(&self.root)
                },
                Some(reason),
            ),
        };
        if newest.generation <= current.generation {
            return Ok(current);
        }
        if let Some(reason) = reason {
            tracing::warn!(
                target: "conversql::facts",
                "the fact store {} is rebuilt: {reason}",
                self.location.display
            );
            *self.unusable.lock().expect("unusable lock") = Some(reason);
        }
        let newest = Arc::new(newest);
        *self.current.write().expect("manifest lock") = newest.clone();
        Ok(newest)
    }

    /// Deletes the files `next` has and `current` has not (a refresh that lost the race).
    async fn delete_new_files(&self, current: &Manifest, next: &Manifest) {
        let kept: HashSet<&str> = current.files().map(|f| f.path.as_str()).collect();
        for file in next.files().filter(|f| !kept.contains(f.path.as_str())) {
            self.delete_quietly(&file.path).await;
        }
    }

    /// Deletes a store file; one already gone is fine, another failure is logged (a later sweep retries).
    pub(crate) async fn delete_quietly(&self, relative: &str) {
        match self.location.store.delete(&self.path_of(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(
                target: "conversql::facts",
                "fact store {}: cannot delete {relative}: {e}",
                self.location.display
            ),
        }
    }

    /// Deletes, in the background, the files `committed` retired more than
    /// [`RETIRE_GRACE`] ago, at most once per grace per process. A refresh
    /// deletes them too, but a store that gets no new file gets no refresh,
    /// and a rebuild's retired generation (the whole previous store) would
    /// keep its space until one. The manifest names them until the next
    /// refresh, which finds them gone.
    fn delete_expired_retired(&self, committed: &Manifest) {
        {
            let mut last = self.last_retired_delete.lock().expect("retired lock");
            if last.is_some_and(|at| at.elapsed() < RETIRE_GRACE) {
                return;
            }
            *last = Some(Instant::now());
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let expired: Vec<(String, Path)> = committed
            .retired
            .iter()
            .filter(|r| r.expired(now_ms))
            .map(|r| (r.path.clone(), self.path_of(&r.path)))
            .collect();
        if expired.is_empty() {
            return;
        }
        let store = self.location.store.clone();
        let shown = self.location.display.clone();
        tokio::spawn(async move {
            let mut deleted = 0usize;
            for (relative, path) in expired {
                match store.delete(&path).await {
                    Ok(()) => deleted += 1,
                    Err(object_store::Error::NotFound { .. }) => {}
                    Err(e) => tracing::warn!(
                        target: "conversql::facts",
                        "fact store {shown}: cannot delete the retired file {relative}: {e}"
                    ),
                }
            }
            if deleted > 0 {
                tracing::info!(
                    target: "conversql::facts",
                    "fact store {shown}: deleted {deleted} retired file(s) no query can still be reading"
                );
            }
        });
    }

    /// Sweeps the store at most once per [`RETIRE_GRACE`] per process.
    async fn sweep_if_due(&self, committed: &Manifest) {
        let due = self
            .last_sweep
            .lock()
            .expect("sweep lock")
            .is_none_or(|at| at.elapsed() >= RETIRE_GRACE);
        if !due {
            return;
        }
        *self.last_sweep.lock().expect("sweep lock") = Some(Instant::now());
        match sweep(&self.location, committed).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                target: "conversql::facts",
                "fact store {}: deleted {n} file(s) that no generation refers to",
                self.location.display
            ),
            Err(e) => tracing::warn!(
                target: "conversql::facts",
                "fact store {}: the sweep of unreferenced files failed: {e}",
                self.location.display
            ),
        }
        crash_points::reached("swept");
    }
}

/// A name for this process's files that no other writer uses: 64 random bits.
fn writer_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 8];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No system randomness: the process id and the clock are unique enough on one host.
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes = (u64::from(std::process::id()) << 32 ^ nanos as u64).to_be_bytes();
    }
    format!("{:016x}", u64::from_be_bytes(bytes))
}

/// The generation a store file was written for (`…-g<N>-<writer>-<n>.parquet`).
fn written_for(relative: &str) -> Option<u64> {
    let name = relative.rsplit('/').next()?;
    let (_, tail) = name.rsplit_once("-g")?;
    tail.split('-').next()?.parse().ok()
}

/// Deletes the store files that `committed` neither holds nor has retired and
/// that were written for a generation at most its own: their writer lost the
/// race or was killed before committing, and can never commit them (its
/// generation exists). Files written for a newer generation may be a
/// refresh in progress and stay. Returns how many were deleted.
async fn sweep(location: &StoreLocation, committed: &Manifest) -> Result<usize> {
    let referenced: HashSet<&str> = committed
        .files()
        .map(|f| f.path.as_str())
        .chain(committed.retired.iter().map(|r| r.path.as_str()))
        .collect();
    let mut deleted = 0;
    for (relative, meta) in stored_objects(location).await? {
        let unreferenced_data = relative.starts_with("a=")
            && relative.ends_with(".parquet")
            && !referenced.contains(relative.as_str());
        if unreferenced_data && written_for(&relative).is_some_and(|g| g <= committed.generation) {
            match location.store.delete(&meta.location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => deleted += 1,
                Err(e) => {
                    return Err(Error::config(format!("cannot delete {relative}: {e}")));
                }
            }
        }
    }
    Ok(deleted)
}

/// Every object of the store, with its path below the store's prefix.
async fn stored_objects(location: &StoreLocation) -> Result<Vec<(String, ObjectMeta)>> {
    let listed: Vec<ObjectMeta> = location
        .store
        .list(Some(&location.prefix))
        .try_collect()
        .await
        .map_err(|e| Error::config(format!("cannot list {}: {e}", location.display)))?;
    Ok(listed
        .into_iter()
        .filter_map(|meta| Some((location.relative(&meta.location)?, meta)))
        .collect())
}

/// The newest manifest at `location` if the store it describes can be used
/// for `root`, else why not: there is none yet (an empty store), it is
/// damaged or of another version, it was built for another dataset (a copied
/// folder, a shared location), or one of its files is missing or has another
/// size than the manifest records (a store file lost or cut short). With the
/// reason comes the generation it had.
async fn usable(
    location: &StoreLocation,
    root: &str,
) -> Result<std::result::Result<Manifest, (String, u64)>> {
    let manifest = match Manifest::load(location).await? {
        Loaded::Missing => return Ok(Ok(Manifest::empty(root))),
        Loaded::Unusable(reason, generation) => return Ok(Err((reason, generation))),
        Loaded::Found(m) => *m,
    };
    let unusable = |reason: String| Ok(Err((reason, manifest.generation)));
    if manifest.root != root {
        return unusable(format!("it was built for the dataset {}", manifest.root));
    }
    let sizes: BTreeMap<String, u64> = stored_objects(location)
        .await?
        .into_iter()
        .map(|(relative, meta)| (relative, meta.size))
        .collect();
    for file in manifest.files() {
        let shown = format!("{}/{}", location.display, file.path);
        match sizes.get(&file.path) {
            Some(size) if *size == file.size => {}
            Some(size) => {
                return unusable(format!(
                    "the store file {shown} has {size} bytes, the manifest records {}",
                    file.size
                ));
            }
            None => return unusable(format!("the store file {shown} is missing")),
        }
    }
    Ok(Ok(manifest))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_files_name_the_generation_they_were_written_for() {
        assert_eq!(
            written_for("a=x/w=2026-05-11/messages-g12-0a1b-3.parquet"),
            Some(12)
        );
        assert_eq!(written_for("a=x/delivered-events-g3-ff-0.parquet"), Some(3));
        assert_eq!(written_for("a=x/notes.txt"), None);
        let a = writer_id();
        assert_eq!(a.len(), 16);
        assert_ne!(a, writer_id());
    }
}
