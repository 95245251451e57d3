//! The harness's own files in the cache (the runtime script, installed npm packages) are checked before
//! every use, because the implementation under test runs as the same user and could rewrite them to rig
//! later checks.
//!
//! - The runtime files are compared with the copies compiled into the binary.
//! - An installed package folder (`node_modules`) is compared with the digest of its whole tree (paths,
//!   contents, link targets) taken when it was installed: recorded in the install's `.complete` marker and,
//!   for the rest of the process, in memory, so that a change made during a run is caught even if the
//!   marker was rewritten too.
//!
//! A mismatch is repaired (the files rewritten, the folder installed again) and recorded: every run that
//! saw one reports it as a finding against the implementation and fails ([`take_findings`]).
//!
//! What this cannot do: a process of the same user that rewrites a folder *and* its marker between two
//! runs, knowing this scheme, is caught only if the same `tbjwt` process saw the folder before. Run
//! implementations you do not trust as another user or in a container as well.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Digests of the trees seen by this process, by folder.
static SEEN: Mutex<Option<HashMap<PathBuf, String>>> = Mutex::new(None);
/// Changes found and repaired, not yet reported.
static FINDINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records a change of the harness's files (and says it on stderr at once).
pub(super) fn record(finding: String) {
    eprintln!("tbjwt: SECURITY: {finding}");
    FINDINGS.lock().unwrap_or_else(|p| p.into_inner()).push(finding);
}

/// The changes of the harness's files found (and repaired) since the last call (a run reads them).
#[cfg(feature = "full")]
pub fn take_findings() -> Vec<String> {
    std::mem::take(&mut *FINDINGS.lock().unwrap_or_else(|p| p.into_inner()))
}

/// The digest of every file, link and folder under `dir`, in name order. A missing folder digests as
/// `missing`.
pub fn tree_digest(dir: &Path) -> String {
    fn walk(root: &Path, dir: &Path, hasher: &mut Sha256) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            hasher.update(b"unreadable\0");
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let relative = path.strip_prefix(root).unwrap_or(&path);
            hasher.update(relative.to_string_lossy().as_bytes());
            hasher.update([0]);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    hasher.update(b"link\0");
                    hasher.update(std::fs::read_link(&path).unwrap_or_default().to_string_lossy().as_bytes());
                }
                Ok(m) if m.is_dir() => {
                    hasher.update(b"dir\0");
                    walk(root, &path, hasher);
                }
                Ok(_) => {
                    hasher.update(b"file\0");
                    let bytes = std::fs::read(&path).unwrap_or_default();
                    hasher.update((bytes.len() as u64).to_le_bytes());
                    hasher.update(&bytes);
                }
                Err(_) => hasher.update(b"gone\0"),
            }
            hasher.update([0]);
        }
    }
    if !dir.is_dir() {
        return "missing".into();
    }
    let mut hasher = Sha256::new();
    walk(dir, dir, &mut hasher);
    hex::encode(hasher.finalize())
}

/// Whether the tree under `dir` is as installed: its digest equals the one this process saw first, or,
/// the first time, the one recorded in `marker`.
pub(super) fn tree_intact(dir: &Path, marker: &Path) -> bool {
    let digest = tree_digest(dir);
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let seen = seen.get_or_insert_with(HashMap::new);
    let expected = match seen.get(dir) {
        Some(d) => d.clone(),
        None => std::fs::read_to_string(marker).unwrap_or_default().trim().to_owned(),
    };
    if digest == expected {
        seen.insert(dir.to_owned(), digest);
        true
    } else {
        false
    }
}

/// Checks every tree this process has seen against its digest (at the end of a run, after the last
/// implementation process stopped); a changed one is recorded and forgotten, so that its next use
/// installs it again. Call it through [`super::install::verify_after_run`], which restores the runtime's
/// files first.
pub(super) fn verify_seen() {
    let seen: Vec<(PathBuf, String)> = SEEN
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    for (dir, digest) in seen {
        if tree_digest(&dir) != digest {
            record(format!("the harness's installed packages in {} were changed during the run", dir.display()));
            forget(&dir);
            if let Some(install) = dir.parent() {
                let _ = std::fs::remove_file(install.join(".complete"));
            }
        }
    }
}

/// Remembers `digest` as the installed state of `dir` for this process.
pub(super) fn remember(dir: &Path, digest: &str) {
    SEEN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(dir.to_owned(), digest.into());
}

/// Forgets what this process saw of `dir` (it is being installed again).
pub(super) fn forget(dir: &Path) {
    if let Some(seen) = SEEN.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
        seen.remove(dir);
    }
}
