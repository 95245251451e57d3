//! A process's private folder: its `HOME` and temp folder, the only place it may write, removed with
//! everything in it when the process is done.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Every private folder not yet removed, so that a harness that ends abruptly (an interrupted run
/// abandoning its cases) removes them all.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn live() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes every private folder still there (their processes must be ended first).
pub fn remove_all() {
    for root in std::mem::take(&mut *live()) {
        let _ = std::fs::remove_dir_all(root);
    }
}

/// A private folder with `home/` and `tmp/` in it.
#[derive(Debug)]
pub(super) struct PrivateDir {
    root: PathBuf,
}

impl PrivateDir {
    /// A fresh folder under the harness's temp folder.
    pub(super) fn create() -> std::io::Result<PrivateDir> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let root = base.join(format!("tbjwt-sandbox-{}-{n}", std::process::id()));
            match std::fs::create_dir(&root) {
                Ok(()) => {
                    live().insert(root.clone());
                    let dir = PrivateDir { root };
                    std::fs::create_dir(dir.home())?;
                    std::fs::create_dir(dir.tmp())?;
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The folder itself (the only one the process may write in).
    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// Its `HOME`.
    pub(super) fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// Its `TMPDIR`.
    pub(super) fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
        live().remove(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_made_fresh_and_removed_with_its_content() {
        let dir = PrivateDir::create().unwrap();
        let other = PrivateDir::create().unwrap();
        assert_ne!(dir.root(), other.root());
        std::fs::write(dir.tmp().join("x"), "y").unwrap();
        let root = dir.root().to_owned();
        drop(dir);
        assert!(!root.exists());
    }
}
