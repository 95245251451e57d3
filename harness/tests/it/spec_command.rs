//! `tbjwt spec` as a user runs it: real process, real files, exit codes.

use crate::common;

fn tbjwt(args: &[&str]) -> (i32, String, String) {
    let out = common::run_tbjwt(args);
    (
        common::code(&out),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_the_reference_outcome_with_a_pinned_clock() {
    let (code, stdout, _) = tbjwt(&["spec", "fixtures/events/pipes_trailing_comma.json", "--now", "1764000000"]);
    assert_eq!(code, 0);
    let outcome: harness::outcome::Outcome = serde_json::from_str(&stdout).unwrap();
    assert_eq!(outcome.calls.len(), 2);
    let token = outcome.calls[0].args[1].as_str().unwrap();
    let claims = harness::jwt::DecodedJwt::decode(token).unwrap().claims;
    assert_eq!((claims["iat"].as_i64(), claims["exp"].as_i64()), (Some(1764000000), Some(1764604800)));
    assert_eq!(claims["scopes"][2]["resource"], "");
}

#[test]
fn explain_names_the_deciding_rules() {
    let (code, stdout, _) = tbjwt(&["spec", "fixtures/events/workspace_and_pipes_missing.json", "--explain"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["trace"].as_array().unwrap().last().unwrap()["rule"], "R4");
    assert_eq!(v["outcome"]["logs"][0], harness::spec::MSG_MISSING_WORKSPACE_ID);
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = std::env::temp_dir().join(format!("tbjwt-cli-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\n  \"secrets\": {,\n}").unwrap();
    let array = dir.join("array.json");
    std::fs::write(&array, "[1, 2]").unwrap();
    let (code, stdout, stderr) = tbjwt(&["spec", broken.to_str().unwrap()]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("broken.json:2:"), "{stderr}");
    let (code, _, stderr) = tbjwt(&["spec", array.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("array.json") && stderr.contains("not an array"), "{stderr}");
    let (code, _, stderr) = tbjwt(&["spec", "does/not/exist.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does/not/exist.json"), "{stderr}");
    let (code, _, stderr) = tbjwt(&["spec", "fixtures/events/minimal_event.json", "--now", "soon"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("soon"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
