//! The comparator on real flows: what `semantic` must tolerate (claim key order, a port that cannot take
//! `now`) and what it must catch (wrong key, extra scope, other expiry, extra api call), what `strict`
//! adds, per-observable ignores, and the rule each difference cites.

use crate::common;

use harness::clock::Now;
use harness::compare::{compare, CompareOptions, Difference, Level, NormalizeContext, Observable};
use harness::event::Case;
use harness::flow::FlowClient;
use harness::js::JsValue;
use harness::jwt::{b64url, hs256_sign, DecodedJwt};
use harness::mocks::MockServers;
use harness::outcome::{ApiCall, Outcome};
use harness::runner::{from_fn, ReferenceRunner};
use harness::spec::Rule;
use serde_json::{json, Value};

fn event() -> Value {
    Case::load(&common::repo_root().join("fixtures/events/happy_path_with_roles.json")).unwrap().event
}

const ADMIN: &str = "p.eyJ1IjogImZpeHR1cmUtYWRtaW4tdG9rZW4tbm90LXJlYWwifQ.made-up-admin-token-for-fixtures";

/// Re-signs the reference's token after `edit` changes its claims (with `key`, and the header text given).
fn forge(token: &str, header: &str, key: &str, edit: impl Fn(&mut Value)) -> String {
    let mut claims = DecodedJwt::decode(token).unwrap().claims;
    edit(&mut claims);
    let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = hs256_sign(key.as_bytes(), input.as_bytes()).unwrap();
    format!("{input}.{signature}")
}

/// The reference outcome with every token replaced by `replace(token)`.
fn with_token(now: Now, event: &Value, replace: &dyn Fn(&str) -> String) -> Outcome {
    let mut outcome = harness::spec::outcome(&JsValue::from_json(event), now);
    for call in &mut outcome.calls {
        if let Some(token) = call.args[1].as_str() {
            call.args[1] = Value::String(replace(token));
        }
    }
    outcome
}

fn differences(
    level: Level,
    ignore: &[Observable],
    honours_now: bool,
    port: impl FnMut(Now, &Value) -> Outcome + Send,
) -> Vec<Difference> {
    let mocks = MockServers::start().unwrap();
    let mut flow = FlowClient::new(&mocks);
    let event = event();
    // A port that cannot take `now` plays its whole case at the wall clock, as `check` runs it.
    let now = if honours_now { Now::DEFAULT } else { Now::wall() };
    let reference = flow.run(&mut ReferenceRunner, &event, now).unwrap();
    let implementation = flow.run(&mut from_fn("port", port), &event, now).unwrap();
    let evaluation = harness::spec::evaluate(&JsValue::from_json(&event), now);
    let context =
        NormalizeContext { admin_token: Some(ADMIN.into()), wall_clock: (!honours_now).then(|| now.seconds()) };
    let options = CompareOptions { level, ignore: ignore.iter().copied().collect(), ..CompareOptions::default() };
    compare(&reference, &evaluation, &implementation, &context, &options)
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[test]
fn claim_key_order_passes_semantic_and_fails_strict() {
    let reordered = |now: Now, e: &Value| {
        with_token(now, e, &|t| {
            let claims = DecodedJwt::decode(t).unwrap().claims;
            let mut swapped = serde_json::Map::new();
            for key in ["exp", "iat", "scopes", "name", "workspace_id"] {
                swapped.insert(key.into(), claims[key].clone());
            }
            forge(t, HEADER, ADMIN, |c| *c = Value::Object(swapped.clone()))
        })
    };
    assert_eq!(differences(Level::Semantic, &[], true, reordered), []);
    let strict = differences(Level::Strict, &[], true, reordered);
    assert!(!strict.is_empty() && strict.iter().all(|d| d.path.ends_with("/raw")), "{strict:#?}");
    assert!(strict.iter().all(|d| d.rule == Rule::R10));
    // The reference against itself is identical at both levels.
    assert_eq!(differences(Level::Strict, &[], true, |n, e| harness::spec::outcome(&JsValue::from_json(e), n)), []);
}

#[test]
fn wrong_key_extra_scope_and_other_expiry_are_caught_with_their_rules() {
    let wrong_key = differences(Level::Semantic, &[], true, |n, e| {
        with_token(n, e, &|t| forge(t, HEADER, "p.another-key", |_| {}))
    });
    assert!(wrong_key.iter().any(|d| d.path.ends_with("/signature_valid") && d.rule == Rule::R9), "{wrong_key:#?}");
    assert!(wrong_key.iter().any(|d| d.path.starts_with("/access/")), "a wrong key also closes every pipe");

    let extra_scope = differences(Level::Semantic, &[], true, |n, e| {
        with_token(n, e, &|t| {
            forge(t, HEADER, ADMIN, |c| {
                c["scopes"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "PIPES:READ", "resource": "tbjwt_decoy_private_pipe"}))
            })
        })
    });
    assert!(extra_scope.iter().any(|d| d.path.contains("/claims/scopes/3") && d.rule == Rule::R7), "{extra_scope:#?}");
    assert!(
        extra_scope[0].security,
        "opening an unconfigured pipe is a security difference, listed first: {extra_scope:#?}"
    );

    let expiry = differences(Level::Semantic, &[], true, |n, e| {
        with_token(n, e, &|t| forge(t, HEADER, ADMIN, |c| c["exp"] = json!(Now::DEFAULT.seconds() + 3600)))
    });
    assert!(expiry.iter().any(|d| d.path.ends_with("/claims/exp") && d.rule == Rule::R10), "{expiry:#?}");
}

