//! The built-in conformance suite: every case file of the repository's `fixtures/events` (the named
//! fixtures) and `fixtures/regressions` (committed findings), embedded in the binary at build time, so
//! that a `tbjwt` installed anywhere runs the same cases. Its version names the harness version and a
//! digest of the files, and every report carries it.

use std::path::Path;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::{Case, CaseError};

include!(concat!(env!("OUT_DIR"), "/suite_files.rs"));

/// The suite's version: `HARNESS_VERSION+DIGEST`, where the digest covers every file's group, name and
/// bytes (so any edit of a case gives a new version).
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        for (group, name, bytes) in FILES {
            for part in [group.as_bytes(), name.as_bytes(), bytes] {
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part);
            }
        }
        format!("{}+{}", env!("CARGO_PKG_VERSION"), &hex::encode(hasher.finalize())[..10])
    })
}

/// Every built-in case, the named fixtures first, then the committed regressions, each sorted by name.
pub fn cases() -> Result<Vec<Case>, CaseError> {
    FILES
        .iter()
        .map(|(group, name, bytes)| {
            Case::parse(bytes, (*name).to_owned(), Path::new(&format!("<built-in suite>/{group}/{name}.json")))
        })
        .collect()
}

/// How many cases the built-in suite holds.
pub fn len() -> usize {
    FILES.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_suite_parses_and_has_a_stable_version() {
        let cases = super::cases().unwrap();
        assert_eq!(cases.len(), super::len());
        assert!(cases.len() >= 85, "{}", cases.len());
        assert!(cases.iter().any(|c| c.name == "pipes_trailing_comma"));
        assert_eq!(super::version(), super::version());
        assert!(super::version().starts_with(concat!(env!("CARGO_PKG_VERSION"), "+")));
    }
}
