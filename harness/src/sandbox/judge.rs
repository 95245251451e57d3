//! How the supervisor judges one supervised call: it reads the call's arguments from the caller's
//! memory, judges them with the same [`Reach`] and mock ports Landlock enforces, and answers `CONTINUE`
//! (the kernel, Landlock included, then does the call) or an error, recording what it refuses.

use std::path::{Path, PathBuf};

use super::events::EventLog;
use super::paths::{self, Reach};
use crate::outcome::SandboxEventKind;

/// Processes a sandboxed program may start before further starts are refused (`EAGAIN`): a fork bomb
/// stops there.
const MAX_PROCESSES: u64 = 64;

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
pub(super) enum Answer {
    /// Let the kernel do the call.
    Continue,
    /// Fail it with this errno.
    Fail(i32),
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
    /// The answer to `request`; `valid` says whether the caller is still the one stopped (so that what
    /// was read from its memory is its own).
    pub(super) fn answer(&self, request: &libc::seccomp_notif, valid: &dyn Fn() -> bool, log: &EventLog) -> Answer {
        let nr = request.data.nr as libc::c_long;
        let args = request.data.args;
        let pid = request.pid;
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
        let count = log.count_process();
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
            } else if path.exists() && (!self.reach.may_read(&path) || self.of_another_process(&path)) {
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
            log.written(path);
        }
        Answer::Continue
    }

    /// Whether `path` is under `/proc/PID/` of a process outside the sandbox (not in the program's
    /// process group, which it cannot leave): Landlock refuses what such a path gives (another process's
    /// environment, memory, descriptors), and the supervisor reports it.
    fn of_another_process(&self, path: &Path) -> bool {
        let Ok(rest) = path.strip_prefix("/proc") else { return false };
        let Some(pid) = rest.components().next().and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok()) else {
            return false;
        };
        let group = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|stat| {
            // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so read after the last ')'.
            stat.rsplit_once(')')?.1.split_whitespace().nth(2)?.parse::<u32>().ok()
        });
        group.is_some_and(|g| g != self.main_pid)
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
