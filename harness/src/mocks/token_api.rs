//! Tinybird's Token API for JWTs, as Tinybird's own clients call it: `POST /v0/tokens?name=…&expiration_time=…`
//! (the CLI's Python client, `TinyB.create_jwt_token`, with `?token=ADMIN` and a body `{"scopes": […]}`) or
//! `POST /v0/tokens/?expiration_time=…` (`@tinybirdco/sdk`'s `createJWT`, with `Authorization: Bearer ADMIN`
//! and a body `{"name", "scopes", "limits"}`), answered `{"token": "<JWT>"}`.
//!
//! The JWT is what the pipe API then accepts: header `{"alg":"HS256","typ":"JWT"}`, payload `workspace_id`
//! (the admin token's workspace), `name`, `exp`, `scopes` as given, `limits` when given; no `iat`;
//! signed with the workspace's admin token. Refusals, each `{"error", "documentation"}`:
//! - 403: no token, a token that is not a workspace's admin token (a JWT cannot create tokens);
//! - 400: no `expiration_time` (static tokens are not mocked), one that is not a whole number of seconds
//!   or not in the future; no `name`; a body that is not a JSON object; `scopes` missing, empty, or with a
//!   scope that is not `PIPES:READ` with a string `resource` and an object `fixed_params` when present;
//!   `limits` that is not `{"rps": positive integer}`.
//!
//! What the resources name is not judged here: the pipe API judges it when the token is used, as it does
//! for a self-signed JWT (a token with an empty resource is created, then refused whole at every pipe).

use serde_json::{json, Map, Value};

use crate::clock::Now;
use crate::jwt::{b64url, hs256_sign};
use crate::mocks::tinybird::{authenticate, Denial, Workspace};

/// The header of every JWT the Token API signs.
pub const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A Token API request: the caller's token, the query's `name` and `expiration_time`, and the body.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    /// The token the caller authenticated with (header or `?token=`).
    pub token: &'a str,
    /// The query's `name`, if any.
    pub name: Option<&'a str>,
    /// The query's `expiration_time`, if any.
    pub expiration_time: Option<&'a str>,
    /// The request body.
    pub body: &'a [u8],
}

fn bad_request(error: impl Into<String>) -> Denial {
    Denial { status: 400, error: error.into() }
}

/// Creates the JWT `request` asks for in `workspaces` at `now`: `{"token": "…"}`, or Tinybird's refusal.
pub fn create_jwt(workspaces: &[Workspace], request: TokenRequest<'_>, now: Now) -> Result<Value, Denial> {
    let credential = authenticate(workspaces, request.token, now)?;
    if credential.jwt.is_some() {
        return Err(Denial {
            status: 403,
            error: "Not enough permissions to create tokens: use the workspace's admin token".into(),
        });
    }
    let workspace = &workspaces[credential.workspace];
    let Some(expiration) = request.expiration_time else {
        return Err(bad_request("expiration_time is required to create a JWT (static tokens are not mocked)"));
    };
    let exp: i64 = expiration
        .trim()
        .parse()
        .map_err(|_| bad_request(format!("expiration_time must be a Unix timestamp in seconds, not '{expiration}'")))?;
    if exp.saturating_mul(1000) <= now.millis() {
        return Err(bad_request("expiration_time must be in the future"));
    }
    let body: Value = if request.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(request.body).map_err(|e| bad_request(format!("Invalid JSON body: {e}")))?
    };
    let Value::Object(body) = body else {
        return Err(bad_request("The body must be a JSON object"));
    };
    let name = request
        .name
        .map(str::to_owned)
        .or_else(|| body.get("name").and_then(Value::as_str).map(str::to_owned))
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad_request("name is required"))?;
    let scopes = valid_scopes(body.get("scopes"))?;
    let mut payload = Map::new();
    payload.insert("workspace_id".into(), json!(workspace.id));
    payload.insert("name".into(), json!(name));
    payload.insert("exp".into(), json!(exp));
    payload.insert("scopes".into(), Value::Array(scopes));
    if let Some(limits) = body.get("limits") {
        let rps = limits.as_object().filter(|l| l.len() == 1).and_then(|l| l.get("rps")).and_then(Value::as_u64);
        match rps {
            Some(rps) if rps > 0 => payload.insert("limits".into(), json!({"rps": rps})),
            _ => return Err(bad_request("limits must be {\"rps\": a positive integer}")),
        };
    }
    let input = format!("{}.{}", b64url(HEADER.as_bytes()), b64url(Value::Object(payload).to_string().as_bytes()));
    let signature = hs256_sign(workspace.admin_token.as_bytes(), input.as_bytes())
        .ok_or_else(|| Denial { status: 500, error: "the admin token cannot sign".into() })?;
    Ok(json!({"token": format!("{input}.{signature}")}))
}

