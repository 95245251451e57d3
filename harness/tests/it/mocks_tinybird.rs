//! The Tinybird mock over real HTTP on 127.0.0.1: every JWT rule, with the bodies checked. Tokens are
//! minted by hand with the `jsonwebtoken` crate (any JWT library must be judged the same way).

use harness::jwt::b64url;
use harness::mocks::tinybird::{Workspace, DOCUMENTATION};
use harness::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const ADMIN: &str = "p.made-up-admin-token-for-the-tinybird-mock-tests";
const NOW: i64 = 1_764_000_000;

struct World {
    mocks: MockServers,
    scope: ScopeId,
    agent: ureq::Agent,
}

fn world() -> World {
    let mocks = MockServers::start().unwrap();
    let scope = mocks.new_scope();
    let workspaces = vec![
        Workspace::new("ws_main", ADMIN, &["top_pages", "kpis", "secret_pipe"]),
        Workspace::new("ws_other", "p.another-made-up-admin-token", &["top_pages"]),
    ];
    mocks.open_scope(
        scope,
        Tenant::new([], Clock::Fixed(harness::clock::Now::from_seconds(NOW))),
        TinybirdScope { workspaces, clock: Clock::Fixed(harness::clock::Now::from_seconds(NOW)) },
    );
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    World { mocks, scope, agent }
}

impl World {
    fn get(&self, pipe: &str, token: &str, query: &str) -> (u16, Value) {
        let url = format!("{}/v0/pipes/{pipe}.json{query}", self.mocks.urls(self.scope).tinybird);
        let mut request = self.agent.get(&url);
        if !token.is_empty() {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().unwrap();
        let status = response.status().as_u16();
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }
}

fn mint(claims: Value, key: &str) -> String {
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(key.as_bytes()).unwrap()).unwrap()
}

fn claims(scopes: Value) -> Value {
    json!({"workspace_id": "ws_main", "name": "tinybird_jwt_test", "scopes": scopes, "iat": NOW, "exp": NOW + 600})
}

fn read(resource: &str) -> Value {
    json!({"type": "PIPES:READ", "resource": resource})
}

