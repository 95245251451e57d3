//! The judge: pure functions, no runner, no mocks, no file. One login: the reference's observation of the
//! same event at the same clock (the spec and the flow model), compared with the implementation's
//! ([`login`]). One case: the judged session and the expectations in, its report with a verdict out
//! ([`verdict`]). The jobs call them between running the implementation and sending the report on.

use serde_json::Value;

use super::baseline::Baseline;
use super::expectations::Expectations;
use super::CaseInput;
use crate::classes::ClassSet;
use crate::clock::Now;
use crate::compare::{compare, normalize, CompareOptions, Difference, NormalizeContext};
use crate::flow::{CaseWorld, Observation};
use crate::js::JsValue;
use crate::report::{CaseReport, CaseSource, Sides, Verdict};
use crate::runner::protocol::MockUrls;
use crate::spec::Evaluation;

/// The user the reference's world logs in (any id: the reference's flow reads only its own commits).
const REFERENCE_USER: &str = "auth0|tbjwt-reference";

/// What the judge is told besides the two sides: how to compare, and how the implementation ran.
pub(super) struct Bench<'a> {
    /// The level and the observables left out.
    pub options: &'a CompareOptions,
    /// Whether the implementation ran at the wall clock (it cannot take `now`): its token's times are
    /// then judged against the login's own clock (docs/protocol.md).
    pub on_wall_clock: bool,
    /// The mocks' URLs the reference's flow model is given (the default scope's).
    pub reference_urls: &'a MockUrls,
}

/// One login judged: its differences, the reference's observation and evaluation, and, when they differ,
/// both sides as compared (for the reports that show them).
pub(super) struct Judged {
    pub differences: Vec<Difference>,
    pub reference: Observation,
    pub evaluation: Evaluation,
    pub sides: Option<Box<Sides>>,
}

/// A session judged login by login, up to the first login that differs or errors (what follows a
/// divergence plays in another world, and says nothing new).
pub(super) struct SessionJudged {
    /// The last login judged (0 for the first): the one that differs or errored, or the session's last.
    pub login: usize,
    /// What became of it.
    pub last: LastLogin,
    /// The classes every judged login reached.
    pub classes: ClassSet,
}

/// The last login of a judged session.
pub(super) enum LastLogin {
    /// Judged (with no difference when the whole session passed).
    Judged(Box<Judged>),
    /// The implementation errored there, with this message.
    Errored(String),
}

/// The reference's observation and evaluation of `event` at `now`: the spec's outcome played through the
/// flow model (the mocks' rules without their servers, proven equal to the HTTP flow by the tests).
pub(super) fn reference(event: &Value, now: Now, urls: &MockUrls) -> (Observation, Evaluation) {
    let evaluation = crate::spec::evaluate(&JsValue::from_json(event), now);
    let world = CaseWorld::of(event, || REFERENCE_USER.to_owned());
    let observation = crate::flow::model::observe(&world, now, urls, evaluation.outcome.clone());
    (observation, evaluation)
}

/// One login: the implementation's observation of `event` at `now` against the reference's.
pub(super) fn login(bench: &Bench<'_>, event: &Value, now: Now, implementation: &Observation) -> Judged {
    let (reference, evaluation) = reference(event, now, bench.reference_urls);
    let context = NormalizeContext {
        admin_token: event.pointer(crate::spec::keys::ADMIN_TOKEN_POINTER).and_then(Value::as_str).map(str::to_owned),
        wall_clock: bench.on_wall_clock.then_some(now.seconds()),
    };
    let differences = compare(&reference, &evaluation, implementation, &context, bench.options);
    let sides = (!differences.is_empty()).then(|| {
        let side = |observation: &Observation| normalize(observation, &context, bench.options);
        Box::new(Sides { reference: side(&reference), implementation: side(implementation) })
    });
    Judged { differences, reference, evaluation, sides }
}

