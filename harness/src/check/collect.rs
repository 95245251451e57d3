//! The one collector of a check run (as nextest's dispatcher): the jobs send it what happened, and it
//! alone counts, decides when to stop, chooses the failures to shrink, renders to the reporters and
//! writes files (the saved regressions, the `--snapshots` documents). The jobs write nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::Value;

use super::shrink::{ShrinkQueue, Shrinkable};
use super::worker::Message;
use super::{expectations, replay_command, CheckError, CheckSettings, FixtureCase};
use crate::event::{regressions, Case};
use crate::report::{CaseReport, CaseSource, Conclusion, Counts, Reporter, RunFooter, Verdict};

/// What the collector holds while the run goes on.
pub(super) struct Collector<'c> {
    settings: &'c CheckSettings,
    fixtures: &'c [FixtureCase],
    reporters: &'c mut [Box<dyn Reporter>],
    counts: Counts,
    coverage: crate::classes::Coverage,
    fixtures_run: u64,
    generated_run: u64,
    /// Which expectations some case used.
    used: Vec<bool>,
    stopped_early: Option<String>,
    harness_error: Option<CheckError>,
    shrinkable: Shrinkable,
    /// Whether failing generated cases are shrunk at all.
    shrink: bool,
    jobs_done: usize,
    /// The causes failing and baselined cases showed, for the baseline's outcome.
    baseline: super::baseline::Tally,
}

/// What the run's end brings besides what the collector counted.
pub(super) struct Ending {
    /// Changes of the harness's own files found during the run.
    pub integrity: Vec<String>,
    pub timing: crate::report::RunTiming,
    pub on_wall_clock: bool,
    pub started: Instant,
    pub interrupted: bool,
    /// Why the implementation was given up on, when it was.
    pub gave_up: Option<String>,
}

