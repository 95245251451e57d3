//! One login flow per case (docs/design.md): run the implementation against scoped mocks, commit its calls
//! to the Auth0 mock as Auth0 does at the end of a flow, act as the browser (exchange the code, verify
//! the ID token against the JWKS, read `https://app.tinybird.co`), and call the Tinybird mock for every
//! configured pipe plus decoys.
//!
//! The flow is split so that runners can pipeline: [`FlowClient::prepare`] opens a case's scope and
//! gives the `mocks` URLs; the implementation runs (alone or in a batch); [`FlowClient::observe`] plays
//! the rest and closes the scope.

pub use crate::observation::{
    IdTokenObservation, Login, Observation, SecurityFinding, SecurityKind, TokenObservation, TokenSource,
};

use crate::clock::Now;
use crate::event::Grant;
use serde_json::{json, Map, Value};
use std::time::Duration;

use crate::jwt::{hs256_verify, DecodedJwt};
use crate::mocks::auth0_rules::{
    Commits, M2M_CLIENT_ID, M2M_CLIENT_SECRET, SPA_CLIENT_ID, WEB_APP_CLIENT_ID, WEB_APP_CLIENT_SECRET,
};
use crate::mocks::tinybird::Workspace;
use crate::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use crate::outcome::Outcome;
use crate::review::looks_like_jwt;
use crate::runner::protocol::MockUrls;
use crate::runner::{RunRequest, RunResult, Runner};
use crate::spec::{CLAIM_NAME, METADATA_KEY};

pub mod model;
pub(crate) mod secrets;

/// A pipe that exists in every case's workspace but is never configured: a token must not open it.
pub const DECOY_PIPE: &str = "tbjwt_decoy_private_pipe";
/// At most this many configured pipes are called per case (the first ones, in order).
pub const MAX_PIPES_CALLED: usize = 16;

/// What a case's world holds, from its event alone: the tenant's user, the Tinybird workspace (the
/// configured pipes and a decoy), the pipes the browser calls, and the secrets to follow.
#[derive(Debug, Clone)]
pub struct CaseWorld {
    /// How the user logs in (the event's `transaction.protocol`; the code login when it names no other).
    grant: Grant,
    user_id: String,
    user: Map<String, Value>,
    admin_token: Option<String>,
    secrets: Vec<secrets::Secret>,
    pipes: Vec<String>,
    workspaces: Vec<Workspace>,
}

impl CaseWorld {
    /// The world of `event`; `fallback_user_id` names the user when the event's user has no `user_id`.
    pub fn of(event: &Value, fallback_user_id: impl FnOnce() -> String) -> CaseWorld {
        let user_id =
            event.pointer("/user/user_id").and_then(Value::as_str).map_or_else(fallback_user_id, str::to_owned);
        let mut user = match event.get("user") {
            Some(Value::Object(u)) => u.clone(),
            _ => Map::new(),
        };
        user.insert("user_id".into(), user_id.clone().into());
        if !user.get("app_metadata").is_some_and(Value::is_object) {
            user.insert("app_metadata".into(), json!({}));
        }
        let admin_token =
            event.pointer(crate::spec::keys::ADMIN_TOKEN_POINTER).and_then(Value::as_str).map(str::to_owned);
        let pipes = configured_pipes(event);
        let mut workspaces = Vec::new();
        if let Some(id) = event.pointer(crate::spec::keys::WORKSPACE_ID_POINTER).and_then(Value::as_str) {
            let mut names: Vec<&str> = pipes.iter().map(String::as_str).collect();
            names.push(DECOY_PIPE);
            workspaces.push(Workspace::new(id, admin_token.as_deref().unwrap_or(""), &names));
        }
        let grant = event
            .pointer("/transaction/protocol")
            .and_then(Value::as_str)
            .and_then(Grant::of_protocol)
            .unwrap_or(Grant::AuthorizationCode);
        CaseWorld { grant, user_id, user, admin_token, secrets: secrets::secrets_of(event), pipes, workspaces }
    }
}

/// A case's scope, opened and waiting for the implementation's result.
#[derive(Debug, Clone)]
pub struct PreparedCase {
    /// The per-case namespace of the mocks this case plays in.
    pub scope: ScopeId,
    /// The scope's URLs: given to the implementation, and used by the flow's own requests over HTTP.
    pub urls: MockUrls,
    now: Now,
    world: CaseWorld,
}

