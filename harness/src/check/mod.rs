//! `check`: the differential CI gate. Fixtures (and regressions) first, then generated cases; each runs
//! through the whole login flow for the reference and the implementation, the observations are compared,
//! a divergence is shrunk to a minimal event and saved for replay, and every case gets a verdict
//! (DESIGN.md §6). Reports stream as cases finish, so memory stays flat however many cases run.
//!
//! Work is split into small batches pulled by `jobs` worker threads (each with its own implementation
//! runner, pipelining its batch); one collector thread renders the reports in completion order.

pub mod expectations;
pub mod generated;
mod snapshots;

pub use snapshots::prepare_environment as prepare_snapshot_environment;
mod worker;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use crate::compare::{Level, Observable};
use crate::event::Case;
use crate::generate::Domain;
use crate::mocks::MockServers;
use crate::report::{CaseReport, Counts, Reporter, RunFooter, RunHeader, Verdict};
use crate::runner::Runner;
use expectations::Expectations;

/// Everything a check run needs besides the implementation.
#[derive(Debug, Clone)]
pub struct CheckSettings {
    /// The implementation's name, for reports and saved cases.
    pub implementation: String,
    /// The comparison level.
    pub level: Level,
    /// Observables left out of the comparison.
    pub ignore: BTreeSet<Observable>,
    /// The generated events' domain.
    pub domain: Domain,
    /// How many generated cases.
    pub cases: u64,
    /// The seed.
    pub seed: u64,
    /// Worker threads (each with its own implementation runner).
    pub jobs: usize,
    /// Per-case timeout (for the report header; the runner enforces it).
    pub timeout: Duration,
    /// `Some((k, n))`: run only the cases whose ordinal is `k - 1` modulo `n`.
    pub partition: Option<(u64, u64)>,
    /// Stop after this many failing cases.
    pub max_failures: Option<u64>,
    /// Folders of case files run before the generated cases.
    pub fixture_dirs: Vec<PathBuf>,
    /// Run only this case file (no fixtures, no generated cases).
    pub replay: Option<PathBuf>,
    /// Where minimal failing events are saved (`None`: not saved).
    pub save_failures: Option<PathBuf>,
    /// Known divergences.
    pub expectations: Option<Expectations>,
    /// Candidate evaluations allowed when shrinking one failure (0: no shrinking).
    pub shrink_steps: usize,
    /// How many failing generated cases are shrunk and saved; later ones are reported as found.
    pub shrink_failures: u64,
    /// Write each fixture's observation as an insta snapshot in this folder.
    pub snapshots: Option<PathBuf>,
}

