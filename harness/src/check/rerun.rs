//! `--rerun-failed [REPORT]`: the cases that did not pass in an earlier run's JSON report (failed,
//! errored, or passed where an expectation said they would not), and nothing else. Fixtures are found by
//! name among this run's fixtures; a generated case runs as the report holds it (its shrunk event) or, when
//! the report has no event for it (it errored), as the report's seed and domain draw it again; each at its
//! own clock, with its later logins.

use std::collections::HashMap;
use std::path::PathBuf;

use super::generated::case_tree;
use super::{CheckError, FixtureCase};
use crate::clock::Now;
use crate::event::Case;
use crate::report::read::{ReadCase, ReadReport};
use crate::report::Verdict;
use crate::strategies::Domain;

/// The cases to run again, from a report.
#[derive(Debug, Clone)]
pub struct Rerun {
    /// The report they come from.
    pub report: PathBuf,
    /// The seed its generated cases were drawn from.
    pub seed: u64,
    /// The domain they were drawn in.
    pub domain: Domain,
    /// Its cases that did not pass.
    pub cases: Vec<ReadCase>,
}

impl Rerun {
    /// The cases of `report` that did not pass.
    pub fn of(report: ReadReport) -> Result<Rerun, String> {
        let domain: Domain = serde_json::from_value(serde_json::Value::String(report.identity.domain.clone()))
            .map_err(|_| format!("{}: unknown domain `{}`", report.path.display(), report.identity.domain))?;
        let cases = report
            .cases
            .into_iter()
            .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass))
            .collect();
        Ok(Rerun { report: report.path, seed: report.identity.seed, domain, cases })
    }

    /// The cases to run: each of the report's, found among `fixtures` (this run's) or made from what the
    /// report holds.
    pub(super) fn cases(&self, fixtures: Vec<FixtureCase>) -> Result<Vec<FixtureCase>, CheckError> {
        let mut by_name: HashMap<String, FixtureCase> =
            fixtures.into_iter().map(|f| (f.case.name.clone(), f)).collect();
        let bad = |case: &ReadCase, why: &str| {
            CheckError::Cases(format!("{}: the case `{}` {why}", self.report.display(), case.name))
        };
        let mut cases = Vec::with_capacity(self.cases.len());
        for case in &self.cases {
            if case.fixture {
                let found = by_name.remove(&case.name).ok_or_else(|| {
                    bad(case, "is not among this run's fixtures (the suite, --fixtures folders, saved regressions)")
                })?;
                cases.push(found);
                continue;
            }
            let inputs = case.rerun.as_ref().ok_or_else(|| bad(case, "has no inputs in the report"))?;
            let (event, now, logins) = match (&inputs.event, case.generated_index) {
                (Some(event), _) => {
                    let now = Now::from_millis(inputs.now_ms).map_err(|e| bad(case, &e))?;
                    let logins =
                        serde_json::from_value(inputs.logins.clone()).map_err(|e| bad(case, &e.to_string()))?;
                    (event.clone(), now, logins)
                }
                (None, Some(index)) => {
                    let drawn = case_tree(self.domain, self.seed, index).current();
                    (drawn.event, drawn.now, drawn.logins)
                }
                (None, None) => return Err(bad(case, "has neither an event nor a generated index")),
            };
            let description = format!("did not pass in {}", self.report.display());
            let case = Case { name: case.name.clone(), description, rules: Vec::new(), now: Some(now), event, logins };
            cases.push(FixtureCase { case, file: None, generated: true });
        }
        Ok(cases)
    }
}
