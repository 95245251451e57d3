//! The options of `check` and `fuzz`, in one type that the command line and a config file both fill
//! (`tbjwt.toml`: the same names, in snake case), merged and validated in one place with the defaults.
//! The command line wins over the config file. Relative paths are relative to the current folder on the
//! command line and to the config file's own folder in the config file.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::expectations::Expectations;
use super::{generated, CheckSettings};
use crate::compare::{Level, Observable};
use crate::report::ReportRequest;
use crate::runner::Implementation;
use crate::sandbox::{SandboxMode, SandboxSettings};
use crate::strategies::Domain;

/// The config file read when `--config` is not given and it exists in the current folder.
pub const DEFAULT_CONFIG: &str = "tbjwt.toml";
/// Where failing cases are saved, and replayed from, by default (relative to the current folder, or to
/// the config file's folder).
pub const DEFAULT_REGRESSIONS: &str = "tbjwt-regressions";
/// The largest `--cases`.
pub const MAX_CASES: u64 = 1_000_000_000;
/// The largest `--jobs`.
pub const MAX_JOBS: usize = 256;
/// The largest `--shrink-steps`.
pub const MAX_SHRINK_STEPS: usize = 100_000;
/// The per-case limit when none is given: Auth0's limit on a flow's execution (20 s, [Actions
/// limitations](https://auth0.com/docs/customize/actions/limitations)) for an Action run in the Node
/// runtime, as Auth0 would run it; 5 s for programs and endpoints, whose work is the action alone.
pub fn default_timeout(implementation: &Implementation) -> Duration {
    match implementation {
        Implementation::Node(_) => Duration::from_secs(crate::runner::NODE_DEFAULT_TIMEOUT_SECONDS),
        _ => Duration::from_secs(5),
    }
}

/// The largest `--timeout`, in seconds.
pub const MAX_TIMEOUT_SECONDS: f64 = 3600.0;

