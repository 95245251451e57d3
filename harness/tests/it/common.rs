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

/// Whether process `pid` is alive (a zombie is not).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
}

/// Waits for `child` and returns its exit code and its peak resident memory in bytes.
pub fn wait_with_peak_rss(child: std::process::Child) -> (Option<i32>, u64) {
    let pid = child.id() as i32;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own unreaped child; the pointers are valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    std::mem::forget(child); // reaped here
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss as u64 * 1024)
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
