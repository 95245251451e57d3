//! The supervisor: answers the seccomp notifications of one sandboxed program (and everything it
//! starts), refusing and recording what goes outside its reach, and tags each record with the case it
//! happened in.
//!
//! A notification stops the calling thread until it is answered; the supervisor reads the call's
//! arguments from the caller's memory, judges them with the same [`Reach`] Landlock enforces, and answers
//! `CONTINUE` (the kernel, Landlock included, then does the call) or an error. What it records is tagged
//! with the number of reply lines the program had written by then, so the runner gives each case exactly
//! the attempts made while it ran: the caller is stopped in the call, so every reply it wrote before is
//! already in the pipe; the supervisor waits for the reader to take them all before it counts.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::paths::{self, Reach};
use crate::outcome::{SandboxEvent, SandboxEventKind};

/// Processes a sandboxed program may start before further starts are refused (`EAGAIN`): a fork bomb
/// stops there.
const MAX_PROCESSES: u64 = 64;

/// How long the supervisor waits for the reply reader to catch up before it tags a record.
const TAG_WAIT: Duration = Duration::from_millis(200);

/// The reply stream's reader, as the supervisor sees it.
#[derive(Debug)]
struct Tap {
    /// Reply lines read so far.
    lines: AtomicU64,
    /// The reader is waiting for the stream with nothing buffered.
    idle: AtomicBool,
    /// The stream's file descriptor while the reader holds it open (-1 before and after).
    fd: AtomicI32,
}

/// One record: an attempt to report, or a file written in the private folder (looked in for secrets).
#[derive(Debug, Clone)]
enum Entry {
    Event(SandboxEvent),
    Written(PathBuf),
}

/// What the supervisor recorded, by reply line, and the reply reader's progress.
#[derive(Debug)]
pub struct EventLog {
    entries: Mutex<Vec<(u64, Entry)>>,
    tap: Tap,
    processes: AtomicU64,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog {
            entries: Mutex::new(Vec::new()),
            tap: Tap { lines: AtomicU64::new(0), idle: AtomicBool::new(false), fd: AtomicI32::new(-1) },
            processes: AtomicU64::new(0),
        }
    }
}

impl EventLog {
    /// The reader of the reply stream `fd` has started (or stopped, with -1).
    pub fn reader_on(&self, fd: RawFd) {
        self.tap.fd.store(fd, Ordering::SeqCst);
    }

    /// The reader is about to wait for more of the stream with nothing buffered (`true`), or got some.
    pub fn reader_idle(&self, idle: bool) {
        self.tap.idle.store(idle, Ordering::SeqCst);
    }

    /// The reader has read one more reply line.
    pub fn line_read(&self) {
        self.tap.lines.fetch_add(1, Ordering::SeqCst);
    }

    /// What was recorded before reply line `line` (1 = the answer to `start`) was written: the attempts,
    /// and the files written in the private folder. Each record is handed out once.
    pub fn take_before(&self, line: u64) -> (Vec<SandboxEvent>, Vec<PathBuf>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let mut events = Vec::new();
        let mut written = Vec::new();
        entries.retain(|(tag, entry)| {
            if *tag >= line {
                return true;
            }
            match entry {
                Entry::Event(e) => {
                    if !events.contains(e) {
                        events.push(e.clone());
                    }
                }
                Entry::Written(p) => {
                    if !written.contains(p) {
                        written.push(p.clone());
                    }
                }
            }
            false
        });
        (events, written)
    }

    /// The number of reply lines the program has written, once the reader has taken them all.
    fn tag_now(&self) -> u64 {
        let deadline = Instant::now() + TAG_WAIT;
        loop {
            let fd = self.tap.fd.load(Ordering::SeqCst);
            if fd < 0 || Instant::now() >= deadline {
                break;
            }
            if self.tap.idle.load(Ordering::SeqCst) && unread_bytes(fd) == 0 {
                break;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        self.tap.lines.load(Ordering::SeqCst)
    }

    fn record(&self, entry: Entry) {
        let tag = self.tag_now();
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).push((tag, entry));
    }

    fn event(&self, kind: SandboxEventKind, detail: String) {
        self.record(Entry::Event(SandboxEvent { kind, detail }));
    }
}

fn unread_bytes(fd: RawFd) -> libc::c_int {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int; a stale descriptor gives an error, not undefined behaviour.
    if unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } < 0 {
        return 0;
    }
    n
}

