//! Runners against real Node.js, real child processes and real HTTP: every way an implementation can
//! misbehave yields the right result, the run goes on with the next case, and nothing hangs.

use crate::common;

use std::time::{Duration, Instant};

use harness::outcome::Status;
use harness::runner::{Implementation, RunRequest, RunResult, Runner, RunnerSettings};
use serde_json::{json, Value};

fn settings(case_timeout_ms: u64) -> RunnerSettings {
    RunnerSettings {
        case_timeout: Duration::from_millis(case_timeout_ms),
        start_timeout: Duration::from_secs(20),
        ..RunnerSettings::default()
    }
}

fn misbehaving(name: &str) -> String {
    common::repo_root().join("fixtures/implementations/misbehaving").join(name).display().to_string()
}

fn runner(name: &str, timeout_ms: u64) -> Box<dyn Runner> {
    name.parse::<Implementation>().unwrap().runner(settings(timeout_ms)).unwrap()
}

fn run_all(runner: &mut dyn Runner, events: &[Value]) -> Vec<RunResult> {
    let requests: Vec<RunRequest> = events
        .iter()
        .map(|e| RunRequest { now: harness::clock::Now::DEFAULT, event: e, mocks: None, instance: None })
        .collect();
    runner.run_batch(&requests)
}

fn node(file: &str, timeout_ms: u64) -> Box<dyn Runner> {
    runner(&format!("node:{}", misbehaving(file)), timeout_ms)
}

#[test]
fn node_throw_and_rejection_are_threw_with_the_error_name() {
    let mut r = node("throws.js", 5000);
    let o = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &json!({}), mocks: None, instance: None })
        .unwrap();
    assert_eq!(o.status, Status::Threw);
    assert_eq!(o.error.as_ref().unwrap().name, "RangeError");
    assert_eq!(o.calls.len(), 1, "calls made before the throw are kept");
    let mut r = node("rejects.js", 5000);
    let o = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &json!({}), mocks: None, instance: None })
        .unwrap();
    assert_eq!((o.status, o.error.unwrap().name.as_str()), (Status::Threw, "SyntaxError"));
}

#[test]
fn node_hang_is_errored_and_the_next_cases_run_on_a_fresh_worker() {
    for (file, flag) in [("hangs.js", "hang"), ("busy_loop.js", "spin")] {
        let mut r = node(file, 700);
        let started = Instant::now();
        let results = run_all(&mut r, &[json!({}), json!({ flag: true }), json!({}), json!({})]);
        assert!(started.elapsed() < Duration::from_secs(10), "{file}: took {:?}", started.elapsed());
        assert!(results[0].is_ok() && results[2].is_ok() && results[3].is_ok(), "{file}: {results:?}");
        let e = results[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("no reply within"), "{file}: {e}");
    }
}

#[test]
fn node_process_exit_is_errored_and_the_run_goes_on() {
    let mut r = node("exits.js", 5000);
    let results = run_all(&mut r, &[json!({"exit": true}), json!({})]);
    assert!(results[0].as_ref().unwrap_err().to_string().contains("process.exit(3)"), "{results:?}");
    assert_eq!(results[1].as_ref().unwrap().calls[0].api, "user.setAppMetadata");
}

#[test]
fn node_stdout_writes_do_not_corrupt_the_channel() {
    let mut r = node("writes_stdout.js", 5000);
    let results = run_all(&mut r, &[json!({}), json!({})]);
    for result in results {
        let o = result.unwrap();
        assert_eq!(o.status, Status::Completed);
        assert_eq!(o.calls.len(), 1);
    }
}

#[test]
fn node_records_every_api_call_console_flavour_and_the_frozen_clock() {
    let mut r = node("odd_api.js", 5000);
    let event = json!({"user": {"user_id": "auth0|1"}});
    let o =
        r.run(&RunRequest { now: harness::clock::Now::DEFAULT, event: &event, mocks: None, instance: None }).unwrap();
    let apis: Vec<&str> = o.calls.iter().map(|c| c.api.as_str()).collect();
    assert_eq!(apis, ["access.deny", "accessToken.setCustomClaim", "totally.madeUp", "cache.set", "cache.get"]);
    assert_eq!(o.calls[0].args, [json!("no entry for %s"), json!("auth0|1")]);
    assert_eq!(o.calls[1].args[1], json!({"nested": [1, "two", null]}));
    assert_eq!(o.calls[2].args, [json!(1), Value::Null, Value::Null]);
    assert_eq!(
        o.logs,
        ["info 42 x", "{ a: 1 }", "error", "debug undefined", "now=1764000000000 iso=2025-11-24T16:00:00.000Z"]
    );
}

