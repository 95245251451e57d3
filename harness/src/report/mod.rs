//! Reports are data: a run is a header, one record per case and a footer (JSON lines, as Bowtie's), and
//! each format renders that stream. A report without its footer is known to be truncated.
//!
//! | format   | file                                  | for |
//! |----------|---------------------------------------|-----|
//! | `json`   | [`json::JsonLines`], streamed         | machines, later analysis |
//! | `junit`  | [`junit::Junit`], one testcase a case | GitHub, GitLab, Jenkins test views |
//! | `markdown` | [`markdown::Markdown`]              | `$GITHUB_STEP_SUMMARY` |
//!
//! The terminal summary is [`human`].

pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;

use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

use crate::check::expectations::ExpectationProblem;
use crate::compare::{Difference, Level, Observable};
use crate::generate::Domain;

/// A case's verdict (DESIGN.md §6). `error` is not `fail`: the implementation broke, it did not diverge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Same as the reference.
    Pass,
    /// Diverged.
    Fail,
    /// The implementation crashed, hung or broke the protocol.
    Error,
    /// Diverged, as an expectations entry says it does.
    Expected,
    /// An expectations entry names the case, but it no longer diverges (fails the gate).
    UnexpectedPass,
}

impl Verdict {
    /// The verdict as reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Expected => "expected",
            Verdict::UnexpectedPass => "unexpected-pass",
        }
    }
}

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseSource {
    /// A file of a fixtures folder (or `--replay`).
    Fixture,
    /// Generated from the seed.
    Generated,
}

/// The first record of a report: what was run and how.
#[derive(Debug, Clone, Serialize)]
pub struct RunHeader {
    /// `tbjwt`.
    pub tool: &'static str,
    /// The harness version.
    pub version: &'static str,
    /// The implementation's name.
    pub implementation: String,
    /// The comparison level.
    pub level: Level,
    /// The generated events' domain.
    pub domain: Domain,
    /// The seed (always printed: the same seed gives the same cases).
    pub seed: u64,
    /// Fixture cases in the run.
    pub fixture_cases: usize,
    /// Generated cases in the run.
    pub generated_cases: u64,
    /// Cases this run (or this partition) will execute.
    pub planned_cases: u64,
    /// Parallel jobs.
    pub jobs: usize,
    /// `K/N` when sharded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Per-case timeout.
    pub timeout_seconds: f64,
    /// Observables left out.
    pub ignore: Vec<Observable>,
    /// The expectations file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expectations: Option<PathBuf>,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
}

/// One case's record.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    /// Order in the run (fixtures first).
    pub ordinal: u64,
    /// The case's name (file stem, or `generated-N`).
    pub name: String,
    /// Where it came from.
    pub source: CaseSource,
    /// The verdict.
    pub verdict: Verdict,
    /// The differences (of the shrunk event, when shrunk).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// How the implementation broke (`error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The event that shows the divergence (shrunk for generated cases); only for `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Value>,
    /// The case's clock.
    pub now: i64,
    /// Size in bytes of the event before shrinking (compact JSON), when shrunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_size: Option<usize>,
    /// Size after shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrunk_size: Option<usize>,
    /// Candidates tried while shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrink_steps: Option<usize>,
    /// Where the failing event was saved for replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<PathBuf>,
    /// Expectations entries that covered (or named) the case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<usize>,
    /// Milliseconds spent on the case (both flows and the comparison).
    pub millis: f64,
}

/// How many cases got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// `pass`.
    pub pass: u64,
    /// `fail`.
    pub fail: u64,
    /// `error`.
    pub error: u64,
    /// `expected`.
    pub expected: u64,
    /// `unexpected-pass`.
    pub unexpected_pass: u64,
}

impl Counts {
    /// Counts one verdict.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error => self.error += 1,
            Verdict::Expected => self.expected += 1,
            Verdict::UnexpectedPass => self.unexpected_pass += 1,
        }
    }

    /// Every case counted.
    pub fn total(&self) -> u64 {
        self.pass + self.fail + self.error + self.expected + self.unexpected_pass
    }
}

/// The last record of a report.
#[derive(Debug, Clone, Serialize)]
pub struct RunFooter {
    /// Verdict counts.
    pub counts: Counts,
    /// Wall-clock duration.
    pub duration_seconds: f64,
    /// Cases per second.
    pub cases_per_second: f64,
    /// Whether the run was interrupted (Ctrl-C): the counts cover the cases that finished.
    pub interrupted: bool,
    /// Why the run stopped before all cases (`--fail-fast`, `--max-failures`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// Expectations entries that fail the gate (expired, unused).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectation_problems: Vec<ExpectationProblem>,
    /// The exit code: 0 conforms, 1 diverged, 2 harness error, 3 the implementation errored.
    pub exit_code: u8,
}

/// Something that renders a run.
pub trait Reporter: Send {
    /// The run starts.
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()>;
    /// A case finished.
    fn case(&mut self, case: &CaseReport) -> std::io::Result<()>;
    /// The run ended (also after an interruption).
    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()>;
}

/// A `--report FORMAT=PATH` request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ReportRequest {
    /// `json`, `junit` or `markdown`.
    pub format: ReportFormat,
    /// Where to write it.
    pub path: PathBuf,
}

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON lines.
    Json,
    /// JUnit XML.
    Junit,
    /// Markdown.
    Markdown,
}

impl std::str::FromStr for ReportRequest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (format, path) =
            s.split_once('=').ok_or_else(|| format!("`{s}`: expected FORMAT=PATH, e.g. json=report.jsonl"))?;
        let format = match format {
            "json" => ReportFormat::Json,
            "junit" => ReportFormat::Junit,
            "markdown" | "md" => ReportFormat::Markdown,
            other => return Err(format!("`{other}` is not a report format (json, junit, markdown)")),
        };
        if path.is_empty() {
            return Err(format!("`{s}`: the path is empty"));
        }
        Ok(ReportRequest { format, path: PathBuf::from(path) })
    }
}

impl ReportRequest {
    /// Opens the report file (creating its folder) and returns its reporter.
    pub fn open(&self) -> std::io::Result<Box<dyn Reporter>> {
        if let Some(parent) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let file = std::fs::File::create(&self.path)?;
        Ok(match self.format {
            ReportFormat::Json => Box::new(json::JsonLines::new(file)),
            ReportFormat::Junit => Box::new(junit::Junit::new(file)),
            ReportFormat::Markdown => Box::new(markdown::Markdown::new(file)),
        })
    }
}
