//! Where the fact store is kept, and the check at start-up that it can be
//! written there.
//!
//! By default the store sits beside the data, in the dataset's own store
//! (`<root>/_conversql/facts`, `s3://` included), so every server and worker
//! reading the dataset can share it. Where that store refuses writes (a
//! read-only bucket or folder), the server says so at start-up and keeps the
//! store in a local cache folder that it names; a location given with
//! `--facts` (or `--facts-dir`) that refuses writes is a start-up error.
//! There is never a silent in-memory store.

use std::path::PathBuf;

use crate::dataset::Dataset;
use crate::error::{Error, Result};
use crate::s3::S3Options;
use crate::store_location::StoreLocation;

/// The store's folder under the dataset root by default.
pub const DEFAULT_FOLDER: &str = "_conversql/facts";

/// Where the fact store is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum FactsPlacement {
    /// No store: every query computes the facts from the raw log.
    #[default]
    Off,
    /// `<root>/_conversql/facts` in the dataset's store, else (if that refuses
    /// writes) the local cache folder [`local_fallback`] names.
    BesideData,
    /// At this location: a path, `file://`, `s3://bucket/prefix` or `memory://`.
    At(String),
}

/// The location the store is kept at for `placement`, checked to take
/// writes; `None` for [`FactsPlacement::Off`].
pub async fn locate(
    placement: &FactsPlacement,
    dataset: &Dataset,
    s3: &S3Options,
) -> Result<Option<StoreLocation>> {
    let probe = format!(".write-probe-{}", std::process::id());
    let location = match placement {
        FactsPlacement::Off => return Ok(None),
        FactsPlacement::At(given) => {
            let location = StoreLocation::parse(given, s3)
                .map_err(|message| Error::Config(format!("--facts {given}: {message}")))?;
            location.check_writable(&probe).await.map_err(|e| {
                Error::Config(format!(
                    "--facts {given}: the fact store cannot be written there: {e} (choose another location, or run without the store: --no-facts)"
                ))
            })?;
            location
        }
        FactsPlacement::BesideData => {
            let beside = StoreLocation::beside(dataset, DEFAULT_FOLDER);
            match beside.check_writable(&probe).await {
                Ok(()) => beside,
                Err(refused) => {
                    let folder = local_fallback(&dataset.root);
                    let shown = folder.display().to_string();
                    let neither = |why: String| {
                        Error::Config(format!(
                            "the fact store cannot be written beside the data ({}: {refused}), nor in the local folder {shown} ({why}); name a location with --facts, or run without the store: --no-facts",
                            beside.display
                        ))
                    };
                    let local = StoreLocation::parse(&shown, s3).map_err(&neither)?;
                    local
                        .check_writable(&probe)
                        .await
                        .map_err(|e| neither(e.to_string()))?;
                    tracing::warn!(
                        target: "conversql::facts",
                        "the fact store cannot be written beside the data ({}: {refused}); it is kept in the local folder {shown}, which other servers do not share",
                        beside.display
                    );
                    local
                }
            }
        }
    };
    Ok(Some(location))
}

/// The local folder of the store of `root` when the dataset's store refuses
/// writes: `$XDG_CACHE_HOME/conversql/facts/<root as a name>` (`~/.cache`
/// when unset).
pub fn local_fallback(root: &str) -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let name: String = root
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    cache.join("conversql").join("facts").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_folder_is_named_after_the_root() {
        let folder = local_fallback("s3://bucket/some data");
        assert!(
            folder.ends_with("conversql/facts/s3___bucket_some_data"),
            "{}",
            folder.display()
        );
    }

    #[tokio::test]
    async fn a_dataset_store_that_refuses_writes_falls_back_to_a_named_local_folder() {
        let data = tempfile::tempdir().unwrap();
        for table in ["accounts", "profiles", "messages", "events"] {
            std::fs::create_dir(data.path().join(table)).unwrap();
        }
        // `_conversql` is a file: nothing can be written below it.
        std::fs::write(data.path().join("_conversql"), "not a folder").unwrap();
        let dataset = Dataset::open(&data.path().display().to_string()).unwrap();
        let cache = tempfile::tempdir().unwrap();
        // SAFETY: this test is the only one of the crate that reads or sets XDG_CACHE_HOME.
        unsafe { std::env::set_var("XDG_CACHE_HOME", cache.path()) };
        let s3 = S3Options::default();
        let location = locate(&FactsPlacement::BesideData, &dataset, &s3)
            .await
            .unwrap()
            .unwrap();
        assert!(location.is_local());
        assert!(
            location
                .display
                .starts_with(&cache.path().display().to_string()),
            "{}",
            location.display
        );
        // Named explicitly, the same place is an error that says why.
        let below_a_file = data.path().join("_conversql/facts").display().to_string();
        let err = locate(&FactsPlacement::At(below_a_file.clone()), &dataset, &s3)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("--facts {below_a_file}")), "{err}");
        assert!(
            locate(&FactsPlacement::Off, &dataset, &s3)
                .await
                .unwrap()
                .is_none()
        );
    }
}