/// The classes a login reached: those of its event and outcome, and for a session's first login those
/// of the session's shape.
pub(super) fn classes_of(
    event: &Value,
    now: Now,
    evaluation: &Evaluation,
    session: Option<&[crate::event::LaterLogin]>,
) -> ClassSet {
    let classes = crate::classes::classify(event, now, evaluation);
    match session {
        Some(logins) => classes.union(crate::classes::classify_session(logins, evaluation)),
        None => classes,
    }
}

/// The differences of a session judged as failing that neither the expectations nor the baseline cover,
/// with the login they are of; `None` when it passed, errored, or is covered.
pub(super) fn uncovered(name: &str, session: SessionJudged, known: Known<'_>) -> Option<(usize, Judged)> {
    let SessionJudged { login, last, classes } = session;
    let LastLogin::Judged(judged) = last else { return None };
    let covered = known.expectations.is_some_and(|e| e.cover(name, classes, &judged.differences).is_some())
        || known.baseline.is_some_and(|b| b.holds_all(&crate::compare::cause_keys(&judged.differences)));
    (!covered && !judged.differences.is_empty()).then_some((login, *judged))
}

/// What a run knows of the implementation's divergences before it runs: the expectations file and the
/// baseline.
#[derive(Clone, Copy, Default)]
pub(super) struct Known<'a> {
    /// The expectations file's entries.
    pub expectations: Option<&'a Expectations>,
    /// The baseline.
    pub baseline: Option<&'a Baseline>,
}

/// The report of a case whose session was judged: its verdict (pass, fail, expected by the expectations
/// or the baseline, unexpected pass or error), its differences, and what the reports show of a failure. `replay` is the command that runs it
/// alone, where there is one.
pub(super) fn verdict(
    input: &CaseInput,
    session: SessionJudged,
    known: Known<'_>,
    replay: Option<String>,
) -> CaseReport {
    let expectations = known.expectations;
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
        replay,
        expectations: Vec::new(),
        attempts: Vec::new(),
        baselined: false,
        classes: session.classes,
        millis: 0.0,
        sides: None,
        secrets: Default::default(),
    };
    let Judged { differences, sides, .. } = match session.last {
        LastLogin::Judged(judged) => *judged,
        LastLogin::Errored(message) => {
            report.verdict = Verdict::Error;
            report.at_login = at_login;
            report.error = Some(match at_login {
                Some(n) if n > 1 => format!("at login {n} of {}: {message}", input.logins.len() + 1),
                _ => message,
            });
            return with_secrets(report, input);
        }
    };
    if differences.is_empty() {
        let naming = expectations.map(|e| e.naming(&input.name)).unwrap_or_default();
        if !naming.is_empty() {
            report.verdict = Verdict::UnexpectedPass;
            report.expectations = naming;
        }
        return with_secrets(report, input);
    }
    report.at_login = at_login;
    if let Some(used) = expectations.and_then(|e| e.cover(&input.name, report.classes, &differences)) {
        report.verdict = Verdict::Expected;
        report.expectations = used;
        report.set_differences(differences);
        return with_secrets(report, input);
    }
    report.set_differences(differences);
    if known.baseline.is_some_and(|b| b.holds_all(&crate::compare::cause_keys(&report.differences))) {
        report.verdict = Verdict::Expected;
        report.baselined = true;
        return with_secrets(report, input);
    }
    report.verdict = Verdict::Fail;
    report.sides = sides;
    if input.source == CaseSource::Generated {
        report.event = Some(input.event.clone()); // a fixture's event is in its file
    }
    with_secrets(report, input)
}

/// `report` with what the reports must not show of its case, when it did not pass (only such cases are
/// shown).
fn with_secrets(mut report: CaseReport, input: &CaseInput) -> CaseReport {
    if report.verdict != Verdict::Pass {
        report.secrets = crate::report::redact::Secrets::of_event(&input.event);
    }
    report
}
