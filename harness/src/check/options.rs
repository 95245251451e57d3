//! The options of `check` and `fuzz`, in one type that the command line, the environment and a config
//! file fill (`tbjwt.toml`: the same names, in snake case; `TBJWT_` and the name in upper snake case for
//! the environment), resolved once into [`CheckSettings`] with the defaults ([`Defaults`], written once:
//! resolution applies them and `--help` shows them). The command line wins over the environment, which
//! wins over the config file. An error names where the bad value came from (the flag, the variable, or
//! the key and the file). Relative paths are relative to the current folder on the command line and in
//! the environment, and to the config file's own folder in the config file.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::baseline::Baseline;
use super::expectations::Expectations;
use super::sources::{number, one_of, path, seconds, Sources};
use super::{generated, CheckSettings};
use crate::compare::{Level, Observable};
use crate::report::ReportRequest;
use crate::runner::{ActionsRuntime, Implementation};
use crate::sandbox::{SandboxMode, SandboxSettings};
use crate::strategies::Domain;

pub use super::defaults::{show_in_help, Defaults, DEFAULT_CONFIG, DEFAULT_REGRESSIONS, MAX_CASES};
pub use super::sources::{Environment, OptionsError, Origin};

/// The largest `--jobs`.
pub const MAX_JOBS: usize = 256;
/// The largest `--shrink-steps`.
pub const MAX_SHRINK_STEPS: usize = 100_000;
/// The largest `--timeout`, in seconds.
pub const MAX_TIMEOUT_SECONDS: f64 = 3600.0;

/// Options of a check (or fuzz) run; every one is optional here, and [`CheckOptions::resolve`] applies the
/// environment, the config file and the defaults.
#[derive(clap::Args, Deserialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct CheckOptions {
    /// A config file.
    #[arg(long)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The implementation (config file only; on the command line it is the positional argument).
    #[arg(skip)]
    pub implementation: Option<String>,
    /// Generated cases after the fixtures, at most 1,000,000,000.
    #[arg(long)]
    pub cases: Option<u64>,
    /// The seed of the generated cases.
    #[arg(long)]
    pub seed: Option<u64>,
    /// strict (token bytes too), semantic (decoded tokens) or effect (what the world sees).
    #[arg(long, value_enum)]
    pub level: Option<Level>,
    /// auth0 (what Auth0 can send), any-json (every JSON type where the action reads) or pipe-names (the
    /// fuzz input space).
    #[arg(long, value_enum)]
    pub domain: Option<Domain>,
    /// Parallel jobs, each with its own implementation process, 1 to 256.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Seconds a case may take before the implementation is killed, over 0 and at most 3600.
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
    /// Where minimal failing cases are saved, and replayed from on every run.
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
    /// Run only the cases that did not pass in a JSON report (default: the one this run's --report json=
    /// writes, as the last run left it), generated ones included, each at its own clock.
    #[arg(long, value_name = "REPORT", num_args = 0..=1)]
    #[serde(skip)]
    pub rerun_failed: Option<Option<PathBuf>>,
    /// Run a case whose execution errored (a timeout, a crash, a refused connection) again, up to this
    /// many times, 0 to 10; a divergence is never run again. A case that then passes is flaky.
    #[arg(long)]
    pub retries: Option<u32>,
    /// What a flaky case does to the run: pass (counted apart) or fail.
    #[arg(long, value_enum)]
    pub flaky_result: Option<FlakyResult>,
    /// Known divergences (TOML; see docs/ci.md).
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// Fail only on root causes this baseline does not hold: a JSON report of an earlier run, or a file
    /// `tbjwt baseline write` made (docs/ci.md).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Also fail when the baseline holds a cause no case showed (it was fixed: take it out of the baseline).
    #[arg(long)]
    #[serde(default)]
    pub baseline_strict: bool,
    /// Leave an observable out of the comparison (repeatable).
    #[arg(long, value_enum)]
    #[serde(default)]
    pub ignore: Vec<Observable>,
    /// Write a report: json=PATH, junit=PATH, markdown=PATH, html=PATH, sarif=PATH or badge=PATH (repeatable).
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
    /// Candidates tried when shrinking one failure, at most 100,000 (0: no shrinking).
    #[arg(long)]
    pub shrink_steps: Option<usize>,
    /// How many failing generated cases are shrunk and saved.
    #[arg(long)]
    pub shrink_failures: Option<u64>,
    /// Print every equivalence class of the inputs with the number of cases that reached it.
    #[arg(long)]
    #[serde(default)]
    pub coverage: bool,
    /// How much the implementation is confined: auto (what this kernel can enforce, saying what it
    /// cannot), require (everything, or exit 2) or off.
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
    /// The memory cap of each implementation process, in MiB, 64 to 1,048,576.
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
    /// The Auth0 Actions runtime a node: action runs with: node22 (module-level code once per instance,
    /// kept across a case's logins) or node18 (module-level code at every execution).
    #[arg(long, value_enum)]
    pub runtime: Option<ActionsRuntime>,
    /// The action to check where a Deploy CLI export or a Terraform configuration holds several (its
    /// name, or its Terraform label).
    #[arg(long, value_name = "NAME")]
    pub action: Option<String>,
    /// The secret a deployed custom Action reads one of the reference's inputs under, as INPUT=NAME
    /// (`TINYBIRD_WORKSPACE_ID=TB_WORKSPACE`; repeatable; each input's own name by default).
    #[arg(long = "secret-name", value_name = "INPUT=NAME", value_parser = parse_secret_name)]
    #[serde(skip)]
    pub secret_name: Vec<(String, String)>,
    /// The config file's `[secret_names]` table: input → secret name.
    #[arg(skip)]
    #[serde(default)]
    pub secret_names: BTreeMap<String, String>,
}

