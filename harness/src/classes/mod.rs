//! Equivalence classes of the action's inputs: the kinds of value a port's normalisation, validation or
//! conversion could treat differently from the reference (docs/classes.md).
//!
//! [`CLASSES`] lists them, one place for the whole harness. Every case a run judges is classified
//! ([`classify`]): a class counts as reached only when the reference actually reads the value on its way
//! (the rule in [`Class::reached_at`] took part), so that a port treating the class specially would show
//! it. Generated case `i` of a run is directed at the domain's `i`-th class, so the default run reaches
//! every class of its domain whatever the seed; [`Coverage`] counts, and the reports show it.

mod catalogue;
mod domain;
pub mod text;

pub use catalogue::CLASSES;
pub use domain::Domain;

use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

use crate::clock::Now;
use crate::spec::{Evaluation, Rule};

/// Domain bit: events Auth0 can really send.
pub const AUTH0: u8 = 1;
/// Domain bit: any JSON where the action reads a value.
pub const ANY_JSON: u8 = 2;
/// Domain bit: the pipe-name fuzz input space.
pub const PIPE_NAMES: u8 = 4;

/// A value the action reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Input {
    /// `event.secrets.TINYBIRD_ADMIN_TOKEN`.
    AdminToken,
    /// `event.configuration.TINYBIRD_WORKSPACE_ID`.
    WorkspaceId,
    /// `event.configuration.TINYBIRD_PIPE_NAMES`.
    PipeNames,
    /// `event.user`.
    User,
    /// `event.user.id`.
    UserId,
    /// `event.authorization`.
    Authorization,
    /// `Date.now()`.
    Clock,
    /// `event.transaction.protocol`: which grant logs the user in.
    Protocol,
    /// `event.user.app_metadata.tinybirdJWT`: what an earlier login stored, classified by
    /// [`stored_token_kind`].
    StoredToken,
    /// `event.stats.logins_count`.
    LoginsCount,
    /// The case's later logins (its session), as [`session_value`] writes them.
    Session,
    /// `event.secrets` as a whole (Auth0's limits on an Action's secrets).
    Secrets,
}

impl Input {
    /// Where the value sits in an event (`None` for the clock).
    pub fn pointer(self) -> Option<&'static str> {
        use crate::spec::keys::*;
        match self {
            Input::AdminToken => Some(ADMIN_TOKEN_POINTER),
            Input::WorkspaceId => Some(WORKSPACE_ID_POINTER),
            Input::PipeNames => Some(PIPE_NAMES_POINTER),
            Input::User => Some("/user"),
            Input::UserId => Some("/user/id"),
            Input::Authorization => Some("/authorization"),
            Input::Protocol => Some("/transaction/protocol"),
            Input::StoredToken => Some("/user/app_metadata/tinybirdJWT"),
            Input::LoginsCount => Some("/stats/logins_count"),
            Input::Secrets => Some("/secrets"),
            Input::Clock | Input::Session => None,
        }
    }
}

impl Input {
    /// The value of this input that its classes judge in `event` at `now`: the value at its pointer, or
    /// for the stored token, its kind ([`stored_token_kind`]); `None` when absent (the clock and the
    /// session have no value in an event).
    pub fn value_in(self, event: &Value, now: Now) -> Option<Cow<'_, Value>> {
        if self == Input::StoredToken {
            return Some(Cow::Owned(Value::String(stored_token_kind(event, now).to_owned())));
        }
        self.pointer().and_then(|p| event.pointer(p)).map(Cow::Borrowed)
    }
}

