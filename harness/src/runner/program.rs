//! Protocol programs as runners: `cmd:` programs on stdin/stdout and the Node.js Actions runtime on
//! stdin/fd 3. One long-lived process serves many cases; cases are pipelined (all requests of a batch are
//! sent, then the replies collected in order), and any failure kills the process, makes that case
//! `errored`, and the following cases go to a fresh process.

use std::process::Command;
use std::time::Duration;

use super::channel::{ProtocolProcess, ReplyStream};
use super::protocol::{self, Hello, MockUrls, Reply};
use super::{Errored, RunRequest, RunResult, Runner, RunnerSettings, MAX_FAILED_STARTS};
use crate::node::{ensure_runtime, modules_for, ActionSource, NodeError};
use crate::outcome::{Effects, FileEffect, Outcome, SandboxEventKind};
use crate::sandbox::{Confinement, ProgramFiles, SandboxSettings};

/// Checks (and repairs) what a program is started from, before every start.
type Verify = Box<dyn Fn() -> Result<(), NodeError> + Send + Sync>;

/// How to start one protocol program.
pub struct Launcher {
    name: String,
    program: String,
    args: Vec<std::ffi::OsString>,
    stream: ReplyStream,
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    verify: Option<Verify>,
    files: ProgramFiles,
    /// For a deployed custom Action: what it is given instead of the case's reference-shaped event.
    custom: Option<crate::node::custom::CustomInputs>,
}

impl Launcher {
    /// A `cmd:` program: `argv[0]` with the rest as arguments, replying on stdout.
    pub fn program(argv: &[String]) -> Launcher {
        // Its own files: the program and every argument that names an existing file or folder.
        let reads = argv.iter().skip(1).map(std::path::PathBuf::from).filter(|p| p.exists()).collect();
        Launcher {
            name: format!(
                "cmd:{}",
                shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
            ),
            program: argv.first().cloned().unwrap_or_default(),
            args: argv.iter().skip(1).map(Into::into).collect(),
            stream: ReplyStream::Stdout,
            env: Vec::new(),
            verify: None,
            files: ProgramFiles { program: argv.first().cloned().unwrap_or_default().into(), reads },
            custom: None,
        }
    }

    /// The Node.js Actions runtime loaded with `action`. Installs the runtime and the action's declared
    /// dependencies first (once per machine), so a missing npm package is reported before any case runs.
    /// The memory cap of `sandbox` bounds Node's heap too (three quarters of it).
    pub fn node(
        name: String,
        action: &ActionSource,
        sandbox: &SandboxSettings,
        actions_runtime: crate::runner::ActionsRuntime,
    ) -> Result<Launcher, NodeError> {
        let mut args: Vec<std::ffi::OsString> = Vec::new();
        if sandbox.mode != crate::sandbox::SandboxMode::Off {
            args.push(format!("--max-old-space-size={}", sandbox.max_memory_mib * 3 / 4).into());
        }
        let runtime = ensure_runtime()?;
        args.extend([runtime.script().into(), "--action".into(), action.file.clone().into()]);
        args.extend(["--runtime".into(), actions_runtime.name().into()]);
        let mut env = Vec::new();
        let mut reads = vec![runtime.dir.clone(), action.file.clone()];
        if let Some(modules) = modules_for(action, &runtime)? {
            reads.push(modules.clone());
            // Every module the action requires (its own siblings too) sees the declared dependencies.
            env.push(("NODE_PATH".into(), modules.clone().into()));
            args.push("--modules".into());
            args.push(modules.into());
        }
        // Before every start, the runtime and the packages are checked (and repaired) again: the action
        // of an earlier process may have rewritten them.
        let source = action.clone();
        let verify: Verify = Box::new(move || {
            let runtime = ensure_runtime()?;
            modules_for(&source, &runtime).map(|_| ())
        });
        let files = ProgramFiles { program: "node".into(), reads };
        let custom = action.deployed.as_ref().map(|d| d.inputs.clone());
        Ok(Launcher {
            name,
            program: "node".into(),
            args,
            stream: ReplyStream::Fd3,
            env,
            verify: Some(verify),
            files,
            custom,
        })
    }

