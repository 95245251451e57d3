//! Tinybird's own clients against the mocks, installed from the registries at pinned versions: the CLI's
//! Python client (PyPI `tinybird`, `TinyB.create_jwt_token`) and the TypeScript SDK (npm
//! `@tinybirdco/sdk`, `createJWT`) create JWTs with the Token API and read pipes with them; token services
//! built on each are checked by `tbjwt check` and conform at `--level effect`.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{self, code, run_ok, run_tbjwt, text, RunningMocks};

fn ports() -> PathBuf {
    common::repo_root().join("fixtures/implementations/ports")
}

/// The Python of a virtual environment with the CLI's client.
fn cli_python() -> PathBuf {
    common::python_env("tinybird-cli", &ports().join("tinybird_cli/requirements.txt"))
}

/// The SDK port, installed.
fn sdk_port() -> PathBuf {
    common::npm_project("tinybird-sdk", &ports().join("tinybird_sdk"))
}

fn cli_port() -> String {
    format!("cmd:{} {}", cli_python().display(), ports().join("tinybird_cli/protocol_stdio.py").display())
}

#[test]
fn the_clis_python_client_creates_a_jwt_and_reads_a_pipe_with_it() {
    let mocks = RunningMocks::start(&["--pipes", "top_pages,kpis"]);
    let script = r#"
import json, sys, time
from tinybird.tb.client import TinyB
host, admin = sys.argv[1], sys.argv[2]
created = TinyB(admin, host=host).create_jwt_token(
    "dashboard", int(time.time()) + 3600,
    [{"type": "PIPES:READ", "resource": "kpis", "fixed_params": {"customer_id": "acme"}}])
reader = TinyB(created["token"], host=host)
rows = reader._req("/v0/pipes/kpis.json")
try:
    reader._req("/v0/pipes/top_pages.json")
    refused = None
except Exception as e:
    refused = type(e).__name__
print(json.dumps({"token": created["token"], "rows": rows["data"], "top_pages": refused}))
"#;
    let out = run_ok(
        Command::new(cli_python()).args(["-c", script, mocks.field("tinybird_url"), mocks.field("admin_token")]),
        "the CLI client",
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["rows"].as_array().unwrap().len(), 1, "the fixed params filter the rows: {answer}");
    assert_eq!(answer["rows"][0]["customer_id"], "acme");
    assert!(answer["top_pages"].is_string(), "a pipe outside the scopes is refused: {answer}");
    let claims = harness::jwt::DecodedJwt::decode(answer["token"].as_str().unwrap()).unwrap().claims;
    assert_eq!(claims["workspace_id"], mocks.info["workspace_id"]);
    assert_eq!(claims["name"], "dashboard");
}

#[test]
fn the_sdk_creates_a_jwt_and_queries_a_pipe_with_it() {
    let mocks = RunningMocks::start(&["--pipes", "top_pages,kpis"]);
    let script = r#"
import { createJWT, createTinybirdApi } from "@tinybirdco/sdk";
const [baseUrl, admin] = process.argv.slice(2);
const { token } = await createJWT({ baseUrl, token: admin }, {
  name: "dashboard", expiresAt: new Date(Date.now() + 3600_000),
  scopes: [{ type: "PIPES:READ", resource: "top_pages" }], limits: { rps: 50 },
});
const result = await createTinybirdApi({ baseUrl, token }).query("top_pages");
let refused = null;
try { await createTinybirdApi({ baseUrl, token }).query("kpis"); } catch (e) { refused = e.statusCode ?? e.name; }
console.log(JSON.stringify({ token, rows: result.data.length, refused }));
"#;
    let dir = sdk_port();
    std::fs::write(dir.join("client-test.mjs"), script).unwrap();
    let out = run_ok(
        Command::new("node")
            .arg("client-test.mjs")
            .args([mocks.field("tinybird_url"), mocks.field("admin_token")])
            .current_dir(&dir),
        "the SDK",
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["rows"], 3, "{answer}");
    assert_eq!(answer["refused"], 403, "{answer}");
    let claims = harness::jwt::DecodedJwt::decode(answer["token"].as_str().unwrap()).unwrap().claims;
    assert_eq!(claims["limits"], serde_json::json!({"rps": 50}));
}

/// The folder of the Python port that the CLI client's port imports, beside its own: what its sandbox
/// must let it read too.
fn python_port_folder() -> String {
    common::repo_root().join("fixtures/implementations/python").display().to_string()
}

/// `check PORT --level effect` over the pipe-name domain (300 generated cases, seed 1) conforms.
fn conforms_at_effect_on_every_pipe_name_class(port: &str) {
    let args = ["--level", "effect", "--domain", "pipe-names", "--no-suite", "--cases", "300", "--seed", "1"];
    let python = python_port_folder();
    let out = run_tbjwt(&[&["check", port, "--no-save", "--allow-read", &python][..], &args[..]].concat());
    assert_eq!(code(&out), 0, "every pipe-name class: {}", text(&out));
}

/// `check PORT --level effect` on the default run (built-in suite and 300 generated cases of `seed`) with
/// the port's expectations file.
fn default_run_at_effect(port: &str, expectations: &str, seed: &str) -> std::process::Output {
    let expectations = ports().join(expectations);
    let expectations = expectations.to_str().unwrap();
    let args = ["--level", "effect", "--cases", "300", "--seed", seed, "--no-save", "--expectations", expectations];
    let python = python_port_folder();
    run_tbjwt(&[&["check", port, "--allow-read", &python][..], &args[..]].concat())
}

#[test]
fn a_token_service_on_the_cli_client_conforms_at_effect() {
    let port = cli_port();
    conforms_at_effect_on_every_pipe_name_class(&port);
    // The whole default run, with the seven cases no Token API port can do like the reference declared.
    let out = default_run_at_effect(&port, "tinybird_cli/expectations.toml", "1");
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("expected 7"), "{}", text(&out));
    // Its tokens are laid out by Tinybird, not by jsonwebtoken: no iat.
    let out = run_tbjwt(&["check", &port, "--cases", "0", "--no-save", "--allow-read", &python_port_folder()]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("token claims/iat"), "{}", text(&out));
}

#[test]
fn a_token_service_on_the_sdk_conforms_at_effect() {
    let port = format!("cmd:node {}", sdk_port().join("port.mjs").display());
    conforms_at_effect_on_every_pipe_name_class(&port);
    // The whole default run, sessions and stored tokens included, on the case's clock: what no Token API
    // port can do like the reference is declared, by class for the admin tokens no workspace could have.
    for seed in ["1", "2"] {
        let out = default_run_at_effect(&port, "tinybird_sdk/expectations.toml", seed);
        assert_eq!(code(&out), 0, "seed {seed}: {}", text(&out));
    }
    let out = run_tbjwt(&[
        "check",
        &port,
        "--domain",
        "pipe-names",
        "--no-suite",
        "--cases",
        "50",
        "--seed",
        "1",
        "--no-save",
    ]);
    assert_eq!(code(&out), 1, "at semantic its tokens differ in layout: {}", text(&out));
}
