//! Closures as runners, so a Rust port is checked in-process from its own `cargo test`:
//!
//! ```
//! use harness::runner::{from_fn, Runner, RunRequest};
//! use harness::{clock::Now, outcome::Outcome};
//! let mut port = from_fn("my-port", |_now, _event| Outcome::completed());
//! let event = serde_json::json!({});
//! let outcome = port.run(&RunRequest { now: Now::DEFAULT, event: &event, mocks: None, instance: None }).unwrap();
//! assert!(outcome.calls.is_empty());
//! ```

use super::{RunRequest, RunResult, Runner};
use crate::clock::Now;
use crate::outcome::Outcome;

/// A runner made of a function `(now, event) -> Outcome` (`now.seconds()` is the `iat` to write).
pub struct FnRunner<F> {
    name: String,
    f: F,
}

/// Wraps `f` as a runner named `name`.
pub fn from_fn<F>(name: impl Into<String>, f: F) -> FnRunner<F>
where
    F: FnMut(Now, &serde_json::Value) -> Outcome + Send,
{
    FnRunner { name: name.into(), f }
}

impl<F> Runner for FnRunner<F>
where
    F: FnMut(Now, &serde_json::Value) -> Outcome + Send,
{
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn run(&mut self, request: &RunRequest<'_>) -> RunResult {
        Ok((self.f)(request.now, request.event))
    }
}
