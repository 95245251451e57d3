//! Helpers shared by the integration tests: where the repository's fixtures are.
#![allow(dead_code)]

use std::path::PathBuf;

use harness::event::Case;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("harness/ has a parent").to_owned()
}

/// Every fixture event, then every saved regression, each sorted by name.
pub fn fixture_cases() -> Vec<Case> {
    let mut cases = Case::load_dir(&repo_root().join("fixtures/events")).expect("fixtures load");
    cases.extend(Case::load_dir(&repo_root().join("fixtures/regressions")).expect("regressions load"));
    assert!(cases.len() >= 40, "expected at least 40 fixtures, found {}", cases.len());
    cases
}
