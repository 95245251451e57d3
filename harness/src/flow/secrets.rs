//! Security findings that follow the secret, not a few paths: every string secret of the event (the
//! Tinybird admin token first) is looked for anywhere it could leave the action, and each finding says
//! where it was found (never the secret itself):
//!
//! - the api calls' arguments at any depth (what Auth0 stores in metadata or sends to the browser), and
//!   inside every JWT among them, decoded (a secret in a minted token's claims travels with the token);
//! - the console logs;
//! - the runtime's record of side effects (`Outcome::effects`, the Node runtime's): text written to
//!   stdout or stderr, what was written on outbound connections, files written. A connection to anything
//!   but the mocks is a finding of its own.
//!
//! What cannot be seen here is what the implementation does outside its outcome: for `cmd:` and `http`
//! implementations, their own stdout/stderr, network and files are not observed (docs/protocol.md).

use serde_json::Value;
use std::collections::HashMap;
use std::rc::Rc;

use crate::jwt::DecodedJwt;
use crate::observation::{SecurityFinding, SecurityKind};
use crate::outcome::{Outcome, SandboxEvent, SandboxEventKind};
use crate::runner::protocol::MockUrls;

/// Secrets shorter than this are not looked for (they would be found by chance).
const MIN_SECRET_CHARS: usize = 4;

/// A secret of the event: its name under `event.secrets`, and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Secret {
    /// Its name under `event.secrets`.
    pub(crate) name: String,
    /// Its value.
    pub(crate) value: String,
}

/// The string secrets of `event` worth looking for.
pub(crate) fn secrets_of(event: &Value) -> Vec<Secret> {
    let Some(Value::Object(secrets)) = event.get("secrets") else { return Vec::new() };
    secrets
        .iter()
        .filter_map(|(name, value)| {
            let value = value.as_str()?;
            (value.trim().chars().count() >= MIN_SECRET_CHARS)
                .then(|| Secret { name: name.clone(), value: value.to_owned() })
        })
        .collect()
}

/// `text` with every secret's value replaced by `<secret NAME>` (a secret inside a longer one is masked
/// as the longer one); `None` when it holds none.
pub(crate) fn masked_text(text: &str, secrets: &[Secret]) -> Option<String> {
    if !secrets.iter().any(|s| text.contains(s.value.as_str())) {
        return None;
    }
    let mut longest_first: Vec<&Secret> = secrets.iter().collect();
    longest_first.sort_by_key(|s| std::cmp::Reverse(s.value.len()));
    Some(
        longest_first
            .into_iter()
            .fold(text.to_owned(), |t, s| t.replace(s.value.as_str(), &format!("<secret {}>", s.name))),
    )
}

/// Masks every secret in `value`'s strings and object keys, in place ([`masked_text`]).
pub(crate) fn mask(value: &mut Value, secrets: &[Secret]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        Value::String(s) => {
            if let Some(masked) = masked_text(s, secrets) {
                *s = masked;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, secrets)),
        Value::Object(fields) => {
            let entries = std::mem::take(fields);
            for (key, mut v) in entries {
                mask(&mut v, secrets);
                fields.insert(masked_text(&key, secrets).unwrap_or(key), v);
            }
        }
        _ => {}
    }
}

fn is_admin_token(secret: &Secret) -> bool {
    secret.name == crate::spec::keys::ADMIN_TOKEN
}

/// Where secrets are looked for in the api calls' arguments: every string at any depth, and the header and
/// claims of JWT strings instead of their encoded text (a secret cannot hide in base64, nor be found
/// there by chance). Each distinct JWT is decoded once, and a place is named only when a secret is found.
struct Arguments<'o> {
    outcome: &'o Outcome,
    decoded: HashMap<String, Option<Rc<DecodedJwt>>>,
}