impl<'c> Collector<'c> {
    pub fn new(
        settings: &'c CheckSettings,
        fixtures: &'c [FixtureCase],
        reporters: &'c mut [Box<dyn Reporter>],
    ) -> Collector<'c> {
        Collector {
            settings,
            fixtures,
            reporters,
            counts: Counts::default(),
            coverage: crate::classes::Coverage::default(),
            fixtures_run: 0,
            generated_run: 0,
            used: vec![false; settings.expectations.as_ref().map_or(0, |e| e.entries.len())],
            stopped_early: None,
            harness_error: None,
            shrinkable: Shrinkable::new(settings.shrink_failures),
            shrink: settings.shrink_steps > 0 && settings.shrink_failures > 0,
            jobs_done: 0,
            baseline: super::baseline::Tally::default(),
        }
    }

    /// Takes one message of a job; sets `stop` when the run must take no new case, and opens `shrinking`
    /// once every job has run out of cases.
    pub fn take(&mut self, message: Message, stop: &AtomicBool, shrinking: &ShrinkQueue) {
        match message {
            Message::Failed(e) => {
                self.harness_error.get_or_insert(CheckError::Job(e));
                stop.store(true, Ordering::Relaxed);
            }
            Message::Done => {
                self.jobs_done += 1;
                if self.jobs_done == self.settings.jobs.max(1) {
                    let (chosen, left) = self.shrinkable.choose();
                    for report in left {
                        self.render(&report, stop);
                    }
                    shrinking.open(chosen);
                }
            }
            Message::Shrunk(mut report) => {
                self.save(&mut report);
                self.render(&report, stop);
            }
            Message::Case(report, snapshot) => {
                if let Some(observation) = snapshot {
                    self.write_snapshot(&report, &observation);
                }
                self.case(report, stop);
            }
        }
    }

    fn case(&mut self, report: CaseReport, stop: &AtomicBool) {
        self.counts.add(report.verdict);
        if report.is_flaky() {
            self.counts.flaky += 1;
        }
        if self.settings.baseline.is_some() {
            self.baseline.add(&report);
        }
        self.coverage.add(report.classes);
        match report.source {
            CaseSource::Fixture => self.fixtures_run += 1,
            CaseSource::Generated => self.generated_run += 1,
        }
        for &i in &report.expectations {
            if let Some(u) = self.used.get_mut(i) {
                *u = true;
            }
        }
        let failures = self.counts.fail + self.counts.unexpected_pass;
        if let Some(max) = self.settings.max_failures {
            if failures >= max && self.stopped_early.is_none() && report.verdict == Verdict::Fail {
                self.stopped_early = Some(format!("{failures} failing cases (--max-failures {max})"));
                stop.store(true, Ordering::Relaxed);
            }
        }
        if report.verdict == Verdict::Fail && report.generated_index.is_none() {
            self.shrinkable.known(&report);
        }
        if self.shrink && report.verdict == Verdict::Fail && report.generated_index.is_some() {
            if let Some(out) = self.shrinkable.offer(report) {
                self.render(&out, stop);
            }
        } else {
            self.render(&report, stop);
        }
    }

    /// Renders what was held for shrinking and never shrunk (a run abandoned before its shrinking phase).
    pub fn report_unshrunk(&mut self) {
        for report in self.shrinkable.choose().1 {
            render_case(self.reporters, &report, &mut self.harness_error);
        }
    }

    fn render(&mut self, report: &CaseReport, stop: &AtomicBool) {
        if !render_case(self.reporters, report, &mut self.harness_error) {
            stop.store(true, Ordering::Relaxed);
        }
    }

    /// Saves a shrunk failure under `--save-failures` (the only writer of regressions in a run), and
    /// points its replay command at the file.
    fn save(&mut self, report: &mut CaseReport) {
        let (Some(dir), Some(index)) = (&self.settings.save_failures, report.generated_index) else { return };
        match regressions::save(dir, "check", &regression(self.settings, index, report)) {
            Ok(saved) => {
                report.replay = Some(replay_command(self.settings, &saved.path.display().to_string()));
                report.saved_to = Some(saved.path);
                report.saved_now = saved.new;
            }
            Err(e) => {
                self.harness_error.get_or_insert(CheckError::Save(e));
            }
        }
    }

    /// Writes a fixture's first login as a `--snapshots` document.
    fn write_snapshot(&mut self, report: &CaseReport, observation: &crate::flow::Observation) {
        let (Some(dir), Some(fixture)) = (&self.settings.snapshots, self.fixtures.get(report.ordinal as usize)) else {
            return;
        };
        let case = &fixture.case;
        let description = format!("{} (now = {})", case.description, report.now);
        if let Err(e) = crate::snapshots::write_observation(dir, &report.name, &description, observation, &case.event) {
            let message = format!("{}: {e}", dir.join(&report.name).display());
            self.harness_error.get_or_insert(CheckError::Snapshot(message));
        }
    }

    /// The run's footer, rendered to every reporter; the harness's error, if it had one.
    pub fn finish(mut self, ending: Ending) -> (RunFooter, Option<CheckError>) {
        if let Some(why) = &ending.gave_up {
            self.stopped_early.get_or_insert(format!("the implementation was given up on: {why}"));
        }
        let footer = self.footer(ending);
        for r in self.reporters.iter_mut() {
            if let Err(e) = r.footer(&footer) {
                self.harness_error.get_or_insert(CheckError::Report(e));
            }
        }
        (footer, self.harness_error)
    }

    /// What the run concludes from what it counted and how it ended.
    fn footer(&mut self, ending: Ending) -> RunFooter {
        let settings = self.settings;
        let harness_error = self.harness_error.is_some();
        let mut problems = Vec::new();
        let full_run = settings.partition.is_none()
            && settings.replay.is_none()
            && !ending.interrupted
            && self.stopped_early.is_none()
            && settings.time_budget.is_none();
        let baseline = settings.baseline.as_ref().map(|b| {
            let full = full_run && !harness_error;
            std::mem::take(&mut self.baseline).outcome(b, settings.baseline_strict, full, settings.seed)
        });
        if let Some(e) = &settings.expectations {
            problems.extend(e.expired(&expectations::today()));
            if full_run && !harness_error {
                problems.extend(e.unused(&self.used));
            }
        }
        let duration = ending.started.elapsed().as_secs_f64();
        // Changing the harness's own files is a divergence of the worst kind, whatever the cases said.
        let flaky_failing = if settings.flaky_fails { self.counts.flaky as usize } else { 0 };
        let failing_problems = problems.len()
            + ending.integrity.len()
            + settings.drift.iter().filter(|d| d.fails).count()
            + usize::from(baseline.as_ref().is_some_and(|b| b.fails()))
            + flaky_failing;
        let conclusion = Conclusion::of_run(&self.counts, failing_problems, harness_error, ending.interrupted);
        RunFooter {
            counts: self.counts,
            fixture_cases_run: self.fixtures_run,
            generated_cases_run: self.generated_run,
            duration_seconds: duration,
            cases_per_second: self.counts.total() as f64 / duration.max(1e-9),
            interrupted: ending.interrupted,
            stopped_early: self.stopped_early.take(),
            expectation_problems: problems,
            flaky_fails: settings.flaky_fails,
            baseline,
            integrity: ending.integrity,
            drift: settings.drift.clone(),
            timing: ending.timing,
            // A replay or a rerun runs chosen cases: which classes they reach says nothing of the domain.
            class_coverage: (settings.replay.is_none() && settings.rerun.is_none())
                .then(|| crate::report::ClassCoverage::new(settings.domain, &self.coverage)),
            on_wall_clock: ending.on_wall_clock,
            conclusion,
            exit_code: conclusion.exit_code(),
        }
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

/// The case file of a shrunk failure, saying how it was found.
fn regression(settings: &CheckSettings, index: u64, report: &CaseReport) -> Case {
    let first = report.differences.first();
    let mut rules: Vec<crate::spec::Rule> = report.differences.iter().map(|d| d.rule).collect();
    rules.sort();
    rules.dedup();
    let description = format!(
        "Found by `tbjwt {} {} --seed {} --domain {}` (generated case {index}, shrunk): {} differs{}.",
        settings.command,
        settings.implementation,
        settings.seed,
        settings.domain.name(),
        first.map_or("the observation", |d| d.path.as_str()),
        first.map(|d| format!(" ({})", d.rule)).unwrap_or_default()
    );
    // The file holds the event (secrets included: it is what replays the case); its words do not.
    let description = report.secrets.text(&description).unwrap_or(description);
    Case {
        name: String::new(),
        description,
        rules,
        now: Some(report.now),
        event: report.event.clone().unwrap_or(Value::Null),
        logins: report.logins.clone(),
    }
}
