//! The fact store's manifest: which log files the store holds, which Parquet
//! files hold it, and what the refreshes that wrote it did. Each generation
//! is its own object, `manifest/<generation>.json`, created with a
//! conditional write that fails if it exists ([`Manifest::commit`]); the
//! highest generation is the store. A store read after a crash, a restart or
//! a lost race is therefore always one whole generation, and no writer ever
//! replaces another's.

use std::collections::{BTreeMap, BTreeSet};

use futures::TryStreamExt;
use object_store::{ObjectMeta, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store_location::StoreLocation;

/// The manifest format this build reads and writes; another value means a rebuild.
pub const FORMAT: u32 = 5;
/// The folder of the generations' manifests inside the store.
pub const MANIFEST_FOLDER: &str = "manifest";
/// The single manifest of stores written before generations had their own
/// objects (format 3 and older): read only to say why the store is rebuilt.
pub const EARLIER_LAYOUT_FILE: &str = "manifest.json";
/// How many of the newest generations' manifests are kept (older ones are
/// deleted once superseded for [`super::RETIRE_GRACE`]).
const GENERATIONS_KEPT: usize = 16;

/// One version of a log file: a changed size, time or ETag is another file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InputFile {
    /// The path inside the object store.
    pub location: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, µs since the epoch.
    pub last_modified: i64,
    /// The ETag, when the store gives one.
    pub e_tag: Option<String>,
}

impl From<&ObjectMeta> for InputFile {
    fn from(m: &ObjectMeta) -> Self {
        InputFile {
            location: m.location.to_string(),
            size: m.size,
            last_modified: m.last_modified.timestamp_micros(),
            e_tag: m.e_tag.clone(),
        }
    }
}

/// The log files folded into the store, per contract table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// `messages/` files.
    pub messages: BTreeSet<InputFile>,
    /// `profiles/` files.
    pub profiles: BTreeSet<InputFile>,
    /// `events/` files.
    pub events: BTreeSet<InputFile>,
    /// `accounts/` files (a change of any of them rebuilds the store: time zones date every conversation).
    pub accounts: BTreeSet<InputFile>,
}

/// A Parquet file of the store, relative to the store directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// The path below the store directory.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Number of rows.
    pub rows: u64,
}

/// The conversations of one account that started in one UTC week, in
/// segments: each conversation, with all its rows and its facts, in exactly
/// one segment. A refresh rewrites the segments it changes and adds one for
/// new conversations, so landing an hour does not rewrite the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// Largest first.
    pub segments: Vec<Segment>,
}

impl Partition {
    /// The partition's Parquet files.
    pub fn files(&self) -> impl Iterator<Item = &StoredFile> {
        self.segments.iter().flat_map(Segment::files)
    }

    /// Conversations stored.
    pub fn conversations(&self) -> u64 {
        self.segments.iter().map(|s| s.facts.rows).sum()
    }

    /// Log rows stored.
    pub fn messages(&self) -> u64 {
        self.segments.iter().map(|s| s.messages.rows).sum()
    }
}

/// Some conversations of a partition: their de-duplicated log rows (sorted
/// by conversation) and their facts (sorted by start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The log rows, sorted by (conversation_id, sent_at, message_id).
    pub messages: StoredFile,
    /// One row per conversation, sorted by (started_at, conversation_id).
    pub facts: StoredFile,
    /// The hashes of its conversation and message ids, sorted: what a refresh
    /// reads to find the segments new rows belong to (`refresh::id_hashes`).
    pub ids: StoredFile,
    /// The earliest local start date of the segment's conversations (days since 1970-01-01).
    pub min_started_date: i32,
    /// The latest local start date of the segment's conversations.
    pub max_started_date: i32,
}

impl Segment {
    /// The segment's Parquet files.
    pub fn files(&self) -> [&StoredFile; 3] {
        [&self.messages, &self.facts, &self.ids]
    }
}

