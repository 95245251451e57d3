//! The browser side of the Auth0 tenant mock: enough OpenID Connect for a real single-page app
//! (`@auth0/auth0-spa-js`) to log in, with the post-login Action run at each login.
//!
//! | endpoint | behaviour |
//! |----------|-----------|
//! | `GET /authorize` | authorization code with PKCE (`code_challenge_method=S256`, required of the SPA), `state`, `nonce`, `scope`, `audience`; `redirect_uri` must be one of the registered callback URLs (else Auth0's error page, 400); `response_mode` `query` (default), `fragment` or `web_message` (the page auth0-spa-js reads in its hidden iframe); `prompt=none` answers from the browser's session cookie or `login_required`. There is no login form: the configured demo user logs in at once, or the user `login_hint` names (by email or user id; a new one is created for an unknown hint). The post-login Action runs then, and its calls are committed as Auth0 does: metadata merged into the user, custom claims kept for the ID token, a throw sent back as `error=server_error`, `access.deny` as `access_denied`, an implementation that could not run as `server_error` "the Action could not run" (its output, which may hold secrets, never goes to the browser). |
//! | `POST /oauth/token` | besides the harness's own grants: a code from `/authorize` is exchanged once, by the client it was issued to, with the same `redirect_uri` and the `code_verifier` whose S256 is the challenge (`invalid_grant` otherwise, 403); `offline_access` in the scope adds a refresh token; `grant_type=refresh_token` runs the Action again (`transaction.protocol` `oauth2-refresh-token`) and gives new tokens with the claims it set; `grant_type=password` (`username` an email or user id, any non-empty `password`) runs the Action (`oauth2-password`) and gives tokens, with a refresh token under `offline_access`; an Action's throw or `access.deny` on these grants is a 403 `access_denied` |
//! | `GET /v2/logout` | ends the browser's session; `returnTo` must be a registered URL (400 otherwise) |
//! | `OPTIONS` any path | CORS preflight: allowed for the registered callbacks' origins |
//!
//! Answers to a registered origin carry `Access-Control-Allow-Origin` with that origin, as Auth0's
//! "Allowed Web Origins" do. Errors are Auth0's: `{"error", "error_description"}` on the token endpoint,
//! `error`/`error_description`/`state` on the redirect.

use super::exchange::{Request, Response};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

use super::auth0::{oauth_error, Auth0Responder};
use super::scope::ScopeId;
pub use super::tenant::{ActionLogin, LoginAction, OidcSettings};
use super::tenant::{BrowserGrant, PendingLogin, RefreshGrant};
use crate::clock::Now;
use crate::event::Grant;
use crate::mocks::auth0_rules::{merge_user_field, platform_claims, Commits, SPA_CLIENT_ID, WEB_APP_CLIENT_ID};

/// The `error_description` of a login whose Action could not run (crashed, hung, broke the protocol).
pub const ACTION_DID_NOT_RUN: &str = "the Action could not run";

/// The name of the browser's session cookie on the tenant.
pub const SESSION_COOKIE: &str = "tbjwt_auth0_session";

fn query(request: &Request) -> HashMap<String, String> {
    request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn html_page(status: u16, title: &str, body: &str) -> Response {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head><body><h1>{}</h1><p>{}</p></body></html>",
        escape(title),
        escape(title),
        escape(body)
    );
    Response::new(status).set_body_raw(page.into_bytes(), "text/html; charset=utf-8")
}

/// Where and how `/authorize` answers once the client and the redirect URI are trusted.
struct Reply {
    redirect_uri: String,
    response_mode: String,
    state: Option<String>,
}

