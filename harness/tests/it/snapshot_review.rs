//! Snapshots people can review: `check --snapshots DIR` writes each fixture's observation decoded and
//! readable, in insta's file format without harness details, the same on every run; `tbjwt snapshots`
//! lists, accepts and rejects them, and reviews them one key at a time in a real terminal (tmux).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{self, code, text, TempDir};

const TRIMS: &str = "node:fixtures/implementations/deviant/trims_pipe_names.js";

/// `tbjwt ARGS…` run from the repository root (so implementations are found), snapshots in `dir`.
fn tbjwt(args: &[&str]) -> Output {
    common::run_tbjwt(args)
}

fn check_into(dir: &Path, implementation: &str) -> Output {
    tbjwt(&["check", implementation, "--cases", "0", "--no-save", "--snapshots", &dir.display().to_string()])
}

fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    found.sort();
    found
}

/// A folder with every fixture's snapshot of the reference accepted.
fn accepted_reference(name: &str) -> (TempDir, PathBuf) {
    let tmp = TempDir::new(name);
    let snaps = tmp.path("snaps");
    let out = check_into(&snaps, "reference");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains(&format!("{} new, 0 changed", common::fixture_cases().len())), "{}", text(&out));
    let out = tbjwt(&["snapshots", "accept", &snaps.display().to_string()]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    (tmp, snaps)
}

