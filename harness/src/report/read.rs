//! A JSON-lines report read back (`--report json=PATH`), for what compares runs: baselines, `tbjwt diff`.
//! Each case keeps its verdict and the keys of its root causes; a line that is not a report record is an
//! error naming the file and the line.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Verdict;
use crate::compare::{cause_keys, CauseKey, Difference};

/// What a run was: the fields that say whether two runs can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunIdentity {
    /// The implementation's name.
    pub implementation: String,
    /// The built-in suite's version, when the run included it.
    pub suite_version: Option<String>,
    /// The comparison level.
    pub level: String,
    /// The generated events' domain.
    pub domain: String,
    /// The seed.
    pub seed: u64,
    /// `K/N` when sharded.
    pub partition: Option<String>,
}

/// One case of a report.
#[derive(Debug, Clone)]
pub struct ReadCase {
    /// Its name.
    pub name: String,
    /// Whether it is a fixture (a built-in case, a `--fixtures` file, a saved regression): the same case
    /// whatever the seed.
    pub fixture: bool,
    /// Its verdict.
    pub verdict: Verdict,
    /// The keys of its root causes (empty when it passed or errored).
    pub causes: BTreeSet<CauseKey>,
    /// Its error, when it errored.
    pub error: Option<String>,
    /// Its index among the run's generated cases, when it was generated.
    pub generated_index: Option<u64>,
    /// What a case that did not pass was run with, to run it again: its event when the report holds it
    /// (a failing generated case, shrunk), its clock in milliseconds and its later logins.
    pub rerun: Option<RerunInputs>,
}

/// What a case that did not pass was run with.
#[derive(Debug, Clone)]
pub struct RerunInputs {
    /// The event, when the report holds it (not for fixtures, whose event is in their file).
    pub event: Option<Value>,
    /// The clock, in milliseconds since the epoch.
    pub now_ms: i64,
    /// The later logins, as the case file writes them.
    pub logins: Value,
}

/// A report, read.
#[derive(Debug, Clone)]
pub struct ReadReport {
    /// Where it was read from.
    pub path: PathBuf,
    /// What run it is.
    pub identity: RunIdentity,
    /// Its cases, in the order they were written.
    pub cases: Vec<ReadCase>,
    /// Its footer's conclusion, when it has a footer (a report without one was cut short).
    pub conclusion: Option<String>,
}

impl ReadReport {
    /// The root causes of its failing and expected cases (a run with a baseline shows the causes it
    /// held as expected), with the cases each showed in.
    pub fn cause_counts(&self) -> crate::compare::Counted<CauseKey> {
        let mut counted = crate::compare::Counted::default();
        for case in self.cases.iter().filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Expected)) {
            counted.add(&case.name, case.causes.iter().cloned());
        }
        counted
    }
}

/// A report that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("{path}: cannot read the report: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a record of a tbjwt JSON report.
    #[error("{path}:{line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn text_field(record: &Value, key: &str) -> Option<String> {
    record.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A case record, read.
fn read_case(record: &Value) -> Result<ReadCase, String> {
    let verdict: Verdict = record
        .get("verdict")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or("a case without a verdict")?;
    let differences: Vec<Difference> = match record.get("differences") {
        Some(d) => serde_json::from_value(d.clone()).map_err(|e| format!("`differences`: {e}"))?,
        None => Vec::new(),
    };
    let rerun = (verdict != Verdict::Pass).then(|| RerunInputs {
        event: record.get("event").cloned(),
        now_ms: record.get("now_ms").and_then(Value::as_i64).unwrap_or_default(),
        logins: record.get("logins").cloned().unwrap_or(Value::Array(Vec::new())),
    });
    Ok(ReadCase {
        name: text_field(record, "name").ok_or("a case without a name")?,
        fixture: record.get("source").and_then(Value::as_str) == Some("fixture"),
        verdict,
        causes: cause_keys(&differences),
        error: text_field(record, "error"),
        generated_index: record.get("generated_index").and_then(Value::as_u64),
        rerun,
    })
}

/// Calls `each` with every record of the JSON-lines report at `path` (its type and the record), in
/// order, one line at a time (a report of a million cases is not held whole). A line that is not a
/// record of a report is an error naming the file and the line; so is an error `each` returns.
pub fn records(path: &Path, mut each: impl FnMut(&str, Value) -> Result<(), String>) -> Result<(), ReadError> {
    use std::io::BufRead as _;
    let io = |source| ReadError::Io { path: path.to_owned(), source };
    let file = crate::files::open_regular(path).map_err(io)?;
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| ReadError::Line { path: path.to_owned(), line: index + 1, message };
        let record: Value = serde_json::from_str(&line).map_err(|e| bad(format!("not JSON: {e}")))?;
        let Some(kind) = record.get("type").and_then(Value::as_str).map(str::to_owned) else {
            return Err(bad("not a tbjwt report record (no `type`)".into()));
        };
        each(&kind, record).map_err(bad)?;
    }
    Ok(())
}

/// Reads the JSON-lines report at `path`.
pub fn read(path: &Path) -> Result<ReadReport, ReadError> {
    let mut identity = None;
    let mut cases = Vec::new();
    let mut conclusion = None;
    records(path, |kind, record| {
        match kind {
            "header" => {
                let field = |key: &str| text_field(&record, key).ok_or_else(|| format!("the header has no `{key}`"));
                identity = Some(RunIdentity {
                    implementation: field("implementation")?,
                    suite_version: text_field(&record, "suite_version"),
                    level: field("level")?,
                    domain: field("domain")?,
                    seed: record.get("seed").and_then(Value::as_u64).ok_or("the header has no `seed`")?,
                    partition: text_field(&record, "partition"),
                });
            }
            "case" if identity.is_none() => return Err("a case before the header".into()),
            "case" => cases.push(read_case(&record)?),
            "footer" => conclusion = text_field(&record, "conclusion"),
            // The matrix line of a run of several implementations, or a record a later version adds.
            _ => {}
        }
        Ok(())
    })?;
    let bad = |message: &str| ReadError::Line { path: path.to_owned(), line: 1, message: message.to_owned() };
    let identity = identity.ok_or_else(|| bad("no header: not a tbjwt JSON report (--report json=PATH)"))?;
    Ok(ReadReport { path: path.to_owned(), identity, cases, conclusion })
}
