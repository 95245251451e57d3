//! Confining one process: everything is prepared in the harness (the private folder, the environment,
//! Landlock's ruleset, the compiled seccomp filters), then applied in the child between `fork` and
//! `exec` with async-signal-safe calls only: resource limits, the capability bounding set (for root),
//! Landlock, the seccomp filters. The user-notification filter's listener is taken from the child by the
//! harness (`pidfd_getfd`) and handed to a supervisor thread before the child may go on to `exec`.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;

use landlock::{
    path_beneath_rules, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, Ruleset, RulesetAttr,
    RulesetCreated, RulesetCreatedAttr, Scope, ABI,
};

use super::error::SandboxError;
use super::events::EventLog;
use super::filter::{self, Filters};
use super::judge::Judge;
use super::kernel::Support;
use super::paths::Reach;
use super::private_dir::PrivateDir;
use super::settings::{SandboxMode, SandboxSettings};
use super::supervisor;

/// The largest file a sandboxed process may write.
const MAX_FILE_BYTES: u64 = 64 << 20;

/// The Landlock ABI whose rights the ruleset asks for (best effort: an older kernel enforces its own).
const LANDLOCK_ABI: ABI = ABI::V6;

/// What a runner knows its program needs: how it is started and the files it must read (its own
/// folder, its runtime, its dependencies).
#[derive(Debug, Clone, Default)]
pub struct ProgramFiles {
    /// `argv[0]`.
    pub program: PathBuf,
    /// Files and folders it reads.
    pub reads: Vec<PathBuf>,
}

/// One process's confinement, prepared and waiting to be applied to its `Command`.
pub struct Confinement {
    private: PrivateDir,
    env: Vec<(OsString, OsString)>,
    reach: Reach,
    mock_ports: Vec<u16>,
    memory_bytes: u64,
    ruleset: Option<RulesetCreated>,
    filters: Option<Filters>,
}

/// A confined process, started: its private folder and what its supervisor records.
pub struct Started {
    /// What the supervisor recorded (empty when seccomp is not in force).
    pub log: Arc<EventLog>,
    stop: Arc<AtomicBool>,
    // Removed when the process is done (dropped after it is killed).
    _private: PrivateDir,
}

impl Drop for Started {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The hand-over of the listener from the child: the child writes its pid and the listener's number,
/// then waits for one byte before it goes on to `exec`.
struct Handoff {
    child_writes: OwnedFd,
    child_reads: OwnedFd,
    helper: JoinHandle<Result<(), String>>,
}

impl Confinement {
    /// A confinement for a program that needs `files`, with the harness's protocol variables `protocol`,
    /// allowed to reach the mocks at `mock_ports`; `None` when the sandbox is off.
    pub fn new(
        settings: &SandboxSettings,
        support: Support,
        files: &ProgramFiles,
        protocol: &[(OsString, OsString)],
        mock_ports: &[u16],
    ) -> Result<Option<Confinement>, SandboxError> {
        if settings.mode == SandboxMode::Off {
            return Ok(None);
        }
        let setup = |what: &str, e: &dyn std::fmt::Display| SandboxError::Setup(format!("{what}: {e}"));
        let private = PrivateDir::create().map_err(|e| setup("the private folder", &e))?;
        let mut protocol = protocol.to_vec();
        // Python's bytecode cache goes to the private folder rather than beside the sources.
        protocol.push(("PYTHONPYCACHEPREFIX".into(), private.tmp().join("pycache").into()));
        let env = super::env::scrubbed(&private.home(), &private.tmp(), &protocol, &settings.pass_env);
        let mut reads = files.reads.clone();
        reads.extend(settings.allow_read.iter().cloned());
        let reach = Reach::of(&files.program, &reads, private.root());
        let ruleset = if support.landlock_abi > 0 {
            Some(ruleset(&reach, mock_ports, support.landlock_abi).map_err(|e| setup("Landlock", &e))?)
        } else {
            None
        };
        let filters =
            if support.seccomp_notify { Some(filter::filters().map_err(|e| setup("seccomp", &e))?) } else { None };
        Ok(Some(Confinement {
            private,
            env,
            reach,
            mock_ports: mock_ports.to_vec(),
            memory_bytes: settings.max_memory_mib.saturating_mul(1 << 20),
            ruleset,
            filters,
        }))
    }

