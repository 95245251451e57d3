//! Reviewable renderings of outcomes: what the spec snapshots (`snapshots/spec/`) show a reviewer. Every
//! token an outcome carries is shown decoded (header, claims, whether its signature is valid under the
//! admin token) beside its raw text; the admin token itself is never shown.

use serde::Serialize;
use serde_json::Value;

use crate::jwt::{hs256_verify, DecodedJwt};
use crate::outcome::Outcome;
use crate::spec::Evaluation;

/// A token found in an outcome's calls, decoded for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenReview {
    /// Where it was passed, for example `user.setAppMetadata[1]`.
    pub found_in: Vec<String>,
    /// The decoded header (or the reason it does not decode).
    pub header: Value,
    /// The decoded claims.
    pub claims: Value,
    /// Whether the HS256 signature is valid under the admin token (`None` without a string admin token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_valid_under_admin_token: Option<bool>,
    /// The raw token.
    pub raw: String,
}

/// An outcome laid out for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeReview<'a> {
    /// The outcome, as compared.
    pub outcome: &'a Outcome,
    /// Each distinct token in the calls, decoded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenReview>,
    /// The rules that decided the reference outcome (`R4: note`), when this is the reference's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// Whether a string looks like a compact JWS (three base64url parts, the first decoding to JSON).
pub fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ") && s.matches('.').count() == 2 && DecodedJwt::decode(s).is_ok()
}

/// Reviews `outcome`; `admin_token` (when a string) is used only to check signatures.
pub fn review_outcome<'a>(outcome: &'a Outcome, admin_token: Option<&str>) -> OutcomeReview<'a> {
    let mut tokens: Vec<TokenReview> = Vec::new();
    for call in &outcome.calls {
        for (i, arg) in call.args.iter().enumerate() {
            let Some(raw) = arg.as_str().filter(|s| looks_like_jwt(s)) else {
                continue;
            };
            let place = format!("{}[{i}]", call.api);
            if let Some(existing) = tokens.iter_mut().find(|t| t.raw == raw) {
                existing.found_in.push(place);
                continue;
            }
            let decoded = DecodedJwt::decode(raw).expect("looks_like_jwt checked it decodes");
            tokens.push(TokenReview {
                found_in: vec![place],
                header: decoded.header,
                claims: decoded.claims,
                signature_valid_under_admin_token: admin_token.map(|k| hs256_verify(raw, k.as_bytes())),
                raw: raw.to_owned(),
            });
        }
    }
    OutcomeReview { outcome, tokens, rules: Vec::new() }
}

/// Reviews the reference's evaluation, with its rule trace.
pub fn review_evaluation<'a>(evaluation: &'a Evaluation, admin_token: Option<&str>) -> OutcomeReview<'a> {
    let mut review = review_outcome(&evaluation.outcome, admin_token);
    review.rules = evaluation.trace.iter().map(|s| format!("{}: {}", s.rule, s.note)).collect();
    review
}
