//! The sandbox every process-backed runner starts an implementation in: it gets what Auth0 would give
//! it and nothing more (docs/security.md).
//!
//! | promise     | how it is held                                                                    |
//! |-------------|-----------------------------------------------------------------------------------|
//! | environment | a scrubbed environment: `PATH`, a private `HOME` and temp folder, the locale, the  |
//! |             | harness's protocol variables and the host variables named by `--pass-env`        |
//! | processes   | seccomp refuses `setsid` and `setpgid`, so all it starts stays in its process     |
//! |             | group, killed whole; every process started is reported                            |
//! | network     | seccomp user notification refuses and reports connections outside the mocks, UDP  |
//! |             | and name lookups; Landlock allows TCP connections to the mocks' ports only        |
//! | files       | Landlock: reads in its own folder, its runtime and dependencies and the system's  |
//! |             | libraries; writes in its private temp folder; refusals reported                   |
//! | resources   | a cap on writable memory (Node's heap under it), on file size, no core dumps; the  |
//! |             | case's time limit kills the whole process group                                   |
//!
//! [`SandboxSettings`] is what the user chose (`--sandbox`, `--pass-env`, `--allow-read`, `--max-memory`);
//! [`Enforcement`] is what holds on this machine's kernel ([`support`]); [`Confinement`] applies it to one
//! process.

mod confine;
mod enforcement;
mod env;
mod error;
mod events;
mod filter;
mod judge;
mod kernel;
mod paths;
mod private_dir;
mod settings;
mod supervisor;

pub use confine::{Armed, Confinement, ProgramFiles, Started};
pub use enforcement::{Enforcement, Promise};
pub use error::SandboxError;
pub use events::EventLog;
pub use kernel::{support, Support, PRETEND_MISSING_VAR};
pub use private_dir::remove_all as remove_private_dirs;
pub use settings::{SandboxMode, SandboxSettings, DEFAULT_MAX_MEMORY_MIB};
