//! The supervisor: answers the seccomp notifications of one sandboxed program (and everything it
//! starts) on its own thread, through [`Judge`]. A notification stops the calling thread until it is
//! answered; what is read from the caller's memory counts only if the call is still the one stopped.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::events::EventLog;
use super::judge::{Answer, Judge};

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
        let valid = || still_valid(fd, request.id);
        let answer = judge.answer(&request, &valid, &log);
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
