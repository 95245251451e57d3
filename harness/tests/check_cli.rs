//! `tbjwt check` end to end, as CI runs it: verdicts, exit codes, every report format (JUnit read back by
//! a real XML parser), expectations, partitions, shrinking and replay, config files, snapshots, and an
//! interrupted run that still writes its reports.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("tbjwt-check-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tbjwt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tbjwt"))
        .args(args)
        .current_dir(common::repo_root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn deviant(name: &str) -> String {
    format!("node:{}", common::repo_root().join("fixtures/implementations/deviant").join(name).display())
}

#[test]
fn a_conforming_run_exits_0_and_writes_every_report() {
    let dir = Dir::new("conforming");
    let out = tbjwt(&[
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
    ]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("seed 7") && text(&out).contains("cases/s"), "{}", text(&out));
    let lines = json_lines(&dir.path("r.jsonl"));
    assert_eq!(lines.first().unwrap()["type"], "header");
    assert_eq!(lines.first().unwrap()["seed"], 7);
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
}

#[test]
fn a_deviant_fails_with_exit_1_shrunk_saved_and_replayable() {
    let dir = Dir::new("deviant");
    let saved = dir.path("regressions");
    let out = tbjwt(&[
        "check",
        &deviant("logs_the_token.js"),
        "--cases",
        "20",
        "--seed",
        "3",
        "--fixtures",
        &dir.arg("none"),
        "--save-failures",
        saved.to_str().unwrap(),
        "--shrink-failures",
        "1",
        "--report",
        &format!("json={}", dir.arg("r.jsonl")),
        "--report",
        &format!("junit={}", dir.arg("junit.xml")),
    ]);
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

    let file = std::fs::read_dir(&saved).unwrap().next().unwrap().unwrap().path();
    let saved_case = harness::event::Case::load(&file).unwrap();
    assert!(saved_case.description.contains("--seed 3"), "{}", saved_case.description);
    let replay = tbjwt(&["check", &deviant("logs_the_token.js"), "--replay", file.to_str().unwrap(), "--no-save"]);
    assert_eq!(code(&replay), 1, "{}", text(&replay));
    let replay = tbjwt(&["check", "reference", "--replay", file.to_str().unwrap(), "--no-save"]);
    assert_eq!(code(&replay), 0, "{}", text(&replay));
}

#[test]
fn an_erroring_implementation_exits_3_and_usage_errors_exit_2() {
    let out = tbjwt(&[
        "check",
        "cmd:python3 -c 'import sys; sys.exit(4)'",
        "--cases",
        "3",
        "--no-save",
        "--fixtures",
        "/nonexistent",
    ]);
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
    let dir = Dir::new("expectations");
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
    let out = tbjwt(&["check", "reference", "--cases", "0", "--expectations", naming.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("unexpected-pass 1"), "{}", text(&out));
}

#[test]
fn partitions_split_the_same_cases_deterministically() {
    let dir = Dir::new("partition");
    let names = |report: &str, extra: &[&str]| -> Vec<String> {
        let mut args = vec!["check", "reference", "--cases", "40", "--seed", "11", "--jobs", "3"];
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
    let mut split = names("a.jsonl", &["--partition", "1/2"]);
    let b = names("b.jsonl", &["--partition", "2/2"]);
    assert!(split.iter().all(|n| !b.contains(n)));
    split.extend(b);
    split.sort();
    assert_eq!(split, full);
}

#[test]
fn a_config_file_makes_ci_one_line() {
    let dir = Dir::new("config");
    let config = dir.path("tbjwt.toml");
    std::fs::write(
        &config,
        format!(
            "implementation = \"reference\"\ncases = 5\nseed = 99\nlevel = \"strict\"\ndomain = \"any-json\"\nfixtures = [\"{}\"]\nreports = [\"json=out/report.jsonl\"]\nignore = [\"logs\"]\n",
            common::repo_root().join("fixtures/events").display()
        ),
    )
    .unwrap();
    let out = tbjwt(&["check", "--config", config.to_str().unwrap(), "--no-save"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let header = &json_lines(&dir.path("out/report.jsonl"))[0];
    assert_eq!(
        (header["seed"].as_u64(), header["level"].as_str(), header["domain"].as_str()),
        (Some(99), Some("strict"), Some("any-json"))
    );
    assert_eq!(header["ignore"], serde_json::json!(["logs"]));
    std::fs::write(&config, "implementation = \"reference\"\ncolour = 1\n").unwrap();
    let out = tbjwt(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(text(&out).contains("colour"), "{}", text(&out));
}

#[test]
fn snapshots_of_an_implementation_are_written_for_review() {
    let dir = Dir::new("snapshots");
    let snaps = dir.path("snaps");
    let run = || tbjwt(&["check", "reference", "--cases", "0", "--snapshots", snaps.to_str().unwrap()]);
    assert_eq!(code(&run()), 0);
    let pending: Vec<PathBuf> = std::fs::read_dir(&snaps).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(pending.len(), common::fixture_cases().len(), "one new snapshot per fixture");
    assert!(pending.iter().all(|p| p.to_string_lossy().ends_with(".snap.new")));
    // Accept them (what `cargo insta review` does), then a second run has nothing to review.
    for p in &pending {
        std::fs::rename(p, p.with_extension("")).unwrap();
    }
    assert_eq!(code(&run()), 0);
    let again: Vec<PathBuf> = std::fs::read_dir(&snaps)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".new"))
        .collect();
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn an_interrupted_run_still_writes_its_reports() {
    let dir = Dir::new("interrupt");
    let report = dir.arg("r.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tbjwt"))
        .args([
            "check",
            "reference",
            "--cases",
            "1000000",
            "--seed",
            "5",
            "--no-save",
            "--report",
            &format!("json={report}"),
        ])
        .current_dir(common::repo_root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for some cases, then Ctrl-C.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(&report).map_or(0, |t| t.lines().count()) < 50 && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let lines = json_lines(Path::new(&report));
    let footer = lines.last().unwrap();
    assert_eq!(footer["type"], "footer", "the footer is written after Ctrl-C");
    assert_eq!(footer["interrupted"], true);
    assert!(footer["counts"]["pass"].as_u64().unwrap() >= 49);
    assert_eq!(status.code(), Some(0), "what finished conformed");
}
