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
//! [`Enforcement`] is what holds on this machine's kernel; [`Confinement`] applies it to one process.

mod confine;
mod env;
mod filter;
mod paths;
mod private_dir;
mod supervisor;

pub use confine::{Armed, Confinement, ProgramFiles, Started};
pub use supervisor::EventLog;

use std::sync::{Arc, OnceLock};

/// How much sandboxing a run asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[cfg_attr(feature = "full", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Everything this kernel can enforce; what it cannot is said at the start of the run.
    #[default]
    Auto,
    /// Everything, or the run does not start (exit 2).
    Require,
    /// Nothing: the implementation runs with the harness's environment and rights.
    Off,
}

impl SandboxMode {
    /// The mode as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            SandboxMode::Auto => "auto",
            SandboxMode::Require => "require",
            SandboxMode::Off => "off",
        }
    }
}

/// The default memory cap of one implementation process, in MiB.
pub const DEFAULT_MAX_MEMORY_MIB: u64 = 1024;

/// What the user chose for the sandbox, shared by every runner of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSettings {
    /// How much to enforce.
    pub mode: SandboxMode,
    /// Host environment variables the implementation may see (by name).
    pub pass_env: Arc<[String]>,
    /// More files and folders the implementation may read (beyond its own, its runtime and the system's).
    pub allow_read: Arc<[std::path::PathBuf]>,
    /// The cap on each implementation process's writable memory (`RLIMIT_DATA`), in MiB.
    pub max_memory_mib: u64,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            mode: SandboxMode::Auto,
            pass_env: Arc::from(Vec::new()),
            allow_read: Arc::from(Vec::new()),
            max_memory_mib: DEFAULT_MAX_MEMORY_MIB,
        }
    }
}

impl SandboxSettings {
    /// Settings with the sandbox off.
    pub fn off() -> SandboxSettings {
        SandboxSettings { mode: SandboxMode::Off, ..SandboxSettings::default() }
    }

    /// What holds with these settings on this machine.
    pub fn enforcement(&self) -> Enforcement {
        Enforcement::of(self.mode, support())
    }
}

/// What this machine's kernel offers the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Support {
    /// The Landlock ABI version (0: none).
    pub landlock_abi: i32,
    /// Whether seccomp filters with user notification can be installed.
    pub seccomp_notify: bool,
}

/// Set to a comma-separated list (`landlock`, `seccomp`) to run as if the kernel lacked those features:
/// how the tests see what `--sandbox auto` and `require` do on an older machine.
pub const PRETEND_MISSING_VAR: &str = "TBJWT_SANDBOX_PRETEND_MISSING";

/// What the kernel offers (probed once per process).
pub fn support() -> Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    *SUPPORT.get_or_init(|| {
        let missing = std::env::var(PRETEND_MISSING_VAR).unwrap_or_default();
        let pretend = |name: &str| missing.split(',').any(|m| m.trim() == name);
        Support {
            landlock_abi: if pretend("landlock") { 0 } else { confine::landlock_abi() },
            seccomp_notify: !pretend("seccomp") && confine::seccomp_notify_available(),
        }
    })
}

/// One promise the sandbox makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promise {
    /// A scrubbed environment.
    Environment,
    /// Nothing it starts outlives the run; every start reported.
    Processes,
    /// The mocks and nothing else.
    Network,
    /// Reads and writes where it may only.
    Files,
    /// Memory, file size and time caps.
    Resources,
}

impl Promise {
    /// Every promise, in the order they are told.
    pub const ALL: [Promise; 5] =
        [Promise::Environment, Promise::Processes, Promise::Network, Promise::Files, Promise::Resources];

    /// The promise's name.
    pub fn name(self) -> &'static str {
        match self {
            Promise::Environment => "environment",
            Promise::Processes => "processes",
            Promise::Network => "network",
            Promise::Files => "files",
            Promise::Resources => "resources",
        }
    }
}

/// What holds for a run: each promise, in force or not (and why not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enforcement {
    /// The mode asked for.
    pub mode: SandboxMode,
    /// What the kernel offers.
    pub support: Support,
    /// Each promise with `None` when it holds, or why it does not.
    pub promises: Vec<(Promise, Option<String>)>,
}

