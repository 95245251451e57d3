//! Fuzz inputs as the cargo-fuzz targets (`fuzz/`), `tbjwt fuzz` and `tbjwt import-crash` read them:
//! byte strings mapped to post-login events, so that a libFuzzer artifact becomes a replayable case.
//!
//! - Pipe-name inputs: the first byte chooses the options (authorization, the kind of `user.id`), the
//!   rest, as lossy UTF-8, is `TINYBIRD_PIPE_NAMES`. Plain text files make good seeds and dictionary
//!   entries apply directly.
//! - Event inputs: [`arbitrary`] builds any JSON value at every place the action reads.
//!
//! For the targets' speed, [`PipeNamesEvents`] reuses the events of pipe-name inputs and [`MintedClaims`]
//! reads a minted token's claims back strictly without building a JSON tree.

use std::borrow::Cow;

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

/// The options byte of a pipe-name input (0 for an empty input).
fn flags_of(data: &[u8]) -> u8 {
    data.first().copied().unwrap_or(0)
}

/// The pipe-name part of a pipe-name input, borrowed when it is valid UTF-8.
fn pipe_names_text(data: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(data.get(1..).unwrap_or_default())
}

/// The pipe-name part of a pipe-name input.
pub fn pipe_names_of(data: &[u8]) -> String {
    pipe_names_text(data).into_owned()
}

/// The event of a pipe-name input.
pub fn pipe_names_event(data: &[u8]) -> Value {
    let flags = flags_of(data);
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

/// The events of pipe-name inputs, built once per kind of input and reused: only the pipe names change
/// from one input to the next, so a fuzz target spends its time in the code under test rather than in
/// building events. [`PipeNamesEvents::event`] is the same event as [`pipe_names_event`], as a [`JsValue`].
pub struct PipeNamesEvents {
    /// One event per value of the flag bits that [`pipe_names_event`] reads.
    by_flags: Vec<JsValue>,
}

impl Default for PipeNamesEvents {
    fn default() -> Self {
        Self::new()
    }
}

impl PipeNamesEvents {
    /// The events of every flag combination, with empty pipe names.
    pub fn new() -> Self {
        Self { by_flags: (0..=FLAG_BITS).map(|flags| JsValue::from_json(&pipe_names_event(&[flags]))).collect() }
    }

    /// The event of `data`, with its pipe names written into the reused event.
    pub fn event(&mut self, data: &[u8]) -> &JsValue {
        let event = &mut self.by_flags[usize::from(flags_of(data) & FLAG_BITS)];
        if let Some(JsValue::String(pipe_names)) = pipe_names_slot(event) {
            pipe_names.clear();
            pipe_names.push_str(&pipe_names_text(data));
        }
        event
    }
}

/// The bits of an input's first byte that choose its options.
const FLAG_BITS: u8 = 0b111;

fn pipe_names_slot(event: &mut JsValue) -> Option<&mut JsValue> {
    let JsValue::Object(event) = event else { return None };
    let Some(JsValue::Object(configuration)) = event.get_own_mut("configuration") else { return None };
    configuration.get_own_mut(crate::spec::keys::PIPE_NAMES)
}

/// The claims of a token minted for a pipe-name input, read back strictly: exactly the reference's claims,
/// with the types it writes (unknown or missing claims fail the decoding). Strings borrow from the
/// decoded payload unless they hold escapes.
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintedClaims<'a> {
    /// `workspace_id` (a string in fuzz events).
    #[serde(borrow)]
    pub workspace_id: Cow<'a, str>,
    /// `name`.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// `scopes`, in order.
    #[serde(borrow)]
    pub scopes: Vec<MintedScope<'a>>,
    /// `iat`: the clock the token was minted at.
    pub iat: i64,
    /// `exp`: must be `iat` + 7 days.
    pub exp: i64,
}

/// One scope of [`MintedClaims`].
#[derive(Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintedScope<'a> {
    /// `type`.
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    /// `resource`.
    #[serde(borrow)]
    pub resource: Cow<'a, str>,
}

