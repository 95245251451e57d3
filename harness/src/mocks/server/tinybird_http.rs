//! The Tinybird mock over HTTP: [`super::tinybird`]'s decision behind a responder ([`super::exchange::Respond`]), with per-case
//! scopes, the clock of the case, and a per-token-name requests-per-second budget; the Token API
//! ([`crate::mocks::token_api`]) at `/v0/tokens`; CORS as Tinybird serves it to browsers (every answer
//! carries `Access-Control-Allow-Origin: *`, since tokens, not cookies, authenticate; an `OPTIONS`
//! preflight on any path is answered 204 with the methods and the requested headers allowed).

use super::exchange::{Request, Respond, Response};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::scope::{split_scope, ScopeId, Scoped};
use super::Clock;
use crate::mocks::tinybird::{authenticate, authorize, pipe_body, Credential, Denial, Grant, Workspace, DOCUMENTATION};
use crate::mocks::token_api::{create_jwt, TokenRequest};

/// The Tinybird world of one scope.
#[derive(Debug, Clone)]
pub struct TinybirdScope {
    /// The workspaces that exist in this scope, with their admin tokens and pipes.
    pub workspaces: Vec<Workspace>,
    /// The clock `exp` and the rate budget are judged by.
    pub clock: Clock,
}

/// Requests counted per (scope, workspace, token name, second).
type Budget = HashMap<(ScopeId, String, String), (i64, u64)>;

/// The last token judged in each scope of a fixed clock, and what it was judged to be: a flow calls
/// every pipe with the same token, and decoding and verifying it again for each call was a sixth of a
/// check's CPU. (Under the wall clock a token's `exp` can pass between two calls: no memo there.)
type Credentials = HashMap<ScopeId, (String, Result<Credential, Denial>)>;

/// The responder for the pipe API and the Token API.
#[derive(Clone, Default)]
pub struct TinybirdResponder {
    /// Per-scope worlds.
    pub scopes: Arc<Scoped<TinybirdScope>>,
    budget: Arc<Mutex<Budget>>,
    credentials: Arc<Mutex<Credentials>>,
}

fn token_of(request: &Request) -> String {
    if let Some(value) = request.headers.get("authorization").and_then(|v| v.to_str().ok()) {
        if let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) {
            return token.trim().to_owned();
        }
    }
    query_value(request, "token").unwrap_or_default()
}

