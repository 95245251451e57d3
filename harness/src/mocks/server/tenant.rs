//! The tenant mock's state: its users, the logins waiting for a code exchange, refresh tokens and browser
//! sessions, and what it knows of its browser clients and of the Action it runs at each login. One
//! [`Tenant`] per case scope.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

use super::Clock;
use crate::clock::Now;
use crate::event::Grant;
use crate::outcome::Outcome;

/// A login the post-login Action runs at: who, to which application, by which grant, when.
#[derive(Debug, Clone, Copy)]
pub struct ActionLogin<'a> {
    /// The tenant's user object, metadata as stored.
    pub user: &'a Value,
    /// The application the user logs in to.
    pub client_id: &'a str,
    /// The grant (`event.transaction.protocol`).
    pub grant: Grant,
    /// The tenant's clock.
    pub now: Now,
}

/// Runs the post-login Action of a login.
pub trait LoginAction: Send + Sync {
    /// The Action's outcome at `login`; `None` when the implementation could not run. Why is the
    /// implementation's to report to whoever runs the mocks: it may hold the program's output, and with it
    /// the event's secrets, so the tenant never sends it to the browser.
    fn run(&self, login: &ActionLogin<'_>) -> Option<Outcome>;
}

/// What the tenant knows about its browser clients.
#[derive(Clone, Default)]
pub struct OidcSettings {
    /// The allowed callback URLs (also the allowed logout URLs; their origins are the allowed web origins).
    pub callbacks: Vec<String>,
    /// The user who logs in when no `login_hint` names another.
    pub default_user: Option<String>,
    /// The Action to run at each login, if any.
    pub login_action: Option<Arc<dyn LoginAction>>,
}

impl OidcSettings {
    /// The origin of `url` (`scheme://host:port`), if it has one.
    pub(super) fn origin_of(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let host = rest.split(['/', '?', '#']).next()?;
        (!host.is_empty()).then(|| format!("{scheme}://{host}"))
    }

    /// Whether `origin` is one of the allowed web origins.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.callbacks.iter().filter_map(|c| Self::origin_of(c)).any(|o| o == origin)
    }

    pub(super) fn allows_url(&self, url: &str) -> bool {
        self.callbacks.iter().any(|c| c == url)
    }
}

/// A code issued by `/authorize`, with what its exchange must prove.
#[derive(Debug, Clone)]
pub struct BrowserGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The `redirect_uri` it was sent to.
    pub redirect_uri: String,
    /// The PKCE challenge (S256), if one was given.
    pub code_challenge: Option<String>,
    /// The granted scope.
    pub scope: String,
}

impl BrowserGrant {
    /// Checks an exchange's `client_id`, `redirect_uri` and `code_verifier`.
    pub fn check(&self, client_id: &str, redirect_uri: &str, verifier: &str) -> Result<(), (&'static str, String)> {
        if client_id != self.client_id {
            return Err(("invalid_grant", "The authorization code was issued to another client".into()));
        }
        if redirect_uri != self.redirect_uri {
            return Err(("invalid_grant", "Invalid redirect URI: it must be the one the code was sent to".into()));
        }
        if let Some(challenge) = &self.code_challenge {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if verifier.is_empty() || computed != *challenge {
                return Err(("invalid_grant", "Failed PKCE verification".into()));
            }
        }
        Ok(())
    }
}

/// A refresh token's grant.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    /// The client it was issued to.
    pub client_id: String,
    /// The user.
    pub user_id: String,
    /// The custom claims of the login.
    pub claims: Map<String, Value>,
    /// The granted scope.
    pub scope: String,
}

/// A login waiting for its code to be exchanged.
#[derive(Debug, Clone)]
pub(super) struct PendingLogin {
    pub(super) user_id: String,
    pub(super) claims: Map<String, Value>,
    pub(super) nonce: String,
    pub(super) failure: Option<String>,
    /// What the exchange must prove, for a code `/authorize` issued to a browser.
    pub(super) browser: Option<BrowserGrant>,
}

/// One scope's tenant: users, pending logins and issued access tokens.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// Users by `user_id`.
    pub users: HashMap<String, Value>,
    /// The clock of `iat`/`exp`.
    pub clock: Clock,
    pub(super) pending: HashMap<String, PendingLogin>,
    /// Access tokens issued by a code exchange → the user and the login's claims (for `/userinfo`).
    pub(super) sessions: HashMap<String, (String, Map<String, Value>)>,
    /// Browser sessions (the session cookie) → user id.
    pub(super) browser_sessions: HashMap<String, String>,
    pub(super) refresh_tokens: HashMap<String, RefreshGrant>,
    /// Password logins the harness's flow set up (user id → the login's claims), for a tenant without an
    /// Action of its own.
    pub(super) password_logins: HashMap<String, PendingLogin>,
}

impl Tenant {
    /// A tenant with `users` (each needs a string `user_id`).
    pub fn new(users: impl IntoIterator<Item = Value>, clock: Clock) -> Tenant {
        let users = users
            .into_iter()
            .filter_map(|u| u.get("user_id").and_then(Value::as_str).map(str::to_owned).map(|id| (id, u.clone())))
            .collect();
        Tenant {
            users,
            clock,
            pending: HashMap::new(),
            sessions: HashMap::new(),
            browser_sessions: HashMap::new(),
            refresh_tokens: HashMap::new(),
            password_logins: HashMap::new(),
        }
    }
}
