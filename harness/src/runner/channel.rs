//! A child process that speaks protocol v1 (JSON lines): spawn, handshake, one request at a time with a
//! deadline, and everything needed to explain a failure (exit status, stderr tail).
//!
//! Replies are read on a thread and handed over through a channel, so a deadline is a `recv_timeout` and
//! a hung program is killed, never waited on. The reply stream is the child's stdout (`cmd:` programs)
//! or its file descriptor 3 (the Node runtime, whose action may write anything to stdout).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};

use crate::outcome::SandboxEvent;
use crate::sandbox::{Confinement, Started};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the child writes its replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyStream {
    /// Standard output.
    Stdout,
    /// File descriptor 3 (stdout is then drained and kept as context only).
    Fd3,
}

/// Why a request got no usable reply. Each of these makes a case `errored`.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The program could not be started.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// No reply within the deadline (the program was killed).
    #[error("no reply within {0:?} (killed){1}")]
    Timeout(Duration, Context),
    /// The program exited or closed its reply stream.
    #[error("the program exited ({0}){1}")]
    Exited(String, Context),
    /// A reply line longer than `reply_text::MAX_REPLY_BYTES` (the program was killed).
    #[error("a reply line is longer than {limit} bytes (killed){0}", limit = super::reply_text::MAX_REPLY_BYTES)]
    TooLong(Context),
    /// A reply line that is not JSON.
    #[error("the reply is not JSON ({error}): {line:?}{context}")]
    NotJson {
        /// The offending line (cut to 300 characters).
        line: String,
        /// The parser's message.
        error: String,
        /// stderr tail.
        context: Context,
    },
    /// Writing the request failed.
    #[error("cannot send the request: {0}{1}")]
    Send(std::io::Error, Context),
}

/// The tail of what the program wrote to stderr (and stdout, when that is not the reply stream).
#[derive(Debug, Default, Clone)]
pub struct Context(pub String);

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.trim().is_empty() {
            Ok(())
        } else {
            write!(f, "\n--- output tail ---\n{}", self.0.trim_end())
        }
    }
}

const TAIL_BYTES: usize = 2048;

/// Process groups of the live protocol programs, so that an interrupted run can end them all.
static LIVE_GROUPS: std::sync::Mutex<std::collections::BTreeSet<i32>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());
/// Set by [`end_all_processes`]: no program starts after it.
static ENDING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn live_groups() -> std::sync::MutexGuard<'static, std::collections::BTreeSet<i32>> {
    LIVE_GROUPS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Kills every process group of a live protocol program (each program and whatever it started), removes
/// their sandboxes' private folders, and refuses to start any program from now on. For a process that is
/// stopping (an interrupted run).
pub fn end_all_processes() {
    ENDING.store(true, std::sync::atomic::Ordering::SeqCst);
    for group in std::mem::take(&mut *live_groups()) {
        // SAFETY: killpg has no memory-safety preconditions; a group that is gone gives ESRCH.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
    }
    // Their private folders too: an abandoned case's runner is never dropped.
    crate::sandbox::remove_private_dirs();
}

type Tail = Arc<Mutex<VecDeque<u8>>>;

fn drain_into_tail(mut source: impl Read + Send + 'static, tail: Tail) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = source.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
            t.extend(&buf[..n]);
            let excess = t.len().saturating_sub(TAIL_BYTES);
            t.drain(..excess);
        }
    });
}

/// A running protocol program.
pub struct ProtocolProcess {
    program: String,
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<std::io::Result<String>>,
    tail: Tail,
    /// Its sandbox, when it runs in one (dropped after the process is killed).
    sandbox: Option<Started>,
    /// Reply lines received so far (1 after the answer to `start`).
    lines_received: u64,
}

