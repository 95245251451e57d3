//! The Auth0 post-login `event` as Auth0's Actions runtime (v3) shapes it.
//!
//! Only `secrets`, `configuration`, `user.id` and `authorization` matter to the action; the rest is there
//! so that fixtures and generated events look like real logins (an implementation that reads
//! `user.user_id`, say, must meet a real one). Anything Auth0 may add is kept in the `extra` maps.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A post-login event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostLoginEvent {
    /// The action's secrets (name → value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Map<String, Value>>,
    /// The action's configuration variables (name → value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Map<String, Value>>,
    /// The user logging in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Present when the login carries an authorization (roles); absent for some flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// The transaction (protocol, scopes, locale).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<Transaction>,
    /// The HTTP request that started the login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// The application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<Client>,
    /// The connection the user logged in with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
    /// Other fields (`tenant`, `stats`, `session`, `organization`, `authentication`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `event.user` (v3: `user_id`, never `id`, unless someone adds one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The Auth0 user id, `provider|id`.
    pub user_id: String,
    /// A non-standard `id` property; the reference reads this one (R8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `app_metadata` as stored before this login.
    #[serde(default)]
    pub app_metadata: Map<String, Value>,
    /// `user_metadata`.
    #[serde(default)]
    pub user_metadata: Map<String, Value>,
    /// Other user fields (`nickname`, `picture`, `identities`, `created_at`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `event.authorization`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorization {
    /// The user's role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `event.transaction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Transaction id.
    pub id: String,
    /// `oidc-basic-profile`, `oauth2-refresh-token`, ...
    pub protocol: String,
    /// Requested scopes.
    #[serde(default)]
    pub requested_scopes: Vec<String>,
    /// The UI locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `event.request`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Client IP.
    pub ip: String,
    /// HTTP method.
    pub method: String,
    /// The tenant host name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The browser's user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Other fields (`geoip`, `query`, `body`, `language`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `event.client`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    /// The application's client id.
    pub client_id: String,
    /// The application's name.
    pub name: String,
    /// Client metadata.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

/// `event.connection`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    /// Connection id.
    pub id: String,
    /// Connection name.
    pub name: String,
    /// `auth0`, `google-oauth2`, `samlp`, ...
    pub strategy: String,
    /// Other fields.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl PostLoginEvent {
    /// A realistic login of `user_id` with the three action settings given as JSON values (a `None`
    /// leaves the setting out) and an authorization with `roles` (a `None` leaves it out).
    pub fn login(
        user_id: &str,
        admin_token: Option<Value>,
        workspace_id: Option<Value>,
        pipe_names: Option<Value>,
        roles: Option<Vec<String>>,
    ) -> PostLoginEvent {
        let mut secrets = Map::new();
        if let Some(v) = admin_token {
            secrets.insert("TINYBIRD_ADMIN_TOKEN".into(), v);
        }
        let mut configuration = Map::new();
        if let Some(v) = workspace_id {
            configuration.insert("TINYBIRD_WORKSPACE_ID".into(), v);
        }
        if let Some(v) = pipe_names {
            configuration.insert("TINYBIRD_PIPE_NAMES".into(), v);
        }
        let local = user_id.rsplit('|').next().unwrap_or(user_id);
        PostLoginEvent {
            secrets: Some(secrets),
            configuration: Some(configuration),
            user: Some(User {
                user_id: user_id.to_owned(),
                id: None,
                email: Some(format!("{local}@example.com")),
                email_verified: true,
                name: Some(format!("User {local}")),
                app_metadata: Map::new(),
                user_metadata: Map::new(),
                extra: obj(serde_json::json!({
                    "nickname": local,
                    "picture": "https://s.gravatar.com/avatar/00000000000000000000000000000000?s=480&r=pg",
                    "created_at": "2025-01-15T10:00:00.000Z",
                    "updated_at": "2026-11-27T09:30:00.000Z",
                    "identities": [{"provider": "auth0", "user_id": local, "connection": "Username-Password-Authentication", "isSocial": false}]
                })),
            }),
            authorization: roles.map(|roles| Authorization { roles }),
            transaction: Some(Transaction {
                id: "tx_0123456789abcdef".into(),
                protocol: "oidc-basic-profile".into(),
                requested_scopes: vec!["openid".into(), "profile".into(), "email".into()],
                locale: Some("en".into()),
                extra: obj(
                    serde_json::json!({"redirect_uri": "https://app.example.com/callback", "response_type": ["code"]}),
                ),
            }),
            request: Some(Request {
                ip: "203.0.113.7".into(),
                method: "GET".into(),
                hostname: Some("example.eu.auth0.com".into()),
                user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0".into()),
                extra: obj(
                    serde_json::json!({"language": "en-US,en;q=0.9", "geoip": {"countryCode": "ES", "cityName": "Madrid"}, "query": {}, "body": {}}),
                ),
            }),
            client: Some(Client {
                client_id: "cl1entIdAbCdEf0123456789".into(),
                name: "Analytics Dashboard".into(),
                metadata: Map::new(),
            }),
            connection: Some(Connection {
                id: "con_AbCdEf0123456789".into(),
                name: "Username-Password-Authentication".into(),
                strategy: "auth0".into(),
                extra: Map::new(),
            }),
            extra: obj(serde_json::json!({
                "tenant": {"id": "example"},
                "stats": {"logins_count": 12},
                "authentication": {"methods": [{"name": "pwd", "timestamp": "2026-11-28T12:00:00.000Z"}]}
            })),
        }
    }

    /// The event as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("the event model serialises")
    }
}
