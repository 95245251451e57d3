//! Reports are data: a run is a header, one record per case and a footer (JSON lines, as Bowtie's), and
//! each format renders that stream. A report without its footer is known to be truncated.
//!
//! | format   | file                                  | for |
//! |----------|---------------------------------------|-----|
//! | `json`   | `json::JsonLines`, streamed         | machines, later analysis |
//! | `junit`  | `junit::Junit`, one testcase a case | GitHub, GitLab, Jenkins test views |
//! | `markdown` | `markdown::Markdown`              | `$GITHUB_STEP_SUMMARY` |
//!
//! The terminal summary is [`human`].

pub(crate) mod badge;
pub(crate) mod html;
pub mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub mod matrix;
pub mod read;
pub mod redact;
pub mod run_diff;
pub(crate) mod sarif;
pub(crate) mod summary;
pub(crate) mod text;

use crate::clock::Now;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

use crate::compare::{Difference, Level, Observable};
use crate::strategies::Domain;

/// How reports show a value that one side does not have.
pub const ABSENT: &str = "(absent)";

/// A case's verdict (docs/ci.md). `error` is not `fail`: the implementation broke, it did not diverge.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseSource {
    /// A case of the built-in suite, of a `--fixtures` folder, of the saved regressions, or `--replay`.
    Fixture,
    /// Generated from the seed.
    Generated,
}

/// The first record of a report: what was run and how.
#[derive(Debug, Clone, Serialize)]
pub struct RunHeader {
    /// `tbjwt`.
    pub tool: &'static str,
    /// The subcommand: `check` or `fuzz`.
    pub command: &'static str,
    /// The harness version.
    pub version: &'static str,
    /// The built-in conformance suite's version (harness version + digest of its case files), when the run
    /// includes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suite_version: Option<String>,
    /// The implementation's name.
    pub implementation: String,
    /// The comparison level.
    pub level: Level,
    /// The generated events' domain.
    pub domain: Domain,
    /// The seed (always printed: the same seed gives the same cases).
    pub seed: u64,
    /// Fixture cases this run (or this partition) will execute: built-in suite, `--fixtures` folders,
    /// saved regressions.
    pub fixture_cases: u64,
    /// Generated cases this run (or this partition) will execute (at most: a time budget may end it first).
    pub generated_cases: u64,
    /// Cases this run (or this partition) will execute.
    pub planned_cases: u64,
    /// Where the fixture cases come from, in order (`built-in suite …`, folders).
    pub case_sources: Vec<String>,
    /// Seconds the run may take before it stops taking new cases (`tbjwt fuzz --seconds`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_budget_seconds: Option<f64>,
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
    /// What of the sandbox holds (absent when the implementation runs in no process of the harness's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// The Auth0 Actions runtime a `node:` action runs with, and the Node.js that runs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// When the run started (RFC 3339, UTC).
    pub started_at: String,
}

/// One case's record.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct CaseReport {
    /// Order in the run (fixtures first).
    pub ordinal: u64,
    /// The case's name: a fixture's file stem, or `generated-` and the start of the (minimal) event's
    /// content id, the same for the same event whatever the seed.
    pub name: String,
    /// For a generated case, its index under the run's seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_index: Option<u64>,
    /// Where it came from.
    pub source: CaseSource,
    /// How the case was judged.
    pub verdict: Verdict,
    /// The differences (of the shrunk event, when shrunk). Set with [`CaseReport::set_differences`], which
    /// keeps [`CaseReport::root_causes`] in step.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<Difference>,
    /// The same differences grouped by fact (`compare::root_causes`), computed once for every report.
    #[serde(skip_deserializing, skip_serializing_if = "Vec::is_empty")]
    pub root_causes: Vec<crate::compare::RootCause>,
    /// How the implementation broke (`error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The event that shows the divergence (shrunk for generated cases); only for `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Value>,
    /// The case's clock: `now` (whole seconds, floored) and `now_ms` in the JSON report.
    #[serde(flatten, serialize_with = "clock_fields", deserialize_with = "clock_from_fields")]
    pub now: Now,
    /// The same user's logins after the first one (a session; the first is `event` at `now`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub logins: Vec<crate::event::LaterLogin>,
    /// For a session that failed or errored: the login (1 for the first) its differences or error are of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_login: Option<usize>,
    /// Why Auth0 could not have sent the case's event (`event::limits`), when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beyond_auth0_limits: Option<String>,
    /// Size in bytes of the event before shrinking (compact JSON), when shrunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_size: Option<usize>,
    /// Size after shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrunk_size: Option<usize>,
    /// Candidates tried while shrinking.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shrink_steps: Option<usize>,
    /// Where the failing event was saved for replay (or where the same case already was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_to: Option<PathBuf>,
    /// A failing case of this run that shows the same divergence (so this one was not shrunk and saved).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_as: Option<String>,
    /// Whether this run wrote `saved_to` (`false`: the same case was saved before).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saved_now: bool,
    /// A shell command line that re-runs this case alone with the run's verdict-changing options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
    /// Expectations entries that covered (or named) the case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<usize>,
    /// The errors of the attempts before the last, when the case's execution errored and was retried
    /// (`--retries`): a case that then passed is flaky.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<String>,
    /// Whether the baseline holds every root cause of this case (it is then `expected`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub baselined: bool,
    /// The equivalence classes the case reached (counted into the footer's coverage).
    #[serde(skip)]
    pub classes: crate::classes::ClassSet,
    /// Milliseconds spent on the case (both flows and the comparison).
    pub millis: f64,
    /// For a failing case: both observations as compared (normalised at the run's level, tokens decoded),
    /// for the reports that show them side by side. Not in the JSON lines (they hold the differences).
    #[serde(skip)]
    pub sides: Option<Box<Sides>>,
    /// The case's secrets, masked in whatever a reporter shows of it ([`redact::Secrets::case`]); set
    /// for every case that did not pass.
    #[serde(skip)]
    pub secrets: redact::Secrets,
}

