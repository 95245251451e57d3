//! The bundled implementations (the project's own JavaScript action, the Python port over stdio and over
//! HTTP) give exactly the reference outcome on every fixture, through real Node.js, real Python processes
//! and real HTTP.

use crate::common;

use std::io::BufRead;
use std::process::{Command, Stdio};

use harness::clock::Now;
use harness::js::JsValue;
use harness::runner::{Implementation, RunRequest, Runner, RunnerSettings};

fn assert_matches_spec_on_fixtures(name: &str, runner: &mut dyn Runner) {
    let cases = common::fixture_cases();
    let requests: Vec<RunRequest> = cases
        .iter()
        .map(|c| RunRequest { now: c.now_or(Now::DEFAULT), event: &c.event, mocks: None, instance: None })
        .collect();
    let results = runner.run_batch(&requests);
    assert_eq!(results.len(), cases.len());
    for ((case, request), result) in cases.iter().zip(&requests).zip(results) {
        let want = harness::spec::outcome(&JsValue::from_json(&case.event), request.now);
        let got = result.unwrap_or_else(|e| panic!("{name}: {}: errored: {e}", case.name));
        assert_eq!(got, want, "{name}: {}", case.name);
    }
}

fn implementation(name: &str) -> Box<dyn Runner> {
    let root = common::repo_root();
    let name = name.replace("{root}", &root.display().to_string());
    name.parse::<Implementation>().unwrap().runner(RunnerSettings::default()).unwrap()
}

#[test]
fn bundled_javascript_action_matches_the_spec() {
    let mut r = implementation("node:{root}/fixtures/implementations/tinybird-jwt");
    assert_matches_spec_on_fixtures("tinybird-jwt", &mut r);
}

#[test]
fn python_port_over_stdio_matches_the_spec() {
    let mut r = implementation("cmd:python3 {root}/fixtures/implementations/python/protocol_stdio.py");
    assert_matches_spec_on_fixtures("python stdio", &mut r);
}

#[test]
fn python_port_over_http_matches_the_spec() {
    let script = common::repo_root().join("fixtures/implementations/python/protocol_http.py");
    let mut server = Command::new("python3").arg(script).stdout(Stdio::piped()).spawn().expect("python3 starts");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("listening on ").expect("the server prints its URL").to_owned();
    let mut r = implementation(&url);
    assert_matches_spec_on_fixtures("python http", &mut r);
    let _ = server.kill();
    let _ = server.wait();
}
