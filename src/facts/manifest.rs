//! The fact store's manifest (`manifest.json`): which log files the store
//! holds, which Parquet files hold it, and what the refreshes that wrote it
//! did. It is replaced atomically (written aside, then renamed) after every
//! refresh, so a store read after a crash or a restart is always one whole
//! generation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use object_store::ObjectMeta;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The manifest format this build reads and writes; another value means a rebuild.
pub const FORMAT: u32 = 3;
/// The manifest's file name inside the store directory.
pub const FILE_NAME: &str = "manifest.json";

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

/// The conversations of one account that started in one UTC week: their
/// de-duplicated log rows (sorted by conversation) and their facts (sorted by start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// The log rows, sorted by (conversation_id, sent_at, message_id).
    pub messages: StoredFile,
    /// One row per conversation, sorted by (started_at, conversation_id).
    pub facts: StoredFile,
    /// The earliest local start date of the partition's conversations (days since 1970-01-01).
    pub min_started_date: i32,
    /// The latest local start date of the partition's conversations.
    pub max_started_date: i32,
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
            .chain(
                self.partitions
                    .values()
                    .flat_map(|p| [&p.messages, &p.facts]),
            )
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
    /// Week partitions written.
    pub partitions_written: usize,
    /// When it finished (ms since the epoch).
    pub finished_at_ms: i64,
    /// Wall time (ms).
    pub elapsed_ms: u64,
}

impl RefreshReport {
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
            ": folded in {} message file(s) ({} rows), {} profile file(s) ({} rows) and {} event file(s) ({} rows); recomputed {} conversation(s); wrote {} partition(s) in {:.2} s",
            self.message_files,
            self.message_rows,
            self.profile_files,
            self.profile_rows,
            self.event_files,
            self.event_rows,
            self.conversations_recomputed,
            self.partitions_written,
            self.elapsed_ms as f64 / 1000.0
        )
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
    /// A manifest this build cannot use: damaged, or written by another version (the reason).
    Unusable(String),
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

    /// Reads `dir/manifest.json`. An error only when the file cannot be read;
    /// one that does not parse, or is of another format, is [`Loaded::Unusable`].
    pub fn load(dir: &Path) -> Result<Loaded> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::Missing),
            Err(e) => {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        };
        let damaged = |e: serde_json::Error| {
            Loaded::Unusable(format!("the manifest {} is damaged: {e}", path.display()))
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(value) => value,
            Err(e) => return Ok(damaged(e)),
        };
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(format) if format == u64::from(FORMAT) => {}
            // Written by another version: its files are not read; the store is rebuilt.
            other => {
                return Ok(Loaded::Unusable(format!(
                    "the manifest {} is of format {}, this version reads format {FORMAT}",
                    path.display(),
                    other.map_or_else(|| "(none)".to_string(), |f| f.to_string())
                )));
            }
        }
        Ok(serde_json::from_value(value).map_or_else(damaged, |m| Loaded::Found(Box::new(m))))
    }

    /// Writes `dir/manifest.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FILE_NAME);
        let tmp = dir.join(format!(".{FILE_NAME}.tmp"));
        let io = |p: &Path, e| Error::Io {
            path: p.display().to_string(),
            source: e,
        };
        let text = serde_json::to_string(self)
            .map_err(|e| Error::config(format!("fact store manifest: {e}")))?;
        std::fs::write(&tmp, text).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io(&path, e))
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
            .map(|p| p.facts.rows)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_survives_a_round_trip_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Manifest::load(dir.path()).unwrap(), Loaded::Missing);
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
                    messages: file("m"),
                    facts: file("f"),
                    min_started_date: 20_586,
                    max_started_date: 20_590,
                },
            );
        manifest.save(dir.path()).unwrap();
        assert_eq!(
            Manifest::load(dir.path()).unwrap(),
            Loaded::Found(Box::new(manifest.clone()))
        );
        assert_eq!(manifest.files().count(), 2);
        assert_eq!(manifest.conversations(), 2);
    }

    #[test]
    fn a_manifest_of_another_format_is_read_as_one_to_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"format":1,"root":"data","generation":3}"#,
        )
        .unwrap();
        let Loaded::Unusable(reason) = Manifest::load(dir.path()).unwrap() else {
            panic!("a format-1 manifest was read");
        };
        assert!(
            reason.contains(&format!("format 1, this version reads format {FORMAT}")),
            "{reason}"
        );
    }

    #[test]
    fn a_damaged_manifest_is_unusable_and_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let Loaded::Unusable(reason) = Manifest::load(dir.path()).unwrap() else {
            panic!("a damaged manifest was read");
        };
        assert!(reason.contains("manifest.json is damaged"), "{reason}");
        // A manifest of this format whose fields do not fit is damaged too.
        std::fs::write(
            dir.path().join(FILE_NAME),
            format!(r#"{{"format":{FORMAT},"root":"data"}}"#),
        )
        .unwrap();
        assert!(matches!(
            Manifest::load(dir.path()).unwrap(),
            Loaded::Unusable(_)
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
