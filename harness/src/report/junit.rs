//! JUnit XML through `quick-junit`: one test suite per run, one testcase per case (`fail` → failure,
//! `error` → error, `unexpected-pass` → failure, `expected` → skipped with the reason), readable by
//! GitHub, GitLab and Jenkins. Written when the run ends (also when interrupted).

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use std::io::Write;
use std::time::Duration;

use super::text::{visible, visible_lines};
use super::{CaseReport, Conclusion, Reporter, RunFooter, RunHeader, Verdict, ABSENT};

/// The JUnit reporter.
pub struct Junit<W: Write> {
    out: Option<W>,
    suite: TestSuite,
    header: Option<RunHeader>,
}

impl<W: Write> Junit<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Junit { out: Some(out), suite: TestSuite::new("tbjwt check"), header: None }
    }
}

fn describe(case: &CaseReport) -> String {
    let mut text = String::new();
    for d in &case.differences {
        text.push_str(&format!(
            "{} [{}{}]: reference {} | implementation {}\n",
            d.path,
            d.rule,
            if d.security { ", security" } else { "" },
            d.reference.as_ref().map_or(ABSENT.into(), |v| v.to_string()),
            d.implementation.as_ref().map_or(ABSENT.into(), |v| v.to_string())
        ));
    }
    if let Some(event) = &case.event {
        text.push_str(&format!("event (now = {}): {event}\n", case.now));
    }
    for line in [case.session_line(), case.limits_line()].into_iter().flatten() {
        text.push_str(&format!("{line}\n"));
    }
    if let Some(path) = &case.saved_to {
        text.push_str(&format!("saved for replay: {}\n", path.display()));
    }
    if let Some(command) = &case.replay {
        text.push_str(&format!("replay: {command}\n"));
    }
    visible_lines(&text).into_owned()
}

impl<W: Write + Send> Reporter for Junit<W> {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.suite =
            TestSuite::new(visible(&format!("tbjwt {} {}", header.command, header.implementation)).into_owned());
        self.header = Some(header.clone());
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        let mut status = match case.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Expected => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!("expected divergence (expectations {:?})", case.expectations));
                s
            }
            Verdict::Fail | Verdict::UnexpectedPass => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = case.differences.first();
                s.set_message(match (case.verdict, first) {
                    (Verdict::UnexpectedPass, _) => "listed in the expectations but no longer diverges".to_owned(),
                    (_, Some(d)) => format!("differs at {} ({})", visible(&d.path), d.rule),
                    _ => "differs".to_owned(),
                });
                s.set_type(case.verdict.name());
                s.set_description(describe(case));
                s
            }
            Verdict::Error => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message("the implementation errored");
                s.set_description(visible_lines(case.error.as_deref().unwrap_or_default()).into_owned());
                s
            }
        };
        // Attempts that errored before the last (`--retries`): flaky runs of a case that then passed,
        // reruns of one that kept failing (Surefire's flakyFailure and rerunFailure).
        status.add_reruns(case.attempts.iter().map(|error| {
            let mut rerun = quick_junit::TestRerun::new(NonSuccessKind::Failure);
            rerun.set_message("the implementation errored");
            rerun.set_description(visible_lines(error).into_owned());
            rerun
        }));
        let mut test = TestCase::new(visible(&case.name).into_owned(), status);
        test.set_classname(format!(
            "tbjwt.{}",
            match case.source {
                super::CaseSource::Fixture => "fixtures",
                super::CaseSource::Generated => "generated",
            }
        ));
        test.set_time(Duration::from_secs_f64(case.millis / 1000.0));
        self.suite.add_test_case(test);
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let mut report = Report::new("tbjwt");
        let mut suite = std::mem::replace(&mut self.suite, TestSuite::new("done"));
        suite.set_time(Duration::from_secs_f64(footer.duration_seconds));
        if let Some(h) = &self.header {
            suite.add_property(quick_junit::Property::new("seed", h.seed.to_string()));
            suite.add_property(quick_junit::Property::new("level", h.level.name()));
            suite.add_property(quick_junit::Property::new("domain", h.domain.name()));
            if let Some(version) = &h.suite_version {
                suite.add_property(quick_junit::Property::new("suite_version", version.as_str()));
            }
        }
        suite.add_property(quick_junit::Property::new("interrupted", footer.interrupted.to_string()));
        suite.add_property(quick_junit::Property::new("conclusion", footer.conclusion.sentence()));
        if let Some(coverage) = &footer.class_coverage {
            suite.add_property(quick_junit::Property::new("class_coverage", coverage.summary()));
        }
        if let Some(baseline) = &footer.baseline {
            suite.add_property(quick_junit::Property::new("baseline", baseline.summary()));
            if baseline.fails() {
                for cause in &baseline.fixed {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!("fixed, still in the baseline: {}", visible(&cause.to_string())));
                    let mut test = TestCase::new(format!("baseline[{}]", visible(&cause.to_string())), s);
                    test.set_classname("tbjwt.run");
                    suite.add_test_case(test);
                }
            }
        }
        for problem in &footer.expectation_problems {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(visible(&problem.message).into_owned());
            suite.add_test_case(TestCase::new(format!("expectations[{}]", problem.entry), s));
        }
        for (i, finding) in footer.drift.iter().enumerate() {
            let mut s = if finding.fails {
                TestCaseStatus::non_success(NonSuccessKind::Failure)
            } else {
                TestCaseStatus::success()
            };
            if finding.fails {
                s.set_message(visible(&finding.line()).into_owned());
            }
            let mut test = TestCase::new(format!("drift[{i}] {}", finding.kind.name()), s);
            test.set_classname("tbjwt.deployment");
            if !finding.fails {
                test.set_system_out(visible(&finding.line()).into_owned());
            }
            suite.add_test_case(test);
        }
        for (i, finding) in footer.integrity.iter().enumerate() {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(visible(finding).into_owned());
            let mut test = TestCase::new(format!("integrity[{i}]"), s);
            test.set_classname("tbjwt.run");
            suite.add_test_case(test);
        }
        // A run that did not reach a verdict must not read as green in a test view.
        if matches!(footer.conclusion, Conclusion::Interrupted | Conclusion::NothingRan | Conclusion::HarnessError) {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(footer.conclusion.sentence());
            let mut test = TestCase::new("run", s);
            test.set_classname("tbjwt.run");
            suite.add_test_case(test);
        }
        report.add_test_suite(suite);
        if let Some(out) = self.out.take() {
            report.serialize(out).map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}