    /// Applies the confinement to `command` (its environment replaced, the rest done between `fork` and
    /// `exec`); call it before any other `pre_exec` hook, then [`Armed::spawned`] with the spawn's result.
    pub fn arm(self, command: &mut Command) -> Result<Armed, SandboxError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| SandboxError::Setup(format!("{what}: {e}"));
        command.env_clear().envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = Arc::new(EventLog::default());
        let stop = Arc::new(AtomicBool::new(false));
        let handoff = match &self.filters {
            Some(_) => Some(
                handoff(
                    self.reach.clone(),
                    self.mock_ports.clone(),
                    self.private.root().canonicalize().unwrap_or_else(|_| self.private.root().to_owned()),
                    log.clone(),
                    stop.clone(),
                )
                .map_err(|e| setup("the supervisor", &e))?,
            ),
            None => None,
        };
        let child_fds = handoff.as_ref().map(|h| (h.child_writes.as_raw_fd(), h.child_reads.as_raw_fd()));
        let mut in_child = InChild {
            memory_bytes: self.memory_bytes,
            ruleset: self.ruleset,
            filters: self.filters,
            handoff: child_fds,
        };
        // SAFETY: `InChild::apply` makes only async-signal-safe calls (setrlimit, prctl, the Landlock and
        // seccomp syscalls, write, read, close) and allocates nothing on its success path.
        unsafe {
            command.pre_exec(move || in_child.apply());
        }
        Ok(Armed { handoff, started: Started { log, stop, _private: self.private } })
    }
}

/// A confinement applied to a `Command` that is about to be spawned.
pub struct Armed {
    handoff: Option<Handoff>,
    started: Started,
}

impl Armed {
    /// Completes the start with what spawning the command gave: the supervisor is running when this
    /// returns `Ok`.
    pub fn spawned<T>(self, spawned: std::io::Result<T>) -> Result<(T, Started), SandboxError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| SandboxError::Setup(format!("{what}: {e}"));
        // The child holds its own copies now; ours must go so that the helper sees the end of the stream
        // when a child died before writing.
        let helper = self.handoff.map(|h| {
            drop(h.child_writes);
            drop(h.child_reads);
            h.helper
        });
        let spawned = spawned.map_err(|e| setup("starting the program", &e));
        if let Some(helper) = helper {
            let supervised = helper.join().unwrap_or_else(|_| Err("the hand-over thread panicked".into()));
            if let (Ok(_), Err(e)) = (&spawned, supervised) {
                return Err(setup("the supervisor", &e));
            }
        }
        Ok((spawned?, self.started))
    }
}

/// Starts the thread that takes the child's listener and starts its supervisor.
fn handoff(
    reach: Reach,
    mock_ports: Vec<u16>,
    private: PathBuf,
    log: Arc<EventLog>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<Handoff> {
    let (from_child, child_writes) = pipe()?;
    let (child_reads, to_child) = pipe()?;
    let helper = std::thread::spawn(move || -> Result<(), String> {
        let mut message = [0u8; 8];
        read_exact(&from_child, &mut message).map_err(|e| format!("the child sent no listener: {e}"))?;
        let pid = i32::from_ne_bytes(message[0..4].try_into().expect("4 bytes"));
        let fd = i32::from_ne_bytes(message[4..8].try_into().expect("4 bytes"));
        let listener = take_fd(pid, fd).map_err(|e| format!("cannot take the child's listener: {e}"))?;
        let judge = Judge { reach, mock_ports, private, main_pid: pid as u32 };
        std::thread::Builder::new()
            .name("tbjwt-sandbox-supervisor".into())
            .spawn(move || supervisor::supervise(listener, judge, log, stop))
            .map_err(|e| e.to_string())?;
        write_all(&to_child, &[1]).map_err(|e| format!("cannot release the child: {e}"))
    });
    Ok(Handoff { child_writes, child_reads, helper })
}

fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two descriptors, owned from here on.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both were just created and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn read_exact(fd: &OwnedFd, buffer: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::from(fd.try_clone()?);
    file.read_exact(buffer)
}

fn write_all(fd: &OwnedFd, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::from(fd.try_clone()?);
    file.write_all(bytes)
}

/// A copy of descriptor `fd` of process `pid`.
fn take_fd(pid: i32, fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open and pidfd_getfd return new descriptors or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if pidfd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new descriptor, owned here.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd as RawFd) };
    // SAFETY: as above.
    let taken = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    if taken < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a new descriptor, owned here.
    Ok(unsafe { OwnedFd::from_raw_fd(taken as RawFd) })
}

