//! The Tinybird pipe API mock: `GET /v0/pipes/{name}.json`, judged as Tinybird's server judges tokens.
//!
//! The decision is a pure function ([`decide`]) so that fuzz targets and tests can use it without HTTP;
//! `TinybirdResponder` (in the `full` build) serves it over HTTP with per-case scopes, the clock of the case, and a
//! per-token-name requests-per-second budget.
//!
//! A JWT is judged in this order, each failure a 403 unless noted:
//! 1. the workspace is found from the *unverified* payload's `workspace_id`;
//! 2. the header's `alg` must be `HS256` (`none` and everything else refused);
//! 3. the HS256 signature must verify under that workspace's admin token;
//! 4. `exp` must be present and in the future; `name` and `scopes` must be present;
//! 5. every scope must be `PIPES:READ` with a non-empty `resource`, or the whole token is refused;
//! 6. the requested pipe must be one of the scopes' resources, and must exist (404 otherwise);
//! 7. `limits.rps` over budget for the token's `name` → 429.
//!
//! A workspace's admin token (`p.…`) opens every pipe of its workspace.

use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

use crate::clock::Now;
use crate::jwt::{hs256_verify, DecodedJwt};

/// Where Tinybird's error bodies point.
pub const DOCUMENTATION: &str = "https://www.tinybird.co/docs/concepts/auth-tokens";

/// The refusal of a token whose signature verified but one of whose scopes is not `PIPES:READ` with a
/// non-empty resource (rule 5).
pub const INVALID_SCOPE: &str = "Invalid token: every scope must be PIPES:READ with a non-empty resource";

/// A pipe with a few rows of sample data.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipe {
    /// The pipe's name.
    pub name: String,
    /// Its rows (columns `date`, `customer_id`, `hits`), shared by every sample pipe.
    pub rows: Arc<Vec<Map<String, Value>>>,
}

impl Pipe {
    /// A pipe named `name` with three sample rows for three customers (made once, shared: a case's
    /// world opens with a pipe per configured name).
    pub fn sample(name: &str) -> Pipe {
        static ROWS: OnceLock<Arc<Vec<Map<String, Value>>>> = OnceLock::new();
        let rows = ROWS.get_or_init(|| {
            let rows = [("acme", 42), ("globex", 7), ("initech", 1234)].iter().map(|(customer, hits)| {
                let row = json!({"date": "2025-11-24", "customer_id": customer, "hits": hits});
                row.as_object().cloned().unwrap_or_default()
            });
            Arc::new(rows.collect())
        });
        Pipe { name: name.to_owned(), rows: Arc::clone(rows) }
    }

    /// The columns of the `meta` field.
    pub fn meta() -> Value {
        json!([{"name": "date", "type": "Date"}, {"name": "customer_id", "type": "String"}, {"name": "hits", "type": "UInt64"}])
    }
}

/// A Tinybird workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Workspace {
    /// The workspace id (what a JWT's `workspace_id` names).
    pub id: String,
    /// The admin token, which signs JWTs (Tinybird's form starts with `p.`).
    pub admin_token: String,
    /// The workspace's pipes.
    pub pipes: Vec<Pipe>,
}

impl Workspace {
    /// A workspace with sample pipes of the given names.
    pub fn new(id: &str, admin_token: &str, pipes: &[&str]) -> Workspace {
        Workspace {
            id: id.to_owned(),
            admin_token: admin_token.to_owned(),
            pipes: pipes.iter().map(|p| Pipe::sample(p)).collect(),
        }
    }

    /// The pipe named `name`, if the workspace has one.
    pub fn pipe(&self, name: &str) -> Option<&Pipe> {
        self.pipes.iter().find(|p| p.name == name)
    }
}

/// A refusal, with Tinybird's status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// 403, 404 or 429.
    pub status: u16,
    /// The `error` field of the body.
    pub error: String,
}

impl Denial {
    fn forbidden(error: impl Into<String>) -> Denial {
        Denial { status: 403, error: error.into() }
    }

    /// The response body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "documentation": DOCUMENTATION})
    }
}

/// What a valid token grants on one pipe.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// Index of the workspace in the list given to [`decide`].
    pub workspace: usize,
    /// The JWT's `name` (the rate-limit key); `None` for an admin token.
    pub token_name: Option<String>,
    /// `limits.rps` of the JWT, when set.
    pub rps: Option<u64>,
    /// `fixed_params` of the scope that grants the pipe; they override query parameters.
    pub fixed_params: Map<String, Value>,
}

/// A token that is valid for its workspace, before any pipe is asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    /// Index of the workspace.
    pub workspace: usize,
    /// `None` for an admin token, else the JWT's name, scopes and limits.
    pub jwt: Option<JwtCredential>,
}

/// The parts of a valid JWT that matter for access.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtCredential {
    /// `name`: the key of the rate budget.
    pub name: String,
    /// `(resource, fixed_params)` per scope.
    pub scopes: Vec<(String, Map<String, Value>)>,
    /// `limits.rps`.
    pub rps: Option<u64>,
}