impl Reply {
    /// The answer carrying `fields` (a code, or an error) back to the app.
    fn send(&self, mut fields: Vec<(String, String)>, cookie: Option<String>) -> Response {
        if let Some(state) = &self.state {
            fields.push(("state".into(), state.clone()));
        }
        let response = if self.response_mode == "web_message" {
            // What auth0-spa-js's hidden iframe waits for: a message to its parent, from the tenant's origin.
            let response: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            let message = json!({"type": "authorization_response", "response": response}).to_string();
            let target = OidcSettings::origin_of(&self.redirect_uri).unwrap_or_else(|| "*".into());
            let script = format!(
                "(window.opener || window.parent).postMessage({}, {});",
                message.replace('<', "\\u003c"),
                Value::String(target)
            );
            let page = format!("<!doctype html><html><head><title>Authorization Response</title></head><body><script>{script}</script></body></html>");
            Response::new(200).set_body_raw(page.into_bytes(), "text/html; charset=utf-8")
        } else {
            let encoded: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
            let separator = match (self.response_mode.as_str(), self.redirect_uri.contains('?')) {
                ("fragment", _) => '#',
                (_, true) => '&',
                (_, false) => '?',
            };
            Response::new(302).insert_header("location", format!("{}{separator}{encoded}", self.redirect_uri))
        };
        match cookie {
            Some(cookie) => response.insert_header("set-cookie", cookie),
            None => response,
        }
    }

    fn error(&self, error: &str, description: &str) -> Response {
        self.send(vec![("error".into(), error.into()), ("error_description".into(), description.into())], None)
    }
}

fn session_of(request: &Request) -> Option<String> {
    let cookies = request.headers.get("cookie")?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix(&format!("{SESSION_COOKIE}=")).map(str::to_owned))
}

impl Auth0Responder {
    /// Sets what the tenant knows about its browser clients (callbacks, the default user, the Action).
    pub fn configure_browser_logins(&self, settings: OidcSettings) {
        *self.oidc.write().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    fn oidc_settings(&self) -> std::sync::RwLockReadGuard<'_, OidcSettings> {
        self.oidc.read().unwrap_or_else(|p| p.into_inner())
    }

    /// `response` with the CORS header for the request's origin, when that origin is allowed (every answer of
    /// the tenant goes through here, preflights included).
    pub(super) fn with_cors(&self, request: &Request, response: Response) -> Response {
        let Some(origin) = request.headers.get("origin").and_then(|o| o.to_str().ok()) else { return response };
        if !self.oidc_settings().allows_origin(origin) {
            return response;
        }
        response
            .insert_header("access-control-allow-origin", origin)
            .insert_header("access-control-allow-credentials", "true")
            .insert_header("vary", "Origin")
    }

