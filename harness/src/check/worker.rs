//! One job: pulls batches of case ordinals, runs the implementation on a batch (pipelined), plays both
//! flows, compares, shrinks and saves failures, and sends each case's report to the collector.

use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use super::generated::{case_tree, event_size, shrink};
use super::{replay_command, CaseInput, CheckSettings, FixtureCase, Interrupt, RunnerFactory};
use crate::clock::Now;
use crate::compare::{compare, normalize, CompareOptions, Difference, NormalizeContext};
use crate::event::{regressions, Case};
use crate::flow::{FlowClient, Observation};
use crate::js::JsValue;
use crate::mocks::MockServers;
use crate::report::{CaseReport, CaseSource, Sides, Verdict};
use crate::runner::{RunRequest, RunResult, Runner};

/// Cases a job takes at a time.
const BATCH: u64 = 16;

pub(super) struct Context<'a> {
    pub settings: &'a CheckSettings,
    pub fixtures: &'a [FixtureCase],
    pub total: u64,
    pub cursor: &'a AtomicU64,
    pub shrinking: &'a ShrinkQueue,
    pub stop: &'a AtomicBool,
    /// Why the implementation was given up on (it cannot start), when it was.
    pub gave_up: &'a Mutex<Option<String>>,
    pub interrupt: &'a Interrupt,
    pub deadline: Option<Instant>,
    pub mocks: &'a MockServers,
    pub timing: &'a Timing,
}

/// Job time, summed over jobs (nanoseconds), and the implementation runs made while shrinking.
#[derive(Default)]
pub(super) struct Timing {
    implementation: AtomicU64,
    harness: AtomicU64,
    shrink_runs: AtomicU64,
}

impl Timing {
    fn add(&self, implementation: std::time::Duration, total: std::time::Duration) {
        self.implementation.fetch_add(implementation.as_nanos() as u64, Ordering::Relaxed);
        self.harness.fetch_add(total.saturating_sub(implementation).as_nanos() as u64, Ordering::Relaxed);
    }

    /// The totals, for the run's footer.
    pub fn totals(&self) -> crate::report::RunTiming {
        crate::report::RunTiming {
            implementation_seconds: self.implementation.load(Ordering::Relaxed) as f64 / 1e9,
            harness_seconds: self.harness.load(Ordering::Relaxed) as f64 / 1e9,
            shrink_runs: self.shrink_runs.load(Ordering::Relaxed),
        }
    }
}

impl Context<'_> {
    /// Whether the job must take no new case: stopped, interrupted, or out of time.
    fn ending(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
            || self.interrupt.requested()
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// The name of a generated case: what it is (its content), not where it fell in this seed's sequence.
fn generated_name(event: &Value, now: Now) -> String {
    format!("generated-{}", &crate::event::content_id(Some(now), event)[..12])
}

struct Job<'a> {
    context: Context<'a>,
    runner: Box<dyn Runner>,
    flow: FlowClient<'a>,
    options: CompareOptions,
    /// The mocks' URLs the reference's flow model is given (the default scope's).
    reference_urls: crate::runner::protocol::MockUrls,
}

/// A case judged: its differences, the reference's evaluation, and, when they differ, both sides as
/// compared (for the reports that show them).
struct Judged {
    differences: Vec<Difference>,
    evaluation: crate::spec::Evaluation,
    sides: Option<Box<Sides>>,
}

/// What a job tells the collector.
pub(super) enum Message {
    /// A case's report, to count and render.
    Case(CaseReport),
    /// A case shrunk in the shrinking phase (counted already), to render.
    Shrunk(CaseReport),
    /// The job has run every case it could take; it now waits for the shrinking phase.
    Done,
    /// The harness failed.
    Failed(JobError),
}

/// How a job failed (the harness's fault, never the implementation's).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job's runner could not be made.
    #[error("{0}")]
    Runner(String),
    /// The mocks misbehaved.
    #[error(transparent)]
    Flow(#[from] crate::flow::FlowError),
    /// A failing case could not be saved.
    #[error(transparent)]
    Save(#[from] regressions::SaveError),
    /// A snapshot could not be written.
    #[error("--snapshots: {0}")]
    Snapshot(String),
}

/// The failing generated cases chosen for shrinking, handed out to the jobs once every case has run.
/// Shrinking the cases with the smallest indices, after the run, makes the choice (and so the minimal
/// events saved) the same on every run of the same seed, whatever the jobs' timing.
#[derive(Default)]
pub(super) struct ShrinkQueue {
    queue: Mutex<Option<VecDeque<CaseReport>>>,
    opened: Condvar,
}

impl ShrinkQueue {
    /// Hands out `reports` (in order); later calls do nothing.
    pub fn open(&self, reports: impl IntoIterator<Item = CaseReport>) {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        if queue.is_none() {
            *queue = Some(reports.into_iter().collect());
            self.opened.notify_all();
        }
    }

    /// The next case to shrink, waiting until the queue is open; `None` when it is empty.
    fn next(&self) -> Option<CaseReport> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(q) = queue.as_mut() {
                return q.pop_front();
            }
            queue = self.opened.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }
}