/// The ID token's claims that are neither standard nor profile claims.
const STANDARD_CLAIMS: [&str; 11] =
    ["iss", "sub", "aud", "iat", "exp", "nonce", "name", "email", "email_verified", "nickname", "picture"];

/// Where the browser finds the Tinybird JWT: the ID token's claim first, else the stored metadata.
fn found_token(id_token: Option<&IdTokenObservation>, app_metadata: &Value) -> Option<(TokenSource, String)> {
    let from_claim = id_token.and_then(|t| t.custom_claims.get(CLAIM_NAME)).and_then(Value::as_str);
    let from_metadata = app_metadata.get(METADATA_KEY).and_then(Value::as_str);
    match (from_claim, from_metadata) {
        (Some(t), _) => Some((TokenSource::IdToken, t.to_owned())),
        (None, Some(t)) => Some((TokenSource::AppMetadata, t.to_owned())),
        _ => None,
    }
}

/// The found token, decoded, with the access matrix `status` gives (every configured pipe, then the
/// decoy).
/// `status` is given the pipe, the raw token and what [`DecodedJwt::decode`] made of it (decoded once).
fn token_and_access<E>(
    world: &CaseWorld,
    found: Option<(TokenSource, String)>,
    mut status: impl FnMut(&str, &str, &Result<DecodedJwt, crate::jwt::JwtDecodeError>) -> Result<u16, E>,
) -> Result<(Option<TokenObservation>, Map<String, Value>), E> {
    let mut access = Map::new();
    let Some((source, raw)) = found else { return Ok((None, access)) };
    let decoded = decoded_once(&raw);
    for pipe in world.pipes.iter().map(String::as_str).chain([DECOY_PIPE]) {
        access.insert(pipe.to_owned(), status(pipe, &raw, &decoded)?.into());
    }
    let decoded = decoded.ok();
    let token = TokenObservation {
        source,
        header: decoded.as_ref().map_or(Value::Null, |d| d.header.clone()),
        claims: decoded.as_ref().map_or(Value::Null, |d| d.claims.clone()),
        signature_valid: world.admin_token.as_deref().is_some_and(|k| hs256_verify(&raw, k.as_bytes())),
        raw,
    };
    Ok((Some(token), access))
}

/// [`DecodedJwt::decode`] of `raw`, remembered for the thread's next call: `check` observes both sides of
/// a case in turn, and a conforming implementation's token is the reference's, byte for byte.
fn decoded_once(raw: &str) -> Result<DecodedJwt, crate::jwt::JwtDecodeError> {
    type Last = Option<(String, Result<DecodedJwt, crate::jwt::JwtDecodeError>)>;
    thread_local! {
        static LAST: std::cell::RefCell<Last> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((token, decoded)) if token == raw => decoded.clone(),
        _ => {
            let decoded = DecodedJwt::decode(raw);
            *last = Some((raw.to_owned(), decoded.clone()));
            decoded
        }
    })
}

/// Whether a browser can send `token` in an `Authorization` header at all (`fetch` refuses controls and
/// non-Latin-1 characters); the status of a pipe call it cannot make is 0.
fn sendable_in_a_header(token: &str) -> bool {
    token.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// The application of the tenant a flow logs in through. Both see the same login (the same user, custom
/// claims and platform rules); they differ in how the ID token is signed and so verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginClient {
    /// The regular web application: exchanges the code with its client secret, and its ID tokens are
    /// HS256 under that secret. The default: an HMAC costs microseconds.
    WebApp,
    /// The single-page application: a public client whose ID tokens are RS256, verified against the
    /// tenant's JWKS, as a browser SDK would (an RSA signature costs the mock half a millisecond).
    Spa,
}

/// How a [`FlowClient`] plays the browser's and back office's side of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Playing {
    /// In process: the mocks' state read directly, and the rules they serve applied to it
    /// ([`model::observe_in`]); no request. What `check` does.
    InProcess,
    /// Over HTTP, as a browser logging in through this application would (the proof that the rules the
    /// mocks serve are the ones [`Playing::InProcess`] applies).
    OverHttp(LoginClient),
}

