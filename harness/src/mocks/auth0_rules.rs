//! Auth0's rules for what a login commits, as plain functions with no HTTP in them: which custom claims
//! an ID token keeps (reserved names dropped, the size limit), how a metadata patch merges into a user, what
//! Auth0 commits of an Action's outcome, and the tenant's applications. The tenant mock serves them over
//! HTTP ([`super::auth0`]); `check`'s in-process flow (`flow::model`) applies them directly.

use serde_json::{json, Map, Value};

use crate::outcome::{Outcome, Status};

/// The single-page application's client id (the `aud` of ID tokens).
pub const SPA_CLIENT_ID: &str = "tbjwt-spa-client";
/// The regular web application's client id: a confidential client whose ID tokens are signed HS256 with
/// its client secret (Auth0's "JsonWebToken Signature Algorithm" setting). The harness's own flows log in
/// through it: its tokens carry the same claims as the SPA's, and an HMAC costs microseconds where an
/// RSA signature costs half a millisecond.
pub const WEB_APP_CLIENT_ID: &str = "tbjwt-web-app-client";
/// Its client secret (made up), which also signs its ID tokens.
pub const WEB_APP_CLIENT_SECRET: &str = "made-up-web-app-secret-for-the-mock";
/// The machine-to-machine application that may call the Management API.
pub const M2M_CLIENT_ID: &str = "tbjwt-m2m-client";
/// Its client secret (made up).
pub const M2M_CLIENT_SECRET: &str = "made-up-m2m-secret-for-the-mock";
/// The limit on all custom claims of a login.
pub const CUSTOM_CLAIMS_LIMIT: usize = 100 * 1024;
/// ID token lifetime, as Auth0's default.
pub const ID_TOKEN_LIFETIME: i64 = 36_000;

/// Claim names Auth0 refuses to let an Action set (dropped silently): the list of [Create Custom
/// Claims](https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims#general-restrictions),
/// and `scope`.
pub const RESERVED_CLAIMS: [&str; 61] = [
    "acr",
    "act",
    "active",
    "amr",
    "at_hash",
    "ath",
    "attest",
    "aud",
    "auth_time",
    "authorization_details",
    "azp",
    "c_hash",
    "client_id",
    "cnf",
    "cty",
    "dest",
    "entitlements",
    "events",
    "exp",
    "groups",
    "gty",
    "htm",
    "htu",
    "iat",
    "internalService",
    "iss",
    "jcard",
    "jku",
    "jti",
    "jwe",
    "jwk",
    "kid",
    "may_act",
    "mky",
    "nbf",
    "nonce",
    "object_id",
    "org_id",
    "org_name",
    "orig",
    "origid",
    "permissions",
    "roles",
    "rph",
    "s_hash",
    "scope",
    "sid",
    "sip_callid",
    "sip_cseq_num",
    "sip_date",
    "sip_from_tag",
    "sip_via_branch",
    "sub",
    "sub_jwk",
    "toe",
    "txn",
    "typ",
    "uuid",
    "vot",
    "vtm",
    "x5t#S256",
];

/// Whether Auth0 drops a custom claim named `name`.
pub fn is_reserved_claim(name: &str) -> bool {
    if RESERVED_CLAIMS.contains(&name) {
        return true;
    }
    let host = name.strip_prefix("https://").or_else(|| name.strip_prefix("http://")).unwrap_or("");
    let host = host.split('/').next().unwrap_or("");
    ["auth0.com", "webtask.io", "webtask.run"].iter().any(|d| host == *d || host.ends_with(&format!(".{d}")))
}

