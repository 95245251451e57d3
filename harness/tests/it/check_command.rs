//! `tbjwt check` end to end, as another project's CI runs it: from a folder outside the checkout, with the
//! built-in suite, verdicts and exit codes, every report format (JUnit read back by real XML parsers),
//! expectations, partitions, shrinking, saving and pasteable replay commands, config files,
//! and interruptions by every signal that never pass.

use crate::common::{self, code, text, TempDir};

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `tbjwt ARGS…` run in `dir` (a folder outside the checkout, as in another project's CI).
fn tbjwt_in(dir: &Path, args: &[&str]) -> Output {
    common::tbjwt().current_dir(dir).args(args).output().unwrap()
}

fn tbjwt(args: &[&str]) -> Output {
    common::run_tbjwt(args)
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn deviant(name: &str) -> String {
    format!("node:{}", common::repo_root().join("fixtures/implementations/deviant").join(name).display())
}

/// Parses an XML file with Python's `xml.etree` (what the issue's users' tools are closest to).
fn python_parses_xml(path: &Path) -> Result<(), String> {
    let out = Command::new("python3")
        .args(["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])"])
        .arg(path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn junit_names(path: &Path, classname: &str) -> Vec<String> {
    let xml = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed XML");
    let mut names: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.attribute("classname") == Some(classname))
        .map(|n| n.attribute("name").unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_conforming_run_exits_0_and_writes_every_report() {
    let dir = TempDir::new("conforming");
    let out = tbjwt_in(
        &dir.0,
        &[
            "check",
            "reference",
            "--cases",
            "30",
            "--seed",
            "7",
            "--report",
            &format!("json={}", dir.arg("r.jsonl")),
            "--report",
            &format!("junit={}", dir.arg("junit.xml")),
            "--report",
            &format!("markdown={}", dir.arg("summary.md")),
        ],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("seed 7") && text(&out).contains("cases/s"), "{}", text(&out));
    let lines = json_lines(&dir.path("r.jsonl"));
    assert_eq!(lines.first().unwrap()["type"], "header");
    assert_eq!(lines.first().unwrap()["seed"], 7);
    assert_eq!(lines.first().unwrap()["suite_version"], harness::event::suite::version());
    let footer = lines.last().unwrap();
    assert_eq!(
        (footer["type"].as_str(), footer["exit_code"].as_u64(), footer["interrupted"].as_bool()),
        (Some("footer"), Some(0), Some(false))
    );
    let cases = lines.iter().filter(|l| l["type"] == "case").count();
    assert_eq!(cases as u64, footer["counts"]["pass"].as_u64().unwrap());
    assert_eq!(cases, common::fixture_cases().len() + 30);

    let xml = std::fs::read_to_string(dir.path("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("the JUnit report is well-formed XML");
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("tests").unwrap().parse::<usize>().unwrap(), cases);
    assert_eq!(suite.attribute("failures"), Some("0"));
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("testcase")).count(), cases);
    assert!(std::fs::read_to_string(dir.path("summary.md")).unwrap().contains("conforms"));
    assert!(!dir.path("tbjwt-regressions").exists(), "a conforming run saves nothing");
}

#[test]
fn outside_the_checkout_the_built_in_suite_runs_and_missing_folders_are_errors() {
    let dir = TempDir::new("outside");
    let out = tbjwt_in(&dir.0, &["check", "reference", "--cases", "0", "--report", "json=r.jsonl"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let suite = harness::event::suite::len();
    assert!(text(&out).contains(&format!("{suite} fixtures + 0 generated")), "{}", text(&out));
    let header = &json_lines(&dir.path("r.jsonl"))[0];
    assert_eq!(header["fixture_cases"].as_u64(), Some(suite as u64));
    let out = tbjwt_in(&dir.0, &["check", "reference", "--fixtures", "/nonexistent"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("/nonexistent: no such folder"), "{}", text(&out));
    // Nothing to run is never a pass.
    let out = tbjwt_in(&dir.0, &["check", "reference", "--cases", "0", "--no-suite"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no case ran") && !text(&out).contains("✔"), "{}", text(&out));
    // A folder of the user's own cases adds to the suite; the same case is not run twice.
    std::fs::create_dir_all(dir.path("mine")).unwrap();
    std::fs::copy(common::repo_root().join("fixtures/events/minimal_event.json"), dir.path("mine/again.json")).unwrap();
    std::fs::write(dir.path("mine/own.json"), r#"{"secrets": {"TINYBIRD_ADMIN_TOKEN": "p.made-up"}}"#).unwrap();
    let out = tbjwt_in(&dir.0, &["check", "reference", "--cases", "0", "--fixtures", "mine"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains(&format!("{} fixtures", suite + 1)), "{}", text(&out));
    assert!(text(&out).contains("1 already in the run"), "{}", text(&out));
}

#[test]
fn a_deviant_fails_with_exit_1_shrunk_saved_and_replayable() {
    let dir = TempDir::new("deviant");
    let saved = dir.path("regressions");
    let args = [
        "check",
        &deviant("logs_the_token.js"),
        "--cases",
        "20",
        "--seed",
        "3",
        "--no-suite",
        "--save-failures",
        "regressions",
        "--shrink-failures",
        "1",
        "--report",
        "json=r.jsonl",
        "--report",
        "junit=junit.xml",
    ];
    let out = tbjwt_in(&dir.0, &args);
    assert_eq!(code(&out), 1, "{}", text(&out));
    let lines = json_lines(&dir.path("r.jsonl"));
    let shrunk: Vec<&Value> = lines.iter().filter(|l| l["shrunk_size"].is_u64()).collect();
    assert_eq!(shrunk.len(), 1, "exactly --shrink-failures cases are shrunk");
    let case = shrunk[0];
    assert!(case["shrunk_size"].as_u64().unwrap() < 400, "{case}");
    let paths: Vec<&str> =
        case["differences"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths[0], "/security/0", "security first: {paths:?}");
    assert!(case["differences"].as_array().unwrap().iter().any(|d| d["observable"] == "logs" && d["rule"] == "R12"));
    let xml = std::fs::read_to_string(dir.path("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert!(doc.descendants().filter(|n| n.has_tag_name("failure")).count() >= 1);

    let files = || -> Vec<PathBuf> { std::fs::read_dir(&saved).unwrap().map(|e| e.unwrap().path()).collect() };
    let file = files().pop().unwrap();
    let saved_case = harness::event::Case::load(&file).unwrap();
    assert!(saved_case.description.contains("--seed 3"), "{}", saved_case.description);
    let replay = tbjwt(&["check", "reference", "--replay", file.to_str().unwrap(), "--no-save"]);
    assert_eq!(code(&replay), 0, "{}", text(&replay));

    // The printed replay command, pasted into bash as it is, reproduces the failure.
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout.lines().find_map(|l| l.trim().strip_prefix("replay: ")).expect("a replay command");
    let pasted = Command::new("bash").arg("-c").arg(line).current_dir(&dir.0).output().unwrap();
    assert_eq!(code(&pasted), 1, "{line}\n{}", text(&pasted));

    // The same failing run again saves nothing new: the file name is the case's content.
    let before = files();
    let again = tbjwt_in(&dir.0, &args);
    assert_eq!(code(&again), 1, "{}", text(&again));
    assert_eq!(files(), before, "{}", text(&again));
    // The saved case runs first now, so the generated failures with its divergence are not shrunk again.
    let same = json_lines(&dir.path("r.jsonl"));
    assert!(same.iter().any(|l| l["same_as"].as_str().is_some_and(|n| n.starts_with("check-"))), "{}", text(&again));
}

#[test]
fn a_replay_command_is_pasteable_whatever_the_names_hold() {
    let dir = TempDir::new("replay-quoting");
    let odd = dir.path("a port $(touch pwned) 'x'.js");
    std::fs::copy(common::repo_root().join("fixtures/implementations/deviant/trims_pipe_names.js"), &odd).unwrap();
    let implementation = format!("node:{}", odd.file_name().unwrap().to_string_lossy());
    let expectations = dir.path("known divergences.toml");
    std::fs::write(&expectations, "[[expected]]\nrule = \"R12\"\nreason = \"unrelated\"\n").unwrap();
    let out = tbjwt_in(
        &dir.0,
        &["check", &implementation, "--cases", "0", "--level", "strict", "--expectations", "known divergences.toml"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout.lines().find_map(|l| l.trim().strip_prefix("replay: ")).expect("a replay command");
    assert!(line.contains("--level strict") && line.contains("--expectations"), "{line}");
    let pasted = Command::new("bash").arg("-c").arg(line).current_dir(&dir.0).output().unwrap();
    assert_eq!(code(&pasted), 1, "{line}\n{}", text(&pasted));
    assert!(!dir.path("pwned").exists(), "a name is never run as a command");
}

#[test]
fn an_erroring_implementation_exits_3_and_usage_errors_exit_2() {
    let out = tbjwt(&["check", "cmd:python3 -c 'import sys; sys.exit(4)'", "--cases", "3", "--no-save", "--no-suite"]);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("error 3"), "{}", text(&out));
    for args in [
        vec!["check", "fixtures/implementations/tinybird-jwt"],
        vec!["check", "reference", "--partition", "3/2"],
        vec!["check", "reference", "--expectations", "/nonexistent.toml"],
        vec!["check", "reference", "--report", "yaml=x"],
    ] {
        let out = tbjwt(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out));
    }
    assert!(text(&tbjwt(&["check", "fixtures/implementations/tinybird-jwt"]))
        .contains("node:fixtures/implementations/tinybird-jwt"));
}

#[test]
fn expectations_turn_divergences_into_expected_and_must_shrink() {
    let dir = TempDir::new("expectations");
    let covering = dir.path("covering.toml");
    std::fs::write(&covering, "[[expected]]\nobservable = \"logs\"\nreason = \"debug logging\"\n\n[[expected]]\nobservable = \"security\"\nreason = \"same\"\nlink = \"https://example.com/issue/1\"\nexpires = 2999-12-31\n").unwrap();
    let args = |file: &Path| -> Vec<String> {
        vec![
            "check".into(),
            deviant("logs_the_token.js"),
            "--cases".into(),
            "5".into(),
            "--seed".into(),
            "1".into(),
            "--no-save".into(),
            "--expectations".into(),
            file.display().to_string(),
        ]
    };
    let out = tbjwt(&args(&covering).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 0, "{}", text(&out));
    let summary = text(&out);
    assert!(summary.contains("fail 0") && !summary.contains("expected 0 "), "every divergence is expected: {summary}");

    let stale = dir.path("stale.toml");
    std::fs::write(
        &stale,
        format!(
            "{}\n[[expected]]\nobservable = \"access\"\nreason = \"no longer true\"\n",
            std::fs::read_to_string(&covering).unwrap()
        ),
    )
    .unwrap();
    let out = tbjwt(&args(&stale).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("matched no divergence"), "{}", text(&out));

    let expired = dir.path("expired.toml");
    std::fs::write(&expired, std::fs::read_to_string(&covering).unwrap().replace("2999-12-31", "2020-01-01")).unwrap();
    let out = tbjwt(&args(&expired).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("expired on 2020-01-01"), "{}", text(&out));

    let naming = dir.path("naming.toml");
    std::fs::write(&naming, "[[expected]]\ncase = \"pipes_trailing_comma\"\nreason = \"was broken once\"\n").unwrap();
    let out = tbjwt(&["check", "reference", "--cases", "0", "--no-save", "--expectations", naming.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("unexpected-pass 1"), "{}", text(&out));

    let typo = dir.path("typo.toml");
    std::fs::write(&typo, "[[expected]]\ncase = \"pipes_trailing_coma\"\nreason = \"r\"\n").unwrap();
    let out = tbjwt(&["check", "reference", "--cases", "0", "--no-save", "--expectations", typo.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("did you mean `pipes_trailing_comma`"), "{}", text(&out));
    let rule = dir.path("rule.toml");
    std::fs::write(&rule, "[[expected]]\nrule = \"R13\"\nreason = \"r\"\n").unwrap();
    let out = tbjwt(&["check", "reference", "--cases", "0", "--no-save", "--expectations", rule.to_str().unwrap()]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("R13") && text(&out).contains("R1 to R12"), "{}", text(&out));
}

#[test]
fn one_expectation_accepts_one_divergence_wherever_it_shows_and_nothing_else() {
    let dir = TempDir::new("precise-expectations");
    let trims =
        std::fs::read_to_string(common::repo_root().join("fixtures/implementations/deviant/trims_pipe_names.js"))
            .unwrap();
    std::fs::write(dir.path("trims.js"), &trims).unwrap();
    let renamed = trims.replace("\"https://app.tinybird.co\"", "\"https://tinybird.co/jwt\"");
    assert_ne!(renamed, trims);
    std::fs::write(dir.path("trims_and_renames.js"), renamed).unwrap();
    for entry in ["rule = \"R7\"", "path = \"claims/scopes/*/resource\""] {
        std::fs::write(dir.path("known.toml"), format!("[[expected]]\n{entry}\nreason = \"we trim pipe names\"\n"))
            .unwrap();
        let run = |implementation: &str| {
            tbjwt_in(
                &dir.0,
                &[
                    "check",
                    implementation,
                    "--cases",
                    "100",
                    "--seed",
                    "4",
                    "--no-save",
                    "--expectations",
                    "known.toml",
                ],
            )
        };
        let out = run("node:trims.js");
        assert_eq!(code(&out), 0, "{entry}: {}", text(&out));
        assert!(!text(&out).contains("expected 0 "), "{entry}: {}", text(&out));
        let out = run("node:trims_and_renames.js");
        assert_eq!(code(&out), 1, "{entry}: {}", text(&out));
        assert!(text(&out).contains("R11"), "{entry}: the renamed claim is reported: {}", text(&out));
    }
}

#[test]
fn partitions_split_the_same_cases_deterministically() {
    let dir = TempDir::new("partition");
    let names = |report: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["check", "reference", "--cases", "40", "--seed", "11", "--jobs", "3", "--no-save"];
        let flag = format!("json={}", dir.arg(report));
        args.extend_from_slice(&["--report", &flag]);
        args.extend_from_slice(extra);
        assert_eq!(code(&tbjwt(&args)), 0);
        let mut v: Vec<String> = json_lines(&dir.path(report))
            .iter()
            .filter(|l| l["type"] == "case")
            .map(|l| l["name"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let full = names("full.jsonl", &[]);
    // The summary counts what the partition ran, as the report does.
    let out = tbjwt(&["check", "reference", "--cases", "40", "--seed", "11", "--no-save", "--partition", "1/2"]);
    let fixtures = common::fixture_cases().len();
    let expected = format!("{} cases ({} fixtures, 20 generated)", fixtures.div_ceil(2) + 20, fixtures.div_ceil(2));
    assert!(text(&out).contains(&expected) || fixtures % 2 == 1, "{expected}: {}", text(&out));
    let mut split = names("a.jsonl", &["--partition", "1/2"]);
    let b = names("b.jsonl", &["--partition", "2/2"]);
    assert!(split.iter().all(|n| !b.contains(n)));
    split.extend(b);
    split.sort();
    assert_eq!(split, full);
}

#[test]
fn a_config_file_makes_ci_one_line() {
    let dir = TempDir::new("config");
    let config = dir.path("tbjwt.toml");
    std::fs::write(
        &config,
        format!(
            "implementation = \"reference\"\ncases = 5\nseed = 99\nlevel = \"strict\"\ndomain = \"any-json\"\nfixtures = [\"{}\"]\nreports = [\"json=out/report.jsonl\"]\nignore = [\"logs\"]\n",
            common::repo_root().join("fixtures/events").display()
        ),
    )
    .unwrap();
    // Run from another folder: the config's relative paths are relative to the config's own folder.
    let out = tbjwt(&["check", "--config", config.to_str().unwrap(), "--no-save"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let header = &json_lines(&dir.path("out/report.jsonl"))[0];
    assert_eq!(
        (header["seed"].as_u64(), header["level"].as_str(), header["domain"].as_str()),
        (Some(99), Some("strict"), Some("any-json"))
    );
    assert_eq!(header["ignore"], serde_json::json!(["logs"]));
    // The environment sits between the flags and the config file, and a bad value names its variable.
    let with_env = |vars: &[(&str, &str)], args: &[&str]| {
        let mut command = common::tbjwt();
        command.env("TBJWT_CONFIG", &config).envs(vars.iter().copied()).args(args);
        command.output().unwrap()
    };
    let out =
        with_env(&[("TBJWT_SEED", "7"), ("TBJWT_LEVEL", "effect")], &["check", "--no-save", "--level", "semantic"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let header = &json_lines(&dir.path("out/report.jsonl"))[0];
    assert_eq!((header["seed"].as_u64(), header["level"].as_str()), (Some(7), Some("semantic")));
    let out = with_env(&[("TBJWT_CASES", "many")], &["check", "--no-save"]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("TBJWT_CASES: `many` is not a whole number"), "{}", text(&out));
    std::fs::write(&config, "implementation = \"reference\"\ncolour = 1\n").unwrap();
    let out = tbjwt(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("colour"), "{}", text(&out));
}

/// Starts `tbjwt check` in `dir` with every report, waits until `ready` says so, sends `signals` (with a
/// pause between them), and returns the exit code and the time from the first signal to the exit.
fn interrupt(
    dir: &TempDir,
    args: &[&str],
    ready: impl Fn() -> bool,
    signals: &[i32],
) -> (Option<i32>, Duration, String) {
    let child = common::tbjwt()
        .current_dir(&dir.0)
        .args(args)
        .args(["--report", "json=r.jsonl", "--report", "junit=junit.xml", "--report", "markdown=summary.md"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let first = Instant::now();
    for signal in signals {
        unsafe { libc::kill(child.id() as i32, *signal) };
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), first.elapsed(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn assert_complete_and_not_conforming(dir: &TempDir, stdout: &str) {
    let lines = json_lines(&dir.path("r.jsonl"));
    let footer = lines.last().unwrap();
    assert_eq!(footer["type"], "footer", "the JSON report is complete");
    assert_eq!((footer["interrupted"].as_bool(), footer["conclusion"].as_str()), (Some(true), Some("interrupted")));
    assert_eq!(footer["exit_code"], 4);
    python_parses_xml(&dir.path("junit.xml")).expect("the JUnit report parses");
    assert!(std::fs::read_to_string(dir.path("junit.xml")).unwrap().contains("interrupted"));
    let markdown = std::fs::read_to_string(dir.path("summary.md")).unwrap();
    assert!(markdown.contains("interrupted") && !markdown.contains("conforms"), "{markdown}");
    assert!(stdout.contains("interrupted") && !stdout.contains("conforms"), "{stdout}");
}

#[test]
fn an_interrupted_run_never_conforms_and_still_writes_every_report() {
    for (signal, name) in [(libc::SIGINT, "int"), (libc::SIGTERM, "term"), (libc::SIGHUP, "hup")] {
        let dir = TempDir::new(&format!("interrupt-{name}"));
        let report = dir.path("r.jsonl");
        let ready = || std::fs::read_to_string(&report).map_or(0, |t| t.lines().count()) >= 50;
        let args = ["check", "reference", "--cases", "1000000", "--seed", "5", "--no-save"];
        let (status, took, stdout) = interrupt(&dir, &args, ready, &[signal]);
        assert_eq!(status, Some(4), "{name}: {stdout}");
        assert!(took < Duration::from_secs(10), "{name}: {took:?}");
        assert_complete_and_not_conforming(&dir, &stdout);
        assert!(json_lines(&report).last().unwrap()["counts"]["pass"].as_u64().unwrap() >= 49);
    }
}

/// A protocol program that starts a grandchild, writes both pids to `pids`, answers `start`, and never
/// answers a case.
const HANGS_AND_FORKS: &str = r#"
import json, os, subprocess, sys
sleeper = subprocess.Popen(["sleep", "600"])
with open(sys.argv[1], "a") as f:
    f.write(f"{os.getpid()} {sleeper.pid}\n")
for line in sys.stdin:
    if json.loads(line).get("cmd") == "start":
        print(json.dumps({"ready": True, "name": "hangs-and-forks"}), flush=True)
"#;

#[test]
fn interrupting_hung_forking_implementations_leaves_no_process_and_returns_at_once() {
    for (signals, name) in
        [(vec![libc::SIGINT, libc::SIGINT], "twice"), (vec![libc::SIGTERM], "term"), (vec![libc::SIGHUP], "hup")]
    {
        let dir = TempDir::new(&format!("hung-{name}"));
        std::fs::write(dir.path("hangs.py"), HANGS_AND_FORKS).unwrap();
        let pids = dir.path("pids");
        let jobs = 3;
        let ready = || std::fs::read_to_string(&pids).map_or(0, |t| t.lines().count()) >= jobs;
        // The program tells its pids in a file beside it, which the sandbox would refuse: what is tested
        // here is that interrupting ends every process group.
        let args = [
            "check",
            "cmd:python3 hangs.py pids",
            "--cases",
            "20",
            "--timeout",
            "60",
            "--jobs",
            "3",
            "--no-save",
            "--sandbox",
            "off",
        ];
        let (status, took, stdout) = interrupt(&dir, &args, ready, &signals);
        assert_eq!(status, Some(4), "{name}: {stdout}");
        assert!(took < Duration::from_secs(5), "{name}: returned after {took:?} with hung implementations");
        assert_complete_and_not_conforming(&dir, &stdout);
        let started: Vec<i32> =
            std::fs::read_to_string(&pids).unwrap().split_whitespace().map(|p| p.parse().unwrap()).collect();
        assert!(started.len() >= 2 * jobs);
        std::thread::sleep(Duration::from_millis(200));
        let left: Vec<i32> = started.into_iter().filter(|p| common::alive(*p)).collect();
        assert!(left.is_empty(), "{name}: processes left behind: {left:?}");
    }
}

/// A Node action that logs the pipe names, and a lone surrogate (legal JavaScript text).
const LOGS_ODD_TEXT: &str = r#"
exports.onExecutePostLogin = async (event, api) => {
  console.log("pipes: " + event.configuration.TINYBIRD_PIPE_NAMES + String.fromCharCode(0xd800));
};
"#;

#[test]
fn reports_stay_valid_and_names_stable_whatever_the_events_hold() {
    let dir = TempDir::new("odd-text");
    std::fs::write(dir.path("odd.js"), LOGS_ODD_TEXT).unwrap();
    std::fs::create_dir_all(dir.path("odd-cases")).unwrap();
    let event = serde_json::json!({
        "secrets": {"TINYBIRD_ADMIN_TOKEN": "p.made-up"},
        "configuration": {"TINYBIRD_WORKSPACE_ID": "ws\u{0}\u{7f}", "TINYBIRD_PIPE_NAMES": "a\u{ffff}b,\u{0}c,\u{2028}\u{202e}d,\u{1b}[31m"},
        "user": {"user_id": "auth0|x"}, "authorization": {"roles": []}
    });
    std::fs::write(dir.path("odd-cases/odd_text.json"), event.to_string()).unwrap();
    let mut names = Vec::new();
    for seed in ["1", "2"] {
        let junit = format!("junit-{seed}.xml");
        let markdown = format!("summary-{seed}.md");
        let out = tbjwt_in(
            &dir.0,
            &[
                "check",
                "node:odd.js",
                "--cases",
                "20",
                "--seed",
                seed,
                "--no-save",
                "--fixtures",
                "odd-cases",
                "--report",
                &format!("junit={junit}"),
                "--report",
                &format!("markdown={markdown}"),
            ],
        );
        assert!(matches!(code(&out), 1 | 3), "{}", text(&out));
        let path = dir.path(&junit);
        python_parses_xml(&path).expect("Python's xml.etree parses the JUnit report");
        let xml = std::fs::read_to_string(&path).unwrap();
        roxmltree::Document::parse(&xml).expect("roxmltree parses the JUnit report");
        assert!(xml.contains("odd_text") && xml.contains("\\u{ffff}"), "U+FFFF is escaped visibly");
        for shown in
            [String::from_utf8_lossy(&out.stdout).into_owned(), std::fs::read_to_string(dir.path(&markdown)).unwrap()]
        {
            assert!(
                !shown
                    .chars()
                    .any(|c| matches!(c, '\u{0}' | '\u{7f}' | '\u{1b}' | '\u{2028}' | '\u{202e}' | '\u{ffff}')),
                "{shown}"
            );
        }
        names.push(junit_names(&path, "tbjwt.fixtures"));
    }
    assert_eq!(names[0], names[1], "fixture test names do not depend on the seed");
    assert!(names[0].len() > common::fixture_cases().len());
}

#[test]
fn generated_cases_are_named_by_what_they_are() {
    let dir = TempDir::new("generated-names");
    let run = |seed: &str, report: &str| {
        let out = tbjwt_in(
            &dir.0,
            &[
                "check",
                "reference",
                "--cases",
                "30",
                "--seed",
                seed,
                "--no-suite",
                "--report",
                &format!("junit={report}"),
            ],
        );
        assert_eq!(code(&out), 0, "{}", text(&out));
        junit_names(&dir.path(report), "tbjwt.generated")
    };
    let a = run("8", "a.xml");
    assert_eq!(a, run("8", "b.xml"), "the same seed, the same names");
    assert!(a.iter().all(|n| n.starts_with("generated-") && n.len() == "generated-".len() + 12), "{a:?}");
    assert_ne!(a, run("9", "c.xml"));
}

/// A replay runs its one case on one job (no idle implementation processes), and every footer says where
/// the jobs' time went: in the implementation, and in the harness around it.
#[test]
fn a_replay_runs_on_one_job_and_the_footer_splits_the_time() {
    let dir = TempDir::new("replay-one-job");
    let out = tbjwt_in(
        &dir.0,
        &["check", &deviant("trims_pipe_names.js"), "--replay", "pipes_with_spaces", "--report", "json=r.jsonl"],
    );
    assert_eq!(code(&out), 1, "{}", text(&out));
    let lines = json_lines(&dir.path("r.jsonl"));
    assert_eq!(lines[0]["jobs"], 1, "{}", lines[0]);
    let footer = lines.last().unwrap();
    let timing = &footer["timing"];
    assert!(timing["implementation_seconds"].as_f64().unwrap() > 0.0, "{footer}");
    assert!(timing["harness_seconds"].as_f64().unwrap() > 0.0, "{footer}");
    assert!(footer.get("class_coverage").is_none(), "a replay has no coverage to speak of: {footer}");
}
