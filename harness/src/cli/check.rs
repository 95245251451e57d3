//! `tbjwt check [IMPL]`: the differential CI gate. Options come from the command line, then from a config
//! file (`--config FILE`, or `tbjwt.toml` in the current folder), then from defaults.

use anyhow::{bail, Context as _, Result};
use harness::check::expectations::Expectations;
use harness::check::{generated, run_check, CheckSettings};
use harness::compare::{Level, Observable};
use harness::generate::Domain;
use harness::report::{human::Human, ReportRequest, Reporter};
use harness::runner::{Implementation, RunnerSettings};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Arguments of `tbjwt check`.
#[derive(clap::Args, Default)]
pub struct Args {
    /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL (default: the config's).
    implementation: Option<Implementation>,
    /// A config file (default: ./tbjwt.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Generated cases after the fixtures [default: 1000].
    #[arg(long)]
    cases: Option<u64>,
    /// The seed of the generated cases (default: a fresh one, always printed).
    #[arg(long)]
    seed: Option<u64>,
    /// strict (token bytes too) or semantic [default: semantic].
    #[arg(long, value_enum)]
    level: Option<Level>,
    /// auth0 (what Auth0 can send) or any-json (every JSON type where the action reads) [default: auth0].
    #[arg(long, value_enum)]
    domain: Option<Domain>,
    /// Parallel jobs, each with its own implementation process [default: three per CPU].
    #[arg(long)]
    jobs: Option<usize>,
    /// Seconds a case may take before the implementation is killed [default: 5].
    #[arg(long, value_parser = super::parse_seconds)]
    timeout: Option<f64>,
    /// Run only shard K of N (1-based), deterministically: `--partition 2/4`.
    #[arg(long, value_parser = parse_partition)]
    partition: Option<(u64, u64)>,
    /// Stop after this many failing cases.
    #[arg(long)]
    max_failures: Option<u64>,
    /// Stop at the first failing case (`--max-failures 1`).
    #[arg(long)]
    fail_fast: bool,
    /// Where minimal failing events are saved [default: fixtures/regressions].
    #[arg(long)]
    save_failures: Option<PathBuf>,
    /// Do not save failing events.
    #[arg(long)]
    no_save: bool,
    /// Run one case file only.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Known divergences (TOML).
    #[arg(long)]
    expectations: Option<PathBuf>,
    /// Leave an observable out of the comparison (repeatable).
    #[arg(long, value_enum)]
    ignore: Vec<Observable>,
    /// Write a report: json=PATH, junit=PATH or markdown=PATH (repeatable).
    #[arg(long = "report")]
    reports: Vec<ReportRequest>,
    /// Folders of case files to run first (repeatable) [default: fixtures/events and fixtures/regressions].
    #[arg(long = "fixtures")]
    fixtures: Vec<PathBuf>,
    /// Write each fixture's observation as an insta snapshot in this folder.
    #[arg(long)]
    snapshots: Option<PathBuf>,
    /// Candidates tried when shrinking one failure (0: no shrinking) [default: 400].
    #[arg(long)]
    shrink_steps: Option<usize>,
    /// How many failing generated cases are shrunk and saved [default: 5].
    #[arg(long)]
    shrink_failures: Option<u64>,
}

/// The config file, with paths relative to its folder.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Config {
    implementation: Option<String>,
    level: Option<Level>,
    domain: Option<Domain>,
    cases: Option<u64>,
    seed: Option<u64>,
    jobs: Option<usize>,
    timeout: Option<f64>,
    max_failures: Option<u64>,
    fixtures: Option<Vec<PathBuf>>,
    save_failures: Option<PathBuf>,
    expectations: Option<PathBuf>,
    ignore: Option<Vec<Observable>>,
    reports: Option<Vec<String>>,
    snapshots: Option<PathBuf>,
    shrink_steps: Option<usize>,
    shrink_failures: Option<u64>,
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

fn load_config(args: &Args) -> Result<(Config, PathBuf)> {
    let path = match &args.config {
        Some(p) => p.clone(),
        None if Path::new("tbjwt.toml").is_file() => PathBuf::from("tbjwt.toml"),
        None => return Ok((Config::default(), PathBuf::from("."))),
    };
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    let config: Config = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base =
        path.parent().map(Path::to_owned).filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| PathBuf::from("."));
    Ok((config, base))
}

