//! One job: pulls batches of case ordinals, runs the implementation on a batch (pipelined), plays both
//! flows, compares, shrinks the failures it is handed, and sends each case's report to the collector
//! (which alone writes files).

use serde_json::Value;
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Mutex;
use std::time::Instant;

use super::generated::{case_size, case_tree, shrink};
use super::shrink::ShrinkQueue;
use super::{replay_command, CaseInput, CheckSettings, FixtureCase, Interrupt, RunnerFactory};
use crate::clock::Now;
use crate::compare::{compare, normalize, CompareOptions, Difference, NormalizeContext};
use crate::event::session::{self, LaterLogin};
use crate::flow::{FlowClient, Observation};
use crate::js::JsValue;
use crate::mocks::MockServers;
use crate::report::{CaseReport, CaseSource, Sides, Verdict};
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

/// The name of a generated case: what it is (its content), not where it fell in this seed's sequence.
fn generated_name(case: &Generated) -> String {
    format!("generated-{}", &content_id(case)[..12])
}

fn content_id(case: &Generated) -> String {
    crate::event::session_content_id(Some(case.now), &case.event, &case.logins)
}

struct Job<'a> {
    context: Context<'a>,
    runner: Box<dyn Runner>,
    flow: FlowClient<'a>,
    options: CompareOptions,
    /// The mocks' URLs the reference's flow model is given (the default scope's).
    reference_urls: crate::runner::protocol::MockUrls,
}

/// One login judged: its differences, the reference's observation and evaluation, and, when they differ,
/// both sides as compared (for the reports that show them).
struct Judged {
    differences: Vec<Difference>,
    reference: Observation,
    evaluation: crate::spec::Evaluation,
    sides: Option<Box<Sides>>,
}

/// A session judged login by login, up to the first login that differs or errors (what follows a
/// divergence plays in another world, and says nothing new).
struct SessionJudged {
    /// The last login judged (0 for the first): the one that differs or errored, or the session's last.
    login: usize,
    /// What became of it.
    last: LastLogin,
    /// The classes every judged login reached.
    classes: crate::classes::ClassSet,
}

/// The last login of a judged session.
enum LastLogin {
    /// Judged (with no difference when the whole session passed).
    Judged(Box<Judged>),
    /// The implementation errored there, with this message.
    Errored(String),
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
            event: case.event,
            now: case.now,
            logins: case.logins,
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
        let requests: Vec<RunRequest> = inputs
            .iter()
            .zip(&prepared)
            .map(|(i, p)| RunRequest { now: i.now, event: &i.event, mocks: Some(&p.urls) })
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
        for ((input, prepared), result) in inputs.iter().zip(prepared).zip(results) {
            let case_started = Instant::now();
            let implementation = self.flow.observe(prepared, result)?;
            let snapshot = self.snapshot(input, &implementation);
            let (session, later_time) = self.judge_session(&input.event, input.now, &input.logins, implementation)?;
            implementation_time += later_time;
            let mut report = self.report(input, session)?;
            if report.verdict != Verdict::Pass {
                // What the reports must not show of it (they show only cases that did not pass).
                report.secrets = crate::report::redact::Secrets::of_event(&input.event);
            }
            report.millis += run_millis + case_started.elapsed().as_secs_f64() * 1000.0;
            reports.push((report, snapshot));
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

    /// One login's differences, the reference's observation and evaluation, and, when they differ, both
    /// sides as compared.
    fn judged(&mut self, event: &Value, now: Now, implementation: &Observation) -> Result<Judged, JobError> {
        let (reference, evaluation) = self.reference(event, now)?;
        let wall = now.seconds();
        let context = NormalizeContext {
            admin_token: event
                .pointer(crate::spec::keys::ADMIN_TOKEN_POINTER)
                .and_then(Value::as_str)
                .map(str::to_owned),
            wall_clock: (!self.runner.honours_now()).then_some(wall),
        };
        let differences = compare(&reference, &evaluation, implementation, &context, &self.options);
        let sides = (!differences.is_empty()).then(|| {
            let side = |observation: &Observation| normalize(observation, &context, &self.options);
            Box::new(Sides { reference: side(&reference), implementation: side(implementation) })
        });
        Ok(Judged { differences, reference, evaluation, sides })
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
                let result =
                    self.runner.run(&RunRequest { now, event: &implementation_event, mocks: Some(&prepared.urls) });
                implementation_time += started.elapsed();
                implementation = self.flow.observe(prepared, result)?;
            }
            if let Some(message) = &implementation.errored {
                let evaluation = crate::spec::evaluate(&JsValue::from_json(&reference_event), now);
                classes = classes.union(crate::classes::classify(&reference_event, now, &evaluation));
                let last = LastLogin::Errored(message.clone());
                return Ok((SessionJudged { login, last, classes }, implementation_time));
            }
            let judged = self.judged(&reference_event, now, &implementation)?;
            classes = classes.union(crate::classes::classify(&reference_event, now, &judged.evaluation));
            if login == 0 {
                classes = classes.union(crate::classes::classify_session(logins, &judged.evaluation));
            }
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
        let now = self.clock_for(case.now);
        let prepared = self.flow.prepare(&case.event, now);
        let implementation_started = Instant::now();
        let result: RunResult = self.runner.run(&RunRequest { now, event: &case.event, mocks: Some(&prepared.urls) });
        let mut implementation_time = implementation_started.elapsed();
        self.context.timing.shrink_runs.fetch_add(1, Ordering::Relaxed);
        let session = self
            .flow
            .observe(prepared, result)
            .map_err(JobError::from)
            .and_then(|first| self.judge_session(&case.event, now, &case.logins, first));
        let session = session.map(|(session, later)| {
            implementation_time += later;
            session
        });
        self.context.timing.add(implementation_time, started.elapsed());
        let SessionJudged { login, last, classes } = session?;
        let LastLogin::Judged(judged) = last else { return Ok(None) };
        let judged = *judged;
        let expectations = self.context.settings.expectations.as_ref();
        let covered = expectations.is_some_and(|e| e.cover(name, classes, &judged.differences).is_some());
        Ok((!covered && !judged.differences.is_empty()).then_some((login, judged)))
    }