impl CaseReport {
    /// For a session, what people read of it: `session of 3 logins: then refresh_token 8 d later, password
    /// 1 h later; shown: login 2`.
    pub fn session_line(&self) -> Option<String> {
        if self.logins.is_empty() {
            return None;
        }
        let shown = self.at_login.map(|n| format!("; shown: login {n}")).unwrap_or_default();
        Some(format!(
            "session of {} logins: the event at now = {}, then {}{shown}",
            self.logins.len() + 1,
            self.now,
            crate::event::session::describe(&self.logins)
        ))
    }

    /// What the failure blocks say of a case Auth0 could not have sent.
    pub fn limits_line(&self) -> Option<String> {
        self.beyond_auth0_limits.as_ref().map(|why| format!("outside what Auth0 can send: {why}"))
    }

    /// Whether the case errored, was retried and then did not error: it passed (or diverged) only on a
    /// later attempt.
    pub fn is_flaky(&self) -> bool {
        !self.attempts.is_empty() && self.verdict != Verdict::Error
    }

    /// Sets the case's differences and their root causes.
    pub fn set_differences(&mut self, differences: Vec<Difference>) {
        self.root_causes = crate::compare::root_causes(&differences);
        self.differences = differences;
    }
}

/// The reference's and the implementation's observations of a case, normalised as they were compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Sides {
    /// The reference's.
    pub reference: serde_json::Value,
    /// The implementation's.
    pub implementation: serde_json::Value,
}

/// Where a run's job time went: waiting for the implementation, and everything else (the flows against
/// the mocks, the reference, comparing, shrinking's bookkeeping). Summed over jobs, so on several jobs it
/// exceeds the wall-clock duration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RunTiming {
    /// Seconds inside the implementation's runner calls (its own work and the round trip to it).
    pub implementation_seconds: f64,
    /// Seconds of the harness's own work around them.
    pub harness_seconds: f64,
    /// Implementation runs made while shrinking.
    pub shrink_runs: u64,
}

/// How many cases got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Cases equal to the reference.
    pub pass: u64,
    /// Cases that diverged.
    pub fail: u64,
    /// Cases on which the implementation broke.
    pub error: u64,
    /// Cases that diverged as the expectations say.
    pub expected: u64,
    /// Cases an expectation names that no longer diverge.
    pub unexpected_pass: u64,
    /// Cases whose execution errored and that then passed on a retry (`--retries`): counted among the
    /// passing ones too.
    #[serde(skip_serializing_if = "is_zero")]
    pub flaky: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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

    /// Cases whose verdict fails the gate or is an error.
    pub fn failing(&self) -> u64 {
        self.fail + self.error + self.unexpected_pass
    }
}

/// How a run ended, and so its exit code. A run concludes `conforms` only when it ran at least one case,
/// every case passed (or diverged as expected), nothing was wrong with the expectations, and it was
/// neither interrupted nor broken by the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Conclusion {
    /// Every case `pass` or `expected` (exit 0).
    Conforms,
    /// A `fail`, an `unexpected-pass`, an expectations problem, or a change of the harness's own files
    /// (exit 1).
    Diverged,
    /// The harness could not carry out the run: bad input, a report it cannot write (exit 2).
    HarnessError,
    /// No case ran, so nothing was checked (exit 2).
    NothingRan,
    /// The implementation errored (crashed, hung, broke the protocol) and nothing diverged (exit 3).
    ImplementationErrored,
    /// A signal (SIGINT, SIGTERM, SIGHUP) stopped the run: the counts cover what finished (exit 4).
    Interrupted,
}

