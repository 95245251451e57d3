//! Runners: what executes an implementation of the action and returns its [`Outcome`].
//!
//! One trait, [`Runner`], with four implementations behind the names users write (see
//! [`Implementation`]):
//!
//! | name              | runner                                                             |
//! |-------------------|--------------------------------------------------------------------|
//! | `reference`       | the built-in spec, in-process                                      |
//! | `node:PATH`       | an Auth0 Action in the Node.js emulation of the Actions runtime   |
//! | `cmd:COMMAND LINE`| any program speaking protocol v1 on stdin/stdout                   |
//! | `http(s)://…`     | an endpoint that takes the `run` message as a POST                |
//!
//! A Rust port is checked in-process through [`from_fn`] (or its own `Runner` impl). A run that the
//! implementation could not complete (crash, hang, protocol violation) is an [`Errored`], never a panic
//! and never confused with a divergence: `Errored` is not `failed`.

pub mod channel;
mod func;
#[cfg(feature = "full")]
mod http;
mod implementation;
mod program;
pub mod protocol;
mod reference;
pub(crate) mod reply_text;

pub use func::{from_fn, FnRunner};
#[cfg(feature = "full")]
pub use http::HttpRunner;
pub use implementation::{action_runtime, Implementation, ImplementationParseError, StartError};
pub use program::{Launcher, ProgramRunner};
pub use reference::ReferenceRunner;

use std::time::Duration;

use crate::clock::Now;
use crate::outcome::Outcome;
use crate::sandbox::SandboxSettings;
use protocol::MockUrls;

/// One case to run.
#[derive(Debug, Clone, Copy)]
pub struct RunRequest<'a> {
    /// The clock, to the millisecond.
    pub now: Now,
    /// The post-login event.
    pub event: &'a serde_json::Value,
    /// The mocked services' base URLs, when the case runs inside a login flow.
    pub mocks: Option<&'a MockUrls>,
    /// The instance of the action this execution runs in: executions with the same id share the action's
    /// module scope on Auth0's Node 22 runtime (a case and its later logins, [`ActionsRuntime`]); `None`:
    /// the process's own instance.
    pub instance: Option<u64>,
}

/// The Auth0 Actions runtime whose behaviour an Action runs with ([Node 22
/// runtime](https://auth0.com/docs/customize/extensibility-runtime/runtimes/node-22)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "full", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ActionsRuntime {
    /// Node 18: the action's module-level code runs for every execution.
    Node18,
    /// Node 22: module-level code runs once per instance and is reused across executions (here: an
    /// instance per case, kept for the case's later logins).
    #[default]
    Node22,
}

impl ActionsRuntime {
    /// Its name, as `--runtime` and Auth0 spell it.
    pub fn name(self) -> &'static str {
        match self {
            ActionsRuntime::Node18 => "node18",
            ActionsRuntime::Node22 => "node22",
        }
    }

    /// The runtime Auth0 spells `name` (`node18`, `node22`), if it is one tbjwt emulates.
    pub fn named(name: &str) -> Option<ActionsRuntime> {
        [ActionsRuntime::Node18, ActionsRuntime::Node22].into_iter().find(|r| r.name() == name)
    }
}

/// The implementation itself broke on a case (crashed, hung, broke the protocol, failed to load).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Errored {
    /// What happened, with the program's output tail when there is one.
    pub message: String,
    /// The implementation cannot run any case (it failed to start too often): a run should stop.
    pub fatal: bool,
}

impl Errored {
    /// An `Errored` with `message`.
    pub fn new(message: impl Into<String>) -> Errored {
        Errored { message: message.into(), fatal: false }
    }

    /// An `Errored` after which no case can run.
    pub fn fatal(message: impl Into<String>) -> Errored {
        Errored { message: message.into(), fatal: true }
    }
}

/// What one run gives: the outcome, or how the implementation broke.
pub type RunResult = Result<Outcome, Errored>;

/// Settings every runner honours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerSettings {
    /// How long one case may take (Auth0's own limit is 20 s for a whole flow).
    pub case_timeout: Duration,
    /// How long a program may take to start and answer `start`.
    pub start_timeout: Duration,
    /// The sandbox programs start in.
    pub sandbox: SandboxSettings,
    /// The Actions runtime a `node:` action runs with, unless its artifact declares one.
    pub runtime: ActionsRuntime,
    /// Which action of a deployed artifact runs, and the secret names it reads the reference's inputs
    /// under.
    pub artifact: crate::node::ArtifactChoice,
}