/// What an earlier login stored in `event.user.app_metadata.tinybirdJWT`, as the reference's world sees
/// it at `now`: `absent`, `not-a-string`, `other-key` (not signed with today's admin token, or not a JWT),
/// `other-pipes` (scopes for other pipes than the configuration names), `expired`, or `valid`.
pub fn stored_token_kind(event: &Value, now: Now) -> &'static str {
    let Some(stored) = Input::StoredToken.pointer().and_then(|p| event.pointer(p)) else { return "absent" };
    let Some(token) = stored.as_str() else { return "not-a-string" };
    let key = event.pointer(crate::spec::keys::ADMIN_TOKEN_POINTER).and_then(Value::as_str).unwrap_or_default();
    let Ok(decoded) = crate::jwt::DecodedJwt::decode(token) else { return "other-key" };
    if key.is_empty() || !crate::jwt::hs256_verify(token, key.as_bytes()) {
        return "other-key";
    }
    let configured = event.pointer(crate::spec::keys::PIPE_NAMES_POINTER).and_then(Value::as_str).unwrap_or_default();
    let scoped: Vec<&str> = decoded
        .claims
        .get("scopes")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(|s| s.get("resource").and_then(Value::as_str)).collect())
        .unwrap_or_default();
    if scoped != configured.split(',').collect::<Vec<_>>() {
        return "other-pipes";
    }
    match decoded.claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if exp * 1000.0 > now.millis() as f64 => "valid",
        _ => "expired",
    }
}

/// A session's later logins as the value the session classes judge: `[{"grant", "after_ms"}, …]`.
pub fn session_value(logins: &[crate::event::LaterLogin]) -> Value {
    Value::Array(
        logins.iter().map(|l| serde_json::json!({"grant": l.grant.grant_type(), "after_ms": l.after_ms})).collect(),
    )
}

/// One equivalence class.
#[derive(Debug)]
pub struct Class {
    /// `input/kind`, e.g. `pipe-names/padded-nbsp`.
    pub id: &'static str,
    /// The input whose values it partitions.
    pub input: Input,
    /// The rule that must take part for the class to count as reached: the step where the value's
    /// treatment becomes visible (the token minted, for most values).
    pub reached_at: Rule,
    domains: u8,
    /// The values in the class.
    pub values: &'static str,
    /// The porter's mistake that would treat the class differently from the reference.
    pub mistake: &'static str,
    member: fn(Option<&Value>, Now) -> bool,
}

impl Class {
    /// Whether the class is part of `domain`'s input space (and the domain's run must reach it).
    pub fn belongs_to(&self, domain: Domain) -> bool {
        self.domains & domain_bit(domain) != 0
    }

    /// Whether the value at the class's input (`None`: absent) at `now` is in the class.
    pub fn contains(&self, value: Option<&Value>, now: Now) -> bool {
        (self.member)(value, now)
    }
}

fn domain_bit(domain: Domain) -> u8 {
    match domain {
        Domain::Auth0 => AUTH0,
        Domain::AnyJson => ANY_JSON,
        Domain::PipeNames => PIPE_NAMES,
    }
}

/// The classes of `domain`, in catalogue order, with their index in [`CLASSES`].
pub fn of_domain(domain: Domain) -> impl Iterator<Item = (usize, &'static Class)> {
    CLASSES.iter().enumerate().filter(move |(_, c)| c.belongs_to(domain))
}

/// The class with id `id`.
pub fn by_id(id: &str) -> Option<(usize, &'static Class)> {
    CLASSES.iter().enumerate().find(|(_, c)| c.id == id)
}

/// A set of classes (indices into [`CLASSES`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassSet(u128);

impl ClassSet {
    /// Adds class `index`.
    pub fn insert(&mut self, index: usize) {
        self.0 |= 1 << index;
    }

    /// Whether class `index` is in the set.
    pub fn contains(self, index: usize) -> bool {
        self.0 & (1 << index) != 0
    }

    /// Both sets' classes.
    pub fn union(self, other: ClassSet) -> ClassSet {
        ClassSet(self.0 | other.0)
    }

    /// The indices in the set.
    pub fn iter(self) -> impl Iterator<Item = usize> {
        (0..CLASSES.len()).filter(move |&i| self.contains(i))
    }
}