/// Options of a check (or fuzz) run; every one is optional here, and [`CheckOptions::resolve`] applies the
/// config file and the defaults.
#[derive(clap::Args, Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CheckOptions {
    /// A config file (default: ./tbjwt.toml when it exists).
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The implementation (config file only; on the command line it is the positional argument).
    #[arg(skip)]
    pub implementation: Option<String>,
    /// Generated cases after the fixtures, at most 1,000,000,000 [default: 1000].
    #[arg(long)]
    pub cases: Option<u64>,
    /// The seed of the generated cases (default: a fresh one, always printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// strict (token bytes too), semantic (decoded tokens) or effect (what the world sees) [default: semantic].
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// auth0 (what Auth0 can send), any-json (every JSON type where the action reads) or pipe-names (the
    /// fuzz input space) [default: auth0].
    #[arg(long, value_enum)]
    pub domain: Option<Domain>,
    /// Parallel jobs, each with its own implementation process, 1 to 256 [default: one per CPU; three per CPU for http:].
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Seconds a case may take before the implementation is killed, over 0 and at most 3600 [default: 20
    /// for `node:` (Auth0's limit on a flow), 5 otherwise].
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Run only shard K of N (1-based), deterministically: `--partition 2/4`.
    #[arg(long, value_parser = parse_partition)]
    #[serde(skip)]
    pub partition: Option<(u64, u64)>,
    /// Stop after this many failing cases (at least 1).
    #[arg(long)]
    pub max_failures: Option<u64>,
    /// Stop at the first failing case (`--max-failures 1`).
    #[arg(long)]
    #[serde(skip)]
    pub fail_fast: bool,
    /// Where minimal failing cases are saved, and replayed from on every run [default: tbjwt-regressions].
    #[arg(long)]
    pub save_failures: Option<PathBuf>,
    /// Do not save failing cases (the saved ones are still replayed).
    #[arg(long)]
    #[serde(skip)]
    pub no_save: bool,
    /// Run one case only: a case file, or the name of a built-in case.
    #[arg(long)]
    #[serde(skip)]
    pub replay: Option<PathBuf>,
    /// Known divergences (TOML; see docs/ci.md).
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// Leave an observable out of the comparison (repeatable).
    #[arg(long, value_enum)]
    #[serde(default)]
    pub ignore: Vec<Observable>,
    /// Write a report: json=PATH, junit=PATH, markdown=PATH or html=PATH (repeatable).
    #[arg(long = "report")]
    #[serde(default)]
    pub reports: Vec<ReportRequest>,
    /// A folder of case files to run after the built-in suite (repeatable; it must exist).
    #[arg(long = "fixtures")]
    #[serde(default)]
    pub fixtures: Vec<PathBuf>,
    /// Leave the built-in suite out (only --fixtures folders, saved regressions and generated cases run).
    #[arg(long)]
    #[serde(skip)]
    pub no_suite: bool,
    /// Write each fixture's observation as an insta snapshot in this folder.
    #[arg(long)]
    pub snapshots: Option<PathBuf>,
    /// Candidates tried when shrinking one failure, at most 100,000 (0: no shrinking) [default: 400].
    #[arg(long)]
    pub shrink_steps: Option<usize>,
    /// How many failing generated cases are shrunk and saved [default: 5].
    #[arg(long)]
    pub shrink_failures: Option<u64>,
    /// Print every equivalence class of the inputs with the number of cases that reached it.
    #[arg(long)]
    #[serde(default)]
    pub coverage: bool,
    /// How much the implementation is confined: auto (what this kernel can enforce, saying what it
    /// cannot), require (everything, or exit 2) or off [default: auto].
    #[arg(long, value_enum)]
    pub sandbox: Option<SandboxMode>,
    /// A host environment variable the implementation may see (repeatable; by default it sees none).
    #[arg(long = "pass-env", value_name = "NAME")]
    #[serde(default)]
    pub pass_env: Vec<String>,
    /// A file or folder the implementation may read besides its own folder, its runtime and dependencies
    /// and the system's libraries (repeatable).
    #[arg(long = "allow-read", value_name = "PATH")]
    #[serde(default)]
    pub allow_read: Vec<PathBuf>,
    /// The memory cap of each implementation process, in MiB, 64 to 1,048,576 [default: 1024].
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

/// Options that cannot be used; the message names the option (and the config file, for its values).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(String);

/// What [`CheckOptions::resolve`] gives: the settings, the implementation, and the report files to open.
#[derive(Debug)]
pub struct Resolved {
    /// The run's settings.
    pub settings: CheckSettings,
    /// The implementation to check.
    pub implementation: Implementation,
    /// Report files to write.
    pub reports: Vec<ReportRequest>,
    /// Whether the terminal shows the class coverage table (`--coverage`).
    pub coverage_table: bool,
}

fn parse_partition(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("`{text}` is not K/N with 1 <= K <= N, e.g. 2/4");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || n == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The value of a numeric option, command line first, else the config file's, checked by `problem` (which
/// says what is wrong with a value, if anything); the error names where the bad value came from.
fn checked<T: Copy>(
    cli: Option<T>,
    config: Option<T>,
    option: &str,
    config_path: &Path,
    problem: impl Fn(T) -> Option<String>,
) -> Result<Option<T>, OptionsError> {
    let (value, origin) = match (cli, config) {
        (Some(value), _) => (value, format!("--{}", option.replace('_', "-"))),
        (None, Some(value)) => (value, format!("`{option}` in {}", config_path.display())),
        (None, None) => return Ok(None),
    };
    match problem(value) {
        Some(message) => Err(OptionsError(format!("{origin}: {message}"))),
        None => Ok(Some(value)),
    }
}

fn relative_to(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() || base == Path::new("") {
        path
    } else {
        base.join(path)
    }
}

impl CheckOptions {
    fn load_config(&self) -> Result<(CheckOptions, PathBuf, PathBuf), OptionsError> {
        let path = match &self.config {
            Some(p) => p.clone(),
            None if Path::new(DEFAULT_CONFIG).is_file() => PathBuf::from(DEFAULT_CONFIG),
            None => return Ok((CheckOptions::default(), PathBuf::new(), PathBuf::from(DEFAULT_CONFIG))),
        };
        let text = crate::files::read_text_limited(&path, crate::files::MAX_TEXT_FILE_BYTES)
            .map_err(|e| OptionsError(format!("{}: cannot read the config file: {e}", path.display())))?;
        let config: CheckOptions =
            toml::from_str(&text).map_err(|e| OptionsError(format!("{}: {e}", path.display())))?;
        let base = path.parent().map(Path::to_owned).unwrap_or_default();
        Ok((config, base, path))
    }

    /// Merges the command line (`self`) with the config file and the defaults, and validates every value.
    /// `command` is `check` or `fuzz`.
    pub fn resolve(
        self,
        implementation: Option<Implementation>,
        command: &'static str,
    ) -> Result<Resolved, OptionsError> {
        let (config, base, config_path) = self.load_config()?;
        let sandbox = sandbox_settings(&self.sandbox_args(), &config.sandbox_args(), &base, &config_path)?;
        let at = |p: PathBuf| relative_to(&base, p);
        let implementation = match (implementation, config.implementation) {
            (Some(i), _) => i,
            (None, Some(text)) => {
                let text = match text.strip_prefix("node:") {
                    Some(path) => format!("node:{}", at(PathBuf::from(path)).display()),
                    None => text,
                };
                text.parse::<Implementation>()
                    .map_err(|e| OptionsError(format!("`implementation` in {}: {e}", config_path.display())))?
            }
            (None, None) => {
                return Err(OptionsError(format!(
                    "no implementation: pass one ({}) or set `implementation` in {DEFAULT_CONFIG}",
                    "reference | node:PATH | cmd:COMMAND LINE | http(s)://URL"
                )))
            }
        };
        let cp = &config_path;
        let cases = checked(self.cases, config.cases, "cases", cp, |v| {
            (v > MAX_CASES).then(|| format!("{v} is more than the {MAX_CASES} generated cases a run may have"))
        })?
        .unwrap_or(1000);
        let jobs = checked(self.jobs, config.jobs, "jobs", cp, |v| {
            (v == 0 || v > MAX_JOBS).then(|| format!("{v} jobs: give 1 to {MAX_JOBS}"))
        })?
        .unwrap_or_else(|| super::default_jobs_for(&implementation));
        // One case runs on one job: more would only start implementation processes that get no case.
        let jobs = if self.replay.is_some() { 1 } else { jobs };
        let timeout = checked(self.timeout, config.timeout, "timeout", cp, |v| {
            (!(v.is_finite() && v > 0.0 && v <= MAX_TIMEOUT_SECONDS))
                .then(|| format!("{v} is not a number of seconds over 0 and at most {MAX_TIMEOUT_SECONDS}"))
        })?
        .map_or_else(|| default_timeout(&implementation), Duration::from_secs_f64);
        let max_failures = checked(self.max_failures, config.max_failures, "max_failures", cp, |v| {
            (v == 0).then(|| "0 failing cases: give at least 1 (or leave it out)".to_owned())
        })?;
        let max_failures = if self.fail_fast { Some(1) } else { max_failures };
        let shrink_steps = checked(self.shrink_steps, config.shrink_steps, "shrink_steps", cp, |v| {
            (v > MAX_SHRINK_STEPS).then(|| format!("{v} is more than {MAX_SHRINK_STEPS} shrinking steps"))
        })?
        .unwrap_or(400);
        let shrink_failures =
            checked(self.shrink_failures, config.shrink_failures, "shrink_failures", cp, |_| None)?.unwrap_or(5);

        let mut fixtures = self.fixtures.clone();
        fixtures.extend(config.fixtures.into_iter().map(at));
        for dir in &fixtures {
            if !dir.is_dir() {
                return Err(OptionsError(format!("--fixtures {}: no such folder", dir.display())));
            }
        }
        let regressions = self
            .save_failures
            .clone()
            .or(config.save_failures.map(at))
            .unwrap_or_else(|| at(PathBuf::from(DEFAULT_REGRESSIONS)));
        if regressions.exists() && !regressions.is_dir() {
            return Err(OptionsError(format!("--save-failures {}: not a folder", regressions.display())));
        }
        let expectations = match self.expectations.clone().or(config.expectations.map(at)) {
            Some(path) => Some(Expectations::load(&path).map_err(|e| OptionsError(e.to_string()))?),
            None => None,
        };
        let mut reports = self.reports.clone();
        reports.extend(config.reports.into_iter().map(|mut r| {
            r.path = at(r.path);
            r
        }));
        let mut ignore: BTreeSet<Observable> = self.ignore.iter().copied().collect();
        ignore.extend(config.ignore);
        let snapshots = match self.snapshots.clone().or(config.snapshots.map(at)) {
            Some(dir) => Some(writable_folder(&dir)?),
            None => None,
        };
        // Only an implementation the harness starts as a process runs in its sandbox.
        let sandbox_line = match &implementation {
            Implementation::Node(_) | Implementation::Cmd(_) => {
                let enforcement = crate::sandbox::Enforcement::of_settings(&sandbox);
                enforcement.check_required().map_err(|e| OptionsError(e.to_string()))?;
                Some(enforcement.to_string())
            }
            Implementation::Reference | Implementation::Http(_) => None,
        };
        if let Some(replay) = &self.replay {
            if replay.exists() && !replay.is_file() {
                return Err(OptionsError(format!("--replay {}: not a file", replay.display())));
            }
        }
        let settings = CheckSettings {
            command,
            implementation: implementation.to_string(),
            program: "tbjwt".into(),
            level: self.level.or(config.level).unwrap_or_default(),
            ignore,
            domain: self.domain.or(config.domain).unwrap_or_default(),
            cases,
            seed: self.seed.or(config.seed).unwrap_or_else(generated::fresh_seed),
            jobs,
            timeout,
            partition: self.partition,
            max_failures,
            suite: !self.no_suite,
            fixture_dirs: fixtures,
            save_failures: (!self.no_save).then(|| regressions.clone()),
            regressions: Some(regressions),
            replay: self.replay,
            expectations,
            shrink_steps,
            shrink_failures,
            snapshots,
            time_budget: None,
            sandbox,
            sandbox_line,
        };
        Ok(Resolved { settings, implementation, reports, coverage_table: self.coverage || config.coverage })
    }
}

/// The smallest and largest `--max-memory`, in MiB.
pub const MAX_MEMORY_RANGE_MIB: (u64, u64) = (64, 1 << 20);

/// The sandbox's options, as `run`, `observe` and `tbjwt mocks --action` take them (`check` and `fuzz`
/// take the same names in [`CheckOptions`], where the config file can set them too).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SandboxArgs {
    /// How much the implementation is confined: auto (what this kernel can enforce, saying what it
    /// cannot), require (everything, or exit 2) or off [default: auto].
    #[arg(long, value_enum)]
    pub sandbox: Option<SandboxMode>,
    /// A host environment variable the implementation may see (repeatable; by default it sees none).
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
    /// A file or folder the implementation may read besides its own folder, its runtime and dependencies
    /// and the system's libraries (repeatable).
    #[arg(long = "allow-read", value_name = "PATH")]
    pub allow_read: Vec<PathBuf>,
    /// The memory cap of each implementation process, in MiB, 64 to 1,048,576 [default: 1024].
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

impl SandboxArgs {
    /// The settings these options give, checked.
    pub fn settings(&self) -> Result<SandboxSettings, OptionsError> {
        sandbox_settings(self, &SandboxArgs::default(), Path::new(""), Path::new(DEFAULT_CONFIG))
    }
}

impl CheckOptions {
    fn sandbox_args(&self) -> SandboxArgs {
        SandboxArgs {
            sandbox: self.sandbox,
            pass_env: self.pass_env.clone(),
            allow_read: self.allow_read.clone(),
            max_memory: self.max_memory,
        }
    }
}

/// The sandbox's settings: the command line's mode and memory cap over the config file's (at `cp`, whose
/// folder `base` its paths are relative to), the variables and paths of both; each variable must be a
/// plain name and each path must exist.
fn sandbox_settings(
    cli: &SandboxArgs,
    config: &SandboxArgs,
    base: &Path,
    cp: &Path,
) -> Result<SandboxSettings, OptionsError> {
    let (low, high) = MAX_MEMORY_RANGE_MIB;
    let max_memory_mib = checked(cli.max_memory, config.max_memory, "max_memory", cp, |v| {
        (!(low..=high).contains(&v)).then(|| format!("{v} MiB: give {low} to {high}"))
    })?
    .unwrap_or(crate::sandbox::DEFAULT_MAX_MEMORY_MIB);
    let plain = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if let Some(bad) = cli.pass_env.iter().find(|n| !plain(n)) {
        return Err(OptionsError(format!("--pass-env {bad:?}: not a variable name (letters, digits, _)")));
    }
    if let Some(bad) = config.pass_env.iter().find(|n| !plain(n)) {
        return Err(OptionsError(format!("`pass_env` in {}: {bad:?} is not a variable name", cp.display())));
    }
    let mut pass_env: Vec<String> = cli.pass_env.clone();
    pass_env.extend(config.pass_env.iter().filter(|n| !cli.pass_env.contains(n)).cloned());
    let mut allow_read = cli.allow_read.clone();
    allow_read.extend(config.allow_read.iter().map(|p| relative_to(base, p.clone())));
    if let Some(missing) = allow_read.iter().find(|p| !p.exists()) {
        return Err(OptionsError(format!("--allow-read {}: no such file or folder", missing.display())));
    }
    Ok(SandboxSettings {
        mode: cli.sandbox.or(config.sandbox).unwrap_or_default(),
        pass_env: pass_env.into(),
        allow_read: allow_read.into(),
        max_memory_mib,
    })
}

/// `dir` as an absolute path, created if needed and checked writable (insta would panic on it otherwise).
fn writable_folder(dir: &Path) -> Result<PathBuf, OptionsError> {
    let fail = |e: std::io::Error| OptionsError(format!("--snapshots {}: cannot write there: {e}", dir.display()));
    let absolute = std::path::absolute(dir).map_err(fail)?;
    std::fs::create_dir_all(&absolute).map_err(fail)?;
    let probe = absolute.join(format!(".tbjwt-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(fail)?;
    let _ = std::fs::remove_file(&probe);
    Ok(absolute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(options: CheckOptions) -> Result<Resolved, OptionsError> {
        options.resolve(Some(Implementation::Reference), "check")
    }

    #[test]
    fn out_of_range_numbers_name_the_option() {
        for (options, needle) in [
            (CheckOptions { cases: Some(u64::MAX), ..Default::default() }, "--cases"),
            (CheckOptions { jobs: Some(0), ..Default::default() }, "--jobs"),
            (CheckOptions { timeout: Some(f64::INFINITY), ..Default::default() }, "--timeout"),
            (CheckOptions { timeout: Some(f64::NAN), ..Default::default() }, "--timeout"),
            (CheckOptions { max_failures: Some(0), ..Default::default() }, "--max-failures"),
            (CheckOptions { shrink_steps: Some(usize::MAX), ..Default::default() }, "--shrink-steps"),
            (CheckOptions { fixtures: vec!["/nonexistent".into()], ..Default::default() }, "--fixtures"),
            (CheckOptions { max_memory: Some(1), ..Default::default() }, "--max-memory"),
            (CheckOptions { pass_env: vec!["A=B".into()], ..Default::default() }, "--pass-env"),
        ] {
            let message = resolve(options).unwrap_err().to_string();
            assert!(message.starts_with(needle), "{message}");
        }
    }

    #[test]
    fn defaults_are_applied_in_one_place() {
        let settings = resolve(CheckOptions { no_save: true, ..Default::default() }).unwrap().settings;
        assert_eq!((settings.cases, settings.level, settings.shrink_steps), (1000, Level::Semantic, 400));
        assert_eq!(settings.timeout, Duration::from_secs(5));
        assert!(settings.suite && settings.save_failures.is_none());
        assert_eq!(settings.regressions, Some(PathBuf::from(DEFAULT_REGRESSIONS)));
    }
}
