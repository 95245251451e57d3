//! The Auth0 tenant mock: token endpoint, OIDC discovery, JWKS, Management API users and `/userinfo`,
//! served by one responder with per-case scopes.
//!
//! | endpoint | behaviour |
//! |----------|-----------|
//! | `POST /oauth/token` | `client_credentials` (the M2M app) → Management API token; `authorization_code` → ID token with the flow's custom claims (one use per code): RS256 for the SPA, HS256 with its client secret for the regular web app. JSON or form bodies. |
//! | `GET /.well-known/jwks.json` | the signing key |
//! | `GET /.well-known/openid-configuration` | discovery document |
//! | `GET`/`PATCH /api/v2/users/{id}` | Bearer Management token required (401); `app_metadata` and `user_metadata` merged at the first level, `null` deletes a key |
//! | `GET /userinfo` | Bearer access token from a code exchange: profile and custom claims |
//! | `GET /authorize`, `GET /v2/logout`, refresh tokens, CORS | the browser side, for real single-page apps: [`super::oidc`] |
//!
//! Platform rules the flow goes through ([`Auth0Responder::authorize`]): custom claims with reserved
//! names are dropped silently, and custom claims over 100 KB in total fail the login with
//! `access_denied`.

use super::exchange::{Request, Respond, Response};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use super::scope::{split_scope, ScopeId, Scoped};
use super::signing_key::{SigningKey, KEY_ID};
use super::tenant::{OidcSettings, PendingLogin, RefreshGrant, Tenant};
// The rules the tenant serves, and its applications, under this module's name too (`mocks::auth0::…`).
pub use crate::mocks::auth0_rules::*;

/// The responder for the tenant.
#[derive(Clone, Default)]
pub struct Auth0Responder {
    /// Per-scope tenants.
    pub scopes: Arc<Scoped<Tenant>>,
    base_url: Arc<OnceLock<String>>,
    management_tokens: Arc<Mutex<HashSet<String>>>,
    counter: Arc<AtomicU64>,
    pub(super) oidc: Arc<RwLock<OidcSettings>>,
}

/// An ID token for `client`: RS256 with the tenant's key for the SPA, HS256 with the client secret for the
/// regular web app.
fn sign_id_token(client: &str, claims: &str) -> String {
    if client == WEB_APP_CLIENT_ID {
        // The header jsonwebtoken writes for HS256, as the reference's tokens have it.
        let input = format!("{}.{}", crate::spec::token::HEADER_B64, crate::jwt::b64url(claims.as_bytes()));
        let signature = crate::jwt::hs256_sign(WEB_APP_CLIENT_SECRET.as_bytes(), input.as_bytes())
            .expect("HMAC takes a key of any length");
        return format!("{input}.{signature}");
    }
    let header = format!(r#"{{"alg":"RS256","typ":"JWT","kid":"{KEY_ID}"}}"#);
    SigningKey::get().sign(&header, claims)
}

pub(super) fn json_response(status: u16, body: &Value) -> Response {
    Response::new(status).set_body_raw(body.to_string().into_bytes(), "application/json")
}

pub(super) fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    json_response(status, &json!({"error": error, "error_description": description}))
}

fn management_error(status: u16, error: &str, message: &str, code: &str) -> Response {
    json_response(status, &json!({"statusCode": status, "error": error, "message": message, "errorCode": code}))
}