/// The browser and back-office side of flows, bound to running mocks. One per thread.
pub struct FlowClient<'m> {
    mocks: &'m MockServers,
    agent: ureq::Agent,
    playing: Playing,
    management_token: Option<String>,
    jwks: Option<jsonwebtoken::DecodingKey>,
}

fn configured_pipes(event: &Value) -> Vec<String> {
    let mut pipes: Vec<String> = Vec::new();
    if let Some(names) = event.pointer(crate::spec::keys::PIPE_NAMES_POINTER).and_then(Value::as_str) {
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !pipes.iter().any(|p| p == name) && pipes.len() < MAX_PIPES_CALLED {
                pipes.push(name.to_owned());
            }
        }
    }
    pipes
}

fn percent(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A failure talking to the mocks (a harness error, not the implementation's).
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The request did not get an answer.
    #[error("talking to the mocks: {request}: {source}")]
    Request {
        /// Method and URL.
        request: String,
        /// What the HTTP client says.
        source: Box<ureq::Error>,
    },
    /// The mock answered with an unexpected status.
    #[error("talking to the mocks: {request}: HTTP {status} {body}")]
    Refused {
        /// What was asked (method and URL, or what for).
        request: String,
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        body: Value,
    },
    /// The answer's body is unreadable or not JSON.
    #[error("talking to the mocks: {url}: {problem}")]
    Body {
        /// The URL.
        url: String,
        /// What is wrong with the body.
        problem: String,
    },
    /// The JWKS cannot give a key to verify ID tokens with.
    #[error("talking to the mocks: the JWKS {0}")]
    Jwks(String),
}

fn request_failed(request: String) -> impl FnOnce(ureq::Error) -> FlowError {
    move |e| FlowError::Request { request, source: Box::new(e) }
}

impl<'m> FlowClient<'m> {
    /// A client for `mocks` that plays flows in process ([`Playing::InProcess`]).
    pub fn new(mocks: &'m MockServers) -> FlowClient<'m> {
        FlowClient::playing(mocks, Playing::InProcess)
    }

    /// A client for `mocks` that logs in over HTTP through `login_client`.
    pub fn logging_in_through(mocks: &'m MockServers, login_client: LoginClient) -> FlowClient<'m> {
        FlowClient::playing(mocks, Playing::OverHttp(login_client))
    }

    /// A client for `mocks` that plays flows as `playing` says.
    pub fn playing(mocks: &'m MockServers, playing: Playing) -> FlowClient<'m> {
        let agent = crate::http_agent::agent(
            ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(10)))
                .http_status_as_error(false)
                .max_idle_connections_per_host(8)
                .build(),
        );
        FlowClient { mocks, agent, playing, management_token: None, jwks: None }
    }

    /// The application an HTTP flow logs in through (the web app's rules, for an in-process one).
    fn login_client(&self) -> LoginClient {
        match self.playing {
            Playing::InProcess => LoginClient::WebApp,
            Playing::OverHttp(client) => client,
        }
    }

    /// Opens a scope for `event` at `now`: a tenant with the event's user, and a Tinybird workspace
    /// named by the event's configuration, holding its pipes and a decoy.
    pub fn prepare(&self, event: &Value, now: Now) -> PreparedCase {
        let scope = self.mocks.new_scope();
        let world = CaseWorld::of(event, || format!("auth0|tbjwt-case-{}", scope.0));
        let clock = Clock::Fixed(now);
        let tenant = Tenant::new([Value::Object(world.user.clone())], clock);
        self.mocks.open_scope(scope, tenant, TinybirdScope { workspaces: world.workspaces.clone(), clock });
        PreparedCase { scope, urls: self.mocks.urls(scope), now, world }
    }

    /// Runs one case through `runner` and the whole flow.
    pub fn run(&mut self, runner: &mut dyn Runner, event: &Value, now: Now) -> Result<Observation, FlowError> {
        let prepared = self.prepare(event, now);
        let result = runner.run(&RunRequest { now, event, mocks: Some(&prepared.urls), instance: None });
        self.observe(prepared, result)
    }

    /// Plays the rest of the flow for a prepared case, then closes its scope.
    pub fn observe(&mut self, case: PreparedCase, result: RunResult) -> Result<Observation, FlowError> {
        let observation = match (result, self.playing) {
            (Ok(outcome), Playing::InProcess) => self.flow_in_process(&case, outcome),
            (Ok(outcome), Playing::OverHttp(_)) => self.flow(&case, outcome),
            (Err(errored), _) => Ok(Observation::errored(errored.message)),
        };
        self.mocks.close_scope(case.scope);
        observation
    }

    /// The flow of a prepared case in process: the scope's state as the implementation left it (the
    /// stored user, the rate budget its own pipe calls spent), with the mocks' rules applied to it. A user
    /// the tenant no longer holds is the harness's failure, as the HTTP flow's 404 would be.
    fn flow_in_process(&self, case: &PreparedCase, outcome: Outcome) -> Result<Observation, FlowError> {
        let world = &case.world;
        let user = self.mocks.auth0.stored_user(case.scope, &world.user_id).ok_or_else(|| FlowError::Refused {
            request: format!("reading the user {} of case scope {}", world.user_id, case.scope.0),
            status: 404,
            body: Value::Null,
        })?;
        let state = model::WorldState { world, user, spent: self.mocks.tinybird.spent(case.scope, case.now.seconds()) };
        Ok(model::observe_in(state, case.now, &case.urls, outcome))
    }

    fn flow(&mut self, case: &PreparedCase, outcome: Outcome) -> Result<Observation, FlowError> {
        let Commits { app_metadata: app_metadata_patch, user_metadata: user_metadata_patch, claims, failure } =
            Commits::of(&outcome);
        let login_failure = failure;
        let mut login = Login::Succeeded;
        let mut id_token = None;
        let mut stored = None;
        if let Some((error, error_description)) = login_failure {
            login = Login::Failed { error, error_description };
        } else {
            if !app_metadata_patch.is_empty() || !user_metadata_patch.is_empty() {
                let mut body = Map::new();
                if !app_metadata_patch.is_empty() {
                    body.insert("app_metadata".into(), Value::Object(app_metadata_patch));
                }
                if !user_metadata_patch.is_empty() {
                    body.insert("user_metadata".into(), Value::Object(user_metadata_patch));
                }
                stored = Some(self.management("PATCH", case, Some(Value::Object(body)))?);
            }
            let (client_id, client_secret) = match self.login_client() {
                LoginClient::WebApp => (WEB_APP_CLIENT_ID, Some(WEB_APP_CLIENT_SECRET)),
                LoginClient::Spa => (SPA_CLIENT_ID, None),
            };
            // The token request of the login's grant, the Action's claims set up for it as Auth0 holds them.
            let auth0 = &self.mocks.auth0;
            let (scope, user_id) = (case.scope, case.world.user_id.as_str());
            let mut fields: Vec<(&str, String)> = match case.world.grant {
                Grant::AuthorizationCode => {
                    let code = auth0.authorize(scope, user_id, &claims, "tbjwt-nonce");
                    vec![("grant_type", "authorization_code".into()), ("code", code)]
                }
                Grant::RefreshToken => match auth0.authorize_refresh(scope, client_id, user_id, &claims) {
                    Ok(token) => vec![("grant_type", "refresh_token".into()), ("refresh_token", token)],
                    Err(description) => {
                        login = Login::Failed { error: "access_denied".into(), error_description: description };
                        Vec::new()
                    }
                },
                Grant::Password => {
                    auth0.authorize_password(scope, user_id, &claims);
                    let password = "a-made-up-password".to_owned();
                    vec![("grant_type", "password".into()), ("username", user_id.to_owned()), ("password", password)]
                }
            };
            if !fields.is_empty() {
                fields.push(("client_id", client_id.into()));
                fields.extend(client_secret.map(|secret| ("client_secret", secret.to_owned())));
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, body) = self.post_form(&format!("{}/oauth/token", case.urls.auth0), &fields)?;
                if status == 200 {
                    let token = body.get("id_token").and_then(Value::as_str).unwrap_or_default().to_owned();
                    id_token = Some(self.verify_id_token(case, &token)?);
                } else {
                    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                    login = Login::Failed { error: text("error"), error_description: text("error_description") };
                }
            }
        }
        let stored = match stored {
            Some(user) => user, // the PATCH answer is the stored user
            None => self.management("GET", case, None)?,
        };
        let app_metadata = stored.get("app_metadata").cloned().unwrap_or(Value::Null);

        let found = found_token(id_token.as_ref(), &app_metadata);
        let (tinybird_jwt, access) =
            token_and_access(&case.world, found, |pipe, raw, _| self.tinybird_status(case, pipe, raw))?;
        let security = security_findings(&case.world, &case.urls, &outcome, tinybird_jwt.as_ref(), &access);
        Ok(Observation {
            outcome: Some(outcome),
            errored: None,
            login,
            app_metadata,
            id_token,
            tinybird_jwt,
            access,
            security,
        })
    }

    fn post_form(&self, url: &str, fields: &[(&str, &str)]) -> Result<(u16, Value), FlowError> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let response = self
            .agent
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .send(body.as_bytes())
            .map_err(request_failed(format!("POST {url}")))?;
        read_json(url, response)
    }

    fn management_token(&mut self, auth0: &str) -> Result<String, FlowError> {
        if let Some(token) = &self.management_token {
            return Ok(token.clone());
        }
        let (status, body) = self.post_form(
            &format!("{auth0}/oauth/token"),
            &[("grant_type", "client_credentials"), ("client_id", M2M_CLIENT_ID), ("client_secret", M2M_CLIENT_SECRET)],
        )?;
        let token = body.get("access_token").and_then(Value::as_str).filter(|_| status == 200);
        let refused = || FlowError::Refused { request: "client credentials".into(), status, body: body.clone() };
        let token = token.ok_or_else(refused)?;
        self.management_token = Some(token.to_owned());
        Ok(token.to_owned())
    }

    fn management(&mut self, method: &str, case: &PreparedCase, body: Option<Value>) -> Result<Value, FlowError> {
        let token = self.management_token(&self.mocks.urls(ScopeId::DEFAULT).auth0)?;
        let url = format!("{}/api/v2/users/{}", case.urls.auth0, percent(&case.world.user_id));
        let auth = format!("Bearer {token}");
        let response = match body {
            Some(body) => self
                .agent
                .patch(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(body.to_string().as_bytes()),
            None => self.agent.get(&url).header("authorization", &auth).call(),
        }
        .map_err(request_failed(format!("{method} {url}")))?;
        let (status, value) = read_json(&url, response)?;
        if status != 200 {
            return Err(FlowError::Refused { request: format!("{method} {url}"), status, body: value });
        }
        Ok(value)
    }

    /// The key and validation of the login client's ID tokens.
    fn id_token_key(&mut self) -> Result<(jsonwebtoken::DecodingKey, jsonwebtoken::Validation), FlowError> {
        if self.login_client() == LoginClient::WebApp {
            let key = jsonwebtoken::DecodingKey::from_secret(WEB_APP_CLIENT_SECRET.as_bytes())
                .map_err(|e| FlowError::Jwks(format!("the web app's secret is unusable: {e}")))?;
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
            validation.set_audience(&[WEB_APP_CLIENT_ID]);
            return Ok((key, validation));
        }
        if self.jwks.is_none() {
            let url = format!("{}/.well-known/jwks.json", self.mocks.urls(ScopeId::DEFAULT).auth0);
            let response = self.agent.get(&url).call().map_err(request_failed(format!("GET {url}")))?;
            let (_, jwks) = read_json(&url, response)?;
            let set: jsonwebtoken::jwk::JwkSet =
                serde_json::from_value(jwks).map_err(|e| FlowError::Jwks(format!("does not parse: {e}")))?;
            let key = set.keys.first().ok_or_else(|| FlowError::Jwks("is empty".into()))?;
            self.jwks = Some(
                jsonwebtoken::DecodingKey::from_jwk(key)
                    .map_err(|e| FlowError::Jwks(format!("key is unusable: {e}")))?,
            );
        }
        let key = self.jwks.clone().expect("just fetched");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[SPA_CLIENT_ID]);
        Ok((key, validation))
    }

    fn verify_id_token(&mut self, case: &PreparedCase, token: &str) -> Result<IdTokenObservation, FlowError> {
        let (key, mut validation) = self.id_token_key()?;
        validation.set_issuer(&[self.mocks.auth0.issuer()]);
        validation.validate_exp = false; // judged against the case's clock below
        let verified = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation);
        let (ok, claims) = match verified {
            Ok(data) => {
                let fresh =
                    data.claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp * 1000 > case.now.millis());
                (fresh, data.claims)
            }
            Err(_) => {
                (false, DecodedJwt::decode(token).ok().and_then(|d| d.claims.as_object().cloned()).unwrap_or_default())
            }
        };
        let custom_claims = claims.into_iter().filter(|(k, _)| !STANDARD_CLAIMS.contains(&k.as_str())).collect();
        Ok(IdTokenObservation { verified: ok, custom_claims })
    }

    /// The status Tinybird answers for `pipe` with `token` as a Bearer header; 0 when the token cannot be
    /// sent in a header at all (a browser's `fetch` refuses controls and non-Latin-1 characters too).
    fn tinybird_status(&self, case: &PreparedCase, pipe: &str, token: &str) -> Result<u16, FlowError> {
        if !sendable_in_a_header(token) {
            return Ok(0);
        }
        let url = format!("{}/v0/pipes/{}.json", case.urls.tinybird, percent(pipe));
        let response = self
            .agent
            .get(&url)
            .header("authorization", &format!("Bearer {token}"))
            .call()
            .map_err(request_failed(format!("GET {url}")))?;
        let status = response.status().as_u16();
        // Only the status matters; the body is read (so that the connection is reused), not parsed.
        let mut response = response;
        response
            .body_mut()
            .with_config()
            .limit(crate::runner::reply_text::MAX_REPLY_BYTES as u64)
            .read_to_vec()
            .map_err(|e| FlowError::Body { url: url.clone(), problem: format!("unreadable body: {e}") })?;
        Ok(status)
    }
}

