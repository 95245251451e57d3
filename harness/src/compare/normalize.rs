//! Observations laid out for comparison at a level: the tree that [`super::diff_values`] walks.

use serde_json::{json, Map, Value};

use super::{CompareOptions, Level, Observable};
use crate::jwt::{hs256_verify, DecodedJwt};
use crate::observation::Observation;
use crate::review::looks_like_jwt;

/// What normalising needs besides the observation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NormalizeContext {
    /// The admin token of the case (a string), to check token signatures.
    pub admin_token: Option<String>,
    /// `Some(wall_now)` when the implementation does not honour the case's `now`: the case then runs at
    /// the wall clock (`wall_now`, read as the login started), and every token's `iat` on either side is
    /// checked against it within the tolerance, and `exp` as `exp - iat`. A token an earlier login minted
    /// (stored in `app_metadata`) is off the clock on both sides alike, and shows as it is.
    pub wall_clock: Option<i64>,
}

/// The api calls whose effect the observation holds on its own (the stored `app_metadata`, the ID token's
/// claims): at `effect` they are compared there, not as calls. Any other call (a claim on the access token,
/// `access.deny`, other metadata) stays, since nothing else shows it.
pub const COMMITTED_ELSEWHERE: [&str; 2] = ["user.setAppMetadata", "idToken.setCustomClaim"];

/// The marker an `iat` close enough to the wall clock is replaced with.
pub const IAT_ON_TIME: &str = "iat within the tolerance of the wall clock";

/// The normalised tree of `observation`.
pub fn normalize(observation: &Observation, context: &NormalizeContext, options: &CompareOptions) -> Value {
    let tokens = Tokens { context, options };
    let mut tree = Map::new();
    let outcome = observation.outcome.as_ref();
    for observable in Observable::ALL {
        if options.ignore.contains(&observable) {
            continue;
        }
        let value = match observable {
            Observable::Status => json!(outcome.map_or("errored", |o| match o.status {
                crate::outcome::Status::Completed => "completed",
                crate::outcome::Status::Threw => "threw",
            })),
            Observable::Error => outcome.and_then(|o| o.error.as_ref()).map_or(Value::Null, |e| json!({"name": e.name})),
            Observable::Logs => json!(outcome.map(|o| o.logs.clone()).unwrap_or_default()),
            Observable::Calls => Value::Array(
                outcome
                    .map(|o| &o.calls[..])
                    .unwrap_or_default()
                    .iter()
                    .filter(|c| options.level != Level::Effect || !COMMITTED_ELSEWHERE.contains(&c.api.as_str()))
                    .map(|c| json!({"api": c.api, "args": c.args.iter().map(|a| tokens.value(a)).collect::<Vec<_>>()}))
                    .collect(),
            ),
            Observable::Login => serde_json::to_value(&observation.login).unwrap_or(Value::Null),
            Observable::AppMetadata => tokens.value(&observation.app_metadata),
            Observable::IdToken => observation.id_token.as_ref().map_or(Value::Null, |t| {
                json!({"verified": t.verified, "custom_claims": tokens.value(&Value::Object(t.custom_claims.clone()))})
            }),
            Observable::TinybirdJwt => observation.tinybird_jwt.as_ref().map_or(Value::Null, |t| {
                json!({"source": t.source, "token": tokens.jwt(&t.raw)})
            }),
            Observable::Access => Value::Object(observation.access.clone()),
            Observable::Security => {
                // Each finding as `kind: where`, so a report says where the secret was found.
                let mut findings: Vec<String> =
                    observation.security.iter().map(|f| format!("{}: {}", f.kind.name(), f.detail)).collect();
                findings.sort_unstable();
                findings.dedup();
                json!(findings)
            }
        };
        tree.insert(observable.key().to_owned(), value);
    }
    Value::Object(tree)
}

struct Tokens<'a> {
    context: &'a NormalizeContext,
    options: &'a CompareOptions,
}

impl Tokens<'_> {
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) if looks_like_jwt(s) => self.jwt(s),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), self.value(v))).collect()),
            other => other.clone(),
        }
    }

    fn jwt(&self, raw: &str) -> Value {
        let Ok(decoded) = DecodedJwt::decode(raw) else {
            return json!({"jwt": {"undecodable": raw}});
        };
        let mut claims = decoded.claims;
        if let (Some(wall_now), Some(map)) = (self.context.wall_clock, claims.as_object_mut()) {
            let iat = map.get("iat").and_then(Value::as_f64);
            let exp = map.get("exp").and_then(Value::as_f64);
            if let Some(iat) = iat {
                let on_time = (iat - wall_now as f64).abs() <= self.options.clock_tolerance as f64;
                if on_time {
                    map.insert("iat".into(), IAT_ON_TIME.into());
                }
                if let Some(exp) = exp {
                    map.insert("exp".into(), json!({"exp - iat": exp - iat}));
                }
            }
        }
        let signature_valid = self.context.admin_token.as_deref().is_some_and(|k| hs256_verify(raw, k.as_bytes()));
        if self.options.level == Level::Effect {
            return json!({"jwt": {"claims": effect_claims(&claims), "signature_valid": signature_valid}});
        }
        let mut jwt = json!({"header": decoded.header, "claims": claims, "signature_valid": signature_valid});
        if self.options.level == Level::Strict {
            jwt["raw"] = raw.into();
        }
        json!({ "jwt": jwt })
    }
}

/// The claims Tinybird acts on: `workspace_id` (which workspace judges the token), `name` (its analytics
/// and rate-limit bucket), `scopes` as a set (sorted by resource, keeping the order among scopes of one
/// resource, which decides whose `fixed_params` apply; identical ones once), `limits` and `exp` (or the
/// wall-clock form `{"exp - iat"}`). Absent ones stay absent; every other claim is dropped.
fn effect_claims(claims: &Value) -> Value {
    let Some(map) = claims.as_object() else { return claims.clone() };
    let mut kept = Map::new();
    for key in ["workspace_id", "name", "scopes", "limits", "exp"] {
        let Some(value) = map.get(key) else { continue };
        let value = match (key, value) {
            ("scopes", Value::Array(scopes)) => {
                let mut set = scopes.clone();
                set.sort_by_key(scope_resource);
                set.dedup();
                Value::Array(set)
            }
            _ => value.clone(),
        };
        kept.insert(key.to_owned(), value);
    }
    Value::Object(kept)
}

fn scope_resource(scope: &Value) -> String {
    match scope.get("resource") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