impl Conclusion {
    /// The conclusion of a run.
    pub fn of_run(counts: &Counts, expectation_problems: usize, harness_error: bool, interrupted: bool) -> Self {
        if harness_error {
            Conclusion::HarnessError
        } else if interrupted {
            Conclusion::Interrupted
        } else if counts.fail > 0 || counts.unexpected_pass > 0 || expectation_problems > 0 {
            Conclusion::Diverged
        } else if counts.error > 0 {
            Conclusion::ImplementationErrored
        } else if counts.total() == 0 {
            Conclusion::NothingRan
        } else {
            Conclusion::Conforms
        }
    }

    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Conclusion::Conforms => 0,
            Conclusion::Diverged => 1,
            Conclusion::HarnessError | Conclusion::NothingRan => 2,
            Conclusion::ImplementationErrored => 3,
            Conclusion::Interrupted => 4,
        }
    }

    /// One line for people.
    pub fn sentence(self) -> &'static str {
        match self {
            Conclusion::Conforms => "conforms",
            Conclusion::Diverged => "diverges from the reference",
            Conclusion::HarnessError => "harness error: the run could not be carried out",
            Conclusion::NothingRan => "no case ran: nothing was checked",
            Conclusion::ImplementationErrored => "the implementation errored",
            Conclusion::Interrupted => "interrupted: no verdict",
        }
    }
}

/// The last record of a report.
#[derive(Debug, Clone, Serialize)]
pub struct RunFooter {
    /// Verdict counts.
    pub counts: Counts,
    /// Wall-clock duration.
    pub duration_seconds: f64,
    /// Cases finished per second of wall-clock time.
    pub cases_per_second: f64,
    /// Fixture cases that finished.
    pub fixture_cases_run: u64,
    /// Generated cases that finished.
    pub generated_cases_run: u64,
    /// Whether a signal interrupted the run: the counts cover the cases that finished, and there is no verdict.
    pub interrupted: bool,
    /// Why the run stopped before all cases (`--fail-fast`, `--max-failures`), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// Expectations entries that fail the gate (expired, unused).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expectation_problems: Vec<ExpectationProblem>,
    /// Whether flaky cases fail the run (`--flaky-result fail`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub flaky_fails: bool,
    /// What the run found against its baseline, with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineOutcome>,
    /// Changes the implementation made to the harness's own files (repaired; each fails the run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub integrity: Vec<String>,
    /// Where a deployed artifact and its code part ways (docs/deployed.md); those that `fails` fail the run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<crate::node::artifact::drift::DriftFinding>,
    /// Where the jobs' time went.
    pub timing: RunTiming,
    /// Which equivalence classes of inputs the run reached (absent for `--replay`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_coverage: Option<ClassCoverage>,
    /// Whether the implementation said it cannot take `now` (`honours_now: false`): every login then ran
    /// at the wall clock, read as it started, instead of the case's clock.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub on_wall_clock: bool,
    /// How the run ended.
    pub conclusion: Conclusion,
    /// The exit code: 0 conforms, 1 diverged, 2 harness error or no case ran, 3 the implementation errored,
    /// 4 interrupted.
    pub exit_code: u8,
}

/// What a run found against its baseline (`--baseline`): root causes by key, with the failing cases each
/// showed in.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BaselineOutcome {
    /// The baseline file.
    pub file: PathBuf,
    /// Whether a fixed divergence fails the run (`--baseline-strict`).
    pub strict: bool,
    /// Causes the baseline does not hold: each fails the run.
    pub new: Vec<CauseCount>,
    /// Causes the baseline holds that the run showed again.
    pub still: Vec<CauseCount>,
    /// Causes the baseline holds that no case of a full run of the baseline's own seed showed: under
    /// `--baseline-strict` each fails the run until it leaves the baseline.
    pub fixed: Vec<crate::compare::CauseKey>,
    /// Causes the baseline holds that no case showed in a run that is not the baseline's (another seed,
    /// a shard, a run cut short): they may only not have been drawn, so they fail nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_seen: Vec<crate::compare::CauseKey>,
}