/// `INPUT=NAME` of `--secret-name`.
pub fn parse_secret_name(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((input, name)) if !input.trim().is_empty() && !name.trim().is_empty() => {
            Ok((input.trim().to_owned(), name.trim().to_owned()))
        }
        _ => Err(format!("`{text}` is not INPUT=NAME, e.g. TINYBIRD_WORKSPACE_ID=TB_WORKSPACE")),
    }
}

/// What a case that passed only on a retry does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FlakyResult {
    /// It passes, counted apart as flaky.
    #[default]
    Pass,
    /// It fails the run (exit 1).
    Fail,
}

/// The largest `--retries`.
pub const MAX_RETRIES: u32 = 10;

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

fn relative_to(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() || base == Path::new("") {
        path
    } else {
        base.join(path)
    }
}

impl CheckOptions {
    /// The config file's options, the folder its paths are relative to, and its path (the default one's
    /// when none is read): the one `--config` or `TBJWT_CONFIG` names, else `./tbjwt.toml` if it exists.
    fn load_config(&self, environment: Environment<'_>) -> Result<(CheckOptions, PathBuf, PathBuf), OptionsError> {
        let named = self
            .config
            .clone()
            .or_else(|| environment(&super::sources::variable("config")).filter(|t| !t.is_empty()).map(PathBuf::from));
        let path = match named {
            Some(p) => p,
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

    /// Resolves the command line (`self`) with the process's environment, the config file and the
    /// defaults, and validates every value. `command` is `check` or `fuzz`.
    pub fn resolve(
        self,
        implementation: Option<Implementation>,
        command: &'static str,
    ) -> Result<Resolved, OptionsError> {
        self.resolve_in(implementation, command, &|name| std::env::var(name).ok())
    }

    /// [`CheckOptions::resolve`] with the environment `environment` gives.
    pub fn resolve_in(
        self,
        implementation: Option<Implementation>,
        command: &'static str,
        environment: Environment<'_>,
    ) -> Result<Resolved, OptionsError> {
        let defaults = Defaults::of(command);
        let (config, base, config_path) = self.load_config(environment)?;
        let sources = Sources { environment, config_file: &config_path };
        let sandbox = sandbox_settings(&self.sandbox_args(), &config.sandbox_args(), &base, &sources, &defaults)?;
        // A path is relative to the config file's folder when it came from there.
        let placed = |picked: Option<(PathBuf, Origin)>| {
            picked.map(|(path, origin)| match origin {
                Origin::Config { .. } => relative_to(&base, path),
                _ => path,
            })
        };
        // A `node:` path in the config file is relative to the config file's folder.
        let configured = config.implementation.clone().map(|text| match text.strip_prefix("node:") {
            Some(path) => format!("node:{}", relative_to(&base, PathBuf::from(path)).display()),
            None => text,
        });
        let implementation = match implementation {
            Some(given) => given,
            None => match sources.pick("implementation", None, configured, |text| Ok(text.to_owned()))? {
                Some((text, origin)) => {
                    text.parse::<Implementation>().map_err(|e| OptionsError(format!("{origin}: {e}")))?
                }
                None => {
                    return Err(OptionsError(format!(
                        "no implementation: pass one ({}), or set TBJWT_IMPLEMENTATION or `implementation` in \
                         {DEFAULT_CONFIG}",
                        "reference | node:PATH | cmd:COMMAND LINE | http(s)://URL"
                    )))
                }
            },
        };
        let cases = sources.pick("cases", self.cases, config.cases, number)?;
        if let Some((v, origin)) = &cases {
            if *v > MAX_CASES {
                return Err(OptionsError(format!(
                    "{origin}: {v} is more than the {MAX_CASES} generated cases a run may have"
                )));
            }
        }
        let cases_given = cases.is_some();
        let cases = cases.map_or(defaults.cases, |(v, _)| v);
        let jobs = sources
            .checked("jobs", self.jobs, config.jobs, number, |&v| {
                (v == 0 || v > MAX_JOBS).then(|| format!("{v} jobs: give 1 to {MAX_JOBS}"))
            })?
            .unwrap_or_else(|| Defaults::jobs(&implementation));
        // One case runs on one job: more would only start implementation processes that get no case.
        let jobs = if self.replay.is_some() { 1 } else { jobs };
        let timeout = sources
            .checked("timeout", self.timeout, config.timeout, seconds, |&v| {
                (!(v.is_finite() && v > 0.0 && v <= MAX_TIMEOUT_SECONDS))
                    .then(|| format!("{v} is not a number of seconds over 0 and at most {MAX_TIMEOUT_SECONDS}"))
            })?
            .map_or_else(|| Defaults::timeout(&implementation), Duration::from_secs_f64);
        let max_failures = sources.checked("max_failures", self.max_failures, config.max_failures, number, |&v| {
            (v == 0).then(|| "0 failing cases: give at least 1 (or leave it out)".to_owned())
        })?;
        let max_failures = match (self.fail_fast, max_failures) {
            (true, _) => Some(1),
            (false, Some(n)) => Some(n),
            (false, None) if cases_given => None,
            (false, None) => defaults.max_failures,
        };
        let shrink_steps = sources
            .checked("shrink_steps", self.shrink_steps, config.shrink_steps, number, |&v| {
                (v > MAX_SHRINK_STEPS).then(|| format!("{v} is more than {MAX_SHRINK_STEPS} shrinking steps"))
            })?
            .unwrap_or(defaults.shrink_steps);
        let retries = sources
            .checked("retries", self.retries, config.retries, number, |&v| {
                (v > MAX_RETRIES).then(|| format!("{v} retries: give 0 to {MAX_RETRIES}"))
            })?
            .unwrap_or(defaults.retries);
        let flaky_result = sources
            .pick("flaky_result", self.flaky_result, config.flaky_result, one_of)?
            .map_or_else(FlakyResult::default, |(v, _)| v);
        let runtime = sources.pick("runtime", self.runtime, config.runtime, one_of)?;
        let action = sources.pick("action", self.action.clone(), config.action.clone(), |t| Ok(t.to_owned()))?;
        let mut secret_names = config.secret_names.clone();
        secret_names.extend(self.secret_name.iter().cloned());
        let artifact = crate::node::ArtifactChoice { action: action.map(|(a, _)| a), secret_names };
        let deployment = deployment(&implementation, &artifact, runtime.as_ref())?;
        let runtime =
            deployment.as_ref().and_then(|d| d.runtime).or(runtime.map(|(v, _)| v)).unwrap_or(defaults.runtime);
        let shrink_failures = sources
            .pick("shrink_failures", self.shrink_failures, config.shrink_failures, number)?
            .map_or(defaults.shrink_failures, |(v, _)| v);
        let level = sources.pick("level", self.level, config.level, one_of)?.map_or(defaults.level, |(v, _)| v);
        let domain = sources.pick("domain", self.domain, config.domain, one_of)?.map_or(defaults.domain, |(v, _)| v);
        let seed = sources.pick("seed", self.seed, config.seed, number)?.map(|(v, _)| v);

        let mut fixtures = self.fixtures.clone();
        fixtures.extend(config.fixtures.into_iter().map(|p| relative_to(&base, p)));
        for dir in &fixtures {
            if !dir.is_dir() {
                return Err(OptionsError(format!("--fixtures {}: no such folder", dir.display())));
            }
        }
        let save_failures = sources.pick("save_failures", self.save_failures.clone(), config.save_failures, path)?;
        let regressions =
            placed(save_failures).unwrap_or_else(|| relative_to(&base, PathBuf::from(DEFAULT_REGRESSIONS)));
        if regressions.exists() && !regressions.is_dir() {
            return Err(OptionsError(format!("--save-failures {}: not a folder", regressions.display())));
        }
        let expectations = sources.pick("expectations", self.expectations.clone(), config.expectations, path)?;
        let expectations = match placed(expectations) {
            Some(path) => Some(Expectations::load(&path).map_err(|e| OptionsError(e.to_string()))?),
            None => None,
        };
        let baseline = match placed(sources.pick("baseline", self.baseline.clone(), config.baseline, path)?) {
            Some(path) => {
                let baseline = Baseline::load(&path).map_err(|e| OptionsError(format!("--baseline: {e}")))?;
                baseline
                    .check_applies(level.name(), domain.name())
                    .map_err(|e| OptionsError(format!("--baseline: {e}")))?;
                Some(baseline)
            }
            None => None,
        };
        let baseline_strict = self.baseline_strict || config.baseline_strict;
        let mut reports = self.reports.clone();
        reports.extend(config.reports.into_iter().map(|mut r| {
            r.path = relative_to(&base, r.path);
            r
        }));
        let rerun = match &self.rerun_failed {
            None => None,
            Some(given) => {
                let path = match given.clone().or_else(|| {
                    reports.iter().find(|r| r.format == crate::report::ReportFormat::Json).map(|r| r.path.clone())
                }) {
                    Some(path) => path,
                    None => {
                        return Err(OptionsError(
                            "--rerun-failed: give the report (--rerun-failed REPORT), or the --report json=PATH the last run wrote".into(),
                        ))
                    }
                };
                let report =
                    crate::report::read::read(&path).map_err(|e| OptionsError(format!("--rerun-failed: {e}")))?;
                Some(super::rerun::Rerun::of(report).map_err(|e| OptionsError(format!("--rerun-failed: {e}")))?)
            }
        };
        // A rerun keeps the seed of the run it reruns, unless told otherwise.
        let seed = seed.or(rerun.as_ref().map(|r| r.seed)).unwrap_or_else(generated::fresh_seed);
        if rerun.is_some() && self.replay.is_some() {
            return Err(OptionsError("--rerun-failed and --replay each choose the cases: give one".into()));
        }
        if baseline_strict && baseline.is_none() {
            return Err(OptionsError("--baseline-strict needs a baseline (--baseline FILE)".into()));
        }
        let mut ignore: BTreeSet<Observable> = self.ignore.iter().copied().collect();
        ignore.extend(config.ignore);
        let snapshots = match placed(sources.pick("snapshots", self.snapshots.clone(), config.snapshots, path)?) {
            Some(dir) => Some(writable_folder(&dir)?),
            None => None,
        };
        // What runs a node: action: the Actions runtime emulated, and the Node.js found on the machine.
        let runtime_line = match &implementation {
            Implementation::Node(_) => Some(runtime_line(runtime, deployment.as_ref())),
            _ => None,
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
            level,
            ignore,
            domain,
            cases,
            seed,
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
            retries,
            flaky_fails: flaky_result == FlakyResult::Fail,
            rerun,
            baseline,
            baseline_strict,
            shrink_steps,
            shrink_failures,
            snapshots,
            time_budget: None,
            sandbox,
            sandbox_line,
            runtime,
            runtime_line,
            artifact,
            custom: deployment.as_ref().map(|d| d.inputs.clone()),
            drift: deployment.map(|d| d.drift).unwrap_or_default(),
        };
        Ok(Resolved { settings, implementation, reports, coverage_table: self.coverage || config.coverage })
    }
}

/// What a deployed artifact (a Deploy CLI export, a Terraform configuration) settles for a run.
struct Deployment {
    /// Where the action is declared.
    origin: String,
    /// The runtime it declares, when tbjwt emulates it.
    runtime: Option<ActionsRuntime>,
    /// What it is given.
    inputs: crate::node::custom::CustomInputs,
    /// Where it and its code part ways.
    drift: Vec<crate::node::artifact::drift::DriftFinding>,
}

/// The deployment `implementation` is, if it is an artifact: the action `artifact` chooses, read once
/// here so that its runtime is the run's (a different `--runtime` is refused) and its drift is known.
fn deployment(
    implementation: &Implementation,
    artifact: &crate::node::ArtifactChoice,
    runtime: Option<&(ActionsRuntime, Origin)>,
) -> Result<Option<Deployment>, OptionsError> {
    let Some(action) = implementation.deployed_action(artifact).map_err(|e| OptionsError(e.to_string()))? else {
        return Ok(None);
    };
    let Some(deployed) = &action.deployed else { return Ok(None) };
    let declared = crate::runner::action_runtime(&action);
    if let (Some(declared), Some((asked, origin))) = (declared, runtime) {
        if declared != *asked {
            return Err(OptionsError(format!(
                "{origin}: {}: {} declares the runtime {}, which is the one Auth0 runs it on: leave the runtime out \
                 or change the artifact",
                asked.name(),
                deployed.origin,
                declared.name()
            )));
        }
    }
    Ok(Some(Deployment {
        origin: deployed.origin.clone(),
        runtime: declared,
        inputs: deployed.inputs.clone(),
        drift: action.drift().map_err(|e| OptionsError(e.to_string()))?,
    }))
}

/// What the run header says of the runtime of a `node:` action.
fn runtime_line(runtime: ActionsRuntime, deployment: Option<&Deployment>) -> String {
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "no node found".to_owned(), |o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let what = match runtime {
        ActionsRuntime::Node22 => "module-level code once per case, kept for its later logins",
        ActionsRuntime::Node18 => "module-level code at every execution",
    };
    let declared = match deployment {
        Some(d) if d.runtime.is_some() => format!(", as {} declares", d.origin),
        Some(d) => format!(", Auth0's default: {} declares none", d.origin),
        None => String::new(),
    };
    format!("runtime: Auth0 {} ({what}{declared}) on Node.js {node}", runtime.name())
}

/// The smallest and largest `--max-memory`, in MiB.
pub const MAX_MEMORY_RANGE_MIB: (u64, u64) = (64, 1 << 20);

/// The sandbox's options, as `run`, `observe` and `tbjwt mocks --action` take them (`check` and `fuzz`
/// take the same names in [`CheckOptions`], where the config file can set them too).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SandboxArgs {
    /// How much the implementation is confined: auto (what this kernel can enforce, saying what it
    /// cannot), require (everything, or exit 2) or off.
    #[arg(long, value_enum)]
    pub sandbox: Option<SandboxMode>,
    /// A host environment variable the implementation may see (repeatable; by default it sees none).
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
    /// A file or folder the implementation may read besides its own folder, its runtime and dependencies
    /// and the system's libraries (repeatable).
    #[arg(long = "allow-read", value_name = "PATH")]
    pub allow_read: Vec<PathBuf>,
    /// The memory cap of each implementation process, in MiB, 64 to 1,048,576.
    #[arg(long, value_name = "MIB")]
    pub max_memory: Option<u64>,
}

impl SandboxArgs {
    /// The settings these options give, checked.
    pub fn settings(&self) -> Result<SandboxSettings, OptionsError> {
        let sources = Sources { environment: &|name| std::env::var(name).ok(), config_file: Path::new(DEFAULT_CONFIG) };
        sandbox_settings(self, &SandboxArgs::default(), Path::new(""), &sources, &Defaults::of("check"))
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

/// The sandbox's settings: the mode and memory cap from the command line, the environment or the config
/// file (whose folder `base` its paths are relative to), the variables and paths of the command line and
/// the config file; each variable must be a plain name and each path must exist.
fn sandbox_settings(
    cli: &SandboxArgs,
    config: &SandboxArgs,
    base: &Path,
    sources: &Sources<'_>,
    defaults: &Defaults,
) -> Result<SandboxSettings, OptionsError> {
    let cp = sources.config_file;
    let (low, high) = MAX_MEMORY_RANGE_MIB;
    let max_memory_mib = sources
        .checked("max_memory", cli.max_memory, config.max_memory, number, |&v| {
            (!(low..=high).contains(&v)).then(|| format!("{v} MiB: give {low} to {high}"))
        })?
        .unwrap_or(defaults.max_memory_mib);
    let mode = sources.pick("sandbox", cli.sandbox, config.sandbox, one_of)?.map_or(defaults.sandbox, |(v, _)| v);
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
    Ok(SandboxSettings { mode, pass_env: pass_env.into(), allow_read: allow_read.into(), max_memory_mib })
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

    /// No variable set: the tests never read the process's environment.
    fn unset(_: &str) -> Option<String> {
        None
    }

    fn resolve(options: CheckOptions) -> Result<Resolved, OptionsError> {
        options.resolve_in(Some(Implementation::Reference), "check", &unset)
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
        let defaults = Defaults::of("check");
        assert_eq!((settings.cases, settings.level, settings.shrink_steps), (1000, Level::Semantic, 400));
        assert_eq!(
            (settings.cases, settings.level, settings.domain, settings.shrink_steps, settings.max_failures),
            (defaults.cases, defaults.level, defaults.domain, defaults.shrink_steps, defaults.max_failures)
        );
        assert_eq!(settings.timeout, Duration::from_secs(5));
        assert!(settings.suite && settings.save_failures.is_none());
        assert_eq!(settings.regressions, Some(PathBuf::from(DEFAULT_REGRESSIONS)));
        let fuzz = CheckOptions::default().resolve_in(Some(Implementation::Reference), "fuzz", &unset).unwrap();
        assert_eq!(
            (fuzz.settings.domain, fuzz.settings.cases, fuzz.settings.max_failures),
            (Domain::PipeNames, MAX_CASES, Some(1))
        );
        let counted = CheckOptions { cases: Some(50), ..Default::default() };
        let counted = counted.resolve_in(Some(Implementation::Reference), "fuzz", &unset).unwrap().settings;
        assert_eq!((counted.cases, counted.max_failures), (50, None), "a counted fuzz run runs all its cases");
    }

    #[test]
    fn the_environment_sits_between_the_flags_and_the_config_file() {
        let folder = std::env::temp_dir().join(format!("tbjwt-options-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let config = folder.join("tbjwt.toml");
        std::fs::write(&config, "cases = 11\nseed = 3\nlevel = \"strict\"\nsave_failures = \"saved\"\n").unwrap();
        let config_text = config.display().to_string();
        let environment = |name: &str| match name {
            "TBJWT_CONFIG" => Some(config_text.clone()),
            "TBJWT_CASES" => Some("22".to_owned()),
            "TBJWT_LEVEL" => Some("effect".to_owned()),
            "TBJWT_IMPLEMENTATION" => Some("reference".to_owned()),
            _ => None,
        };
        let options = CheckOptions { level: Some(Level::Semantic), ..Default::default() };
        let resolved = options.resolve_in(None, "check", &environment).unwrap();
        let settings = resolved.settings;
        assert_eq!(resolved.implementation, Implementation::Reference);
        assert_eq!((settings.cases, settings.seed, settings.level), (22, 3, Level::Semantic));
        assert_eq!(settings.regressions, Some(folder.join("saved")), "relative to the config file's folder");

        let bad = |name: &str| (name == "TBJWT_JOBS").then(|| "0".to_owned());
        let message = resolve_with(&bad).unwrap_err().to_string();
        assert_eq!(message, "TBJWT_JOBS: 0 jobs: give 1 to 256");
        let bad = |name: &str| (name == "TBJWT_TIMEOUT").then(|| "soon".to_owned());
        assert_eq!(resolve_with(&bad).unwrap_err().to_string(), "TBJWT_TIMEOUT: `soon` is not a number of seconds");
        std::fs::write(&config, "max_memory = 2\n").unwrap();
        let in_config = |name: &str| (name == "TBJWT_CONFIG").then(|| config_text.clone());
        let message = resolve_with(&in_config).unwrap_err().to_string();
        assert_eq!(message, format!("`max_memory` in {}: 2 MiB: give 64 to 1048576", config.display()));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    fn resolve_with(environment: Environment<'_>) -> Result<Resolved, OptionsError> {
        CheckOptions::default().resolve_in(Some(Implementation::Reference), "check", environment)
    }
}
