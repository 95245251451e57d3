//! A real single-page app logs in through the action: `examples/spa` (auth0-spa-js 2, pinned) in headless
//! Debian Chromium driven by puppeteer-core, against `tbjwt mocks --action IMPL`. The page reads the ID
//! token's `https://app.tinybird.co` claim and fetches a pipe from the browser with it; a reload logs in
//! silently from the tenant's session; logout ends it. The screenshot after login is kept under the test
//! binary's `CARGO_TARGET_TMPDIR/spa/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{self, run_ok};

/// Runs the example's e2e script with `action` at login and returns what it saw.
fn browse(action: &str, pipe: &str, screenshot: Option<&PathBuf>) -> Value {
    browse_reading(action, pipe, screenshot, None)
}

/// [`browse`], with one more folder the action's sandbox may read.
fn browse_reading(action: &str, pipe: &str, screenshot: Option<&PathBuf>, allow_read: Option<&Path>) -> Value {
    let dir = common::npm_project("example-spa", &common::repo_root().join("examples/spa"));
    let mut command = Command::new("node");
    command
        .current_dir(&dir)
        .args(["e2e.mjs", "--tbjwt", env!("CARGO_BIN_EXE_tbjwt"), "--action", action, "--pipe", pipe])
        .env("NO_COLOR", "1");
    if let Some(folder) = allow_read {
        command.arg("--allow-read").arg(folder);
    }
    if let Some(path) = screenshot {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        command.arg("--screenshot").arg(path);
    }
    let out = run_ok(&mut command, "examples/spa/e2e.mjs");
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {}", common::text(&out)))
}

fn rows(seen: &Value) -> usize {
    seen["rows"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_browser_logs_in_through_the_published_action_and_reads_a_pipe() {
    let action = format!("node:{}", common::repo_root().join("fixtures/implementations/published").display());
    let screenshot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("spa/after-login.png");
    let _ = std::fs::remove_file(&screenshot);
    let seen = browse(&action, "kpis", Some(&screenshot));
    let login = &seen["login"];
    assert_eq!(login["state"], "ready", "{seen}");
    assert_eq!(login["user"], "tbjwt-demo-user@example.com");
    assert_eq!(login["scopes"], "Your token opens: top_pages, sessions_by_day, kpis");
    assert_eq!((login["title"].as_str(), rows(login)), (Some("kpis: 3 rows"), 3), "{login}");
    assert_eq!(login["rows"][0], serde_json::json!(["2025-11-24", "acme", "42"]));
    assert_eq!(seen["reload"]["state"], "ready", "a reload logs in silently: {seen}");
    assert_eq!(rows(&seen["reload"]), 3);
    assert_eq!(seen["logout"]["state"], "logged-out", "{seen}");
    let png = std::fs::read(&screenshot).expect("the screenshot after login");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a real picture: {} bytes", png.len());
}

#[test]
fn a_token_service_on_tinybirds_token_api_serves_the_login_too() {
    let port = common::python_env(
        "tinybird-cli",
        &common::repo_root().join("fixtures/implementations/ports/tinybird_cli/requirements.txt"),
    );
    let script = common::repo_root().join("fixtures/implementations/ports/tinybird_cli/protocol_stdio.py");
    // The port imports the Python port beside its own folder.
    let python = common::repo_root().join("fixtures/implementations/python");
    let seen =
        browse_reading(&format!("cmd:{} {}", port.display(), script.display()), "top_pages", None, Some(&python));
    assert_eq!(seen["login"]["state"], "ready", "{seen}");
    assert_eq!(rows(&seen["login"]), 3);
}

#[test]
fn an_action_that_throws_fails_the_browser_login_as_auth0_does() {
    let action =
        format!("node:{}", common::repo_root().join("fixtures/implementations/misbehaving/throws.js").display());
    let seen = browse(&action, "kpis", None);
    let login = &seen["login"];
    assert_eq!(login["state"], "error", "{seen}");
    assert_eq!(login["error"], "server_error: the Action threw a RangeError");
    assert!(login["url"].as_str().unwrap().contains("error=server_error"), "{login}");
    assert_eq!(rows(login), 0);
}
