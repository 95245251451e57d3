//! An observation laid out for a reviewer: what the world saw first (status, logs, the token decoded,
//! which pipes it opens), then where the token went. Each distinct token is shown once, decoded, and
//! named `<token>` (or `<token N>`) wherever it appears; its encoded bytes are shown only where they say
//! something the decoded content does not; the event's secrets never appear.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::flow::secrets::{mask, secrets_of};
use crate::js::JsValue;
use crate::jwt::{b64url, hs256_verify, DecodedJwt};
use crate::observation::{Login, Observation, TokenSource};
use crate::review::looks_like_jwt;

/// The reviewable document of `observation`, the flow of `event`.
pub fn readable(observation: &Observation, event: &Value) -> Value {
    let admin_token = event.pointer("/secrets/TINYBIRD_ADMIN_TOKEN").and_then(Value::as_str);
    let tokens = Tokens::found_in(observation);
    let mut doc = Map::new();
    match (&observation.outcome, &observation.errored) {
        (Some(outcome), None) => {
            doc.insert("status".into(), json!(outcome.status));
            if let Some(error) = &outcome.error {
                doc.insert("error".into(), json!({"name": error.name, "message": error.message}));
            }
            let logs = outcome.logs.iter().map(|line| Value::String(tokens.name_in_text(line))).collect();
            doc.insert("logs".into(), Value::Array(logs));
        }
        (_, errored) => {
            doc.insert("status".into(), json!("errored"));
            doc.insert("error".into(), json!(errored.as_deref().unwrap_or("no outcome")));
        }
    }
    match tokens.raw.as_slice() {
        [] => {}
        [only] => {
            doc.insert("token".into(), token_entry(only, admin_token));
        }
        many => {
            let entries = many.iter().enumerate().map(|(i, raw)| {
                let mut entry = Map::new();
                entry.insert("name".into(), json!(tokens.label(i)));
                if let Value::Object(fields) = token_entry(raw, admin_token) {
                    entry.extend(fields);
                }
                Value::Object(entry)
            });
            doc.insert("tokens".into(), Value::Array(entries.collect()));
        }
    }
    doc.insert("access".into(), Value::Object(observation.access.clone()));
    if let Some(jwt) = &observation.tinybird_jwt {
        let from = match jwt.source {
            TokenSource::IdToken => "the ID token's https://app.tinybird.co claim",
            TokenSource::AppMetadata => "app_metadata.tinybirdJWT",
        };
        doc.insert("browser_uses".into(), json!(format!("{} from {from}", tokens.name_in_text(&jwt.raw))));
    }
    doc.insert("app_metadata".into(), tokens.named(&observation.app_metadata));
    match &observation.login {
        Login::Succeeded => {
            let claims = tokens.named(&Value::Object(
                observation.id_token.as_ref().map(|t| t.custom_claims.clone()).unwrap_or_default(),
            ));
            let verified = observation.id_token.as_ref().is_some_and(|t| t.verified);
            doc.insert("id_token".into(), json!({"verified": verified, "custom_claims": claims}));
        }
        Login::Failed { error, error_description } => {
            doc.insert("login_failed".into(), json!({"error": error, "error_description": error_description}));
        }
    }
    if let Some(outcome) = &observation.outcome {
        let calls = outcome.calls.iter().map(|call| {
            let args: Vec<String> = call.args.iter().map(|a| tokens.named(a).to_string()).collect();
            Value::String(format!("{}({})", call.api, args.join(", ")))
        });
        doc.insert("calls".into(), Value::Array(calls.collect()));
    }
    if !observation.security.is_empty() {
        let findings = observation.security.iter().map(|f| json!({"kind": f.kind.name(), "detail": f.detail}));
        doc.insert("security".into(), Value::Array(findings.collect()));
    }
    let mut doc = Value::Object(doc);
    mask(&mut doc, &secrets_of(event));
    doc
}

/// The distinct tokens of an observation, in the order they first appear.
struct Tokens {
    raw: Vec<String>,
}

impl Tokens {
    fn found_in(observation: &Observation) -> Tokens {
        let mut tokens = Tokens { raw: Vec::new() };
        if let Some(outcome) = &observation.outcome {
            outcome.calls.iter().flat_map(|c| &c.args).for_each(|arg| tokens.collect(arg));
        }
        tokens.collect(&observation.app_metadata);
        if let Some(id_token) = &observation.id_token {
            id_token.custom_claims.values().for_each(|claim| tokens.collect(claim));
        }
        if let Some(jwt) = &observation.tinybird_jwt {
            tokens.collect(&Value::String(jwt.raw.clone()));
        }
        tokens
    }

    fn collect(&mut self, value: &Value) {
        match value {
            Value::String(s) if !self.raw.contains(s) && looks_like_jwt(s) => self.raw.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            Value::Object(fields) => fields.values().for_each(|v| self.collect(v)),
            _ => {}
        }
    }

    fn label(&self, index: usize) -> String {
        if self.raw.len() == 1 {
            "<token>".into()
        } else {
            format!("<token {}>", index + 1)
        }
    }

