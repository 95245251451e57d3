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

/// Waits for `child` and returns its exit code and its own peak resident memory in bytes: the kernel's
/// high-water mark of its process image (`VmHWM`), read every 20 ms while it runs. Not `wait4`'s
/// `ru_maxrss`: that one keeps the high-water mark across `exec`, so it would count the test process the
/// child was forked from (hundreds of MB while other tests run), and it folds in the implementation's.
pub fn wait_with_peak_rss(mut child: std::process::Child) -> (Option<i32>, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            if let Some(kb) = hwm {
                peak = peak.max(kb * 1024);
            }
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status.code(), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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
