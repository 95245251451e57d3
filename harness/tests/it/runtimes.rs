//! Auth0's Actions runtimes (`--runtime node18|node22`): on Node 22 an action's module scope lives as long
//! as its instance (here: a case and its later logins), so state kept there is seen; on Node 18 the
//! module-level code runs for every execution. The header says which Node.js really ran.

use crate::common::{self, code, repo_root, text, TempDir};
use serde_json::Value;

fn failing(report: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "case" && r["verdict"] == "fail")
        .collect()
}

#[test]
fn state_kept_in_module_scope_is_caught_on_node22_with_the_logins_that_show_it_and_passes_on_node18() {
    let dir = TempDir::new("runtimes");
    let action =
        format!("node:{}", repo_root().join("fixtures/implementations/runtimes/keeps_last_token.js").display());
    let node = std::process::Command::new("node").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&node.stdout).trim().to_owned();
    let run = |runtime: &str, report: &str| {
        common::run_tbjwt(&[
            "check",
            &action,
            "--runtime",
            runtime,
            "--seed",
            "1",
            "--cases",
            "1000",
            "--no-save",
            "--report",
            &format!("json={}", dir.arg(report)),
        ])
    };
    let out = run("node22", "node22.jsonl");
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        text(&out).contains("runtime: Auth0 node22 (") && text(&out).contains(&format!("on Node.js {version}")),
        "{}",
        text(&out)
    );
    let failures = failing(&dir.path("node22.jsonl"));
    assert!(!failures.is_empty());
    for case in &failures {
        // Every failure is a later login of a session: the sequence of executions that shows the state.
        assert!(case["at_login"].as_u64().unwrap_or(0) >= 2, "{case}");
        assert!(!case["logins"].as_array().unwrap().is_empty(), "{case}");
    }
    // The same run again gives the same failures: instances are per case, not per process.
    run("node22", "again.jsonl");
    let names = |cases: &[Value]| cases.iter().map(|c| c["name"].clone()).collect::<Vec<_>>();
    let mut first = names(&failures);
    let mut again = names(&failing(&dir.path("again.jsonl")));
    first.sort_by_key(|v| v.to_string());
    again.sort_by_key(|v| v.to_string());
    assert_eq!(first, again);

    let out = run("node18", "node18.jsonl");
    assert_eq!(code(&out), 0, "on Node 18 the module-level code runs anew: {}", text(&out));
    assert!(text(&out).contains("runtime: Auth0 node18 (module-level code at every execution)"));
}

#[test]
fn a_file_written_in_the_private_folder_works_on_node18_and_throws_on_node22_which_disables_writes() {
    let dir = TempDir::new("runtimes-writes");
    let action = format!("node:{}", repo_root().join("fixtures/implementations/runtimes/writes_a_file.js").display());
    let run = |runtime: &str| {
        let report = dir.path(&format!("{runtime}.jsonl"));
        let out = common::run_tbjwt(&[
            "check",
            &action,
            "--runtime",
            runtime,
            "--cases",
            "0",
            "--no-save",
            "--report",
            &format!("json={}", report.display()),
        ]);
        (out, failing(&report))
    };
    let (out, failures) = run("node18");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(failures.is_empty());
    let (out, failures) = run("node22");
    assert_eq!(code(&out), 1, "{}", text(&out));
    // Every login that mints throws where it writes: the reference completes.
    let minting = failures.iter().filter(|c| c["differences"][0]["implementation"] == "threw").count();
    assert!(minting > 50, "{} failures, {minting} of them throwing", failures.len());
}