    /// `GET /authorize`.
    pub(super) fn authorize_endpoint(&self, scope: ScopeId, request: &Request) -> Response {
        let params = query(request);
        let param = |k: &str| params.get(k).cloned().unwrap_or_default();
        // A copy: the Action may run for seconds, and configuring must not wait for it.
        let settings = self.oidc_settings().clone();
        let client_id = param("client_id");
        if client_id != SPA_CLIENT_ID && client_id != WEB_APP_CLIENT_ID {
            return html_page(400, "invalid_request", &format!("Unknown client: {client_id}"));
        }
        let redirect_uri = param("redirect_uri");
        if !settings.allows_url(&redirect_uri) {
            return html_page(
                400,
                "Callback URL mismatch",
                &format!(
                    "The provided redirect_uri is not in the list of allowed callback URLs: {redirect_uri}. Allowed: {}",
                    settings.callbacks.join(", ")
                ),
            );
        }
        let reply = Reply {
            redirect_uri,
            response_mode: if param("response_mode").is_empty() { "query".into() } else { param("response_mode") },
            state: params.get("state").cloned(),
        };
        if !["query", "fragment", "web_message"].contains(&reply.response_mode.as_str()) {
            return reply.error("invalid_request", &format!("Unsupported response_mode: {}", reply.response_mode));
        }
        if param("response_type") != "code" {
            return reply.error("unsupported_response_type", "Unsupported response type: only code is served");
        }
        let challenge = params.get("code_challenge").cloned();
        match (challenge.as_deref(), param("code_challenge_method").as_str()) {
            (Some(_), "S256") => {}
            (Some(_), method) => {
                return reply.error("invalid_request", &format!("Unsupported code_challenge_method: {method}"))
            }
            (None, _) if client_id == SPA_CLIENT_ID => {
                return reply.error("invalid_request", "code_challenge is required: a single-page app must use PKCE")
            }
            (None, _) => {}
        }
        let session = session_of(request);
        let now = self.scope_now(scope);
        let user_id = if param("prompt") == "none" {
            let known = session
                .as_ref()
                .and_then(|s| self.scopes.with(scope, |t| t.and_then(|t| t.browser_sessions.get(s).cloned())));
            match known {
                Some(user) => user,
                None => return reply.error("login_required", "Login required"),
            }
        } else {
            match self.login_user(scope, &param("login_hint"), settings.default_user.as_deref()) {
                Some(user) => user,
                None => return reply.error("access_denied", "No user to log in: give a login_hint"),
            }
        };
        let (claims, failure) =
            match self.run_login_action(scope, &settings, &user_id, &client_id, Grant::AuthorizationCode, now) {
                Ok(done) => done,
                Err((error, description)) => return reply.error(&error, &description),
            };
        if let Some(failure) = failure {
            return reply.error("access_denied", &failure);
        }
        let code = self.next_id("code_");
        let session = session.unwrap_or_else(|| self.next_id("session_"));
        let mut scope_granted = param("scope");
        if scope_granted.is_empty() {
            scope_granted = "openid".into();
        }
        let login = PendingLogin {
            user_id: user_id.clone(),
            claims,
            nonce: param("nonce"),
            failure: None,
            browser: Some(BrowserGrant {
                client_id,
                redirect_uri: reply.redirect_uri.clone(),
                code_challenge: challenge,
                scope: scope_granted,
            }),
        };
        self.scopes.with_mut(scope, |tenant| {
            if let Some(tenant) = tenant {
                tenant.pending.insert(code.clone(), login);
                tenant.browser_sessions.insert(session.clone(), user_id);
            }
        });
        let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
        reply.send(vec![("code".into(), code)], Some(cookie))
    }

    /// The user a login is for: the one `hint` names by email or id (created when unknown), else the default.
    fn login_user(&self, scope: ScopeId, hint: &str, default_user: Option<&str>) -> Option<String> {
        let hint = hint.trim();
        self.scopes.with_mut(scope, |tenant| {
            let tenant = tenant?;
            if hint.is_empty() {
                return default_user.filter(|u| tenant.users.contains_key(*u)).map(str::to_owned);
            }
            let found = tenant
                .users
                .iter()
                .find(|(id, user)| id.as_str() == hint || user.get("email").and_then(Value::as_str) == Some(hint));
            if let Some((id, _)) = found {
                return Some(id.clone());
            }
            let local: String =
                hint.chars().map(|c| if c.is_ascii_alphanumeric() || "._-@".contains(c) { c } else { '_' }).collect();
            let id = format!("auth0|{local}");
            let mut user =
                json!({"user_id": id, "app_metadata": {}, "user_metadata": {}, "name": hint, "nickname": hint});
            if hint.contains('@') {
                user["email"] = json!(hint);
                user["email_verified"] = json!(true);
            }
            tenant.users.insert(id.clone(), user);
            Some(id)
        })
    }

    /// Runs the configured Action for `user_id` and commits its calls: metadata merged into the user, the
    /// custom claims Auth0 keeps, and the login's failure if any. `Err` when the Action threw, denied or
    /// could not run. Without a configured Action, no claims.
    #[allow(clippy::type_complexity)]
    fn run_login_action(
        &self,
        scope: ScopeId,
        settings: &OidcSettings,
        user_id: &str,
        client_id: &str,
        grant: Grant,
        now: Now,
    ) -> Result<(Map<String, Value>, Option<String>), (String, String)> {
        let Some(action) = &settings.login_action else { return Ok((Map::new(), None)) };
        let user = self.scopes.with(scope, |t| t.and_then(|t| t.users.get(user_id).cloned())).unwrap_or(Value::Null);
        let login = ActionLogin { user: &user, client_id, grant, now };
        let outcome = action.run(&login).ok_or_else(|| ("server_error".to_owned(), ACTION_DID_NOT_RUN.to_owned()))?;
        let commits = Commits::of(&outcome);
        if let Some((error, description)) = commits.failure {
            return Err((error, description));
        }
        self.scopes.with_mut(scope, |tenant| {
            let Some(user) = tenant.and_then(|t| t.users.get_mut(user_id)).and_then(Value::as_object_mut) else {
                return;
            };
            for (field, patch) in [("app_metadata", &commits.app_metadata), ("user_metadata", &commits.user_metadata)] {
                if !patch.is_empty() {
                    merge_user_field(user, field, patch);
                }
            }
        });
        Ok(platform_claims(&commits.claims))
    }

