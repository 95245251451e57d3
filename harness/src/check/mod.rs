//! `check`: the differential CI gate. Fixtures (and regressions) first, then generated cases; each runs
//! through the whole login flow for the reference and the implementation, the observations are compared,
//! a divergence is shrunk to a minimal event and saved for replay, and every case gets a verdict
//! (docs/ci.md). Reports stream as cases finish, so memory stays flat however many cases run.
//!
//! Work is split into small batches pulled by `jobs` worker threads (each with its own implementation
//! runner, pipelining its batch); one collector thread renders the reports in completion order.

pub mod expectations;
pub mod generated;
mod interrupt;
pub mod options;
mod replay;
mod worker;

pub use interrupt::{Interrupt, GRACE};
pub use replay::replay_command;
pub use worker::JobError;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::compare::{Level, Observable};
use crate::event::{suite, Case};
use crate::mocks::MockServers;
use crate::report::{CaseReport, CaseSource, Conclusion, Counts, Reporter, RunFooter, RunHeader, Verdict};
use crate::runner::Runner;
use crate::strategies::Domain;
use expectations::Expectations;

/// Everything a check run needs besides the implementation. [`options::CheckOptions`] fills it from the
/// command line and a config file; the defaults here are the ones documented in `--help`.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    /// The subcommand, for reports: `check` or `fuzz`.
    pub command: &'static str,
    /// The implementation's name, for reports, saved cases and replay commands.
    pub implementation: String,
    /// How to call this program in a printed command line (`tbjwt`, or its path when not on `PATH`).
    pub program: String,
    /// The comparison level.
    pub level: Level,
    /// Observables left out of the comparison.
    pub ignore: BTreeSet<Observable>,
    /// The generated events' domain.
    pub domain: Domain,
    /// How many generated cases (at most, when `time_budget` ends the run first).
    pub cases: u64,
    /// The seed the generated cases are drawn from (the same seed, the same cases).
    pub seed: u64,
    /// Worker threads (each with its own implementation runner).
    pub jobs: usize,
    /// Per-case timeout (for the report header and the replay command; the runner enforces it).
    pub timeout: Duration,
    /// `Some((k, n))`: run only the cases whose ordinal is `k - 1` modulo `n`.
    pub partition: Option<(u64, u64)>,
    /// Stop after this many failing cases.
    pub max_failures: Option<u64>,
    /// Whether the built-in conformance suite runs first.
    pub suite: bool,
    /// More folders of case files, run after the suite (each must exist).
    pub fixture_dirs: Vec<PathBuf>,
    /// The folder of the user's saved regressions, replayed when it exists.
    pub regressions: Option<PathBuf>,
    /// Run only this case (a case file, or the name of a built-in case): no other fixture, no generated case.
    pub replay: Option<PathBuf>,
    /// Where minimal failing events are saved (`None`: not saved).
    pub save_failures: Option<PathBuf>,
    /// Known divergences.
    pub expectations: Option<Expectations>,
    /// Candidate evaluations allowed when shrinking one failure (0: no shrinking).
    pub shrink_steps: usize,
    /// How many failing generated cases are shrunk and saved; later ones are reported as found.
    pub shrink_failures: u64,
    /// Write each fixture's observation as a reviewable snapshot in this folder (an absolute path).
    pub snapshots: Option<PathBuf>,
    /// Stop taking new cases after this long (a normal end, not an interruption).
    pub time_budget: Option<Duration>,
    /// The sandbox the implementation's processes start in.
    pub sandbox: crate::sandbox::SandboxSettings,
    /// What of the sandbox holds, as the run's first lines say it (`None` when the implementation runs in
    /// no process the harness starts: the reference, an endpoint).
    pub sandbox_line: Option<String>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            command: "check",
            implementation: String::new(),
            program: "tbjwt".into(),
            level: Level::Semantic,
            ignore: BTreeSet::new(),
            domain: Domain::Auth0,
            cases: 1000,
            seed: 0,
            jobs: 2,
            timeout: Duration::from_secs(5),
            partition: None,
            max_failures: None,
            suite: true,
            fixture_dirs: Vec::new(),
            regressions: None,
            replay: None,
            save_failures: None,
            expectations: None,
            shrink_steps: 400,
            shrink_failures: 5,
            snapshots: None,
            time_budget: None,
            sandbox: crate::sandbox::SandboxSettings::default(),
            sandbox_line: None,
        }
    }
}