/// Everything stored for one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStore {
    /// The account's profiles, latest version of each profile_id.
    pub profiles: Option<StoredFile>,
    /// The account's events, one row per event_id (the first delivery), with `source_file`.
    pub delivered_events: Option<StoredFile>,
    /// The account's events as the `events` view has them (one row per order_id too), sorted by occurred_at.
    pub events: Option<StoredFile>,
    /// The account's attribution touches (`materialized.touches`), sorted by (profile_id, touch_at).
    pub touches: Option<StoredFile>,
    /// Partitions by the Monday (days since 1970-01-01, UTC) of the week their conversations started.
    pub partitions: BTreeMap<i32, Partition>,
    /// What the last refresh that changed this account did for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<AccountRefresh>,
}

impl AccountStore {
    /// The account's Parquet files.
    pub fn files(&self) -> impl Iterator<Item = &StoredFile> {
        self.profiles
            .iter()
            .chain(self.delivered_events.iter())
            .chain(self.events.iter())
            .chain(self.touches.iter())
            .chain(self.partitions.values().flat_map(Partition::files))
    }
}

/// What one refresh did for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRefresh {
    /// The generation the refresh wrote.
    pub generation: u64,
    /// When it finished (ms since the epoch).
    pub finished_at_ms: i64,
    /// How long the whole refresh took (ms).
    pub elapsed_ms: u64,
    /// Log files folded in that had rows of this account.
    pub files_folded: u64,
    /// This account's rows among them.
    pub rows_folded: u64,
    /// Why the refresh rebuilt the store; `None` when it folded in new files only.
    pub rebuild_cause: Option<String>,
}

/// What one refresh did, for the whole store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshReport {
    /// The generation written.
    pub generation: u64,
    /// Why the store was rebuilt from nothing (first use, a changed `accounts/`, a log file
    /// gone or changed, a damaged or foreign store); `None` when new files were folded in.
    pub rebuild_cause: Option<String>,
    /// New `messages/` files folded in.
    pub message_files: usize,
    /// Their rows.
    pub message_rows: usize,
    /// New `profiles/` files folded in.
    pub profile_files: usize,
    /// Their rows.
    pub profile_rows: usize,
    /// New `events/` files folded in.
    pub event_files: usize,
    /// Their rows.
    pub event_rows: usize,
    /// Conversations whose facts were computed.
    pub conversations_recomputed: usize,
    /// Segments of week partitions written.
    pub segments_written: usize,
    /// When it finished (ms since the epoch).
    pub finished_at_ms: i64,
    /// Wall time (ms).
    pub elapsed_ms: u64,
    /// Where that time went: wall time (ms) per step of the refresh, in the order first taken.
    #[serde(default)]
    pub steps_ms: Vec<(String, u64)>,
}

impl RefreshReport {
    /// Adds `elapsed` to the time of `step`.
    pub(crate) fn add_step_time(&mut self, step: &str, elapsed: std::time::Duration) {
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match self.steps_ms.iter_mut().find(|(name, _)| name == step) {
            Some((_, total)) => *total += ms,
            None => self.steps_ms.push((step.to_string(), ms)),
        }
    }

    /// Whether the store was rebuilt from nothing.
    pub fn rebuilt(&self) -> bool {
        self.rebuild_cause.is_some()
    }

    /// Log files folded in.
    pub fn files_folded(&self) -> usize {
        self.message_files + self.profile_files + self.event_files
    }

    /// Their rows.
    pub fn rows_folded(&self) -> usize {
        self.message_rows + self.profile_rows + self.event_rows
    }
}

impl std::fmt::Display for RefreshReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "fact store generation {}", self.generation)?;
        if let Some(cause) = &self.rebuild_cause {
            write!(f, " (rebuilt: {cause})")?;
        }
        write!(
            f,
            ": folded in {} message file(s) ({} rows), {} profile file(s) ({} rows) and {} event file(s) ({} rows); recomputed {} conversation(s); wrote {} segment(s) in {:.2} s",
            self.message_files,
            self.message_rows,
            self.profile_files,
            self.profile_rows,
            self.event_files,
            self.event_rows,
            self.conversations_recomputed,
            self.segments_written,
            self.elapsed_ms as f64 / 1000.0
        )?;
        if !self.steps_ms.is_empty() {
            let steps: Vec<String> = self
                .steps_ms
                .iter()
                .map(|(step, ms)| format!("{step} {ms} ms"))
                .collect();
            write!(f, " ({})", steps.join(", "))?;
        }
        Ok(())
    }
}

