//! One job: pulls batches of case ordinals, runs the implementation on a batch (pipelined), plays the
//! rest of its flow and the session's later logins, has each login judged ([`super::judge`]), plays the
//! candidates shrinking asks about ([`super::shrink`]), and sends each case's report to the collector
//! (which alone writes files).

use serde_json::Value;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Mutex;
use std::time::Instant;

use super::generated::{case_tree, generated_name};
use super::judge::{self, Bench, Judged, LastLogin, SessionJudged};
use super::shrink::{shrink_report, ShrinkQueue};
use super::{replay_command, CaseInput, CheckSettings, FixtureCase, Interrupt, RunnerFactory};
use crate::clock::Now;
use crate::compare::CompareOptions;
use crate::event::session::{self, LaterLogin};
use crate::flow::{FlowClient, Observation};
use crate::js::JsValue;
use crate::mocks::MockServers;
use crate::report::{CaseReport, CaseSource};
use crate::runner::{RunRequest, RunResult, Runner};
use crate::strategies::Generated;

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
    /// Set when the implementation says it cannot take `now` (its cases then run at the wall clock).
    pub on_wall_clock: &'a AtomicBool,
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

struct Job<'a> {
    context: Context<'a>,
    runner: Box<dyn Runner>,
    flow: FlowClient<'a>,
    options: CompareOptions,
    /// The mocks' URLs the reference's flow model is given (the default scope's).
    reference_urls: crate::runner::protocol::MockUrls,
    /// The last instance id given to a case: each case runs in an instance of the action of its own,
    /// which its later logins share (Auth0's Node 22 runtime keeps module scope within an instance).
    instances: u64,
}

/// What a job tells the collector.
pub(super) enum Message {
    /// A case's report, to count and render, with its first login's observation when it is to be
    /// written as a `--snapshots` document.
    Case(CaseReport, Option<Box<Observation>>),
    /// A case shrunk in the shrinking phase (counted already), to render.
    Shrunk(CaseReport),
    /// The job has run every case it could take; it now waits for the shrinking phase.
    Done,
    /// The harness failed.
    Failed(JobError),
}

/// A case's report, and the implementation's observation of its first login when it is to be written as
/// a `--snapshots` document.
type Judgement = (CaseReport, Option<Box<Observation>>);

