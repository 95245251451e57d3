//! Reference observation vs implementation observation → differences, each with its JSON path, both
//! values, the observable it belongs to, and the spec rule that governs it (docs/design.md).
//!
//! Both observations are first normalised for the level ([`normalize`]): at `semantic`, every JWT is
//! replaced by its decoded header and claims (key order free, numbers compared as numbers) and whether
//! its signature is valid under the admin token, and error messages are dropped; at `strict`, the raw
//! token text is kept beside that; at `effect`, only what the world sees is kept (the metadata and ID-token
//! calls are left to their committed effects, and a token is reduced to what Tinybird acts on). Then the two trees are diffed (the `diff` module). Security differences come
//! first.

mod causes;
mod diff;
mod normalize;

pub use causes::{
    also_in_summary, cause_keys, cited_rules, kind as cause_kind, root_causes, summary_kinds, CauseKey, Counted,
    RootCause,
};
pub use diff::diff_values;
pub use normalize::{normalize, NormalizeContext};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

use crate::observation::Observation;
use crate::spec::{Evaluation, Rule};

/// How closely an implementation must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "full", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Everything equal, token bytes included (needs an implementation that honours `now`).
    Strict,
    /// Tokens equal as decoded header and claims, signature valid under the admin token; the rest equal.
    #[default]
    Semantic,
    /// What the world sees: status, error class, logs, the login, stored metadata and ID-token claims,
    /// which pipes the token opens (the access matrix), and of each token only what Tinybird acts on
    /// (`workspace_id`, `name`, the scopes as a set with their `fixed_params`, `limits`, `exp`, whether
    /// the admin token signed it); not the `setAppMetadata`/`setCustomClaim` calls themselves (their
    /// effect is compared where it lands), the header, `iat`, claim order or other claims.
    Effect,
}

impl Level {
    /// The level's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Level::Strict => "strict",
            Level::Semantic => "semantic",
            Level::Effect => "effect",
        }
    }
}

/// A part of the observation that can be compared or ignored on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "full", derive(clap::ValueEnum), value(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Observable {
    /// `completed` or `threw`.
    Status,
    /// The thrown error's name.
    Error,
    /// The console lines.
    Logs,
    /// The api calls and their arguments.
    Calls,
    /// How the login ended.
    Login,
    /// The stored `app_metadata`.
    AppMetadata,
    /// The ID token's custom claims.
    IdToken,
    /// The Tinybird JWT the browser uses.
    TinybirdJwt,
    /// Pipe → status from the Tinybird mock.
    Access,
    /// Security findings.
    Security,
}

impl Observable {
    /// Every observable, in report order.
    pub const ALL: [Observable; 10] = [
        Observable::Security,
        Observable::Status,
        Observable::Error,
        Observable::Logs,
        Observable::Calls,
        Observable::Login,
        Observable::AppMetadata,
        Observable::IdToken,
        Observable::TinybirdJwt,
        Observable::Access,
    ];

    /// The key of this observable in the normalised tree (and the first segment of its paths).
    pub fn key(self) -> &'static str {
        match self {
            Observable::Status => "status",
            Observable::Error => "error",
            Observable::Logs => "logs",
            Observable::Calls => "calls",
            Observable::Login => "login",
            Observable::AppMetadata => "app_metadata",
            Observable::IdToken => "id_token",
            Observable::TinybirdJwt => "tinybird_jwt",
            Observable::Access => "access",
            Observable::Security => "security",
        }
    }

    /// The observable a normalised path belongs to.
    pub fn of_path(path: &str) -> Option<Observable> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        Observable::ALL.into_iter().find(|o| o.key() == first)
    }
}

/// What to compare and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareOptions {
    /// Strict (token bytes too) or semantic.
    pub level: Level,
    /// Observables left out of the comparison.
    pub ignore: BTreeSet<Observable>,
    /// Seconds an `iat` may be off the wall clock for an implementation that does not honour `now`.
    pub clock_tolerance: i64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { level: Level::Semantic, ignore: BTreeSet::new(), clock_tolerance: 300 }
    }
}

/// One difference between the reference and the implementation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// JSON Pointer into the normalised observation, for example `/calls/0/args/1/jwt/claims/name`.
    pub path: String,
    /// The observable it belongs to.
    pub observable: Observable,
    /// The spec rule that governs it.
    pub rule: Rule,
    /// Whether it is a security difference (reported above the rest).
    pub security: bool,
    /// The reference's value (absent when only the implementation has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Value>,
    /// The implementation's value (absent when only the reference has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Value>,
}

