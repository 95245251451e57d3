//! The rule ids R1–R12 of docs/spec.md and the four exact log messages.

use serde::{Deserialize, Serialize};
use std::fmt;

/// M1: logged when the admin token secret is falsy.
pub const MSG_MISSING_ADMIN_TOKEN: &str =
    "Tinybird Admin Token is missing. Create a secret with name TINYBIRD_ADMIN_TOKEN.";
/// M2: logged when the workspace id configuration is falsy.
pub const MSG_MISSING_WORKSPACE_ID: &str =
    "Tinybird Workspace ID is missing. Create a configuration variable with name TINYBIRD_WORKSPACE_ID.";
/// M3: logged when the pipe names configuration is falsy.
pub const MSG_MISSING_PIPE_NAMES: &str =
    "Tinybird Pipe Names is missing. Create a configuration variable with name TINYBIRD_PIPE_NAMES.";
/// M4: logged last, after the token was set.
pub const MSG_TOKEN_SET: &str = "Tinybird JWT token set for user";

/// The custom claim that carries the token in the ID token.
pub const CLAIM_NAME: &str = "https://app.tinybird.co";
/// The `app_metadata` key that stores the token.
pub const METADATA_KEY: &str = "tinybirdJWT";

/// A rule of the reference behaviour, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Rule {
    /// `event.secrets` nullish → TypeError.
    R1,
    /// Admin token falsy → log M1, return.
    R2,
    /// `event.configuration` nullish → TypeError.
    R3,
    /// Workspace id falsy → log M2, return.
    R4,
    /// Pipe names falsy → log M3, return.
    R5,
    /// Pipe names truthy but not a string → TypeError.
    R6,
    /// Scopes: one `PIPES:READ` scope per `split(",")` segment, kept as they are.
    R7,
    /// Token name `tinybird_jwt_${event.user.id}`; nullish user → TypeError.
    R8,
    /// Key material as `jsonwebtoken@9.0.1` judges it.
    R9,
    /// Token bytes: header, payload key order, `iat`, `exp = iat + 7d`, base64url.
    R10,
    /// `user.setAppMetadata`, then `idToken.setCustomClaim` only with a truthy authorization.
    R11,
    /// Log M4 last.
    R12,
}

impl Rule {
    /// Every rule, in order.
    pub const ALL: [Rule; 12] = [
        Rule::R1,
        Rule::R2,
        Rule::R3,
        Rule::R4,
        Rule::R5,
        Rule::R6,
        Rule::R7,
        Rule::R8,
        Rule::R9,
        Rule::R10,
        Rule::R11,
        Rule::R12,
    ];

    /// The rule's one-line statement.
    pub fn summary(self) -> &'static str {
        match self {
            Rule::R1 => "event.secrets undefined or null: the action throws a TypeError",
            Rule::R2 => "secrets.TINYBIRD_ADMIN_TOKEN falsy: log M1 and return",
            Rule::R3 => "event.configuration undefined or null: the action throws a TypeError",
            Rule::R4 => "configuration.TINYBIRD_WORKSPACE_ID falsy: log M2 and return",
            Rule::R5 => "configuration.TINYBIRD_PIPE_NAMES falsy: log M3 and return",
            Rule::R6 => "TINYBIRD_PIPE_NAMES truthy but not a string: TypeError (split is not a function)",
            Rule::R7 => "scopes = TINYBIRD_PIPE_NAMES.split(\",\") as PIPES:READ, no trimming, empty segments kept",
            Rule::R8 => "name = \"tinybird_jwt_\" + ToString(event.user.id); user undefined or null: TypeError",
            Rule::R9 => "jsonwebtoken@9.0.1 key material: non-string throws, PEM private key throws, else HMAC-SHA256",
            Rule::R10 => "token bytes: {alg,typ} header, payload workspace_id,name,scopes,iat,exp, exp = iat + 604800",
            Rule::R11 => "user.setAppMetadata(\"tinybirdJWT\"), then idToken.setCustomClaim only if event.authorization is truthy",
            Rule::R12 => "last, log M4",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_own_statement() {
        let summaries: std::collections::BTreeSet<&str> = Rule::ALL.iter().map(|r| r.summary()).collect();
        assert_eq!(summaries.len(), 12, "one distinct statement per rule");
        for (rule, needle) in [
            (Rule::R2, "M1"),
            (Rule::R4, "M2"),
            (Rule::R5, "M3"),
            (Rule::R12, "M4"),
            (Rule::R10, "604800"),
            (Rule::R7, "split"),
        ] {
            assert!(rule.summary().contains(needle), "{rule}: {}", rule.summary());
        }
        assert_eq!(Rule::R11.to_string(), "R11");
    }
}
