//! What the user chose for the sandbox (`--sandbox`, `--pass-env`, `--allow-read`, `--max-memory`),
//! with each default written once.

use std::sync::Arc;

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
}
