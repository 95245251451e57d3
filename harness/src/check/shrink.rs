//! Shrinking, the whole protocol: which failing generated cases are shrunk ([`Shrinkable`]: the collector
//! offers each failure, and keeps one per divergence, the smallest index first, none a failing fixture
//! already shows); how they reach the jobs once every case has run ([`ShrinkQueue`]); the search for a
//! smaller case that still fails ([`search`], over the case's proptest tree); and what a shrunk case's
//! report says ([`shrink_report`]). A job only plays the candidates it is asked about, with its runner.

use proptest::strategy::ValueTree;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Condvar, Mutex};

use super::generated::{case_size, content_id, generated_name, CaseTree};
use super::judge::Judged;
use crate::compare::Observable;
use crate::report::CaseReport;
use crate::strategies::Generated;

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
    pub fn next(&self) -> Option<CaseReport> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(q) = queue.as_mut() {
                return q.pop_front();
            }
            queue = self.opened.wait(queue).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The divergence a failing case shows, as a set of differences with array indices left out, a token's
/// claims named once wherever the token shows (calls, metadata, ID token, Tinybird JWT), and the access
/// matrix left out when a token differs (it follows from the token): two failures with the same
/// signature are most likely the same bug.
fn divergence_signature(report: &CaseReport) -> BTreeSet<String> {
    let token = |d: &crate::compare::Difference| {
        let generic = crate::compare::signature(d);
        generic.rfind("/jwt/").map(|at| generic[at..].to_owned())
    };
    let token_differs = report.differences.iter().any(|d| token(d).is_some());
    report
        .differences
        .iter()
        .filter_map(|d| match (token(d), d.observable) {
            (Some(claim), _) => Some(claim),
            (None, Observable::Access) if token_differs => None,
            (None, Observable::Access) => Some(format!("/access/* ({})", d.rule)),
            (None, _) => Some(crate::compare::signature(d)),
        })
        .collect()
}

/// The failing generated cases that may be shrunk: the one with the smallest index of each divergence
/// signature that no failing fixture (a saved regression, say) already shows, at most `capacity × 4`
/// signatures held at once. At the end, the `capacity` smallest indices are shrunk; the rest are reported
/// as they are. The choice depends only on the cases, never on the jobs' timing, so that the same run
/// saves the same minimal cases.
pub(super) struct Shrinkable {
    capacity: usize,
    by_signature: BTreeMap<BTreeSet<String>, CaseReport>,
    /// The failing fixture of each signature with the smallest ordinal (whatever order the jobs report in).
    known: HashMap<BTreeSet<String>, (u64, String)>,
}

impl Shrinkable {
    pub fn new(capacity: u64) -> Shrinkable {
        Shrinkable { capacity: capacity.min(1 << 16) as usize, by_signature: BTreeMap::new(), known: HashMap::new() }
    }

    /// A failing fixture: generated cases with its divergence are not shrunk again.
    pub fn known(&mut self, report: &CaseReport) {
        let first = self.known.entry(divergence_signature(report)).or_insert((u64::MAX, String::new()));
        if report.ordinal < first.0 {
            *first = (report.ordinal, report.name.clone());
        }
    }

    /// Takes a failing generated case; returns a case to report now (this one or one it displaced).
    pub fn offer(&mut self, report: CaseReport) -> Option<CaseReport> {
        let index = report.generated_index.unwrap_or(u64::MAX);
        let signature = divergence_signature(&report);
        let out = match self.by_signature.get(&signature) {
            Some(held) if held.generated_index.unwrap_or(u64::MAX) <= index => return Some(report),
            _ => self.by_signature.insert(signature, report),
        };
        if out.is_some() {
            return out;
        }
        if self.by_signature.len() > self.capacity.saturating_mul(4) {
            let largest = self
                .by_signature
                .iter()
                .max_by_key(|(_, r)| r.generated_index)
                .map(|(signature, _)| signature.clone())?;
            return self.by_signature.remove(&largest);
        }
        None
    }

    /// The cases to shrink (smallest indices first) and the ones to report as they are.
    pub fn choose(&mut self) -> (Vec<CaseReport>, Vec<CaseReport>) {
        let mut held: Vec<(BTreeSet<String>, CaseReport)> =
            std::mem::take(&mut self.by_signature).into_iter().collect();
        held.sort_by_key(|(_, r)| r.generated_index);
        let (mut chosen, mut left) = (Vec::new(), Vec::new());
        for (signature, mut report) in held {
            if let Some((_, name)) = self.known.get(&signature) {
                report.same_as = Some(name.clone());
                left.push(report);
            } else if chosen.len() < self.capacity {
                chosen.push(report);
            } else {
                left.push(report);
            }
        }
        (chosen, left)
    }
}

