//! Portable test vectors: `tbjwt vectors export` writes JSON that validates against its own schema, whose
//! test ids stay the same when the suite grows, and that a port's own unit tests read without tbjwt: the
//! pytest and node:test consumers of `examples/vectors/` pass the bundled ports and fail a deviant.

use crate::common::{self, code, repo_root, text, TempDir};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn export(dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["vectors", "export", dir.to_str().unwrap(), "--generated", "30", "--seed", "7"];
    args.extend_from_slice(extra);
    let out = common::run_tbjwt(&args);
    assert_eq!(code(&out), 0, "{}", text(&out));
    serde_json::from_str(&std::fs::read_to_string(dir.join("tbjwt_vectors.json")).unwrap()).unwrap()
}

fn tests_by_id(vectors: &Value) -> std::collections::BTreeMap<String, Value> {
    vectors["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter().cloned())
        .map(|t| (t["tcId"].as_str().unwrap().to_owned(), t))
        .collect()
}

/// Validates the vectors (and a copy the schema must refuse) against the schema exported beside them.
fn assert_valid(dir: &Path, vectors: &Value) {
    let mut broken = vectors.clone();
    broken["testGroups"][0]["tests"][0].as_object_mut().unwrap().remove("expected");
    common::assert_json_schemas(dir, &[("tbjwt_vectors", vectors, true), ("tbjwt_vectors", &broken, false)]);
}

#[test]
fn vectors_validate_and_keep_their_ids_when_the_suite_grows() {
    let dir = TempDir::new("vectors");
    let first = export(&dir.path("v1"), &["--regressions", dir.arg("no-regressions").as_str()]);
    assert_valid(&dir.path("v1"), &first);
    let groups: Vec<(&str, usize)> = first["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["source"].as_str().unwrap(), g["tests"].as_array().unwrap().len()))
        .collect();
    assert_eq!(groups[0], ("suite", common::fixture_cases().len()));
    assert_eq!(groups[1].0, "class-examples");
    assert_eq!(groups[2], ("generated", 30));
    // Every flag is explained once.
    for test in tests_by_id(&first).values() {
        for flag in test["flags"].as_array().unwrap() {
            assert!(first["notes"].get(flag.as_str().unwrap()).is_some(), "flag {flag} has no note");
        }
    }

    // The suite grows by one case (a saved regression): every test keeps its id and its expectation.
    std::fs::create_dir_all(dir.path("regressions")).unwrap();
    let mut grown = common::fixture_cases()[0].event.clone();
    grown["configuration"]["TINYBIRD_PIPE_NAMES"] = Value::String("top_pages,,kpis".into());
    std::fs::write(dir.path("regressions/new_case.json"), serde_json::json!({"event": grown}).to_string()).unwrap();
    let second = export(&dir.path("v2"), &["--regressions", dir.arg("regressions").as_str()]);
    let (before, after) = (tests_by_id(&first), tests_by_id(&second));
    assert_eq!(after.len(), before.len() + 1);
    for (id, test) in &before {
        assert_eq!(after.get(id), Some(test), "test {id} changed when the suite grew");
    }
}

fn consumer(program: &str, args: &[&str], vectors: &Path, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(program);
    command.args(args).env("TBJWT_VECTORS", vectors).envs(vars.iter().copied());
    command.output().unwrap()
}

#[test]
fn a_ports_own_tests_read_the_vectors_in_python_and_javascript() {
    let dir = TempDir::new("vectors-consumers");
    export(&dir.0, &["--regressions", dir.arg("none").as_str()]);
    let vectors = dir.path("tbjwt_vectors.json");
    let examples = repo_root().join("examples/vectors");

    // pytest, against the bundled Python port.
    let python = common::python_env("pytest", &examples.join("python/requirements.txt"));
    let port = repo_root().join("fixtures/implementations/python");
    let test_file = examples.join("python/test_vectors.py");
    let out = consumer(
        python.to_str().unwrap(),
        &["-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.to_str().unwrap()],
        &vectors,
        &[("PORT_DIR", port.to_str().unwrap())],
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains(" passed"), "{}", text(&out));

    // node:test, against the bundled action, then a deviant.
    let js = common::npm_project("vectors-js", &examples.join("js"));
    let modules = js.join("node_modules");
    let run_js = |action: &str| {
        let action = repo_root().join(action);
        consumer(
            "node",
            &["--test", js.join("vectors.test.mjs").to_str().unwrap()],
            &vectors,
            &[("ACTION", action.to_str().unwrap()), ("NODE_PATH", modules.to_str().unwrap())],
        )
    };
    let out = run_js("fixtures/implementations/tinybird-jwt/integration.action.js");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("# fail 0"), "{}", text(&out));
    let out = run_js("fixtures/implementations/deviant/drops_empty_segments.js");
    assert_ne!(code(&out), 0, "a deviant fails the vectors: {}", text(&out));
    let failed: u64 = text(&out)
        .lines()
        .find_map(|l| l.strip_prefix("# fail ").and_then(|n| n.trim().parse().ok()))
        .unwrap_or_default();
    assert!(failed > 0 && text(&out).contains("pipe-names/"), "{}", text(&out));
}

#[test]
fn vectors_check_runs_an_implementation_and_says_what_this_version_expects_otherwise() {
    let dir = TempDir::new("vectors-check");
    let vectors = export(&dir.0, &["--regressions", dir.arg("none").as_str()]);
    let check = |folder: &Path, implementation: &str| {
        common::run_tbjwt(&["vectors", "check", folder.to_str().unwrap(), implementation])
    };
    let bundled = format!("node:{}", repo_root().join("fixtures/implementations/tinybird-jwt").display());
    let out = check(&dir.0, &bundled);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("pass, 0 fail, 0 error") && text(&out).contains("expects what the vectors expect"));
    // A deviant fails, and what it logged of the admin token is shown by name only.
    let leaky = format!("node:{}", repo_root().join("fixtures/implementations/deviant/logs_admin_token.js").display());
    let out = check(&dir.0, &leaky);
    assert_eq!(code(&out), 1, "{}", text(&out));
    for test in tests_by_id(&vectors).values() {
        if let Some(token) = test["event"].pointer("/secrets/TINYBIRD_ADMIN_TOKEN").and_then(Value::as_str) {
            assert!(token.len() < 12 || !text(&out).contains(token), "an admin token is printed");
        }
    }
    // Vectors of another version, whose reference logged otherwise: the test fails and is named as
    // expecting otherwise from this version's reference.
    let mut older = vectors.clone();
    older["testGroups"][0]["tests"][3]["expected"]["logs"] = serde_json::json!(["an older reference said this"]);
    let older_dir = dir.path("older");
    std::fs::create_dir_all(&older_dir).unwrap();
    std::fs::write(older_dir.join("tbjwt_vectors.json"), older.to_string()).unwrap();
    let out = check(&older_dir, "reference");
    assert_eq!(code(&out), 1, "{}", text(&out));
    let id = older["testGroups"][0]["tests"][3]["tcId"].as_str().unwrap();
    assert!(text(&out).contains(&format!("FAIL suite-{id}")), "{}", text(&out));
    assert!(text(&out).contains("1 tests expect otherwise from this version's reference"), "{}", text(&out));
    // Vectors without a test check nothing: an error, never a pass.
    let mut empty = vectors.clone();
    empty["testGroups"] = serde_json::json!([]);
    std::fs::write(older_dir.join("tbjwt_vectors.json"), empty.to_string()).unwrap();
    let out = check(&older_dir, "reference");
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("no test in the vectors"), "{}", text(&out));
}
