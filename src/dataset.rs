//! The dataset root: one URL that `object_store` understands (a plain path,
//! `file://…`, `s3://bucket/prefix`, `memory://`), resolved to a store, the
//! URL DataFusion registers it under, and the prefix of the tables.

use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use url::Url;

use crate::contract::TABLES;
use crate::error::{Error, Result};
use crate::s3::S3Options;

/// A resolved dataset root.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The root as the user gave it (for messages).
    pub root: String,
    /// The store holding the files.
    pub store: Arc<dyn ObjectStore>,
    /// The URL the store is registered under in DataFusion (`file://`, `s3://bucket`, `memory://`).
    pub store_url: ObjectStoreUrl,
    /// The prefix of the dataset inside the store.
    pub prefix: Path,
}

impl Dataset {
    /// Resolves a root URL or path; S3 settings come from the `AWS_*` variables.
    pub fn open(root: &str) -> Result<Self> {
        Self::open_with(root, &S3Options::default())
    }

    /// Resolves a root URL or path, reaching `s3://` roots with `s3`.
    pub fn open_with(root: &str, s3: &S3Options) -> Result<Self> {
        let err = |message: String| Error::Dataset {
            root: root.to_string(),
            message,
        };
        if root.starts_with("s3://") {
            let url = Url::parse(root).map_err(|e| err(format!("not a valid URL: {e}")))?;
            let bucket = url
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or_else(|| err("an s3:// URL needs a bucket: s3://bucket/prefix".into()))?;
            let store = s3
                .build(bucket)
                .map_err(|e| err(format!("cannot configure S3: {e}")))?;
            let store_url = ObjectStoreUrl::parse(format!("s3://{bucket}"))?;
            let prefix = Path::from(url.path().trim_matches('/'));
            return Ok(Dataset {
                root: root.into(),
                store: Arc::new(store),
                store_url,
                prefix,
            });
        }
        if root.starts_with("memory://") {
            return Ok(Self::in_memory(root, Arc::new(InMemory::new())));
        }
        let path = match root.strip_prefix("file://") {
            Some(p) => std::path::PathBuf::from(p),
            None if root.contains("://") => {
                return Err(err(
                    "unsupported scheme: use a path, file://, s3:// or memory://".into(),
                ));
            }
            None => std::path::PathBuf::from(root),
        };
        let path = std::fs::canonicalize(&path).map_err(|e| {
            err(format!(
                "the dataset root does not exist or cannot be read ({e})"
            ))
        })?;
        if !path.is_dir() {
            return Err(err("the dataset root is not a directory".into()));
        }
        let store = LocalFileSystem::new();
        let prefix = Path::from_absolute_path(&path)
            .map_err(|e| err(format!("cannot use this path: {e}")))?;
        Ok(Dataset {
            root: root.into(),
            store: Arc::new(store),
            store_url: ObjectStoreUrl::local_filesystem(),
            prefix,
        })
    }

    /// A dataset held in a given in-memory store (for tests and embedding).
    pub fn in_memory(root: &str, store: Arc<dyn ObjectStore>) -> Self {
        let prefix = Path::from(root.trim_start_matches("memory://").trim_matches('/'));
        Dataset {
            root: root.into(),
            store,
            store_url: ObjectStoreUrl::parse("memory://").expect("static URL"),
            prefix,
        }
    }

    /// Whether the files are on the local filesystem (`file://`).
    pub fn is_local(&self) -> bool {
        self.store_url.as_str().starts_with("file://")
    }

    /// The prefix of one table's files.
    pub fn table_prefix(&self, table: &str) -> Path {
        self.prefix.clone().join(table)
    }

    /// Checks that every contract table has a folder under the root; names the missing ones.
    pub async fn check_layout(&self) -> Result<()> {
        let mut missing = vec![];
        for table in TABLES {
            let prefix = self.table_prefix(table.name);
            let present = if self.is_local() {
                let fs_path = format!("/{}", prefix.as_ref());
                std::path::Path::new(&fs_path).is_dir()
            } else {
                self.store
                    .list(Some(&prefix))
                    .try_next()
                    .await
                    .map_err(|e| Error::Dataset {
                        root: self.root.clone(),
                        message: format!("cannot list {prefix}: {e}"),
                    })?
                    .is_some()
            };
            if !present {
                missing.push(table.name);
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Dataset {
                root: self.root.clone(),
                message: format!(
                    "missing table folder(s): {} (expected <root>/accounts, <root>/profiles, <root>/messages, <root>/events)",
                    missing.join(", ")
                ),
            })
        }
    }

    /// Writes bytes under the dataset (used by tests and the generator for object stores).
    pub async fn put(&self, relative: &str, bytes: Vec<u8>) -> Result<()> {
        let path =
            Path::from(format!("{}/{}", self.prefix.as_ref(), relative).trim_start_matches('/'));
        self.store
            .put(&path, bytes.into())
            .await
            .map_err(|e| Error::Dataset {
                root: self.root.clone(),
                message: format!("cannot write {path}: {e}"),
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_that_does_not_exist_is_refused_by_name() {
        let err = Dataset::open("/no/such/conversql/root")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/no/such/conversql/root") && err.contains("does not exist"),
            "{err}"
        );
    }

    #[test]
    fn unknown_schemes_are_refused() {
        let err = Dataset::open("ftp://host/x").unwrap_err().to_string();
        assert!(err.contains("unsupported scheme"), "{err}");
    }

    #[tokio::test]
    async fn a_missing_table_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for table in ["accounts", "messages"] {
            std::fs::create_dir(dir.path().join(table)).unwrap();
        }
        let dataset = Dataset::open(&dir.path().display().to_string()).unwrap();
        let err = dataset.check_layout().await.unwrap_err().to_string();
        assert!(
            err.contains("missing table folder(s): profiles, events"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_in_memory_dataset_needs_objects_under_each_table() {
        let dataset = Dataset::in_memory("memory://ds", Arc::new(InMemory::new()));
        for table in ["accounts", "profiles", "messages"] {
            dataset
                .put(&format!("{table}/_SUCCESS"), vec![])
                .await
                .unwrap();
        }
        let err = dataset.check_layout().await.unwrap_err().to_string();
        assert!(err.contains("missing table folder(s): events"), "{err}");
        dataset.put("events/_SUCCESS", vec![]).await.unwrap();
        dataset.check_layout().await.unwrap();
    }
}
