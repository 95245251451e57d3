//! Snapshot files in insta's format: `NAME.snap` is the accepted snapshot, `NAME.snap.new` a new or changed
//! one awaiting review. A file is a YAML header between `---` lines (here only a `description`: no
//! source path, line or other harness detail) and the snapshot's text; files are read with insta's own
//! reader, so `cargo insta review` and `tbjwt snapshots` read, accept and reject the same files.

use std::io;
use std::path::{Path, PathBuf};

/// What writing a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The accepted snapshot already says this (a stale `.snap.new` is removed).
    Unchanged,
    /// No accepted snapshot: `NAME.snap.new` written.
    New,
    /// The accepted snapshot differs: `NAME.snap.new` written.
    Changed,
}

/// The accepted snapshot's path for `name` in `dir`.
pub fn accepted_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.snap"))
}

/// The pending snapshot's path for `name` in `dir`.
pub fn pending_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.snap.new"))
}

/// Compares `body` with the accepted snapshot `name` in `dir` and writes `NAME.snap.new` when it differs or
/// is new.
pub fn write(dir: &Path, name: &str, description: &str, body: &str) -> io::Result<Written> {
    let accepted = accepted_path(dir, name);
    let pending = pending_path(dir, name);
    let written = match contents(&accepted) {
        Ok(old) if old == normalized(body) => Written::Unchanged,
        Ok(_) => Written::Changed,
        Err(_) if !accepted.exists() => Written::New,
        // An accepted file insta cannot read is replaced by review like a changed one.
        Err(_) => Written::Changed,
    };
    if written == Written::Unchanged {
        match std::fs::remove_file(&pending) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => return Ok(written),
        }
    }
    std::fs::write(&pending, file_text(description, body))?;
    Ok(written)
}

/// The whole file: the header, then the body.
fn file_text(description: &str, body: &str) -> String {
    let mut header = serde_json::Map::new();
    header.insert("description".into(), description.into());
    let header = serde_norway::to_string(&header).expect("a map of one string serialises");
    format!("---\n{header}---\n{}\n", body.trim_end())
}

/// The snapshot text of a file, as insta reads and compares it (trailing whitespace and CRLF normalised).
pub fn contents(path: &Path) -> Result<String, String> {
    let snapshot = insta::Snapshot::from_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = snapshot.as_text().ok_or_else(|| format!("{}: a binary snapshot, not text", path.display()))?;
    Ok(text.to_string())
}

/// The description in a snapshot file's header, if any.
pub fn description(path: &Path) -> Option<String> {
    insta::Snapshot::from_file(path).ok()?.metadata().description().map(str::to_owned)
}

fn normalized(body: &str) -> String {
    body.trim_end().replace("\r\n", "\n")
}

/// A snapshot awaiting review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its name (the file name without `.snap.new`).
    pub name: String,
    /// The `.snap.new` file.
    pub new: PathBuf,
    /// The `.snap` file it would replace (which may not exist).
    pub accepted: PathBuf,
}

impl Pending {
    /// Whether there is no accepted snapshot yet.
    pub fn is_new(&self) -> bool {
        !self.accepted.exists()
    }

    /// Makes the pending snapshot the accepted one.
    pub fn accept(&self) -> io::Result<()> {
        std::fs::rename(&self.new, &self.accepted)
    }

    /// Discards the pending snapshot.
    pub fn reject(&self) -> io::Result<()> {
        std::fs::remove_file(&self.new)
    }
}

/// How many accepted snapshots (`.snap` files) `dir` holds (not its subfolders).
pub fn accepted_count(dir: &Path) -> io::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        count += usize::from(entry?.path().extension().is_some_and(|e| e == "snap"));
    }
    Ok(count)
}

/// The snapshots awaiting review in `dir` (not its subfolders), by name.
pub fn pending(dir: &Path) -> io::Result<Vec<Pending>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".snap.new")) else {
            continue;
        };
        found.push(Pending { name: name.to_owned(), accepted: accepted_path(dir, name), new: path.clone() });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_changed_unchanged_and_insta_reads_what_is_written() {
        let dir = std::env::temp_dir().join(format!("tbjwt-snapfiles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let body = "status: completed\nlogs:\n  - \"---\"\n";
        assert_eq!(write(&dir, "a", "a: case", body).unwrap(), Written::New);
        let text = std::fs::read_to_string(pending_path(&dir, "a")).unwrap();
        assert_eq!(text, "---\ndescription: 'a: case'\n---\nstatus: completed\nlogs:\n  - \"---\"\n");
        assert_eq!(contents(&pending_path(&dir, "a")).unwrap(), body.trim_end());
        assert_eq!(description(&pending_path(&dir, "a")).as_deref(), Some("a: case"));
        let found = pending(&dir).unwrap();
        assert_eq!(found.len(), 1);
        found[0].accept().unwrap();
        assert_eq!(write(&dir, "a", "a: case", body).unwrap(), Written::Unchanged);
        assert!(pending(&dir).unwrap().is_empty());
        assert_eq!(write(&dir, "a", "a: case", "status: threw\n").unwrap(), Written::Changed);
        pending(&dir).unwrap()[0].reject().unwrap();
        assert!(pending(&dir).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
