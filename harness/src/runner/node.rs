//! The Node.js Actions runtime worker: one long-lived `node` process that loads an action once and
//! serves many cases over protocol v1 on file descriptor 3.

use std::process::Command;
use std::time::Duration;

use super::channel::{ChannelError, ProtocolProcess, ReplyStream};
use super::protocol::{self, Hello, MockUrls, Reply, Violation};
use crate::node::{ensure_dependencies, ensure_runtime, ActionSource, NodeError};

/// Why a worker could not start or serve a case.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Installing the runtime or the action's dependencies failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// The process misbehaved.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// A reply broke the protocol.
    #[error(transparent)]
    Protocol(#[from] Violation),
}

/// A started worker for one action.
pub struct NodeWorker {
    process: ProtocolProcess,
    hello: Hello,
    seq: u64,
}

/// How long a worker may take to load its action and answer `start`.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

impl NodeWorker {
    /// Installs what is needed (once per machine) and starts a worker for `action`.
    pub fn start(action: &ActionSource) -> Result<NodeWorker, WorkerError> {
        let runtime = ensure_runtime()?;
        let modules = match &action.dependencies {
            None => Some(runtime.node_modules()),
            Some(deps) => ensure_dependencies(deps)?,
        };
        let mut command = Command::new("node");
        command
            .arg(runtime.script())
            .arg("--action")
            .arg(&action.file);
        if let Some(modules) = modules {
            command.arg("--modules").arg(modules);
        }
        let mut process =
            ProtocolProcess::spawn(command, ReplyStream::Fd3).map_err(|e| match e {
                ChannelError::Spawn { program, source }
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    WorkerError::Node(NodeError::Missing { program, source })
                }
                other => WorkerError::Channel(other),
            })?;
        let hello =
            protocol::parse_hello(process.request(&protocol::start_message(), START_TIMEOUT)?)?;
        Ok(NodeWorker {
            process,
            hello,
            seq: 0,
        })
    }

    /// The runtime's answer to `start`.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Runs one case. On `Err` the worker is unusable (killed or exited) and must be replaced.
    pub fn run(
        &mut self,
        now: i64,
        event: &serde_json::Value,
        mocks: Option<&MockUrls>,
        timeout: Duration,
    ) -> Result<Reply, WorkerError> {
        self.seq += 1;
        let line = protocol::run_message(self.seq, now, event, mocks);
        let reply = self.process.request(&line, timeout)?;
        Ok(protocol::parse_reply(reply, self.seq)?)
    }

    /// Stops the worker politely.
    pub fn stop(self) {
        self.process.stop(Duration::from_millis(500));
    }
}
