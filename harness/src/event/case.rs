//! Case files: the fixtures' format, and what `tbjwt spec|run|check --replay` read.
//!
//! A case file is a JSON object marked with `"$tbjwt": "case"`:
//! ```json
//! {"$tbjwt": "case", "description": "why this case exists", "rules": ["R7"], "now": 1764000000,
//!  "event": { ...the post-login event... }}
//! ```
//! Any other JSON object is read as a bare event. `description`, `rules` and the clock are optional; the
//! clock is `now` (whole seconds since the epoch) or `now_ms` (milliseconds, for a login within a second),
//! not both. `logins` makes the case a session: the same user's later logins, each
//! `{"grant": "authorization_code" | "refresh_token" | "password", "after": SECONDS}` (or `after_ms`) after
//! the one before ([`super::session`]).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use super::session::{LaterLogin, MAX_LATER_LOGINS};
use crate::clock::{Now, MAX_NOW};
use crate::spec::Rule;

/// The key and value that mark a case file.
pub const CASE_MARKER: (&str, &str) = ("$tbjwt", "case");

/// One case: an event, with what it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The case's name (the file stem for files).
    #[serde(skip)]
    pub name: String,
    /// Why the case exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The rules the case exercises.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<Rule>,
    /// The clock, when the case pins one (`now` or `now_ms` in the file).
    #[serde(skip)]
    pub now: Option<Now>,
    /// The post-login event (any JSON value).
    pub event: serde_json::Value,
    /// The same user's logins after this one (none: a single login).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<LaterLogin>,
}

/// Why a file is not a usable case.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The file cannot be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("{path}:{line}:{column}: not JSON: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// JSON, but not what a case or event must be.
    #[error("{path}: {message}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the field.
        message: String,
    },
}

/// The content id of a case with clock `now` and `event` (see [`Case::content_id`]). A clock on a whole
/// second hashes as its seconds, so ids of cases written before clocks had milliseconds are unchanged.
pub fn content_id(now: Option<Now>, event: &serde_json::Value) -> String {
    session_content_id(now, event, &[])
}

