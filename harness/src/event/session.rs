//! A case's session: the logins of one user against one tenant after the first one, and the post-login
//! event each of them gets, as Auth0 builds it (docs/design.md, "Sessions").
//!
//! A case is a first login (its event, at its clock) and zero or more later logins, each some time after
//! the one before it and by some grant. Auth0 runs the post-login trigger on three grants: the
//! authorization-code login (`transaction.protocol` `oidc-basic-profile`), the refresh-token exchange
//! (`oauth2-refresh-token`) and the resource-owner password grant (`oauth2-password`); the client-credentials
//! exchange runs the credentials-exchange trigger instead, so it is no login here. What one login committed
//! (the user's `app_metadata` as stored) is in the next one's `event.user.app_metadata`; an interactive
//! login (code or password) counts in `event.stats.logins_count`, a refresh exchange does not; a refresh
//! exchange carries `event.refresh_token` (the token the app got at an earlier login with
//! `offline_access`) and the token request's body, and no browser query.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::clock::Now;

/// A grant that runs the post-login trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// The browser's login: `/authorize`, then the code exchange.
    AuthorizationCode,
    /// `grant_type=refresh_token` with a refresh token from an earlier login.
    RefreshToken,
    /// `grant_type=password` (resource-owner password).
    Password,
}

impl Grant {
    /// Every grant, in the order shrinking prefers (the everyday login first).
    pub const ALL: [Grant; 3] = [Grant::AuthorizationCode, Grant::RefreshToken, Grant::Password];

    /// `event.transaction.protocol` for this grant.
    pub fn protocol(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "oidc-basic-profile",
            Grant::RefreshToken => "oauth2-refresh-token",
            Grant::Password => "oauth2-password",
        }
    }

    /// The `grant_type` of the token request.
    pub fn grant_type(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::Password => "password",
        }
    }

    /// The grant whose protocol is `protocol`, if one of these.
    pub fn of_protocol(protocol: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.protocol() == protocol)
    }

    /// Whether the user authenticates (and so `logins_count` grows).
    pub fn is_interactive(self) -> bool {
        self != Grant::RefreshToken
    }
}

/// A login after the first one in a case's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LaterLogin {
    /// Milliseconds after the login before it (0 or more).
    pub after_ms: i64,
    /// How the app logs the user in.
    pub grant: Grant,
}

/// The longest time between two logins a case may hold: ten years.
pub const MAX_AFTER_MS: i64 = 10 * 366 * 86_400 * 1000;

/// The largest number of later logins a case may hold.
pub const MAX_LATER_LOGINS: usize = 16;

/// How a later login is written in a case file: `{"grant": "refresh_token", "after": 3600}` (seconds), or
/// `after_ms` instead of `after`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LaterLoginFile {
    grant: Grant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after_ms: Option<i64>,
}

impl Serialize for LaterLogin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let whole = self.after_ms % 1000 == 0;
        LaterLoginFile {
            grant: self.grant,
            after: whole.then_some(self.after_ms / 1000),
            after_ms: (!whole).then_some(self.after_ms),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for LaterLogin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let file = LaterLoginFile::deserialize(deserializer)?;
        let after_ms = match (file.after, file.after_ms) {
            (Some(_), Some(_)) => return Err(D::Error::custom("give `after` (seconds) or `after_ms`, not both")),
            (Some(s), None) => s.checked_mul(1000).ok_or_else(|| D::Error::custom("`after` is too large"))?,
            (None, Some(ms)) => ms,
            (None, None) => 0,
        };
        if !(0..=MAX_AFTER_MS).contains(&after_ms) {
            return Err(D::Error::custom(format!(
                "the time after the previous login must be 0 to {} s, not {after_ms} ms",
                MAX_AFTER_MS / 1000
            )));
        }
        Ok(LaterLogin { after_ms, grant: file.grant })
    }
}

