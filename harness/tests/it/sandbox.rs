//! The sandbox (docs/security.md): the attacks a hostile port makes on its host, as a `node:` Action and
//! as a `cmd:` program in Python, are each contained (nothing written outside the private folder, no
//! process left, the host's variables unseen) and named in the report as security findings; the run's
//! header says what holds, `auto` goes on where the kernel lacks a feature and `require` refuses.

use std::path::Path;

use serde_json::Value;

use crate::common::{self, code, text, TempDir};

/// A CI secret in the harness's environment that no implementation may see.
const CI_SECRET: &str = "made-up-ci-secret-4b1d";

/// Every file an attack tries to leave in /tmp.
const LEFT_FILES: [&str; 4] = [
    "/tmp/tbjwt-node-environment.txt",
    "/tmp/tbjwt-node-anywhere.txt",
    "/tmp/tbjwt-python-environment.txt",
    "/tmp/tbjwt-python-anywhere.txt",
];

/// Processes whose command line is `sleep SECONDS` (what the detaching attacks start).
fn sleepers(seconds: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| c.split(|&b| b == 0).filter(|a| !a.is_empty()).eq([&b"sleep"[..], seconds.as_bytes()]))
                .unwrap_or(false)
        })
        .collect()
}

fn check(dir: &TempDir, implementation: &str, report: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        implementation,
        "--no-suite",
        "--cases",
        "12",
        "--seed",
        "3",
        "--jobs",
        "2",
        "--no-save",
        "--report",
    ];
    let report_arg = format!("json={report}");
    args.push(&report_arg);
    args.extend(extra);
    common::tbjwt().current_dir(&dir.0).env("MY_CI_SECRET", CI_SECRET).args(&args).output().unwrap()
}

