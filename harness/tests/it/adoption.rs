//! Adopting the gate on a port that diverges today: baselines (`check --baseline`, `tbjwt baseline
//! write`) and `tbjwt diff`, run on the bundled deviants and on a port that later gains a second deviation.

use crate::common::{self, code, repo_root, text, TempDir};
use std::path::Path;
use std::process::Output;

fn deviant(name: &str) -> String {
    format!("node:{}", repo_root().join("fixtures/implementations/deviant").join(name).display())
}

/// `drops_empty_segments.js` after a second change (it also expires after one day).
fn with_a_second_deviation() -> String {
    let port = "fixtures/implementations/adoption/drops_empty_segments_and_expires_in_one_day.js";
    format!("node:{}", repo_root().join(port).display())
}

/// `tbjwt check IMPL --seed SEED --cases 300 --no-save EXTRA…`.
fn check(implementation: &str, seed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["check", implementation, "--seed", seed, "--cases", "300", "--no-save"];
    args.extend_from_slice(extra);
    common::run_tbjwt(&args)
}

fn json_report(dir: &TempDir, name: &str) -> String {
    dir.path(name).display().to_string()
}

fn lines_starting(out: &Output, prefix: &str) -> Vec<String> {
    text(out).lines().filter(|l| l.trim_start().starts_with(prefix)).map(|l| l.trim().to_owned()).collect()
}

#[test]
fn a_baseline_fails_only_on_root_causes_it_does_not_hold() {
    let dir = TempDir::new("baseline");
    let report = json_report(&dir, "today.jsonl");
    let out = check(&deviant("drops_empty_segments.js"), "1", &["--report", &format!("json={report}")]);
    assert_eq!(code(&out), 1, "{}", text(&out));

    // Its own report as baseline: every divergence is known, the gate passes.
    let out = check(&deviant("drops_empty_segments.js"), "1", &["--baseline", &report]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("0 new, 2 still there, 0 fixed"), "{}", text(&out));
    // Another seed draws other cases with the same root causes: still nothing new.
    let out = check(&deviant("drops_empty_segments.js"), "2", &["--baseline", &report]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // A second deviation: the run fails, and names that cause only.
    let out = check(&with_a_second_deviation(), "1", &["--baseline", &report]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(lines_starting(&out, "new:").len(), 1, "{}", text(&out));
    assert!(lines_starting(&out, "new:")[0].starts_with("new:   R10 token claims/exp"), "{}", text(&out));

    // The baseline as a file of its own, to commit; a fixed cause may be required to leave it.
    let file = dir.path("tbjwt-baseline.json");
    let out = common::run_tbjwt(&["baseline", "write", &report, "--output", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let kinds: Vec<&str> = written["causes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["access: 403 → 200", "token claims/scopes"]);
    let out = check("reference", "1", &["--baseline", file.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "fixed causes alone pass: {}", text(&out));
    assert!(text(&out).contains("2 fixed"), "{}", text(&out));
    let out = check("reference", "1", &["--baseline", file.to_str().unwrap(), "--baseline-strict"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(lines_starting(&out, "fixed:").len(), 2, "{}", text(&out));

    // A baseline applies at its own level and domain only.
    let out = check(&deviant("drops_empty_segments.js"), "1", &["--baseline", &report, "--level", "effect"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--baseline: ") && text(&out).contains("level semantic"), "{}", text(&out));
    let not_a_report = dir.path("notes.txt");
    std::fs::write(&not_a_report, "hello\n").unwrap();
    let out = check("reference", "1", &["--baseline", not_a_report.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("notes.txt:1: not JSON"), "{}", text(&out));
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["diff", old.to_str().unwrap(), new.to_str().unwrap()];
    args.extend_from_slice(extra);
    common::run_tbjwt(&args)
}

#[test]
fn diff_names_what_each_deviant_has_that_the_other_lacks() {
    let dir = TempDir::new("diff");
    let run = |implementation: &str, name: &str, extra: &[&str]| {
        let path = dir.path(name);
        let mut args = vec!["--report".to_owned(), format!("json={}", path.display())];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(implementation, "1", &args);
        path
    };
    let segments = run(&deviant("drops_empty_segments.js"), "segments.jsonl", &[]);
    let expiry = run(&deviant("expires_in_one_day.js"), "expiry.jsonl", &[]);

    let out = diff(&segments, &expiry, &[]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let said = text(&out);
    let section = |title: &str| -> String {
        said.split(title).nth(1).map(|rest| rest.split("\n\n").next().unwrap_or("").to_owned()).unwrap_or_default()
    };
    assert!(section("New root causes (1):").contains("R10 token claims/exp"), "{said}");
    let fixed = section("Fixed root causes (2):");
    assert!(fixed.contains("R7 token claims/scopes") && fixed.contains("R7 access: 403 → 200"), "{said}");
    assert!(said.contains("Cases failing now (") && said.contains("e.g. admin_token_blank"), "{said}");
    // The other way round, each lacks what the other has.
    let out = diff(&expiry, &segments, &[]);
    assert_eq!(code(&out), 1);
    assert!(text(&out).contains("New root causes (2)") && text(&out).contains("Fixed root causes (1)"));
    // The same run: nothing new.
    let out = diff(&segments, &segments, &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("no new divergence"));
    // Markdown for a pull-request comment.
    let out = diff(&segments, &expiry, &["--markdown"]);
    assert!(text(&out).starts_with("## tbjwt diff: regressed") && text(&out).contains("- `R10 token claims/exp`"));
    // Runs at other levels cannot be compared, and the diff says why.
    let effect = run(&deviant("expires_in_one_day.js"), "effect.jsonl", &["--level", "effect"]);
    let out = diff(&segments, &effect, &[]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("not comparable: the old run is at level semantic, the new one at level effect"));
}
