//! What people read is a reviewed change: the terminal of the README's newcomer runs (a conforming
//! implementation, then a deviant one with its failure blocks, root causes and summary) and the failure
//! block of a shrunk generated case are insta snapshots under `snapshots/terminal/`, with only what varies
//! from run to run or machine to machine redacted (durations and rates, the suite's version hash, what the
//! sandbox can enforce here, the binary's path).

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
        let line = if line.starts_with("sandbox (") {
            "sandbox ([mode]): [what this machine enforces]".to_owned()
        } else {
            redact_line(line)
        };
        lines.push(line);
    }
    lines.join("\n")
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
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(common::repo_root().join("snapshots/terminal"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_owned(), redacted(output)));
}

#[test]
fn the_readmes_newcomer_runs_read_as_reviewed() {
    let conforming = as_a_terminal_shows(&[
        "check",
        "node:fixtures/implementations/tinybird-jwt",
        "--seed",
        "1",
        "--cases",
        "300",
        "--no-save",
    ]);
    assert_eq!(code(&conforming), 0, "{}", text(&conforming));
    snapshot("newcomer_conforming", &text(&conforming));

    let deviant = as_a_terminal_shows(&[
        "check",
        "node:fixtures/implementations/deviant/logs_the_token.js",
        "--seed",
        "1",
        "--cases",
        "300",
        "--no-save",
    ]);
    assert_eq!(code(&deviant), 1, "{}", text(&deviant));
    snapshot("newcomer_deviant", &text(&deviant));
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
