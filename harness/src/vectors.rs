//! Portable test vectors (`tbjwt vectors export DIR`): the cases the harness knows, as plain JSON any
//! port's own unit tests can read without tbjwt, in the manner of Wycheproof's (`testGroups`, a stable
//! `tcId`, `flags` explained once in `notes`). Each test holds one login: the event, its clock
//! (`now_ms`), and what the reference does with it: the outcome (status, error name, logs, calls) with
//! each token decoded, and the effects the world sees (the stored `app_metadata`, the ID-token claim,
//! the pipes the token opens). A case with later logins is exported as its first login, flagged.
//!
//! Test ids are content ids (the event, the clock and the later logins): the same case has the same id
//! in every version, however the suite grows.

use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

use crate::classes::{classify, classify_session, CLASSES};
use crate::clock::Now;
use crate::event::{suite, Case};
use crate::js::JsValue;
use crate::review::review_outcome;
use crate::runner::protocol::MockUrls;
use crate::spec::{self, Rule};
use crate::strategies::{Domain, Generated};

/// The vectors' format version.
pub const FORMAT: &str = "tbjwt-vectors/1";
/// The file the vectors are written to, in the export folder.
pub const FILE: &str = "tbjwt_vectors.json";
/// The file their JSON Schema is written to, beside them.
pub const SCHEMA_FILE: &str = "tbjwt_vectors.schema.json";
/// The JSON Schema of the vectors, as the export writes it.
pub const SCHEMA: &str = include_str!("../../schemas/vectors.schema.json");

/// Where the cases to export come from.
#[derive(Debug, Clone, Default)]
pub struct Sources<'a> {
    /// Saved regressions (`tbjwt-regressions/`), when the folder exists.
    pub regressions: Option<&'a Path>,
    /// Generated cases to add, drawn from `seed` in the `auth0` domain after the class examples.
    pub generated: u64,
    /// Their seed.
    pub seed: u64,
}

/// One test.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Test {
    tc_id: String,
    comment: String,
    flags: Vec<String>,
    event: Value,
    now_ms: i64,
    expected: Value,
}

/// A group of tests of one source.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Group {
    source: &'static str,
    tests: Vec<Test>,
}

/// What the reference does with `event` at `now`: the outcome with its tokens decoded, and the effects.
pub fn expected(event: &Value, now: Now) -> Value {
    let evaluation = spec::evaluate(&JsValue::from_json(event), now);
    let admin_token = event.pointer(spec::keys::ADMIN_TOKEN_POINTER).and_then(Value::as_str);
    let review = review_outcome(&evaluation.outcome, admin_token);
    let tokens: Vec<Value> = review
        .tokens
        .iter()
        .map(|t| {
            json!({"foundIn": t.found_in, "raw": t.raw, "header": t.header, "claims": t.claims,
                "signatureValidUnderAdminToken": t.signature_valid_under_admin_token})
        })
        .collect();
    let outcome = &evaluation.outcome;
    let world = crate::flow::CaseWorld::of(event, || "auth0|tbjwt-vectors".to_owned());
    let urls = MockUrls { auth0: "https://tenant.invalid".into(), tinybird: "https://api.tinybird.invalid".into() };
    let observation = crate::flow::model::observe(&world, now, &urls, outcome.clone());
    let claim = observation.id_token.as_ref().and_then(|t| t.custom_claims.get(spec::CLAIM_NAME)).cloned();
    let opened: Vec<&String> =
        observation.access.iter().filter(|(_, status)| status.as_u64() == Some(200)).map(|(pipe, _)| pipe).collect();
    json!({
        "status": outcome.status,
        "errorName": outcome.error.as_ref().map(|e| e.name.clone()),
        "logs": outcome.logs,
        "calls": outcome.calls,
        "tokens": tokens,
        "effects": {
            "appMetadata": observation.app_metadata,
            "idTokenClaim": claim,
            "pipesOpened": opened,
            "access": observation.access,
        },
    })
}

/// The flags of a case: the classes it reaches and the rules that decided it.
fn flags(case: &Case, now: Now) -> Vec<String> {
    let evaluation = spec::evaluate(&JsValue::from_json(&case.event), now);
    let classes = classify(&case.event, now, &evaluation).union(classify_session(&case.logins, &evaluation));
    let mut flags: Vec<String> = classes.iter().map(|i| CLASSES[i].id.to_owned()).collect();
    let rules: std::collections::BTreeSet<Rule> = evaluation.trace.iter().map(|s| s.rule).collect();
    flags.extend(rules.iter().map(ToString::to_string));
    if !case.logins.is_empty() {
        flags.push("first-login-of-a-session".into());
    }
    flags
}

fn test_of(case: &Case, comment: String) -> Test {
    let now = case.now_or(Now::DEFAULT);
    Test {
        tc_id: case.content_id()[..16].to_owned(),
        comment,
        flags: flags(case, now),
        event: case.event.clone(),
        now_ms: now.millis(),
        expected: expected(&case.event, now),
    }
}

fn generated_case(name: String, generated: Generated) -> Case {
    Case {
        name,
        description: String::new(),
        rules: Vec::new(),
        now: Some(generated.now),
        event: generated.event,
        logins: generated.logins,
    }
}

