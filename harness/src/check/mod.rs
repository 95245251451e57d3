//! `check`: the differential CI gate. Fixtures (and regressions) first, then generated cases; each runs
//! through the whole login flow for the reference and the implementation, the observations are compared,
//! a divergence is shrunk to a minimal event and saved for replay, and every case gets a verdict
//! (docs/ci.md). Reports stream as cases finish, so memory stays flat however many cases run.
//!
//! Work is split into small batches pulled by `jobs` worker threads (each with its own implementation
//! runner, pipelining its batch); one collector thread renders the reports in completion order.

pub mod baseline;
mod collect;
mod defaults;
pub(crate) mod expectations;
pub mod generated;
mod interrupt;
mod judge;
pub mod merge;
pub mod options;
mod replay;
pub mod rerun;
pub(crate) mod shrink;
mod sources;
mod worker;

pub use interrupt::{Interrupt, GRACE};
pub use replay::replay_command;
pub use worker::JobError;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::compare::{Level, Observable};
use crate::event::{suite, Case};
use crate::mocks::MockServers;
use crate::report::{Reporter, RunFooter, RunHeader};
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
    /// Times a case whose execution errored is run again (`--retries`); a divergence never is.
    pub retries: u32,
    /// Whether a case that passed only on a retry fails the run (`--flaky-result fail`).
    pub flaky_fails: bool,
    /// Only the cases that did not pass in an earlier run (`--rerun-failed`).
    pub rerun: Option<rerun::Rerun>,
    /// The root causes known today (`--baseline`): a case fails only on a cause it does not hold.
    pub baseline: Option<baseline::Baseline>,
    /// Whether a cause the baseline holds and no case showed fails the run (`--baseline-strict`).
    pub baseline_strict: bool,
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
    /// The Auth0 Actions runtime a `node:` action runs with.
    pub runtime: crate::runner::ActionsRuntime,
    /// What the header says of it (for a `node:` action): the runtime and the Node.js that runs it.
    pub runtime_line: Option<String>,
    /// Which action of a deployed artifact runs, and the secret names it is given the inputs under.
    pub artifact: crate::node::ArtifactChoice,
    /// For a deployed custom Action: what it is given, so that both sides of a case live in its world.
    pub custom: Option<crate::node::custom::CustomInputs>,
    /// Where a deployed artifact and its code part ways (reported in the footer; failing ones fail the run).
    pub drift: Vec<crate::node::artifact::drift::DriftFinding>,
}

/// `check`'s defaults ([`defaults::Defaults`]) for the reference, with seed 0 and the sandbox's own
/// defaults: what the library's callers (benches, the mutation campaign, tests) start from.
impl Default for CheckSettings {
    fn default() -> Self {
        let defaults = defaults::Defaults::of("check");
        let implementation = crate::runner::Implementation::Reference;
        CheckSettings {
            command: "check",
            implementation: String::new(),
            program: "tbjwt".into(),
            level: defaults.level,
            ignore: BTreeSet::new(),
            domain: defaults.domain,
            cases: defaults.cases,
            seed: 0,
            jobs: defaults::Defaults::jobs(&implementation),
            timeout: defaults::Defaults::timeout(&implementation),
            partition: None,
            max_failures: None,
            suite: true,
            fixture_dirs: Vec::new(),
            regressions: None,
            replay: None,
            save_failures: None,
            expectations: None,
            retries: 0,
            flaky_fails: false,
            rerun: None,
            baseline: None,
            baseline_strict: false,
            shrink_steps: defaults.shrink_steps,
            shrink_failures: defaults.shrink_failures,
            snapshots: None,
            time_budget: None,
            sandbox: crate::sandbox::SandboxSettings::default(),
            sandbox_line: None,
            runtime: defaults.runtime,
            runtime_line: None,
            artifact: crate::node::ArtifactChoice::default(),
            custom: None,
            drift: Vec::new(),
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
    /// A job failed mid-run (the mocks, a runner that could not be made).
    #[error(transparent)]
    Job(#[from] worker::JobError),
    /// A shrunk failure could not be saved.
    #[error(transparent)]
    Save(#[from] crate::event::regressions::SaveError),
    /// A `--snapshots` document could not be written.
    #[error("--snapshots: {0}")]
    Snapshot(String),
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
    /// Whether it is a generated case of an earlier run, run again (`--rerun-failed`): it is reported as
    /// generated (its event in the report), and never shrunk again under this run's seed.
    generated: bool,
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
            cases.push(FixtureCase { case, file: None, generated: false });
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
            cases.push(FixtureCase { case, file: Some(file), generated: false });
        }
        let added = cases.len() - before;
        sources.push(format!(
            "{} ({added} cases{})",
            dir.display(),
            if same > 0 { format!(", {same} already in the run") } else { String::new() }
        ));
    }
    if let Some(rerun) = &settings.rerun {
        let cases = rerun.cases(cases)?;
        let source = format!("--rerun-failed {} ({} cases)", rerun.report.display(), cases.len());
        return Ok((cases, vec![source]));
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
    let generated = if settings.replay.is_some() || settings.rerun.is_some() { 0 } else { settings.cases };
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
        runtime: settings.runtime_line.clone(),
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
    let shrinking = shrink::ShrinkQueue::default();
    let timing = worker::Timing::default();
    let on_wall_clock = AtomicBool::new(false);
    let deadline = settings.time_budget.map(|d| started + d);
    let (sender, receiver) = mpsc::channel::<worker::Message>();
    let mut collector = collect::Collector::new(settings, &fixtures, reporters);

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
        let mut abandoned = false;
        loop {
            if interrupt.requested() {
                stop.store(true, Ordering::Relaxed);
                if interrupt.must_abandon() {
                    abandoned = true;
                    break;
                }
            }
            match receiver.recv_timeout(Duration::from_millis(50)) {
                Ok(message) => collector.take(message, &stop, &shrinking),
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // Release the jobs waiting for the shrinking phase (when the run was abandoned before it), and show
        // what was never shrunk.
        shrinking.open(Vec::new());
        collector.report_unshrunk();
        let gave_up = gave_up.lock().unwrap_or_else(|p| p.into_inner()).take();
        let finished = collector.finish(collect::Ending {
            integrity: integrity_findings(),
            timing: timing.totals(),
            on_wall_clock: on_wall_clock.load(Ordering::Relaxed),
            started,
            interrupted: interrupt.requested(),
            gave_up,
        });
        if abandoned {
            // The reports are complete; end the processes the jobs may still wait on, and let the jobs go.
            interrupt.abort();
        }
        drop(receiver);
        finished
    });
    match error {
        Some(e) => Err(e),
        None => Ok(footer),
    }
}

/// Changes of the harness's own files found during the run (checked once more now that every
/// implementation process has stopped).
fn integrity_findings() -> Vec<String> {
    crate::node::verify_after_run();
    crate::node::integrity::take_findings()
}