/// What Auth0 makes of the custom claims an Action set: reserved names dropped (the rest in order, a later
/// value of a name replacing an earlier one), and, when the kept claims are over the size limit, the
/// login's failure.
pub fn platform_claims(custom_claims: &[(String, Value)]) -> (Map<String, Value>, Option<String>) {
    let mut claims = Map::new();
    for (name, value) in custom_claims {
        if !is_reserved_claim(name) {
            claims.insert(name.clone(), value.clone());
        }
    }
    let size = serde_json::to_string(&claims).map_or(0, |text| text.len());
    let failure = (size > CUSTOM_CLAIMS_LIMIT)
        .then(|| format!("custom claims are {size} bytes, over the limit of {CUSTOM_CLAIMS_LIMIT} bytes"));
    (claims, failure)
}

/// Merges `patch` into `target` at the first level; `null` deletes a key.
pub fn merge_metadata(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        if v.is_null() {
            target.remove(k);
        } else {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// Merges `patch` into the user's `field` (`app_metadata` or `user_metadata`), made an object first when it
/// is not one: what `PATCH /api/v2/users/{id}` does with each field of its body.
pub fn merge_user_field(user: &mut Map<String, Value>, field: &str, patch: &Map<String, Value>) {
    let entry = user.entry(field.to_owned()).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    merge_metadata(entry.as_object_mut().expect("just made an object"), patch);
}

/// What Auth0 commits of an outcome at the end of a flow: the metadata patches, the ID token's custom
/// claims, and why the login fails, if it does (the Action threw, or called `access.deny`).
pub struct Commits {
    /// `user.setAppMetadata` calls, key → value (a later call replacing an earlier one).
    pub app_metadata: Map<String, Value>,
    /// `user.setUserMetadata` calls.
    pub user_metadata: Map<String, Value>,
    /// `idToken.setCustomClaim` calls, in order.
    pub claims: Vec<(String, Value)>,
    /// Auth0's `error` and `error_description` when the login fails.
    pub failure: Option<(String, String)>,
}

impl Commits {
    /// What Auth0 commits of `outcome`.
    pub fn of(outcome: &Outcome) -> Commits {
        let mut commits =
            Commits { app_metadata: Map::new(), user_metadata: Map::new(), claims: Vec::new(), failure: None };
        let mut denied: Option<String> = None;
        for call in &outcome.calls {
            let key = call.args.first().map(|k| k.as_str().map_or_else(|| k.to_string(), str::to_owned));
            let value = call.args.get(1).cloned().unwrap_or(Value::Null);
            match (call.api.as_str(), key) {
                ("user.setAppMetadata", Some(k)) => drop(commits.app_metadata.insert(k, value)),
                ("user.setUserMetadata", Some(k)) => drop(commits.user_metadata.insert(k, value)),
                ("idToken.setCustomClaim", Some(k)) => commits.claims.push((k, value)),
                ("access.deny", reason) => denied = Some(reason.unwrap_or_default()),
                _ => {}
            }
        }
        commits.failure = if outcome.status == Status::Threw {
            let name = outcome.error.as_ref().map_or("Error", |e| e.name.as_str());
            Some(("server_error".to_owned(), format!("the Action threw a {name}")))
        } else {
            denied.map(|reason| ("access_denied".to_owned(), reason))
        };
        commits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_claims_and_namespaces() {
        for name in [
            "sub",
            "aud",
            "nonce",
            "roles",
            "permissions",
            "x5t#S256",
            "https://tenant.auth0.com/x",
            "https://auth0.com/y",
            "http://a.webtask.io/z",
        ] {
            assert!(is_reserved_claim(name), "{name}");
        }
        for name in ["https://app.tinybird.co", "https://example.com/roles", "https://example.com/auth0.com"] {
            assert!(!is_reserved_claim(name), "{name}");
        }
    }

    #[test]
    fn metadata_merges_at_the_first_level_and_null_deletes() {
        let mut target = json!({"a": {"x": 1}, "b": 2, "c": 3}).as_object().cloned().unwrap();
        let patch = json!({"a": {"y": 2}, "b": null, "d": 4}).as_object().cloned().unwrap();
        merge_metadata(&mut target, &patch);
        assert_eq!(Value::Object(target), json!({"a": {"y": 2}, "c": 3, "d": 4}));
    }
}