/// A file no longer part of the store, deleted once no query can still be reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retired {
    /// The path below the store directory.
    pub path: String,
    /// When it left the store (ms since the epoch).
    pub at_ms: i64,
}

impl Retired {
    /// Whether, at `now_ms`, it left the store [`super::RETIRE_GRACE`] ago or
    /// more, so that no query can still be reading it.
    pub fn expired(&self, now_ms: i64) -> bool {
        let grace = i64::try_from(super::RETIRE_GRACE.as_millis()).unwrap_or(i64::MAX);
        self.at_ms.saturating_add(grace) <= now_ms
    }
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The dataset root the store was built from.
    pub root: String,
    /// Incremented by every refresh that changed the store.
    pub generation: u64,
    /// The log files the store holds.
    pub inputs: Inputs,
    /// The stored files, by account_id.
    pub accounts: BTreeMap<String, AccountStore>,
    /// Files waiting to be deleted.
    pub retired: Vec<Retired>,
    /// What the refresh that wrote this generation did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<RefreshReport>,
}

/// What `manifest.json` held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// No manifest yet.
    Missing,
    /// A manifest this build reads.
    Found(Box<Manifest>),
    /// A manifest this build cannot use: damaged, or written by another
    /// version (the reason), and its generation.
    Unusable(String, u64),
}

/// Whether [`Manifest::commit`] made its generation the store's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// It is the newest generation.
    Done,
    /// Another writer committed that generation (or a newer one) first; nothing was replaced.
    LostRace,
}

/// The object name of a generation's manifest, below the store's prefix.
fn generation_object(generation: u64) -> String {
    format!("{MANIFEST_FOLDER}/{generation:020}.json")
}

/// The newest committed generation at `location` (0 for none).
pub async fn newest_generation(location: &StoreLocation) -> Result<u64> {
    Ok(generations(location).await?.last().map_or(0, |(g, _)| *g))
}

/// The committed generations at `location`, oldest first, with their objects.
async fn generations(location: &StoreLocation) -> Result<Vec<(u64, ObjectMeta)>> {
    let folder = location.child(MANIFEST_FOLDER);
    let listed: Vec<ObjectMeta> = match location.store.list(Some(&folder)).try_collect().await {
        Ok(listed) => listed,
        Err(object_store::Error::NotFound { .. }) => vec![],
        Err(e) => {
            return Err(Error::config(format!(
                "cannot list the manifests of {}: {e}",
                location.display
            )));
        }
    };
    let mut found: Vec<(u64, ObjectMeta)> = listed
        .into_iter()
        .filter_map(|meta| {
            let generation = meta
                .location
                .filename()?
                .strip_suffix(".json")?
                .parse()
                .ok()?;
            Some((generation, meta))
        })
        .collect();
    found.sort_by_key(|(generation, _)| *generation);
    Ok(found)
}

impl Manifest {
    /// An empty store for `root`.
    pub fn empty(root: &str) -> Self {
        Manifest {
            format: FORMAT,
            root: root.to_string(),
            generation: 0,
            inputs: Inputs::default(),
            accounts: BTreeMap::new(),
            retired: vec![],
            last_refresh: None,
        }
    }