    /// `value` with each token string replaced by its name.
    fn named(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => match self.raw.iter().position(|t| t == s) {
                Some(i) => Value::String(self.label(i)),
                None => value.clone(),
            },
            Value::Array(items) => Value::Array(items.iter().map(|v| self.named(v)).collect()),
            Value::Object(fields) => Value::Object(fields.iter().map(|(k, v)| (k.clone(), self.named(v))).collect()),
            other => other.clone(),
        }
    }

    /// `text` with each token inside it replaced by its name.
    fn name_in_text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (i, raw) in self.raw.iter().enumerate() {
            if text.contains(raw.as_str()) {
                text = text.replace(raw.as_str(), &self.label(i));
            }
        }
        text
    }
}

/// A token decoded: header, claims, whether the admin token signed it, and the encoded text of a part only
/// when it is not what `JSON.stringify` writes for the decoded part (key order is kept in the decoded
/// part, so this shows spacing, number spelling, escapes and duplicate keys).
fn token_entry(raw: &str, admin_token: Option<&str>) -> Value {
    let Ok(decoded) = DecodedJwt::decode(raw) else {
        return json!({"raw": raw});
    };
    let parts: Vec<&str> = raw.split('.').collect();
    let mut entry = Map::new();
    entry.insert("header".into(), decoded.header.clone());
    entry.insert("claims".into(), decoded.claims.clone());
    let valid = admin_token.map(|key| hs256_verify(raw, key.as_bytes()));
    let signature = match valid {
        Some(true) => "valid under the admin token",
        Some(false) => "not valid under the admin token",
        None => "not checked: the event has no string admin token",
    };
    entry.insert("signature".into(), json!(signature));
    if valid != Some(true) {
        entry.insert("signature_bytes".into(), json!(decoded.signature));
    }
    for (index, part, name) in [(0, &decoded.header, "header_as_encoded"), (1, &decoded.claims, "claims_as_encoded")] {
        let mut canonical = Vec::new();
        crate::js::write_json(&mut canonical, &JsValue::from_json(part));
        if b64url(&canonical) != parts[index] {
            let text = URL_SAFE_NO_PAD.decode(parts[index]).ok().and_then(|b| String::from_utf8(b).ok());
            entry.insert(name.into(), json!(text.unwrap_or_else(|| parts[index].to_owned())));
        }
    }
    Value::Object(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{ApiCall, Outcome, Status};

    const ADMIN: &str = "p.made-up-admin-token";

    fn signed(header: &str, claims: &str) -> String {
        let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
        let signature = crate::jwt::hs256_sign(ADMIN.as_bytes(), input.as_bytes()).unwrap();
        format!("{input}.{signature}")
    }

    fn observation(token: &str, log: &str) -> Observation {
        let mut o = Observation::errored(String::new());
        o.errored = None;
        o.login = Login::Succeeded;
        o.outcome = Some(Outcome {
            status: Status::Completed,
            error: None,
            logs: vec![log.to_owned()],
            calls: vec![ApiCall { api: "user.setAppMetadata".into(), args: vec![json!("tinybirdJWT"), json!(token)] }],
            effects: None,
        });
        o.app_metadata = json!({"tinybirdJWT": token});
        o
    }

    fn event() -> Value {
        json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": ADMIN}})
    }

    #[test]
    fn a_canonical_token_is_shown_once_decoded_without_its_bytes() {
        let token = signed(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"scopes":[{"resource":" kpis"}],"iat":1}"#);
        let doc = readable(&observation(&token, "done"), &event());
        let text = doc.to_string();
        assert!(!text.contains(&token[..20]), "{text}");
        assert_eq!(doc["token"]["claims"]["scopes"][0]["resource"], " kpis");
        assert_eq!(doc["token"]["signature"], "valid under the admin token");
        assert_eq!(doc["calls"][0], r#"user.setAppMetadata("tinybirdJWT", "<token>")"#);
        assert_eq!(doc["app_metadata"]["tinybirdJWT"], "<token>");
        assert!(doc["token"].get("claims_as_encoded").is_none());
    }

    #[test]
    fn bytes_that_the_decoded_form_hides_are_shown() {
        let token = signed(r#"{"alg":"HS256","typ":"JWT"}"#, r#"{"iat": 1.0}"#);
        let doc = readable(&observation(&token, "x"), &event());
        assert_eq!(doc["token"]["claims_as_encoded"], r#"{"iat": 1.0}"#);
        assert!(doc["token"].get("header_as_encoded").is_none());
    }

    #[test]
    fn secrets_are_named_not_shown_and_tokens_in_logs_are_named() {
        let token = signed(r#"{"alg":"HS256","typ":"JWT"}"#, &format!(r#"{{"leak":"{ADMIN}"}}"#));
        let doc = readable(&observation(&token, &format!("key {ADMIN} token {token}")), &event());
        let text = doc.to_string();
        assert!(!text.contains(ADMIN), "{text}");
        assert_eq!(doc["logs"][0], "key <secret TINYBIRD_ADMIN_TOKEN> token <token>");
        assert_eq!(doc["token"]["claims"]["leak"], "<secret TINYBIRD_ADMIN_TOKEN>");
    }
}
