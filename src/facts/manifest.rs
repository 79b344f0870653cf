//! The fact store's manifest (`manifest.json`): which log files the store
//! holds, and which Parquet files hold it. It is replaced atomically (written
//! aside, then renamed) after every refresh, so a store read after a crash or
//! a restart is always one whole generation.

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
        }
    }

    /// Reads `dir/manifest.json`; `None` when there is none yet.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Io {
                    path: path.display().to_string(),
                    source: e,
                });
            }
        };
        let damaged = |e: serde_json::Error| {
            Error::config(format!("fact store manifest {}: {e}", path.display()))
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(damaged)?;
        if value.get("format").and_then(serde_json::Value::as_u64) != Some(u64::from(FORMAT)) {
            // Written by another version: its files are not read; the store is rebuilt.
            let root = value
                .get("root")
                .and_then(|r| r.as_str())
                .unwrap_or_default();
            return Ok(Some(Manifest {
                format: 0,
                ..Manifest::empty(root)
            }));
        }
        serde_json::from_value(value).map(Some).map_err(damaged)
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
        self.accounts.values().flat_map(|a| {
            a.profiles
                .iter()
                .chain(a.delivered_events.iter())
                .chain(a.events.iter())
                .chain(a.touches.iter())
                .chain(a.partitions.values().flat_map(|p| [&p.messages, &p.facts]))
        })
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
        assert_eq!(Manifest::load(dir.path()).unwrap(), None);
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
        assert_eq!(Manifest::load(dir.path()).unwrap(), Some(manifest.clone()));
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
        let manifest = Manifest::load(dir.path()).unwrap().unwrap();
        assert_eq!(
            (manifest.format, manifest.root.as_str(), manifest.generation),
            (0, "data", 0)
        );
    }

    #[test]
    fn a_damaged_manifest_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{not json").unwrap();
        let err = Manifest::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("manifest.json"), "{err}");
    }
}