impl ProtocolProcess {
    /// Spawns `command` with its replies on `stream`, confined by `confinement` when there is one.
    pub fn spawn(
        mut command: Command,
        stream: ReplyStream,
        confinement: Option<Confinement>,
    ) -> Result<ProtocolProcess, ChannelError> {
        use std::os::unix::process::CommandExt as _;
        let program = command.get_program().to_string_lossy().into_owned();
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        // Its own process group: a Ctrl-C at the terminal stops the harness, which then stops the program,
        // instead of killing the program under a run that is still writing its reports.
        command.process_group(0);
        let spawn_err = |source| ChannelError::Spawn { program: program.clone(), source };
        // The sandbox's hook runs first in the child, before file descriptor 3 is set up below.
        let armed = match confinement {
            Some(confinement) => {
                Some(confinement.arm(&mut command).map_err(|e| spawn_err(std::io::Error::other(e.to_string())))?)
            }
            None => None,
        };
        let (reply_reader, reply_writer) = match stream {
            ReplyStream::Stdout => (None, None),
            ReplyStream::Fd3 => {
                let (r, w) = std::io::pipe().map_err(spawn_err)?;
                (Some(r), Some(w))
            }
        };
        if let Some(writer) = &reply_writer {
            use std::os::fd::AsRawFd;
            use std::os::unix::process::CommandExt;
            let fd = writer.as_raw_fd();
            // SAFETY: between fork and exec only async-signal-safe calls (dup2, fcntl) are made.
            unsafe {
                command.pre_exec(move || {
                    if fd == 3 {
                        let flags = libc::fcntl(3, libc::F_GETFD);
                        if flags < 0 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    } else if libc::dup2(fd, 3) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        if ENDING.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(spawn_err(std::io::Error::other("the harness is stopping")));
        }
        let (mut child, sandbox) = match armed {
            Some(armed) => {
                let (child, started) =
                    armed.spawned(command.spawn()).map_err(|e| spawn_err(std::io::Error::other(e.to_string())))?;
                (child, Some(started))
            }
            None => (command.spawn().map_err(spawn_err)?, None),
        };
        drop(reply_writer); // the child holds the only write end now
        live_groups().insert(child.id() as i32);
        let tail: Tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_BYTES)));
        if let Some(stderr) = child.stderr.take() {
            drain_into_tail(stderr, tail.clone());
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        use std::os::fd::AsRawFd as _;
        let (reply_fd, reply_source): (i32, Box<dyn Read + Send>) = match reply_reader {
            Some(r) => {
                drain_into_tail(stdout, tail.clone());
                (r.as_raw_fd(), Box::new(r))
            }
            None => (stdout.as_raw_fd(), Box::new(stdout)),
        };
        let (tx, rx) = mpsc::channel();
        let log = sandbox.as_ref().map(|s| s.log.clone());
        std::thread::spawn(move || {
            if let Some(log) = &log {
                log.reader_on(reply_fd);
            }
            let mut reader = BufReader::with_capacity(64 * 1024, reply_source);
            let waiting = |idle: bool| {
                if let Some(log) = &log {
                    log.reader_idle(idle);
                }
            };
            loop {
                match read_bounded_line(&mut reader, super::reply_text::MAX_REPLY_BYTES, &waiting) {
                    Ok(None) => break,
                    Ok(Some(line)) => {
                        if line.trim().is_empty() {
                            continue;
                        }
                        if let Some(log) = &log {
                            log.line_read();
                        }
                        if tx.send(Ok(line)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            }
            if let Some(log) = &log {
                log.reader_on(-1);
            }
        });
        let stdin = child.stdin.take();
        Ok(ProtocolProcess { program, child, stdin, replies: rx, tail, sandbox, lines_received: 0 })
    }

    /// What the sandbox saw the program attempt before the reply last received (and after the one
    /// before it), and the files it opened for writing in its private folder meanwhile; `None` when it
    /// runs without the sandbox's supervisor.
    pub fn sandbox_records(&self) -> Option<(Vec<SandboxEvent>, Vec<std::path::PathBuf>)> {
        self.sandbox.as_ref().map(|s| s.log.take_before(self.lines_received))
    }

    /// Everything the sandbox recorded and no reply took yet (what a program that died did before).
    pub fn sandbox_records_so_far(&self) -> Option<(Vec<SandboxEvent>, Vec<std::path::PathBuf>)> {
        self.sandbox.as_ref().map(|s| s.log.take_before(u64::MAX))
    }

    /// The program name, for messages.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// What the program last wrote to stderr (and stdout, when that is not the reply stream).
    pub fn context(&self) -> Context {
        let t = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let (a, b) = t.as_slices();
        let mut bytes = a.to_vec();
        bytes.extend_from_slice(b);
        Context(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn exit_description(&mut self) -> String {
        // Give the process a moment to finish exiting so the status is known.
        for _ in 0..50 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return describe_status(status);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        "reply stream closed".to_owned()
    }

    /// Sends one JSON line.
    pub fn send(&mut self, line: &str) -> Result<(), ChannelError> {
        let result = match self.stdin.as_mut() {
            Some(stdin) => stdin
                .write_all(line.as_bytes())
                .and_then(|()| if line.ends_with('\n') { Ok(()) } else { stdin.write_all(b"\n") })
                .and_then(|()| stdin.flush()),
            None => Err(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdin closed")),
        };
        result.map_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                ChannelError::Exited(self.exit_description(), self.context())
            } else {
                ChannelError::Send(e, self.context())
            }
        })
    }

    /// Waits up to `timeout` for the next reply line, parsed as JSON. On a timeout the program is killed.
    pub fn receive(&mut self, timeout: Duration) -> Result<serde_json::Value, ChannelError> {
        match self.replies.recv_timeout(timeout) {
            Ok(Ok(line)) => {
                self.lines_received += 1;
                self.parse_line(line)
            }
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::FileTooLarge => {
                self.kill();
                Err(ChannelError::TooLong(self.context()))
            }
            Ok(Err(e)) => Err(ChannelError::Exited(format!("reading its replies failed: {e}"), self.context())),
            Err(RecvTimeoutError::Timeout) => {
                self.kill();
                Err(ChannelError::Timeout(timeout, self.context()))
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.exit_description();
                Err(ChannelError::Exited(status, self.context()))
            }
        }
    }

    fn parse_line(&self, line: String) -> Result<serde_json::Value, ChannelError> {
        super::reply_text::parse(&line).map_err(|e| ChannelError::NotJson {
            line: line.trim_end().chars().take(300).collect(),
            error: e.to_string(),
            context: self.context(),
        })
    }

    /// Sends `line` and waits for one reply.
    pub fn request(&mut self, line: &str, timeout: Duration) -> Result<serde_json::Value, ChannelError> {
        self.send(line)?;
        self.receive(timeout)
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process and its process group, whatever it started (and waits for it, so no zombie is
    /// left).
    pub fn kill(&mut self) {
        self.end_group();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills what is left of the process group (the program's own children, after it exited).
    fn end_group(&mut self) {
        let group = self.child.id() as i32;
        // SAFETY: killpg has no memory-safety preconditions; a group that is gone gives ESRCH.
        unsafe {
            libc::killpg(group, libc::SIGKILL);
        }
        live_groups().remove(&group);
    }

    /// Sends `{"cmd":"stop"}` and gives the program `grace` to exit before killing it.
    pub fn stop(mut self, grace: Duration) {
        let _ = self.send(r#"{"cmd":"stop"}"#);
        self.stdin = None;
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.end_group();
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.kill();
    }
}

impl Drop for ProtocolProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        } else {
            self.end_group();
        }
    }
}

/// The next line of `reader` (without its limit being exceeded), `None` at the end of the stream. A line
/// longer than `limit` bytes is an error of kind `FileTooLarge`; invalid UTF-8 is replaced.
fn read_bounded_line<R: Read>(
    reader: &mut BufReader<R>,
    limit: usize,
    waiting: &dyn Fn(bool),
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    loop {
        let idle = reader.buffer().is_empty();
        if idle {
            waiting(true);
        }
        let filled = reader.fill_buf();
        if idle {
            waiting(false);
        }
        let available = match filled {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((!line.is_empty()).then(|| String::from_utf8_lossy(&line).into_owned()));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        if line.len() + chunk.len() > limit + 1 {
            return Err(std::io::Error::new(std::io::ErrorKind::FileTooLarge, "reply line over the limit"));
        }
        line.extend_from_slice(chunk);
        let used = chunk.len();
        reader.consume(used);
        if done {
            return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        _ => status.to_string(),
    }
}
