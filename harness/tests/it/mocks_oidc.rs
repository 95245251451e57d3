//! The Auth0 mock's browser side over real HTTP: `/authorize` with PKCE, the post-login Action run at login
//! and committed, the code exchange with its proofs, refresh tokens, silent login, logout and CORS, and
//! every refusal as Auth0 words it.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use harness::clock::Now;
use harness::event::PostLoginEvent;
use harness::js::JsValue;
use harness::mocks::auth0::SPA_CLIENT_ID;
use harness::mocks::oidc::{ActionLogin, LoginAction, OidcSettings, SESSION_COOKIE};
use harness::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use harness::outcome::Outcome;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const USER: &str = "auth0|tbjwt-demo-user";
const CALLBACK: &str = "http://127.0.0.1:5173/";
const ADMIN: &str = "p.made-up-admin-token-for-the-oidc-tests";
const VERIFIER: &str = "a-made-up-code-verifier-of-enough-length-0123456789";

/// The reference action, configured for a demo workspace, as the login's Action.
struct Reference;

impl LoginAction for Reference {
    fn run(&self, login: &ActionLogin<'_>) -> Option<Outcome> {
        let (user, now) = (login.user, login.now);
        let id = user["user_id"].as_str().unwrap_or(USER);
        let mut event = PostLoginEvent::login(
            id,
            Some(ADMIN.into()),
            Some("ws_demo".into()),
            Some("top_pages,kpis".into()),
            Some(vec![]),
        )
        .to_json();
        event["user"]["app_metadata"] = user["app_metadata"].clone();
        harness::event::session::set_grant(&mut event, login.grant);
        Some(harness::spec::outcome(&JsValue::from_json(&event), now))
    }
}

/// An Action that throws.
struct Throws;

impl LoginAction for Throws {
    fn run(&self, _login: &ActionLogin<'_>) -> Option<Outcome> {
        let event = json!({"secrets": null});
        Some(harness::spec::outcome(&JsValue::from_json(&event), Now::DEFAULT))
    }
}

struct Browser {
    mocks: MockServers,
    agent: ureq::Agent,
}

fn browser(action: Arc<dyn LoginAction>) -> Browser {
    let mocks = MockServers::start().unwrap();
    let user = PostLoginEvent::login(USER, None, None, None, None).to_json()["user"].clone();
    mocks.open_scope(
        ScopeId::DEFAULT,
        Tenant::new([user], Clock::Wall),
        TinybirdScope { workspaces: vec![], clock: Clock::Wall },
    );
    mocks.auth0.configure_browser_logins(OidcSettings {
        callbacks: vec![CALLBACK.into()],
        default_user: Some(USER.into()),
        login_action: Some(action),
    });
    let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    Browser { mocks, agent }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What `/authorize` answered: the status, the `Location`, the `Set-Cookie`, the body.
struct Answer {
    status: u16,
    location: String,
    cookie: String,
    body: String,
}

impl Answer {
    /// A parameter of the redirect.
    fn param(&self, key: &str) -> Option<String> {
        let query = self.location.split_once(['?', '#'])?.1;
        form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
    }
}

impl Browser {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.mocks.auth0_url())
    }

    fn authorize(&self, params: &[(&str, &str)], cookie: Option<&str>) -> Answer {
        let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let mut request = self.agent.get(&self.url(&format!("/authorize?{query}")));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let mut response = request.call().unwrap();
        let header =
            |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let (status, location, cookie) = (response.status().as_u16(), header("location"), header("set-cookie"));
        Answer { status, location, cookie, body: response.body_mut().read_to_string().unwrap() }
    }

    /// A login as auth0-spa-js starts it.
    fn login(&self, extra: &[(&str, &str)]) -> Answer {
        let challenge = challenge(VERIFIER);
        let mut params = vec![
            ("client_id", SPA_CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("response_mode", "query"),
            ("scope", "openid profile email offline_access"),
            ("state", "state-123"),
            ("nonce", "nonce-456"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(key, _)| key != k);
            params.push((k, v));
        }
        self.authorize(&params, None)
    }

    /// The token endpoint, with a JSON body and the app's origin, as auth0-spa-js calls it.
    fn token(&self, fields: Value) -> (u16, Value, Option<String>) {
        let mut response = self
            .agent
            .post(&self.url("/oauth/token"))
            .header("content-type", "application/json")
            .header("origin", "http://127.0.0.1:5173")
            .send(fields.to_string().as_bytes())
            .unwrap();
        let cors = response.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_owned());
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap(), cors)
    }

    fn exchange(&self, code: &str, verifier: &str, redirect_uri: &str) -> (u16, Value) {
        let (status, body, cors) = self.token(json!({"grant_type": "authorization_code", "client_id": SPA_CLIENT_ID,
            "code": code, "code_verifier": verifier, "redirect_uri": redirect_uri}));
        assert_eq!(cors.as_deref(), Some("http://127.0.0.1:5173"), "the app's origin may read the answer");
        (status, body)
    }

    fn verified_claims(&self, id_token: &str) -> Value {
        let mut response = self.agent.get(&self.url("/.well-known/jwks.json")).call().unwrap();
        let set: jsonwebtoken::jwk::JwkSet =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0]).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[SPA_CLIENT_ID]);
        validation.set_issuer(&[format!("{}/", self.mocks.auth0_url())]);
        jsonwebtoken::decode::<Value>(id_token, &key, &validation).unwrap().claims
    }
}