/// The clock of each login of a session starting at `first`: the first login's, then each later login's.
pub fn clocks(first: Now, logins: &[LaterLogin]) -> Vec<Now> {
    let mut at = vec![first];
    for login in logins {
        let previous = *at.last().expect("starts with the first");
        let millis = previous.millis().saturating_add(login.after_ms);
        at.push(Now::from_millis(millis).unwrap_or(previous));
    }
    at
}

/// A short account of a session for people: `refresh_token 8 d later, password 1 h later`.
pub fn describe(logins: &[LaterLogin]) -> String {
    logins
        .iter()
        .map(|l| format!("{} {} later", l.grant.grant_type(), duration(l.after_ms)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `after_ms` in the largest unit it reaches, whole when it is whole: `250 ms`, `12 s`, `3 min`, `1.5 h`,
/// `8 d`.
pub fn duration(millis: i64) -> String {
    let units = [(86_400_000, "d"), (3_600_000, "h"), (60_000, "min"), (1000, "s")];
    match units.into_iter().find(|(size, _)| millis >= *size) {
        Some((size, unit)) if millis % size == 0 => format!("{} {unit}", millis / size),
        Some((size, unit)) => format!("{:.1} {unit}", millis as f64 / size as f64),
        None => format!("{millis} ms"),
    }
}

/// The refresh token an app holds in a session (one per user and client: made up, stable).
fn refresh_token_of(event: &Value) -> Value {
    let user_id = event.pointer("/user/user_id").and_then(Value::as_str).unwrap_or("user");
    let client_id = event.pointer("/client/client_id").and_then(Value::as_str).unwrap_or("client");
    let id = crate::event::content_id(None, &json!([user_id, client_id]));
    json!({"id": format!("rt_{}", &id[..16]), "client_id": client_id, "user_id": user_id, "rotating": false})
}

/// Makes `event` a login by `grant` (its `transaction.protocol`, its request, a refresh token for a
/// refresh exchange), leaving what the action reads (secrets, configuration, user, authorization) as it is.
pub fn set_grant(event: &mut Value, grant: Grant) {
    let Some(map) = event.as_object_mut() else { return };
    if let Some(Value::Object(transaction)) = map.get_mut("transaction") {
        transaction.insert("protocol".into(), grant.protocol().into());
    } else if grant != Grant::AuthorizationCode {
        map.insert("transaction".into(), json!({"protocol": grant.protocol()}));
    }
    if let Some(Value::Object(request)) = map.get_mut("request") {
        request_for(request, grant);
    }
    if grant == Grant::RefreshToken {
        let token = refresh_token_of(event);
        if let Some(map) = event.as_object_mut() {
            map.insert("refresh_token".into(), token);
        }
    } else if let Some(map) = event.as_object_mut() {
        map.shift_remove("refresh_token");
    }
}

/// The request of a login by `grant`: a browser's GET with its query for the code login, the token
/// endpoint's POST with its body (never a password or a refresh token's value) for the others.
fn request_for(request: &mut Map<String, Value>, grant: Grant) {
    match grant {
        Grant::AuthorizationCode => {
            request.insert("method".into(), "GET".into());
            request.insert("body".into(), json!({}));
            request.entry("query").or_insert_with(|| json!({}));
        }
        Grant::RefreshToken | Grant::Password => {
            request.insert("method".into(), "POST".into());
            request.shift_remove("query");
            request.insert("body".into(), json!({"grant_type": grant.grant_type()}));
        }
    }
}

/// `event.stats.logins_count`, when it is a count.
pub fn logins_count(event: &Value) -> Option<u64> {
    event.get("stats")?.get("logins_count")?.as_u64()
}

/// Sets `event.stats.logins_count` (making `stats` an object, keeping its other fields), when the event is
/// an object.
pub fn set_logins_count(event: &mut Value, count: u64) {
    let Some(map) = event.as_object_mut() else { return };
    let stats = map.entry("stats").or_insert_with(|| json!({}));
    if !stats.is_object() {
        *stats = json!({});
    }
    stats.as_object_mut().expect("an object").insert("logins_count".into(), count.into());
}

/// The event of the next login of a session: `previous` (the event of the login before) with the user's
/// `app_metadata` as that login left it stored, `stats.logins_count` counted on for an interactive login,
/// and `login`'s grant.
pub fn next_event(previous: &Value, stored_app_metadata: &Value, login: &LaterLogin) -> Value {
    let mut event = previous.clone();
    if let Some(Value::Object(user)) = event.get_mut("user") {
        let stored = match stored_app_metadata {
            Value::Object(_) => stored_app_metadata.clone(),
            _ => json!({}),
        };
        user.insert("app_metadata".into(), stored);
    }
    if login.grant.is_interactive() {
        let count = logins_count(&event).unwrap_or(1) + 1;
        set_logins_count(&mut event, count);
    }
    set_grant(&mut event, login.grant);
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_login_carries_what_the_one_before_committed() {
        let first = crate::event::PostLoginEvent::login("auth0|ada", None, None, None, Some(vec![])).to_json();
        let stored = json!({"tinybirdJWT": "eyJ.x.y", "plan": "pro"});
        let refresh = next_event(&first, &stored, &LaterLogin { after_ms: 1000, grant: Grant::RefreshToken });
        assert_eq!(refresh["user"]["app_metadata"], stored);
        assert_eq!(refresh["transaction"]["protocol"], "oauth2-refresh-token");
        assert_eq!(refresh["request"]["method"], "POST");
        assert!(refresh["request"].get("query").is_none(), "no browser query on a refresh exchange");
        assert!(refresh["refresh_token"]["id"].as_str().unwrap().starts_with("rt_"));
        assert_eq!(refresh["stats"], first["stats"], "a refresh exchange is no login");
        let again = next_event(&refresh, &stored, &LaterLogin { after_ms: 1000, grant: Grant::AuthorizationCode });
        assert_eq!(again["transaction"]["protocol"], "oidc-basic-profile");
        assert!(again.get("refresh_token").is_none());
        let count = |e: &Value| e["stats"]["logins_count"].as_u64().unwrap_or(1);
        assert_eq!(count(&again), count(&first) + 1);
        let password = next_event(&again, &stored, &LaterLogin { after_ms: 0, grant: Grant::Password });
        assert_eq!(password["transaction"]["protocol"], "oauth2-password");
        assert_eq!(password["request"]["body"]["grant_type"], "password");
        assert_eq!(count(&password), count(&first) + 2);
    }

    #[test]
    fn case_files_write_seconds_or_milliseconds() {
        let login = LaterLogin { after_ms: 8 * 86_400_000, grant: Grant::RefreshToken };
        assert_eq!(serde_json::to_value(login).unwrap(), json!({"grant": "refresh_token", "after": 691200}));
        let odd = LaterLogin { after_ms: 1500, grant: Grant::Password };
        assert_eq!(serde_json::to_value(odd).unwrap(), json!({"grant": "password", "after_ms": 1500}));
        for login in [login, odd] {
            let text = serde_json::to_string(&login).unwrap();
            assert_eq!(serde_json::from_str::<LaterLogin>(&text).unwrap(), login);
        }
        let both = serde_json::from_value::<LaterLogin>(json!({"grant": "password", "after": 1, "after_ms": 1}));
        assert!(both.unwrap_err().to_string().contains("not both"));
        assert!(serde_json::from_value::<LaterLogin>(json!({"grant": "client_credentials"})).is_err());
        assert!(serde_json::from_value::<LaterLogin>(json!({"grant": "password", "after": -1})).is_err());
    }

    #[test]
    fn clocks_advance_by_each_gap() {
        let logins = [
            LaterLogin { after_ms: 1500, grant: Grant::AuthorizationCode },
            LaterLogin { after_ms: 86_400_000, grant: Grant::RefreshToken },
        ];
        let at: Vec<i64> = clocks(Now::DEFAULT, &logins).iter().map(|n| n.millis()).collect();
        assert_eq!(at, [Now::DEFAULT.millis(), Now::DEFAULT.millis() + 1500, Now::DEFAULT.millis() + 86_401_500]);
        assert_eq!(describe(&logins), "authorization_code 1.5 s later, refresh_token 1 d later");
    }
}