/// The rule that governs a difference at `path`, given the reference's decision.
pub fn rule_for(path: &str, reference: &Evaluation) -> Rule {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let claim = segments.iter().position(|s| *s == "claims").and_then(|i| segments.get(i + 1)).copied();
    if segments.contains(&"jwt") || segments.first() == Some(&"tinybird_jwt") {
        return match (claim, segments.last().copied()) {
            (Some("scopes"), _) => Rule::R7,
            (Some("name"), _) => Rule::R8,
            (_, Some("signature_valid")) => Rule::R9,
            _ => Rule::R10,
        };
    }
    match segments.first().copied().unwrap_or("") {
        "status" | "error" => reference.deciding_rule(),
        "logs" => match reference.outcome.logs.first().map(String::as_str) {
            Some(crate::spec::MSG_MISSING_ADMIN_TOKEN) => Rule::R2,
            Some(crate::spec::MSG_MISSING_WORKSPACE_ID) => Rule::R4,
            Some(crate::spec::MSG_MISSING_PIPE_NAMES) => Rule::R5,
            _ => Rule::R12,
        },
        "access" => Rule::R7,
        _ => {
            if reference.outcome.calls.is_empty() {
                reference.deciding_rule()
            } else {
                Rule::R11
            }
        }
    }
}

/// The rule a difference in how the run ended (`status`, `error`) is filed under: the rule that threw in
/// the reference (or should have), or, when the implementation threw where the reference completed, the
/// first step of the reference whose effect the implementation's outcome lacks: the calls of R11 (the
/// step before them, which minted the token, when there is no call at all) or the log of R12.
pub fn status_rule(reference: &Evaluation, implementation: &Observation) -> Rule {
    let threw_alone = reference.outcome.status == crate::outcome::Status::Completed
        && implementation.outcome.as_ref().is_some_and(|o| o.status == crate::outcome::Status::Threw);
    let Some(outcome) = implementation.outcome.as_ref().filter(|_| threw_alone) else {
        return reference.deciding_rule();
    };
    let rules: Vec<Rule> = reference.trace.iter().map(|s| s.rule).collect();
    if outcome.calls.len() < reference.outcome.calls.len() {
        if outcome.calls.is_empty() {
            if let Some(at) = rules.iter().position(|r| *r == Rule::R11).filter(|at| *at > 0) {
                return rules[at - 1];
            }
        }
        return Rule::R11;
    }
    if outcome.logs.len() < reference.outcome.logs.len() && rules.contains(&Rule::R12) {
        return Rule::R12;
    }
    reference.deciding_rule()
}

/// Whether an access-matrix difference is no difference in the world: one side has no entry (it had no
/// token to call with) and the other's call was refused. Either way the pipe stays closed; the missing
/// token is reported where it is missing.
fn closed_either_way(reference: Option<&Value>, implementation: Option<&Value>) -> bool {
    let refused = |v: &Value| v.as_u64().is_some_and(|status| status != 200);
    match (reference, implementation) {
        (None, Some(v)) | (Some(v), None) => refused(v),
        _ => false,
    }
}

/// The rule a security finding breaks, from its text in a normalised observation (`kind: where`, the
/// kind written by [`crate::observation::SecurityKind::name`]).
pub fn security_rule(finding: &str) -> Rule {
    let kind = crate::observation::SecurityKind::from_name(finding.split(':').next().unwrap_or_default());
    debug_assert!(kind.is_some(), "a security kind the observation never writes");
    kind.map_or(Rule::R11, crate::observation::SecurityKind::rule)
}

/// A difference's path with array indices replaced by `*`, to group similar differences.
pub fn signature(difference: &Difference) -> String {
    let path: Vec<&str> = difference
        .path
        .split('/')
        .map(|s| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { "*" } else { s })
        .collect();
    format!("{} ({})", path.join("/"), difference.rule)
}

