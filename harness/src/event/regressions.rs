//! Saving failing cases for replay: the one writer of regression files (`check`'s shrunk failures,
//! `fuzz` findings, `import-crash` artifacts). A file's name comes from its content, so the same minimal
//! event is saved once however often it is found, and two different findings never share a name.

use std::path::{Path, PathBuf};

use super::Case;

/// Hex digits of the content id kept in a file name (48 bits: collisions need ~16 million findings).
const NAME_DIGITS: usize = 12;

/// Where a case was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// The file holding the case.
    pub path: PathBuf,
    /// Whether this call wrote it (`false`: a file with the same case was already there).
    pub new: bool,
}

/// A case that could not be saved.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot save the failing case: {source}")]
pub struct SaveError {
    /// The folder or file.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// The file name a case gets: `PREFIX-DIGEST.json`, the digest being the start of its content id.
pub fn file_name(prefix: &str, case: &Case) -> String {
    format!("{prefix}-{}.json", &case.content_id()[..NAME_DIGITS])
}

/// Saves `case` into `dir` as `PREFIX-DIGEST.json` (written whole through a temporary file and a rename),
/// unless a case file in `dir` already holds the same case (same clock and event), whatever its name.
pub fn save(dir: &Path, prefix: &str, case: &Case) -> Result<Saved, SaveError> {
    let error = |path: &Path| {
        let path = path.to_owned();
        move |source| SaveError { path, source }
    };
    std::fs::create_dir_all(dir).map_err(error(dir))?;
    let id = case.content_id();
    if let Some(existing) = find(dir, &id) {
        return Ok(Saved { path: existing, new: false });
    }
    let path = dir.join(file_name(prefix, case));
    crate::files::write_replacing(&path, case.to_file_text().as_bytes()).map_err(error(&path))?;
    Ok(Saved { path, new: true })
}

/// The case file in `dir` whose content id is `id`, if any (unreadable files are passed over).
fn find(dir: &Path, id: &str) -> Option<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    // The content-addressed name first: the usual hit costs one read.
    paths.sort_by_key(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().contains(&id[..NAME_DIGITS])));
    paths.into_iter().find(|p| Case::load(p).is_ok_and(|c| c.content_id() == id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_case_is_saved_once_and_different_ones_never_collide() {
        let dir = std::env::temp_dir().join(format!("tbjwt-regressions-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut case = Case::new("", json!({"configuration": {"TINYBIRD_PIPE_NAMES": ",a"}}));
        case.now = Some(crate::clock::Now::from_seconds(5));
        let first = save(&dir, "check", &case).unwrap();
        assert!(first.new);
        case.description = "found again, described otherwise".into();
        let again = save(&dir, "fuzz", &case).unwrap();
        assert_eq!(again, Saved { path: first.path.clone(), new: false });
        case.now = Some(crate::clock::Now::from_seconds(6));
        let other = save(&dir, "check", &case).unwrap();
        assert!(other.new);
        assert_ne!(other.path, first.path);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
