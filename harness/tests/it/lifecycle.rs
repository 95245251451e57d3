//! The login lifecycle end to end: `tbjwt mocks --action` runs the Action again on a real refresh-token
//! exchange and on the password grant (with the grant's `transaction.protocol`), and what it set reaches
//! the tokens of that grant; `check` plays sessions (later logins of the same user with what the earlier
//! ones stored), fails ports that differ only on a later login or another grant, shrinks the session to
//! the fewest logins, saves it and replays it; a correct port on the wall clock passes.

use crate::common::{self, code, text, RunningMocks, TempDir};

use serde_json::Value;

/// An Action that records the protocol of each run: the published action's token, plus the protocol as a
/// custom claim and in `app_metadata`.
const RECORDS_PROTOCOL: &str = r#"
const jwt = require("jsonwebtoken");
exports.onExecutePostLogin = async (event, api) => {
  const scopes = event.configuration.TINYBIRD_PIPE_NAMES.split(",").map((resource) => ({ type: "PIPES:READ", resource }));
  const payload = { workspace_id: event.configuration.TINYBIRD_WORKSPACE_ID, name: `tinybird_jwt_${event.user.id}`, scopes };
  const token = jwt.sign(payload, event.secrets.TINYBIRD_ADMIN_TOKEN, { expiresIn: "7d" });
  api.user.setAppMetadata("tinybirdJWT", token);
  api.user.setAppMetadata("lastProtocol", event.transaction.protocol);
  api.idToken.setCustomClaim("https://app.tinybird.co", token);
  api.idToken.setCustomClaim("https://tbjwt.test/protocol", event.transaction.protocol);
  api.idToken.setCustomClaim("https://tbjwt.test/refresh_token", event.refresh_token ? "present" : "absent");
};
"#;

const CALLBACK: &str = "http://127.0.0.1:5173/";
/// RFC 7636's example verifier and its S256 challenge (appendix B).
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92aXtaxkL-xCW3xfhoL-wKU_NXow";
const CHALLENGE: &str = "JCVgc4gcOKYuuO3hgKBXNYtGwUbADeE8X_cFUxbeH8o";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into()
}

fn post_form(agent: &ureq::Agent, url: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let mut response =
        agent.post(url).header("content-type", "application/x-www-form-urlencoded").send(body.as_bytes()).unwrap();
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
}

/// The custom claims of an ID token (decoded, not verified: the SPA's RS256 key is the mock's).
fn claims(answer: &Value) -> Value {
    harness::jwt::DecodedJwt::decode(answer["id_token"].as_str().unwrap()).unwrap().claims
}

/// The demo user as the Management API returns it.
fn stored_user(agent: &ureq::Agent, mocks: &RunningMocks) -> Value {
    let auth0 = mocks.field("auth0_url");
    let (_, token) = post_form(
        agent,
        &format!("{auth0}/oauth/token"),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", mocks.field("m2m_client_id")),
            ("client_secret", mocks.field("m2m_client_secret")),
        ],
    );
    let url = format!("{auth0}/api/v2/users/{}", "auth0%7Ctbjwt-demo-user");
    let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap());
    let mut response = agent.get(&url).header("authorization", &bearer).call().unwrap();
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn a_real_refresh_and_a_password_grant_run_the_action_again_with_their_protocol() {
    let dir = TempDir::new("lifecycle-mocks");
    std::fs::write(dir.path("records_protocol.js"), RECORDS_PROTOCOL).unwrap();
    let action = format!("node:{}", dir.arg("records_protocol.js"));
    let mocks = RunningMocks::start(&["--action", &action, "--callback-url", CALLBACK]);
    let auth0 = mocks.field("auth0_url").to_owned();
    let agent = agent();

    // The browser's login: authorization code with PKCE and offline_access.
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", "tbjwt-spa-client"),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .finish();
    let response = agent.get(&format!("{auth0}/authorize?{query}")).call().unwrap();
    let location = response.headers().get("location").unwrap().to_str().unwrap().to_owned();
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("a code: {location}"));
    let (status, login) = post_form(
        &agent,
        &format!("{auth0}/oauth/token"),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "tbjwt-spa-client"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ],
    );
    assert_eq!(status, 200, "{login}");
    assert_eq!(claims(&login)["https://tbjwt.test/protocol"], "oidc-basic-profile");
    assert_eq!(claims(&login)["https://tbjwt.test/refresh_token"], "absent");
    let refresh_token = login["refresh_token"].as_str().expect("offline_access gives a refresh token").to_owned();

    // The refresh-token exchange runs the Action again, as Auth0 does, and its claims are the new ones.
    let (status, refreshed) = post_form(
        &agent,
        &format!("{auth0}/oauth/token"),
        &[("grant_type", "refresh_token"), ("client_id", "tbjwt-spa-client"), ("refresh_token", &refresh_token)],
    );
    assert_eq!(status, 200, "{refreshed}");
    let refreshed_claims = claims(&refreshed);
    assert_eq!(refreshed_claims["https://tbjwt.test/protocol"], "oauth2-refresh-token");
    assert_eq!(refreshed_claims["https://tbjwt.test/refresh_token"], "present");
    assert!(refreshed_claims["https://app.tinybird.co"].is_string(), "{refreshed_claims}");
    assert_eq!(stored_user(&agent, &mocks)["app_metadata"]["lastProtocol"], "oauth2-refresh-token");

    // A forged refresh token is refused, and runs nothing.
    let (status, refused) = post_form(
        &agent,
        &format!("{auth0}/oauth/token"),
        &[("grant_type", "refresh_token"), ("client_id", "tbjwt-spa-client"), ("refresh_token", "rt_forged")],
    );
    assert_eq!((status, refused["error"].as_str()), (403, Some("invalid_grant")), "{refused}");

    // The password grant runs it with oauth2-password; a wrong user is Auth0's invalid_grant.
    let token_url = format!("{auth0}/oauth/token");
    let password = |username: &str| {
        post_form(
            &agent,
            &token_url,
            &[
                ("grant_type", "password"),
                ("client_id", "tbjwt-spa-client"),
                ("username", username),
                ("password", "made-up-password"),
                ("scope", "openid offline_access"),
            ],
        )
    };
    let (status, by_password) = password("auth0|tbjwt-demo-user");
    assert_eq!(status, 200, "{by_password}");
    assert_eq!(claims(&by_password)["https://tbjwt.test/protocol"], "oauth2-password");
    assert!(by_password["refresh_token"].is_string(), "offline_access: {by_password}");
    assert_eq!(stored_user(&agent, &mocks)["app_metadata"]["lastProtocol"], "oauth2-password");
    let (status, unknown) = password("nobody@example.com");
    assert_eq!((status, unknown["error_description"].as_str()), (403, Some("Wrong email or password.")));
}