/// Judges a token alone (rules 1–5 of the module doc).
pub fn authenticate(workspaces: &[Workspace], token: &str, now: Now) -> Result<Credential, Denial> {
    judge_token(workspaces, token, now, || DecodedJwt::decode(token).map(std::borrow::Cow::Owned))
}

/// [`authenticate`] for a token already decoded (`decoded` is what [`DecodedJwt::decode`] made of it).
pub fn authenticate_decoded(
    workspaces: &[Workspace],
    token: &str,
    decoded: Result<&DecodedJwt, &crate::jwt::JwtDecodeError>,
    now: Now,
) -> Result<Credential, Denial> {
    judge_token(workspaces, token, now, || decoded.map(std::borrow::Cow::Borrowed).map_err(Clone::clone))
}

/// Rules 1–5 for `token`, decoded by `decode` only when it is neither empty nor an admin token.
fn judge_token<'d>(
    workspaces: &[Workspace],
    token: &str,
    now: Now,
    decode: impl FnOnce() -> Result<std::borrow::Cow<'d, DecodedJwt>, crate::jwt::JwtDecodeError>,
) -> Result<Credential, Denial> {
    if token.is_empty() {
        return Err(Denial::forbidden("You need to provide a token to access this resource"));
    }
    if let Some(i) = workspaces.iter().position(|w| !w.admin_token.is_empty() && w.admin_token == token) {
        return Ok(Credential { workspace: i, jwt: None });
    }
    let decoded = decode().map_err(|e| Denial::forbidden(format!("Invalid token: {e}")))?;
    let workspace_id = decoded.claims.get("workspace_id").and_then(Value::as_str);
    let Some(index) = workspace_id.and_then(|id| workspaces.iter().position(|w| w.id == id)) else {
        return Err(Denial::forbidden("Invalid token: unknown workspace_id"));
    };
    if decoded.header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(Denial::forbidden("Invalid token: the algorithm must be HS256"));
    }
    if !hs256_verify(token, workspaces[index].admin_token.as_bytes()) {
        return Err(Denial::forbidden("Invalid token: the signature does not match the workspace's admin token"));
    }
    let claims = &decoded.claims;
    match claims.get("exp").and_then(Value::as_f64) {
        None => return Err(Denial::forbidden("Invalid token: exp is required")),
        // `exp` is in seconds and the clock has milliseconds: a token is valid until the instant `exp`.
        Some(exp) if exp * 1000.0 <= now.millis() as f64 => {
            return Err(Denial::forbidden("Invalid token: the token has expired"))
        }
        Some(_) => {}
    }
    let Some(name) = claims.get("name").and_then(Value::as_str) else {
        return Err(Denial::forbidden("Invalid token: name is required"));
    };
    let Some(raw_scopes) = claims.get("scopes").and_then(Value::as_array) else {
        return Err(Denial::forbidden("Invalid token: scopes is required"));
    };
    let mut scopes = Vec::with_capacity(raw_scopes.len());
    for scope in raw_scopes {
        let kind = scope.get("type").and_then(Value::as_str);
        let resource = scope.get("resource").and_then(Value::as_str).filter(|r| !r.is_empty());
        match (kind, resource) {
            (Some("PIPES:READ"), Some(resource)) => {
                let fixed = scope.get("fixed_params").and_then(Value::as_object).cloned().unwrap_or_default();
                scopes.push((resource.to_owned(), fixed));
            }
            _ => return Err(Denial::forbidden(INVALID_SCOPE)),
        }
    }
    let rps = claims.pointer("/limits/rps").and_then(Value::as_u64);
    Ok(Credential { workspace: index, jwt: Some(JwtCredential { name: name.to_owned(), scopes, rps }) })
}

/// Judges a request for `pipe` with `token` at `now` (rules 1–6; the rate budget is the responder's).
pub fn decide(workspaces: &[Workspace], token: &str, pipe: &str, now: Now) -> Result<Grant, Denial> {
    authorize(workspaces, &authenticate(workspaces, token, now)?, pipe)
}

/// Judges a request for `pipe` by a token [`authenticate`] accepted (rule 6).
pub fn authorize(workspaces: &[Workspace], credential: &Credential, pipe: &str) -> Result<Grant, Denial> {
    let workspace = &workspaces[credential.workspace];
    let grant = match &credential.jwt {
        None => Grant { workspace: credential.workspace, token_name: None, rps: None, fixed_params: Map::new() },
        Some(jwt) => {
            let Some((_, fixed)) = jwt.scopes.iter().find(|(resource, _)| resource == pipe) else {
                return Err(Denial::forbidden(format!("Not enough permissions to read the pipe '{pipe}'")));
            };
            Grant {
                workspace: credential.workspace,
                token_name: Some(jwt.name.clone()),
                rps: jwt.rps,
                fixed_params: fixed.clone(),
            }
        }
    };
    if workspace.pipe(pipe).is_none() {
        return Err(Denial { status: 404, error: format!("The pipe '{pipe}' does not exist") });
    }
    Ok(grant)
}