impl Default for CheckSettings {
    fn default() -> Self {
        CheckSettings {
            implementation: String::new(),
            level: Level::Semantic,
            ignore: BTreeSet::new(),
            domain: Domain::Auth0,
            cases: 1000,
            seed: 0,
            jobs: 2,
            timeout: Duration::from_secs(5),
            partition: None,
            max_failures: None,
            fixture_dirs: Vec::new(),
            replay: None,
            save_failures: None,
            expectations: None,
            shrink_steps: 400,
            shrink_failures: 5,
            snapshots: None,
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
    /// The harness failed mid-run (mocks, report files, a runner that could not be made).
    #[error("{0}")]
    Harness(String),
}

/// Makes one runner per job (so in-process Rust ports and process-backed runners alike can run in parallel).
pub type RunnerFactory<'a> = dyn Fn() -> Result<Box<dyn Runner>, String> + Sync + 'a;

/// One case to run.
#[derive(Debug, Clone)]
pub(crate) struct CaseInput {
    ordinal: u64,
    name: String,
    source: crate::report::CaseSource,
    generated_index: Option<u64>,
    event: serde_json::Value,
    now: i64,
}

/// The default number of jobs: three per CPU (at most 48). A job's implementation process waits while
/// the job plays its flows, so more jobs than CPUs keep the machine busy.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).saturating_mul(3).clamp(1, 48)
}

/// The exit code for a run's counts and expectation problems.
pub fn exit_code(counts: &Counts, expectation_problems: usize) -> u8 {
    if counts.fail > 0 || counts.unexpected_pass > 0 || expectation_problems > 0 {
        1
    } else if counts.error > 0 {
        3
    } else {
        0
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Runs the check, rendering to `reporters`; `interrupt` (set by a Ctrl-C handler) stops it early, and the
/// reports are still completed.
pub fn run_check(
    settings: &CheckSettings,
    make_runner: &RunnerFactory<'_>,
    reporters: &mut [Box<dyn Reporter>],
    interrupt: Arc<AtomicBool>,
) -> Result<RunFooter, CheckError> {
    let fixtures: Vec<Case> = match &settings.replay {
        Some(path) => vec![Case::load(path)?],
        None => {
            let mut all = Vec::new();
            for dir in &settings.fixture_dirs {
                all.extend(Case::load_dir(dir)?);
            }
            all
        }
    };
    let generated = if settings.replay.is_some() { 0 } else { settings.cases };
    let total = fixtures.len() as u64 + generated;
    let in_partition = |ordinal: u64| settings.partition.is_none_or(|(k, n)| ordinal % n == k - 1);
    let planned = (0..total).filter(|o| in_partition(*o)).count() as u64;
    let header = RunHeader {
        tool: "tbjwt",
        version: env!("CARGO_PKG_VERSION"),
        implementation: settings.implementation.clone(),
        level: settings.level,
        domain: settings.domain,
        seed: settings.seed,
        fixture_cases: fixtures.len(),
        generated_cases: generated,
        planned_cases: planned,
        jobs: settings.jobs,
        partition: settings.partition.map(|(k, n)| format!("{k}/{n}")),
        timeout_seconds: settings.timeout.as_secs_f64(),
        ignore: settings.ignore.iter().copied().collect(),
        expectations: settings.expectations.as_ref().map(|e| e.path.clone()),
        started_at: now_rfc3339(),
    };
    let io = |e: std::io::Error| CheckError::Harness(format!("writing a report: {e}"));
    for r in reporters.iter_mut() {
        r.header(&header).map_err(io)?;
    }

    let mocks = MockServers::start()?;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let cursor = AtomicU64::new(0);
    let shrunk = AtomicU64::new(0);
    let (sender, receiver) = mpsc::channel::<Result<CaseReport, String>>();
    let mut counts = Counts::default();
    let mut used = vec![false; settings.expectations.as_ref().map_or(0, |e| e.entries.len())];
    let mut stopped_early = None;
    let mut harness_error = None;

    std::thread::scope(|scope| {
        for _ in 0..settings.jobs.max(1) {
            let sender = sender.clone();
            let context = worker::Context {
                settings,
                fixtures: &fixtures,
                total,
                cursor: &cursor,
                shrunk: &shrunk,
                stop: &stop,
                interrupt: &interrupt,
                mocks: &mocks,
            };
            scope.spawn(move || worker::work(context, make_runner, sender));
        }
        drop(sender);
        for message in receiver {
            match message {
                Err(e) => {
                    harness_error.get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                }
                Ok(report) => {
                    counts.add(report.verdict);
                    for &i in &report.expectations {
                        if let Some(u) = used.get_mut(i) {
                            *u = true;
                        }
                    }
                    for r in reporters.iter_mut() {
                        if let Err(e) = r.case(&report) {
                            harness_error.get_or_insert(format!("writing a report: {e}"));
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    let failures = counts.fail + counts.unexpected_pass;
                    if let Some(max) = settings.max_failures {
                        if failures >= max && stopped_early.is_none() && report.verdict == Verdict::Fail {
                            stopped_early = Some(format!("{failures} failing cases (--max-failures {max})"));
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    });

    let interrupted = interrupt.load(Ordering::Relaxed);
    let mut problems = Vec::new();
    if let Some(e) = &settings.expectations {
        problems.extend(e.expired(&expectations::today()));
        let full_run =
            settings.partition.is_none() && settings.replay.is_none() && !interrupted && stopped_early.is_none();
        if full_run && harness_error.is_none() {
            problems.extend(e.unused(&used));
        }
    }
    let duration = started.elapsed().as_secs_f64();
    let exit = if harness_error.is_some() { 2 } else { exit_code(&counts, problems.len()) };
    let footer = RunFooter {
        counts,
        duration_seconds: duration,
        cases_per_second: counts.total() as f64 / duration.max(1e-9),
        interrupted,
        stopped_early,
        expectation_problems: problems,
        exit_code: exit,
    };
    for r in reporters.iter_mut() {
        r.footer(&footer).map_err(io)?;
    }
    match harness_error {
        Some(e) => Err(CheckError::Harness(e)),
        None => Ok(footer),
    }
}