    /// The event the program is given for a case's `event`.
    fn given<'e>(&self, event: &'e serde_json::Value) -> std::borrow::Cow<'e, serde_json::Value> {
        match &self.custom {
            Some(custom) => std::borrow::Cow::Owned(custom.as_given(event)),
            None => std::borrow::Cow::Borrowed(event),
        }
    }

    /// Starts the program, in `sandbox` (reaching the mocks at `mock_ports`).
    fn spawn(&self, sandbox: &SandboxSettings, mock_ports: &[u16]) -> Result<ProtocolProcess, Errored> {
        let fail = |e: &dyn std::fmt::Display| Errored::new(format!("{}: {e}", self.name));
        if let Some(verify) = &self.verify {
            verify().map_err(|e| fail(&e))?;
        }
        let mut command = Command::new(&self.program);
        command.args(&self.args);
        let confinement = Confinement::new(sandbox, crate::sandbox::support(), &self.files, &self.env, mock_ports)
            .map_err(|e| fail(&e))?;
        if confinement.is_none() {
            command.envs(self.env.iter().map(|(k, v)| (k, v)));
        }
        ProtocolProcess::spawn(command, self.stream, confinement).map_err(|e| fail(&e))
    }
}

/// The ports of `mocks`' URLs (`http://127.0.0.1:PORT/…`).
fn ports_of(mocks: &MockUrls) -> impl Iterator<Item = u16> + '_ {
    [&mocks.auth0, &mocks.tinybird].into_iter().filter_map(|url| {
        let authority = url.split("://").nth(1)?.split('/').next()?;
        authority.rsplit_once(':')?.1.parse().ok()
    })
}

/// Adds what the sandbox recorded for the case just answered to its outcome, and says whether the
/// program started processes (which must then not outlive the case).
fn add_sandbox_records(process: &ProtocolProcess, outcome: &mut Outcome) -> bool {
    let Some((events, written)) = process.sandbox_records() else { return false };
    if events.is_empty() && written.is_empty() {
        return false;
    }
    let spawned = events.iter().any(|e| e.kind == SandboxEventKind::SpawnsProcesses);
    let effects = outcome.effects.get_or_insert_with(Effects::default);
    effects.sandbox = events;
    for path in written {
        let data = read_start(&path);
        effects.files.push(FileEffect { path: path.display().to_string(), data });
    }
    spawned
}

/// What the sandbox refused a program while it started (its processes, which a launcher may start, left
/// out), the first five and how many more; `None` when nothing was refused.
fn refused_while_starting(
    records: Option<(Vec<crate::outcome::SandboxEvent>, Vec<std::path::PathBuf>)>,
) -> Option<String> {
    const SHOWN: usize = 5;
    let (events, _) = records?;
    let refused: Vec<String> = events
        .iter()
        .filter(|e| e.kind != SandboxEventKind::SpawnsProcesses)
        .map(|e| format!("{} {}", serde_json::to_value(e.kind).unwrap_or_default().as_str().unwrap_or(""), e.detail))
        .collect();
    if refused.is_empty() {
        return None;
    }
    let mut text = refused.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if refused.len() > SHOWN {
        text.push_str(&format!("; and {} more", refused.len() - SHOWN));
    }
    Some(text)
}

/// What runtimes print when an allocation fails.
const OUT_OF_MEMORY: [&str; 5] =
    ["heap out of memory", "MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory"];

/// `message`, with a word on the sandbox's memory cap when the program's output says it ran out of memory.
fn memory_hint(message: String, settings: &RunnerSettings) -> String {
    if settings.sandbox.mode == crate::sandbox::SandboxMode::Off || !OUT_OF_MEMORY.iter().any(|m| message.contains(m)) {
        return message;
    }
    format!(
        "{message}\n(out of memory under the sandbox's memory cap of {} MiB per implementation process: --max-memory raises it)",
        settings.sandbox.max_memory_mib
    )
}

