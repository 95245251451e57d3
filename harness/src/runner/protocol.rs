//! Protocol v1 messages (docs/protocol.md): what the harness sends and how replies are judged.

use serde::{Deserialize, Serialize};

use crate::clock::Now;
use crate::outcome::Outcome;

/// The protocol version this harness speaks.
pub const VERSION: u32 = 1;

/// The base URLs of the mocked services for one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockUrls {
    /// The Auth0 tenant mock.
    pub auth0: String,
    /// The Tinybird API mock.
    pub tinybird: String,
}

/// `{"cmd":"start","version":1}`.
pub fn start_message() -> String {
    format!(r#"{{"cmd":"start","version":{VERSION}}}"#)
}

/// `{"cmd":"stop"}`.
pub const STOP_MESSAGE: &str = r#"{"cmd":"stop"}"#;

#[derive(Serialize)]
struct RunMessage<'a> {
    cmd: &'static str,
    seq: u64,
    now: i64,
    now_ms: i64,
    event: &'a serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    mocks: Option<&'a MockUrls>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<u64>,
}

/// The `run` message for one case, as one JSON line (without the newline): the clock as `now` (whole
/// seconds, floored: what adapters written before milliseconds read) and `now_ms` (milliseconds).
/// `instance` (sent when given) names the instance of the action the execution runs in.
pub fn run_message(
    seq: u64,
    now: Now,
    event: &serde_json::Value,
    mocks: Option<&MockUrls>,
    instance: Option<u64>,
) -> String {
    let message = RunMessage { cmd: "run", seq, now: now.seconds(), now_ms: now.millis(), event, mocks, instance };
    serde_json::to_string(&message).expect("a JSON value serialises")
}

/// The implementation's answer to `start`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// Always true in a usable answer.
    pub ready: bool,
    /// The implementation's name.
    #[serde(default)]
    pub name: Option<String>,
    /// Its language.
    #[serde(default)]
    pub language: Option<String>,
    /// `false` when the implementation cannot take `now` as its clock (default `true`).
    #[serde(default)]
    pub honours_now: Option<bool>,
}

/// A judged reply to `run`.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The action ran (completed or threw).
    Outcome(Outcome),
    /// The implementation itself broke; the message says how.
    Errored(String),
}

/// How a reply broke the protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// `seq` missing or not the one asked for.
    #[error("the reply's seq is {got}, the request's is {want}")]
    WrongSeq {
        /// What the reply said (`missing` when absent).
        got: String,
        /// What was sent.
        want: u64,
    },
    /// Neither a well-formed `outcome` nor `errored`.
    #[error("the reply has neither a valid `outcome` nor `errored`: {0}")]
    Shape(String),
    /// The `start` answer is not `{"ready": true, ...}`.
    #[error("the answer to start is not ready: {0}")]
    NotReady(String),
}

/// Judges the reply to `run` number `seq`.
pub fn parse_reply(value: serde_json::Value, seq: u64) -> Result<Reply, Violation> {
    match value.get("seq").and_then(serde_json::Value::as_u64) {
        Some(got) if got == seq => {}
        other => {
            let got =
                other.map_or_else(|| value.get("seq").map_or("missing".into(), |v| v.to_string()), |g| g.to_string());
            return Err(Violation::WrongSeq { got, want: seq });
        }
    }
    if let Some(errored) = value.get("errored") {
        let message =
            errored.get("message").and_then(|m| m.as_str()).map_or_else(|| errored.to_string(), str::to_owned);
        return Ok(Reply::Errored(message));
    }
    match value.get("outcome") {
        Some(outcome) => {
            let mut own = outcome.clone();
            // What the sandbox saw is the harness's to say, never the implementation's.
            if let Some(effects) = own.get_mut("effects").and_then(serde_json::Value::as_object_mut) {
                effects.remove("sandbox");
            }
            serde_json::from_value::<Outcome>(own)
                .map(Reply::Outcome)
                .map_err(|e| Violation::Shape(format!("{e} in {}", excerpt(outcome))))
        }
        None => Err(Violation::Shape(excerpt(&value))),
    }
}

/// Judges the answer to `start`.
pub fn parse_hello(value: serde_json::Value) -> Result<Hello, Violation> {
    if let Some(message) = value.pointer("/errored/message").and_then(|m| m.as_str()) {
        return Err(Violation::NotReady(message.to_owned()));
    }
    match serde_json::from_value::<Hello>(value.clone()) {
        Ok(hello) if hello.ready => Ok(hello),
        _ => Err(Violation::NotReady(excerpt(&value))),
    }
}

fn excerpt(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.len() <= 300 {
        text
    } else {
        let cut = (0..=300).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        format!("{}…", &text[..cut])
    }
}