#[test]
fn an_extra_api_call_is_caught_and_ignores_work_per_observable() {
    let extra = |n: Now, e: &Value| {
        let mut o = harness::spec::outcome(&JsValue::from_json(e), n);
        o.calls.push(ApiCall { api: "accessToken.setCustomClaim".into(), args: vec![json!("x"), json!(1)] });
        o.logs.push("debug".into());
        o
    };
    let all = differences(Level::Semantic, &[], true, extra);
    assert!(all.iter().any(|d| d.path == "/calls/2" && d.rule == Rule::R11), "{all:#?}");
    assert!(all.iter().any(|d| d.observable == Observable::Logs));
    let without_logs = differences(Level::Semantic, &[Observable::Logs], true, extra);
    assert!(without_logs.iter().all(|d| d.observable != Observable::Logs));
    assert!(!without_logs.is_empty());
}

#[test]
fn a_port_on_the_wall_clock_passes_semantic_when_iat_is_current_and_exp_minus_iat_is_exact() {
    let wall = Now::wall;
    let on_wall_clock = |_n: Now, e: &Value| harness::spec::outcome(&JsValue::from_json(e), wall());
    assert_eq!(differences(Level::Semantic, &[], false, on_wall_clock), []);
    let six_days = |_n: Now, e: &Value| {
        with_token(wall(), e, &|t| {
            forge(t, HEADER, ADMIN, |c| c["exp"] = json!(c["iat"].as_i64().unwrap() + 6 * 86400))
        })
    };
    let d = differences(Level::Semantic, &[], false, six_days);
    assert!(d.iter().any(|d| d.path.ends_with("/exp/exp - iat")), "{d:#?}");
    // An implementation that claims to honour `now` but uses the wall clock is caught.
    let d = differences(Level::Semantic, &[], true, on_wall_clock);
    assert!(d.iter().any(|d| d.path.ends_with("/claims/iat")), "{d:#?}");
}

#[test]
fn an_identical_run_passes_every_level_and_a_wall_clock_port_off_the_clock_fails() {
    let same = |n: Now, e: &Value| harness::spec::outcome(&JsValue::from_json(e), n);
    for level in [Level::Semantic, Level::Strict] {
        assert_eq!(differences(level, &[], true, same), [], "{level:?}");
    }
    assert_eq!(differences(Level::Semantic, &[], false, same), [], "its case runs at the wall clock");
    // A runner that cannot take `now` and signs at another instant (here the default clock, a year and
    // more from any day this runs) is caught on `iat`.
    let elsewhere = |_n: Now, e: &Value| harness::spec::outcome(&JsValue::from_json(e), Now::DEFAULT);
    let d = differences(Level::Semantic, &[], false, elsewhere);
    assert!(d.iter().any(|d| d.path.ends_with("/claims/iat")), "{d:#?}");
}
