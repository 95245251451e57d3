//! The outcome of running the action once: the single currency between the spec, the runners, the
//! comparator, the reports and the snapshots (docs/design.md).
//!
//! ```json
//! {"status":"completed","error":null,"logs":["Tinybird JWT token set for user"],
//!  "calls":[{"api":"user.setAppMetadata","args":["tinybirdJWT","<jwt>"]}]}
//! ```
//! Unknown fields are ignored when an outcome is read, so that implementations may add their own.

use serde::{Deserialize, Serialize};

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It returned (or its promise resolved).
    Completed,
    /// It threw (or its promise rejected).
    Threw,
}

/// The error an action threw. Conformance compares `name`; `message` is informative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrownError {
    /// The JavaScript error class name: `TypeError`, `Error`, ...
    pub name: String,
    /// The error message.
    pub message: String,
}

/// One call the action made on the Auth0 `api` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiCall {
    /// The dotted method path, for example `user.setAppMetadata` or `access.deny`.
    pub api: String,
    /// The arguments, as JSON.
    pub args: Vec<serde_json::Value>,
}

impl ApiCall {
    /// A call with string arguments.
    pub fn new(api: &str, args: impl IntoIterator<Item = String>) -> Self {
        Self { api: api.to_owned(), args: args.into_iter().map(serde_json::Value::String).collect() }
    }
}

/// What one run of the action did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// `completed` or `threw`.
    pub status: Status,
    /// The thrown error, when `status` is `threw`.
    pub error: Option<ThrownError>,
    /// One string per `console.*` call, formatted as Node's `util.format`.
    #[serde(default)]
    pub logs: Vec<String>,
    /// Every `api` call, in order.
    #[serde(default)]
    pub calls: Vec<ApiCall>,
    /// What else the action did that the world could see (written by the Node runtime; absent when
    /// nothing was done). Not compared: the flow looks in it for secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effects: Option<Effects>,
}

/// Side effects of one run, as the Node runtime records them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    /// Text written with `process.stdout.write` or `process.stderr.write` (not through `console`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
    /// Outbound connections and what was written on them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<NetworkEffect>,
    /// Files written, and what was written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileEffect>,
    /// What the harness's sandbox saw the implementation attempt, in any language (the kernel's view:
    /// processes started, connections, datagrams and files refused). Added by the runner, never read from
    /// the implementation's own reply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sandbox: Vec<SandboxEvent>,
}

/// One thing the sandbox saw the implementation attempt during a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxEvent {
    /// What it was.
    pub kind: SandboxEventKind,
    /// Where it went or what it touched (a path, `host:port`), never a secret's value.
    pub detail: String,
}

/// The kinds of attempt the sandbox reports. Each is a security finding where the reference makes none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxEventKind {
    /// It started a process (fork, vfork, clone without a shared thread group).
    SpawnsProcesses,
    /// It tried to connect to something that is not one of the case's mocks (refused).
    ConnectsOutsideMocks,
    /// It tried to resolve a name (read the resolver's configuration, or reach port 53; refused).
    ResolvesNames,
    /// It tried to send a datagram (a UDP socket; refused).
    SendsUdp,
    /// It tried to write, create or remove a file outside its private temp folder (refused).
    WritesOutsideSandbox,
    /// It tried to read a file outside its own folder, its runtime and its dependencies (refused).
    ReadsOutsideSandbox,
}

/// One outbound connection (TCP, TLS, HTTP, `fetch`, UDP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkEffect {
    /// `host:port` (or a socket path).
    pub to: String,
    /// What was written on it, as text (before TLS; cut at 64 KiB).
    #[serde(default)]
    pub data: String,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEffect {
    /// The file.
    pub path: String,
    /// What was written, as text (cut at 64 KiB).
    #[serde(default)]
    pub data: String,
}

impl Outcome {
    /// An outcome that completed with no logs and no calls yet.
    pub fn completed() -> Self {
        Self { status: Status::Completed, error: None, logs: Vec::new(), calls: Vec::new(), effects: None }
    }

    /// Marks the outcome as thrown with `name: message`, keeping the logs and calls made before.
    pub fn throw(&mut self, name: &str, message: impl Into<String>) {
        self.status = Status::Threw;
        self.error = Some(ThrownError { name: name.to_owned(), message: message.into() });
    }

    /// The string arguments of every call to `api`, in order (for example every token stored).
    pub fn string_args_of<'a>(&'a self, api: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.calls.iter().filter(move |c| c.api == api).flat_map(|c| c.args.iter().filter_map(|a| a.as_str()))
    }
}