impl Enforcement {
    fn of(mode: SandboxMode, support: Support) -> Enforcement {
        let promises = Promise::ALL
            .into_iter()
            .map(|p| {
                let missing = match (mode, p) {
                    (SandboxMode::Off, _) => Some("--sandbox off".to_owned()),
                    (_, Promise::Environment | Promise::Resources) => None,
                    (_, Promise::Processes) => {
                        (!support.seccomp_notify).then(|| "no seccomp user notification (Linux 5.5+)".to_owned())
                    }
                    (_, Promise::Network) => match (support.seccomp_notify, support.landlock_abi >= 4) {
                        (true, true) => None,
                        (false, _) => Some("no seccomp user notification (Linux 5.5+)".to_owned()),
                        (true, false) => Some(format!(
                            "Landlock ABI {} has no TCP rules (ABI 4, Linux 6.7+): refused and reported by seccomp only",
                            support.landlock_abi
                        )),
                    },
                    (_, Promise::Files) => (support.landlock_abi < 1).then(|| {
                        "no Landlock (Linux 5.13+ with the landlock LSM enabled): refused and reported by seccomp only"
                            .to_owned()
                    }),
                };
                (p, missing)
            })
            .collect();
        Enforcement { mode, support, promises }
    }

    /// Whether every promise holds.
    pub fn complete(&self) -> bool {
        self.promises.iter().all(|(_, missing)| missing.is_none())
    }

    /// Whether the implementation is confined at all.
    pub fn active(&self) -> bool {
        self.mode != SandboxMode::Off
    }

    /// The promises that do not hold, with why.
    pub fn missing(&self) -> impl Iterator<Item = (Promise, &str)> {
        self.promises.iter().filter_map(|(p, m)| m.as_deref().map(|m| (*p, m)))
    }

    /// `Err` with what is missing when the mode is `require` and something is.
    pub fn check_required(&self) -> Result<(), SandboxError> {
        if self.mode == SandboxMode::Require && !self.complete() {
            let missing: Vec<String> = self.missing().map(|(p, why)| format!("{}: {why}", p.name())).collect();
            return Err(SandboxError::Required(missing.join("; ")));
        }
        Ok(())
    }
}

impl std::fmt::Display for Enforcement {
    /// One line for the start of a run: `sandbox: environment, processes, network, files, resources
    /// (Landlock ABI 7, seccomp)`, or what is not enforced and why.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mode == SandboxMode::Off {
            return f.write_str("sandbox: off (the implementation runs with the harness's environment and rights)");
        }
        let held: Vec<&str> = self.promises.iter().filter(|(_, m)| m.is_none()).map(|(p, _)| p.name()).collect();
        let kernel = match (self.support.landlock_abi, self.support.seccomp_notify) {
            (0, true) => "seccomp".to_owned(),
            (0, false) => "no kernel features".to_owned(),
            (abi, true) => format!("Landlock ABI {abi}, seccomp"),
            (abi, false) => format!("Landlock ABI {abi}"),
        };
        write!(f, "sandbox ({}): {} ({kernel})", self.mode.name(), held.join(", "))?;
        for (promise, why) in self.missing() {
            write!(f, "; NOT ENFORCED {}: {why}", promise.name())?;
        }
        Ok(())
    }
}

/// The sandbox cannot be set up as asked.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// `--sandbox require` on a kernel that lacks something.
    #[error("--sandbox require: not enforceable on this machine: {0}")]
    Required(String),
    /// Setting up a process's confinement failed.
    #[error("cannot set up the sandbox: {0}")]
    Setup(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_holds_and_what_does_not() {
        let full = Enforcement::of(SandboxMode::Auto, Support { landlock_abi: 7, seccomp_notify: true });
        assert!(full.complete());
        assert_eq!(
            full.to_string(),
            "sandbox (auto): environment, processes, network, files, resources (Landlock ABI 7, seccomp)"
        );
        let bare = Enforcement::of(SandboxMode::Require, Support { landlock_abi: 0, seccomp_notify: false });
        let line = bare.to_string();
        assert!(line.starts_with("sandbox (require): environment, resources (no kernel features)"), "{line}");
        assert!(line.contains("NOT ENFORCED files: no Landlock"), "{line}");
        let e = bare.check_required().unwrap_err().to_string();
        assert!(e.contains("processes: no seccomp") && e.contains("files: no Landlock"), "{e}");
        let old = Enforcement::of(SandboxMode::Auto, Support { landlock_abi: 3, seccomp_notify: true });
        assert_eq!(old.missing().map(|(p, _)| p).collect::<Vec<_>>(), [Promise::Network]);
        assert!(old.check_required().is_ok(), "auto never refuses");
        let off = Enforcement::of(SandboxMode::Off, Support { landlock_abi: 7, seccomp_notify: true });
        assert!(!off.active() && off.to_string().starts_with("sandbox: off"));
    }
}