    /// `grant_type=refresh_token`: the post-login Action runs again (`oauth2-refresh-token`) and the new
    /// ID token carries the claims it set now; without a configured Action, the claims the refresh token
    /// was issued with (what the harness's flow set for this login).
    pub(super) fn refresh(&self, scope: ScopeId, client_id: &str, refresh_token: &str) -> Response {
        let grant = self.scopes.with(scope, |t| t.and_then(|t| t.refresh_tokens.get(refresh_token).cloned()));
        let Some(grant) = grant.filter(|g| g.client_id == client_id) else {
            return oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.");
        };
        let settings = self.oidc_settings().clone();
        let claims = if settings.login_action.is_some() {
            match self.claims_at_token_grant(scope, &settings, &grant.user_id, client_id, Grant::RefreshToken) {
                Ok(claims) => claims,
                Err((error, description)) => return oauth_error(403, &error, &description),
            }
        } else {
            grant.claims.clone()
        };
        let login =
            PendingLogin { user_id: grant.user_id.clone(), claims, nonce: String::new(), failure: None, browser: None };
        let mut answer = self.issue_tokens(scope, client_id, login, &grant.scope);
        answer["refresh_token"] = json!(refresh_token);
        super::auth0::json_response(200, &answer)
    }

    /// `grant_type=password`: the user `username` names (by email or id) logs in with any non-empty
    /// password; the post-login Action runs (`oauth2-password`); `offline_access` adds a refresh token.
    /// Without a configured Action, the claims the harness's flow set for this user's login
    /// ([`Auth0Responder::authorize_password`]).
    pub(super) fn password(&self, scope: ScopeId, client_id: &str, fields: &HashMap<String, String>) -> Response {
        let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
        let username = field("username").trim();
        let user_id = self.scopes.with(scope, |t| {
            let t = t?;
            t.users
                .iter()
                .find(|(id, u)| {
                    !username.is_empty()
                        && (id.as_str() == username || u.get("email").and_then(Value::as_str) == Some(username))
                })
                .map(|(id, _)| id.clone())
        });
        let (Some(user_id), false) = (user_id, field("password").is_empty()) else {
            return oauth_error(403, "invalid_grant", "Wrong email or password.");
        };
        let settings = self.oidc_settings().clone();
        let registered = self.scopes.with_mut(scope, |t| t.and_then(|t| t.password_logins.remove(&user_id)));
        let claims = if settings.login_action.is_some() {
            match self.claims_at_token_grant(scope, &settings, &user_id, client_id, Grant::Password) {
                Ok(claims) => claims,
                Err((error, description)) => return oauth_error(403, &error, &description),
            }
        } else {
            match registered {
                Some(PendingLogin { failure: Some(failure), .. }) => {
                    return oauth_error(403, "access_denied", &failure)
                }
                Some(login) => login.claims,
                None => Map::new(),
            }
        };
        let mut scope_granted = field("scope").to_owned();
        if scope_granted.is_empty() {
            scope_granted = "openid profile email".into();
        }
        let offline = scope_granted.split(' ').any(|s| s == "offline_access");
        let refresh = offline.then(|| RefreshGrant {
            client_id: client_id.to_owned(),
            user_id: user_id.clone(),
            claims: claims.clone(),
            scope: scope_granted.clone(),
        });
        let login = PendingLogin { user_id, claims, nonce: String::new(), failure: None, browser: None };
        let mut answer = self.issue_tokens(scope, client_id, login, &scope_granted);
        if let Some(grant) = refresh {
            answer["refresh_token"] = json!(self.keep_refresh_token(scope, grant));
        }
        super::auth0::json_response(200, &answer)
    }

