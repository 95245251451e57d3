//! What of the sandbox holds for a run: each promise in force or not (and why not), as the run's first
//! lines say it; `--sandbox require` refuses to start without all of them.

use super::error::SandboxError;
use super::kernel::{support, Support};
use super::settings::{SandboxMode, SandboxSettings};

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
    /// What holds with `settings` on this machine.
    pub fn of_settings(settings: &SandboxSettings) -> Enforcement {
        Enforcement::of(settings.mode, support())
    }

    /// What holds in `mode` on a kernel that offers `support`.
    pub fn of(mode: SandboxMode, support: Support) -> Enforcement {
        // Held by the supervisor and by Landlock from ABI `abi` on; what `lacking` says otherwise.
        let seccomp_and_landlock = |abi: i32, lacking: &str| {
            if !support.seccomp_notify {
                Some("no seccomp user notification (Linux 5.5+)".to_owned())
            } else if support.landlock_abi < abi {
                Some(format!("Landlock ABI {} {lacking}", support.landlock_abi))
            } else {
                None
            }
        };
        let promises = Promise::ALL
            .into_iter()
            .map(|p| {
                let missing = match (mode, p) {
                    (SandboxMode::Off, _) => Some("--sandbox off".to_owned()),
                    (_, Promise::Environment | Promise::Resources) => None,
                    (_, Promise::Processes) => {
                        seccomp_and_landlock(6, "cannot refuse signals to processes outside (ABI 6, Linux 6.12+)")
                    }
                    (_, Promise::Network) => seccomp_and_landlock(
                        4,
                        "has no TCP rules (ABI 4, Linux 6.7+): refused and reported by seccomp only",
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::Support;

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
        assert_eq!(old.missing().map(|(p, _)| p).collect::<Vec<_>>(), [Promise::Processes, Promise::Network]);
        assert!(old.check_required().is_ok(), "auto never refuses");
        let off = Enforcement::of(SandboxMode::Off, Support { landlock_abi: 7, seccomp_notify: true });
        assert!(!off.active() && off.to_string().starts_with("sandbox: off"));
    }
}
