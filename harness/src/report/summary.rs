//! The summary across failing cases that every reporter shows: for each rule that differs at least once
//! (security first, then R1 to R12), the kinds of root cause under it with the number of failing cases
//! each appears in, the most frequent first (`compare::summary_kinds`).

use std::collections::BTreeMap;

use super::{CaseReport, Verdict};
use crate::spec::Rule;

/// Failing cases counted by root cause.
#[derive(Debug, Clone, Default)]
pub struct CauseSummary {
    /// (not security, rule, kind) → cases.
    counts: BTreeMap<(bool, Rule, String), u64>,
}

/// One rule of a [`CauseSummary`].
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCauses {
    /// The rule.
    pub rule: Rule,
    /// Whether these are security findings.
    pub security: bool,
    /// Kinds of root cause with their case counts, the most frequent first.
    pub kinds: Vec<(String, u64)>,
}

impl RuleCauses {
    /// The rule as a summary names it: `R12`, or `R12 [security]`.
    pub fn label(&self) -> String {
        if self.security {
            format!("{} [security]", self.rule)
        } else {
            self.rule.to_string()
        }
    }
}

impl CauseSummary {
    /// Counts a case's root causes, once each, when the case fails.
    pub fn add(&mut self, case: &CaseReport) {
        if !matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass) {
            return;
        }
        for (security, rule, kind) in crate::compare::summary_kinds(&case.root_causes, &case.differences) {
            *self.counts.entry((!security, rule, kind)).or_default() += 1;
        }
    }

    /// Whether there is anything to sum up (more than one cause, or one cause in several cases).
    pub fn worth_showing(&self) -> bool {
        self.counts.len() > 1 || self.counts.values().any(|n| *n > 1)
    }

    /// Every rule that differs, security first, each with its kinds.
    pub fn rules(&self) -> Vec<RuleCauses> {
        let mut rules: Vec<RuleCauses> = Vec::new();
        for ((not_security, rule, kind), n) in &self.counts {
            match rules.last_mut().filter(|r| r.rule == *rule && r.security != *not_security) {
                Some(last) => last.kinds.push((kind.clone(), *n)),
                None => {
                    rules.push(RuleCauses { rule: *rule, security: !not_security, kinds: vec![(kind.clone(), *n)] })
                }
            }
        }
        for r in &mut rules {
            r.kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        }
        rules
    }
}

/// The first failing cases of a run, kept in full for a report, and how many more there were.
#[derive(Debug, Clone, Default)]
pub struct FirstFailures {
    /// The cases kept, in the order they came.
    pub cases: Vec<CaseReport>,
    /// Failing cases not kept.
    pub more: u64,
}

impl FirstFailures {
    /// Keeps `case` when it fails and fewer than `limit` are kept; counts it otherwise.
    pub fn add(&mut self, case: &CaseReport, limit: usize) {
        if !matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass) {
            return;
        }
        if self.cases.len() < limit {
            self.cases.push(case.clone());
        } else {
            self.more += 1;
        }
    }
}