/// The first 64 KiB of a file, as text (what the secret search looks in).
fn read_start(path: &std::path::Path) -> String {
    use std::io::Read;
    let mut bytes = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(64 * 1024).read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

struct Live {
    process: ProtocolProcess,
    seq: u64,
    /// The mock ports its sandbox lets it reach.
    mock_ports: Vec<u16>,
}

/// A runner over a protocol program.
pub struct ProgramRunner {
    launcher: Launcher,
    settings: RunnerSettings,
    live: Option<Live>,
    hello: Option<Hello>,
    failed_starts: u32,
    last_start_error: String,
    /// The mocks' ports its processes may connect to.
    mock_ports: Vec<u16>,
}

impl ProgramRunner {
    /// A runner that starts `launcher`'s program on first use (or on [`ProgramRunner::start`]).
    pub fn new(launcher: Launcher, settings: RunnerSettings) -> ProgramRunner {
        ProgramRunner {
            launcher,
            settings,
            live: None,
            hello: None,
            failed_starts: 0,
            last_start_error: String::new(),
            mock_ports: Vec::new(),
        }
    }

    /// Lets the program's sandbox reach `mocks` too; a live process that cannot is restarted.
    fn reach<'m>(&mut self, mocks: impl IntoIterator<Item = &'m MockUrls>) {
        let before = self.mock_ports.len();
        for port in mocks.into_iter().flat_map(ports_of) {
            if !self.mock_ports.contains(&port) {
                self.mock_ports.push(port);
            }
        }
        if self.mock_ports.len() != before && self.live.as_ref().is_some_and(|l| l.mock_ports != self.mock_ports) {
            self.stop();
        }
    }

    /// Starts the program now and returns its answer to `start`.
    pub fn start(&mut self) -> Result<&Hello, Errored> {
        self.live()?;
        Ok(self.hello.as_ref().expect("a live process has answered start"))
    }

    fn live(&mut self) -> Result<&mut Live, Errored> {
        if self.live.is_none() {
            if self.failed_starts >= MAX_FAILED_STARTS {
                return Err(Errored::fatal(format!(
                    "{} failed to start {} times in a row; the last time: {}",
                    self.launcher.name, self.failed_starts, self.last_start_error
                )));
            }
            match self.start_process() {
                Ok(live) => {
                    self.failed_starts = 0;
                    self.live = Some(live);
                }
                Err(e) => {
                    self.failed_starts += 1;
                    self.last_start_error = e.message.clone();
                    return Err(e);
                }
            }
        }
        Ok(self.live.as_mut().expect("just set"))
    }

    fn start_process(&mut self) -> Result<Live, Errored> {
        let mut process = self.launcher.spawn(&self.settings.sandbox, &self.mock_ports)?;
        let name = &self.launcher.name;
        let timeout = self.settings.start_timeout;
        // A program that cannot start in the sandbox is told what the sandbox refused it meanwhile.
        let failed = |process: &ProtocolProcess, message: String| {
            let refused = refused_while_starting(process.sandbox_records_so_far()).map_or_else(String::new, |r| {
                format!("\n(the sandbox refused it while it started: {r}; --allow-read PATH lets it read more)")
            });
            Errored::new(format!("{}{refused}", memory_hint(message, &self.settings)))
        };
        let answer = match process.request(&protocol::start_message(), timeout) {
            Ok(answer) => answer,
            Err(e) => return Err(failed(&process, format!("{name} did not start within {timeout:?}: {e}"))),
        };
        let hello = match protocol::parse_hello(answer) {
            Ok(hello) => hello,
            Err(e) => return Err(failed(&process, format!("{name} did not start: {e}{}", process.context()))),
        };
        self.hello = Some(hello);
        if let Some(refused) = refused_while_starting(process.sandbox_records()) {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "tbjwt: {name} attempted while starting (refused): {refused}");
        }
        Ok(Live { process, seq: 0, mock_ports: self.mock_ports.clone() })
    }

    fn kill(&mut self) {
        if let Some(mut live) = self.live.take() {
            live.process.kill();
        }
    }
}