/// The classes a case reaches: those its values are in, for the inputs the reference read on its way.
pub fn classify(event: &Value, now: Now, evaluation: &Evaluation) -> ClassSet {
    let user_is_object = event.get("user").is_some_and(Value::is_object);
    // Each input's value, looked up once (not once per class).
    let mut values: Vec<(Input, Option<Cow<'_, Value>>)> = Vec::with_capacity(8);
    let mut set = ClassSet::default();
    for (i, class) in CLASSES.iter().enumerate() {
        if !evaluation.involves(class.reached_at) || (class.input == Input::UserId && !user_is_object) {
            continue;
        }
        if class.input == Input::Session {
            continue; // a session's, not a login's: see `classify_session`
        }
        let at = match values.iter().position(|(input, _)| *input == class.input) {
            Some(at) => at,
            None => {
                values.push((class.input, class.input.value_in(event, now)));
                values.len() - 1
            }
        };
        if class.contains(values[at].1.as_deref(), now) {
            set.insert(i);
        }
    }
    set
}

/// The session classes a case with later logins `logins` reaches, when its first login minted a token
/// (`first`, the reference's evaluation of that login). Each login's own event is classified with
/// [`classify`] besides.
pub fn classify_session(logins: &[crate::event::LaterLogin], first: &Evaluation) -> ClassSet {
    let mut set = ClassSet::default();
    let value = session_value(logins);
    for (i, class) in CLASSES.iter().enumerate() {
        if class.input == Input::Session
            && first.involves(class.reached_at)
            && class.contains(Some(&value), Now::DEFAULT)
        {
            set.insert(i);
        }
    }
    set
}

/// How many cases of a run reached each class.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    counts: Vec<u64>,
}

/// One row of a coverage table.
#[derive(Debug, Clone, Serialize)]
pub struct ClassCount {
    /// The class id.
    pub class: &'static str,
    /// Cases that reached it.
    pub cases: u64,
    /// Whether the run's domain must reach it.
    pub in_domain: bool,
}

impl Coverage {
    /// Coverage from counts by class id (a report's), unknown ids left out.
    pub fn from_counts<'a>(counts: impl IntoIterator<Item = (&'a str, u64)>) -> Coverage {
        let mut coverage = Coverage { counts: vec![0; CLASSES.len()] };
        for (id, n) in counts {
            if let Some((index, _)) = by_id(id) {
                coverage.counts[index] += n;
            }
        }
        coverage
    }

    /// Counts a case's classes.
    pub fn add(&mut self, set: ClassSet) {
        if self.counts.is_empty() {
            self.counts = vec![0; CLASSES.len()];
        }
        for i in set.iter() {
            self.counts[i] += 1;
        }
    }

    /// Cases that reached class `index`.
    pub fn count(&self, index: usize) -> u64 {
        self.counts.get(index).copied().unwrap_or(0)
    }

    /// Every class with its count, marking those of `domain`.
    pub fn rows(&self, domain: Domain) -> Vec<ClassCount> {
        CLASSES
            .iter()
            .enumerate()
            .map(|(i, c)| ClassCount { class: c.id, cases: self.count(i), in_domain: c.belongs_to(domain) })
            .collect()
    }

    /// The classes of `domain` no case reached.
    pub fn unreached(&self, domain: Domain) -> Vec<&'static str> {
        of_domain(domain).filter(|(i, _)| self.count(*i) == 0).map(|(_, c)| c.id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_well_formed_and_fit_the_set() {
        assert!(CLASSES.len() <= 128, "ClassSet holds 128 classes");
        let mut seen = std::collections::BTreeSet::new();
        for class in CLASSES {
            assert!(seen.insert(class.id), "{} twice", class.id);
            assert!(class.id.contains('/') && !class.id.contains(' '), "{}", class.id);
            assert!(class.domains != 0, "{} belongs to no domain", class.id);
            assert!(!class.mistake.is_empty() && !class.values.is_empty(), "{}", class.id);
        }
    }
}
