//! Fuzz inputs as the cargo-fuzz targets (`fuzz/`), `tbjwt fuzz` and `tbjwt import-crash` read them:
//! byte strings mapped to post-login events, so that a libFuzzer artifact becomes a replayable case.
//!
//! - Pipe-name inputs: the first byte chooses the options (authorization, the kind of `user.id`), the
//!   rest, as lossy UTF-8, is `TINYBIRD_PIPE_NAMES`. Plain text files make good seeds and dictionary
//!   entries apply directly.
//! - Event inputs: [`arbitrary`] builds any JSON value at every place the action reads.

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{json, Map, Value};

use crate::compare::{compare, CompareOptions, Difference, Level, NormalizeContext};
use crate::js::JsValue;
use crate::observation::{Login, Observation};
use crate::outcome::Outcome;

/// The made-up admin token of fuzz events.
pub const FUZZ_ADMIN_TOKEN: &str = "p.eyJ1IjogImZ1enoifQ.made-up-admin-token-for-fuzzing";
/// The workspace id of fuzz events.
pub const FUZZ_WORKSPACE_ID: &str = "fuzz-workspace";

/// The pipe-name part of a pipe-name input.
pub fn pipe_names_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data.get(1..).unwrap_or_default()).into_owned()
}

/// The event of a pipe-name input.
pub fn pipe_names_event(data: &[u8]) -> Value {
    let flags = data.first().copied().unwrap_or(0);
    let mut user = json!({"user_id": "auth0|fuzz"});
    match (flags >> 1) & 3 {
        1 => user["id"] = json!("fuzz-user"),
        2 => user["id"] = json!(7),
        _ => {}
    }
    let mut event = json!({
        "secrets": {"TINYBIRD_ADMIN_TOKEN": FUZZ_ADMIN_TOKEN},
        "configuration": {"TINYBIRD_WORKSPACE_ID": FUZZ_WORKSPACE_ID, "TINYBIRD_PIPE_NAMES": pipe_names_of(data)},
        "user": user,
    });
    if flags & 1 == 1 {
        event["authorization"] = json!({"roles": []});
    }
    event
}

/// A pipe-name input for `pipe_names` with the given flags (the inverse of [`pipe_names_event`]).
pub fn pipe_names_input(flags: u8, pipe_names: &str) -> Vec<u8> {
    let mut data = vec![flags];
    data.extend_from_slice(pipe_names.as_bytes());
    data
}

fn arbitrary_json(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Value> {
    let choice = if depth == 0 { u.int_in_range(0..=4)? } else { u.int_in_range(0..=6)? };
    Ok(match choice {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => match u.int_in_range(0..=2)? {
            0 => json!(i32::arbitrary(u)?),
            1 => serde_json::Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
            _ => json!(*u.choose(&[0.0, -0.0, 1e21, 1e-7, 0.1, 9007199254740993.0])?),
        },
        3 | 4 => Value::String(String::arbitrary(u)?),
        5 => {
            let n = u.int_in_range(0..=4)?;
            Value::Array((0..n).map(|_| arbitrary_json(u, depth - 1)).collect::<arbitrary::Result<_>>()?)
        }
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut map = Map::new();
            for _ in 0..n {
                let key = match u.int_in_range(0..=3)? {
                    0 => "toString".to_owned(),
                    1 => "0".to_owned(),
                    _ => String::arbitrary(u)?,
                };
                map.insert(key, arbitrary_json(u, depth - 1)?);
            }
            Value::Object(map)
        }
    })
}

/// An event built from arbitrary bytes: any JSON at every place the action reads, each sometimes absent.
pub fn arbitrary_event(data: &[u8]) -> Value {
    let mut u = Unstructured::new(data);
    let slot = |u: &mut Unstructured<'_>, realistic: Value| -> Option<Value> {
        match u.int_in_range(0..=3).unwrap_or(0) {
            0 => None,
            1 => Some(realistic),
            _ => Some(arbitrary_json(u, 3).unwrap_or(Value::Null)),
        }
    };
    let mut event = Map::new();
    let object = |u: &mut Unstructured<'_>, members: Vec<(&str, Value)>| -> Option<Value> {
        match u.int_in_range(0..=5).unwrap_or(0) {
            0 => None,
            1 => Some(arbitrary_json(u, 2).unwrap_or(Value::Null)),
            _ => {
                let mut map = Map::new();
                for (k, realistic) in members {
                    if let Some(v) = slot(u, realistic) {
                        map.insert(k.to_owned(), v);
                    }
                }
                Some(Value::Object(map))
            }
        }
    };
    let secrets = object(&mut u, vec![("TINYBIRD_ADMIN_TOKEN", json!(FUZZ_ADMIN_TOKEN))]);
    let configuration = object(
        &mut u,
        vec![("TINYBIRD_WORKSPACE_ID", json!(FUZZ_WORKSPACE_ID)), ("TINYBIRD_PIPE_NAMES", json!("top_pages,kpis"))],
    );
    let user = object(&mut u, vec![("user_id", json!("auth0|fuzz")), ("id", json!("fuzz-user"))]);
    let authorization = slot(&mut u, json!({"roles": []}));
    for (k, v) in
        [("secrets", secrets), ("configuration", configuration), ("user", user), ("authorization", authorization)]
    {
        if let Some(v) = v {
            event.insert(k.to_owned(), v);
        }
    }
    Value::Object(event)
}

fn bare(outcome: &Outcome) -> Observation {
    Observation {
        outcome: Some(outcome.clone()),
        errored: None,
        login: Login::Succeeded,
        app_metadata: Value::Null,
        id_token: None,
        tinybird_jwt: None,
        access: Map::new(),
        security: Vec::new(),
    }
}

/// Compares two outcomes of `event` at `now` at `level` (no login flow: outcome observables only).
pub fn compare_outcomes(
    event: &Value,
    now: i64,
    reference: &Outcome,
    implementation: &Outcome,
    level: Level,
) -> Vec<Difference> {
    let evaluation = crate::spec::evaluate(&JsValue::from_json(event), now);
    let context = NormalizeContext {
        admin_token: event.pointer("/secrets/TINYBIRD_ADMIN_TOKEN").and_then(Value::as_str).map(str::to_owned),
        wall_clock: None,
        is_reference: false,
    };
    let options = CompareOptions { level, ..CompareOptions::default() };
    compare(&bare(reference), &evaluation, &bare(implementation), &context, &options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_name_inputs_round_trip() {
        let data = pipe_names_input(3, "a, b,,");
        let event = pipe_names_event(&data);
        assert_eq!(event["configuration"]["TINYBIRD_PIPE_NAMES"], "a, b,,");
        assert_eq!(event["user"]["id"], "fuzz-user");
        assert!(event.get("authorization").is_some());
        assert_eq!(pipe_names_event(&[])["configuration"]["TINYBIRD_PIPE_NAMES"], "");
    }

    #[test]
    fn arbitrary_events_are_objects_for_any_bytes() {
        for seed in 0..200u32 {
            let data: Vec<u8> =
                (0..64).map(|i| (seed.wrapping_mul(2654435761).wrapping_add(i * 40503) >> 7) as u8).collect();
            assert!(arbitrary_event(&data).is_object());
        }
    }
}