/// How a job failed (the harness's fault, never the implementation's).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job's runner could not be made.
    #[error(transparent)]
    Runner(#[from] crate::runner::StartError),
    /// The mocks misbehaved.
    #[error(transparent)]
    Flow(#[from] crate::flow::FlowError),
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
    // The implementation's sandbox lets it reach the mocks (every case's scope shares their ports).
    runner.allow_mocks(&context.mocks.urls(crate::mocks::ScopeId::DEFAULT));
    if let Err(e) = runner.prepare() {
        // The implementation cannot even start: every case is `error`, which the reports show.
        eprintln!("tbjwt: {e}");
    }
    if !runner.honours_now() {
        context.on_wall_clock.store(true, Ordering::Relaxed);
    }
    let options = CompareOptions {
        level: context.settings.level,
        ignore: context.settings.ignore.clone(),
        ..CompareOptions::default()
    };
    let reference_urls = context.mocks.urls(crate::mocks::ScopeId::DEFAULT);
    let mut job = Job { flow: FlowClient::new(context.mocks), context, runner, options, reference_urls, instances: 0 };
    loop {
        if job.context.ending() {
            break;
        }
        let inputs = job.next_batch();
        if inputs.is_empty() {
            break;
        }
        match job.run_batch(&inputs) {
            Ok(reports) => {
                for (r, snapshot) in reports {
                    if sender.send(Message::Case(r, snapshot)).is_err() {
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
            let replay_target = fixture.file.as_ref().map_or_else(|| case.name.clone(), |f| f.display().to_string());
            return CaseInput {
                ordinal,
                name: case.name.clone(),
                source: if fixture.generated { CaseSource::Generated } else { CaseSource::Fixture },
                generated_index: None,
                replay_target: (!fixture.generated).then_some(replay_target),
                event: self.in_world(Cow::Borrowed(&case.event)).into_owned(),
                now: case.now_or(Now::DEFAULT),
                logins: case.logins.clone(),
            };
        }
        let index = ordinal - fixtures.len() as u64;
        let settings = self.context.settings;
        let case = case_tree(settings.domain, settings.seed, index).current();
        CaseInput {
            ordinal,
            name: generated_name(&case),
            source: CaseSource::Generated,
            generated_index: Some(index),
            replay_target: None,
            event: self.in_world(Cow::Owned(case.event)).into_owned(),
            now: case.now,
            logins: case.logins,
        }
    }

    /// A case's event in the world of the implementation: for a deployed custom Action, the world where the
    /// reference's inputs come as the secrets it declares (both sides then see one world).
    fn in_world<'e>(&self, event: Cow<'e, Value>) -> Cow<'e, Value> {
        match &self.context.settings.custom {
            Some(custom) => Cow::Owned(custom.canonical(&event)),
            None => event,
        }
    }

    /// The clock a login drawn at `drawn` runs at: `drawn`, or for an implementation that does not honour
    /// `now`, the wall clock, read as the login starts (docs/protocol.md: its whole world then lives on
    /// the wall clock, the mocks' judgement of its token included).
    fn clock_for(&self, drawn: Now) -> Now {
        if self.runner.honours_now() {
            drawn
        } else {
            Now::wall()
        }
    }

    fn run_batch(&mut self, inputs: &[CaseInput]) -> Result<Vec<Judgement>, JobError> {
        let started = Instant::now();
        let narrowed: Vec<CaseInput>;
        let inputs = if self.runner.honours_now() {
            inputs
        } else {
            narrowed = inputs.iter().map(|i| CaseInput { now: self.clock_for(i.now), ..i.clone() }).collect();
            &narrowed
        };
        let prepared: Vec<_> = inputs.iter().map(|i| self.flow.prepare(&i.event, i.now)).collect();
        let instances: Vec<u64> = inputs.iter().map(|_| self.new_instance()).collect();
        let requests: Vec<RunRequest> = inputs
            .iter()
            .zip(&prepared)
            .zip(&instances)
            .map(|((i, p), &instance)| RunRequest {
                now: i.now,
                event: &i.event,
                mocks: Some(&p.urls),
                instance: Some(instance),
            })
            .collect();
        let implementation_started = Instant::now();
        let results = self.runner.run_batch(&requests);
        let mut implementation_time = implementation_started.elapsed();
        if let Some(Err(fatal)) = results.iter().find(|r| matches!(r, Err(e) if e.fatal)) {
            self.context.gave_up.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| fatal.message.clone());
            self.context.stop.store(true, Ordering::Relaxed);
        }
        let run_millis = started.elapsed().as_secs_f64() * 1000.0 / inputs.len().max(1) as f64;
        let mut reports = Vec::with_capacity(inputs.len());
        for (((input, prepared), result), instance) in inputs.iter().zip(prepared).zip(results).zip(instances) {
            let case_started = Instant::now();
            let implementation = self.flow.observe(prepared, result)?;
            let snapshot = self.snapshot(input, &implementation);
            let (session, later_time) =
                self.judge_session(&input.event, input.now, &input.logins, implementation, instance)?;
            implementation_time += later_time;
            let mut report = judge::verdict(input, session, self.known(), self.replay_of(input));
            implementation_time += self.retry_if_errored(input, &mut report)?;
            report.millis += run_millis + case_started.elapsed().as_secs_f64() * 1000.0;
            reports.push((report, snapshot));
        }
        self.context.timing.add(implementation_time, started.elapsed());
        Ok(reports)
    }

    fn replay_of(&self, input: &CaseInput) -> Option<String> {
        input.replay_target.as_deref().map(|target| replay_command(self.context.settings, target))
    }

    /// Runs a case whose execution errored again, up to `--retries` times, until an attempt does not
    /// error (a divergence is never run again: it is a verdict, not an accident). The report becomes the
    /// last attempt's, with the earlier attempts' errors. Returns the time spent in the implementation.
    fn retry_if_errored(
        &mut self,
        input: &CaseInput,
        report: &mut CaseReport,
    ) -> Result<std::time::Duration, JobError> {
        let mut spent = std::time::Duration::ZERO;
        let mut attempts = Vec::new();
        while report.verdict == crate::report::Verdict::Error
            && attempts.len() < self.context.settings.retries as usize
            && !self.context.ending()
        {
            attempts.push(report.error.clone().unwrap_or_default());
            let (session, played) = self.play(&input.event, input.now, &input.logins)?;
            spent += played;
            let millis = report.millis;
            *report = judge::verdict(input, session, self.known(), self.replay_of(input));
            report.millis = millis;
        }
        report.attempts = attempts;
        Ok(spent)
    }

    /// A new instance id for a case.
    fn new_instance(&mut self) -> u64 {
        self.instances += 1;
        self.instances
    }

    /// What the run knows of the implementation's divergences.
    fn known(&self) -> judge::Known<'_> {
        let settings = self.context.settings;
        judge::Known { expectations: settings.expectations.as_ref(), baseline: settings.baseline.as_ref() }
    }

    /// What the judge is told besides the two sides.
    fn bench(&self) -> Bench<'_> {
        Bench {
            options: &self.options,
            on_wall_clock: !self.runner.honours_now(),
            reference_urls: &self.reference_urls,
        }
    }

    /// Judges a case's session login by login: the first login's observation is `first`; each later
    /// login's event is made from what the login before it committed on the same side (the reference's
    /// world for the reference, the implementation's for the implementation), and runs at its clock through
    /// the whole flow. Returns the judgement and the time the later logins spent in the implementation.
    fn judge_session(
        &mut self,
        event: &Value,
        now: Now,
        logins: &[LaterLogin],
        first: Observation,
        instance: u64,
    ) -> Result<(SessionJudged, std::time::Duration), JobError> {
        let clocks = session::clocks(now, logins);
        // Each side's event of the login being judged: the case's own for the first login (not copied).
        let (mut reference_event, mut implementation_event) = (Cow::Borrowed(event), Cow::Borrowed(event));
        let mut implementation = first;
        let mut classes = crate::classes::ClassSet::default();
        let mut reference: Option<Observation> = None;
        let mut implementation_time = std::time::Duration::ZERO;
        for (login, &drawn) in clocks.iter().enumerate() {
            let mut now = drawn;
            if login > 0 {
                let later: &LaterLogin = &logins[login - 1];
                let stored = reference.as_ref().map_or(&Value::Null, |r| &r.app_metadata);
                reference_event = Cow::Owned(session::next_event(&reference_event, stored, later));
                implementation_event =
                    Cow::Owned(session::next_event(&implementation_event, &implementation.app_metadata, later));
                now = self.clock_for(now);
                let prepared = self.flow.prepare(&implementation_event, now);
                let started = Instant::now();
                let result = self.runner.run(&RunRequest {
                    now,
                    event: &implementation_event,
                    mocks: Some(&prepared.urls),
                    // A later login of the case: the same instance of the action.
                    instance: Some(instance),
                });
                implementation_time += started.elapsed();
                implementation = self.flow.observe(prepared, result)?;
            }
            if let Some(message) = &implementation.errored {
                let evaluation = crate::spec::evaluate(&JsValue::from_json(&reference_event), now);
                classes = classes.union(judge::classes_of(&reference_event, now, &evaluation, None));
                let last = LastLogin::Errored(message.clone());
                return Ok((SessionJudged { login, last, classes }, implementation_time));
            }
            let judged = judge::login(&self.bench(), &reference_event, now, &implementation);
            let session_shape = (login == 0).then_some(logins);
            classes = classes.union(judge::classes_of(&reference_event, now, &judged.evaluation, session_shape));
            if !judged.differences.is_empty() || login == logins.len() {
                return Ok((
                    SessionJudged { login, last: LastLogin::Judged(Box::new(judged)), classes },
                    implementation_time,
                ));
            }
            reference = Some(judged.reference);
        }
        unreachable!("the loop returns at the session's last login")
    }

    /// Uncovered differences with both sides as compared (and the login they are of), or `None` when the
    /// case passes, the expectations cover it, or the implementation errored on it.
    fn failing_differences(&mut self, name: &str, case: &Generated) -> Result<Option<(usize, Judged)>, JobError> {
        let started = Instant::now();
        self.context.timing.shrink_runs.fetch_add(1, Ordering::Relaxed);
        let event = self.in_world(Cow::Borrowed(&case.event));
        let played = self.play(&event, case.now, &case.logins);
        let implementation_time = played.as_ref().map_or(std::time::Duration::ZERO, |(_, time)| *time);
        self.context.timing.add(implementation_time, started.elapsed());
        Ok(judge::uncovered(name, played?.0, self.known()))
    }

    /// Runs one case alone, at the clock drawn for it (its first login, then its later logins in the same
    /// instance of the action) and judges its session; returns the judgement and the time spent in the
    /// implementation.
    fn play(
        &mut self,
        event: &Value,
        drawn: Now,
        logins: &[LaterLogin],
    ) -> Result<(SessionJudged, std::time::Duration), JobError> {
        let now = self.clock_for(drawn);
        let prepared = self.flow.prepare(event, now);
        let instance = self.new_instance();
        let started = Instant::now();
        let result: RunResult =
            self.runner.run(&RunRequest { now, event, mocks: Some(&prepared.urls), instance: Some(instance) });
        let first_login = started.elapsed();
        let first = self.flow.observe(prepared, result)?;
        let (session, later_logins) = self.judge_session(event, now, logins, first, instance)?;
        Ok((session, first_login + later_logins))
    }

    /// A fixture's first login to write as a snapshot, under `--snapshots` (the collector writes it).
    fn snapshot(&self, input: &CaseInput, implementation: &Observation) -> Option<Box<Observation>> {
        let wanted = self.context.settings.snapshots.is_some() && input.source == CaseSource::Fixture;
        wanted.then(|| Box::new(implementation.clone()))
    }

    /// Shrinks the failing generated case `index` of `report` (the protocol is [`super::shrink`]'s; the
    /// job plays the candidates).
    fn shrink_into(&mut self, report: &mut CaseReport, index: u64) -> Result<(), JobError> {
        let settings = self.context.settings;
        let tree = case_tree(settings.domain, settings.seed, index);
        let name = report.name.clone();
        let interrupt = self.context.interrupt;
        shrink_report(
            report,
            tree,
            settings.shrink_steps,
            || interrupt.requested(),
            |candidate| self.failing_differences(&name, candidate),
        )
    }
}