#[test]
fn node_loads_es_modules_and_explains_load_failures() {
    let mut r = node("esm_action.mjs", 5000);
    let event = json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "k"}, "configuration": {"TINYBIRD_WORKSPACE_ID": "w"}});
    let o = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &event, mocks: None, instance: None })
        .unwrap();
    assert_eq!(o.calls[0].api, "user.setAppMetadata");

    let mut r = node("no_handler.js", 5000);
    let e = r.prepare().unwrap_err().to_string();
    assert!(e.contains("does not export a function onExecutePostLogin"), "{e}");
    let e = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &event, mocks: None, instance: None })
        .unwrap_err()
        .to_string();
    assert!(e.contains("onExecutePostLogin"), "{e}");

    let mut r = node("undeclared_dependency", 5000);
    let e = r.prepare().unwrap_err().to_string();
    assert!(e.contains("'jose'") && e.contains("configuration.json") && e.contains("dependencies"), "{e}");
}

#[test]
fn bad_node_paths_are_start_errors_naming_the_path() {
    let missing = common::repo_root().join("fixtures/does-not-exist");
    let e = Implementation::Node(missing).runner(settings(1000)).err().unwrap();
    assert!(e.to_string().contains("fixtures/does-not-exist"), "{e}");
    let e = Implementation::Node(common::repo_root().join("fixtures")).runner(settings(1000)).err().unwrap();
    assert!(e.to_string().contains("integration.action.js"), "{e}");
}

fn program(mode: &str, timeout_ms: u64) -> Box<dyn Runner> {
    runner(&format!("cmd:python3 {} {mode}", misbehaving("program.py")), timeout_ms)
}

#[test]
fn protocol_program_failures_are_errored_with_context_and_the_run_goes_on() {
    let events = [json!({"marker": 1}), json!({"misbehave": true}), json!({"marker": 3}), json!({"marker": 4})];
    let cases = [
        ("crash", "exit code 7"),
        ("garbage", "not JSON"),
        ("wrong-seq", "seq is 1002"),
        ("hang", "no reply within"),
        ("no-outcome", "neither a valid `outcome` nor `errored`"),
        ("errored", "the port gave up"),
    ];
    for (mode, expected) in cases {
        let mut r = program(mode, 800);
        let started = Instant::now();
        let results = run_all(&mut r, &events);
        assert!(started.elapsed() < Duration::from_secs(10), "{mode}: took {:?}", started.elapsed());
        let e = results[1].as_ref().unwrap_err().to_string();
        assert!(e.contains(expected), "{mode}: {e}");
        for (i, marker) in [(0, "1"), (2, "3"), (3, "4")] {
            assert_eq!(results[i].as_ref().unwrap().logs, [marker], "{mode}: case {i} after the failure");
        }
        if mode == "crash" {
            assert!(e.contains("something broke in the port"), "the stderr tail is context: {e}");
        }
    }
    let e = program("bad-start", 800).prepare().unwrap_err().to_string();
    assert!(e.contains("not ready"), "{e}");
    let e = runner("cmd:/nonexistent/program", 800).prepare().unwrap_err().to_string();
    assert!(e.contains("/nonexistent/program"), "{e}");
}

#[test]
fn http_endpoint_down_or_failing_is_errored() {
    // A port nothing listens on: bind, read the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut r = runner(&format!("http://127.0.0.1:{port}/"), 2000);
    let e = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &json!({}), mocks: None, instance: None })
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");

    // A server that answers 500 with a body.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        // Read the whole request (headers, then content-length bytes of body): closing with unread bytes
        // would reset the connection instead of delivering the answer.
        let mut request = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            let n = stream.read(&mut buf).unwrap_or(0);
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
            let complete = text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
                let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(str::trim);
                body.len() >= length.and_then(|l| l.parse().ok()).unwrap_or(0)
            });
            if n == 0 || complete {
                break;
            }
        }
        let body = "Internal Server Error: the port crashed";
        let _ = write!(
            stream,
            "HTTP/1.1 500 Internal Server Error\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let mut r = runner(&format!("http://{addr}/"), 2000);
    let e = r
        .run(&RunRequest { now: harness::clock::Now::from_seconds(0), event: &json!({}), mocks: None, instance: None })
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 500") && e.contains("the port crashed"), "{e}");
    server.join().unwrap();
}

#[test]
fn work_given_to_run_batch_while_runs_once_whether_or_not_the_program_starts() {
    let events = [json!({"marker": 1}), json!({"marker": 2})];
    let requests: Vec<RunRequest> = events
        .iter()
        .map(|e| RunRequest { now: harness::clock::Now::DEFAULT, event: e, mocks: None, instance: None })
        .collect();
    for (name, starts) in [
        (format!("cmd:python3 {} crash", misbehaving("program.py")), true),
        ("cmd:/nonexistent/program".to_owned(), false),
    ] {
        let mut calls = 0;
        let results = runner(&name, 2000).run_batch_while(&requests, &mut || calls += 1);
        assert_eq!(calls, 1, "{name}");
        assert_eq!(results.len(), 2, "{name}");
        let markers: Vec<_> = results.iter().map(|r| r.as_ref().ok().map(|o| o.logs.clone())).collect();
        if starts {
            assert_eq!(markers, [Some(vec!["1".to_owned()]), Some(vec!["2".to_owned()])]);
        } else {
            assert!(results.iter().all(|r| r.as_ref().unwrap_err().to_string().contains("/nonexistent/program")));
        }
    }
}
