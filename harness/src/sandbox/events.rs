//! What the supervisor recorded of one program, tagged with the case it happened in: each record carries
//! the number of reply lines the program had written by then, so the runner gives each case exactly the
//! attempts made while it ran. The caller of a supervised call is stopped in it, so every reply it wrote
//! before is already in the pipe; the log waits for the reply reader to take them all before it counts.

use std::os::fd::RawFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::outcome::{SandboxEvent, SandboxEventKind};

/// How long the supervisor waits for the reply reader to catch up before it tags a record.
const TAG_WAIT: Duration = Duration::from_millis(200);

/// Records kept waiting for their reply at most: a program that makes refused attempts in a loop cannot
/// grow the harness's memory (its case is told the first ones; a finding names at most five anyway).
const MAX_PENDING: usize = 1024;

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

    /// Counts one more process started; the count so far.
    pub(super) fn count_process(&self) -> u64 {
        self.processes.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Records a file opened for writing in the private folder.
    pub(super) fn written(&self, path: PathBuf) {
        self.record(Entry::Written(path));
    }

    fn record(&self, entry: Entry) {
        let tag = self.tag_now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() < MAX_PENDING {
            entries.push((tag, entry));
        }
    }

    /// Records an attempt.
    pub(super) fn event(&self, kind: SandboxEventKind, detail: String) {
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
        for i in 0..MAX_PENDING * 2 {
            log.event(SandboxEventKind::ReadsOutsideSandbox, format!("/etc/{i}"));
        }
        assert_eq!(log.take_before(u64::MAX).0.len(), MAX_PENDING, "a flood of attempts is bounded");
    }
}
