//! The executable reference: the published post-login action as a pure function of
//! `(event, now)` → [`Outcome`], rule by rule (docs/spec.md). No I/O, no clock, no randomness.
//!
//! ```
//! use harness::{clock::Now, js::JsValue, spec};
//! let event = JsValue::from_json_str(r#"{"secrets":{},"configuration":{}}"#).unwrap();
//! let outcome = spec::outcome(&event, Now::from_seconds(1_764_000_000));
//! assert_eq!(outcome.logs, [spec::MSG_MISSING_ADMIN_TOKEN]);
//! ```
//!
//! [`evaluate`] also returns the trace of rules that decided the case, which the comparator and the
//! reports cite.

mod key_material;
mod rules;
pub mod token;

pub use key_material::{classify, is_pem_private_key, KeyMaterial};
pub use rules::*;

use crate::clock::Now;
use crate::js::{to_js_string, JsValue};
use crate::outcome::{ApiCall, Outcome};
use serde::Serialize;

/// The property names the action reads.
pub mod keys {
    /// `event.secrets.TINYBIRD_ADMIN_TOKEN`.
    pub const ADMIN_TOKEN: &str = "TINYBIRD_ADMIN_TOKEN";
    /// `event.configuration.TINYBIRD_WORKSPACE_ID`.
    pub const WORKSPACE_ID: &str = "TINYBIRD_WORKSPACE_ID";
    /// `event.configuration.TINYBIRD_PIPE_NAMES`.
    pub const PIPE_NAMES: &str = "TINYBIRD_PIPE_NAMES";
    /// JSON Pointer to the admin token in an event.
    pub const ADMIN_TOKEN_POINTER: &str = "/secrets/TINYBIRD_ADMIN_TOKEN";
    /// JSON Pointer to the workspace id in an event.
    pub const WORKSPACE_ID_POINTER: &str = "/configuration/TINYBIRD_WORKSPACE_ID";
    /// JSON Pointer to the pipe names in an event.
    pub const PIPE_NAMES_POINTER: &str = "/configuration/TINYBIRD_PIPE_NAMES";
}

/// One step of the reference's decision: the rule that applied and what it found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The rule id.
    pub rule: Rule,
    /// What the rule found in this event.
    pub note: &'static str,
}

/// The reference outcome with the rules that produced it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// What the action did.
    pub outcome: Outcome,
    /// The rules applied, in order; the last one decided how the run ended.
    pub trace: Vec<Step>,
}

impl Evaluation {
    /// The rule that decided how the run ended.
    pub fn deciding_rule(&self) -> Rule {
        self.trace.last().map_or(Rule::R1, |s| s.rule)
    }

    /// Whether `rule` took part in the decision.
    pub fn involves(&self, rule: Rule) -> bool {
        self.trace.iter().any(|s| s.rule == rule)
    }
}

/// The reference outcome of `event` at `now`.
pub fn outcome(event: &JsValue, now: Now) -> Outcome {
    evaluate(event, now).outcome
}

/// Runs the reference on `event` at `now`, with the trace of rules.
pub fn evaluate(event: &JsValue, now: Now) -> Evaluation {
    let mut run = Run { outcome: Outcome::completed(), trace: Vec::with_capacity(12) };
    run.action(event, now);
    Evaluation { outcome: run.outcome, trace: run.trace }
}

struct Run {
    outcome: Outcome,
    trace: Vec<Step>,
}

/// V8's message for reading `key` of a nullish `value`.
fn cannot_read(value: &JsValue, key: &str) -> String {
    format!("Cannot read properties of {} (reading '{key}')", value.nullish_name())
}

impl Run {
    fn step(&mut self, rule: Rule, note: &'static str) {
        self.trace.push(Step { rule, note });
    }

    fn throw(&mut self, rule: Rule, note: &'static str, name: &str, message: String) {
        self.step(rule, note);
        self.outcome.throw(name, message);
    }

    fn log(&mut self, message: &str) {
        self.outcome.logs.push(message.to_owned());
    }

