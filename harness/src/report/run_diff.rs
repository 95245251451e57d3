//! Two runs compared (`tbjwt diff OLD NEW`): the root causes each has that the other lacks, and the cases
//! that fail in one and not in the other. Runs of one implementation or of two; they must be comparable
//! (the same level and domain, and the same built-in suite when both had it), or the diff says why not.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::read::{ReadCase, ReadReport};
use super::Verdict;
use crate::compare::{CauseKey, Counted};

/// Cases listed under each heading (the JSON reports have them all).
const CASES_SHOWN: usize = 20;

/// What changed from one run to the other.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDiff {
    /// Causes the new run has and the old one lacks, with the new run's cases showing each and an example.
    pub new: Vec<(CauseKey, u64, String)>,
    /// Causes the old run has and the new one lacks, with the old run's count and example.
    pub fixed: Vec<(CauseKey, u64, String)>,
    /// Causes both have.
    pub unchanged: Vec<CauseKey>,
    /// Cases that do not pass in the new run and passed in the old one (fixtures, and generated cases
    /// when both runs drew the same seed).
    pub newly_failing: Vec<String>,
    /// Cases that passed in the new run and did not in the old one.
    pub newly_passing: Vec<String>,
    /// Whether the runs drew the same generated cases (same seed): otherwise only fixtures are compared
    /// case by case.
    pub same_cases: bool,
}

/// Why two runs cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not comparable: {0}")]
pub struct Incomparable(pub String);

fn failing(case: &ReadCase) -> bool {
    matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass)
}

/// Compares `old` with `new`.
pub fn diff(old: &ReadReport, new: &ReadReport) -> Result<RunDiff, Incomparable> {
    let (a, b) = (&old.identity, &new.identity);
    if a.level != b.level {
        return Err(Incomparable(format!("the old run is at level {}, the new one at level {}", a.level, b.level)));
    }
    if a.domain != b.domain {
        return Err(Incomparable(format!("the old run is in domain {}, the new one in domain {}", a.domain, b.domain)));
    }
    if let (Some(x), Some(y)) = (&a.suite_version, &b.suite_version) {
        if x != y {
            return Err(Incomparable(format!("the old run has built-in suite {x}, the new one {y}")));
        }
    }
    if a.partition != b.partition {
        return Err(Incomparable(format!(
            "the runs are different shards ({} and {}): merge each first",
            a.partition.as_deref().unwrap_or("whole"),
            b.partition.as_deref().unwrap_or("whole")
        )));
    }
    let (old_causes, new_causes) = (old.cause_counts(), new.cause_counts());
    let only = |x: &Counted<CauseKey>, y: &Counted<CauseKey>| {
        x.iter().filter(|(k, _, _)| !y.contains(k)).map(|(k, n, e)| (k.clone(), n, e.to_owned())).collect()
    };
    let same_cases = a.seed == b.seed;
    let compared = |r: &ReadReport| -> BTreeMap<String, bool> {
        r.cases.iter().filter(|c| same_cases || c.fixture).map(|c| (c.name.clone(), failing(c))).collect()
    };
    let (old_cases, new_cases) = (compared(old), compared(new));
    let both: BTreeSet<&String> = old_cases.keys().filter(|n| new_cases.contains_key(*n)).collect();
    let changed = |was: bool| -> Vec<String> {
        both.iter().filter(|n| old_cases[**n] == was && new_cases[**n] != was).map(|n| (*n).clone()).collect()
    };
    Ok(RunDiff {
        new: only(&new_causes, &old_causes),
        fixed: only(&old_causes, &new_causes),
        unchanged: old_causes.keys().filter(|k| new_causes.contains(k)).cloned().collect(),
        newly_failing: changed(false),
        newly_passing: changed(true),
        same_cases,
    })
}

impl RunDiff {
    /// Whether the new run is worse: a new cause, or a case that now fails.
    pub fn regressed(&self) -> bool {
        !self.new.is_empty() || !self.newly_failing.is_empty()
    }

    /// The diff as text (`markdown`: for a pull-request comment).
    pub fn render(&self, old: &ReadReport, new: &ReadReport, markdown: bool) -> String {
        let mut out = String::new();
        let (old_name, new_name) = (&old.identity.implementation, &new.identity.implementation);
        let verdict = if self.regressed() { "regressed" } else { "no new divergence" };
        if markdown {
            let _ = writeln!(out, "## tbjwt diff: {verdict}\n");
            let _ = writeln!(
                out,
                "Old: `{}` ({old_name}), new: `{}` ({new_name})\n",
                old.path.display(),
                new.path.display()
            );
        } else {
            let _ = writeln!(out, "tbjwt diff: {verdict}");
            let _ = writeln!(out, "old: {} ({old_name})\nnew: {} ({new_name})", old.path.display(), new.path.display());
        }
        let section = |out: &mut String, title: &str, lines: Vec<String>| {
            if lines.is_empty() {
                return;
            }
            if markdown {
                let _ = writeln!(out, "\n### {title}\n");
                for line in lines {
                    let _ = writeln!(out, "- {line}");
                }
            } else {
                let _ = writeln!(out, "\n{title}:");
                for line in lines {
                    let _ = writeln!(out, "  {line}");
                }
            }
        };
        let code = |text: &str| if markdown { format!("`{}`", text.replace('`', "'")) } else { text.to_owned() };
        let with_cases = |(cause, n, example): &(CauseKey, u64, String)| {
            format!("{} ({n} case{}, e.g. {})", code(&cause.to_string()), if *n == 1 { "" } else { "s" }, code(example))
        };
        let cases = |names: &[String]| -> Vec<String> {
            let mut lines: Vec<String> = names.iter().take(CASES_SHOWN).map(|c| code(c)).collect();
            if names.len() > CASES_SHOWN {
                lines.push(format!("… and {} more (the JSON reports list them)", names.len() - CASES_SHOWN));
            }
            lines
        };
        let title = |what: &str, n: usize| format!("{what} ({n})");
        section(&mut out, &title("New root causes", self.new.len()), self.new.iter().map(with_cases).collect());
        section(&mut out, &title("Fixed root causes", self.fixed.len()), self.fixed.iter().map(with_cases).collect());
        let unchanged = self.unchanged.iter().map(|c| code(&c.to_string())).collect();
        section(&mut out, &title("Unchanged root causes", self.unchanged.len()), unchanged);
        let (failing, passing) = (self.newly_failing.len(), self.newly_passing.len());
        section(&mut out, &title("Cases failing now", failing), cases(&self.newly_failing));
        section(&mut out, &title("Cases passing now", passing), cases(&self.newly_passing));
        if !self.same_cases {
            let _ = writeln!(out, "\n(the runs drew different seeds: cases are compared by fixture only)");
        }
        out
    }
}
