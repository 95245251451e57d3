//! Generated cases: case `i` of seed `s` is drawn from its own RNG (derived from `s` and `i`), so the same
//! seed gives the same cases whatever the partition, job count or order, and a failing case can be
//! regenerated and shrunk on its own.
//!
//! The first cases of a run are directed: case `i` is drawn in the `i`-th equivalence class of the run's
//! domain (`strategies::directed`), so that every class is reached within the default 1,000 cases
//! whatever the seed. The rest come from the domain's general strategy.

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;

use crate::strategies::{cases, directed, Domain, Generated};

/// The shrinkable tree of a generated case.
pub type CaseTree = Box<dyn ValueTree<Value = Generated>>;

/// Case strategies by domain and directed class.
type Strategies = HashMap<(Domain, Option<usize>), BoxedStrategy<Generated>>;

thread_local! {
    /// The case strategies this thread has built, by domain and directed class: building one (a union of
    /// every class's example) costs about as much as drawing a case from it, so each is built once.
    static STRATEGIES: RefCell<Strategies> = RefCell::new(HashMap::new());
}

/// The strategy of `domain`'s cases directed at class `target` (an index into `classes::CLASSES`), or of
/// its general cases.
fn strategy(domain: Domain, target: Option<usize>) -> BoxedStrategy<Generated> {
    STRATEGIES.with(|built| {
        built
            .borrow_mut()
            .entry((domain, target))
            .or_insert_with(|| match target {
                Some(class) => directed(domain, class),
                None => cases(domain),
            })
            .clone()
    })
}

/// The tree of generated case `index` of `seed` in `domain`.
pub fn case_tree(domain: Domain, seed: u64, index: u64) -> CaseTree {
    let mut hasher = Sha256::new();
    hasher.update(b"tbjwt generated case");
    hasher.update(seed.to_le_bytes());
    hasher.update(index.to_le_bytes());
    let digest = hasher.finalize();
    let mut key = [0u8; 32];
    key.copy_from_slice(&digest);
    // No failure persistence: the runner only draws (the harness saves failures itself), and unions of
    // class examples clone the runner's config for every option they defer.
    let config = Config { failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let target = crate::classes::of_domain(domain).nth(index as usize).map(|(class, _)| class);
    match strategy(domain, target).new_tree(&mut runner) {
        Ok(tree) => tree,
        // The case strategies have no filters that can reject every value; fall back to an empty event.
        Err(_) => Box::new(
            proptest::strategy::Just(Generated::single(Value::Object(Default::default()), crate::clock::Now::DEFAULT))
                .new_tree(&mut runner)
                .expect("Just never fails"),
        ),
    }
}

/// A seed from the clock, for runs without `--seed`.
pub fn fresh_seed() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

/// The size of an event as its compact JSON text, the measure shrinking minimises.
pub fn event_size(event: &Value) -> usize {
    event.to_string().len()
}

/// The size of a case: its first event's, and each later login's as its case file writes it.
pub fn case_size(case: &Generated) -> usize {
    event_size(&case.event) + case.logins.iter().map(|l| serde_json::to_string(l).map_or(0, |t| t.len())).sum::<usize>()
}

/// The name of a generated case: what it is (its content), not where it fell in this seed's sequence.
pub fn generated_name(case: &Generated) -> String {
    format!("generated-{}", &content_id(case)[..12])
}

/// The content id of a generated case (its first event, clock and later logins).
pub fn content_id(case: &Generated) -> String {
    crate::event::session_content_id(Some(case.now), &case.event, &case.logins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::shrink::search as shrink;

    #[test]
    fn same_seed_same_case_whatever_the_order() {
        for index in [7, 700] {
            let a = case_tree(Domain::Auth0, 42, index).current();
            let _ = case_tree(Domain::Auth0, 42, 3).current();
            assert_eq!(a, case_tree(Domain::Auth0, 42, index).current());
            assert_ne!(a, case_tree(Domain::Auth0, 43, index).current());
        }
    }

    #[test]
    fn shrinking_finds_a_small_event_that_still_fails() {
        // "Fails" when the pipe list has an empty segment: the minimal one is tiny.
        let fails = |c: &Generated| {
            c.event
                .pointer(crate::spec::keys::PIPE_NAMES_POINTER)
                .and_then(Value::as_str)
                .is_some_and(|p| p.split(',').any(str::is_empty))
        };
        let index = (100..600)
            .find(|i| fails(&case_tree(Domain::Auth0, 1, *i).current()))
            .expect("some case has an empty segment");
        let original = case_tree(Domain::Auth0, 1, index).current();
        let (shrunk, steps) = shrink(&mut *case_tree(Domain::Auth0, 1, index), 1000, fails);
        assert!(fails(&shrunk));
        assert!(steps > 0);
        assert!(event_size(&shrunk.event) <= event_size(&original.event));
        let pipes = shrunk.event.pointer(crate::spec::keys::PIPE_NAMES_POINTER).and_then(Value::as_str).unwrap();
        assert!(pipes.len() <= 3, "shrunk pipe names: {pipes:?}");
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;
    use crate::check::shrink::search as shrink;
    use crate::event::Grant;

    #[test]
    fn shrinking_removes_the_logins_a_failure_does_not_need() {
        let fails = |c: &Generated| c.logins.iter().any(|l| l.grant == Grant::RefreshToken);
        let mut shrunk_any = 0;
        for index in 100..2000 {
            let case = case_tree(Domain::Auth0, 5, index).current();
            if !(fails(&case) && case.logins.len() >= 2) {
                continue;
            }
            let (shrunk, _) = shrink(&mut *case_tree(Domain::Auth0, 5, index), 400, fails);
            assert_eq!(shrunk.logins.len(), 1, "case {index}: {:?} from {:?}", shrunk.logins, case.logins);
            shrunk_any += 1;
        }
        assert!(shrunk_any > 5);
    }
}