#[test]
fn a_browser_login_runs_the_action_and_its_claim_reaches_the_id_token() {
    let b = browser(Arc::new(Reference));
    let answer = b.login(&[]);
    assert_eq!(answer.status, 302, "{}", answer.body);
    assert!(answer.location.starts_with(CALLBACK), "{}", answer.location);
    assert_eq!(answer.param("state").as_deref(), Some("state-123"));
    assert!(answer.cookie.starts_with(&format!("{SESSION_COOKIE}=")), "{}", answer.cookie);
    let code = answer.param("code").unwrap();
    let (status, tokens) = b.exchange(&code, VERIFIER, CALLBACK);
    assert_eq!(status, 200, "{tokens}");
    let claims = b.verified_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!((claims["sub"].as_str(), claims["nonce"].as_str()), (Some(USER), Some("nonce-456")));
    let tinybird = claims["https://app.tinybird.co"].as_str().expect("the Action's claim");
    let decoded = harness::jwt::DecodedJwt::decode(tinybird).unwrap();
    assert_eq!(decoded.claims["scopes"][1]["resource"], "kpis");
    assert!(harness::jwt::hs256_verify(tinybird, ADMIN.as_bytes()));
    assert_eq!(tokens["scope"], "openid profile email offline_access");

    // The Action's metadata call is committed to the user.
    let stored = b.mocks.auth0.scopes.with(ScopeId::DEFAULT, |t| t.unwrap().users[USER].clone());
    assert_eq!(stored["app_metadata"]["tinybirdJWT"], tinybird);

    // A refresh token (offline_access) gives new tokens with the login's claims; a wrong one is refused.
    let refresh = tokens["refresh_token"].as_str().expect("offline_access gives a refresh token");
    let (status, again, _) =
        b.token(json!({"grant_type": "refresh_token", "client_id": SPA_CLIENT_ID, "refresh_token": refresh}));
    assert_eq!(status, 200, "{again}");
    assert_eq!(b.verified_claims(again["id_token"].as_str().unwrap())["https://app.tinybird.co"], tinybird);
    let (status, refused, _) =
        b.token(json!({"grant_type": "refresh_token", "client_id": SPA_CLIENT_ID, "refresh_token": "rt_forged"}));
    assert_eq!((status, refused["error"].as_str()), (403, Some("invalid_grant")), "{refused}");

    // Silent login (prompt=none) from the session cookie, answered to auth0-spa-js's iframe.
    let cookie = answer.cookie.split(';').next().unwrap().to_owned();
    let silent = b.authorize(
        &[
            ("client_id", SPA_CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("response_mode", "web_message"),
            ("prompt", "none"),
            ("state", "s2"),
            ("nonce", "n2"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
        Some(&cookie),
    );
    assert_eq!(silent.status, 200);
    assert!(
        silent.body.contains("\"type\":\"authorization_response\"") && silent.body.contains("\"code\":\"code_"),
        "{}",
        silent.body
    );
    assert!(
        silent.body.contains("postMessage") && silent.body.contains("\"http://127.0.0.1:5173\""),
        "{}",
        silent.body
    );
    let no_session = b.login(&[("prompt", "none")]);
    assert_eq!(no_session.param("error").as_deref(), Some("login_required"), "{}", no_session.location);

    // Logout ends the session and returns to an allowed URL only.
    let mut out = b
        .agent
        .get(&b.url(&format!("/v2/logout?client_id={SPA_CLIENT_ID}&returnTo={CALLBACK}")))
        .header("cookie", &cookie)
        .call()
        .unwrap();
    assert_eq!(out.status().as_u16(), 302);
    assert_eq!(out.headers().get("location").unwrap(), CALLBACK);
    assert!(out.headers().get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    let _ = out.body_mut().read_to_string();
    let after = b.authorize(
        &[
            ("client_id", SPA_CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("prompt", "none"),
            ("code_challenge", &challenge(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
        Some(&cookie),
    );
    assert_eq!(after.param("error").as_deref(), Some("login_required"), "the session ended");
    let foreign = b.agent.get(&b.url("/v2/logout?returnTo=https%3A%2F%2Fevil.example%2F")).call().unwrap();
    assert_eq!(foreign.status().as_u16(), 400);
}

#[test]
fn proofs_are_checked_and_refusals_are_auth0s() {
    let b = browser(Arc::new(Reference));
    // A wrong code_verifier; then the same code again (used once, whatever the attempt proved).
    let code = b.login(&[]).param("code").unwrap();
    let (status, body) = b.exchange(&code, "another-verifier-of-the-same-kind-0123456789", CALLBACK);
    assert_eq!(
        (status, body["error"].as_str(), body["error_description"].as_str()),
        (403, Some("invalid_grant"), Some("Failed PKCE verification"))
    );
    let (status, body) = b.exchange(&code, VERIFIER, CALLBACK);
    assert_eq!((status, body["error_description"].as_str()), (403, Some("Invalid authorization code")), "{body}");
    // A replayed code.
    let code = b.login(&[]).param("code").unwrap();
    assert_eq!(b.exchange(&code, VERIFIER, CALLBACK).0, 200);
    let (status, body) = b.exchange(&code, VERIFIER, CALLBACK);
    assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")), "a replayed code: {body}");
    // Another redirect_uri at the exchange than at /authorize.
    let code = b.login(&[]).param("code").unwrap();
    let (status, body) = b.exchange(&code, VERIFIER, "http://127.0.0.1:5173/other");
    assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")), "{body}");

    // /authorize: a foreign redirect_uri and an unknown client get Auth0's error page, never a redirect.
    let foreign = b.login(&[("redirect_uri", "https://evil.example/callback")]);
    assert_eq!((foreign.status, foreign.location.as_str()), (400, ""));
    assert!(foreign.body.contains("Callback URL mismatch"), "{}", foreign.body);
    let unknown = b.login(&[("client_id", "someone-else")]);
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("Unknown client"), "{}", unknown.body);
    // Errors after the redirect URI is trusted go back to it, with the state.
    let no_pkce = b.authorize(
        &[("client_id", SPA_CLIENT_ID), ("redirect_uri", CALLBACK), ("response_type", "code"), ("state", "s")],
        None,
    );
    assert_eq!(
        (no_pkce.param("error").as_deref(), no_pkce.param("state").as_deref()),
        (Some("invalid_request"), Some("s"))
    );
    let plain = b.login(&[("code_challenge_method", "plain")]);
    assert_eq!(plain.param("error").as_deref(), Some("invalid_request"));
    let token = b.login(&[("response_type", "token")]);
    assert_eq!(token.param("error").as_deref(), Some("unsupported_response_type"));

    // CORS: the app's origin is allowed, another is not.
    let preflight = |origin: &str| {
        b.agent
            .options(&b.url("/oauth/token"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .call()
            .unwrap()
    };
    let allowed = preflight("http://127.0.0.1:5173");
    assert_eq!(allowed.status().as_u16(), 204);
    assert_eq!(allowed.headers().get("access-control-allow-origin").unwrap(), "http://127.0.0.1:5173");
    assert!(preflight("https://evil.example").headers().get("access-control-allow-origin").is_none());
}

#[test]
fn a_login_hint_picks_the_user_and_a_failing_action_fails_the_login() {
    let b = browser(Arc::new(Reference));
    let answer = b.login(&[("login_hint", "grace@example.com")]);
    let (status, tokens) = b.exchange(&answer.param("code").unwrap(), VERIFIER, CALLBACK);
    assert_eq!(status, 200, "{tokens}");
    let claims = b.verified_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        (claims["sub"].as_str(), claims["email"].as_str()),
        (Some("auth0|grace@example.com"), Some("grace@example.com"))
    );
    assert!(claims["https://app.tinybird.co"].is_string(), "the Action ran for her too");

    let failing = browser(Arc::new(Throws));
    let answer = failing.login(&[]);
    assert_eq!(answer.status, 302);
    assert!(answer.param("code").is_none());
    assert_eq!(answer.param("error").as_deref(), Some("server_error"), "{}", answer.location);
    assert_eq!(answer.param("error_description").as_deref(), Some("the Action threw a TypeError"));
    assert_eq!(answer.param("state").as_deref(), Some("state-123"));
}
