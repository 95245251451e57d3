//! Auth0's limits on what an Action can be given, as its documentation states them
//! ([Actions limitations](https://auth0.com/docs/customize/actions/limitations)): at most 30 secrets, a
//! secret's name at most 128 characters and its value at most 4,096. An event beyond them is one Auth0
//! cannot send: such events are outside the `auth0` domain (they are the `any-json` domain's class
//! `secrets/beyond-auth0-limits`), and a failing case among them says so in its report.
//!
//! The limits Auth0 applies to what an Action *does* (custom claims over 100 KB fail the login, claims
//! with reserved names are dropped) are the tenant mock's: `mocks::auth0::platform_claims`.

use serde_json::Value;

/// The most secrets an Action may have.
pub const MAX_SECRETS: usize = 30;
/// The longest secret name, in characters.
pub const MAX_SECRET_NAME_CHARS: usize = 128;
/// The longest secret value, in characters.
pub const MAX_SECRET_VALUE_CHARS: usize = 4096;

/// Why Auth0 could not have sent `event`'s secrets (`None`: it could). Only string secrets are judged:
/// Auth0 stores secrets as strings, and an event with other values is outside the `auth0` domain anyway.
pub fn beyond_auth0_limits(event: &Value) -> Option<String> {
    let secrets = event.get("secrets")?.as_object()?;
    if secrets.len() > MAX_SECRETS {
        return Some(format!("{} secrets, where an Action may have at most {MAX_SECRETS}", secrets.len()));
    }
    for (name, value) in secrets {
        let name_chars = name.chars().count();
        if name_chars > MAX_SECRET_NAME_CHARS {
            return Some(format!("a secret name of {name_chars} characters (at most {MAX_SECRET_NAME_CHARS})"));
        }
        let value_chars = value.as_str().map_or(0, |v| v.chars().count());
        if value_chars > MAX_SECRET_VALUE_CHARS {
            return Some(format!(
                "the secret {name} holds {value_chars} characters (at most {MAX_SECRET_VALUE_CHARS})"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_documented_limits_and_one_past_each() {
        let token = |n: usize| json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "k".repeat(n)}});
        assert_eq!(beyond_auth0_limits(&token(MAX_SECRET_VALUE_CHARS)), None);
        let over = beyond_auth0_limits(&token(MAX_SECRET_VALUE_CHARS + 1)).unwrap();
        assert!(over.contains("TINYBIRD_ADMIN_TOKEN holds 4097 characters"), "{over}");
        let many = |n: usize| json!({"secrets": (0..n).map(|i| (format!("S{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()});
        assert_eq!(beyond_auth0_limits(&many(MAX_SECRETS)), None);
        assert!(beyond_auth0_limits(&many(MAX_SECRETS + 1)).unwrap().contains("31 secrets"));
        let long_name = json!({"secrets": {"N".repeat(MAX_SECRET_NAME_CHARS + 1): "v"}});
        assert!(beyond_auth0_limits(&long_name).unwrap().contains("129 characters"));
        assert_eq!(beyond_auth0_limits(&json!({"secrets": "not an object"})), None);
    }
}