/// The scopes of a request body, each `{"type": "PIPES:READ", "resource": …, "fixed_params"?: {…}}`.
fn valid_scopes(scopes: Option<&Value>) -> Result<Vec<Value>, Denial> {
    let Some(scopes) = scopes.and_then(Value::as_array).filter(|s| !s.is_empty()) else {
        return Err(bad_request("scopes is required: a non-empty array"));
    };
    scopes
        .iter()
        .enumerate()
        .map(|(i, scope)| {
            let kind = scope.get("type").and_then(Value::as_str);
            let resource = scope.get("resource").and_then(Value::as_str);
            let fixed = scope.get("fixed_params");
            match (kind, resource, fixed) {
                (Some("PIPES:READ"), Some(resource), None) => Ok(json!({"type": "PIPES:READ", "resource": resource})),
                (Some("PIPES:READ"), Some(resource), Some(fixed @ Value::Object(_))) => {
                    Ok(json!({"type": "PIPES:READ", "resource": resource, "fixed_params": fixed}))
                }
                (Some("PIPES:READ"), None, _) => {
                    Err(bad_request(format!("scopes[{i}]: resource is required (a string)")))
                }
                (Some("PIPES:READ"), Some(_), Some(_)) => {
                    Err(bad_request(format!("scopes[{i}]: fixed_params must be an object")))
                }
                _ => Err(bad_request(format!("scopes[{i}]: the mock creates PIPES:READ scopes only"))),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{hs256_verify, DecodedJwt};
    use crate::mocks::tinybird::decide;

    const ADMIN: &str = "p.made-up-admin-token";
    const NOW: Now = Now::from_seconds(1_764_000_000);

    fn world() -> Vec<Workspace> {
        vec![Workspace::new("ws-1", ADMIN, &["top_pages", "kpis"])]
    }

    fn request<'a>(token: &'a str, name: Option<&'a str>, exp: Option<&'a str>, body: &'a str) -> TokenRequest<'a> {
        TokenRequest { token, name, expiration_time: exp, body: body.as_bytes() }
    }

    #[test]
    fn a_created_token_opens_its_pipes_with_its_params_until_it_expires() {
        let body = r#"{"name": "sdk", "scopes": [{"type": "PIPES:READ", "resource": "kpis", "fixed_params": {"customer_id": "acme"}}], "limits": {"rps": 5}}"#;
        let created = create_jwt(&world(), request(ADMIN, None, Some("1764000100"), body), NOW).unwrap();
        let token = created["token"].as_str().unwrap();
        assert!(hs256_verify(token, ADMIN.as_bytes()));
        let decoded = DecodedJwt::decode(token).unwrap();
        assert_eq!(
            decoded.claims,
            json!({"workspace_id": "ws-1", "name": "sdk", "exp": 1764000100,
                   "scopes": [{"type": "PIPES:READ", "resource": "kpis", "fixed_params": {"customer_id": "acme"}}],
                   "limits": {"rps": 5}})
        );
        let grant = decide(&world(), token, "kpis", NOW).unwrap();
        assert_eq!(grant.rps, Some(5));
        assert_eq!(grant.fixed_params["customer_id"], "acme");
        assert_eq!(decide(&world(), token, "top_pages", NOW).unwrap_err().status, 403);
        assert_eq!(decide(&world(), token, "kpis", Now::from_seconds(1_764_000_100)).unwrap_err().status, 403);
        // An empty resource is created, and the pipe API then refuses the whole token, as for a self-signed one.
        let body =
            r#"{"scopes": [{"type": "PIPES:READ", "resource": "kpis"}, {"type": "PIPES:READ", "resource": ""}]}"#;
        let created = create_jwt(&world(), request(ADMIN, Some("n"), Some("1764000100"), body), NOW).unwrap();
        assert_eq!(decide(&world(), created["token"].as_str().unwrap(), "kpis", NOW).unwrap_err().status, 403);
    }

    #[test]
    fn refusals_are_tinybirds() {
        let scopes = r#"{"scopes": [{"type": "PIPES:READ", "resource": "kpis"}]}"#;
        let w = world();
        let status = |r: TokenRequest<'_>| create_jwt(&w, r, NOW).unwrap_err().status;
        assert_eq!(status(request("", Some("n"), Some("1764000100"), scopes)), 403);
        assert_eq!(status(request("p.other", Some("n"), Some("1764000100"), scopes)), 403);
        let jwt = create_jwt(&w, request(ADMIN, Some("n"), Some("1764000100"), scopes), NOW).unwrap();
        assert_eq!(status(request(jwt["token"].as_str().unwrap(), Some("n"), Some("1764000100"), scopes)), 403);
        assert_eq!(status(request(ADMIN, Some("n"), None, scopes)), 400);
        assert_eq!(status(request(ADMIN, Some("n"), Some("soon"), scopes)), 400);
        assert_eq!(status(request(ADMIN, Some("n"), Some("1764000000"), scopes)), 400);
        assert_eq!(status(request(ADMIN, None, Some("1764000100"), scopes)), 400);
        assert_eq!(status(request(ADMIN, Some("n"), Some("1764000100"), "[]")), 400);
        assert_eq!(status(request(ADMIN, Some("n"), Some("1764000100"), "{}")), 400);
        for bad in [
            r#"{"scopes": [{"type": "PIPES:READ", "resource": 7}]}"#,
            r#"{"scopes": [{"type": "DATASOURCES:READ", "resource": "x"}]}"#,
            r#"{"scopes": [{"type": "PIPES:READ", "resource": "x", "fixed_params": 1}]}"#,
            r#"{"scopes": [{"type": "PIPES:READ", "resource": "x"}], "limits": {"rps": 0}}"#,
        ] {
            assert_eq!(status(request(ADMIN, Some("n"), Some("1764000100"), bad)), 400, "{bad}");
        }
    }
}