fn read_json(url: &str, mut response: ureq::http::Response<ureq::Body>) -> Result<(u16, Value), FlowError> {
    let status = response.status().as_u16();
    let body = |problem: String| FlowError::Body { url: url.to_owned(), problem };
    // As large as anything an event (16 MiB at most) can make the mocks store and send back.
    let text = response
        .body_mut()
        .with_config()
        .limit(crate::runner::reply_text::MAX_REPLY_BYTES as u64)
        .read_to_string()
        .map_err(|e| body(format!("unreadable body: {e}")))?;
    let value =
        crate::runner::reply_text::parse(&text).map_err(|e| body(format!("HTTP {status}, body is not JSON ({e})")))?;
    Ok((status, value))
}

/// The security findings of one flow.
fn security_findings(
    world: &CaseWorld,
    urls: &MockUrls,
    outcome: &Outcome,
    token: Option<&TokenObservation>,
    access: &Map<String, Value>,
) -> Vec<SecurityFinding> {
    let mut findings = Vec::new();
    for (pipe, status) in access {
        if status == 200 && !world.pipes.contains(pipe) {
            findings.push(SecurityFinding {
                kind: SecurityKind::OpensUnconfiguredPipe,
                detail: format!("the token opens the pipe '{pipe}', which the configuration does not name"),
            });
        }
    }
    findings.extend(secrets::findings(&world.secrets, outcome, urls));
    // The tokens among the calls' arguments: decoded (to tell a JWT) only when a log line holds one.
    let arguments: Vec<&str> = outcome.calls.iter().flat_map(|c| c.args.iter()).filter_map(Value::as_str).collect();
    for (i, line) in outcome.logs.iter().enumerate() {
        if arguments.iter().any(|t| !t.is_empty() && line.contains(t) && looks_like_jwt(t))
            || line.split(|c: char| c.is_whitespace() || c == '"').any(looks_like_jwt)
        {
            findings
                .push(SecurityFinding { kind: SecurityKind::TokenInLogs, detail: format!("logs[{i}] contains a JWT") });
        }
    }
    if let Some(token) = token {
        if !token.signature_valid && access.values().any(|s| s == 200) {
            findings.push(SecurityFinding {
                kind: SecurityKind::AcceptedWithForeignSignature,
                detail: "Tinybird accepted a token whose signature is not the admin token's".into(),
            });
        }
    }
    findings
}
