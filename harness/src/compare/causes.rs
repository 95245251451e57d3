//! Root causes: a case's differences grouped so that one fact is reported once, with the other places it
//! shows ("also in").
//!
//! The Tinybird JWT travels: the action passes it to `setAppMetadata` and `setCustomClaim`, Auth0 stores
//! it in `app_metadata` and puts it in the ID token, the browser finds it. A wrong claim therefore shows in
//! up to five places, with the same values; a wrong scope also changes which pipes the token opens. So:
//!
//! - differences inside a decoded token (`…/jwt/…`) with the same path below the token and the same values
//!   are one cause, shown at its first place, the others listed;
//! - the access matrix's differences follow the case's first scope cause (R7) when it has one, and are
//!   otherwise one cause of their own ("which pipes the token opens");
//! - every other difference is its own cause.
//!
//! [`kind`] names a cause for the summary across cases (array indices as `*`, token places folded), so
//! that a run's summary counts causes by rule and kind, never raw paths.

use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

use super::{Difference, Observable};
use crate::spec::Rule;

/// One fact that differs, and where it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootCause {
    /// The rule that governs it.
    pub rule: Rule,
    /// Whether it is a security finding.
    pub security: bool,
    /// What it is, the same for the same fact in every case (see [`kind`]).
    pub kind: String,
    /// Where it is shown: the path of its first difference.
    pub path: String,
    /// The reference's value there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Value>,
    /// The implementation's value there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<Value>,
    /// The other places the same fact shows (paths), the access matrix's entries included.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
}

/// The part of a token difference's path from the token on (`/jwt/claims/scopes/0/resource`), and where
/// the token is (`/calls/0/args/1`).
fn token_part(path: &str) -> Option<(&str, &str)> {
    let at = path.find("/jwt/").or_else(|| path.ends_with("/jwt").then(|| path.len() - 4))?;
    Some((&path[..at], &path[at..]))
}

/// `path` with array indices as `*`.
fn without_indices(path: &str) -> String {
    path.split('/')
        .map(|s| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { "*" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The name of a difference's fact, the same in every case and every place it shows: `token
/// claims/scopes/*/resource`, `access`, `logs/*`, …
pub fn kind(difference: &Difference) -> String {
    if difference.observable == Observable::Access {
        let status = |v: &Option<Value>| v.as_ref().map_or_else(|| "no call".to_owned(), Value::to_string);
        return format!("access: {} → {}", status(&difference.reference), status(&difference.implementation));
    }
    if difference.security {
        let text = difference.reference.as_ref().or(difference.implementation.as_ref()).and_then(Value::as_str);
        return format!("security: {}", text.unwrap_or_default().split(':').next().unwrap_or_default());
    }
    match token_part(&difference.path) {
        // The claim (or header field) that differs, whatever inside it: `token claims/scopes`.
        Some((_, below)) => {
            let below = below.trim_start_matches("/jwt").trim_start_matches('/');
            let part: Vec<&str> = below
                .split('/')
                .take(if below.starts_with("claims/") || below.starts_with("header/") { 2 } else { 1 })
                .collect();
            format!("token {}", part.join("/"))
        }
        None => without_indices(difference.path.trim_start_matches('/')),
    }
}

/// The root causes of one case's differences, in the order of their first difference (security first,
/// as the differences are).
pub fn root_causes(differences: &[Difference]) -> Vec<RootCause> {
    let mut causes: Vec<RootCause> = Vec::new();
    let mut access: Vec<&Difference> = Vec::new();
    // Token causes by (path below the token, both values as JSON text): a long scope list differs in
    // hundreds of places, each seen through up to five observables.
    let mut token_causes: HashMap<(&str, String), usize> = HashMap::new();
    for d in differences {
        if d.observable == Observable::Access {
            access.push(d);
            continue;
        }
        let key = token_part(&d.path).map(|(_, below)| {
            let text = |v: &Option<Value>| v.as_ref().map_or_else(String::new, Value::to_string);
            (below, format!("{}\u{0}{}", text(&d.reference), text(&d.implementation)))
        });
        match key.as_ref().and_then(|k| token_causes.get(k)) {
            Some(&i) => causes[i].also_in.push(d.path.clone()),
            None => {
                if let Some(key) = key {
                    token_causes.insert(key, causes.len());
                }
                causes.push(RootCause {
                    rule: d.rule,
                    security: d.security,
                    kind: kind(d),
                    path: d.path.clone(),
                    reference: d.reference.clone(),
                    implementation: d.implementation.clone(),
                    also_in: Vec::new(),
                });
            }
        }
    }
    if let Some(first) = access.first() {
        let places = access.iter().map(|d| d.path.clone());
        match causes.iter_mut().find(|c| c.rule == Rule::R7 && c.kind == "token claims/scopes") {
            Some(scopes) => scopes.also_in.extend(places),
            None => causes.push(RootCause {
                rule: first.rule,
                security: false,
                kind: kind(first),
                path: first.path.clone(),
                reference: first.reference.clone(),
                implementation: first.implementation.clone(),
                also_in: places.skip(1).collect(),
            }),
        }
    }
    causes
}

/// What a case counts for in a summary across cases: its root causes' (security, rule, kind), and the kind
/// of every access difference, also those a scope cause carries (so that lost pipes and rate-limited
/// calls are counted by what happened to them).
pub fn summary_kinds(causes: &[RootCause], differences: &[Difference]) -> BTreeSet<(bool, Rule, String)> {
    let mut kinds: BTreeSet<(bool, Rule, String)> =
        causes.iter().map(|c| (c.security, c.rule, c.kind.clone())).collect();
    for d in differences.iter().filter(|d| d.observable == Observable::Access) {
        kinds.insert((false, d.rule, kind(d)));
    }
    kinds
}

/// A root cause as baselines and diffs know it: its rule, whether it is a security finding, and its kind
/// (see [`kind`]): the same fact whatever case, seed or suite version shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
pub struct CauseKey {
    /// The rule that governs it.
    pub rule: Rule,
    /// Whether it is a security finding.
    #[serde(default)]
    pub security: bool,
    /// What it is.
    pub kind: String,
}

impl std::fmt::Display for CauseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let security = if self.security { " [security]" } else { "" };
        write!(f, "{}{security} {}", self.rule, self.kind)
    }
}

/// How many cases showed each key (a root cause, a kind of error), and the first of them, in key order:
/// what baselines, diffs and SARIF count.
#[derive(Debug, Clone)]
pub struct Counted<K: Ord>(std::collections::BTreeMap<K, (u64, String)>);

impl<K: Ord> Default for Counted<K> {
    fn default() -> Self {
        Counted(std::collections::BTreeMap::new())
    }
}

impl<K: Ord> Counted<K> {
    /// Counts case `name` once under each of `keys`.
    pub fn add(&mut self, name: &str, keys: impl IntoIterator<Item = K>) {
        for key in keys {
            self.0.entry(key).or_insert_with(|| (0, name.to_owned())).0 += 1;
        }
    }

    /// Whether some case showed `key`.
    pub fn contains(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }

    /// Each key with its number of cases and its first case, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, u64, &str)> {
        self.0.iter().map(|(key, (n, first))| (key, *n, first.as_str()))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.keys()
    }
}