/// A root cause and the cases it showed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseCount {
    /// The cause.
    #[serde(flatten)]
    pub cause: crate::compare::CauseKey,
    /// Cases it showed in.
    pub cases: u64,
    /// The first case it showed in.
    pub example: String,
}

impl BaselineOutcome {
    /// Whether it fails the run on its own (beyond its new causes' failing cases): fixed causes under
    /// `--baseline-strict`.
    pub fn fails(&self) -> bool {
        self.strict && !self.fixed.is_empty()
    }

    /// One line for the terminal and the summaries.
    pub fn summary(&self) -> String {
        let not_seen = if self.not_seen.is_empty() {
            String::new()
        } else {
            format!(", {} not drawn by this run", self.not_seen.len())
        };
        format!(
            "baseline {}: {} new, {} still there, {} fixed{not_seen}{}",
            self.file.display(),
            self.new.len(),
            self.still.len(),
            self.fixed.len(),
            if self.fails() { " (--baseline-strict: remove the fixed ones, `tbjwt baseline write`)" } else { "" }
        )
    }
}

/// The equivalence classes a run reached (docs/classes.md).
#[derive(Debug, Clone, Serialize)]
pub struct ClassCoverage {
    /// The domain whose classes the run must reach.
    pub domain: crate::strategies::Domain,
    /// Classes of the domain reached by at least one case.
    pub reached: usize,
    /// Classes of the domain.
    pub classes: usize,
    /// Classes of the domain no case reached: each is a warning.
    pub unreached: Vec<&'static str>,
    /// Every class (of any domain) with the number of cases that reached it.
    pub counts: Vec<crate::classes::ClassCount>,
}

/// What the footer says of a run on the wall clock.
pub const ON_WALL_CLOCK: &str = "clock: the implementation does not honour `now` (honours_now: false): every login ran at the wall clock, with no time between a session's logins, so the clock classes of the domain cannot be reached";

impl ClassCoverage {
    /// The coverage of `domain` from per-class counts.
    pub fn new(domain: crate::strategies::Domain, coverage: &crate::classes::Coverage) -> ClassCoverage {
        let unreached = coverage.unreached(domain);
        let classes = crate::classes::of_domain(domain).count();
        ClassCoverage { domain, reached: classes - unreached.len(), classes, unreached, counts: coverage.rows(domain) }
    }

    /// One line: `classes: 87/87 of the auth0 domain reached`, or which were not.
    pub fn summary(&self) -> String {
        let mut line =
            format!("classes: {}/{} of the {} domain reached", self.reached, self.classes, self.domain.name());
        if !self.unreached.is_empty() {
            line.push_str(&format!("; never reached: {}", self.unreached.join(", ")));
        }
        line
    }
}

/// A problem with the expectations found by a run (an expired entry, one that matched nothing); each
/// fails the gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationProblem {
    /// Index of the entry in the file (0-based).
    pub entry: usize,
    /// What is wrong.
    pub message: String,
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

/// A `--report FORMAT=PATH` request (in a config file, the same `FORMAT=PATH` text).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct ReportRequest {
    /// `json`, `junit`, `markdown` or `html`.
    pub format: ReportFormat,
    /// Where to write it.
    pub path: PathBuf,
}

impl TryFrom<String> for ReportRequest {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// JSON lines.
    Json,
    /// JUnit XML.
    Junit,
    /// Markdown.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// A Shields endpoint badge.
    Badge,
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
            "html" => ReportFormat::Html,
            "sarif" => ReportFormat::Sarif,
            "badge" => ReportFormat::Badge,
            other => {
                return Err(format!("`{other}` is not a report format (json, junit, markdown, html, sarif, badge)"))
            }
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
            ReportFormat::Html => Box::new(html::Html::new(file)),
            ReportFormat::Sarif => Box::new(sarif::Sarif::new(file)),
            ReportFormat::Badge => Box::new(badge::Badge::new(file)),
        })
    }
}

/// Reads a clock back from the report field `now_ms`.
fn clock_from_fields<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Now, D::Error> {
    use serde::de::Error as _;
    #[derive(serde::Deserialize)]
    struct Clock {
        now_ms: i64,
    }
    let clock = <Clock as serde::Deserialize>::deserialize(deserializer)?;
    Now::from_millis(clock.now_ms).map_err(D::Error::custom)
}

/// Writes a clock as the two report fields `now` (whole seconds, floored) and `now_ms`.
fn clock_fields<S: serde::Serializer>(now: &Now, serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut map = serializer.serialize_map(Some(2))?;
    map.serialize_entry("now", &now.seconds())?;
    map.serialize_entry("now_ms", &now.millis())?;
    map.end()
}