    /// A fixture's first login to write as a snapshot, under `--snapshots` (the collector writes it).
    fn snapshot(&self, input: &CaseInput, implementation: &Observation) -> Option<Box<Observation>> {
        let wanted = self.context.settings.snapshots.is_some() && input.source == CaseSource::Fixture;
        wanted.then(|| Box::new(implementation.clone()))
    }

    /// The report of a case whose session was judged.
    fn report(&mut self, input: &CaseInput, session: SessionJudged) -> Result<CaseReport, JobError> {
        let settings = self.context.settings;
        let at_login = (!input.logins.is_empty()).then_some(session.login + 1);
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
            logins: input.logins.clone(),
            at_login: None,
            beyond_auth0_limits: crate::event::limits::beyond_auth0_limits(&input.event),
            original_size: None,
            shrunk_size: None,
            shrink_steps: None,
            saved_to: None,
            saved_now: false,
            same_as: None,
            replay: None,
            expectations: Vec::new(),
            classes: session.classes,
            millis: 0.0,
            sides: None,
            secrets: Default::default(),
        };
        report.replay = input.replay_target.as_deref().map(|target| replay_command(settings, target));
        let Judged { differences, sides, .. } = match session.last {
            LastLogin::Judged(judged) => *judged,
            LastLogin::Errored(message) => {
                report.verdict = Verdict::Error;
                report.at_login = at_login;
                report.error = Some(match at_login {
                    Some(n) if n > 1 => format!("at login {n} of {}: {message}", input.logins.len() + 1),
                    _ => message,
                });
                return Ok(report);
            }
        };
        let expectations = settings.expectations.as_ref();
        if differences.is_empty() {
            let naming = expectations.map(|e| e.naming(&input.name)).unwrap_or_default();
            if !naming.is_empty() {
                report.verdict = Verdict::UnexpectedPass;
                report.expectations = naming;
            }
            return Ok(report);
        }
        report.at_login = at_login;
        if let Some(used) = expectations.and_then(|e| e.cover(&input.name, report.classes, &differences)) {
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
        let original = Generated {
            event: report.event.clone().unwrap_or(Value::Null),
            now: report.now,
            logins: report.logins.clone(),
        };
        let name = report.name.clone();
        let mut error = None;
        // Shrinking proposes the same candidate again now and then: judge each one once.
        let mut judged: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        // The drawn case is known to fail (a wrapped value's way back to it is then free).
        judged.insert(content_id(&original), true);
        let (shrunk, steps) =
            shrink(&mut *case_tree(settings.domain, settings.seed, index), settings.shrink_steps, |candidate| {
                if error.is_some() || self.context.interrupt.requested() {
                    return false;
                }
                let id = content_id(candidate);
                if let Some(&fails) = judged.get(&id) {
                    return fails;
                }
                match self.failing_differences(&name, candidate) {
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
        // Shrinking follows the strategies' order of simplicity, which is not always size (a stored token
        // grows with the pipes it names): a "simpler" case larger than the drawn one is not reported.
        let shrunk = if case_size(&shrunk) > case_size(&original) { original.clone() } else { shrunk };
        if let Some((login, judged)) = self.failing_differences(&name, &shrunk)? {
            report.set_differences(judged.differences);
            report.sides = judged.sides;
            report.original_size = Some(case_size(&original));
            report.shrunk_size = Some(case_size(&shrunk));
            report.shrink_steps = Some(steps);
            report.name = generated_name(&shrunk);
            report.now = shrunk.now;
            report.at_login = (!shrunk.logins.is_empty()).then_some(login + 1);
            report.logins = shrunk.logins;
            report.event = Some(shrunk.event);
        }
        Ok(())
    }
}
