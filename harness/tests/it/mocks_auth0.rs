//! The Auth0 tenant mock over real HTTP on 127.0.0.1: token endpoint, discovery, JWKS, Management API
//! users and /userinfo, and the platform rules on custom claims, with the bodies checked.

use harness::mocks::auth0::{
    CUSTOM_CLAIMS_LIMIT, M2M_CLIENT_ID, M2M_CLIENT_SECRET, SPA_CLIENT_ID, WEB_APP_CLIENT_ID, WEB_APP_CLIENT_SECRET,
};
use harness::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use serde_json::{json, Value};

const NOW: i64 = 1_764_000_000;
const USER: &str = "auth0|6560f0c0ffee";

struct Tenantry {
    mocks: MockServers,
    scope: ScopeId,
    agent: ureq::Agent,
}

fn tenant() -> Tenantry {
    let mocks = MockServers::start().unwrap();
    let scope = mocks.new_scope();
    let user =
        json!({"user_id": USER, "email": "ada@example.com", "name": "Ada", "app_metadata": {"plan": "pro", "keep": 1}});
    mocks.open_scope(
        scope,
        Tenant::new([user], Clock::Fixed(harness::clock::Now::from_seconds(NOW))),
        TinybirdScope { workspaces: vec![], clock: Clock::Fixed(harness::clock::Now::from_seconds(NOW)) },
    );
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    Tenantry { mocks, scope, agent }
}

fn body(mut response: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
}

impl Tenantry {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.mocks.urls(self.scope).auth0)
    }
    fn token(&self, fields: Value) -> (u16, Value) {
        body(
            self.agent
                .post(&self.url("/oauth/token"))
                .header("content-type", "application/json")
                .send(fields.to_string().as_bytes())
                .unwrap(),
        )
    }
    /// The token endpoint with a form-encoded body, as SPAs send it.
    fn token_form(&self, form: &str) -> (u16, Value) {
        body(
            self.agent
                .post(&self.url("/oauth/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .send(form.as_bytes())
                .unwrap(),
        )
    }
    fn management_token(&self) -> String {
        let (status, b) = self.token(json!({"grant_type": "client_credentials", "client_id": M2M_CLIENT_ID, "client_secret": M2M_CLIENT_SECRET, "audience": "x"}));
        assert_eq!(status, 200, "{b}");
        b["access_token"].as_str().unwrap().to_owned()
    }
    fn user(&self, method: &str, token: Option<&str>, user: &str, patch: Option<Value>) -> (u16, Value) {
        let url = self.url(&format!("/api/v2/users/{}", user.replace('|', "%7C")));
        let auth = token.map(|t| format!("Bearer {t}"));
        let response = match (method, patch) {
            ("PATCH", Some(p)) => {
                let mut r = self.agent.patch(&url).header("content-type", "application/json");
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.send(p.to_string().as_bytes())
            }
            _ => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.call()
            }
        };
        body(response.unwrap())
    }
}

#[test]
fn client_credentials_and_management_api_users() {
    let t = tenant();
    let (status, b) =
        t.token(json!({"grant_type": "client_credentials", "client_id": M2M_CLIENT_ID, "client_secret": "wrong"}));
    assert_eq!((status, b["error"].as_str()), (401, Some("access_denied")));
    let token = t.management_token();

    let (status, b) = t.user("GET", None, USER, None);
    assert_eq!((status, b["statusCode"].as_u64(), b["error"].as_str()), (401, Some(401), Some("Unauthorized")));
    let (status, _) = t.user("GET", Some("not-a-management-token"), USER, None);
    assert_eq!(status, 401);
    let (status, b) = t.user("GET", Some(&token), "auth0|nobody", None);
    assert_eq!((status, b["errorCode"].as_str()), (404, Some("inexistent_user")));

    let (status, b) = t.user(
        "PATCH",
        Some(&token),
        USER,
        Some(json!({"app_metadata": {"tinybirdJWT": "t1", "plan": null, "nested": {"a": 1}}})),
    );
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["app_metadata"], json!({"keep": 1, "tinybirdJWT": "t1", "nested": {"a": 1}}));
    let (_, b) = t.user("PATCH", Some(&token), USER, Some(json!({"app_metadata": {"nested": {"b": 2}}})));
    assert_eq!(b["app_metadata"]["nested"], json!({"b": 2}), "merge is first-level only");
    let (_, b) = t.user("GET", Some(&token), USER, None);
    assert_eq!(b["app_metadata"], json!({"keep": 1, "tinybirdJWT": "t1", "nested": {"b": 2}}));
}

