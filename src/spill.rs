//! The server's spill directory: where operators over the memory limit write
//! their temporary files.
//!
//! DataFusion's default puts spill files in anonymous directories of the
//! system temp dir and deletes them when the query drops them, so a server
//! stopped mid-query (SIGTERM, a crash) left them behind: 450 MiB after one
//! spilling query. Here every server process spills into its own directory,
//! `<spill dir>/server-<pid>`, holding an exclusive lock on its `lock` file:
//! - at start-up, every `server-*` directory whose lock can be taken belongs
//!   to a process that is gone, and is removed;
//! - on SIGTERM or SIGINT the server removes its directory before it exits
//!   (see [`crate::cli`]).

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The default spill directory: `conversql-spill` under the system temp dir.
pub fn default_spill_dir() -> PathBuf {
    std::env::temp_dir().join("conversql-spill")
}

/// This process's spill directory, locked while the process lives.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    _lock: File,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: format!("spill directory {}", path.display()),
        source,
    }
}

impl SpillDir {
    /// Creates this process's directory under `base`, after removing the
    /// directories that processes no longer running left there.
    pub fn open(base: &Path) -> Result<SpillDir> {
        std::fs::create_dir_all(base).map_err(io(base))?;
        for entry in std::fs::read_dir(base).map_err(io(base))? {
            let entry = entry.map_err(io(base))?;
            let leftover = entry.path();
            let is_server_dir =
                entry.file_name().to_string_lossy().starts_with("server-") && leftover.is_dir();
            if is_server_dir && !is_locked(&leftover) {
                match std::fs::remove_dir_all(&leftover) {
                    Ok(()) => tracing::info!(
                        "removed spill files left by a stopped server: {}",
                        leftover.display()
                    ),
                    Err(e) => tracing::warn!(
                        "cannot remove old spill directory {}: {e}",
                        leftover.display()
                    ),
                }
            }
        }
        let path = base.join(format!("server-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(io(&path))?;
        let lock_path = path.join("lock");
        let lock = File::create(&lock_path).map_err(io(&lock_path))?;
        lock.try_lock().map_err(|e| {
            Error::config(format!(
                "spill directory {}: cannot lock it: {e}",
                path.display()
            ))
        })?;
        Ok(SpillDir { path, _lock: lock })
    }

    /// The directory spill files go to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory and every spill file in it (at shutdown).
    pub fn remove(&self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(
                "cannot remove the spill directory {}: {e}",
                self.path.display()
            );
        }
    }
}

/// Whether another live process holds the lock of the spill directory `dir`.
fn is_locked(dir: &Path) -> bool {
    match File::open(dir.join("lock")) {
        Ok(file) => file.try_lock().is_err(),
        // No lock file: a directory being created right now, or not ours; leave it.
        Err(e) => e.kind() != std::io::ErrorKind::NotFound || dir_is_fresh(dir),
    }
}

/// A directory made in the last minute (its lock file may not exist yet).
fn dir_is_fresh(dir: &Path) -> bool {
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < std::time::Duration::from_mins(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_of_stopped_servers_are_removed_and_live_ones_kept() {
        let base = tempfile::tempdir().unwrap();
        // A server that crashed: its directory and files, no lock held.
        let dead = base.path().join("server-999999");
        std::fs::create_dir_all(dead.join("tmp-1")).unwrap();
        std::fs::write(dead.join("lock"), b"").unwrap();
        std::fs::write(dead.join("tmp-1/spill.arrow"), vec![0u8; 1024]).unwrap();
        // A server still running: its lock is held.
        let live = base.path().join("server-1");
        std::fs::create_dir_all(&live).unwrap();
        let held = File::create(live.join("lock")).unwrap();
        held.lock().unwrap();

        let spill = SpillDir::open(base.path()).unwrap();
        assert!(!dead.exists(), "the crashed server's spill files are gone");
        assert!(live.exists(), "a running server's directory stays");
        assert!(spill.path().starts_with(base.path()) && spill.path().is_dir());
        std::fs::write(spill.path().join("x.arrow"), b"spilled").unwrap();
        spill.remove();
        assert!(!spill.path().exists());
        drop(held);
    }
}