/// What each flag means: every class (the porter's mistake it exposes), every rule (its statement), and
/// the session flag.
fn notes() -> Map<String, Value> {
    let mut notes = Map::new();
    for class in CLASSES.iter() {
        notes.insert(
            class.id.to_owned(),
            json!({"kind": "class", "values": class.values, "mistake": class.mistake, "rule": class.reached_at.to_string()}),
        );
    }
    for rule in Rule::ALL {
        notes.insert(rule.to_string(), json!({"kind": "rule", "description": rule.summary()}));
    }
    notes.insert(
        "first-login-of-a-session".into(),
        json!({"kind": "session", "description": "The case is a session of several logins; the vector is its first login only (tbjwt check plays the later ones)."}),
    );
    notes
}

/// The vectors of the built-in suite, one example per class of the `auth0` domain, the saved
/// regressions and `sources.generated` generated cases, as the JSON document the export writes.
pub fn build(sources: &Sources<'_>) -> Result<Value, crate::event::CaseError> {
    let mut groups: Vec<Group> = Vec::new();
    let suite_cases = suite::cases()?;
    groups.push(Group {
        source: "suite",
        tests: suite_cases.iter().map(|c| test_of(c, format!("built-in case {}: {}", c.name, c.description))).collect(),
    });
    let examples: Vec<Test> = crate::classes::of_domain(Domain::Auth0)
        .enumerate()
        .map(|(i, (_, class))| {
            let drawn = crate::check::generated::case_tree(Domain::Auth0, 0, i as u64).current();
            test_of(&generated_case(class.id.to_owned(), drawn), format!("an example of the class {}", class.id))
        })
        .collect();
    groups.push(Group { source: "class-examples", tests: examples });
    if let Some(dir) = sources.regressions.filter(|d| d.is_dir()) {
        let saved = Case::load_dir(dir)?;
        groups.push(Group {
            source: "regressions",
            tests: saved.iter().map(|c| test_of(c, format!("saved regression {}", c.name))).collect(),
        });
    }
    if sources.generated > 0 {
        let classes = crate::classes::of_domain(Domain::Auth0).count() as u64;
        let tests = (0..sources.generated)
            .map(|i| {
                let drawn = crate::check::generated::case_tree(Domain::Auth0, sources.seed, classes + i).current();
                test_of(&generated_case(String::new(), drawn), format!("generated case {i} of seed {}", sources.seed))
            })
            .collect();
        groups.push(Group { source: "generated", tests });
    }
    // A case in two groups (a regression the suite also holds) is exported once, where it came first.
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    for group in &mut groups {
        group.tests.retain(|t| seen.insert(t.tc_id.clone(), ()).is_none());
    }
    let count: usize = groups.iter().map(|g| g.tests.len()).sum();
    Ok(json!({
        "format": FORMAT,
        "schema": SCHEMA_FILE,
        "tbjwtVersion": env!("CARGO_PKG_VERSION"),
        "suiteVersion": suite::version(),
        "reference": "jsonwebtoken@9.0.1, as the published Auth0 Action calls it",
        "numberOfTests": count,
        "notes": notes(),
        "testGroups": groups,
    }))
}

/// Call arguments as compared: each JWT as its decoded header and claims, anything else as it is.
fn comparable_calls(calls: &Value) -> Vec<(Value, Vec<Value>)> {
    let decode = |arg: &Value| match arg.as_str().filter(|s| crate::review::looks_like_jwt(s)) {
        Some(token) => crate::jwt::DecodedJwt::decode(token)
            .map(|d| json!({"header": d.header, "claims": d.claims}))
            .unwrap_or_else(|_| arg.clone()),
        None => arg.clone(),
    };
    calls
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .map(|c| {
                    (c["api"].clone(), c["args"].as_array().map(|a| a.iter().map(decode).collect()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// How `outcome` differs from a vector's `expected` as the consumers compare them (status, error name,
/// logs, calls with tokens decoded), or `None` when it does not; hidden characters written as visible
/// escapes.
pub fn difference(expected: &Value, outcome: &crate::outcome::Outcome) -> Option<String> {
    first_difference(expected, outcome).map(|why| crate::report::text::visible(&why).into_owned())
}

fn first_difference(expected: &Value, outcome: &crate::outcome::Outcome) -> Option<String> {
    let got = serde_json::to_value(outcome).unwrap_or(Value::Null);
    let error_name = outcome.error.as_ref().map(|e| Value::String(e.name.clone())).unwrap_or(Value::Null);
    if got["status"] != expected["status"] {
        return Some(format!("status {} where the vector expects {}", got["status"], expected["status"]));
    }
    if error_name != expected["errorName"] {
        return Some(format!("error {error_name} where the vector expects {}", expected["errorName"]));
    }
    if got["logs"] != expected["logs"] {
        return Some(format!("logs {} where the vector expects {}", got["logs"], expected["logs"]));
    }
    let (got_calls, want_calls) = (comparable_calls(&got["calls"]), comparable_calls(&expected["calls"]));
    if got_calls != want_calls {
        let first = got_calls
            .iter()
            .zip(&want_calls)
            .position(|(a, b)| a != b)
            .unwrap_or(got_calls.len().min(want_calls.len()));
        let shown = |calls: &[(Value, Vec<Value>)]| {
            calls
                .get(first)
                .map_or_else(|| "no call".to_owned(), |(api, args)| format!("{api} {}", Value::Array(args.clone())))
        };
        return Some(format!("call {first}: {} where the vector expects {}", shown(&got_calls), shown(&want_calls)));
    }
    None
}