/// Compares an implementation's observation with the reference's.
pub fn compare(
    reference: &Observation,
    evaluation: &Evaluation,
    implementation: &Observation,
    context: &NormalizeContext,
    options: &CompareOptions,
) -> Vec<Difference> {
    // Normalising is a function of the observation and the context, the same for both sides: equal
    // observations are equal at every level, so the common case of a conforming run skips it.
    if reference == implementation {
        return Vec::new();
    }
    let left = normalize(reference, context, options);
    let right = normalize(implementation, context, options);
    let mut differences: Vec<Difference> = diff_values(&left, &right)
        .into_iter()
        .filter_map(|(path, left_value, right_value)| {
            let observable = Observable::of_path(&path)?;
            if observable == Observable::Access && closed_either_way(left_value.as_ref(), right_value.as_ref()) {
                return None;
            }
            let kind = left_value.as_ref().or(right_value.as_ref()).and_then(Value::as_str).unwrap_or_default();
            Some(Difference {
                rule: match observable {
                    Observable::Security => security_rule(kind),
                    Observable::Status | Observable::Error => status_rule(evaluation, implementation),
                    _ => rule_for(&path, evaluation),
                },
                security: observable == Observable::Security,
                observable,
                path,
                reference: left_value,
                implementation: right_value,
            })
        })
        .collect();
    differences.sort_by_key(|d| !d.security);
    differences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::JsValue;
    use crate::observation::SecurityKind;
    use serde_json::json;

    fn evaluate(event: Value) -> Evaluation {
        crate::spec::evaluate(&JsValue::from_json(&event), crate::clock::Now::DEFAULT)
    }

    fn minted() -> Evaluation {
        evaluate(json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "p.x"},
            "configuration": {"TINYBIRD_WORKSPACE_ID": "w", "TINYBIRD_PIPE_NAMES": "a"}, "user": {}}))
    }

    #[test]
    fn token_paths_name_the_claim_rule_wherever_the_token_shows() {
        let e = minted();
        for prefix in ["/calls/0/args/1/jwt", "/app_metadata/tinybirdJWT/jwt", "/tinybird_jwt/token/jwt"] {
            assert_eq!(rule_for(&format!("{prefix}/claims/scopes/0/resource"), &e), Rule::R7);
            assert_eq!(rule_for(&format!("{prefix}/claims/name"), &e), Rule::R8);
            assert_eq!(rule_for(&format!("{prefix}/signature_valid"), &e), Rule::R9);
            assert_eq!(rule_for(&format!("{prefix}/claims/exp"), &e), Rule::R10);
            assert_eq!(rule_for(&format!("{prefix}/header/alg"), &e), Rule::R10);
        }
        assert_eq!(rule_for("/access/a", &e), Rule::R7);
        assert_eq!(rule_for("/calls/1/api", &e), Rule::R11);
        assert_eq!(rule_for("/logs/0", &e), Rule::R12);
    }

    #[test]
    fn early_returns_and_throws_are_the_deciding_rules() {
        let missing_pipes = evaluate(json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "p.x"},
            "configuration": {"TINYBIRD_WORKSPACE_ID": "w"}}));
        assert_eq!(rule_for("/logs/0", &missing_pipes), Rule::R5);
        assert_eq!(rule_for("/calls/0", &missing_pipes), Rule::R5);
        let no_secrets = evaluate(json!({}));
        assert_eq!(rule_for("/status", &no_secrets), Rule::R1);
        assert_eq!(rule_for("/error", &no_secrets), Rule::R1);
        let no_token = evaluate(json!({"secrets": {}}));
        assert_eq!(rule_for("/logs/0", &no_token), Rule::R2);
    }

    #[test]
    fn a_throw_where_the_reference_completed_is_filed_under_the_step_it_missed() {
        let reference = evaluate(json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "p.x"},
            "configuration": {"TINYBIRD_WORKSPACE_ID": "w", "TINYBIRD_PIPE_NAMES": "a"}, "user": {},
            "authorization": {"roles": []}}));
        assert_eq!(reference.outcome.calls.len(), 2);
        let observed = |outcome: crate::outcome::Outcome| Observation {
            outcome: Some(outcome),
            ..Observation::errored(String::new())
        };
        let mut threw = crate::outcome::Outcome::completed();
        threw.throw("TypeError", "boom");
        let before_r11 = reference.trace.iter().map(|s| s.rule).take_while(|r| *r != Rule::R11).last().unwrap();
        assert_eq!(status_rule(&reference, &observed(threw.clone())), before_r11);
        assert_ne!(before_r11, Rule::R12);
        let mut after_one_call = threw.clone();
        after_one_call.calls.push(reference.outcome.calls[0].clone());
        assert_eq!(status_rule(&reference, &observed(after_one_call)), Rule::R11);
        let mut after_the_calls = threw;
        after_the_calls.calls = reference.outcome.calls.clone();
        assert_eq!(status_rule(&reference, &observed(after_the_calls)), Rule::R12);
        // The reference threw and the implementation completed: the rule that threw.
        let no_secrets = evaluate(json!({}));
        assert_eq!(status_rule(&no_secrets, &observed(crate::outcome::Outcome::completed())), Rule::R1);
    }

    #[test]
    fn a_pipe_closed_either_way_is_no_difference() {
        assert!(closed_either_way(Some(&json!(403)), None));
        assert!(closed_either_way(None, Some(&json!(401))));
        assert!(!closed_either_way(Some(&json!(200)), None), "a pipe the reference's token opens");
        assert!(!closed_either_way(None, Some(&json!(200))));
        assert!(!closed_either_way(Some(&json!(403)), Some(&json!(200))));
    }

    #[test]
    fn every_security_kind_has_its_rule_and_round_trips_its_name() {
        for kind in SecurityKind::ALL {
            assert_eq!(security_rule(kind.name()), kind.rule());
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
        assert_eq!(SecurityKind::OpensUnconfiguredPipe.rule(), Rule::R7);
        assert_eq!(SecurityKind::AdminTokenInLogs.rule(), Rule::R12);
    }

    #[test]
    fn signatures_group_array_elements() {
        let d = Difference {
            path: "/calls/0/args/1/jwt/claims/scopes/12/resource".into(),
            observable: Observable::Calls,
            rule: Rule::R7,
            security: false,
            reference: None,
            implementation: None,
        };
        assert_eq!(signature(&d), "/calls/*/args/*/jwt/claims/scopes/*/resource (R7)");
    }
}
