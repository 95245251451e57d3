//! Every default of `check` and `fuzz`, written once: option resolution ([`super::options`]) applies them,
//! and `--help` shows them ([`show_in_help`]), so the two never disagree.

use std::time::Duration;

use crate::compare::Level;
use crate::runner::Implementation;
use crate::sandbox::{SandboxMode, SandboxSettings};
use crate::strategies::Domain;

/// The largest `--cases`.
pub const MAX_CASES: u64 = 1_000_000_000;
/// Where failing cases are saved, and replayed from, by default (relative to the current folder, or to
/// the config file's folder).
pub const DEFAULT_REGRESSIONS: &str = "tbjwt-regressions";
/// The config file read when no other is named and it exists in the current folder.
pub const DEFAULT_CONFIG: &str = "tbjwt.toml";
/// Seconds a case of a program or an endpoint may take: their work is the action alone.
const PROGRAM_TIMEOUT_SECONDS: u64 = 5;

/// The defaults of one command.
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// Generated cases.
    pub cases: u64,
    /// The comparison level.
    pub level: Level,
    /// The generated events' domain.
    pub domain: Domain,
    /// The failing cases a run stops after, when no `cases` is given.
    pub max_failures: Option<u64>,
    /// Candidates tried when shrinking one failure.
    pub shrink_steps: usize,
    /// Failing generated cases shrunk and saved.
    pub shrink_failures: u64,
    /// Times a case whose execution errored runs again.
    pub retries: u32,
    /// The Auth0 Actions runtime a `node:` action runs with.
    pub runtime: crate::runner::ActionsRuntime,
    /// How much the implementation is confined.
    pub sandbox: SandboxMode,
    /// The memory cap of an implementation process, in MiB.
    pub max_memory_mib: u64,
}

impl Defaults {
    /// The defaults of `command` (`check`, or `fuzz`: the pipe-name space, as many cases as its time
    /// allows, stopping at the first failure).
    pub fn of(command: &str) -> Defaults {
        // The level, the domain and the sandbox's defaults are their types' own (`#[default]`).
        let sandbox = SandboxSettings::default();
        let check = Defaults {
            cases: 1000,
            level: Level::default(),
            domain: Domain::default(),
            max_failures: None,
            shrink_steps: 400,
            shrink_failures: 5,
            retries: 0,
            runtime: crate::runner::ActionsRuntime::default(),
            sandbox: sandbox.mode,
            max_memory_mib: sandbox.max_memory_mib,
        };
        match command {
            "fuzz" => Defaults { cases: MAX_CASES, domain: Domain::PipeNames, max_failures: Some(1), ..check },
            _ => check,
        }
    }

    /// The jobs of a run of `implementation`: one per CPU, three per CPU for `http:` (its jobs mostly wait).
    pub fn jobs(implementation: &Implementation) -> usize {
        super::default_jobs_for(implementation)
    }

    /// The per-case limit of `implementation`: Auth0's limit on a flow's execution (20 s, [Actions
    /// limitations](https://auth0.com/docs/customize/actions/limitations)) for an Action run in the Node
    /// runtime, as Auth0 would run it; 5 s for programs and endpoints, whose work is the action alone.
    pub fn timeout(implementation: &Implementation) -> Duration {
        match implementation {
            Implementation::Node(_) => Duration::from_secs(crate::runner::NODE_DEFAULT_TIMEOUT_SECONDS),
            _ => Duration::from_secs(PROGRAM_TIMEOUT_SECONDS),
        }
    }

    /// What `--help` says of each default, by option.
    fn shown(&self) -> Vec<(&'static str, String)> {
        let name = |v: &dyn Fn() -> Option<clap::builder::PossibleValue>| v().map(|p| p.get_name().to_owned());
        let mut shown = vec![
            ("config", format!("./{DEFAULT_CONFIG} when it exists")),
            ("cases", self.cases.to_string()),
            ("seed", "a fresh one, always printed".to_owned()),
            ("level", name(&|| clap::ValueEnum::to_possible_value(&self.level)).unwrap_or_default()),
            ("domain", name(&|| clap::ValueEnum::to_possible_value(&self.domain)).unwrap_or_default()),
            ("jobs", "one per CPU; three per CPU for http:".to_owned()),
            (
                "timeout",
                format!(
                    "{} for node: (Auth0's limit on a flow), {PROGRAM_TIMEOUT_SECONDS} otherwise",
                    crate::runner::NODE_DEFAULT_TIMEOUT_SECONDS
                ),
            ),
            ("save_failures", DEFAULT_REGRESSIONS.to_owned()),
            ("shrink_steps", self.shrink_steps.to_string()),
            ("shrink_failures", self.shrink_failures.to_string()),
            ("retries", self.retries.to_string()),
            ("flaky_result", "pass".to_owned()),
            ("runtime", self.runtime.name().to_owned()),
            ("sandbox", name(&|| clap::ValueEnum::to_possible_value(&self.sandbox)).unwrap_or_default()),
            ("max_memory", self.max_memory_mib.to_string()),
        ];
        if let Some(n) = self.max_failures {
            shown.push(("max_failures", format!("{n} unless --cases is given")));
        }
        shown
    }
}

/// The options the environment can set (by their config-file names); lists and switches cannot.
pub const FROM_ENVIRONMENT: [&str; 21] = [
    "config",
    "implementation",
    "cases",
    "seed",
    "level",
    "domain",
    "jobs",
    "timeout",
    "max_failures",
    "save_failures",
    "expectations",
    "baseline",
    "snapshots",
    "shrink_steps",
    "shrink_failures",
    "retries",
    "flaky_result",
    "sandbox",
    "max_memory",
    "runtime",
    "action",
];

/// `command`'s options (those of [`super::options::CheckOptions`]) with `run`'s default and the
/// environment variable of each appended to their help.
pub fn show_in_help(command: clap::Command, run: &str) -> clap::Command {
    let shown = Defaults::of(run).shown();
    command.mut_args(|arg| {
        let id = arg.get_id().as_str().to_owned();
        let mut added = String::new();
        if let Some((_, default)) = shown.iter().find(|(option, _)| *option == id) {
            added.push_str(&format!(" [default: {default}]"));
        }
        if FROM_ENVIRONMENT.contains(&id.as_str()) {
            added.push_str(&format!(" [env: {}]", super::sources::variable(&id)));
        }
        if added.is_empty() {
            return arg;
        }
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        arg.help(format!("{help}{added}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_shows_each_default_as_resolution_applies_it() {
        let command = <super::super::options::CheckOptions as clap::Args>::augment_args(clap::Command::new("check"));
        let help = show_in_help(command, "check").render_help().to_string();
        for expected in
            ["[default: 1000] [env: TBJWT_CASES]", "[default: semantic]", "[default: auth0]", "[default: 400]"]
        {
            assert!(help.contains(expected), "{expected} missing from:\n{help}");
        }
        let command = <super::super::options::CheckOptions as clap::Args>::augment_args(clap::Command::new("fuzz"));
        let help = show_in_help(command, "fuzz").render_help().to_string();
        assert!(
            help.contains("[default: pipe-names]") && help.contains("[default: 1 unless --cases is given]"),
            "{help}"
        );
    }
}