impl<K: Ord> IntoIterator for Counted<K> {
    type Item = (K, (u64, String));
    type IntoIter = std::collections::btree_map::IntoIter<K, (u64, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The keys of a case's root causes (its differences' causes, and the access matrix's kinds).
pub fn cause_keys(differences: &[Difference]) -> BTreeSet<CauseKey> {
    summary_kinds(&root_causes(differences), differences)
        .into_iter()
        .map(|(security, rule, kind)| CauseKey { rule, security, kind })
        .collect()
}

/// The rules a case's root causes cite, each once, in order.
pub fn cited_rules(causes: &[RootCause]) -> BTreeSet<Rule> {
    causes.iter().map(|c| c.rule).collect()
}

/// Where a cause also shows, said briefly: `app_metadata, id_token, tinybird_jwt, access (2 pipes)`.
pub fn also_in_summary(cause: &RootCause) -> String {
    let mut places: Vec<String> = Vec::new();
    let mut pipes = 0;
    for path in &cause.also_in {
        let observable = Observable::of_path(path).map_or("?", Observable::key);
        if observable == Observable::Access.key() {
            pipes += 1;
        } else if !places.iter().any(|p| p == observable) {
            places.push(observable.to_owned());
        }
    }
    if pipes > 0 {
        places.push(format!("access ({pipes} pipe{})", if pipes == 1 { "" } else { "s" }));
    }
    places.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(path: &str, rule: Rule, reference: Value, implementation: Value) -> Difference {
        Difference {
            path: path.into(),
            observable: Observable::of_path(path).unwrap(),
            rule,
            security: false,
            reference: Some(reference),
            implementation: Some(implementation),
        }
    }

    #[test]
    fn one_claim_seen_in_every_place_is_one_cause_with_the_access_matrix_behind_it() {
        let claim = "/jwt/claims/scopes/0/resource";
        let differences = vec![
            d(&format!("/calls/0/args/1{claim}"), Rule::R7, json!(" kpis"), json!("kpis")),
            d(&format!("/calls/1/args/1{claim}"), Rule::R7, json!(" kpis"), json!("kpis")),
            d(&format!("/app_metadata/tinybirdJWT{claim}"), Rule::R7, json!(" kpis"), json!("kpis")),
            d(&format!("/tinybird_jwt/token{claim}"), Rule::R7, json!(" kpis"), json!("kpis")),
            d("/calls/0/args/1/jwt/claims/iat", Rule::R10, json!(1), json!(2)),
            d("/access/kpis", Rule::R7, json!(403), json!(200)),
            d("/logs/0", Rule::R12, json!("a"), json!("b")),
        ];
        let causes = root_causes(&differences);
        assert_eq!(causes.len(), 3, "{causes:#?}");
        assert_eq!(causes[0].kind, "token claims/scopes");
        assert_eq!(causes[0].also_in.len(), 4);
        assert_eq!(also_in_summary(&causes[0]), "calls, app_metadata, tinybird_jwt, access (1 pipe)");
        assert_eq!((causes[1].rule, causes[1].kind.as_str()), (Rule::R10, "token claims/iat"));
        assert_eq!(causes[2].kind, "logs/*");
    }

    #[test]
    fn different_values_at_the_same_claim_are_different_causes_and_lone_access_is_its_own() {
        let differences = vec![
            d("/calls/0/args/1/jwt/claims/name", Rule::R8, json!("a"), json!("b")),
            d("/app_metadata/tinybirdJWT/jwt/claims/name", Rule::R8, json!("a"), json!("c")),
            d("/access/a", Rule::R7, json!(200), json!(403)),
            d("/access/b", Rule::R7, json!(200), json!(403)),
        ];
        let causes = root_causes(&differences);
        assert_eq!(causes.len(), 3);
        assert_eq!(causes[2].kind, "access: 200 → 403");
        let kinds = summary_kinds(&causes, &differences);
        assert!(kinds.contains(&(false, Rule::R7, "access: 200 → 403".to_owned())), "{kinds:?}");
        assert_eq!(causes[2].also_in, ["/access/b"]);
    }
}