#[test]
fn every_attack_on_the_host_is_contained_and_named_from_node_and_from_python() {
    let dir = TempDir::new("sandbox-attacks");
    let root = common::repo_root();
    let node = |attack: &str| format!("node:{}", root.join("fixtures/implementations/hostile").join(attack).display());
    let python = |attack: &str| {
        format!("cmd:python3 {} {attack}", root.join("fixtures/implementations/python/hostile.py").display())
    };
    let attacks: [(&str, &[&str]); 4] = [
        ("environment", &["writes_outside_sandbox: the implementation tried to write (refused): /tmp/tbjwt-"]),
        // What runs before the case's process group is ended depends on timing; that it started any is not.
        ("detach", &["spawns_processes: the implementation started processes: "]),
        ("dns", &["resolves_names: the implementation tried to resolve names (refused)", "sends_udp"]),
        (
            "files",
            &[
                "reads_outside_sandbox: the implementation tried to read (refused): /etc/hostname",
                "writes_outside_sandbox: the implementation tried to write (refused): /tmp/tbjwt-",
            ],
        ),
    ];
    for file in LEFT_FILES {
        let _ = std::fs::remove_file(file);
    }
    let mut problems = Vec::new();
    for (attack, expected) in attacks {
        for (language, implementation) in [("node", node(&format!("{attack}.js"))), ("python", python(attack))] {
            let report = format!("{language}-{attack}.jsonl");
            let out = check(&dir, &implementation, &report, &[]);
            let found = common::security_findings(&dir.path(&report));
            let mut expected = expected.to_vec();
            if (language, attack) == ("python", "environment") {
                // It also reads the harness's own environment through /proc: refused, and told.
                expected.push("reads_outside_sandbox: the implementation tried to read (refused): /proc/");
            }
            let missing: Vec<&&str> = expected.iter().filter(|e| !found.iter().any(|f| f.contains(**e))).collect();
            if code(&out) != 1 || !missing.is_empty() {
                problems.push(format!(
                    "{language} {attack}: exit {:?}, missing {missing:?} in {found:?}\n{}",
                    out.status.code(),
                    text(&out)
                ));
            }
            let everything = format!("{}{}", text(&out), std::fs::read_to_string(dir.path(&report)).unwrap());
            if everything.contains(CI_SECRET) {
                problems.push(format!("{language} {attack}: the host's secret reached the output"));
            }
        }
    }
    for file in LEFT_FILES {
        if Path::new(file).exists() {
            problems.push(format!("{file} was written outside the sandbox"));
        }
    }
    for seconds in ["313", "314"] {
        let left = sleepers(seconds);
        if !left.is_empty() {
            problems.push(format!("`sleep {seconds}` outlived the run: {left:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_header_says_what_holds_auto_goes_on_without_a_feature_and_require_refuses() {
    let dir = TempDir::new("sandbox-modes");
    let bundled = format!("node:{}", common::repo_root().join("fixtures/implementations/tinybird-jwt").display());
    let run = |pretend: &str, args: &[&str]| {
        let mut command = common::tbjwt();
        command.current_dir(&dir.0).args(["check", &bundled, "--no-suite", "--cases", "8", "--no-save"]).args(args);
        if !pretend.is_empty() {
            command.env(harness::sandbox::PRETEND_MISSING_VAR, pretend);
        }
        command.output().unwrap()
    };
    let out = run("", &[]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let support = harness::sandbox::support();
    if support.landlock_abi >= 6 && support.seccomp_notify {
        assert!(
            text(&out).contains("sandbox (auto): environment, processes, network, files, resources (Landlock ABI"),
            "{}",
            text(&out)
        );
    }
    let out = run("landlock", &[]);
    assert_eq!(code(&out), 0, "auto goes on: {}", text(&out));
    assert!(text(&out).contains("NOT ENFORCED files: no Landlock"), "{}", text(&out));
    let out = run("landlock,seccomp", &["--sandbox", "require"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("--sandbox require: not enforceable on this machine")
            && text(&out).contains("processes: no seccomp user notification"),
        "{}",
        text(&out)
    );
    let out = run("", &["--sandbox", "off"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("sandbox: off"), "{}", text(&out));
    // Without Landlock the supervisor still refuses and reports a write outside.
    if support.seccomp_notify {
        let hostile =
            format!("node:{}", common::repo_root().join("fixtures/implementations/hostile/files.js").display());
        let _ = std::fs::remove_file("/tmp/tbjwt-node-anywhere.txt");
        let mut command = common::tbjwt();
        command.current_dir(&dir.0).env(harness::sandbox::PRETEND_MISSING_VAR, "landlock").args([
            "check",
            &hostile,
            "--no-suite",
            "--cases",
            "12",
            "--seed",
            "3",
            "--no-save",
        ]);
        let out = command.output().unwrap();
        assert_eq!(code(&out), 1, "{}", text(&out));
        assert!(text(&out).contains("writes_outside_sandbox"), "{}", text(&out));
        assert!(!Path::new("/tmp/tbjwt-node-anywhere.txt").exists());
    }
}

#[test]
fn a_named_variable_is_passed_and_a_memory_cap_is_a_clear_error() {
    let dir = TempDir::new("sandbox-pass-and-cap");
    // A program that answers with the variables it sees as its log, and allocates on request.
    std::fs::write(
        dir.path("env_port.py"),
        r#"import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("cmd") == "start":
        print(json.dumps({"ready": True}), flush=True)
    elif m.get("cmd") == "run":
        if os.environ.get("TBJWT_TEST_HOG"):
            hog = bytearray(512 << 20)
        seen = sorted(k for k in os.environ if k in ("MY_CI_SECRET", "TBJWT_TEST_PASSED"))
        print(json.dumps({"seq": m["seq"], "outcome": {"status": "completed", "error": None, "logs": seen, "calls": []}}), flush=True)
    else:
        break
"#,
    )
    .unwrap();
    let event = dir.path("event.json");
    std::fs::write(&event, r#"{"secrets": {}, "configuration": {}}"#).unwrap();
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        let mut command = common::tbjwt();
        command.current_dir(&dir.0).env("MY_CI_SECRET", CI_SECRET).envs(vars.iter().copied());
        command.args(["run", "cmd:python3 env_port.py", event.to_str().unwrap()]).args(args);
        command.output().unwrap()
    };
    let out = run(&["--pass-env", "TBJWT_TEST_PASSED"], &[("TBJWT_TEST_PASSED", "1")]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["logs"], serde_json::json!(["TBJWT_TEST_PASSED"]), "only the named variable is seen");
    let out = run(&["--max-memory", "128", "--pass-env", "TBJWT_TEST_HOG"], &[("TBJWT_TEST_HOG", "1")]);
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("memory cap of 128 MiB"), "{}", text(&out));
}

#[test]
fn no_output_shows_a_secret_and_each_finding_still_says_where_it_went() {
    let dir = TempDir::new("sandbox-masking");
    const ADMIN: &str = "p.made-up-admin-token-the-reports-must-not-show";
    std::fs::create_dir_all(dir.path("cases")).unwrap();
    let event = serde_json::json!({
        "secrets": {"TINYBIRD_ADMIN_TOKEN": ADMIN},
        "configuration": {"TINYBIRD_WORKSPACE_ID": "ws", "TINYBIRD_PIPE_NAMES": "kpis"},
        "user": {"user_id": "auth0|masking"},
        "authorization": {"roles": []}
    });
    std::fs::write(dir.path("cases/logs_the_key.json"), event.to_string()).unwrap();
    let deviant =
        format!("node:{}", common::repo_root().join("fixtures/implementations/deviant/logs_admin_token.js").display());
    let out = common::tbjwt()
        .current_dir(&dir.0)
        .args(["check", &deviant, "--no-suite", "--fixtures", "cases", "--cases", "3", "--seed", "1"])
        .args(["--save-failures", "saved"])
        .args(["--report", "json=r.jsonl", "--report", "junit=r.xml", "--report", "markdown=r.md"])
        .args(["--report", "html=r.html"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("admin_token_in_logs: TINYBIRD_ADMIN_TOKEN found in logs[0]"), "{}", text(&out));
    assert!(text(&out).contains("<secret TINYBIRD_ADMIN_TOKEN>"), "{}", text(&out));
    let mut outputs = vec![("terminal".to_owned(), text(&out))];
    for report in ["r.jsonl", "r.xml", "r.md", "r.html"] {
        outputs.push((report.to_owned(), std::fs::read_to_string(dir.path(report)).unwrap()));
    }
    let run = common::tbjwt().current_dir(&dir.0).args(["run", &deviant, "cases/logs_the_key.json"]).output().unwrap();
    outputs.push(("tbjwt run".to_owned(), text(&run)));
    let shown: Vec<&String> = outputs.iter().filter(|(_, o)| o.contains(ADMIN)).map(|(name, _)| name).collect();
    assert!(shown.is_empty(), "the admin token is shown in {shown:?}");
}

#[test]
fn each_attempt_is_told_in_the_case_it_was_made_in_even_when_cases_are_pipelined() {
    let dir = TempDir::new("sandbox-attribution");
    // The bundled action, reading /etc/hostname only for users whose id says so.
    let action = std::fs::read_to_string(common::repo_root().join("fixtures/implementations/tinybird-jwt/integration.action.js"))
        .unwrap()
        .replace(
            "  // R11\n",
            "  if (String(event.user.user_id).includes(\"attack\")) {\n    try { require(\"fs\").readFileSync(\"/etc/hostname\"); } catch (e) {}\n  }\n  // R11\n",
        );
    assert!(action.contains("includes(\"attack\")"));
    std::fs::write(dir.path("sometimes.js"), action).unwrap();
    std::fs::create_dir_all(dir.path("cases")).unwrap();
    let names = ["a_attack", "b_clean", "c_attack", "d_clean", "e_clean", "f_attack"];
    for name in names {
        let event = serde_json::json!({
            "secrets": {"TINYBIRD_ADMIN_TOKEN": "p.made-up-admin-token"},
            "configuration": {"TINYBIRD_WORKSPACE_ID": "ws", "TINYBIRD_PIPE_NAMES": "kpis"},
            "user": {"user_id": format!("auth0|{name}")},
            "authorization": {"roles": []}
        });
        std::fs::write(dir.path(&format!("cases/{name}.json")), event.to_string()).unwrap();
    }
    // One job: the six cases go to one process in one pipelined batch.
    let out = common::tbjwt()
        .current_dir(&dir.0)
        .args(["check", "node:sometimes.js", "--no-suite", "--fixtures", "cases", "--cases", "0", "--jobs", "1"])
        .args(["--no-save", "--report", "json=r.jsonl"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", text(&out));
    let verdicts: Vec<(String, String)> = std::fs::read_to_string(dir.path("r.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "case")
        .map(|l| (l["name"].as_str().unwrap().to_owned(), l["verdict"].as_str().unwrap().to_owned()))
        .collect();
    for name in names {
        let want = if name.ends_with("attack") { "fail" } else { "pass" };
        assert!(verdicts.contains(&(name.to_owned(), want.to_owned())), "{name} should {want}: {verdicts:?}");
    }
}