/// What the supervisor needs to judge a call.
pub(super) struct Judge {
    pub(super) reach: Reach,
    pub(super) mock_ports: Vec<u16>,
    /// Its private folder (canonical): files opened for writing there are looked in for secrets.
    pub(super) private: PathBuf,
    /// The program's own process (its start is not a spawn; its children's `execve` is).
    pub(super) main_pid: u32,
}

/// The answer to one notification.
enum Answer {
    /// Let the kernel do the call.
    Continue,
    /// Fail it with this errno.
    Fail(i32),
}

/// Answers the notifications of `listener` until every process under the filter is gone or `stop` is
/// set. Runs on its own thread.
pub(super) fn supervise(listener: OwnedFd, judge: Judge, log: Arc<EventLog>, stop: Arc<AtomicBool>) {
    let fd = listener.as_raw_fd();
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let mut poll = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, 100) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if ready == 0 {
            continue;
        }
        if poll.revents & libc::POLLIN == 0 {
            return; // POLLHUP: no process is left under the filter
        }
        // SAFETY: seccomp_notif is plain data; the kernel requires it zeroed before RECV.
        let mut request: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: RECV fills one seccomp_notif.
        if unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_RECV as _, &mut request) } < 0 {
            continue; // the caller was killed meanwhile (ENOENT), or a signal
        }
        let answer = judge.answer(&request, fd, &log);
        respond(fd, request.id, answer);
    }
}

fn respond(fd: RawFd, id: u64, answer: Answer) {
    let (error, flags) = match answer {
        Answer::Continue => (0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
        Answer::Fail(errno) => (-errno, 0),
    };
    let mut response = libc::seccomp_notif_resp { id, val: 0, error, flags };
    // SAFETY: SEND reads one seccomp_notif_resp; a caller gone meanwhile gives ENOENT.
    unsafe {
        libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND as _, &mut response);
    }
}

/// Whether notification `id` still stands for the same stopped caller (so what was read from its memory
/// is its own).
fn still_valid(fd: RawFd, id: u64) -> bool {
    let mut id = id;
    // SAFETY: ID_VALID reads one u64.
    unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_ID_VALID as _, &mut id) == 0 }
}

/// Reads `len` bytes at `address` in process `pid`.
fn read_memory(pid: u32, address: u64, len: usize) -> Option<Vec<u8>> {
    if address == 0 {
        return None;
    }
    let mut buffer = vec![0u8; len];
    let local = libc::iovec { iov_base: buffer.as_mut_ptr().cast(), iov_len: len };
    let remote = libc::iovec { iov_base: address as *mut libc::c_void, iov_len: len };
    // SAFETY: both iovecs describe `len` bytes; the remote one is only read by the kernel.
    let n = unsafe { libc::process_vm_readv(pid as libc::pid_t, &local, 1, &remote, 1, 0) };
    (n == len as isize).then_some(buffer)
}

/// Reads a NUL-terminated string at `address` in process `pid` (at most 4,096 bytes), a page at a time
/// so that a string at the end of a mapping is still read.
fn read_c_string(pid: u32, address: u64) -> Option<Vec<u8>> {
    const PAGE: u64 = 4096;
    let mut out = Vec::new();
    let mut at = address;
    while out.len() < 4096 {
        let chunk = (PAGE - at % PAGE) as usize;
        let bytes = read_memory(pid, at, chunk)?;
        if let Some(end) = bytes.iter().position(|&b| b == 0) {
            out.extend_from_slice(&bytes[..end]);
            return Some(out);
        }
        out.extend_from_slice(&bytes);
        at += chunk as u64;
    }
    Some(out)
}

/// A destination of `connect` or a send, read from the caller's memory.
enum Destination {
    Inet {
        address: std::net::IpAddr,
        port: u16,
    },
    Unix(String),
    /// Netlink (the kernel itself), unspecified, or a family without a destination outside.
    Kernel,
    Other(u16),
}

fn destination(pid: u32, address: u64, len: u64) -> Option<Destination> {
    let len = (len as usize).clamp(2, 128);
    let bytes = read_memory(pid, address, len)?;
    let family = u16::from_ne_bytes([bytes[0], bytes[1]]) as i32;
    let port = |b: &[u8]| b.get(2..4).map(|p| u16::from_be_bytes([p[0], p[1]]));
    Some(match family {
        libc::AF_INET => {
            let ip: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
            Destination::Inet { address: std::net::IpAddr::from(ip), port: port(&bytes)? }
        }
        libc::AF_INET6 => {
            let ip: [u8; 16] = bytes.get(8..24)?.try_into().ok()?;
            Destination::Inet { address: std::net::IpAddr::from(ip), port: port(&bytes)? }
        }
        libc::AF_UNIX => {
            let path = &bytes[2..];
            if path.first() == Some(&0) {
                Destination::Unix(format!("@{}", String::from_utf8_lossy(&path[1..]).trim_end_matches('\0')))
            } else {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                Destination::Unix(String::from_utf8_lossy(&path[..end]).into_owned())
            }
        }
        libc::AF_NETLINK | libc::AF_UNSPEC => Destination::Kernel,
        other => Destination::Other(other as u16),
    })
}