impl<'o> Arguments<'o> {
    fn of(outcome: &'o Outcome) -> Arguments<'o> {
        Arguments { outcome, decoded: HashMap::new() }
    }

    /// The first place `secret` is found, as `calls[i] api argument j/path`.
    fn place_of(&mut self, secret: &str) -> Option<String> {
        let outcome = self.outcome;
        for (i, call) in outcome.calls.iter().enumerate() {
            for (j, arg) in call.args.iter().enumerate() {
                let mut at = format!("calls[{i}] {} argument {j}", call.api);
                if self.holds(arg, secret, &mut at) {
                    return Some(at);
                }
            }
        }
        None
    }

    /// `text` decoded, when it is a JWT (what `looks_like_jwt` says).
    fn jwt(&mut self, text: &str) -> Option<Rc<DecodedJwt>> {
        if !text.starts_with("eyJ") {
            return None;
        }
        if let Some(decoded) = self.decoded.get(text) {
            return decoded.clone();
        }
        let decoded = DecodedJwt::decode(text).ok().map(Rc::new);
        self.decoded.insert(text.to_owned(), decoded.clone());
        decoded
    }

    /// Whether `value` holds `secret`; `at` is extended to its place when it does.
    fn holds(&mut self, value: &Value, secret: &str, at: &mut String) -> bool {
        let len = at.len();
        let found = match value {
            Value::String(text) => match self.jwt(text) {
                Some(decoded) => [(" (JWT header)", &decoded.header), (" (JWT claims)", &decoded.claims)]
                    .into_iter()
                    .any(|(part, inner)| {
                        at.truncate(len);
                        at.push_str(part);
                        self.holds(inner, secret, at)
                    }),
                None => text.contains(secret),
            },
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                at.truncate(len);
                at.push_str(&format!("/{i}"));
                self.holds(item, secret, at)
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                at.truncate(len);
                at.push('/');
                at.push_str(key);
                self.holds(item, secret, at)
            }),
            _ => false,
        };
        if !found {
            at.truncate(len);
        }
        found
    }
}

fn found(kind: SecurityKind, secret: &Secret, place: String) -> SecurityFinding {
    SecurityFinding { kind, detail: format!("{} found in {place}", secret.name) }
}

/// Whether `to` (`host:port`) is one of the mocks.
fn is_mock(to: &str, mocks: &MockUrls) -> bool {
    let authority = |url: &str| url.split("://").nth(1).and_then(|rest| rest.split('/').next()).map(str::to_owned);
    let local = |a: String| a.replace("localhost:", "127.0.0.1:");
    [&mocks.auth0, &mocks.tinybird].iter().filter_map(|u| authority(u)).any(|a| local(a) == local(to.to_owned()))
}

/// The findings of `outcome` for `secrets`, with `mocks` the only places the action may connect to.
pub(super) fn findings(secrets: &[Secret], outcome: &Outcome, mocks: &MockUrls) -> Vec<SecurityFinding> {
    let mut findings = Vec::new();
    let mut arguments = Arguments::of(outcome);
    for secret in secrets {
        let exposed =
            if is_admin_token(secret) { SecurityKind::AdminTokenExposed } else { SecurityKind::SecretExposed };
        if let Some(place) = arguments.place_of(&secret.value) {
            findings.push(found(exposed, secret, place));
        }
        let in_logs = if is_admin_token(secret) { SecurityKind::AdminTokenInLogs } else { SecurityKind::SecretInLogs };
        if let Some(i) = outcome.logs.iter().position(|l| l.contains(&secret.value)) {
            findings.push(found(in_logs, secret, format!("logs[{i}]")));
        }
        let Some(effects) = &outcome.effects else { continue };
        if let Some(i) = effects.output.iter().position(|o| o.contains(&secret.value)) {
            findings.push(found(SecurityKind::SecretInOutput, secret, format!("stdout/stderr write {i}")));
        }
        if let Some(n) = effects.network.iter().find(|n| n.data.contains(&secret.value)) {
            findings.push(found(SecurityKind::SecretSentOverNetwork, secret, format!("a connection to {}", n.to)));
        }
        if let Some(f) = effects.files.iter().find(|f| f.data.contains(&secret.value) || f.path.contains(&secret.value))
        {
            findings.push(found(SecurityKind::SecretWrittenToFile, secret, format!("the file {}", f.path)));
        }
    }
    if let Some(effects) = &outcome.effects {
        // The sandbox's record says the connection was refused; the Node runtime's own record alone (an
        // unconfined run) says it was made.
        let refused: Vec<&str> = effects
            .sandbox
            .iter()
            .filter(|e| e.kind == SandboxEventKind::ConnectsOutsideMocks)
            .map(|e| e.detail.as_str())
            .collect();
        let made: Vec<&str> = effects
            .network
            .iter()
            .filter(|n| !is_mock(&n.to, mocks) && !refused.contains(&n.to.as_str()))
            .map(|n| n.to.as_str())
            .collect();
        if !refused.is_empty() {
            findings.push(SecurityFinding {
                kind: SecurityKind::ConnectsOutsideMocks,
                detail: format!("the implementation tried to connect to {} (refused)", listed(&refused)),
            });
        } else if !made.is_empty() {
            findings.push(SecurityFinding {
                kind: SecurityKind::ConnectsOutsideMocks,
                detail: format!("the implementation connected to {}, which is not one of the mocks", listed(&made)),
            });
        }
        findings.extend(sandbox_findings(&effects.sandbox));
    }
    findings
}

