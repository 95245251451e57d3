//! What a deployed custom Action is given: Auth0 gives a custom Action no `event.configuration`, only
//! the secrets it declares, so the reference's inputs (one secret, two configuration variables) reach it
//! as secrets under the names the artifact declares.
//!
//! A case is written in the reference's shape. [`CustomInputs::as_given`] turns its event into what
//! Auth0 would give the custom Action (undeclared secrets left out); [`CustomInputs::canonical`] turns it
//! into the reference-shaped event of that same world (a `configuration` that is not an object, say,
//! becomes the missing values a custom Action would see), so that both sides of a comparison live in
//! one world.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Where the reference reads an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `event.secrets`.
    Secrets,
    /// `event.configuration`.
    Configuration,
}

impl Store {
    fn key(self) -> &'static str {
        match self {
            Store::Secrets => "secrets",
            Store::Configuration => "configuration",
        }
    }
}

/// The reference's inputs, where it reads them.
pub const REFERENCE_INPUTS: [(Store, &str); 3] = [
    (Store::Secrets, "TINYBIRD_ADMIN_TOKEN"),
    (Store::Configuration, "TINYBIRD_WORKSPACE_ID"),
    (Store::Configuration, "TINYBIRD_PIPE_NAMES"),
];

/// The reference's inputs as a deployed custom Action receives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomInputs {
    /// For each of [`REFERENCE_INPUTS`] (in that order), the secret's name in `event.secrets`.
    pub names: [String; 3],
    /// The secrets the artifact declares: only these reach the action.
    pub declared: BTreeSet<String>,
}

impl CustomInputs {
    /// The inputs of an artifact declaring `declared`: each reference input under its own name unless
    /// `overrides` (reference input → secret name) says otherwise. An override of a name that is not a
    /// reference input is refused.
    pub fn new(declared: BTreeSet<String>, overrides: &BTreeMap<String, String>) -> Result<CustomInputs, String> {
        if let Some(unknown) = overrides.keys().find(|k| !REFERENCE_INPUTS.iter().any(|(_, name)| name == k)) {
            let known: Vec<&str> = REFERENCE_INPUTS.iter().map(|(_, n)| *n).collect();
            return Err(format!("`{unknown}` is not an input of the reference; secret names map {}", known.join(", ")));
        }
        let names = REFERENCE_INPUTS.map(|(_, name)| overrides.get(name).cloned().unwrap_or_else(|| name.to_owned()));
        Ok(CustomInputs { names, declared })
    }

    /// The event Auth0 would give the custom Action for `event` (a reference-shaped event): `secrets`
    /// holds the declared secrets only, `configuration` is gone.
    pub fn as_given(&self, event: &Value) -> Value {
        let Some(object) = event.as_object() else { return event.clone() };
        let secrets = self.secrets_of(object, true);
        let mut out = object.clone();
        out.remove("configuration");
        out.insert("secrets".into(), Value::Object(secrets));
        Value::Object(out)
    }

    /// The reference-shaped event of the world the custom Action lives in: the reference's inputs are
    /// what the custom Action would read under their names (declared or not: an undeclared secret is a
    /// deployment's mistake, which the comparison is there to show).
    pub fn canonical(&self, event: &Value) -> Value {
        let Some(object) = event.as_object() else { return event.clone() };
        let given = self.secrets_of(object, false);
        let mut secrets = Map::new();
        let mut configuration = Map::new();
        for ((store, reference), name) in REFERENCE_INPUTS.iter().zip(&self.names) {
            if let Some(value) = given.get(name) {
                match store {
                    Store::Secrets => secrets.insert((*reference).to_owned(), value.clone()),
                    Store::Configuration => configuration.insert((*reference).to_owned(), value.clone()),
                };
            }
        }
        for (name, value) in &given {
            if !self.names.contains(name) {
                secrets.insert(name.clone(), value.clone());
            }
        }
        let mut out = object.clone();
        out.insert("secrets".into(), Value::Object(secrets));
        out.insert("configuration".into(), Value::Object(configuration));
        Value::Object(out)
    }

    /// The secrets a custom Action would find for `event`: each reference input under its name, then the
    /// event's other secrets.
    fn secrets_of(&self, event: &Map<String, Value>, declared_only: bool) -> Map<String, Value> {
        let store = |s: Store| event.get(s.key()).and_then(Value::as_object);
        let admits = |name: &str| !declared_only || self.declared.contains(name);
        let mut secrets = Map::new();
        for ((from, reference), name) in REFERENCE_INPUTS.iter().zip(&self.names) {
            if let Some(value) = store(*from).and_then(|s| s.get(*reference)) {
                if admits(name) {
                    secrets.insert(name.clone(), value.clone());
                }
            }
        }
        for (name, value) in store(Store::Secrets).into_iter().flatten() {
            let an_input = REFERENCE_INPUTS.iter().any(|(_, r)| r == name) || self.names.contains(name);
            if !an_input && admits(name) {
                secrets.insert(name.clone(), value.clone());
            }
        }
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn inputs(declared: &[&str], overrides: &[(&str, &str)]) -> CustomInputs {
        let overrides = overrides.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
        CustomInputs::new(declared.iter().map(|s| (*s).to_owned()).collect(), &overrides).unwrap()
    }

    #[test]
    fn a_custom_action_gets_the_declared_secrets_and_no_configuration() {
        let event = json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "t"}, "configuration": {
            "TINYBIRD_WORKSPACE_ID": "w", "TINYBIRD_PIPE_NAMES": "a,b"}, "user": {"user_id": "u"}});
        let all =
            inputs(&["TINYBIRD_ADMIN_TOKEN", "TB_WS", "TINYBIRD_PIPE_NAMES"], &[("TINYBIRD_WORKSPACE_ID", "TB_WS")]);
        assert_eq!(
            all.as_given(&event),
            json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "t", "TB_WS": "w", "TINYBIRD_PIPE_NAMES": "a,b"},
                   "user": {"user_id": "u"}})
        );
        // An undeclared secret does not reach the action; the canonical world still holds it.
        let without_pipes = inputs(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID"], &[]);
        assert_eq!(
            without_pipes.as_given(&event)["secrets"],
            json!({"TINYBIRD_ADMIN_TOKEN": "t", "TINYBIRD_WORKSPACE_ID": "w"})
        );
        assert_eq!(without_pipes.canonical(&event), event);
    }

    #[test]
    fn a_configuration_a_custom_action_cannot_have_becomes_missing_values() {
        let all = inputs(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID", "TINYBIRD_PIPE_NAMES"], &[]);
        let event = json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "t", "OTHER": "o"}, "configuration": null});
        assert_eq!(
            all.canonical(&event),
            json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "t", "OTHER": "o"}, "configuration": {}})
        );
        assert_eq!(all.as_given(&event), json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "t"}}));
        assert_eq!(all.as_given(&json!([1])), json!([1]));
    }

    #[test]
    fn an_override_must_name_a_reference_input() {
        let overrides = [("TINYBIRD_TOKEN".to_owned(), "X".to_owned())].into_iter().collect();
        let e = CustomInputs::new(BTreeSet::new(), &overrides).unwrap_err();
        assert!(e.contains("`TINYBIRD_TOKEN` is not an input") && e.contains("TINYBIRD_ADMIN_TOKEN"), "{e}");
    }
}