fn assert_refused(world: &World, token: &str, pipe: &str, status: u16, needle: &str) {
    let (got, body) = world.get(pipe, token, "");
    assert_eq!(got, status, "{needle}: {body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains(needle), "expected {needle:?} in {error:?}");
    assert_eq!(body["documentation"], DOCUMENTATION);
    assert_eq!(body.as_object().unwrap().len(), 2, "Tinybird error bodies have error and documentation only");
}

#[test]
fn a_valid_jwt_reads_its_pipes_with_tinybirds_success_shape() {
    let w = world();
    let token = mint(claims(json!([read("top_pages"), read("kpis")])), ADMIN);
    let (status, body) = w.get("top_pages", &token, "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["meta"][0], json!({"name": "date", "type": "Date"}));
    assert_eq!(body["rows"], 3);
    assert_eq!(body["data"].as_array().unwrap().len(), 3);
    assert_eq!(body["rows_before_limit_at_least"], 3);
    for k in ["elapsed", "rows_read", "bytes_read"] {
        assert!(body["statistics"][k].is_number(), "statistics.{k}");
    }
    // ?token= works as well as the Authorization header.
    let (status, _) = w.get("kpis", "", &format!("?token={token}"));
    assert_eq!(status, 200);
}

#[test]
fn every_jwt_rule_refuses_with_403() {
    let w = world();
    let scopes = json!([read("top_pages")]);
    assert_refused(&w, "", "top_pages", 403, "provide a token");
    let mut other_ws = claims(scopes.clone());
    other_ws["workspace_id"] = json!("ws_nowhere");
    assert_refused(&w, &mint(other_ws, ADMIN), "top_pages", 403, "unknown workspace_id");
    let mut numeric_ws = claims(scopes.clone());
    numeric_ws["workspace_id"] = json!(12345);
    assert_refused(&w, &mint(numeric_ws, ADMIN), "top_pages", 403, "unknown workspace_id");
    // Signed for another workspace's id but with this workspace's admin token: wrong key there.
    let mut foreign = claims(scopes.clone());
    foreign["workspace_id"] = json!("ws_other");
    assert_refused(&w, &mint(foreign, ADMIN), "top_pages", 403, "signature");
    assert_refused(&w, &mint(claims(scopes.clone()), "p.wrong-key"), "top_pages", 403, "signature");
    let hs384 = encode(
        &Header::new(Algorithm::HS384),
        &claims(scopes.clone()),
        &EncodingKey::from_secret(ADMIN.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_refused(&w, &hs384, "top_pages", 403, "HS256");
    let none = format!(
        "{}.{}.",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(claims(scopes.clone()).to_string().as_bytes())
    );
    assert_refused(&w, &none, "top_pages", 403, "HS256");
    let mut expired = claims(scopes.clone());
    expired["exp"] = json!(NOW);
    assert_refused(&w, &mint(expired, ADMIN), "top_pages", 403, "expired");
    for missing in ["exp", "name", "scopes"] {
        let mut c = claims(scopes.clone());
        c.as_object_mut().unwrap().remove(missing);
        assert_refused(&w, &mint(c, ADMIN), "top_pages", 403, &format!("{missing} is required"));
    }
    assert_refused(&w, "not-a-jwt", "top_pages", 403, "Invalid token");
}

#[test]
fn one_bad_scope_refuses_the_whole_token() {
    let w = world();
    let empty = mint(claims(json!([read("top_pages"), read("")])), ADMIN);
    assert_refused(&w, &empty, "top_pages", 403, "non-empty resource");
    let other_type =
        mint(claims(json!([read("top_pages"), {"type": "DATASOURCES:READ", "resource": "events"}])), ADMIN);
    assert_refused(&w, &other_type, "top_pages", 403, "PIPES:READ");
    let no_resource = mint(claims(json!([read("top_pages"), {"type": "PIPES:READ"}])), ADMIN);
    assert_refused(&w, &no_resource, "top_pages", 403, "non-empty resource");
}

#[test]
fn pipes_outside_the_scopes_are_refused_and_unknown_pipes_are_404() {
    let w = world();
    let token = mint(claims(json!([read("top_pages"), read("missing_pipe"), read("Top_Pages")])), ADMIN);
    assert_refused(&w, &token, "secret_pipe", 403, "Not enough permissions");
    assert_refused(&w, &token, "kpis", 403, "Not enough permissions");
    assert_refused(&w, &token, "missing_pipe", 404, "does not exist");
    // The extra scope opens a pipe the token should not: exactly what the flow reports.
    let extra = mint(claims(json!([read("top_pages"), read("secret_pipe")])), ADMIN);
    assert_eq!(w.get("secret_pipe", &extra, "").0, 200);
    // The admin token opens everything in its workspace.
    assert_eq!(w.get("secret_pipe", ADMIN, "").0, 200);
}

#[test]
fn fixed_params_override_query_parameters() {
    let w = world();
    let scope = json!([{"type": "PIPES:READ", "resource": "top_pages", "fixed_params": {"customer_id": "acme"}}]);
    let token = mint(claims(scope), ADMIN);
    let (status, body) = w.get("top_pages", &token, "?customer_id=globex");
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([{"date": "2025-11-24", "customer_id": "acme", "hits": 42}]));
    assert_eq!(body["rows"], 1);
    let plain = mint(claims(json!([read("top_pages")])), ADMIN);
    let (_, body) = w.get("top_pages", &plain, "?customer_id=globex");
    assert_eq!(body["data"][0]["customer_id"], "globex");
}

#[test]
fn rps_limits_apply_per_token_name() {
    let w = world();
    let mut c = claims(json!([read("top_pages")]));
    c["limits"] = json!({"rps": 2});
    let token = mint(c.clone(), ADMIN);
    let statuses: Vec<u16> = (0..4).map(|_| w.get("top_pages", &token, "").0).collect();
    assert_eq!(statuses, [200, 200, 429, 429]);
    let (_, body) = w.get("top_pages", &token, "");
    assert!(body["error"].as_str().unwrap().contains("tinybird_jwt_test"), "{body}");
    // Another token with the same name shares the budget; another name has its own.
    c["iat"] = json!(NOW - 1);
    assert_eq!(w.get("top_pages", &mint(c.clone(), ADMIN), "").0, 429);
    c["name"] = json!("another_name");
    assert_eq!(w.get("top_pages", &mint(c, ADMIN), "").0, 200);
}

impl World {
    /// `POST /v0/tokens{slash}?{query}` with `body` and, when given, `Authorization: Bearer {bearer}`.
    fn create_token(&self, slash: &str, query: &str, bearer: Option<&str>, body: &str) -> (u16, Value) {
        let url = format!("{}/v0/tokens{slash}?{query}", self.mocks.urls(self.scope).tinybird);
        let mut request = self.agent.post(&url);
        if let Some(token) = bearer {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let mut response = request.send(body).unwrap();
        let status = response.status().as_u16();
        assert_eq!(response.headers().get("access-control-allow-origin").unwrap(), "*");
        (status, serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap())
    }
}

#[test]
fn the_token_api_creates_jwts_as_the_cli_and_the_sdk_ask_for_them() {
    let w = world();
    let exp = NOW + 3600;
    // The CLI's Python client: name and expiry in the query, the admin token as ?token=, the scopes in a body
    // sent without a content type.
    let cli_scopes = json!({"scopes": [read("top_pages"), {"type": "PIPES:READ", "resource": "kpis",
        "fixed_params": {"customer_id": "acme"}}]});
    let (status, body) =
        w.create_token("", &format!("name=cli&expiration_time={exp}&token={ADMIN}"), None, &cli_scopes.to_string());
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let decoded = harness::jwt::DecodedJwt::decode(&token).unwrap();
    assert_eq!(decoded.header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        decoded.claims,
        json!({"workspace_id": "ws_main", "name": "cli", "exp": exp, "scopes": cli_scopes["scopes"]})
    );
    assert_eq!(w.get("top_pages", &token, "").0, 200);
    let (status, rows) = w.get("kpis", &token, "?customer_id=globex");
    assert_eq!((status, rows["data"][0]["customer_id"].as_str()), (200, Some("acme")), "fixed params apply");
    assert_refused(&w, &token, "secret_pipe", 403, "Not enough permissions");

    // The SDK: a trailing slash, Bearer, name and limits in the JSON body.
    let sdk = json!({"name": "sdk", "scopes": [read("kpis")], "limits": {"rps": 1}});
    let (status, body) = w.create_token("/", &format!("expiration_time={exp}"), Some(ADMIN), &sdk.to_string());
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap();
    assert_eq!(w.get("kpis", token, "").0, 200);
    assert_eq!(w.get("kpis", token, "").0, 429, "its limits apply");

    // Refusals, as Tinybird words them.
    let scopes = json!({"scopes": [read("kpis")]}).to_string();
    let refused = |slash: &str, query: &str, bearer: Option<&str>, body: &str, status: u16, needle: &str| {
        let (got, answer) = w.create_token(slash, query, bearer, body);
        assert_eq!(got, status, "{query} {body}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(needle), "{needle}: {answer}");
        assert_eq!(answer["documentation"], DOCUMENTATION);
    };
    refused("", &format!("name=n&expiration_time={exp}"), None, &scopes, 403, "provide a token");
    refused("", &format!("name=n&expiration_time={exp}"), Some("p.wrong"), &scopes, 403, "Invalid token");
    refused("", &format!("name=n&expiration_time={exp}"), Some(token), &scopes, 403, "admin token");
    refused("", "name=n", Some(ADMIN), &scopes, 400, "expiration_time is required");
    refused("", &format!("name=n&expiration_time={NOW}"), Some(ADMIN), &scopes, 400, "in the future");
    refused("", "name=n&expiration_time=tomorrow", Some(ADMIN), &scopes, 400, "Unix timestamp");
    refused("", &format!("expiration_time={exp}"), Some(ADMIN), &scopes, 400, "name is required");
    refused("", &format!("name=n&expiration_time={exp}"), Some(ADMIN), "{", 400, "Invalid JSON");
    refused("", &format!("name=n&expiration_time={exp}"), Some(ADMIN), "{}", 400, "scopes is required");
    let datasource = json!({"scopes": [{"type": "DATASOURCES:READ", "resource": "events"}]}).to_string();
    refused("", &format!("name=n&expiration_time={exp}"), Some(ADMIN), &datasource, 400, "PIPES:READ");
    // Only POST creates tokens.
    let url = format!("{}/v0/tokens", w.mocks.urls(w.scope).tinybird);
    let response = w.agent.get(&url).call().unwrap();
    assert_eq!((response.status().as_u16(), response.headers().get("allow").unwrap().to_str().unwrap()), (405, "POST"));
}

#[test]
fn browsers_may_call_every_endpoint_cross_origin() {
    let w = world();
    let token = mint(claims(json!([read("top_pages")])), ADMIN);
    let url = format!("{}/v0/pipes/top_pages.json", w.mocks.urls(w.scope).tinybird);
    // The preflight a browser sends before a GET with an Authorization header.
    let response = w
        .agent
        .options(&url)
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .call()
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(header("access-control-allow-headers").as_deref(), Some("authorization"));
    assert!(header("access-control-allow-methods").unwrap().contains("GET"));
    // Answers, refusals included, carry the header the browser needs to read them.
    for (token, status) in [(token.as_str(), 200), ("", 403)] {
        let mut request = w.agent.get(&url).header("origin", "http://localhost:5173");
        if !token.is_empty() {
            request = request.header("authorization", &format!("Bearer {token}"));
        }
        let response = request.call().unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.headers().get("access-control-allow-origin").unwrap(), "*");
    }
}