/// The success body for `pipe` with the effective parameters (query, overridden by fixed params).
pub fn pipe_body(pipe: &Pipe, params: &Map<String, Value>) -> Value {
    // Parameters arrive as strings (query) or JSON values (fixed_params): compare their text.
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let matches = |row: &Map<String, Value>| {
        params.iter().all(|(k, v)| match row.get(k) {
            None => true, // not a column: a template parameter the sample pipe ignores
            Some(cell) => text(cell) == text(v),
        })
    };
    let data: Vec<Value> = pipe.rows.iter().filter(|r| matches(r)).map(|r| Value::Object(r.clone())).collect();
    let rows = data.len();
    json!({
        "meta": Pipe::meta(),
        "data": data,
        "rows": rows,
        "rows_before_limit_at_least": rows,
        "statistics": {"elapsed": 0.000_42, "rows_read": pipe.rows.len(), "bytes_read": pipe.rows.len() * 32}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{b64url, hs256_sign};

    const ADMIN: &str = "p.made-up-admin-token";

    fn token(header: Value, claims: Value, key: &str) -> String {
        let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
        format!("{input}.{}", hs256_sign(key.as_bytes(), input.as_bytes()).unwrap())
    }

    fn hs256(claims: Value) -> String {
        token(json!({"alg": "HS256", "typ": "JWT"}), claims, ADMIN)
    }

    fn claims(scopes: Value) -> Value {
        json!({"workspace_id": "ws", "name": "n", "scopes": scopes, "iat": 1, "exp": 100})
    }

    fn status(token: &str, pipe: &str, now: i64) -> Result<u16, (u16, String)> {
        let workspaces = [Workspace::new("ws", ADMIN, &["a", "b"])];
        decide(&workspaces, token, pipe, Now::from_seconds(now)).map(|_| 200).map_err(|d| (d.status, d.error))
    }

    #[test]
    fn each_rule_of_the_decision_in_order() {
        let good = hs256(claims(json!([{"type": "PIPES:READ", "resource": "a"}])));
        assert_eq!(status(&good, "a", 50), Ok(200));
        assert_eq!(status(&good, "b", 50).unwrap_err().0, 403, "not in the scopes");
        assert_eq!(status(ADMIN, "b", 50), Ok(200), "the admin token opens every pipe");
        assert_eq!(status(ADMIN, "zzz", 50).unwrap_err().0, 404);
        assert!(status("", "a", 50).unwrap_err().1.contains("provide a token"));
        let other_ws = hs256(json!({"workspace_id": "other", "name": "n", "scopes": [], "exp": 100}));
        assert!(status(&other_ws, "a", 50).unwrap_err().1.contains("unknown workspace_id"));
        let none = token(json!({"alg": "none"}), claims(json!([{"type": "PIPES:READ", "resource": "a"}])), ADMIN);
        assert!(status(&none, "a", 50).unwrap_err().1.contains("HS256"));
        let foreign = token(json!({"alg": "HS256"}), claims(json!([{"type": "PIPES:READ", "resource": "a"}])), "p.x");
        assert!(status(&foreign, "a", 50).unwrap_err().1.contains("signature"));
        assert!(status(&good, "a", 100).unwrap_err().1.contains("expired"), "exp == now is expired");
        let ms = |millis| decide(&[Workspace::new("ws", ADMIN, &["a"])], &good, "a", Now::from_millis(millis).unwrap());
        assert!(ms(99_999).is_ok(), "valid until the instant exp, to the millisecond");
        assert!(ms(100_000).is_err());
        let no_exp = hs256(json!({"workspace_id": "ws", "name": "n", "scopes": []}));
        assert!(status(&no_exp, "a", 50).unwrap_err().1.contains("exp is required"));
        let no_name = hs256(json!({"workspace_id": "ws", "scopes": [], "exp": 100}));
        assert!(status(&no_name, "a", 50).unwrap_err().1.contains("name is required"));
    }

    #[test]
    fn one_bad_scope_refuses_the_whole_token() {
        for bad in [json!({"type": "PIPES:READ", "resource": ""}), json!({"type": "DATASOURCES:READ", "resource": "b"})]
        {
            let t = hs256(claims(json!([{"type": "PIPES:READ", "resource": "a"}, bad])));
            assert_eq!(status(&t, "a", 50), Err((403, INVALID_SCOPE.to_owned())));
        }
    }

    #[test]
    fn a_grant_carries_the_rate_key_and_fixed_params() {
        let t = hs256(json!({"workspace_id": "ws", "name": "n", "exp": 100, "limits": {"rps": 3},
            "scopes": [{"type": "PIPES:READ", "resource": "a", "fixed_params": {"x": 1}}]}));
        let grant = decide(&[Workspace::new("ws", ADMIN, &["a"])], &t, "a", Now::from_seconds(50)).unwrap();
        assert_eq!((grant.token_name.as_deref(), grant.rps), (Some("n"), Some(3)));
        assert_eq!(grant.fixed_params["x"], 1);
    }
}