#[test]
fn snapshots_are_readable_stable_and_accepted_without_rust() {
    let tmp = TempDir::new("snapshot-files");
    let (first, second) = (tmp.path("first"), tmp.path("second"));
    for dir in [&first, &second] {
        let out = check_into(dir, "node:fixtures/implementations/published");
        assert_eq!(code(&out), 0, "{}", text(&out));
        assert!(text(&out).contains("review with `tbjwt snapshots review"), "{}", text(&out));
    }
    let written = files_ending(&first, ".snap.new");
    assert_eq!(written.len(), common::fixture_cases().len(), "one new snapshot per fixture");
    for path in &written {
        let content = std::fs::read_to_string(path).unwrap();
        let again = std::fs::read_to_string(second.join(path.file_name().unwrap())).unwrap();
        assert_eq!(content, again, "{}: the same on every run", path.display());
        // No harness detail, no machine detail, no encoded token, no admin token.
        for absent in ["\nsource:", "assertion_line", "127.0.0.1", "eyJ", tmp.0.to_str().unwrap()] {
            assert!(!content.contains(absent), "{}: holds {absent}:\n{content}", path.display());
        }
        assert!(content.starts_with("---\ndescription: "), "{content}");
        // insta's own reader (what cargo insta uses) reads it.
        insta::Snapshot::from_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let spaces = std::fs::read_to_string(first.join("pipes_with_spaces.snap.new")).unwrap();
    assert!(spaces.contains("resource: ' kpis'") && spaces.contains("signature: valid under the admin token"));
    assert_eq!(spaces.matches("<token>").count(), 5, "the token named wherever it went:\n{spaces}");
    assert!(spaces.find("claims:") < spaces.find("calls:"), "decoded content first:\n{spaces}");

    // Accepted, then a run of the same implementation has nothing to review.
    let dir = first.display().to_string();
    let out = tbjwt(&["snapshots", "pending", &dir]);
    assert_eq!(code(&out), 1, "pending snapshots fail `snapshots pending`: {}", text(&out));
    let out = tbjwt(&["snapshots", "accept", &dir]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(files_ending(&first, ".snap.new").is_empty());
    let out = check_into(&first, "node:fixtures/implementations/published");
    assert!(text(&out).contains("all unchanged"), "{}", text(&out));
    assert_eq!(code(&tbjwt(&["snapshots", "pending", &dir])), 0);

    // A folder that cannot be written is a usage error before anything runs; a name that is not pending is
    // an error naming it.
    let out = tbjwt(&["check", "reference", "--snapshots", "/proc/x"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--snapshots /proc/x") && !text(&out).contains("panicked"), "{}", text(&out));
    // A folder with no snapshot at all never passes the `pending` gate, and a check that wrote none says so.
    let empty = tmp.path("empty");
    let out = tbjwt(&[
        "check",
        "reference",
        "--no-suite",
        "--cases",
        "3",
        "--no-save",
        "--snapshots",
        &empty.display().to_string(),
    ]);
    assert!(text(&out).contains("none (no fixture ran)"), "{}", text(&out));
    let out = tbjwt(&["snapshots", "pending", &empty.display().to_string()]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no snapshot here"), "{}", text(&out));
    let out = tbjwt(&["snapshots", "accept", &dir, "no_such_case"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no pending snapshot named `no_such_case`"), "{}", text(&out));
}

#[test]
fn a_changed_behaviour_shows_only_the_lines_that_changed() {
    let (_tmp, snaps) = accepted_reference("snapshot-change");
    let out = check_into(&snaps, TRIMS);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("0 new, 5 changed"), "{}", text(&out));
    let out = tbjwt(&["snapshots", "pending", &snaps.display().to_string()]);
    assert_eq!(code(&out), 1);
    let listing = text(&out);
    let section = listing.split("Snapshot ").find(|s| s.contains("pipes_with_spaces (changed")).expect("listed");
    let changed: Vec<&str> = section.lines().filter(|l| l.starts_with("- ") || l.starts_with("+ ")).collect();
    assert_eq!(
        changed,
        [
            "-       resource: ' sessions_by_day '",
            "+       resource: sessions_by_day",
            "-       resource: ' kpis'",
            "+       resource: kpis",
            "-   sessions_by_day: 403",
            "-   kpis: 403",
            "+   sessions_by_day: 200",
            "+   kpis: 200",
        ],
        "{section}"
    );
    // Rejecting by name leaves the accepted snapshot as it was.
    let before = std::fs::read_to_string(snaps.join("pipes_with_spaces.snap")).unwrap();
    let out = tbjwt(&["snapshots", "reject", &snaps.display().to_string(), "pipes_with_spaces"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_eq!(std::fs::read_to_string(snaps.join("pipes_with_spaces.snap")).unwrap(), before);
    assert_eq!(files_ending(&snaps, ".snap.new").len(), 4);
}

/// A tmux server of this test's own, so nothing else's sessions are touched.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn screen(&self) -> String {
        let out = self.command().args(["capture-pane", "-p", "-t", "review", "-S", "-400"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (up to a minute) until the screen holds `text`, n times.
    fn wait_for(&self, text: &str, n: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.matches(text).count() >= n {
                return screen;
            }
            assert!(Instant::now() < deadline, "never showed {text:?} {n} times:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn press(&self, key: &str) {
        let status = self.command().args(["send-keys", "-t", "review", key]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

#[test]
fn snapshots_review_accepts_and_rejects_in_a_terminal() {
    let (tmp, snaps) = accepted_reference("snapshot-tty");
    let out = check_into(&snaps, TRIMS);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let pending = files_ending(&snaps, ".snap.new");
    assert_eq!(pending.len(), 5, "{pending:?}");
    let (first, second) = (pending[0].clone(), pending[1].clone());
    let first_new = std::fs::read_to_string(&first).unwrap();
    let second_accepted = std::fs::read_to_string(second.with_extension("")).unwrap();

    let exit_file = tmp.path("exit");
    let shell = format!(
        "cd {} && {} snapshots review {}; echo $? > {}; sleep 600",
        common::repo_root().display(),
        env!("CARGO_BIN_EXE_tbjwt"),
        snaps.display(),
        exit_file.display()
    );
    let tmux = Tmux { socket: format!("tbjwt-test-{}", std::process::id()) };
    let started = tmux
        .command()
        .args(["new-session", "-d", "-s", "review", "-x", "160", "-y", "50", &shell])
        .status()
        .expect("tmux runs (.ci/run installs it)");
    assert!(started.success());
    let prompt = "a accept · r reject · s skip · q quit >";
    let screen = tmux.wait_for(prompt, 1);
    assert!(screen.contains("Snapshot 1/5: pipes_blank_segment (changed"), "{screen}");
    assert!(screen.contains("+       resource: ''"), "the diff is shown:\n{screen}");
    tmux.press("a");
    tmux.wait_for("Snapshot 2/5", 1);
    tmux.wait_for(prompt, 2);
    tmux.press("x"); // not a choice: asked again
    tmux.wait_for(prompt, 3);
    tmux.press("r");
    tmux.wait_for(prompt, 4);
    tmux.press("q");
    let screen = tmux.wait_for("Accepted 1, rejected 1, skipped 3.", 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    // The shell creates the file before `echo` writes the code into it.
    let exit_code = loop {
        let written = std::fs::read_to_string(&exit_file).unwrap_or_default();
        if written.ends_with('\n') {
            break written.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "review did not exit:\n{screen}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit_code, "0");

    assert!(!first.exists() && std::fs::read_to_string(first.with_extension("")).unwrap() == first_new, "accepted");
    assert!(!second.exists(), "rejected: the pending file is gone");
    assert_eq!(std::fs::read_to_string(second.with_extension("")).unwrap(), second_accepted, "rejected: unchanged");
    assert_eq!(files_ending(&snaps, ".snap.new").len(), 3, "the rest are still pending");

    // Without a terminal nothing is decided.
    let out = tbjwt(&["snapshots", "review", &snaps.display().to_string()]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("not a terminal, nothing decided"), "{}", text(&out));
    assert_eq!(files_ending(&snaps, ".snap.new").len(), 3);
}
