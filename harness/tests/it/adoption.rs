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

/// `tbjwt check IMPL --seed SEED --cases 100 --jobs 1 --no-save EXTRA…` (one job: these runs are many and
/// short, and the test binary runs them side by side).
fn check(implementation: &str, seed: &str, extra: &[&str]) -> Output {
    let mut args = vec!["check", implementation, "--seed", seed, "--cases", "100", "--jobs", "1", "--no-save"];
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

    // Its own report as baseline: every divergence is known, the gate passes (and its badge says so).
    let badge = dir.path("badge.json");
    let badge_report = format!("badge={}", badge.display());
    let out = check(&deviant("drops_empty_segments.js"), "1", &["--baseline", &report, "--report", &badge_report]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("0 new, 2 still there, 0 fixed"), "{}", text(&out));
    let shield: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&badge).unwrap()).unwrap();
    assert_eq!(
        (shield["schemaVersion"].as_u64(), shield["label"].as_str(), shield["color"].as_str()),
        (Some(1), Some("tbjwt"), Some("green"))
    );
    assert!(shield["message"].as_str().unwrap().starts_with("conforms, "), "{shield}");
    // Another seed draws other cases with the same root causes: still nothing new.
    let out = check(&deviant("drops_empty_segments.js"), "2", &["--baseline", &report]);
    assert_eq!(code(&out), 0, "{}", text(&out));

    // A second deviation: the run fails, and names that cause only.
    let out = check(&with_a_second_deviation(), "1", &["--baseline", &report, "--report", &badge_report]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let shield: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&badge).unwrap()).unwrap();
    assert_eq!(shield["color"], "red");
    assert!(shield["message"].as_str().unwrap().starts_with("diverges: "), "{shield}");
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
    // Another seed draws other cases: a cause it did not show is not called fixed, and fails nothing.
    let out = check("reference", "2", &["--baseline", file.to_str().unwrap(), "--baseline-strict"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("0 fixed, 2 not drawn by this run"), "{}", text(&out));

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

/// Validates `log` against the SARIF 2.1.0 schema Microsoft's jest-sarif ships (pinned in
/// `fixtures/tools/sarif`), with the Python reference implementation of JSON Schema; a log the schema
/// must refuse is checked too, so that the validation cannot pass by accident.
pub(crate) fn assert_valid_sarif(log: &serde_json::Value) {
    let package = common::npm_project("sarif-schema", &repo_root().join("fixtures/tools/sarif"));
    let schema = package.join("node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
    let dir = TempDir::new("sarif-schema");
    std::fs::copy(&schema, dir.path("sarif.schema.json")).unwrap();
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = serde_json::json!("fatal");
    common::assert_json_schemas(&dir.0, &[("sarif", log, true), ("sarif", &broken, false)]);
}

#[test]
fn sarif_gives_one_result_per_root_cause_at_the_line_that_makes_it() {
    let dir = TempDir::new("sarif");
    let port = "fixtures/implementations/adoption/drops_empty_segments_and_expires_in_one_day.js";
    let sarif = dir.path("port.sarif");
    let out = check(&format!("node:{port}"), "1", &["--report", &format!("sarif={}", sarif.display())]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let causes: Vec<&str> =
        results.iter().map(|r| r["partialFingerprints"]["tbjwtRootCause/v1"].as_str().unwrap()).collect();
    assert_eq!(causes, ["R7 access: 403 → 200", "R7 token claims/scopes", "R10 token claims/exp"]);
    let source = std::fs::read_to_string(repo_root().join(port)).unwrap();
    let sign_line = source.lines().position(|l| l.contains("jwt.sign(")).unwrap() + 1;
    for result in results {
        assert_eq!(result["level"], "warning");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            (location["artifactLocation"]["uri"].as_str(), location["artifactLocation"]["uriBaseId"].as_str()),
            (Some(port), Some("%SRCROOT%"))
        );
        assert_eq!(location["region"]["startLine"], sign_line, "{result}");
    }

    // A security finding is an error, and the secret it is about is in no field of the log.
    let leaky = dir.path("leaky.sarif");
    let out = check(&deviant("logs_admin_token.js"), "1", &["--report", &format!("sarif={}", leaky.display())]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let text_of_log = std::fs::read_to_string(&leaky).unwrap();
    let log: serde_json::Value = serde_json::from_str(&text_of_log).unwrap();
    assert_valid_sarif(&log);
    let security: Vec<&serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"].as_str().unwrap().ends_with("/security"))
        .collect();
    assert!(!security.is_empty() && security.iter().all(|r| r["level"] == "error"), "{log}");
    let console_line =
        std::fs::read_to_string(repo_root().join("fixtures/implementations/deviant/logs_admin_token.js"))
            .unwrap()
            .lines()
            .position(|l| l.contains("console."))
            .unwrap()
            + 1;
    assert_eq!(security[0]["locations"][0]["physicalLocation"]["region"]["startLine"], console_line);
    // The built-in cases' admin tokens (those long enough not to show in any text by chance).
    for case in common::fixture_cases() {
        if let Some(token) = case.event.pointer(harness::spec::keys::ADMIN_TOKEN_POINTER).and_then(|t| t.as_str()) {
            assert!(
                token.len() < 12 || !text_of_log.contains(token),
                "an admin token of {} is in the SARIF log",
                case.name
            );
        }
    }
}

#[test]
fn rerun_failed_runs_exactly_the_cases_that_did_not_pass_generated_ones_included() {
    let dir = TempDir::new("rerun");
    let report = dir.arg("last.jsonl");
    let json = format!("json={report}");
    let out = check(&deviant("drops_empty_segments.js"), "3", &["--report", &json]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let failing = |path: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|r| r["type"] == "case" && r["verdict"] != "pass")
            .map(|r| format!("{}:{}", r["source"].as_str().unwrap(), r["name"].as_str().unwrap()))
            .collect();
        names.sort();
        names
    };
    let before = failing(&report);
    assert!(before.iter().any(|n| n.starts_with("generated:")) && before.iter().any(|n| n.starts_with("fixture:")));
    // The last run's report by default (the one this run's --report json= names), read before it is rewritten.
    let out = common::run_tbjwt(&[
        "check",
        &deviant("drops_empty_segments.js"),
        "--no-save",
        "--rerun-failed",
        "--report",
        &json,
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains(&format!("seed 3, {} fixtures + 0 generated cases", before.len())), "{}", text(&out));
    assert_eq!(failing(&report), before, "the same cases, the generated ones still generated, all failing again");
    // A fixed port passes them all.
    let out = common::run_tbjwt(&["check", "reference", "--no-save", "--rerun-failed", &report]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains(&format!("pass {}  fail 0", before.len())), "{}", text(&out));
    // Without a report to read, it says what to give.
    let out = common::run_tbjwt(&["check", "reference", "--no-save", "--rerun-failed"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--rerun-failed: give the report"), "{}", text(&out));
}

#[test]
fn a_case_that_crashes_once_is_retried_and_counted_flaky() {
    let program = repo_root().join("fixtures/implementations/misbehaving/crashes_once.py");
    let run = |extra: &[&str]| {
        let state = TempDir::new("crashes-once");
        let implementation = format!("cmd:python3 {} {}", program.display(), state.0.display());
        // Its marker file must outlive its process: no sandbox.
        let mut args = vec!["--sandbox", "off"];
        args.extend_from_slice(extra);
        check(&implementation, "1", &args)
    };
    // Without retries the crash is an error (exit 3).
    let out = run(&[]);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("error 1"), "{}", text(&out));

    // With one retry the case passes, counted apart as flaky, and written as Surefire does.
    let dir = TempDir::new("flaky");
    let (junit, json) = (dir.arg("junit.xml"), dir.arg("report.jsonl"));
    let out = run(&["--retries", "1", "--report", &format!("junit={junit}"), "--report", &format!("json={json}")]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("(1 flaky)") && text(&out).contains("FLAKY "), "{}", text(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    roxmltree::Document::parse(&xml).expect("roxmltree parses the JUnit report");
    let python = std::process::Command::new("python3")
        .args(["-c", "import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); print(len(t.findall('.//flakyFailure')))"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&python.stdout).trim(), "1", "{}", String::from_utf8_lossy(&python.stderr));
    // A JUnit reader that knows Surefire's elements (nextest's) reads the case as passed, with one flaky run.
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("quick-junit reads it back");
    let flaky: Vec<&quick_junit::TestCase> = report.test_suites[0]
        .test_cases
        .iter()
        .filter(|t| matches!(&t.status, quick_junit::TestCaseStatus::Success { flaky_runs } if !flaky_runs.is_empty()))
        .collect();
    assert_eq!(flaky.len(), 1);
    let footer: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&json).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!((footer["counts"]["flaky"].as_u64(), footer["counts"]["error"].as_u64()), (Some(1), Some(0)));

    // Under --flaky-result fail the same run fails, and says why.
    let out = run(&["--retries", "1", "--flaky-result", "fail"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("1 case passed only on a retry (--flaky-result fail)"), "{}", text(&out));
    // A divergence is never retried.
    let out = check(&deviant("drops_empty_segments.js"), "1", &["--retries", "3", "--report", &format!("json={json}")]);
    assert_eq!(code(&out), 1);
    assert!(!std::fs::read_to_string(&json).unwrap().contains("\"attempts\""), "a failing case ran once");
}

#[test]
fn four_shards_merged_are_the_unsharded_run_and_a_missing_or_doubled_shard_is_refused() {
    let dir = TempDir::new("merge");
    let port = deviant("drops_empty_segments.js");
    let whole = dir.arg("whole.jsonl");
    let out = check(&port, "5", &["--report", &format!("json={whole}")]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let shards: Vec<String> = (1..=4)
        .map(|k| {
            let shard = dir.arg(&format!("shard{k}.jsonl"));
            let out = check(&port, "5", &["--partition", &format!("{k}/4"), "--report", &format!("json={shard}")]);
            assert_eq!(code(&out), 1, "{}", text(&out));
            shard
        })
        .collect();
    let merged = dir.arg("merged.jsonl");
    let mut args: Vec<String> = vec!["report".into(), "merge".into()];
    args.extend(shards.iter().cloned());
    for (format, file) in [
        ("json", "merged.jsonl"),
        ("junit", "merged.xml"),
        ("html", "merged.html"),
        ("sarif", "merged.sarif"),
        ("markdown", "merged.md"),
    ] {
        args.push("--report".into());
        args.push(format!("{format}={}", dir.arg(file)));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = common::run_tbjwt(&args);
    assert_eq!(code(&out), 1, "the single run's exit code: {}", text(&out));
    let footer = |path: &str| -> serde_json::Value {
        serde_json::from_str(std::fs::read_to_string(path).unwrap().lines().last().unwrap()).unwrap()
    };
    let (a, b) = (footer(&whole), footer(&merged));
    for key in ["counts", "conclusion", "exit_code", "fixture_cases_run", "generated_cases_run"] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert_eq!(a["class_coverage"]["counts"], b["class_coverage"]["counts"]);
    // The same root causes, and no case that fails in one and not in the other.
    let out = diff(Path::new(&whole), Path::new(&merged), &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(
        text(&out).contains("Unchanged root causes (2)") && !text(&out).contains("Cases failing now"),
        "{}",
        text(&out)
    );
    for report in ["merged.xml", "merged.html", "merged.sarif", "merged.md"] {
        assert!(std::fs::metadata(dir.path(report)).unwrap().len() > 100, "{report} written");
    }

    // A missing shard, a doubled one, or a shard of another run: refused, saying which.
    let merge = |files: &[&str]| {
        let mut args = vec!["report", "merge"];
        args.extend_from_slice(files);
        common::run_tbjwt(&args)
    };
    let out = merge(&[&shards[0], &shards[1], &shards[3]]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("shard 3/4 missing"), "{}", text(&out));
    let out = merge(&[&shards[0], &shards[1], &shards[2], &shards[2], &shards[3]]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("shard 3/4 is there twice"), "{}", text(&out));
    let other = dir.arg("other.jsonl");
    check(&port, "6", &["--partition", "4/4", "--report", &format!("json={other}")]);
    let out = merge(&[&shards[0], &shards[1], &shards[2], &other]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("has seed 5") && text(&out).contains("6"), "{}", text(&out));
    let out = merge(&[&whole]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("not a shard"), "{}", text(&out));
}

/// `action/run.sh` (the GitHub Action's and the GitLab template's script) with `vars`, as CI runs it.
fn ci_script(vars: &[(&str, &str)]) -> Output {
    let mut command = std::process::Command::new("bash");
    command.arg(repo_root().join("action/run.sh")).current_dir(repo_root());
    common::without_tbjwt_options(&mut command);
    command.env("TBJWT_BIN", env!("CARGO_BIN_EXE_tbjwt")).env("NO_COLOR", "1").envs(vars.iter().copied());
    command.output().unwrap()
}

#[test]
fn the_ci_script_runs_shards_then_merges_them_and_the_ci_files_use_only_what_they_declare() {
    let dir = TempDir::new("ci-script");
    let reports = dir.arg("reports");
    let summary = dir.arg("step-summary.md");
    let port = deviant("drops_empty_segments.js");
    for shard in ["1", "2"] {
        let out = ci_script(&[
            ("TBJWT_IMPLEMENTATION", &port),
            ("TBJWT_CASES", "200"),
            ("TBJWT_SHARDS", "2"),
            ("TBJWT_SHARD", shard),
            ("TBJWT_REPORTS", &reports),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_STEP_SUMMARY", &summary),
            ("TBJWT_EXTRA_ARGS", "--no-save"),
        ]);
        assert_eq!(code(&out), 1, "{}", text(&out));
        assert!(text(&out).contains("seed 4242"), "the shards share the CI run's seed: {}", text(&out));
        for file in ["report.jsonl", "junit.xml", "tbjwt.sarif", "report.html", "summary.md", "badge.json"] {
            assert!(dir.path(&format!("reports/shard-{shard}/{file}")).is_file(), "{file} of shard {shard}");
        }
    }
    let out = ci_script(&[("TBJWT_MODE", "merge"), ("TBJWT_REPORTS", &reports), ("GITHUB_STEP_SUMMARY", &summary)]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let badge: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("reports/merged/badge.json")).unwrap()).unwrap();
    assert_eq!(badge["color"], "red");
    assert_eq!(std::fs::read_to_string(&summary).unwrap().matches("## tbjwt").count(), 3, "two shards and the merge");
    let out = ci_script(&[("TBJWT_MODE", "merge"), ("TBJWT_REPORTS", &dir.arg("nothing"))]);
    assert_eq!(code(&out), 2, "{}", text(&out));

    // The Action's inputs are declared before they are used, and its steps call the script tested here.
    let action: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(repo_root().join("action.yml")).unwrap()).unwrap();
    let declared: Vec<&String> = action["inputs"].as_object().unwrap().keys().collect();
    let steps = serde_json::to_string(&action["runs"]["steps"]).unwrap();
    for used in steps.split("inputs.").skip(1) {
        let name: String = used.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        assert!(declared.iter().any(|d| **d == name), "inputs.{name} is used but not declared");
    }
    assert!(steps.contains("action/run.sh"));
    let gitlab: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(repo_root().join("templates/tbjwt.gitlab-ci.yml")).unwrap())
            .unwrap();
    assert_eq!(gitlab["tbjwt:check"]["parallel"], 4);
    assert!(serde_json::to_string(&gitlab["tbjwt:merge"])
        .unwrap()
        .contains("TBJWT_MODE=merge /tmp/tbjwt/action/run.sh"));
}
