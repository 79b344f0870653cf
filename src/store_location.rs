//! A place in an object store, named the way the dataset root is: a local
//! path, `file://…`, `s3://bucket/prefix` or `memory://…`. The views location
//! (`--views`) and the fact store (`--facts`) are such places; by default both
//! sit beside the data, in the dataset's own store.

use std::sync::Arc;

use datafusion::execution::object_store::ObjectStoreUrl;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use url::Url;

use crate::dataset::Dataset;
use crate::s3::S3Options;

/// The URL a `memory://` location other than the dataset's is registered
/// under for scans (the dataset's own in-memory store has `memory://`).
const SEPARATE_MEMORY_URL: &str = "memory://conversql-store";

/// An object store and a prefix inside it.
#[derive(Debug, Clone)]
pub struct StoreLocation {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The URL DataFusion's scans know the store by.
    pub url: ObjectStoreUrl,
    /// The folder inside the store.
    pub prefix: Path,
    /// The location as the user would write it (for messages and the catalog).
    pub display: String,
}

impl StoreLocation {
    /// The location `location` (a path, `file://`, `s3://bucket/prefix` or
    /// `memory://`); a local folder is created if missing. The error says what
    /// is wrong with it, for the caller to prefix with its flag.
    pub fn parse(location: &str, s3: &S3Options) -> Result<StoreLocation, String> {
        if location.starts_with("s3://") {
            let url = Url::parse(location).map_err(|e| format!("not a valid URL: {e}"))?;
            let bucket = url
                .host_str()
                .filter(|b| !b.is_empty())
                .ok_or("an s3:// URL needs a bucket: s3://bucket/prefix")?;
            let store = s3
                .build(bucket)
                .map_err(|e| format!("cannot configure S3: {e}"))?;
            return Ok(StoreLocation {
                store: Arc::new(store),
                url: ObjectStoreUrl::parse(format!("s3://{bucket}"))
                    .map_err(|e| format!("not a valid bucket: {e}"))?,
                prefix: Path::from(url.path().trim_matches('/')),
                display: location.trim_end_matches('/').to_string(),
            });
        }
        if let Some(path) = location.strip_prefix("memory://") {
            return Ok(StoreLocation {
                store: Arc::new(InMemory::new()),
                url: ObjectStoreUrl::parse(SEPARATE_MEMORY_URL).expect("static URL"),
                prefix: Path::from(path.trim_matches('/')),
                display: location.trim_end_matches('/').to_string(),
            });
        }
        let path = match location.strip_prefix("file://") {
            Some(p) => std::path::PathBuf::from(p),
            None if location.contains("://") => {
                return Err("unsupported scheme: use a path, file://, s3:// or memory://".into());
            }
            None => std::path::PathBuf::from(location),
        };
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create it: {e}"))?;
        let path = std::fs::canonicalize(&path).map_err(|e| format!("cannot read it: {e}"))?;
        Ok(StoreLocation {
            store: Arc::new(LocalFileSystem::new()),
            url: ObjectStoreUrl::local_filesystem(),
            prefix: Path::from_absolute_path(&path)
                .map_err(|e| format!("cannot use this path: {e}"))?,
            display: path.display().to_string(),
        })
    }

    /// The folder `folder` (e.g. `_conversql/views`) under the dataset root, in the dataset's store.
    pub fn beside(dataset: &Dataset, folder: &str) -> StoreLocation {
        StoreLocation {
            store: dataset.store.clone(),
            url: dataset.store_url.clone(),
            prefix: Path::from(format!(
                "{}/{folder}",
                dataset.prefix.as_ref().trim_end_matches('/')
            )),
            display: format!("{}/{folder}", dataset.root.trim_end_matches('/')),
        }
    }

    /// The object at `relative` (a `/`-separated path) below the prefix.
    pub fn child(&self, relative: &str) -> Path {
        let mut path = self.prefix.clone();
        for part in relative.split('/').filter(|p| !p.is_empty()) {
            path = path.join(part);
        }
        path
    }

    /// The path of `path` below the prefix (`None` for an object outside it).
    pub fn relative(&self, path: &Path) -> Option<String> {
        let parts: Vec<_> = path.prefix_match(&self.prefix)?.collect();
        Some(
            parts
                .iter()
                .map(|p| p.as_ref().to_string())
                .collect::<Vec<_>>()
                .join("/"),
        )
    }

    /// The folder as a URL ending in `/` (`file:///…/`, `s3://bucket/prefix/`).
    pub fn url_of_folder(&self) -> String {
        format!("{}{}/", self.url.as_str(), self.prefix)
    }

    /// Whether the location is a local folder.
    pub fn is_local(&self) -> bool {
        self.url.as_str().starts_with("file://")
    }

    /// Writes and deletes a small object, to learn at start-up whether the
    /// location takes writes; the error is the store's.
    pub async fn check_writable(&self, probe_name: &str) -> Result<(), object_store::Error> {
        let probe = self.child(probe_name);
        self.store
            .put(&probe, PutPayload::from_static(b"conversql write probe"))
            .await?;
        self.store.delete(&probe).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_like_dataset_roots() {
        let s3 = S3Options::default();
        let memory = StoreLocation::parse("memory://facts/x/", &s3).unwrap();
        assert_eq!(memory.prefix.as_ref(), "facts/x");
        assert_eq!(memory.url.as_str(), format!("{SEPARATE_MEMORY_URL}/"));
        assert_eq!(
            memory.child("a=1/w=2/f.parquet").as_ref(),
            "facts/x/a=1/w=2/f.parquet"
        );
        assert_eq!(
            memory.relative(&memory.child("a=1/f.parquet")).as_deref(),
            Some("a=1/f.parquet")
        );
        assert_eq!(memory.relative(&Path::from("other/f")), None);
        let err = StoreLocation::parse("ftp://host/x", &s3).unwrap_err();
        assert!(err.contains("unsupported scheme"), "{err}");
        let err = StoreLocation::parse("s3:///x", &s3).unwrap_err();
        assert!(err.contains("needs a bucket"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let local =
            StoreLocation::parse(&dir.path().join("a/b").display().to_string(), &s3).unwrap();
        assert!(local.is_local());
        assert!(dir.path().join("a/b").is_dir());
    }

    #[tokio::test]
    async fn the_write_probe_leaves_nothing_behind() {
        let s3 = S3Options::default();
        let memory = StoreLocation::parse("memory://x", &s3).unwrap();
        memory.check_writable(".probe").await.unwrap();
        assert!(memory.store.head(&memory.child(".probe")).await.is_err());
        let dir = tempfile::tempdir().unwrap();
        let local = StoreLocation::parse(&dir.path().display().to_string(), &s3).unwrap();
        local.check_writable(".probe").await.unwrap();
        assert!(!dir.path().join(".probe").exists());
    }
}