    /// The custom claims of a token grant's login, the configured Action run and committed at the tenant's
    /// clock, or the `error` and `error_description` of the token endpoint's 403 when it threw, denied,
    /// could not run, or set claims over the limit.
    fn claims_at_token_grant(
        &self,
        scope: ScopeId,
        settings: &OidcSettings,
        user_id: &str,
        client_id: &str,
        grant: Grant,
    ) -> Result<Map<String, Value>, (String, String)> {
        match self.run_login_action(scope, settings, user_id, client_id, grant, self.scope_now(scope))? {
            (claims, None) => Ok(claims),
            (_, Some(failure)) => Err(("access_denied".into(), failure)),
        }
    }

    /// The clock of `scope`'s tenant (the wall clock when it has none).
    fn scope_now(&self, scope: ScopeId) -> Now {
        self.scopes.with(scope, |t| t.map(|t| t.clock.now())).unwrap_or_else(|| super::Clock::Wall.now())
    }

    /// `GET /v2/logout`: the session ends; back to `returnTo` when it is allowed.
    pub(super) fn logout(&self, scope: ScopeId, request: &Request) -> Response {
        if let Some(session) = session_of(request) {
            self.scopes.with_mut(scope, |t| {
                if let Some(t) = t {
                    t.browser_sessions.remove(&session);
                }
            });
        }
        let cleared = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
        let params = query(request);
        match params.get("returnTo").map(String::as_str) {
            None => html_page(200, "Logged out", "You are logged out of the tenant.").insert_header("set-cookie", cleared),
            Some(url) if self.oidc_settings().allows_url(url) => {
                Response::new(302).insert_header("location", url).insert_header("set-cookie", cleared)
            }
            Some(url) => html_page(
                400,
                "invalid_request",
                &format!("The \"returnTo\" querystring parameter \"{url}\" is not defined as a valid URL in \"Allowed Logout URLs\"."),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_base64url_of_the_verifiers_sha256() {
        // The challenge computed independently (Python: urlsafe_b64encode(sha256(verifier)) without padding).
        let grant = BrowserGrant {
            client_id: SPA_CLIENT_ID.into(),
            redirect_uri: "http://127.0.0.1:3000/".into(),
            code_challenge: Some("JCVgc4gcOKYuuO3hgKBXNYtGwUbADeE8X_cFUxbeH8o".into()),
            scope: "openid".into(),
        };
        let verifier = "dBjftJeZ4CVP-mJ92aXtaxkL-xCW3xfhoL-wKU_NXow";
        assert_eq!(grant.check(SPA_CLIENT_ID, "http://127.0.0.1:3000/", verifier), Ok(()));
        assert_eq!(
            grant.check(SPA_CLIENT_ID, "http://127.0.0.1:3000/", "other").unwrap_err().1,
            "Failed PKCE verification"
        );
        assert!(grant.check(SPA_CLIENT_ID, "http://evil.example/", verifier).is_err());
        assert!(grant.check(WEB_APP_CLIENT_ID, "http://127.0.0.1:3000/", verifier).is_err());
    }

    #[test]
    fn web_origins_are_the_callbacks_origins() {
        let settings =
            OidcSettings { callbacks: vec!["http://127.0.0.1:5173/callback?x=1".into()], ..OidcSettings::default() };
        assert!(settings.allows_origin("http://127.0.0.1:5173"));
        assert!(!settings.allows_origin("http://127.0.0.1:5174"));
        assert!(settings.allows_url("http://127.0.0.1:5173/callback?x=1"));
        assert!(!settings.allows_url("http://127.0.0.1:5173/"));
    }
}