/// Failed starts in a row after which a process-backed runner gives up (every later case is errored at
/// once, and `check` stops).
pub const MAX_FAILED_STARTS: u32 = 3;

/// The default per-case limit of an Action in the Node runtime: Auth0's limit on a flow's execution
/// ([Actions limitations](https://auth0.com/docs/customize/actions/limitations)).
pub const NODE_DEFAULT_TIMEOUT_SECONDS: u64 = 20;

impl RunnerSettings {
    /// Settings for a per-case timeout: a program may take four times as long to start, at least 2 s and
    /// at most 60 s (`--timeout 5`, the default, gives 20 s).
    pub fn with_case_timeout(case_timeout: Duration) -> RunnerSettings {
        let start = case_timeout.saturating_mul(4).clamp(Duration::from_secs(2), Duration::from_secs(60));
        RunnerSettings {
            case_timeout,
            start_timeout: start,
            sandbox: SandboxSettings::default(),
            runtime: ActionsRuntime::default(),
            artifact: crate::node::ArtifactChoice::default(),
        }
    }

    /// These settings with `artifact`.
    pub fn with_artifact(self, artifact: crate::node::ArtifactChoice) -> RunnerSettings {
        RunnerSettings { artifact, ..self }
    }

    /// These settings with `runtime`.
    pub fn with_runtime(self, runtime: ActionsRuntime) -> RunnerSettings {
        RunnerSettings { runtime, ..self }
    }

    /// These settings with `sandbox`.
    pub fn with_sandbox(self, sandbox: SandboxSettings) -> RunnerSettings {
        RunnerSettings { sandbox, ..self }
    }
}

impl Default for RunnerSettings {
    fn default() -> Self {
        RunnerSettings::with_case_timeout(Duration::from_secs(5))
    }
}

/// Something that runs the action. Runners are used from one thread at a time; run several for
/// parallelism.
pub trait Runner: Send {
    /// A short description for reports (`node:fixtures/…`, the program's own name, …).
    fn describe(&self) -> String;

    /// Whether the implementation takes the case's `now` as its clock. One that does not is still
    /// checked at the semantic level, with `iat` against the wall clock.
    fn honours_now(&self) -> bool {
        true
    }

    /// Gets ready to run (starts a process, loads the action), so that a broken implementation is
    /// reported before any case. Running without preparing first is fine too.
    fn prepare(&mut self) -> Result<(), Errored> {
        Ok(())
    }

    /// Lets the implementation reach `mocks` (its sandbox allows connections to their ports only): call
    /// it before [`Runner::prepare`], so that a process is not started twice.
    fn allow_mocks(&mut self, _mocks: &MockUrls) {}

    /// Runs one case.
    fn run(&mut self, request: &RunRequest<'_>) -> RunResult;

    /// Runs several cases, in order. Process-backed runners pipeline them; the default runs them one by one.
    fn run_batch(&mut self, requests: &[RunRequest<'_>]) -> Vec<RunResult> {
        requests.iter().map(|r| self.run(r)).collect()
    }

    /// Runs several cases like [`Runner::run_batch`], calling `meanwhile` once while the implementation
    /// works on them: process-backed runners call it after sending the requests, so that the caller's own
    /// work (computing the reference, say) overlaps the implementation's. The default calls it first.
    fn run_batch_while(&mut self, requests: &[RunRequest<'_>], meanwhile: &mut dyn FnMut()) -> Vec<RunResult> {
        meanwhile();
        self.run_batch(requests)
    }

    /// Releases what the runner holds (processes); it may be used again afterwards.
    fn stop(&mut self) {}
}

impl Runner for Box<dyn Runner> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn honours_now(&self) -> bool {
        (**self).honours_now()
    }
    fn prepare(&mut self) -> Result<(), Errored> {
        (**self).prepare()
    }
    fn allow_mocks(&mut self, mocks: &MockUrls) {
        (**self).allow_mocks(mocks)
    }
    fn run(&mut self, request: &RunRequest<'_>) -> RunResult {
        (**self).run(request)
    }
    fn run_batch(&mut self, requests: &[RunRequest<'_>]) -> Vec<RunResult> {
        (**self).run_batch(requests)
    }
    fn run_batch_while(&mut self, requests: &[RunRequest<'_>], meanwhile: &mut dyn FnMut()) -> Vec<RunResult> {
        (**self).run_batch_while(requests, meanwhile)
    }
    fn stop(&mut self) {
        (**self).stop()
    }
}