    fn action(&mut self, event: &JsValue, now: Now) {
        if event.is_nullish() {
            return self.throw(Rule::R1, "the event itself is null", "TypeError", cannot_read(event, "secrets"));
        }
        let secrets = event.get("secrets");
        if secrets.is_nullish() {
            let message = cannot_read(secrets, keys::ADMIN_TOKEN);
            return self.throw(Rule::R1, "event.secrets is undefined or null", "TypeError", message);
        }
        let admin_token = secrets.get(keys::ADMIN_TOKEN);
        if !admin_token.is_truthy() {
            self.step(Rule::R2, "TINYBIRD_ADMIN_TOKEN is falsy: log M1 and return");
            return self.log(MSG_MISSING_ADMIN_TOKEN);
        }
        self.step(Rule::R2, "TINYBIRD_ADMIN_TOKEN is truthy");

        let configuration = event.get("configuration");
        if configuration.is_nullish() {
            let message = cannot_read(configuration, keys::WORKSPACE_ID);
            return self.throw(Rule::R3, "event.configuration is undefined or null", "TypeError", message);
        }
        let workspace_id = configuration.get(keys::WORKSPACE_ID);
        if !workspace_id.is_truthy() {
            self.step(Rule::R4, "TINYBIRD_WORKSPACE_ID is falsy: log M2 and return");
            return self.log(MSG_MISSING_WORKSPACE_ID);
        }
        self.step(Rule::R4, "TINYBIRD_WORKSPACE_ID is truthy");
        let pipe_names = configuration.get(keys::PIPE_NAMES);
        if !pipe_names.is_truthy() {
            self.step(Rule::R5, "TINYBIRD_PIPE_NAMES is falsy: log M3 and return");
            return self.log(MSG_MISSING_PIPE_NAMES);
        }
        self.step(Rule::R5, "TINYBIRD_PIPE_NAMES is truthy");
        let JsValue::String(pipe_names) = pipe_names else {
            let message = "event.configuration.TINYBIRD_PIPE_NAMES.split is not a function".to_owned();
            return self.throw(Rule::R6, "TINYBIRD_PIPE_NAMES is not a string", "TypeError", message);
        };
        self.step(Rule::R7, "one PIPES:READ scope per comma-separated segment, as written");

        let user = event.get("user");
        if user.is_nullish() {
            return self.throw(Rule::R8, "event.user is undefined or null", "TypeError", cannot_read(user, "id"));
        }
        let name = match to_js_string(user.get("id")) {
            Ok(id) => format!("tinybird_jwt_{id}"),
            Err(e) => {
                return self.throw(Rule::R8, "event.user.id has no string form", "TypeError", e.to_string());
            }
        };
        self.step(Rule::R8, "name is tinybird_jwt_ + ToString(event.user.id)");

        let secret = match classify(admin_token) {
            KeyMaterial::Secret(bytes) => bytes,
            KeyMaterial::NotKeyMaterial => {
                let message = "secretOrPrivateKey is not valid key material".to_owned();
                return self.throw(Rule::R9, "the admin token is not a string", "Error", message);
            }
            KeyMaterial::PrivateKey => {
                let message = "secretOrPrivateKey must be a symmetric key when using HS256".to_owned();
                return self.throw(Rule::R9, "the admin token is a PEM private key", "Error", message);
            }
        };
        self.step(Rule::R9, "HMAC-SHA256 keyed with the admin token's UTF-8 bytes");
        // jsonwebtoken: `iat = Math.floor(Date.now() / 1000)`.
        let token = token::mint(secret, workspace_id, &name, pipe_names, now.seconds());
        self.step(Rule::R10, "token bytes as jsonwebtoken@9.0.1 writes them");

        self.outcome.calls.push(ApiCall::new("user.setAppMetadata", [METADATA_KEY.to_owned(), token.clone()]));
        if event.get("authorization").is_truthy() {
            self.step(Rule::R11, "app_metadata set; event.authorization is truthy: ID token claim set");
            self.outcome.calls.push(ApiCall::new("idToken.setCustomClaim", [CLAIM_NAME.to_owned(), token]));
        } else {
            self.step(Rule::R11, "app_metadata set; event.authorization is falsy: no ID token claim");
        }
        self.step(Rule::R12, "log M4");
        self.log(MSG_TOKEN_SET);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluation(json: &str) -> Evaluation {
        evaluate(&JsValue::from_json_str(json).unwrap(), Now::DEFAULT)
    }

    #[test]
    fn the_trace_names_exactly_the_rules_that_applied() {
        let early = evaluation(r#"{"secrets":{},"configuration":{}}"#);
        assert_eq!(early.deciding_rule(), Rule::R2);
        assert!(early.involves(Rule::R2));
        for later in [Rule::R4, Rule::R7, Rule::R10, Rule::R11, Rule::R12] {
            assert!(!early.involves(later), "{later} did not apply");
        }
        let full = evaluation(
            r#"{"secrets":{"TINYBIRD_ADMIN_TOKEN":"k"},"configuration":{"TINYBIRD_WORKSPACE_ID":"w","TINYBIRD_PIPE_NAMES":"a"},"user":{}}"#,
        );
        assert_eq!(full.deciding_rule(), Rule::R12);
        assert!(!full.involves(Rule::R1) && !full.involves(Rule::R6) && full.involves(Rule::R10));
        assert_eq!(evaluation("null").deciding_rule(), Rule::R1);
    }
}
