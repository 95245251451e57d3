//! The JSON Schemas under `schemas/` describe what the harness really sends and accepts: the harness's own
//! messages, the reference outcome of every fixture, and the replies of the bundled Python port validate.

use crate::common;

use harness::clock::Now;
use harness::js::JsValue;
use harness::runner::protocol;
use serde_json::{json, Value};

/// Checks of instances against the schemas, run in one go by the Python reference implementation of JSON
/// Schema (`fixtures/tools/jsonschema`, pinned) when the value is dropped: every schema under `schemas/`
/// registered by its `$id`, so that their `$ref`s resolve.
struct Schemas {
    checks: Vec<(String, Value, bool)>,
}

impl Schemas {
    fn load() -> Schemas {
        Schemas { checks: Vec::new() }
    }

    fn check(&mut self, name: &str, instance: &Value, valid: bool) {
        self.checks.push((name.to_owned(), instance.clone(), valid));
    }

    fn assert_valid(&mut self, name: &str, instance: &Value) {
        self.check(name, instance, true);
    }

    fn assert_invalid(&mut self, name: &str, instance: &Value) {
        self.check(name, instance, false);
    }

    /// Runs every check; panics with the ones that did not come out as expected.
    fn verify(self) {
        let checks: Vec<(&str, &Value, bool)> = self.checks.iter().map(|(n, i, v)| (n.as_str(), i, *v)).collect();
        common::assert_json_schemas(&common::repo_root().join("schemas"), &checks);
    }
}

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap()
}

#[test]
fn harness_messages_and_reference_outcomes_validate() {
    let mut schemas = Schemas::load();
    schemas.assert_valid("start", &parse(&protocol::start_message()));
    schemas.assert_valid("stop", &parse(protocol::STOP_MESSAGE));
    let mocks = protocol::MockUrls { auth0: "http://127.0.0.1:1".into(), tinybird: "http://127.0.0.1:2".into() };
    for (seq, case) in common::fixture_cases().iter().enumerate() {
        let seq = seq as u64 + 1;
        let now = case.now_or(Now::DEFAULT);
        schemas.assert_valid("run", &parse(&protocol::run_message(seq, now, &case.event, Some(&mocks), Some(seq))));
        let outcome = serde_json::to_value(harness::spec::outcome(&JsValue::from_json(&case.event), now)).unwrap();
        schemas.assert_valid("outcome", &outcome);
        schemas.assert_valid("reply", &json!({"seq": seq, "outcome": outcome}));
    }
    schemas.assert_valid("reply", &json!({"seq": 3, "errored": {"message": "boom"}}));
    schemas.assert_valid("ready", &json!({"ready": true, "name": "x", "language": "go", "honours_now": false}));
    schemas.verify();
}

#[test]
fn schemas_reject_malformed_messages() {
    let mut schemas = Schemas::load();
    schemas.assert_invalid("reply", &json!({"seq": 1}));
    schemas.assert_invalid(
        "reply",
        &json!({"seq": 1, "outcome": {"status": "done", "error": null, "logs": [], "calls": []}}),
    );
    schemas.assert_invalid("outcome", &json!({"status": "threw", "error": null, "logs": [], "calls": []}));
    schemas.assert_invalid(
        "outcome",
        &json!({"status": "completed", "error": null, "logs": [], "calls": [{"api": "deny"}]}),
    );
    schemas.assert_invalid("ready", &json!({"ready": false}));
    schemas.assert_invalid("run", &json!({"cmd": "run", "seq": 0, "now": 1, "event": {}}));
    schemas.verify();
}

#[test]
fn python_port_replies_validate() {
    let script = common::repo_root().join("fixtures/implementations/python/protocol_stdio.py");
    let mut input = String::new();
    input.push_str(&protocol::start_message());
    input.push('\n');
    let cases = common::fixture_cases();
    for (i, case) in cases.iter().enumerate() {
        input.push_str(&protocol::run_message(i as u64 + 1, Now::DEFAULT, &case.event, None, None));
        input.push('\n');
    }
    input.push_str(protocol::STOP_MESSAGE);
    input.push('\n');
    let dir = std::env::temp_dir().join(format!("tbjwt-schema-{}.jsonl", std::process::id()));
    std::fs::write(&dir, &input).unwrap();
    let output =
        std::process::Command::new("python3").arg(script).stdin(std::fs::File::open(&dir).unwrap()).output().unwrap();
    std::fs::remove_file(&dir).unwrap();
    assert!(output.status.success());
    let mut schemas = Schemas::load();
    let lines: Vec<Value> = String::from_utf8(output.stdout).unwrap().lines().map(parse).collect();
    assert_eq!(lines.len(), cases.len() + 1);
    schemas.assert_valid("ready", &lines[0]);
    for reply in &lines[1..] {
        schemas.assert_valid("reply", reply);
    }
    schemas.verify();
}
