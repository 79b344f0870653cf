//! The views location: one `<name>.sql` object per view in an object store
//! (a local directory, `s3://…` or `memory://`), by default
//! `<root>/_conversql/views` beside the dataset.
//!
//! A write is one `put` of the whole file, which object stores make atomic:
//! S3 shows either the old object or the new one, and the local store writes
//! a staging file and renames it. Listing reads only names ending in `.sql`
//! that do not start with `.`, so a staging or temporary file (the local
//! store's `v.sql#1`, an editor's `.v.sql.swp`) is never read as a view.

use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::store_location::StoreLocation;

/// The folder of the default views location under the dataset root.
pub const DEFAULT_FOLDER: &str = "_conversql/views";

/// One view file as listed: its view name and a fingerprint of its version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listed {
    /// The view's name (the file name without `.sql`).
    pub name: String,
    /// Changes whenever the file does (ETag, else modification time and size).
    pub version: String,
}

/// Where the views are kept.
#[derive(Debug, Clone)]
pub struct ViewStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// The location as the user gave it (for messages).
    display: String,
}

impl ViewStore {
    /// The views location `location` (path, `file://`, `s3://`, `memory://`),
    /// or by default the dataset's `<root>/_conversql/views`.
    pub fn open(
        location: Option<&str>,
        dataset: &Dataset,
        s3: &crate::s3::S3Options,
    ) -> Result<ViewStore> {
        let Some(location) = location else {
            let beside = StoreLocation::beside(dataset, DEFAULT_FOLDER);
            return Ok(ViewStore {
                store: beside.store,
                prefix: beside.prefix,
                display: beside.display,
            });
        };
        let parsed = StoreLocation::parse(location, s3)
            .map_err(|message| Error::Config(format!("--views {location}: {message}")))?;
        Ok(ViewStore {
            store: parsed.store,
            prefix: parsed.prefix,
            display: location.to_string(),
        })
    }

    /// The location as given, for messages.
    pub fn display(&self) -> &str {
        &self.display
    }

    fn path_of(&self, name: &str) -> Path {
        self.prefix.clone().join(format!("{name}.sql"))
    }

    fn error(&self, doing: &str, e: impl std::fmt::Display) -> Error {
        Error::Postgres {
            sqlstate: "58030",
            message: format!("cannot {doing} the views location {}: {e}", self.display),
        }
    }

    /// The view files there, sorted by name.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let objects: Vec<_> = match self.store.list(Some(&self.prefix)).try_collect().await {
            Ok(objects) => objects,
            Err(object_store::Error::NotFound { .. }) => vec![],
            Err(e) => return Err(self.error("list", e)),
        };
        let mut listed: Vec<Listed> = objects
            .into_iter()
            .filter_map(|meta| {
                let file = meta.location.filename()?.to_string();
                // Only files directly in the location.
                let parent_depth = self.prefix.parts().count();
                if meta.location.parts().count() != parent_depth + 1 {
                    return None;
                }
                let name = file.strip_suffix(".sql")?;
                if name.is_empty() || name.starts_with('.') {
                    return None;
                }
                let version = meta.e_tag.clone().unwrap_or_else(|| {
                    format!("{}:{}", meta.last_modified.timestamp_micros(), meta.size)
                });
                Some(Listed {
                    name: name.to_string(),
                    version,
                })
            })
            .collect();
        listed.sort();
        Ok(listed)
    }

    /// The text of view `name`'s file.
    pub async fn read(&self, name: &str) -> Result<String> {
        let bytes = self
            .store
            .get(&self.path_of(name))
            .await
            .map_err(|e| self.error("read", e))?
            .bytes()
            .await
            .map_err(|e| self.error("read", e))?;
        String::from_utf8(bytes.to_vec())
            .map_err(|e| self.error("read", format!("{name}.sql is not UTF-8: {e}")))
    }

    /// Writes view `name`'s file whole.
    pub async fn write(&self, name: &str, text: &str) -> Result<()> {
        self.store
            .put(&self.path_of(name), PutPayload::from(text.to_string()))
            .await
            .map(|_| ())
            .map_err(|e| self.error("write", e))
    }

    /// Removes view `name`'s file (nothing if it is gone already).
    pub async fn remove(&self, name: &str) -> Result<()> {
        match self.store.delete(&self.path_of(name)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error("write", e)),
        }
    }
}