/// Shrinks `tree` while `fails` holds, within `max_steps` candidate evaluations; returns the smallest
/// failing value and the number of steps taken.
pub fn search<T: ValueTree + ?Sized>(
    tree: &mut T,
    max_steps: usize,
    mut fails: impl FnMut(&T::Value) -> bool,
) -> (T::Value, usize) {
    let mut best = tree.current();
    let mut steps = 0;
    if !tree.simplify() {
        return (best, steps);
    }
    loop {
        if steps >= max_steps {
            break;
        }
        steps += 1;
        let candidate = tree.current();
        let advanced = if fails(&candidate) {
            best = candidate;
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !advanced {
            break;
        }
    }
    (best, steps)
}

/// Shrinks the failing generated case of `report`, drawn from `tree`, within `max_steps` candidates, and
/// rewrites the report as the smallest case that still fails: its name, clock, event, logins, differences
/// and sizes. `play` runs a candidate and judges it (its uncovered differences, with the login they are
/// of; `None` when it passes); `interrupted` ends the search early. A failure to play one (the job's
/// error) ends it with that error, and the report is left as it was.
pub(super) fn shrink_report<E>(
    report: &mut CaseReport,
    mut tree: CaseTree,
    max_steps: usize,
    interrupted: impl Fn() -> bool,
    mut play: impl FnMut(&Generated) -> Result<Option<(usize, Judged)>, E>,
) -> Result<(), E> {
    let original = Generated {
        event: report.event.clone().unwrap_or(Value::Null),
        now: report.now,
        logins: report.logins.clone(),
    };
    let mut error = None;
    // Shrinking proposes the same candidate again now and then: judge each one once.
    let mut judged: HashMap<String, bool> = HashMap::new();
    // The drawn case is known to fail (a wrapped value's way back to it is then free).
    judged.insert(content_id(&original), true);
    let (shrunk, steps) = search(&mut *tree, max_steps, |candidate| {
        if error.is_some() || interrupted() {
            return false;
        }
        let id = content_id(candidate);
        if let Some(&fails) = judged.get(&id) {
            return fails;
        }
        match play(candidate) {
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
    if let Some((login, judged)) = play(&shrunk)? {
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

#[cfg(test)]
mod tests {
    use super::search;
    use crate::strategies::simplest_first;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    fn runner() -> TestRunner {
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
    }

    /// Searches `tree` while `fails`, counting the candidates tried.
    fn shrink<T: ValueTree>(tree: &mut T, fails: impl Fn(&T::Value) -> bool) -> (T::Value, usize) {
        search(tree, usize::MAX, fails)
    }

    #[test]
    fn a_value_that_does_not_matter_costs_one_candidate() {
        let mut tree = simplest_first("[a-z]{30,40}").new_tree(&mut runner()).unwrap();
        let (shrunk, tried) = shrink(&mut tree, |_| true);
        assert_eq!((shrunk.as_str(), tried), ("a".repeat(30).as_str(), 1));
        let mut plain = "[a-z]{30,40}".new_tree(&mut runner()).unwrap();
        let (shrunk, tried) = shrink(&mut plain, |_| true);
        assert_eq!(shrunk, "a".repeat(30));
        assert!(tried > 30, "proptest alone tries {tried}");
    }

    #[test]
    fn a_value_that_matters_still_shrinks_to_the_same_minimum() {
        let fails = |s: &String| s.contains('q');
        let mut runner = runner();
        let (draw, mut plain) = loop {
            let twin = runner.clone();
            let tree = "[a-z]{20,30}".new_tree(&mut runner).unwrap();
            if fails(&tree.current()) {
                break (twin, tree);
            }
        };
        let (expected, plain_tried) = shrink(&mut plain, fails);
        let mut wrapped = simplest_first("[a-z]{20,30}").new_tree(&mut draw.clone()).unwrap();
        let (shrunk, tried) = shrink(&mut wrapped, fails);
        assert_eq!(shrunk, expected);
        assert_eq!(tried, plain_tried + 2, "the simplest form and the way back to the drawn value");
    }
}