fn relative(base: &Path, path: PathBuf) -> PathBuf {
    if path.is_absolute() || base == Path::new(".") {
        path
    } else {
        base.join(path)
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (config, base) = load_config(&args)?;
    let implementation = match (&args.implementation, &config.implementation) {
        (Some(i), _) => i.clone(),
        (None, Some(text)) => {
            let text = match text.strip_prefix("node:") {
                Some(path) => format!("node:{}", relative(&base, PathBuf::from(path)).display()),
                None => text.clone(),
            };
            text.parse::<Implementation>().map_err(|e| anyhow::anyhow!("the config's implementation: {e}"))?
        }
        (None, None) => bail!("no implementation: pass one (reference | node:PATH | cmd:COMMAND LINE | http(s)://URL) or set `implementation` in tbjwt.toml"),
    };
    let timeout = Duration::from_secs_f64(args.timeout.or(config.timeout).unwrap_or(5.0));
    let jobs = args.jobs.or(config.jobs).unwrap_or_else(harness::check::default_jobs).max(1);
    let expectations = match args.expectations.clone().or(config.expectations.map(|p| relative(&base, p))) {
        Some(path) => Some(Expectations::load(&path)?),
        None => None,
    };
    let fixture_dirs = if !args.fixtures.is_empty() {
        args.fixtures.clone()
    } else if let Some(dirs) = config.fixtures {
        dirs.into_iter().map(|d| relative(&base, d)).collect()
    } else {
        vec![relative(&base, "fixtures/events".into()), relative(&base, "fixtures/regressions".into())]
    };
    let save_failures = if args.no_save {
        None
    } else {
        Some(
            args.save_failures
                .clone()
                .or(config.save_failures.map(|p| relative(&base, p)))
                .unwrap_or_else(|| relative(&base, "fixtures/regressions".into())),
        )
    };
    let mut reports = args.reports.clone();
    for text in config.reports.unwrap_or_default() {
        let mut request: ReportRequest =
            text.parse().map_err(|e: String| anyhow::anyhow!("the config's reports: {e}"))?;
        request.path = relative(&base, request.path);
        reports.push(request);
    }
    let mut ignore: std::collections::BTreeSet<Observable> = args.ignore.iter().copied().collect();
    ignore.extend(config.ignore.unwrap_or_default());
    let snapshots = args.snapshots.clone().or(config.snapshots.map(|p| relative(&base, p)));
    if snapshots.is_some() {
        harness::check::prepare_snapshot_environment();
    }
    let settings = CheckSettings {
        implementation: implementation.to_string(),
        level: args.level.or(config.level).unwrap_or_default(),
        ignore,
        domain: args.domain.or(config.domain).unwrap_or_default(),
        cases: args.cases.or(config.cases).unwrap_or(1000),
        seed: args.seed.or(config.seed).unwrap_or_else(generated::fresh_seed),
        jobs,
        timeout,
        partition: args.partition,
        max_failures: if args.fail_fast { Some(1) } else { args.max_failures.or(config.max_failures) },
        fixture_dirs,
        replay: args.replay.clone(),
        save_failures,
        expectations,
        shrink_steps: args.shrink_steps.or(config.shrink_steps).unwrap_or(400),
        shrink_failures: args.shrink_failures.or(config.shrink_failures).unwrap_or(5),
        snapshots,
    };

    let runner_settings = RunnerSettings { case_timeout: timeout, ..RunnerSettings::default() };
    // Install once (npm packages, action folder) before the jobs start; a broken folder is a usage error.
    implementation.runner(runner_settings)?;
    let make_runner = || implementation.runner(runner_settings).map_err(|e| e.to_string());

    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new())];
    for request in &reports {
        reporters.push(request.open().with_context(|| format!("{}: cannot write the report", request.path.display()))?);
    }
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = interrupt.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!(
            "\ntbjwt: interrupted; finishing the cases in flight and writing the reports (Ctrl-C again to quit now)"
        );
    });
    let footer = run_check(&settings, &make_runner, &mut reporters, interrupt)?;
    Ok(ExitCode::from(footer.exit_code))
}