    /// Reads the newest generation's manifest at `location`. An error only
    /// when the store cannot be listed or read; a manifest that does not parse,
    /// or is of another format, is [`Loaded::Unusable`].
    pub async fn load(location: &StoreLocation) -> Result<Loaded> {
        let Some((generation, newest)) = generations(location).await?.pop() else {
            let earlier = location.child(EARLIER_LAYOUT_FILE);
            return Ok(match location.store.head(&earlier).await {
                Ok(_) => Loaded::Unusable(
                    format!(
                        "the manifest {}/{EARLIER_LAYOUT_FILE} is of an earlier version's layout (format 3 or older), this version reads format {FORMAT}",
                        location.display
                    ),
                    0,
                ),
                Err(_) => Loaded::Missing,
            });
        };
        let shown = format!("{}/{}", location.display, generation_object(generation));
        let bytes = match location.store.get(&newest.location).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        }
        .map_err(|e| Error::config(format!("cannot read the manifest {shown}: {e}")))?;
        let damaged = |e: serde_json::Error| {
            Loaded::Unusable(format!("the manifest {shown} is damaged: {e}"), generation)
        };
        let value: serde_json::Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(e) => return Ok(damaged(e)),
        };
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(format) if format == u64::from(FORMAT) => {}
            // Written by another version: its files are not read; the store is rebuilt.
            other => {
                return Ok(Loaded::Unusable(
                    format!(
                        "the manifest {shown} is of format {}, this version reads format {FORMAT}",
                        other.map_or_else(|| "(none)".to_string(), |f| f.to_string())
                    ),
                    generation,
                ));
            }
        }
        match serde_json::from_value::<Manifest>(value) {
            Ok(m) if m.generation == generation => Ok(Loaded::Found(Box::new(m))),
            Ok(m) => Ok(Loaded::Unusable(
                format!("the manifest {shown} records generation {}", m.generation),
                generation,
            )),
            Err(e) => Ok(damaged(e)),
        }
    }

    /// Commits this generation: creates its manifest object unless it exists
    /// (a conditional write, so of two writers of one generation exactly one
    /// wins), then checks that no newer generation exists (one whose
    /// predecessor's manifest was already deleted). Old generations' manifests
    /// beyond the newest [`GENERATIONS_KEPT`] are deleted once superseded for
    /// [`super::RETIRE_GRACE`].
    pub async fn commit(&self, location: &StoreLocation) -> Result<Committed> {
        let object = location.child(&generation_object(self.generation));
        let text = serde_json::to_vec(self)
            .map_err(|e| Error::config(format!("fact store manifest: {e}")))?;
        let create = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match location
            .store
            .put_opts(&object, PutPayload::from(text), create)
            .await
        {
            Ok(_) => {}
            Err(object_store::Error::AlreadyExists { .. }) => return Ok(Committed::LostRace),
            Err(e) => {
                return Err(Error::config(format!(
                    "cannot commit generation {} of {}: {e}",
                    self.generation, location.display
                )));
            }
        }
        let committed = generations(location).await?;
        if committed
            .last()
            .is_some_and(|(newest, _)| *newest > self.generation)
        {
            let _ = location.store.delete(&object).await;
            return Ok(Committed::LostRace);
        }
        let superseded = chrono::Utc::now() - super::RETIRE_GRACE;
        let old = committed.len().saturating_sub(GENERATIONS_KEPT);
        for window in committed[..old].windows(2) {
            // A manifest is superseded when the next one was written.
            if window[1].1.last_modified < superseded {
                let _ = location.store.delete(&window[0].1.location).await;
            }
        }
        Ok(Committed::Done)
    }

    /// Every Parquet file the manifest refers to.
    pub fn files(&self) -> impl Iterator<Item = &StoredFile> {
        self.accounts.values().flat_map(AccountStore::files)
    }

    /// Number of conversations stored.
    pub fn conversations(&self) -> u64 {
        self.accounts
            .values()
            .flat_map(|a| a.partitions.values())
            .map(Partition::conversations)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::S3Options;

    fn memory() -> StoreLocation {
        StoreLocation::parse("memory://facts", &S3Options::default()).unwrap()
    }

    async fn write(location: &StoreLocation, relative: &str, text: &str) {
        location
            .store
            .put(
                &location.child(relative),
                PutPayload::from(text.to_string()),
            )
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_manifest_survives_a_round_trip_through_its_object() {
        let location = memory();
        assert_eq!(Manifest::load(&location).await.unwrap(), Loaded::Missing);
        let mut manifest = Manifest::empty("data");
        manifest.generation = 7;
        let file = |path: &str| StoredFile {
            path: path.into(),
            size: 10,
            rows: 2,
        };
        manifest
            .accounts
            .entry("acc_1".into())
            .or_default()
            .partitions
            .insert(
                20_586,
                Partition {
                    segments: vec![Segment {
                        messages: file("m"),
                        facts: file("f"),
                        ids: file("i"),
                        min_started_date: 20_586,
                        max_started_date: 20_590,
                    }],
                },
            );
        assert_eq!(manifest.commit(&location).await.unwrap(), Committed::Done);
        assert_eq!(
            Manifest::load(&location).await.unwrap(),
            Loaded::Found(Box::new(manifest.clone()))
        );
        assert_eq!(manifest.files().count(), 3);
        assert_eq!(manifest.conversations(), 2);
    }

    #[tokio::test]
    async fn of_two_writers_of_one_generation_the_second_loses_and_replaces_nothing() {
        let location = memory();
        let mut first = Manifest::empty("data");
        first.generation = 1;
        let mut second = first.clone();
        second.root = "other".into();
        assert_eq!(first.commit(&location).await.unwrap(), Committed::Done);
        assert_eq!(second.commit(&location).await.unwrap(), Committed::LostRace);
        let Loaded::Found(read) = Manifest::load(&location).await.unwrap() else {
            panic!("no manifest");
        };
        assert_eq!(read.root, "data");
        // A writer still at an older generation loses too, even if that
        // generation's manifest is gone.
        let mut newer = first.clone();
        newer.generation = 3;
        assert_eq!(newer.commit(&location).await.unwrap(), Committed::Done);
        location
            .store
            .delete(&location.child(&generation_object(1)))
            .await
            .unwrap();
        assert_eq!(first.commit(&location).await.unwrap(), Committed::LostRace);
        let Loaded::Found(read) = Manifest::load(&location).await.unwrap() else {
            panic!("no manifest");
        };
        assert_eq!(read.generation, 3);
    }

    #[tokio::test]
    async fn a_manifest_of_another_format_is_read_as_one_to_rebuild() {
        let location = memory();
        write(
            &location,
            &generation_object(3),
            r#"{"format":1,"root":"data","generation":3}"#,
        )
        .await;
        let Loaded::Unusable(reason, 3) = Manifest::load(&location).await.unwrap() else {
            panic!("a format-1 manifest was read");
        };
        assert!(
            reason.contains(&format!("format 1, this version reads format {FORMAT}")),
            "{reason}"
        );
        // The single manifest.json of earlier versions, alone, is of an earlier layout.
        let location = memory();
        write(&location, EARLIER_LAYOUT_FILE, r#"{"format":3}"#).await;
        let Loaded::Unusable(reason, 0) = Manifest::load(&location).await.unwrap() else {
            panic!("an earlier layout was read");
        };
        assert!(reason.contains("earlier version's layout"), "{reason}");
    }

    #[tokio::test]
    async fn a_damaged_manifest_is_unusable_and_named() {
        let location = memory();
        write(&location, &generation_object(2), "{not json").await;
        let Loaded::Unusable(reason, 2) = Manifest::load(&location).await.unwrap() else {
            panic!("a damaged manifest was read");
        };
        assert!(
            reason.contains("00000000000000000002.json is damaged"),
            "{reason}"
        );
        // A manifest of this format whose fields do not fit is damaged too.
        write(
            &location,
            &generation_object(4),
            &format!(r#"{{"format":{FORMAT},"root":"data"}}"#),
        )
        .await;
        assert!(matches!(
            Manifest::load(&location).await.unwrap(),
            Loaded::Unusable(_, 4)
        ));
    }

    #[test]
    fn a_report_says_why_the_store_was_rebuilt() {
        let report = RefreshReport {
            generation: 4,
            rebuild_cause: Some("the first build".into()),
            message_files: 2,
            message_rows: 10,
            elapsed_ms: 1500,
            ..RefreshReport::default()
        };
        assert!(report.rebuilt());
        assert_eq!((report.files_folded(), report.rows_folded()), (2, 10));
        assert!(
            report
                .to_string()
                .starts_with("fact store generation 4 (rebuilt: the first build): folded in 2 message file(s) (10 rows)"),
            "{report}"
        );
    }
}