/// The content id of a session: [`content_id`] for a single login, the later logins hashed in otherwise.
pub fn session_content_id(now: Option<Now>, event: &serde_json::Value, logins: &[LaterLogin]) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let clock = match now {
        None => "-".to_owned(),
        Some(now) if now.is_whole_second() => now.seconds().to_string(),
        Some(now) => format!("{}ms", now.millis()),
    };
    hasher.update(clock.as_bytes());
    hasher.update(b"\n");
    hasher.update(event.to_string().as_bytes());
    if !logins.is_empty() {
        hasher.update(b"\n");
        hasher.update(serde_json::to_string(logins).expect("logins serialise").as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The largest event or case file read (16 MiB): far above any real Auth0 event.
pub const MAX_EVENT_FILE_BYTES: u64 = 16 * 1024 * 1024;

impl Case {
    /// A case around an event.
    pub fn new(name: impl Into<String>, event: serde_json::Value) -> Case {
        Case { name: name.into(), description: String::new(), rules: Vec::new(), now: None, event, logins: Vec::new() }
    }

    /// The clock to use: the case's own, else `fallback`.
    pub fn now_or(&self, fallback: Now) -> Now {
        self.now.unwrap_or(fallback)
    }

    /// Reads a case file or a bare event file. Only regular files of at most [`MAX_EVENT_FILE_BYTES`] are
    /// read: a device, a FIFO or a huge file is refused before any byte is.
    pub fn load(path: &Path) -> Result<Case, CaseError> {
        let text = crate::files::read_limited(path, MAX_EVENT_FILE_BYTES)
            .map_err(|source| CaseError::Read { path: path.to_owned(), source })?;
        let name = path.file_stem().map_or_else(|| "case".to_owned(), |s| s.to_string_lossy().into_owned());
        Case::parse(&text, name, path)
    }

    /// Parses case or event text; `path` only names the source in errors.
    pub fn parse(text: &[u8], name: String, path: &Path) -> Result<Case, CaseError> {
        let shape = |message: String| CaseError::Shape { path: path.to_owned(), message };
        let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| CaseError::Json {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(shape(format!(
                "the top level must be a JSON object (an event or a case), not {}",
                kind(&value)
            )));
        };
        if map.get(CASE_MARKER.0).and_then(|v| v.as_str()) != Some(CASE_MARKER.1) {
            return Ok(Case::new(name, serde_json::Value::Object(map)));
        }
        let mut map = map;
        map.shift_remove(CASE_MARKER.0);
        for key in map.keys() {
            if !["description", "rules", "now", "now_ms", "event", "logins"].contains(&key.as_str()) {
                return Err(shape(format!(
                    "unknown field `{key}` in a case file (fields: description, rules, now, now_ms, event, logins)"
                )));
            }
        }
        if !map.contains_key("event") {
            return Err(shape("a case file needs an `event` field".into()));
        }
        let now = clock_field(&mut map).map_err(shape)?;
        if let Some(logins) = map.get("logins") {
            let count = logins.as_array().map_or(0, Vec::len);
            if count > MAX_LATER_LOGINS {
                return Err(shape(format!("`logins` holds {count} logins; a case holds at most {MAX_LATER_LOGINS}")));
            }
            if let Err(e) = serde_json::from_value::<Vec<LaterLogin>>(logins.clone()) {
                return Err(shape(format!("`logins`: {e}")));
            }
        }
        let mut case: Case =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(|e| shape(e.to_string()))?;
        case.now = now;
        case.name = name;
        Ok(case)
    }

    /// The case file text, ready to write (pretty JSON with the marker first).
    pub fn to_file_text(&self) -> String {
        let mut map = serde_json::Map::new();
        map.insert(CASE_MARKER.0.into(), CASE_MARKER.1.into());
        if let serde_json::Value::Object(fields) = serde_json::to_value(self).expect("a case serialises") {
            for (key, value) in fields {
                if key == "event" {
                    match self.now {
                        Some(now) if now.is_whole_second() => map.insert("now".into(), now.seconds().into()),
                        Some(now) => map.insert("now_ms".into(), now.millis().into()),
                        None => None,
                    };
                }
                map.insert(key, value);
            }
        }
        let mut text = serde_json::to_string_pretty(&serde_json::Value::Object(map)).expect("JSON serialises");
        text.push('\n');
        text
    }

    /// A digest of what the case runs (its clock and event, not its name or description): two case files
    /// with the same content id are the same case. Hex, 64 digits.
    pub fn content_id(&self) -> String {
        session_content_id(self.now, &self.event, &self.logins)
    }

    /// Every case file (`*.json`) in a folder, sorted by name; a folder that does not exist is an error.
    pub fn load_dir(dir: &Path) -> Result<Vec<Case>, CaseError> {
        let entries = std::fs::read_dir(dir).map_err(|source| CaseError::Read { path: dir.to_owned(), source })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths.iter().map(|p| Case::load(p)).collect()
    }
}

/// Takes the clock out of a case file's fields: `now` (whole seconds) or `now_ms` (milliseconds).
fn clock_field(map: &mut serde_json::Map<String, serde_json::Value>) -> Result<Option<Now>, String> {
    let whole = |key: &str, value: &serde_json::Value| {
        value.as_i64().ok_or_else(|| format!("`{key}` must be a whole number, not {value}"))
    };
    match (map.shift_remove("now"), map.shift_remove("now_ms")) {
        (Some(_), Some(_)) => {
            Err("a case sets its clock with `now` (seconds) or `now_ms` (milliseconds), not both".into())
        }
        (Some(seconds), None) => {
            let seconds = whole("now", &seconds)?;
            if !(-MAX_NOW..=MAX_NOW).contains(&seconds) {
                return Err(format!("`now` is {seconds}, outside JavaScript's Date range (±{MAX_NOW} s)"));
            }
            Ok(Some(Now::from_seconds(seconds)))
        }
        (None, Some(millis)) => {
            Now::from_millis(whole("now_ms", &millis)?).map(Some).map_err(|e| format!("`now_ms`: {e}"))
        }
        (None, None) => Ok(None),
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Case, CaseError> {
        Case::parse(text.as_bytes(), "t".into(), Path::new("t.json"))
    }

    #[test]
    fn bare_events_and_case_files() {
        let bare = parse(r#"{"secrets":{}}"#).unwrap();
        assert_eq!(bare.event, serde_json::json!({"secrets": {}}));
        let case = parse(r#"{"$tbjwt":"case","rules":["R5"],"now":5,"event":{"a":1}}"#).unwrap();
        assert_eq!((case.rules.clone(), case.now), (vec![Rule::R5], Some(Now::from_seconds(5))));
        let again = Case::parse(
            Case { name: "t".into(), ..case.clone() }.to_file_text().as_bytes(),
            "t".into(),
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(again.event, case.event);
    }

    #[test]
    fn errors_name_the_file_position_and_field() {
        let e = parse("{\n  \"a\": x}").unwrap_err().to_string();
        assert!(e.starts_with("t.json:2:"), "{e}");
        assert!(parse("[1]").unwrap_err().to_string().contains("not an array"));
        assert!(parse(r#"{"$tbjwt":"case","evnt":{}}"#).unwrap_err().to_string().contains("`evnt`"));
        assert!(parse(r#"{"$tbjwt":"case"}"#).unwrap_err().to_string().contains("`event`"));
        assert!(parse(r#"{"$tbjwt":"case","rules":["R13"],"event":{}}"#).unwrap_err().to_string().contains("R13"));
        assert!(parse(r#"{"$tbjwt":"case","now":1e300,"event":{}}"#).is_err());
        assert!(parse(r#"{"$tbjwt":"case","now":1.5,"event":{}}"#).unwrap_err().to_string().contains("`now`"));
        let both = parse(r#"{"$tbjwt":"case","now":1,"now_ms":1000,"event":{}}"#).unwrap_err().to_string();
        assert!(both.contains("not both"), "{both}");
    }

    #[test]
    fn sessions_round_trip_and_bad_logins_name_the_field() {
        let text = r#"{"$tbjwt":"case","now":5,"event":{"a":1},"logins":[{"grant":"refresh_token","after":60}]}"#;
        let case = parse(text).unwrap();
        assert_eq!(case.logins.len(), 1);
        assert_ne!(case.content_id(), content_id(case.now, &case.event), "the logins are part of the case");
        let again = parse(&Case { name: "t".into(), ..case.clone() }.to_file_text()).unwrap();
        assert_eq!(again.logins, case.logins);
        let bad = parse(r#"{"$tbjwt":"case","event":{},"logins":[{"grant":"client_credentials"}]}"#);
        let message = bad.unwrap_err().to_string();
        assert!(message.contains("`logins`") && message.contains("client_credentials"), "{message}");
        let many =
            format!(r#"{{"$tbjwt":"case","event":{{}},"logins":[{}]}}"#, vec![r#"{"grant":"password"}"#; 17].join(","));
        assert!(parse(&many).unwrap_err().to_string().contains("at most 16"));
    }

    #[test]
    fn a_clock_within_a_second_round_trips_as_now_ms() {
        let case = parse(r#"{"$tbjwt":"case","now_ms":1764000000999,"event":{}}"#).unwrap();
        assert_eq!(case.now.map(Now::millis), Some(1_764_000_000_999));
        let text = Case { name: "t".into(), ..case.clone() }.to_file_text();
        assert!(text.contains("\"now_ms\": 1764000000999"), "{text}");
        assert_eq!(parse(&text).unwrap().now, case.now);
        let whole = parse(r#"{"$tbjwt":"case","now_ms":1764000000000,"event":{}}"#).unwrap();
        assert!(Case { name: "t".into(), ..whole.clone() }.to_file_text().contains("\"now\": 1764000000,"));
        assert_eq!(whole.content_id(), parse(r#"{"$tbjwt":"case","now":1764000000,"event":{}}"#).unwrap().content_id());
        assert_ne!(whole.content_id(), case.content_id());
    }
}
