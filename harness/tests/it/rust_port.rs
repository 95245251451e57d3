//! A Rust port checked in-process through the library API, as a Rust implementation would check itself
//! from its own `cargo test`: `run_check` with a closure runner. The port signs with the `jsonwebtoken`
//! crate, whose header is `{"typ":"JWT","alg":"HS256"}`: it conforms at `semantic` and fails `strict`.

use harness::check::{run_check, CheckSettings, Interrupt};
use harness::compare::Level;
use harness::outcome::{ApiCall, Outcome};
use harness::runner::{from_fn, Runner};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
struct Scope<'a> {
    r#type: &'static str,
    resource: &'a str,
}

#[derive(Serialize)]
struct Claims<'a> {
    workspace_id: &'a str,
    name: String,
    scopes: Vec<Scope<'a>>,
    iat: i64,
    exp: i64,
}

/// The action for events Auth0 can send (settings absent, empty or strings; a v3 user).
fn port(now: harness::clock::Now, event: &Value) -> Outcome {
    let mut outcome = Outcome::completed();
    let setting = |pointer: &str| event.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty());
    let Some(admin_token) = setting("/secrets/TINYBIRD_ADMIN_TOKEN") else {
        outcome.logs.push(harness::spec::MSG_MISSING_ADMIN_TOKEN.into());
        return outcome;
    };
    let Some(workspace_id) = setting("/configuration/TINYBIRD_WORKSPACE_ID") else {
        outcome.logs.push(harness::spec::MSG_MISSING_WORKSPACE_ID.into());
        return outcome;
    };
    let Some(pipe_names) = setting("/configuration/TINYBIRD_PIPE_NAMES") else {
        outcome.logs.push(harness::spec::MSG_MISSING_PIPE_NAMES.into());
        return outcome;
    };
    let id = event.pointer("/user/id").and_then(Value::as_str).unwrap_or("undefined");
    if harness::spec::is_pem_private_key(admin_token) {
        // What jsonwebtoken@9.0.1 does with a private key for HS256 (R9); the harness's helper knows PEM.
        outcome.throw("Error", "secretOrPrivateKey must be a symmetric key when using HS256");
        return outcome;
    }
    let claims = Claims {
        workspace_id,
        name: format!("tinybird_jwt_{id}"),
        scopes: pipe_names.split(',').map(|resource| Scope { r#type: "PIPES:READ", resource }).collect(),
        iat: now.seconds(),
        exp: now.seconds() + 7 * 24 * 3600,
    };
    let Ok(key) = EncodingKey::from_secret(admin_token.as_bytes()) else { return outcome };
    let token = encode(&Header::new(Algorithm::HS256), &claims, &key).expect("HS256 signing succeeds");
    outcome.calls.push(ApiCall::new("user.setAppMetadata", ["tinybirdJWT".into(), token.clone()]));
    if event.get("authorization").is_some_and(|a| !a.is_null()) {
        outcome.calls.push(ApiCall::new("idToken.setCustomClaim", ["https://app.tinybird.co".into(), token]));
    }
    outcome.logs.push(harness::spec::MSG_TOKEN_SET.into());
    outcome
}

fn check(level: Level) -> harness::report::Counts {
    // No shrinking: the strict run fails on every token, and this test is about the verdicts.
    let settings = CheckSettings {
        implementation: "rust-port".into(),
        level,
        cases: 150,
        seed: 2024,
        jobs: 2,
        shrink_steps: 0,
        suite: false, // the built-in suite's JavaScript edge cases are beyond this port's claim
        ..CheckSettings::default()
    };
    let factory = || Ok(Box::new(from_fn("rust-port", port)) as Box<dyn Runner>);
    run_check(&settings, &factory, &mut [], &Interrupt::new()).unwrap().counts
}

#[test]
fn the_rust_port_conforms_at_semantic_and_not_at_strict() {
    let semantic = check(Level::Semantic);
    assert_eq!((semantic.fail, semantic.error, semantic.pass), (0, 0, 150), "{semantic:?}");
    let strict = check(Level::Strict);
    assert!(strict.fail > 0, "the crate's header order differs from jsonwebtoken@9.0.1's: {strict:?}");
}