fn bearer(request: &Request) -> Option<String> {
    let value = request.headers.get("authorization")?.to_str().ok()?;
    value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// Form or JSON body fields as strings.
fn body_fields(request: &Request) -> HashMap<String, String> {
    if let Ok(Value::Object(map)) = json_body(&request.body) {
        return map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect();
    }
    form_urlencoded::parse(&request.body).into_owned().collect()
}

impl Auth0Responder {
    /// Records the server's base URL (the issuer) once it is listening.
    pub fn set_base_url(&self, url: &str) {
        let _ = self.base_url.set(url.trim_end_matches('/').to_owned());
    }

    /// The tenant's issuer: its root URL, the same in every scope (as one tenant is one issuer), which
    /// also lets identical ID tokens of two flows share one signature.
    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url.get().map_or("", String::as_str))
    }

    fn scoped_base(&self, scope: ScopeId) -> String {
        format!("{}{}/", self.base_url.get().map_or("", String::as_str), scope.prefix())
    }

    pub(super) fn next_id(&self, prefix: &str) -> String {
        format!("{prefix}{:016x}", self.counter.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// The user `user_id` of `scope` as the tenant stores it now (after whatever an implementation did
    /// through the Management API), read in process.
    pub fn stored_user(&self, scope: ScopeId, user_id: &str) -> Option<Map<String, Value>> {
        self.scopes.with(scope, |t| t.and_then(|t| t.users.get(user_id)).and_then(Value::as_object).cloned())
    }

    /// Ends a login in `scope` for `user_id` with the custom claims the flow set, as Auth0 does after the
    /// Actions ran: reserved names dropped, the size limit enforced. Returns the authorization code.
    pub fn authorize(&self, scope: ScopeId, user_id: &str, custom_claims: &[(String, Value)], nonce: &str) -> String {
        let (claims, failure) = platform_claims(custom_claims);
        let code = self.next_id("code_");
        let login =
            PendingLogin { user_id: user_id.to_owned(), claims, nonce: nonce.to_owned(), failure, browser: None };
        self.scopes.with_mut(scope, |tenant| {
            if let Some(tenant) = tenant {
                tenant.pending.insert(code.clone(), login);
            }
        });
        code
    }

    /// Ends a refresh-token login in `scope` as [`Auth0Responder::authorize`] ends a code login: returns a
    /// refresh token of `client` for `user_id` whose exchange gives an ID token with these custom claims
    /// (Auth0's platform rules applied), or why the login fails.
    pub fn authorize_refresh(
        &self,
        scope: ScopeId,
        client: &str,
        user_id: &str,
        custom_claims: &[(String, Value)],
    ) -> Result<String, String> {
        let (claims, failure) = platform_claims(custom_claims);
        if let Some(failure) = failure {
            return Err(failure);
        }
        let grant = RefreshGrant {
            client_id: client.to_owned(),
            user_id: user_id.to_owned(),
            claims,
            scope: "openid profile email offline_access".into(),
        };
        Ok(self.keep_refresh_token(scope, grant))
    }

    /// Sets up a password login in `scope` for `user_id`, whose `grant_type=password` exchange gives an ID
    /// token with these custom claims (Auth0's platform rules applied, a failure answered `access_denied`).
    pub fn authorize_password(&self, scope: ScopeId, user_id: &str, custom_claims: &[(String, Value)]) {
        let (claims, failure) = platform_claims(custom_claims);
        let login = PendingLogin { user_id: user_id.to_owned(), claims, nonce: String::new(), failure, browser: None };
        self.scopes.with_mut(scope, |tenant| {
            if let Some(tenant) = tenant {
                tenant.password_logins.insert(user_id.to_owned(), login);
            }
        });
    }

    /// Keeps `grant` under a new refresh token, which it returns.
    pub(super) fn keep_refresh_token(&self, scope: ScopeId, grant: RefreshGrant) -> String {
        let refresh_token = self.next_id("rt_");
        self.scopes.with_mut(scope, |t| {
            if let Some(t) = t {
                t.refresh_tokens.insert(refresh_token.clone(), grant);
            }
        });
        refresh_token
    }

    /// Whether `client_id` (with `client_secret` for the confidential web app) is an application of the
    /// tenant that logs users in.
    fn login_client(client_id: &str, client_secret: &str) -> bool {
        match client_id {
            SPA_CLIENT_ID => true,
            WEB_APP_CLIENT_ID => client_secret == WEB_APP_CLIENT_SECRET,
            _ => false,
        }
    }

    fn token_endpoint(&self, scope: ScopeId, request: &Request) -> Response {
        let fields = body_fields(request);
        let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        match field("grant_type") {
            "client_credentials" => {
                if field("client_id") != M2M_CLIENT_ID || field("client_secret") != M2M_CLIENT_SECRET {
                    return oauth_error(401, "access_denied", "Unauthorized");
                }
                let token = self.next_id("mgmt_");
                self.management_tokens.lock().unwrap_or_else(|p| p.into_inner()).insert(token.clone());
                json_response(
                    200,
                    &json!({"access_token": token, "token_type": "Bearer", "expires_in": 86400, "scope": "read:users update:users"}),
                )
            }
            "authorization_code" => {
                let client = field("client_id").to_owned();
                if !Self::login_client(&client, field("client_secret")) {
                    return oauth_error(401, "access_denied", "Unauthorized");
                }
                // A code is used once, whatever the attempt proves.
                let login = self.scopes.with_mut(scope, |t| t.and_then(|t| t.pending.remove(field("code"))));
                let Some(login) = login else {
                    return oauth_error(403, "invalid_grant", "Invalid authorization code");
                };
                let mut granted = "openid profile email".to_owned();
                if let Some(grant) = &login.browser {
                    if let Err((error, description)) =
                        grant.check(&client, field("redirect_uri"), field("code_verifier"))
                    {
                        return oauth_error(403, error, &description);
                    }
                    granted = grant.scope.clone();
                }
                if let Some(failure) = &login.failure {
                    return oauth_error(403, "access_denied", failure);
                }
                // A browser login that asked for offline_access also gets a refresh token.
                let offline = login.browser.is_some() && granted.split(' ').any(|s| s == "offline_access");
                let refresh = offline.then(|| RefreshGrant {
                    client_id: client.clone(),
                    user_id: login.user_id.clone(),
                    claims: login.claims.clone(),
                    scope: granted.clone(),
                });
                let mut answer = self.issue_tokens(scope, &client, login, &granted);
                if let Some(grant) = refresh {
                    answer["refresh_token"] = json!(self.keep_refresh_token(scope, grant));
                }
                json_response(200, &answer)
            }
            "refresh_token" | "password" if !Self::login_client(field("client_id"), field("client_secret")) => {
                oauth_error(401, "access_denied", "Unauthorized")
            }
            "refresh_token" => self.refresh(scope, field("client_id"), field("refresh_token")),
            "password" => self.password(scope, field("client_id"), &fields),
            other => oauth_error(400, "unsupported_grant_type", &format!("Unsupported grant type: {other}")),
        }
    }

    /// The token response of a login: an access token, and the ID token for `client` with the profile, the
    /// login's nonce and its custom claims.
    pub(super) fn issue_tokens(&self, scope: ScopeId, client: &str, login: PendingLogin, granted: &str) -> Value {
        let issuer = self.issuer();
        let access_token = self.next_id("at_");
        self.scopes.with_mut(scope, |tenant| {
            let Some(tenant) = tenant else { return json!({}) };
            let now = tenant.clock.now().seconds();
            let user = tenant.users.get(&login.user_id).cloned().unwrap_or(Value::Null);
            let mut claims = Map::new();
            claims.insert("iss".into(), issuer.into());
            claims.insert("sub".into(), login.user_id.clone().into());
            claims.insert("aud".into(), client.into());
            claims.insert("iat".into(), now.into());
            claims.insert("exp".into(), (now + ID_TOKEN_LIFETIME).into());
            if !login.nonce.is_empty() {
                claims.insert("nonce".into(), login.nonce.into());
            }
            for profile in ["name", "email", "email_verified", "nickname", "picture"] {
                if let Some(v) = user.get(profile) {
                    claims.insert(profile.into(), v.clone());
                }
            }
            claims.extend(login.claims.clone());
            let id_token = sign_id_token(client, &Value::Object(claims).to_string());
            tenant.sessions.insert(access_token.clone(), (login.user_id, login.claims));
            json!({"access_token": access_token, "id_token": id_token, "token_type": "Bearer", "expires_in": 86400, "scope": granted})
        })
    }

    fn users_endpoint(&self, scope: ScopeId, request: &Request, encoded_id: &str) -> Response {
        let authorized = bearer(request)
            .is_some_and(|t| self.management_tokens.lock().unwrap_or_else(|p| p.into_inner()).contains(&t));
        if !authorized {
            return management_error(401, "Unauthorized", "Missing or invalid authentication", "invalid_token");
        }
        let user_id = percent_encoding::percent_decode_str(encoded_id).decode_utf8_lossy().into_owned();
        let method = request.method.as_str().to_owned();
        let patch = if method == "PATCH" {
            match json_body(&request.body) {
                Ok(Value::Object(p)) => Some(p),
                _ => {
                    return management_error(
                        400,
                        "Bad Request",
                        "Payload validation error: 'Invalid JSON'",
                        "invalid_body",
                    )
                }
            }
        } else {
            None
        };
        self.scopes.with_mut(scope, |tenant| {
            let Some(user) = tenant.and_then(|t| t.users.get_mut(&user_id)) else {
                return management_error(404, "Not Found", "The user does not exist.", "inexistent_user");
            };
            if let Some(patch) = patch {
                for field in ["app_metadata", "user_metadata"] {
                    if let Some(Value::Object(changes)) = patch.get(field) {
                        merge_user_field(user.as_object_mut().expect("users are objects"), field, changes);
                    }
                }
            }
            json_response(200, user)
        })
    }

    fn userinfo(&self, scope: ScopeId, request: &Request) -> Response {
        let Some(token) = bearer(request) else {
            return oauth_error(401, "invalid_token", "Missing access token");
        };
        self.scopes.with(scope, |tenant| {
            let Some((user_id, claims)) = tenant.and_then(|t| t.sessions.get(&token)) else {
                return oauth_error(401, "invalid_token", "Invalid access token");
            };
            let user = tenant.and_then(|t| t.users.get(user_id)).cloned().unwrap_or(Value::Null);
            let mut info = Map::new();
            info.insert("sub".into(), user_id.clone().into());
            for profile in ["name", "email", "email_verified", "nickname", "picture"] {
                if let Some(v) = user.get(profile) {
                    info.insert(profile.into(), v.clone());
                }
            }
            info.extend(claims.clone());
            json_response(200, &Value::Object(info))
        })
    }
}

impl Respond for Auth0Responder {
    fn respond(&self, request: &Request) -> Response {
        let response = self.answer(request);
        self.with_cors(request, response)
    }
}

impl Auth0Responder {
    fn answer(&self, request: &Request) -> Response {
        let (scope, path) = split_scope(request.url.path());
        let method = request.method.as_str();
        match (method, path) {
            ("OPTIONS", _) => super::cors_preflight(request, "GET, POST, PATCH, OPTIONS"),
            ("POST", "/oauth/token") => self.token_endpoint(scope, request),
            ("GET", "/authorize") => self.authorize_endpoint(scope, request),
            ("GET", "/v2/logout") => self.logout(scope, request),
            ("GET", "/.well-known/jwks.json") => json_response(200, &json!({"keys": [SigningKey::get().jwk()]})),
            ("GET", "/.well-known/openid-configuration") => {
                let issuer = self.issuer();
                let base = self.scoped_base(scope);
                json_response(
                    200,
                    &json!({
                        "issuer": issuer,
                        "authorization_endpoint": format!("{base}authorize"),
                        "token_endpoint": format!("{base}oauth/token"),
                        "userinfo_endpoint": format!("{base}userinfo"),
                        "end_session_endpoint": format!("{base}v2/logout"),
                        "jwks_uri": format!("{base}.well-known/jwks.json"),
                        "response_types_supported": ["code"],
                        "response_modes_supported": ["query", "fragment", "web_message"],
                        "code_challenge_methods_supported": ["S256"],
                        "subject_types_supported": ["public"],
                        "id_token_signing_alg_values_supported": ["RS256", "HS256"],
                        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"]
                    }),
                )
            }
            ("GET", "/userinfo") => self.userinfo(scope, request),
            ("GET" | "PATCH", p) if p.starts_with("/api/v2/users/") => {
                let id = &p["/api/v2/users/".len()..];
                self.users_endpoint(scope, request, id)
            }
            _ => management_error(
                404,
                "Not Found",
                &format!("{method} {path} is not an endpoint of this mock"),
                "not_found",
            ),
        }
    }
}

/// A request body as JSON, as deep as the harness reads implementations' output (a deep `app_metadata`
/// is stored, not refused).
fn json_body(body: &[u8]) -> Result<Value, crate::runner::reply_text::ReplyTextError> {
    let text =
        std::str::from_utf8(body).map_err(|e| crate::runner::reply_text::ReplyTextError::NotJson(e.to_string()))?;
    crate::runner::reply_text::parse(text)
}