/// The C library's name-service cache socket: glibc tries it before reading `/etc/passwd`; refused
/// quietly, since a lookup of the program's own user is no attempt to reach out.
const NSCD_SOCKETS: [&str; 2] = ["/var/run/nscd/socket", "/run/nscd/socket"];

/// The controlling terminal: shells open it; a sandboxed program has none (not reported).
const TERMINAL: &str = "/dev/tty";

/// The resolver's configuration: reading it is the first step of every name lookup.
const RESOLVER_CONFIG: &str = "/etc/resolv.conf";

fn is_loopback(address: &std::net::IpAddr) -> bool {
    match address {
        std::net::IpAddr::V4(v4) => v4.is_loopback(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

impl Judge {
    fn answer(&self, request: &libc::seccomp_notif, fd: RawFd, log: &EventLog) -> Answer {
        let nr = request.data.nr as libc::c_long;
        let args = request.data.args;
        let pid = request.pid;
        // Everything read from the caller's memory is trusted only if the caller is still the one stopped.
        let valid = || still_valid(fd, request.id);
        match nr {
            libc::SYS_clone => self.spawn(log, pid, "clone"),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_fork => self.spawn(log, pid, "fork"),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_vfork => self.spawn(log, pid, "vfork"),
            libc::SYS_socket => {
                log.event(SandboxEventKind::SendsUdp, "opened a UDP socket".into());
                Answer::Fail(libc::EACCES)
            }
            libc::SYS_connect => match destination(pid, args[1], args[2]) {
                Some(d) if valid() => self.connect(log, d),
                _ => Answer::Fail(libc::EACCES),
            },
            libc::SYS_sendto => match destination(pid, args[4], args[5]) {
                Some(d) if valid() => self.send_to(log, d),
                _ => Answer::Fail(libc::EACCES),
            },
            libc::SYS_sendmsg => self.send_messages(log, pid, args[1], 1, valid),
            libc::SYS_sendmmsg => self.send_messages(log, pid, args[1], args[2].min(1024), valid),
            _ => self.file(log, request, valid),
        }
    }

    fn spawn(&self, log: &EventLog, pid: u32, how: &str) -> Answer {
        let count = log.processes.fetch_add(1, Ordering::SeqCst) + 1;
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).map(|p| p.display().to_string()).unwrap_or_default();
        if count > MAX_PROCESSES {
            log.event(
                SandboxEventKind::SpawnsProcesses,
                format!("more than {MAX_PROCESSES} processes started: refused"),
            );
            return Answer::Fail(libc::EAGAIN);
        }
        log.event(SandboxEventKind::SpawnsProcesses, format!("{exe} started a process ({how})"));
        Answer::Continue
    }

    fn connect(&self, log: &EventLog, destination: Destination) -> Answer {
        match destination {
            Destination::Inet { address, port } if is_loopback(&address) && self.mock_ports.contains(&port) => {
                Answer::Continue
            }
            Destination::Inet { address, port: 53 } => {
                log.event(SandboxEventKind::ResolvesNames, format!("a name server at {address}:53"));
                Answer::Fail(libc::ECONNREFUSED)
            }
            Destination::Inet { address, port } => {
                let to = std::net::SocketAddr::new(address, port);
                log.event(SandboxEventKind::ConnectsOutsideMocks, format!("{to}"));
                Answer::Fail(libc::ECONNREFUSED)
            }
            Destination::Unix(path) if NSCD_SOCKETS.contains(&path.as_str()) => Answer::Fail(libc::ENOENT),
            Destination::Unix(path) => {
                log.event(SandboxEventKind::ConnectsOutsideMocks, format!("the socket {path}"));
                Answer::Fail(libc::EACCES)
            }
            Destination::Kernel => Answer::Continue,
            Destination::Other(family) => {
                log.event(SandboxEventKind::ConnectsOutsideMocks, format!("a socket of family {family}"));
                Answer::Fail(libc::EACCES)
            }
        }
    }

    /// A send with a destination: only TCP sockets can exist (UDP and raw ones are refused when made), and
    /// TCP ignores a destination (Fast Open is refused), so only other families need judging.
    fn send_to(&self, log: &EventLog, destination: Destination) -> Answer {
        match destination {
            Destination::Inet { .. } | Destination::Kernel => Answer::Continue,
            other => self.connect(log, other),
        }
    }

    fn send_messages(&self, log: &EventLog, pid: u32, address: u64, count: u64, valid: impl Fn() -> bool) -> Answer {
        // struct msghdr: msg_name (pointer), msg_namelen (u32, padded), then the rest; struct mmsghdr adds
        // a u32 (padded) after it.
        let (header, stride) = (std::mem::size_of::<libc::msghdr>(), std::mem::size_of::<libc::mmsghdr>());
        for i in 0..count {
            let Some(bytes) = read_memory(pid, address + i * stride as u64, header) else {
                return Answer::Fail(libc::EFAULT);
            };
            let name = u64::from_ne_bytes(bytes[0..8].try_into().expect("8 bytes"));
            let len = u32::from_ne_bytes(bytes[8..12].try_into().expect("4 bytes"));
            if name == 0 {
                continue;
            }
            match destination(pid, name, u64::from(len)) {
                Some(d) if valid() => {
                    if let Answer::Fail(errno) = self.send_to(log, d) {
                        return Answer::Fail(errno);
                    }
                }
                _ => return Answer::Fail(libc::EACCES),
            }
        }
        Answer::Continue
    }

    /// A call on paths: opened (to read or write), executed, created, removed, renamed, linked, changed.
    fn file(&self, log: &EventLog, request: &libc::seccomp_notif, valid: impl Fn() -> bool) -> Answer {
        let a = request.data.args;
        let pid = request.pid;
        const WRITE_FLAGS: u64 =
            (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) as u64;
        // (directory fd, path pointer, whether it writes) for each path the call names.
        let cwd = libc::AT_FDCWD as u64;
        let (paths, opens): (Vec<(u64, u64, bool)>, Option<u64>) = match request.data.nr as libc::c_long {
            #[cfg(target_arch = "x86_64")]
            libc::SYS_open => (vec![(cwd, a[0], a[1] & WRITE_FLAGS != 0)], Some(a[1])),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_creat => (vec![(cwd, a[0], true)], None),
            libc::SYS_openat => (vec![(a[0], a[1], a[2] & WRITE_FLAGS != 0)], Some(a[2])),
            libc::SYS_openat2 => {
                let flags = read_memory(pid, a[2], 8).map_or(0, |b| u64::from_ne_bytes(b.try_into().expect("8")));
                (vec![(a[0], a[1], flags & WRITE_FLAGS != 0)], Some(flags))
            }
            libc::SYS_execve => (vec![(cwd, a[0], false)], None),
            libc::SYS_execveat => (vec![(a[0], a[1], false)], None),
            libc::SYS_mkdirat | libc::SYS_unlinkat | libc::SYS_fchmodat | libc::SYS_fchownat | libc::SYS_mknodat => {
                (vec![(a[0], a[1], true)], None)
            }
            libc::SYS_renameat | libc::SYS_renameat2 | libc::SYS_linkat => {
                (vec![(a[0], a[1], true), (a[2], a[3], true)], None)
            }
            libc::SYS_symlinkat => (vec![(a[1], a[2], true)], None),
            libc::SYS_truncate => (vec![(cwd, a[0], true)], None),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_mkdir
            | libc::SYS_rmdir
            | libc::SYS_unlink
            | libc::SYS_chmod
            | libc::SYS_chown
            | libc::SYS_lchown
            | libc::SYS_mknod => (vec![(cwd, a[0], true)], None),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_rename | libc::SYS_link => (vec![(cwd, a[0], true), (cwd, a[1], true)], None),
            #[cfg(target_arch = "x86_64")]
            libc::SYS_symlink => (vec![(cwd, a[1], true)], None),
            _ => return Answer::Continue,
        };
        if opens.is_some_and(|flags| flags & libc::O_PATH as u64 != 0) {
            return Answer::Continue; // a handle without access to the content
        }
        let is_exec = matches!(request.data.nr as libc::c_long, libc::SYS_execve | libc::SYS_execveat);
        let mut written = Vec::new();
        for (dirfd, pointer, writes) in paths {
            let Some(raw) = read_c_string(pid, pointer) else { return Answer::Fail(libc::EFAULT) };
            let Some(path) = self.resolve(pid, dirfd as i32, &raw) else { return Answer::Fail(libc::EACCES) };
            if !valid() {
                return Answer::Fail(libc::EACCES);
            }
            if path == Path::new(TERMINAL) {
                return Answer::Fail(libc::ENXIO); // as if there were no terminal, as under Auth0
            }
            if writes {
                if !self.reach.may_write(&path) {
                    log.event(SandboxEventKind::WritesOutsideSandbox, path.display().to_string());
                    return Answer::Fail(libc::EACCES);
                }
                if opens.is_some() && path.starts_with(&self.private) {
                    written.push(path);
                }
            } else if path.exists() && !self.reach.may_read(&path) {
                let kind = if path == Path::new(RESOLVER_CONFIG) {
                    SandboxEventKind::ResolvesNames
                } else {
                    SandboxEventKind::ReadsOutsideSandbox
                };
                log.event(kind, path.display().to_string());
                return Answer::Fail(libc::EACCES);
            } else if path == Path::new(RESOLVER_CONFIG) {
                log.event(SandboxEventKind::ResolvesNames, RESOLVER_CONFIG.into());
                return Answer::Fail(libc::ENOENT);
            } else if is_exec && pid != self.main_pid && path.exists() {
                log.event(SandboxEventKind::SpawnsProcesses, format!("runs {}", path.display()));
            }
        }
        for path in written {
            log.record(Entry::Written(path));
        }
        Answer::Continue
    }

    /// The absolute path `raw` names for process `pid`, relative to `dirfd`, with its links resolved as
    /// the kernel would (`/proc/self` is the caller's, not the supervisor's).
    fn resolve(&self, pid: u32, dirfd: i32, raw: &[u8]) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let named = Path::new(std::ffi::OsStr::from_bytes(raw));
        let joined = if named.is_absolute() {
            named.to_owned()
        } else {
            let base = if dirfd == libc::AT_FDCWD {
                std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?
            } else {
                std::fs::read_link(format!("/proc/{pid}/fd/{dirfd}")).ok()?
            };
            base.join(named)
        };
        let own = |rest: &Path| PathBuf::from(format!("/proc/{pid}")).join(rest);
        let joined = match (joined.strip_prefix("/proc/self"), joined.strip_prefix("/proc/thread-self")) {
            (Ok(rest), _) | (_, Ok(rest)) => own(rest),
            _ => match joined.strip_prefix("/dev/fd") {
                Ok(rest) => own(&Path::new("fd").join(rest)),
                Err(_) => joined,
            },
        };
        let normal = paths::normalize(&joined);
        // A descriptor's magic link to a pipe, a socket or an anonymous inode is no path at all.
        if normal.starts_with("/proc") {
            if let Ok(target) = std::fs::read_link(&normal) {
                if !target.is_absolute() {
                    return Some(PathBuf::from("/dev/null"));
                }
            }
        }
        Some(paths::resolved(&normal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn records_are_handed_to_the_reply_written_after_them() {
        let log = EventLog::default();
        log.event(SandboxEventKind::SpawnsProcesses, "at start-up".into());
        log.tap.lines.store(1, Ordering::SeqCst); // the answer to `start` was read
        log.event(SandboxEventKind::SendsUdp, "in case 1".into());
        log.event(SandboxEventKind::SendsUdp, "in case 1".into());
        let (startup, _) = log.take_before(1);
        assert_eq!(startup.len(), 1);
        let (case1, _) = log.take_before(2);
        assert_eq!(case1.len(), 1, "the same attempt twice is told once");
        assert_eq!(case1[0].detail, "in case 1");
        assert!(log.take_before(3).0.is_empty());
    }

    #[test]
    fn a_destination_is_a_mock_only_on_loopback_at_a_mock_port() {
        let judge = Judge { reach: Reach::default(), mock_ports: vec![4000], private: PathBuf::new(), main_pid: 0 };
        let log = EventLog::default();
        let inet = |a: [u8; 4], port| Destination::Inet { address: std::net::IpAddr::from(a), port };
        assert!(matches!(judge.connect(&log, inet([127, 0, 0, 1], 4000)), Answer::Continue));
        assert!(matches!(judge.connect(&log, inet([10, 0, 0, 1], 4000)), Answer::Fail(_)));
        assert!(matches!(judge.connect(&log, inet([127, 0, 0, 1], 4001)), Answer::Fail(_)));
        assert!(matches!(judge.connect(&log, inet([8, 8, 8, 8], 53)), Answer::Fail(_)));
        let (events, _) = log.take_before(1);
        let kinds: Vec<SandboxEventKind> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                SandboxEventKind::ConnectsOutsideMocks,
                SandboxEventKind::ConnectsOutsideMocks,
                SandboxEventKind::ResolvesNames
            ]
        );
    }
}
