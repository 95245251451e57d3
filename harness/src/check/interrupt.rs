//! Stopping a run from outside (a signal: SIGINT, SIGTERM, SIGHUP). The first request stops the run from
//! taking new cases and gives the cases in flight [`GRACE`] to finish; a second request, or the end of
//! the grace period, abandons them. Either way the reports are completed, marked interrupted, and the run
//! concludes `interrupted`, never `conforms`. Whoever owns the processes (the CLI) passes an abort hook
//! that ends every implementation process, so that no job waits on a hung one.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long the cases in flight may take to finish after the first request.
pub const GRACE: Duration = Duration::from_secs(2);

/// A request to stop a run, shared between a signal handler and the run.
#[derive(Default)]
pub struct Interrupt {
    requests: AtomicU32,
    first: OnceLock<Instant>,
    on_abort: Mutex<Option<Box<dyn Fn() + Send>>>,
}

impl Interrupt {
    /// An interrupt that nothing has requested yet.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// An interrupt whose abort calls `hook` once (to end processes the run's jobs may be waiting on).
    pub fn with_abort_hook(hook: impl Fn() + Send + 'static) -> Interrupt {
        let interrupt = Interrupt::new();
        *interrupt.on_abort.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(hook));
        interrupt
    }

    /// Asks the run to stop; returns how many requests there have been.
    pub fn request(&self) -> u32 {
        self.first.get_or_init(Instant::now);
        self.requests.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.requests.load(Ordering::SeqCst) > 0
    }

    /// Whether the cases in flight must be abandoned now: a second request, or the grace period is over.
    pub fn must_abandon(&self) -> bool {
        self.requests.load(Ordering::SeqCst) >= 2 || self.first.get().is_some_and(|t| t.elapsed() >= GRACE)
    }

    /// Runs the abort hook (once).
    pub fn abort(&self) {
        if let Some(hook) = self.on_abort.lock().unwrap_or_else(|p| p.into_inner()).take() {
            hook();
        }
    }
}