#[test]
fn authorization_code_gives_an_rs256_id_token_that_verifies_against_the_jwks() {
    let t = tenant();
    let (status, discovery) = body(t.agent.get(&t.url("/.well-known/openid-configuration")).call().unwrap());
    assert_eq!(status, 200);
    let issuer = discovery["issuer"].as_str().unwrap().to_owned();
    assert_eq!(issuer, format!("{}/", t.mocks.auth0_url()), "one tenant, one issuer, whatever the case scope");
    assert!(discovery["token_endpoint"].as_str().unwrap().starts_with(&t.url("")), "endpoints are scoped");
    let (_, jwks) = body(t.agent.get(discovery["jwks_uri"].as_str().unwrap()).call().unwrap());
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(&set.keys[0]).unwrap();

    let claims = vec![
        ("https://app.tinybird.co".to_owned(), json!("the-tinybird-jwt")),
        ("sub".to_owned(), json!("hijacked")),
        ("https://tenant.auth0.com/x".to_owned(), json!(1)),
        ("roles".to_owned(), json!(["admin"])),
        ("https://example.com/roles".to_owned(), json!(["admin"])),
    ];
    let code = t.mocks.auth0.authorize(t.scope, USER, &claims, "n-123");
    let form = format!("grant_type=authorization_code&client_id={SPA_CLIENT_ID}&code={code}");
    let (status, b) = t.token_form(&form);
    assert_eq!(status, 200, "{b}");
    let id_token = b["id_token"].as_str().unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[SPA_CLIENT_ID]);
    validation.set_issuer(&[&issuer]);
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(id_token, &key, &validation).unwrap();
    assert_eq!(data.header.alg, jsonwebtoken::Algorithm::RS256);
    let c = data.claims;
    assert_eq!((c["sub"].as_str(), c["nonce"].as_str(), c["iat"].as_i64()), (Some(USER), Some("n-123"), Some(NOW)));
    assert_eq!(c["https://app.tinybird.co"], "the-tinybird-jwt");
    assert!(c.get("roles").is_none(), "a claim name Auth0 restricts is dropped silently");
    assert_eq!(c["https://example.com/roles"], json!(["admin"]));
    assert!(c.get("https://tenant.auth0.com/x").is_none(), "auth0.com namespaces are dropped silently");

    // A code is good once.
    let (status, b) = t.token_form(&form);
    assert_eq!((status, b["error"].as_str()), (403, Some("invalid_grant")));

    // /userinfo with the access token.
    let code = t.mocks.auth0.authorize(t.scope, USER, &claims, "n");
    let (_, b) = t.token(json!({"grant_type": "authorization_code", "client_id": SPA_CLIENT_ID, "code": code}));
    let access = b["access_token"].as_str().unwrap();
    let (status, info) =
        body(t.agent.get(&t.url("/userinfo")).header("authorization", &format!("Bearer {access}")).call().unwrap());
    assert_eq!(status, 200);
    assert_eq!((info["sub"].as_str(), info["email"].as_str()), (Some(USER), Some("ada@example.com")));
    assert_eq!(info["https://app.tinybird.co"], "the-tinybird-jwt");
    let (status, _) = body(t.agent.get(&t.url("/userinfo")).call().unwrap());
    assert_eq!(status, 401);
}

/// The regular web application exchanges its code with its client secret and gets an HS256 ID token
/// signed with that secret, for its own audience, with the same claims the SPA would get.
#[test]
fn the_web_app_gets_hs256_id_tokens_under_its_client_secret() {
    let t = tenant();
    let claims =
        vec![("https://app.tinybird.co".to_owned(), json!("the-tinybird-jwt")), ("aud".to_owned(), json!("x"))];
    let exchange = |secret: &str| {
        let code = t.mocks.auth0.authorize(t.scope, USER, &claims, "n-9");
        t.token(json!({"grant_type": "authorization_code", "client_id": WEB_APP_CLIENT_ID,
            "client_secret": secret, "code": code}))
    };
    let (status, b) = exchange("not-the-secret");
    assert_eq!((status, b["error"].as_str()), (401, Some("access_denied")), "a wrong secret is refused");
    let (status, b) = exchange(WEB_APP_CLIENT_SECRET);
    assert_eq!(status, 200, "{b}");
    let key = jsonwebtoken::DecodingKey::from_secret(WEB_APP_CLIENT_SECRET.as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[WEB_APP_CLIENT_ID]);
    validation.set_issuer(&[format!("{}/", t.mocks.auth0_url())]);
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(b["id_token"].as_str().unwrap(), &key, &validation).unwrap();
    assert_eq!((data.header.alg, data.header.kid), (jsonwebtoken::Algorithm::HS256, None));
    let c = data.claims;
    assert_eq!((c["sub"].as_str(), c["nonce"].as_str(), c["iat"].as_i64()), (Some(USER), Some("n-9"), Some(NOW)));
    assert_eq!(
        (c["aud"].as_str(), c["https://app.tinybird.co"].as_str()),
        (Some(WEB_APP_CLIENT_ID), Some("the-tinybird-jwt"))
    );
}

#[test]
fn custom_claims_over_100_kb_fail_the_login() {
    let t = tenant();
    let big = "x".repeat(CUSTOM_CLAIMS_LIMIT);
    let code = t.mocks.auth0.authorize(t.scope, USER, &[("https://app.tinybird.co".to_owned(), json!(big))], "n");
    let (status, b) = t.token(json!({"grant_type": "authorization_code", "client_id": SPA_CLIENT_ID, "code": code}));
    assert_eq!((status, b["error"].as_str()), (403, Some("access_denied")));
    assert!(b["error_description"].as_str().unwrap().contains("over the limit"), "{b}");
    let (status, b) = t.token(json!({"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}));
    assert_eq!((status, b["error"].as_str()), (400, Some("unsupported_grant_type")));
    // The password grant is served, to the tenant's applications only.
    let (status, b) = t.token(json!({"grant_type": "password", "username": USER, "password": "x"}));
    assert_eq!((status, b["error"].as_str()), (401, Some("access_denied")));
}
