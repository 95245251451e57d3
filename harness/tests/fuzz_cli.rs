//! `tbjwt fuzz` (the stable proptest campaign) finds a deliberately deviant implementation and saves the
//! finding; `tbjwt import-crash` turns a libFuzzer artifact into a case that `check` replays.

mod common;

use std::process::Command;

fn tbjwt(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tbjwt")).args(args).current_dir(common::repo_root()).output().unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

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
    assert!(text(&out).contains("executions/s"), "{}", text(&out));
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
fn a_libfuzzer_artifact_becomes_a_replayed_case() {
    let dir = std::env::temp_dir().join(format!("tbjwt-import-{}", std::process::id()));
    let artifacts = dir.join("artifacts/diff_pipe_names");
    std::fs::create_dir_all(&artifacts).unwrap();
    let artifact = artifacts.join("crash-0123abcd");
    std::fs::write(&artifact, harness::fuzzing::pipe_names_input(1, "a,,b")).unwrap();
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
