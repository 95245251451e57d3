//! [`simplest_first`]: a strategy whose shrinking first tries, in one step, the value the wrapped strategy
//! would shrink to if every candidate failed (its simplest form), and shrinks normally only when that
//! does not reproduce the failure.
//!
//! proptest shrinks a regex string a character at a time and an integer by bisection: an admin token of
//! 50 characters costs some 50 implementation runs, a clock 40, although most failures do not depend on
//! them at all. Wrapped, such a value costs one run when it does not matter, and one run more than before
//! when it does.

use proptest::strategy::{NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::fmt;
use std::sync::Arc;

/// The most simplifications computing a simplest form takes (every strategy here converges far sooner).
const MAX_SIMPLIFICATIONS: usize = 100_000;

/// `strategy`, shrinking to its simplest form first.
pub fn simplest_first<S>(strategy: S) -> SimplestFirst<S>
where
    S: Strategy,
    S::Value: Clone + PartialEq,
{
    SimplestFirst { strategy: Arc::new(strategy) }
}

/// See [`simplest_first`].
pub struct SimplestFirst<S> {
    strategy: Arc<S>,
}

impl<S> Clone for SimplestFirst<S> {
    fn clone(&self) -> Self {
        SimplestFirst { strategy: Arc::clone(&self.strategy) }
    }
}

impl<S: fmt::Debug> fmt::Debug for SimplestFirst<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SimplestFirst").field(&self.strategy).finish()
    }
}

impl<S> Strategy for SimplestFirst<S>
where
    S: Strategy,
    S::Value: Clone + PartialEq,
{
    type Tree = SimplestFirstTree<S>;
    type Value = S::Value;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        // A twin of the runner as it is before drawing: the same draw again, later, gives the same tree,
        // which is then shrunk all the way to find the simplest form (only if shrinking ever starts).
        let twin = runner.clone();
        let tree = self.strategy.new_tree(runner)?;
        Ok(SimplestFirstTree {
            tree,
            twin: Some((Arc::clone(&self.strategy), twin)),
            simplest: None,
            state: State::Drawn,
        })
    }
}

/// Where a [`SimplestFirstTree`] is in its shrinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The drawn value; shrinking has not started.
    Drawn,
    /// Showing the simplest form, to see whether it still fails.
    TryingSimplest,
    /// The simplest form failed too: nothing simpler.
    AtSimplest,
    /// The simplest form passed: shrinking the drawn value normally.
    Shrinking,
}

/// The value tree of [`SimplestFirst`].
pub struct SimplestFirstTree<S: Strategy> {
    tree: S::Tree,
    twin: Option<(Arc<S>, TestRunner)>,
    simplest: Option<S::Value>,
    state: State,
}

impl<S: Strategy> fmt::Debug for SimplestFirstTree<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimplestFirstTree").field("state", &self.state).field("simplest", &self.simplest).finish()
    }
}

impl<S> SimplestFirstTree<S>
where
    S: Strategy,
    S::Value: Clone + PartialEq,
{
    /// The value the drawn tree shrinks to when every candidate is accepted.
    fn compute_simplest(&mut self) -> Option<S::Value> {
        let (strategy, mut twin) = self.twin.take()?;
        let mut tree = strategy.new_tree(&mut twin).ok()?;
        for _ in 0..MAX_SIMPLIFICATIONS {
            if !tree.simplify() {
                break;
            }
        }
        Some(tree.current())
    }
}

impl<S> ValueTree for SimplestFirstTree<S>
where
    S: Strategy,
    S::Value: Clone + PartialEq,
{
    type Value = S::Value;

    fn current(&self) -> S::Value {
        match (self.state, &self.simplest) {
            (State::TryingSimplest | State::AtSimplest, Some(simplest)) => simplest.clone(),
            _ => self.tree.current(),
        }
    }

    fn simplify(&mut self) -> bool {
        match self.state {
            State::Drawn => {
                self.simplest = self.compute_simplest();
                if self.simplest.as_ref().is_some_and(|s| *s != self.tree.current()) {
                    self.state = State::TryingSimplest;
                    true
                } else {
                    self.state = State::Shrinking;
                    self.tree.simplify()
                }
            }
            State::TryingSimplest => {
                // The simplest form still fails: keep it.
                self.state = State::AtSimplest;
                false
            }
            State::AtSimplest => false,
            State::Shrinking => self.tree.simplify(),
        }
    }

    fn complicate(&mut self) -> bool {
        match self.state {
            // The simplest form passed: back to the drawn value (known to fail), to shrink it normally.
            State::TryingSimplest => {
                self.state = State::Shrinking;
                true
            }
            State::Shrinking => self.tree.complicate(),
            State::Drawn | State::AtSimplest => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng};

    fn runner() -> TestRunner {
        TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
    }

    #[test]
    fn draws_what_the_wrapped_strategy_draws() {
        let plain = "[a-z]{10,40}".new_tree(&mut runner()).unwrap().current();
        let wrapped = simplest_first("[a-z]{10,40}").new_tree(&mut runner()).unwrap().current();
        assert_eq!(plain, wrapped);
    }
}