fn check(implementation: &str, args: &[&str]) -> std::process::Output {
    common::run_tbjwt(&[&["check", implementation, "--no-save"][..], args].concat())
}

#[test]
fn ports_that_differ_only_on_a_later_login_or_another_grant_fail_and_correct_ones_pass() {
    let deviant = |name: &str| {
        format!("node:{}", common::repo_root().join(format!("fixtures/implementations/deviant/{name}.js")).display())
    };
    for name in
        ["reuses_stored_token", "skips_refresh_exchanges", "no_claim_on_password_grant", "mints_on_first_login_only"]
    {
        for seed in ["11", "12"] {
            let out = check(&deviant(name), &["--no-suite", "--cases", "300", "--seed", seed]);
            assert_eq!(code(&out), 1, "{name}, seed {seed}: {}", text(&out));
        }
    }
    let published = format!("node:{}", common::repo_root().join("fixtures/implementations/published").display());
    let out = check(&published, &["--no-suite", "--cases", "300", "--seed", "11"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
}

#[test]
fn a_failing_session_is_shrunk_to_the_fewest_logins_saved_and_replayed() {
    let dir = TempDir::new("lifecycle-shrink");
    let port = format!(
        "node:{}",
        common::repo_root().join("fixtures/implementations/deviant/skips_refresh_exchanges.js").display()
    );
    let saved = dir.path("saved");
    let json = format!("json={}", dir.arg("run.json"));
    let out = common::run_tbjwt(&[
        "check",
        &port,
        "--no-suite",
        "--cases",
        "300",
        "--seed",
        "5",
        "--shrink-failures",
        "20",
        "--save-failures",
        saved.to_str().unwrap(),
        "--report",
        &json,
    ]);
    assert_eq!(code(&out), 1, "{}", text(&out));
    // Every saved session is minimal: a refresh exchange as the case's only login, or one login then
    // one refresh exchange.
    let mut sessions = 0;
    for entry in std::fs::read_dir(&saved).unwrap() {
        let path = entry.unwrap().path();
        let case = harness::event::Case::load(&path).unwrap();
        let protocol = case.event.pointer("/transaction/protocol").and_then(Value::as_str);
        if case.logins.is_empty() {
            assert_eq!(protocol, Some("oauth2-refresh-token"), "{}", path.display());
            continue;
        }
        sessions += 1;
        assert_eq!(case.logins.len(), 1, "shrunk to the fewest logins: {}", path.display());
        assert_eq!(case.logins[0].grant, harness::event::Grant::RefreshToken, "{}", path.display());
        // The replay line plays the whole session again, and fails the same way.
        let again = common::run_tbjwt(&["check", &port, "--replay", path.to_str().unwrap(), "--no-save"]);
        assert_eq!(code(&again), 1, "{}", text(&again));
        assert!(text(&again).contains("session of 2 logins"), "{}", text(&again));
        assert!(text(&again).contains("shown: login 2"), "{}", text(&again));
    }
    assert!(sessions > 0, "some failing case was a session: {}", text(&out));
    // The JSON report carries the session of a failing case.
    let report = std::fs::read_to_string(dir.path("run.json")).unwrap();
    let with_logins = report
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["verdict"] == "fail" && l["logins"].is_array() && l["at_login"] == 2)
        .count();
    assert!(with_logins > 0, "{report}");
}

#[test]
fn a_correct_port_on_the_wall_clock_passes_the_default_run_with_any_seed() {
    let port = format!(
        "cmd:python3 {}",
        common::repo_root().join("fixtures/implementations/ports/python_wall_clock/protocol_stdio.py").display()
    );
    // The port imports the Python port it changes, in a folder beside its own.
    let python = common::repo_root().join("fixtures/implementations/python");
    for seed in ["1", "20261204", "987654321"] {
        let out = check(&port, &["--seed", seed, "--allow-read", python.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "seed {seed}: {}", text(&out));
        assert!(text(&out).contains("the wall clock"), "the run says its cases run at the wall clock: {}", text(&out));
    }
}