/// A run that could not be carried out (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A case file or folder is unusable.
    #[error(transparent)]
    Case(#[from] crate::event::CaseError),
    /// The mocks could not start.
    #[error(transparent)]
    Mocks(#[from] crate::mocks::MockError),
    /// Two different cases with one name.
    #[error("{0}")]
    Cases(String),
    /// The expectations name cases or rules that do not exist.
    #[error(transparent)]
    Expectations(#[from] expectations::ExpectationsError),
    /// A job failed mid-run (the mocks, saving a case, a runner that could not be made).
    #[error(transparent)]
    Job(#[from] worker::JobError),
    /// A report could not be written.
    #[error("writing a report: {0}")]
    Report(#[from] std::io::Error),
}

/// Makes one runner per job (so in-process Rust ports and process-backed runners alike can run in parallel).
/// Why it could not is typed ([`crate::runner::StartError`]): the job reports it as the harness's failure.
pub type RunnerFactory<'a> = dyn Fn() -> Result<Box<dyn Runner>, crate::runner::StartError> + Sync + 'a;

/// A case of the run's fixture part, with the file it came from (none for built-in cases).
#[derive(Debug, Clone)]
pub(crate) struct FixtureCase {
    case: Case,
    file: Option<PathBuf>,
}

/// One case to run.
#[derive(Debug, Clone)]
pub(crate) struct CaseInput {
    ordinal: u64,
    name: String,
    source: crate::report::CaseSource,
    generated_index: Option<u64>,
    /// What `--replay` takes to run this case alone (a file, or a built-in case's name).
    replay_target: Option<String>,
    event: serde_json::Value,
    now: crate::clock::Now,
    /// The same user's later logins (a session).
    logins: Vec<crate::event::LaterLogin>,
}

/// The default number of jobs: one per CPU. The flows play in process, so a job and its implementation's
/// process keep a CPU busy between them; more jobs only share the CPUs (measured on 2 CPUs: the Node
/// action at 2,640 cases/s with 2 jobs, 2,100 with 6; the Python port 3,130 and 1,520).
pub fn default_jobs() -> usize {
    cpus().clamp(1, 48)
}

/// The default number of jobs for `implementation`: [`default_jobs`], or three per CPU (at most 48) for an
/// `http:` implementation, whose jobs mostly wait on the network.
pub fn default_jobs_for(implementation: &crate::runner::Implementation) -> usize {
    match implementation {
        crate::runner::Implementation::Http(_) => cpus().saturating_mul(3).clamp(1, 48),
        _ => default_jobs(),
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The closest of `candidates` to `name`, for "did you mean" hints.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The fixture part of a run, in order, with a description of each source.
fn load_fixtures(settings: &CheckSettings) -> Result<(Vec<FixtureCase>, Vec<String>), CheckError> {
    if let Some(target) = &settings.replay {
        return Ok((vec![replay::resolve(target)?], vec![format!("--replay {}", target.display())]));
    }
    let mut cases = Vec::new();
    let mut sources = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut names: HashMap<String, usize> = HashMap::new();
    if settings.suite {
        for case in suite::cases()? {
            ids.insert(case.content_id());
            names.insert(case.name.clone(), cases.len());
            cases.push(FixtureCase { case, file: None });
        }
        sources.push(format!("built-in suite {} ({} cases)", suite::version(), cases.len()));
    }
    let mut folders: Vec<(&PathBuf, Vec<Case>)> = Vec::new();
    for dir in &settings.fixture_dirs {
        folders.push((dir, Case::load_dir(dir)?));
    }
    if let Some(dir) = settings.regressions.as_ref().filter(|d| d.exists()) {
        folders.push((dir, Case::load_dir(dir)?));
    }
    for (dir, loaded) in folders {
        let before = cases.len();
        let mut same = 0;
        for case in loaded {
            let id = case.content_id();
            if ids.contains(&id) {
                same += 1; // the same case under another name or in another folder runs once
                continue;
            }
            if let Some(&other) = names.get(&case.name) {
                return Err(CheckError::Cases(format!(
                    "{}: the case `{}` differs from another case of the same name ({}): rename one of them",
                    dir.join(format!("{}.json", case.name)).display(),
                    case.name,
                    cases[other].file.as_ref().map_or("built-in suite".into(), |f: &PathBuf| f.display().to_string())
                )));
            }
            ids.insert(id);
            names.insert(case.name.clone(), cases.len());
            let file = dir.join(format!("{}.json", case.name));
            cases.push(FixtureCase { case, file: Some(file) });
        }
        let added = cases.len() - before;
        sources.push(format!(
            "{} ({added} cases{})",
            dir.display(),
            if same > 0 { format!(", {same} already in the run") } else { String::new() }
        ));
    }
    Ok((cases, sources))
}

/// Runs the check, rendering to `reporters`. `interrupt` (requested by a signal handler) stops it early;
/// the reports are completed either way.
pub fn run_check(
    settings: &CheckSettings,
    make_runner: &RunnerFactory<'_>,
    reporters: &mut [Box<dyn Reporter>],
    interrupt: &Interrupt,
) -> Result<RunFooter, CheckError> {
    let (fixtures, case_sources) = load_fixtures(settings)?;
    if let Some(expectations) = &settings.expectations {
        expectations.validate(fixtures.iter().map(|f| f.case.name.as_str()))?;
    }
    let generated = if settings.replay.is_some() { 0 } else { settings.cases };
    let fixture_count = fixtures.len() as u64;
    let total = fixture_count.saturating_add(generated);
    let planned_in = |from: u64, to: u64| match settings.partition {
        None => to - from,
        Some((k, n)) => {
            // Ordinals o in [from, to) with o % n == k - 1.
            let count_below = |x: u64| if x > k - 1 { (x - (k - 1)).div_ceil(n) } else { 0 };
            count_below(to) - count_below(from)
        }
    };
    let planned_fixtures = planned_in(0, fixture_count);
    let planned_generated = planned_in(fixture_count, total);
    let header = RunHeader {
        tool: "tbjwt",
        command: settings.command,
        version: env!("CARGO_PKG_VERSION"),
        suite_version: (settings.suite && settings.replay.is_none()).then(|| suite::version().to_owned()),
        implementation: settings.implementation.clone(),
        level: settings.level,
        domain: settings.domain,
        seed: settings.seed,
        fixture_cases: planned_fixtures,
        generated_cases: planned_generated,
        planned_cases: planned_fixtures + planned_generated,
        case_sources,
        time_budget_seconds: settings.time_budget.map(|d| d.as_secs_f64()),
        jobs: settings.jobs,
        partition: settings.partition.map(|(k, n)| format!("{k}/{n}")),
        timeout_seconds: settings.timeout.as_secs_f64(),
        ignore: settings.ignore.iter().copied().collect(),
        expectations: settings.expectations.as_ref().map(|e| e.path.clone()),
        sandbox: settings.sandbox_line.clone(),
        started_at: now_rfc3339(),
    };
    for r in reporters.iter_mut() {
        r.header(&header)?;
    }

    let mocks = MockServers::start()?;
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let gave_up = std::sync::Mutex::new(None);
    let cursor = AtomicU64::new(0);
    let shrinking = worker::ShrinkQueue::default();
    let timing = worker::Timing::default();
    let on_wall_clock = AtomicBool::new(false);
    let mut shrinkable = Shrinkable::new(settings.shrink_failures);
    let mut jobs_done = 0;
    let (sender, receiver) = mpsc::channel::<worker::Message>();
    let mut counts = Counts::default();
    let mut coverage = crate::classes::Coverage::default();
    let (mut fixtures_run, mut generated_run) = (0u64, 0u64);
    let mut used = vec![false; settings.expectations.as_ref().map_or(0, |e| e.entries.len())];
    let mut stopped_early = None;
    let mut harness_error: Option<CheckError> = None;
    let mut abandoned = false;
    let deadline = settings.time_budget.map(|d| started + d);
    let shrink = settings.shrink_steps > 0 && settings.shrink_failures > 0;

    let (footer, error) = std::thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            let sender = sender.clone();
            let context = worker::Context {
                settings,
                fixtures: &fixtures,
                total,
                cursor: &cursor,
                shrinking: &shrinking,
                stop: &stop,
                gave_up: &gave_up,
                interrupt,
                deadline,
                mocks: &mocks,
                timing: &timing,
                on_wall_clock: &on_wall_clock,
            };
            scope.spawn(move || worker::work(context, make_runner, sender));
        }
        drop(sender);
        loop {
            if interrupt.requested() {
                stop.store(true, Ordering::Relaxed);
                if interrupt.must_abandon() {
                    abandoned = true;
                    break;
                }
            }
            let message = match receiver.recv_timeout(Duration::from_millis(50)) {
                Ok(message) => message,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut render = |report: &CaseReport, harness_error: &mut Option<CheckError>| {
                if !render_case(reporters, report, harness_error) {
                    stop.store(true, Ordering::Relaxed);
                }
            };
            let report = match message {
                worker::Message::Failed(e) => {
                    harness_error.get_or_insert(CheckError::Job(e));
                    stop.store(true, Ordering::Relaxed);
                    continue;
                }
                worker::Message::Done => {
                    jobs_done += 1;
                    if jobs_done == settings.jobs.max(1) {
                        let (chosen, left) = shrinkable.choose();
                        for report in left {
                            render(&report, &mut harness_error);
                        }
                        shrinking.open(chosen);
                    }
                    continue;
                }
                worker::Message::Shrunk(report) => {
                    render(&report, &mut harness_error);
                    continue;
                }
                worker::Message::Case(report) => report,
            };
            counts.add(report.verdict);
            coverage.add(report.classes);
            match report.source {
                CaseSource::Fixture => fixtures_run += 1,
                CaseSource::Generated => generated_run += 1,
            }
            for &i in &report.expectations {
                if let Some(u) = used.get_mut(i) {
                    *u = true;
                }
            }
            let failures = counts.fail + counts.unexpected_pass;
            if let Some(max) = settings.max_failures {
                if failures >= max && stopped_early.is_none() && report.verdict == Verdict::Fail {
                    stopped_early = Some(format!("{failures} failing cases (--max-failures {max})"));
                    stop.store(true, Ordering::Relaxed);
                }
            }
            if report.verdict == Verdict::Fail && report.generated_index.is_none() {
                shrinkable.known(&report);
            }
            if shrink && report.verdict == Verdict::Fail && report.generated_index.is_some() {
                if let Some(out) = shrinkable.offer(report) {
                    render(&out, &mut harness_error);
                }
            } else {
                render(&report, &mut harness_error);
            }
        }
        // Release the jobs waiting for the shrinking phase (when the run was abandoned before it), and show
        // what was never shrunk.
        shrinking.open(Vec::new());
        for report in shrinkable.choose().1 {
            render_case(reporters, &report, &mut harness_error);
        }
        if let Some(why) = gave_up.lock().unwrap_or_else(|p| p.into_inner()).take() {
            stopped_early.get_or_insert(format!("the implementation was given up on: {why}"));
        }
        let footer = footer(Finished {
            settings,
            integrity: integrity_findings(),
            counts,
            coverage: (settings.replay.is_none()).then_some(&coverage),
            timing: timing.totals(),
            on_wall_clock: on_wall_clock.load(Ordering::Relaxed),
            fixtures_run,
            generated_run,
            used: &used,
            started,
            interrupted: interrupt.requested(),
            stopped_early: stopped_early.take(),
            harness_error: harness_error.is_some(),
        });
        for r in reporters.iter_mut() {
            if let Err(e) = r.footer(&footer) {
                harness_error.get_or_insert(CheckError::Report(e));
            }
        }
        if abandoned {
            // The reports are complete; end the processes the jobs may still wait on, and let the jobs go.
            interrupt.abort();
        }
        drop(receiver);
        (footer, harness_error.take())
    });
    match error {
        Some(e) => Err(e),
        None => Ok(footer),
    }
}

/// Renders one case to every reporter; a reporter that fails is recorded as the run's harness error.
/// Returns whether every reporter took it.
fn render_case(reporters: &mut [Box<dyn Reporter>], report: &CaseReport, error: &mut Option<CheckError>) -> bool {
    let mut ok = true;
    // Every reporter sees the case with its secrets masked (report::redact).
    let shown = report.secrets.case(report);
    for r in reporters.iter_mut() {
        if let Err(e) = r.case(&shown) {
            error.get_or_insert(CheckError::Report(e));
            ok = false;
        }
    }
    ok
}

/// Changes of the harness's own files found during the run (checked once more now that every
/// implementation process has stopped).
fn integrity_findings() -> Vec<String> {
    crate::node::verify_after_run();
    crate::node::integrity::take_findings()
}

/// The divergence a failing case shows, as a set of differences with array indices left out, a token's
/// claims named once wherever the token shows (calls, metadata, ID token, Tinybird JWT), and the access
/// matrix left out when a token differs (it follows from the token): two failures with the same
/// signature are most likely the same bug.
fn divergence_signature(report: &CaseReport) -> BTreeSet<String> {
    let token = |d: &crate::compare::Difference| {
        let generic = crate::compare::signature(d);
        generic.rfind("/jwt/").map(|at| generic[at..].to_owned())
    };
    let token_differs = report.differences.iter().any(|d| token(d).is_some());
    report
        .differences
        .iter()
        .filter_map(|d| match (token(d), d.observable) {
            (Some(claim), _) => Some(claim),
            (None, Observable::Access) if token_differs => None,
            (None, Observable::Access) => Some(format!("/access/* ({})", d.rule)),
            (None, _) => Some(crate::compare::signature(d)),
        })
        .collect()
}

/// The failing generated cases that may be shrunk: the one with the smallest index of each divergence
/// signature that no failing fixture (a saved regression, say) already shows, at most `capacity × 4`
/// signatures held at once. At the end, the `capacity` smallest indices are shrunk; the rest are reported
/// as they are. The choice depends only on the cases, never on the jobs' timing, so that the same run
/// saves the same minimal cases.
struct Shrinkable {
    capacity: usize,
    by_signature: BTreeMap<BTreeSet<String>, CaseReport>,
    known: HashMap<BTreeSet<String>, String>,
}

impl Shrinkable {
    fn new(capacity: u64) -> Shrinkable {
        Shrinkable { capacity: capacity.min(1 << 16) as usize, by_signature: BTreeMap::new(), known: HashMap::new() }
    }

    /// A failing fixture: generated cases with its divergence are not shrunk again.
    fn known(&mut self, report: &CaseReport) {
        self.known.entry(divergence_signature(report)).or_insert_with(|| report.name.clone());
    }

    /// Takes a failing generated case; returns a case to report now (this one or one it displaced).
    fn offer(&mut self, report: CaseReport) -> Option<CaseReport> {
        let index = report.generated_index.unwrap_or(u64::MAX);
        let signature = divergence_signature(&report);
        let out = match self.by_signature.get(&signature) {
            Some(held) if held.generated_index.unwrap_or(u64::MAX) <= index => return Some(report),
            _ => self.by_signature.insert(signature, report),
        };
        if out.is_some() {
            return out;
        }
        if self.by_signature.len() > self.capacity.saturating_mul(4) {
            let largest = self
                .by_signature
                .iter()
                .max_by_key(|(_, r)| r.generated_index)
                .map(|(signature, _)| signature.clone())?;
            return self.by_signature.remove(&largest);
        }
        None
    }

    /// The cases to shrink (smallest indices first) and the ones to report as they are.
    fn choose(&mut self) -> (Vec<CaseReport>, Vec<CaseReport>) {
        let mut held: Vec<(BTreeSet<String>, CaseReport)> =
            std::mem::take(&mut self.by_signature).into_iter().collect();
        held.sort_by_key(|(_, r)| r.generated_index);
        let (mut chosen, mut left) = (Vec::new(), Vec::new());
        for (signature, mut report) in held {
            if let Some(name) = self.known.get(&signature) {
                report.same_as = Some(name.clone());
                left.push(report);
            } else if chosen.len() < self.capacity {
                chosen.push(report);
            } else {
                left.push(report);
            }
        }
        (chosen, left)
    }
}

/// What a run had when it ended.
struct Finished<'a> {
    settings: &'a CheckSettings,
    /// Changes of the harness's own files found during the run.
    integrity: Vec<String>,
    counts: Counts,
    coverage: Option<&'a crate::classes::Coverage>,
    timing: crate::report::RunTiming,
    on_wall_clock: bool,
    fixtures_run: u64,
    generated_run: u64,
    used: &'a [bool],
    started: Instant,
    interrupted: bool,
    stopped_early: Option<String>,
    harness_error: bool,
}

fn footer(run: Finished<'_>) -> RunFooter {
    let settings = run.settings;
    let mut problems = Vec::new();
    if let Some(e) = &settings.expectations {
        problems.extend(e.expired(&expectations::today()));
        let full_run = settings.partition.is_none()
            && settings.replay.is_none()
            && !run.interrupted
            && run.stopped_early.is_none()
            && settings.time_budget.is_none();
        if full_run && !run.harness_error {
            problems.extend(e.unused(run.used));
        }
    }
    let duration = run.started.elapsed().as_secs_f64();
    // Changing the harness's own files is a divergence of the worst kind, whatever the cases said.
    let failing_problems = problems.len() + run.integrity.len();
    let conclusion = Conclusion::of_run(&run.counts, failing_problems, run.harness_error, run.interrupted);
    RunFooter {
        counts: run.counts,
        fixture_cases_run: run.fixtures_run,
        generated_cases_run: run.generated_run,
        duration_seconds: duration,
        cases_per_second: run.counts.total() as f64 / duration.max(1e-9),
        interrupted: run.interrupted,
        stopped_early: run.stopped_early,
        expectation_problems: problems,
        integrity: run.integrity,
        timing: run.timing,
        class_coverage: run.coverage.map(|c| crate::report::ClassCoverage::new(settings.domain, c)),
        on_wall_clock: run.on_wall_clock,
        conclusion,
        exit_code: conclusion.exit_code(),
    }
}