pub(super) fn work(context: Context<'_>, make_runner: &RunnerFactory<'_>, sender: Sender<Message>) {
    let mut runner = match make_runner() {
        Ok(r) => r,
        Err(e) => {
            let _ = sender.send(Message::Failed(JobError::Runner(e)));
            let _ = sender.send(Message::Done);
            return;
        }
    };
    if let Err(e) = runner.prepare() {
        // The implementation cannot even start: every case is `error`, which the reports show.
        eprintln!("tbjwt: {e}");
    }
    let options = CompareOptions {
        level: context.settings.level,
        ignore: context.settings.ignore.clone(),
        ..CompareOptions::default()
    };
    let reference_urls = context.mocks.urls(crate::mocks::ScopeId::DEFAULT);
    let mut job = Job { flow: FlowClient::new(context.mocks), context, runner, options, reference_urls };
    loop {
        if job.context.ending() {
            break;
        }
        let inputs = job.next_batch();
        if inputs.is_empty() {
            break;
        }
        let result = {
            let _active = job.context.mocks.activity();
            job.run_batch(&inputs)
        };
        job.context.mocks.maintain();
        match result {
            Ok(reports) => {
                for r in reports {
                    if sender.send(Message::Case(r)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = sender.send(Message::Failed(e));
                break;
            }
        }
    }
    if sender.send(Message::Done).is_err() {
        return;
    }
    while let Some(mut report) = job.context.shrinking.next() {
        if !job.context.interrupt.requested() {
            let _active = job.context.mocks.activity();
            if let Some(index) = report.generated_index {
                if let Err(e) = job.shrink_into(&mut report, index) {
                    let _ = sender.send(Message::Failed(e));
                }
            }
        }
        if sender.send(Message::Shrunk(report)).is_err() {
            return;
        }
    }
    job.runner.stop();
}

impl Job<'_> {
    fn next_batch(&self) -> Vec<CaseInput> {
        let settings = self.context.settings;
        let mut inputs = Vec::new();
        while inputs.len() < BATCH as usize {
            let ordinal = self.context.cursor.fetch_add(1, Ordering::Relaxed);
            if ordinal >= self.context.total {
                break;
            }
            if settings.partition.is_some_and(|(k, n)| ordinal % n != k - 1) {
                continue;
            }
            inputs.push(self.input(ordinal));
        }
        inputs
    }

    fn input(&self, ordinal: u64) -> CaseInput {
        let fixtures = self.context.fixtures;
        if let Some(fixture) = fixtures.get(ordinal as usize) {
            let case = &fixture.case;
            return CaseInput {
                ordinal,
                name: case.name.clone(),
                source: CaseSource::Fixture,
                generated_index: None,
                replay_target: Some(
                    fixture.file.as_ref().map_or_else(|| case.name.clone(), |f| f.display().to_string()),
                ),
                event: case.event.clone(),
                now: case.now_or(Now::DEFAULT),
            };
        }
        let index = ordinal - fixtures.len() as u64;
        let settings = self.context.settings;
        let case = case_tree(settings.domain, settings.seed, index).current();
        CaseInput {
            ordinal,
            name: generated_name(&case.event, case.now),
            source: CaseSource::Generated,
            generated_index: Some(index),
            replay_target: None,
            event: case.event,
            now: case.now,
        }
    }

    fn run_batch(&mut self, inputs: &[CaseInput]) -> Result<Vec<CaseReport>, JobError> {
        let started = Instant::now();
        let prepared: Vec<_> = inputs.iter().map(|i| self.flow.prepare(&i.event, i.now)).collect();
        let requests: Vec<RunRequest> = inputs
            .iter()
            .zip(&prepared)
            .map(|(i, p)| RunRequest { now: i.now, event: &i.event, mocks: Some(&p.urls) })
            .collect();
        let wall = crate::event::wall_clock_now();
        let implementation_started = Instant::now();
        let results = self.runner.run_batch(&requests);
        let implementation_time = implementation_started.elapsed();
        if let Some(Err(fatal)) = results.iter().find(|r| matches!(r, Err(e) if e.fatal)) {
            self.context.gave_up.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| fatal.message.clone());
            self.context.stop.store(true, Ordering::Relaxed);
        }
        let run_millis = started.elapsed().as_secs_f64() * 1000.0 / inputs.len().max(1) as f64;
        let mut reports = Vec::with_capacity(inputs.len());
        for ((input, prepared), result) in inputs.iter().zip(prepared).zip(results) {
            let case_started = Instant::now();
            let implementation = self.flow.observe(prepared, result)?;
            let mut report = self.judge(input, &implementation, wall)?;
            report.millis += run_millis + case_started.elapsed().as_secs_f64() * 1000.0;
            reports.push(report);
        }
        self.context.timing.add(implementation_time, started.elapsed());
        Ok(reports)
    }

    /// The reference's observation and evaluation of an event. The reference's flow is computed by the
    /// flow model (the mocks' rules without their servers: `flow::model`, proven equal to the HTTP flow by
    /// the tests); the implementation's flow is real HTTP.
    fn reference(&mut self, event: &Value, now: Now) -> Result<(Observation, crate::spec::Evaluation), JobError> {
        let evaluation = crate::spec::evaluate(&JsValue::from_json(event), now);
        let world = crate::flow::CaseWorld::of(event, || "auth0|tbjwt-reference".to_owned());
        let observation = crate::flow::model::observe(&world, now, &self.reference_urls, evaluation.outcome.clone());
        Ok((observation, evaluation))
    }

    /// The differences, the reference's evaluation, and, when they differ, both sides as compared.
    fn judged(&mut self, event: &Value, now: Now, implementation: &Observation, wall: i64) -> Result<Judged, JobError> {
        let (reference, evaluation) = self.reference(event, now)?;
        let context = NormalizeContext {
            admin_token: event
                .pointer(crate::spec::keys::ADMIN_TOKEN_POINTER)
                .and_then(Value::as_str)
                .map(str::to_owned),
            wall_clock: (!self.runner.honours_now()).then_some(wall),
            is_reference: false,
        };
        let differences = compare(&reference, &evaluation, implementation, &context, &self.options);
        let sides = (!differences.is_empty()).then(|| {
            let side = |observation: &Observation, is_reference: bool| {
                normalize(observation, &NormalizeContext { is_reference, ..context.clone() }, &self.options)
            };
            Box::new(Sides { reference: side(&reference, true), implementation: side(implementation, false) })
        });
        Ok(Judged { differences, evaluation, sides })
    }

    /// Uncovered differences with both sides as compared, or `None` when the case passes, the expectations
    /// cover it, or the implementation errored on the event.
    fn failing_differences(&mut self, name: &str, event: &Value, now: Now) -> Result<Option<Judged>, JobError> {
        let started = Instant::now();
        let prepared = self.flow.prepare(event, now);
        let wall = crate::event::wall_clock_now();
        let implementation_started = Instant::now();
        let result: RunResult = self.runner.run(&RunRequest { now, event, mocks: Some(&prepared.urls) });
        let implementation_time = implementation_started.elapsed();
        self.context.timing.shrink_runs.fetch_add(1, Ordering::Relaxed);
        let judged = self.flow.observe(prepared, result).map_err(JobError::from).and_then(|implementation| {
            if implementation.errored.is_some() {
                return Ok(None);
            }
            self.judged(event, now, &implementation, wall).map(Some)
        });
        self.context.timing.add(implementation_time, started.elapsed());
        let Some(judged) = judged? else { return Ok(None) };
        let covered =
            self.context.settings.expectations.as_ref().is_some_and(|e| e.cover(name, &judged.differences).is_some());
        Ok((!covered && !judged.differences.is_empty()).then_some(judged))
    }

    fn judge(&mut self, input: &CaseInput, implementation: &Observation, wall: i64) -> Result<CaseReport, JobError> {
        let settings = self.context.settings;
        let mut report = CaseReport {
            ordinal: input.ordinal,
            name: input.name.clone(),
            generated_index: input.generated_index,
            source: input.source,
            verdict: Verdict::Pass,
            differences: Vec::new(),
            root_causes: Vec::new(),
            error: None,
            event: None,
            now: input.now,
            original_size: None,
            shrunk_size: None,
            shrink_steps: None,
            saved_to: None,
            saved_now: false,
            same_as: None,
            replay: None,
            expectations: Vec::new(),
            classes: Default::default(),
            millis: 0.0,
            sides: None,
        };
        report.replay = input.replay_target.as_deref().map(|target| replay_command(settings, target));
        if let Some(message) = &implementation.errored {
            report.verdict = Verdict::Error;
            report.error = Some(message.clone());
            let evaluation = crate::spec::evaluate(&JsValue::from_json(&input.event), input.now);
            report.classes = crate::classes::classify(&input.event, input.now, &evaluation);
            return Ok(report);
        }
        if input.source == CaseSource::Fixture {
            if let Some(dir) = &settings.snapshots {
                let case = &self.context.fixtures[input.ordinal as usize].case;
                let description = format!("{} (now = {})", case.description, input.now);
                crate::snapshots::write_observation(dir, &input.name, &description, implementation, &input.event)
                    .map_err(|e| JobError::Snapshot(format!("{}: {e}", dir.join(&input.name).display())))?;
            }
        }
        let Judged { differences, evaluation, sides } = self.judged(&input.event, input.now, implementation, wall)?;
        report.classes = crate::classes::classify(&input.event, input.now, &evaluation);
        let expectations = settings.expectations.as_ref();
        if differences.is_empty() {
            let naming = expectations.map(|e| e.naming(&input.name)).unwrap_or_default();
            if !naming.is_empty() {
                report.verdict = Verdict::UnexpectedPass;
                report.expectations = naming;
            }
            return Ok(report);
        }
        if let Some(used) = expectations.and_then(|e| e.cover(&input.name, &differences)) {
            report.verdict = Verdict::Expected;
            report.expectations = used;
            report.set_differences(differences);
            return Ok(report);
        }
        report.verdict = Verdict::Fail;
        report.set_differences(differences);
        report.sides = sides;
        if input.source == CaseSource::Generated {
            report.event = Some(input.event.clone()); // a fixture's event is in its file
        }
        Ok(report)
    }

    fn shrink_into(&mut self, report: &mut CaseReport, index: u64) -> Result<(), JobError> {
        let settings = self.context.settings;
        let original = report.event.clone().unwrap_or(Value::Null);
        let name = report.name.clone();
        let mut error = None;
        // Shrinking proposes the same candidate again now and then: judge each one once.
        let mut judged: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        // The drawn case is known to fail (a wrapped value's way back to it is then free).
        judged.insert(crate::event::content_id(Some(report.now), &original), true);
        let (shrunk, steps) =
            shrink(&mut *case_tree(settings.domain, settings.seed, index), settings.shrink_steps, |candidate| {
                if error.is_some() || self.context.interrupt.requested() {
                    return false;
                }
                let id = crate::event::content_id(Some(candidate.now), &candidate.event);
                if let Some(&fails) = judged.get(&id) {
                    return fails;
                }
                match self.failing_differences(&name, &candidate.event, candidate.now) {
                    Ok(found) => *judged.entry(id).or_insert(found.is_some()),
                    Err(e) => {
                        error = Some(e);
                        false
                    }
                }
            });
        if let Some(e) = error {
            return Err(e);
        }
        if let Some(judged) = self.failing_differences(&name, &shrunk.event, shrunk.now)? {
            report.set_differences(judged.differences);
            report.sides = judged.sides;
            report.original_size = Some(event_size(&original));
            report.shrunk_size = Some(event_size(&shrunk.event));
            report.shrink_steps = Some(steps);
            report.name = generated_name(&shrunk.event, shrunk.now);
            report.now = shrunk.now;
            report.event = Some(shrunk.event);
        }
        if let Some(dir) = &settings.save_failures {
            let saved = regressions::save(dir, "check", &regression(settings, index, report))?;
            report.replay = Some(replay_command(settings, &saved.path.display().to_string()));
            report.saved_to = Some(saved.path);
            report.saved_now = saved.new;
        }
        Ok(())
    }
}

/// The case file of a shrunk failure, saying how it was found.
fn regression(settings: &CheckSettings, index: u64, report: &CaseReport) -> Case {
    let first = report.differences.first();
    let mut rules: Vec<crate::spec::Rule> = report.differences.iter().map(|d| d.rule).collect();
    rules.sort();
    rules.dedup();
    Case {
        name: String::new(),
        description: format!(
            "Found by `tbjwt {} {} --seed {} --domain {}` (generated case {index}, shrunk): {} differs{}.",
            settings.command,
            settings.implementation,
            settings.seed,
            settings.domain.name(),
            first.map_or("the observation", |d| d.path.as_str()),
            first.map(|d| format!(" ({})", d.rule)).unwrap_or_default()
        ),
        rules,
        now: Some(report.now),
        event: report.event.clone().unwrap_or(Value::Null),
    }
}