/// Landlock's ruleset for `reach`, with TCP connections to `mock_ports` only and no signal or abstract
/// socket outside the sandbox (each as far as the kernel's ABI goes).
fn ruleset(reach: &Reach, mock_ports: &[u16], abi: i32) -> Result<RulesetCreated, landlock::RulesetError> {
    let mut ruleset = Ruleset::default().set_compatibility(CompatLevel::BestEffort);
    ruleset = ruleset.handle_access(AccessFs::from_all(LANDLOCK_ABI))?;
    if abi >= 4 {
        ruleset = ruleset.handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)?;
    }
    if abi >= 6 {
        ruleset = ruleset.scope(Scope::Signal | Scope::AbstractUnixSocket)?;
    }
    let mut created = ruleset
        .create()?
        .add_rules(path_beneath_rules(&reach.reads, AccessFs::from_read(LANDLOCK_ABI)))?
        .add_rules(path_beneath_rules(&reach.writes, AccessFs::from_all(LANDLOCK_ABI)))?;
    if abi >= 4 {
        created = created.add_rules(
            mock_ports.iter().map(|&p| Ok::<_, landlock::RulesetError>(NetPort::new(p, AccessNet::ConnectTcp))),
        )?;
    }
    Ok(created)
}

/// What the child applies to itself before `exec`.
struct InChild {
    memory_bytes: u64,
    ruleset: Option<RulesetCreated>,
    filters: Option<Filters>,
    /// (write end to the harness, read end from the harness).
    handoff: Option<(RawFd, RawFd)>,
}

impl InChild {
    fn apply(&mut self) -> std::io::Result<()> {
        let fail = |what: &'static str| {
            let os = std::io::Error::last_os_error();
            std::io::Error::new(os.kind(), what)
        };
        let limit = |resource, value: u64| {
            let rlimit = libc::rlimit { rlim_cur: value, rlim_max: value };
            // SAFETY: setrlimit reads one rlimit.
            unsafe { libc::setrlimit(resource, &rlimit) }
        };
        if limit(libc::RLIMIT_DATA, self.memory_bytes) < 0
            || limit(libc::RLIMIT_FSIZE, MAX_FILE_BYTES) < 0
            || limit(libc::RLIMIT_CORE, 0) < 0
        {
            return Err(fail("sandbox: setrlimit"));
        }
        // SAFETY: geteuid and prctl have no memory-safety preconditions.
        unsafe {
            if libc::geteuid() == 0 {
                // Root keeps its user id but no capability survives exec: the bounding set is emptied.
                for capability in 0..64 {
                    libc::prctl(libc::PR_CAPBSET_DROP, capability, 0, 0, 0);
                }
                libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
            }
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 {
                return Err(fail("sandbox: no_new_privs"));
            }
        }
        if let Some(ruleset) = self.ruleset.take() {
            ruleset.restrict_self().map_err(|_| fail("sandbox: Landlock"))?;
        }
        if let Some(filters) = &self.filters {
            for program in [&filters.refused, &filters.absent] {
                seccompiler::apply_filter(program).map_err(|_| fail("sandbox: seccomp"))?;
            }
            let listener = install_listening(&filters.supervised);
            if listener < 0 {
                return Err(fail("sandbox: seccomp user notification"));
            }
            if let Some((to_harness, from_harness)) = self.handoff {
                // SAFETY: getpid, write, read and close on descriptors this process holds.
                unsafe {
                    let mut message = [0u8; 8];
                    message[0..4].copy_from_slice(&libc::getpid().to_ne_bytes());
                    message[4..8].copy_from_slice(&listener.to_ne_bytes());
                    if libc::write(to_harness, message.as_ptr().cast(), 8) != 8 {
                        return Err(fail("sandbox: hand-over"));
                    }
                    let mut ack = 0u8;
                    if libc::read(from_harness, (&mut ack as *mut u8).cast(), 1) != 1 {
                        return Err(fail("sandbox: hand-over"));
                    }
                    libc::close(listener);
                    libc::close(to_harness);
                    libc::close(from_harness);
                }
            }
        }
        Ok(())
    }
}

/// Installs `program` as a filter with a listener; the listener's descriptor, or -1.
fn install_listening(program: &[seccompiler::sock_filter]) -> RawFd {
    let fprog = libc::sock_fprog { len: program.len() as u16, filter: program.as_ptr() as *mut libc::sock_filter };
    // SAFETY: the kernel copies the program; `fprog` and `program` outlive the call.
    unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            libc::SECCOMP_FILTER_FLAG_NEW_LISTENER,
            &fprog as *const libc::sock_fprog,
        ) as RawFd
    }
}
