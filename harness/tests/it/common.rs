//! Helpers shared by the integration tests: where the repository's fixtures are, and the `tbjwt` binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

use harness::event::Case;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("harness/ has a parent").to_owned()
}

/// Every built-in case: the fixture events, then the committed regressions, each sorted by name.
pub fn fixture_cases() -> Vec<Case> {
    let cases = harness::event::suite::cases().expect("the built-in suite loads");
    assert!(cases.len() >= 40, "expected at least 40 fixtures, found {}", cases.len());
    cases
}

/// The `tbjwt` binary, run in the repository root without colours.
pub fn tbjwt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tbjwt"));
    command.current_dir(repo_root()).env("NO_COLOR", "1");
    command
}

/// `tbjwt ARGS…` in the repository root, run to completion.
pub fn run_tbjwt(args: &[&str]) -> Output {
    tbjwt().args(args).output().expect("tbjwt runs")
}

/// The exit code (-1 for a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

/// stdout then stderr, as text.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `$TMPDIR/tbjwt-NAME-PID`, empty.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tbjwt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }

    /// A path inside.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A path inside, as an argument.
    pub fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
