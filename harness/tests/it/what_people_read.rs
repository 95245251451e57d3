//! What people read is a reviewed change: the terminal of the README's newcomer runs (a conforming
//! implementation, then a deviant one with its failure blocks, root causes and summary) and the failure
//! block of a shrunk generated case are insta snapshots under `snapshots/terminal/`, with only what varies
//! from run to run or machine to machine redacted (durations and rates, the suite's version hash, what the
//! sandbox can enforce here, the Node.js version, the binary's path) and the progress lines of a slow run left out.

use std::process::{Command, Output};

use crate::common::{self, code, text};

/// `tbjwt ARGS` in the repository root, its standard error and output in the one order a terminal shows
/// them (one job, so that cases are reported in their order).
fn as_a_terminal_shows(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" 2>&1"#)
        .arg(env!("CARGO_BIN_EXE_tbjwt"))
        .args(args)
        .args(["--jobs", "1"])
        .current_dir(common::repo_root())
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("sh runs tbjwt")
}

/// `output` with what varies between runs and machines replaced by a bracketed name.
fn redacted(output: &str) -> String {
    let binary = env!("CARGO_BIN_EXE_tbjwt");
    let mut lines = Vec::new();
    for line in output.replace(binary, "tbjwt").lines() {
        if is_progress(line) {
            continue; // printed every few seconds of a run: how many depends on the machine's speed
        }
        let line = if line.starts_with("sandbox (") {
            "sandbox ([mode]): [what this machine enforces]".to_owned()
        } else if let Some((runtime, _)) = line.split_once(" on Node.js ").filter(|_| line.starts_with("runtime: ")) {
            format!("{runtime} on Node.js [the version on this machine]")
        } else {
            redact_line(line)
        };
        lines.push(line);
    }
    lines.join("\n")
}

/// A progress line of a slow run (`tbjwt: 276/411 cases (141/s), 207 fail, 0 error`).
fn is_progress(line: &str) -> bool {
    line.strip_prefix("tbjwt: ").and_then(|rest| rest.split_once(" cases (")).is_some_and(|(counts, _)| {
        counts.split_once('/').is_some_and(|(a, b)| a.parse::<u64>().is_ok() && b.parse::<u64>().is_ok())
    })
}

fn redact_line(line: &str) -> String {
    let mut words: Vec<String> = line.split(' ').map(str::to_owned).collect();
    for i in 0..words.len() {
        let next = |k: usize| words.get(i + k).map(String::as_str);
        if words[i] == "in" && next(1).is_some_and(|w| w.parse::<f64>().is_ok()) && next(2) == Some("s") {
            words[i + 1] = "[duration]".into(); // "in 1.2 s"
        } else if next(1) == Some("cases/s,") && words[i].parse::<f64>().is_ok() {
            words[i] = "[rate]".into(); // "— 920 cases/s,"
        } else if let Some(rest) = words[i].strip_prefix("0.1.0+") {
            let tail: String = rest.chars().skip_while(char::is_ascii_alphanumeric).collect();
            words[i] = format!("[suite version]{tail}");
        }
    }
    words.join(" ")
}

fn snapshot(name: &str, output: &str) {
    common::snapshot_settings("snapshots/terminal").bind(|| insta::assert_snapshot!(name.to_owned(), redacted(output)));
}

#[test]
fn the_readmes_newcomer_runs_read_as_reviewed() {
    for (implementation, exit, name) in [
        ("node:fixtures/implementations/tinybird-jwt", 0, "newcomer_conforming"),
        ("node:fixtures/implementations/deviant/logs_the_token.js", 1, "newcomer_deviant"),
    ] {
        let out = as_a_terminal_shows(&["check", implementation, "--seed", "1", "--cases", "300", "--no-save"]);
        assert_eq!(code(&out), exit, "{}", text(&out));
        snapshot(name, &text(&out));
    }
}

/// A generated failure is shown shrunk, with the sizes before and after and the event that fails.
#[test]
fn a_shrunk_failure_block_reads_as_reviewed() {
    let out = as_a_terminal_shows(&[
        "check",
        "node:fixtures/implementations/deviant/drops_empty_segments.js",
        "--no-suite",
        "--domain",
        "pipe-names",
        "--seed",
        "1",
        "--cases",
        "200",
        "--no-save",
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    snapshot("shrunk_failure", &text(&out));
}