impl Runner for ProgramRunner {
    fn describe(&self) -> String {
        self.launcher.name.clone()
    }

    fn honours_now(&self) -> bool {
        self.hello.as_ref().and_then(|h| h.honours_now).unwrap_or(true)
    }

    fn prepare(&mut self) -> Result<(), Errored> {
        self.start().map(|_| ())
    }

    fn allow_mocks(&mut self, mocks: &MockUrls) {
        self.reach([mocks]);
    }

    fn run(&mut self, request: &RunRequest<'_>) -> RunResult {
        self.run_batch(std::slice::from_ref(request)).pop().expect("one result per request")
    }

    fn run_batch(&mut self, requests: &[RunRequest<'_>]) -> Vec<RunResult> {
        self.run_batch_while(requests, &mut || {})
    }

    fn run_batch_while(&mut self, requests: &[RunRequest<'_>], meanwhile: &mut dyn FnMut()) -> Vec<RunResult> {
        let mut meanwhile = Some(meanwhile);
        self.reach(requests.iter().filter_map(|r| r.mocks));
        let timeout = self.settings.case_timeout;
        let settings = self.settings.clone();
        let given: Vec<std::borrow::Cow<'_, serde_json::Value>> =
            requests.iter().map(|r| self.launcher.given(r.event)).collect();
        let mut results: Vec<RunResult> = Vec::with_capacity(requests.len());
        while results.len() < requests.len() {
            let pending = &requests[results.len()..];
            let live = match self.live() {
                Ok(live) => live,
                Err(e) => {
                    self.kill();
                    results.push(Err(e));
                    continue;
                }
            };
            let first_seq = live.seq + 1;
            let mut sent = 0u64;
            for (r, event) in pending.iter().zip(&given[results.len()..]) {
                let line = protocol::run_message(first_seq + sent, r.now, event, r.mocks, r.instance);
                if live.process.send(&line).is_err() {
                    break; // the process is gone; receiving tells why
                }
                sent += 1;
            }
            live.seq = first_seq + sent.max(1) - 1;
            if let Some(work) = meanwhile.take() {
                work();
            }
            let mut broken = false;
            for k in 0..sent.max(1) {
                let seq = first_seq + k;
                let received = live.process.receive(timeout);
                let judged = match received {
                    Ok(value) => protocol::parse_reply(value, seq)
                        .map_err(|v| Errored::new(format!("protocol violation: {v}{}", live.process.context()))),
                    Err(e) => Err(Errored::new(memory_hint(e.to_string(), &settings))),
                };
                match judged {
                    Ok(Reply::Outcome(mut outcome)) => {
                        let started_processes = add_sandbox_records(&live.process, &mut outcome);
                        results.push(Ok(outcome));
                        if started_processes {
                            // What it started must not outlive the case: its whole process group goes,
                            // and the cases sent after this one go to a fresh process.
                            broken = true;
                            break;
                        }
                    }
                    Ok(Reply::Errored(message)) => results.push(Err(Errored::new(message))),
                    Err(e) => {
                        results.push(Err(e));
                        broken = true;
                        break;
                    }
                }
            }
            if broken {
                self.kill();
            }
        }
        if let Some(work) = meanwhile.take() {
            work(); // nothing could be sent: the work is still owed once
        }
        results
    }

    fn stop(&mut self) {
        if let Some(live) = self.live.take() {
            live.process.stop(Duration::from_millis(500));
        }
    }
}

impl Drop for ProgramRunner {
    fn drop(&mut self) {
        self.stop();
    }
}