fn query_value(request: &Request, key: &str) -> Option<String> {
    request.url.query_pairs().find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

fn json_response(status: u16, body: &Value) -> Response {
    Response::new(status).set_body_raw(body.to_string().into_bytes(), "application/json")
}

/// Tinybird's 405 for `request`'s method on `what`, with the methods it takes.
fn method_not_allowed(request: &Request, what: &str, allow: &str, use_instead: &str) -> Response {
    let body = json!({"error": format!("Method {} not allowed on {what}: use {use_instead}", request.method),
        "documentation": DOCUMENTATION});
    json_response(405, &body).insert_header("allow", allow)
}

impl TinybirdResponder {
    /// Forgets the rate budget of a finished scope.
    pub fn forget(&self, scope: ScopeId) {
        self.budget.lock().unwrap_or_else(|p| p.into_inner()).retain(|(s, _, _), _| *s != scope);
        self.credentials.lock().unwrap_or_else(|p| p.into_inner()).remove(&scope);
    }

    /// The requests each token name has spent of its budget in `scope` during `second`, by (workspace id,
    /// token name): what an implementation's own pipe calls used up before the browser's.
    pub fn spent(&self, scope: ScopeId, second: i64) -> HashMap<(String, String), u64> {
        let budget = self.budget.lock().unwrap_or_else(|p| p.into_inner());
        budget
            .iter()
            .filter(|((s, _, _), (at, _))| *s == scope && *at == second)
            .map(|((_, workspace, name), (_, spent))| ((workspace.clone(), name.clone()), *spent))
            .collect()
    }

    /// What `token` is in `world` (scope `scope`) at `now`.
    fn credential(
        &self,
        scope: ScopeId,
        world: &TinybirdScope,
        token: &str,
        now: crate::clock::Now,
    ) -> Result<Credential, Denial> {
        if world.clock == Clock::Wall {
            return authenticate(&world.workspaces, token, now);
        }
        let mut credentials = self.credentials.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((judged, credential)) = credentials.get(&scope) {
            if judged == token {
                return credential.clone();
            }
        }
        let credential = authenticate(&world.workspaces, token, now);
        credentials.insert(scope, (token.to_owned(), credential.clone()));
        credential
    }

    fn over_budget(&self, scope: ScopeId, workspace: &str, grant: &Grant, second: i64) -> bool {
        let (Some(name), Some(rps)) = (&grant.token_name, grant.rps) else { return false };
        let mut budget = self.budget.lock().unwrap_or_else(|p| p.into_inner());
        let entry = budget.entry((scope, workspace.to_owned(), name.clone())).or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        entry.1 += 1;
        entry.1 > rps
    }
}

impl Respond for TinybirdResponder {
    fn respond(&self, request: &Request) -> Response {
        let response = if request.method.as_str() == "OPTIONS" {
            super::cors_preflight(request, "GET, POST, OPTIONS")
        } else {
            self.answer(request)
        };
        response.insert_header("access-control-allow-origin", "*")
    }
}

impl TinybirdResponder {
    /// The answer `judge` gives in the world of `scope` (404 when no case has that scope): its body with 200,
    /// or Tinybird's refusal.
    fn in_world(&self, scope: ScopeId, judge: impl FnOnce(&TinybirdScope) -> Result<Value, Denial>) -> Response {
        let answer = self.scopes.with(scope, |world| match world {
            Some(world) => judge(world),
            None => Err(Denial { status: 404, error: format!("no such case scope: {}", scope.0) }),
        });
        match answer {
            Ok(body) => json_response(200, &body),
            Err(denial) => json_response(denial.status, &denial.body()),
        }
    }

    fn create_token(&self, scope: ScopeId, request: &Request) -> Response {
        if request.method.as_str() != "POST" {
            return method_not_allowed(request, "/v0/tokens", "POST", "POST");
        }
        let token = token_of(request);
        let (name, expiration) = (query_value(request, "name"), query_value(request, "expiration_time"));
        self.in_world(scope, |world| {
            let asked = TokenRequest {
                token: &token,
                name: name.as_deref(),
                expiration_time: expiration.as_deref(),
                body: &request.body,
            };
            create_jwt(&world.workspaces, asked, world.clock.now())
        })
    }

    fn answer(&self, request: &Request) -> Response {
        let (scope, path) = split_scope(request.url.path());
        if path == "/v0/tokens" || path == "/v0/tokens/" {
            return self.create_token(scope, request);
        }
        let Some(encoded) = path.strip_prefix("/v0/pipes/").and_then(|p| p.strip_suffix(".json")) else {
            return json_response(404, &json!({"error": "Not found", "documentation": DOCUMENTATION}));
        };
        // A pipe's endpoint is read with GET (or POST, parameters in the body's place); nothing else.
        if !matches!(request.method.as_str(), "GET" | "POST") {
            return method_not_allowed(request, "a pipe endpoint", "GET, POST", "GET");
        }
        let pipe = percent_encoding::percent_decode_str(encoded).decode_utf8_lossy().into_owned();
        let token = token_of(request);
        self.in_world(scope, |world| {
            let now = world.clock.now();
            let grant = authorize(&world.workspaces, &self.credential(scope, world, &token, now)?, &pipe)?;
            let workspace = &world.workspaces[grant.workspace];
            if self.over_budget(scope, &workspace.id, &grant, now.seconds()) {
                let name = grant.token_name.clone().unwrap_or_default();
                return Err(Denial {
                    status: 429,
                    error: format!(
                        "Too many requests: the token '{name}' is over its limit of {} requests per second",
                        grant.rps.unwrap_or(0)
                    ),
                });
            }
            let mut params: Map<String, Value> = request
                .url
                .query_pairs()
                .filter(|(k, _)| k != "token")
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            params.extend(grant.fixed_params.clone());
            Ok(pipe_body(workspace.pipe(&pipe).expect("decide checked the pipe exists"), &params))
        })
    }
}