impl<'a> MintedClaims<'a> {
    /// Decodes the payload of `token` into `scratch` (cleared first, reused across calls) and reads it.
    pub fn decode(token: &str, scratch: &'a mut Vec<u8>) -> Result<MintedClaims<'a>, String> {
        use base64::Engine as _;
        let mut parts = token.split('.');
        let (Some(_), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err("not three dot-separated parts".to_owned());
        };
        scratch.clear();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_vec(payload, scratch)
            .map_err(|e| format!("the payload is not base64url: {e}"))?;
        serde_json::from_slice(scratch).map_err(|e| format!("the payload is not the reference's claims: {e}"))
    }
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
    now: crate::clock::Now,
    reference: &Outcome,
    implementation: &Outcome,
    level: Level,
) -> Vec<Difference> {
    if reference == implementation {
        return Vec::new(); // what `compare` concludes without a wall clock, without evaluating the event again
    }
    let evaluation = crate::spec::evaluate(&JsValue::from_json(event), now);
    let context = NormalizeContext {
        admin_token: event.pointer(crate::spec::keys::ADMIN_TOKEN_POINTER).and_then(Value::as_str).map(str::to_owned),
        wall_clock: None,
    };
    let options = CompareOptions { level, ..CompareOptions::default() };
    compare(&bare(reference), &evaluation, &bare(implementation), &context, &options)
}

/// The cargo-fuzz targets of `fuzz/`, and how each turns its input bytes into an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuzzTarget {
    /// The reference's invariants on arbitrary pipe names.
    SpecPipeNames,
    /// No panic and a lossless outcome on any JSON.
    SpecEvent,
    /// An implementation against the reference on pipe names.
    DiffPipeNames,
}

impl FuzzTarget {
    /// Every target.
    pub const ALL: [FuzzTarget; 3] = [FuzzTarget::SpecPipeNames, FuzzTarget::SpecEvent, FuzzTarget::DiffPipeNames];

    /// The target's name (its file under `fuzz/fuzz_targets/` and its artifacts folder).
    pub fn name(self) -> &'static str {
        match self {
            FuzzTarget::SpecPipeNames => "spec_pipe_names",
            FuzzTarget::SpecEvent => "spec_event",
            FuzzTarget::DiffPipeNames => "diff_pipe_names",
        }
    }

    /// The target called `name`, or an error that lists them.
    pub fn from_name(name: &str) -> Result<FuzzTarget, String> {
        FuzzTarget::ALL.into_iter().find(|t| t.name() == name).ok_or_else(|| {
            let names: Vec<&str> = FuzzTarget::ALL.iter().map(|t| t.name()).collect();
            format!("`{name}` is not a fuzz target ({})", names.join(", "))
        })
    }

    /// The event an input of this target stands for.
    pub fn event(self, data: &[u8]) -> Value {
        match self {
            FuzzTarget::SpecPipeNames | FuzzTarget::DiffPipeNames => pipe_names_event(data),
            FuzzTarget::SpecEvent => arbitrary_event(data),
        }
    }
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
    fn reused_events_are_the_events_of_their_inputs() {
        let mut events = PipeNamesEvents::new();
        let inputs: [&[u8]; 7] =
            [b"", b"\x00", b"\x01a,b", b"\x02 x ,", b"\x04\xff\xfe,", b"\x07PIPES:READ", b"\xf9,,"];
        for data in inputs.iter().chain(inputs.iter().rev()) {
            assert_eq!(events.event(data), &JsValue::from_json(&pipe_names_event(data)), "{data:?}");
        }
    }

    #[test]
    fn minted_claims_read_the_reference_token_and_refuse_other_claims() {
        let token = crate::spec::token::mint(b"k", &JsValue::String("w".into()), "n", "a,\"é\",", 10);
        let mut scratch = Vec::new();
        let claims = MintedClaims::decode(&token, &mut scratch).unwrap();
        assert_eq!(
            (claims.workspace_id.as_ref(), claims.name.as_ref(), claims.iat, claims.exp),
            ("w", "n", 10, 604_810)
        );
        let resources: Vec<&str> = claims.scopes.iter().map(|s| s.resource.as_ref()).collect();
        assert_eq!(resources, ["a", "\"é\"", ""]);
        let extra = format!(
            "x.{}.y",
            crate::jwt::b64url(br#"{"workspace_id":"w","name":"n","scopes":[],"iat":1,"exp":2,"x":0}"#)
        );
        assert!(MintedClaims::decode(&extra, &mut scratch).unwrap_err().contains("unknown field"));
        assert!(MintedClaims::decode("a.b", &mut scratch).is_err());
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