/// One finding per kind of attempt the sandbox saw (other than connections, told above), naming what
/// was attempted.
fn sandbox_findings(events: &[SandboxEvent]) -> Vec<SecurityFinding> {
    let told = [
        (SandboxEventKind::SpawnsProcesses, SecurityKind::SpawnsProcesses, "started processes"),
        (SandboxEventKind::ResolvesNames, SecurityKind::ResolvesNames, "tried to resolve names (refused)"),
        (SandboxEventKind::SendsUdp, SecurityKind::SendsUdp, "tried to send datagrams (refused)"),
        (SandboxEventKind::WritesOutsideSandbox, SecurityKind::WritesOutsideSandbox, "tried to write (refused)"),
        (SandboxEventKind::ReadsOutsideSandbox, SecurityKind::ReadsOutsideSandbox, "tried to read (refused)"),
    ];
    told.into_iter()
        .filter_map(|(seen, kind, what)| {
            let details: Vec<&str> = events.iter().filter(|e| e.kind == seen).map(|e| e.detail.as_str()).collect();
            (!details.is_empty())
                .then(|| SecurityFinding { kind, detail: format!("the implementation {what}: {}", listed(&details)) })
        })
        .collect()
}

/// `items` joined, the first five of them and how many more.
fn listed(items: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = items.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if items.len() > SHOWN {
        text.push_str(&format!(" and {} more", items.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{ApiCall, Effects, FileEffect, NetworkEffect};
    use serde_json::json;

    const ADMIN: &str = "p.made-up-admin-token";

    fn kinds_and_places(outcome: &Outcome) -> Vec<(SecurityKind, String)> {
        let mocks =
            MockUrls { auth0: "http://127.0.0.1:1/cases/1".into(), tinybird: "http://127.0.0.1:2/cases/1".into() };
        let secrets = secrets_of(&json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": ADMIN, "SHORT": "abc", "N": 5}}));
        findings(&secrets, outcome, &mocks).into_iter().map(|f| (f.kind, f.detail)).collect()
    }

    #[test]
    fn the_admin_token_is_found_at_any_depth_and_inside_tokens() {
        let mut outcome = Outcome::completed();
        outcome.calls.push(ApiCall {
            api: "user.setAppMetadata".into(),
            args: vec![json!("k"), json!({"a": [1, {"b": ADMIN}]})],
        });
        let found = kinds_and_places(&outcome);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, SecurityKind::AdminTokenExposed);
        assert!(found[0].1.contains("calls[0] user.setAppMetadata argument 1/a/1/b") && !found[0].1.contains(ADMIN));

        let claims = crate::jwt::b64url(json!({"leak": {"x": ADMIN}}).to_string().as_bytes());
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln");
        let mut outcome = Outcome::completed();
        outcome.calls.push(ApiCall::new("idToken.setCustomClaim", ["c".to_owned(), token]));
        let found = kinds_and_places(&outcome);
        assert!(found[0].1.contains("(JWT claims)/leak/x"), "{found:?}");
    }

    #[test]
    fn effects_are_searched_and_connections_outside_the_mocks_reported() {
        let mut outcome = Outcome::completed();
        outcome.effects = Some(Effects {
            output: vec![format!("debug {ADMIN}")],
            network: vec![
                NetworkEffect { to: "127.0.0.1:2".into(), data: "GET /".into() },
                NetworkEffect { to: "10.0.0.9:443".into(), data: format!("token={ADMIN}") },
            ],
            files: vec![FileEffect { path: "/tmp/x".into(), data: ADMIN.into() }],
            sandbox: Vec::new(),
        });
        let kinds: Vec<SecurityKind> = kinds_and_places(&outcome).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            [
                SecurityKind::SecretInOutput,
                SecurityKind::SecretSentOverNetwork,
                SecurityKind::SecretWrittenToFile,
                SecurityKind::ConnectsOutsideMocks
            ]
        );
    }
}
