//! `tbjwt fuzz` (the stable proptest engine, a time-bounded check over the pipe-name input space) finds a
//! deliberately deviant implementation and saves the finding, follows check's verdict rules (errors exit
//! 3, the mocks are passed, expectations apply); `tbjwt import-crash` turns a libFuzzer artifact into a
//! case that `check` replays.

use crate::common::{run_tbjwt as tbjwt, text, TempDir};

/// A protocol port (the bundled Python one) that first calls the Tinybird mock it is given, as a port
/// built on a token service would, and errors without it.
const CALLS_THE_MOCK: &str = r#"
import json, sys, urllib.error, urllib.request
sys.path.insert(0, sys.argv[1])
from tinybird_jwt import handle
for line in sys.stdin:
    message = json.loads(line)
    if message.get("cmd") == "run":
        try:
            urllib.request.urlopen(message["mocks"]["tinybird"] + "/v0/pipes/top_pages.json", timeout=5)
        except urllib.error.HTTPError:
            pass  # reached the mock: any HTTP answer will do
        except Exception as e:
            print(json.dumps({"seq": message["seq"], "errored": {"message": f"no Tinybird: {e!r}"}}), flush=True)
            continue
    reply = handle(message)
    if reply is None:
        break
    print(json.dumps(reply), flush=True)
"#;

#[test]
fn the_stable_campaign_finds_a_deviant_and_the_finding_replays() {
    let dir = std::env::temp_dir().join(format!("tbjwt-fuzz-{}", std::process::id()));
    let deviant = "node:fixtures/implementations/deviant/drops_empty_segments.js";
    let out = tbjwt(&[
        "fuzz",
        deviant,
        "--engine",
        "proptest",
        "--seconds",
        "60",
        "--seed",
        "3",
        "--save-failures",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("tbjwt fuzz") && text(&out).contains("cases/s"), "{}", text(&out));
    let saved = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let case = harness::event::Case::load(&saved).unwrap();
    let pipes = case.event["configuration"]["TINYBIRD_PIPE_NAMES"].as_str().unwrap();
    assert!(pipes.split(',').any(str::is_empty) && pipes.len() <= 4, "shrunk to a minimal list: {pipes:?}");
    let replay = tbjwt(&["check", deviant, "--replay", saved.to_str().unwrap(), "--no-save"]);
    assert_eq!(replay.status.code(), Some(1), "{}", text(&replay));
    let replay = tbjwt(&[
        "check",
        "node:fixtures/implementations/tinybird-jwt",
        "--replay",
        saved.to_str().unwrap(),
        "--no-save",
    ]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fuzzing_follows_checks_verdict_rules() {
    let dir = TempDir::new("fuzz-verdicts");
    let always_errors = "cmd:python3 -c 'import sys; sys.exit(4)'";
    let out = tbjwt(&["fuzz", always_errors, "--engine", "proptest", "--seconds", "3", "--no-save"]);
    assert_eq!(out.status.code(), Some(3), "every execution errored: {}", text(&out));
    assert!(!text(&out).contains("conforms"), "{}", text(&out));

    std::fs::write(dir.path("calls_the_mock.py"), CALLS_THE_MOCK).unwrap();
    let python = crate::common::repo_root().join("fixtures/implementations/python");
    let port = format!("cmd:python3 {} {}", dir.arg("calls_the_mock.py"), python.display());
    let out = tbjwt(&["fuzz", &port, "--engine", "proptest", "--seconds", "4", "--no-save"]);
    assert_eq!(out.status.code(), Some(0), "a port that calls the Tinybird mock is fuzzed: {}", text(&out));
    assert!(text(&out).contains("error 0") && text(&out).contains("conforms"), "{}", text(&out));

    // An accepted divergence is accepted while fuzzing too; anything else is still found.
    std::fs::write(dir.path("known.toml"), "[[expected]]\nrule = \"R7\"\nreason = \"we drop empty pipe names\"\n")
        .unwrap();
    let deviant = "node:fixtures/implementations/deviant/drops_empty_segments.js";
    let out = tbjwt(&[
        "fuzz",
        deviant,
        "--engine",
        "proptest",
        "--seconds",
        "4",
        "--no-save",
        "--expectations",
        dir.arg("known.toml").as_str(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("fail 0") && !text(&out).contains("expected 0 "), "{}", text(&out));
}

#[test]
fn a_libfuzzer_artifact_becomes_a_replayed_case() {
    let dir = std::env::temp_dir().join(format!("tbjwt-import-{}", std::process::id()));
    let artifacts = dir.join("artifacts/diff_pipe_names");
    std::fs::create_dir_all(&artifacts).unwrap();
    let artifact = artifacts.join("crash-0123abcd");
    std::fs::write(&artifact, harness::fuzz_input::pipe_names_input(1, "a,,b")).unwrap();
    let out_dir = dir.join("regressions");
    let out = tbjwt(&["import-crash", artifact.to_str().unwrap(), "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let path = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let case = harness::event::Case::load(std::path::Path::new(&path)).unwrap();
    assert!(
        case.description.contains("crash-0123abcd") && case.description.contains("diff_pipe_names"),
        "{}",
        case.description
    );
    assert_eq!(case.event["configuration"]["TINYBIRD_PIPE_NAMES"], "a,,b");
    assert_eq!(case.event["authorization"], serde_json::json!({"roles": []}));
    let deviant = "node:fixtures/implementations/deviant/drops_empty_segments.js";
    assert_eq!(tbjwt(&["check", deviant, "--replay", &path, "--no-save"]).status.code(), Some(1));
    let bad = tbjwt(&["import-crash", dir.join("nope").to_str().unwrap(), "--target", "diff_pipe_names"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("nope"), "{}", text(&bad));
    std::fs::remove_dir_all(&dir).unwrap();
}
