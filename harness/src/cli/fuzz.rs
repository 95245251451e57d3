//! `tbjwt fuzz IMPL [--seconds N]`: fuzz the pipe-name input against an implementation, with check's
//! options and verdict rules (level, ignored observables, expectations, the mocks, exit codes).
//!
//! The `proptest` engine is a time-bounded check run over the `pipe-names` domain (or the `--domain`
//! given): every input goes through the whole login flow, a finding is shrunk and saved, an error is an
//! error (exit 3). The `libfuzzer` engine (nightly Rust and cargo-fuzz) runs the `diff_pipe_names` target,
//! which compares outcomes without the mocks at the chosen level; its finding is then confirmed by a check
//! replay with every option, which gives the verdict and the exit code.

use anyhow::{bail, Context as _, Result};
use harness::check::options::{CheckOptions, Resolved};
use harness::runner::Implementation;
use harness::strategies::Domain;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The longest `--seconds` (a week).
const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// Which fuzzing engine.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// libFuzzer when `cargo +nightly fuzz` works, else proptest.
    Auto,
    /// cargo-fuzz's `diff_pipe_names` target (nightly).
    Libfuzzer,
    /// A random campaign on stable.
    Proptest,
}

/// Arguments of `tbjwt fuzz`.
#[derive(clap::Args)]
pub struct Args {
    /// The implementation: node:PATH | cmd:COMMAND LINE | http(s)://URL | reference.
    implementation: Implementation,
    /// How long to fuzz, 1 to 604800 seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The engine: auto picks libfuzzer when nightly cargo-fuzz is there and no option needs the whole
    /// flow (--expectations, --ignore, --domain), else proptest.
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    engine: Engine,
    /// check's options, with fuzz's defaults (and no built-in suite).
    #[command(flatten)]
    options: CheckOptions,
}

fn fuzz_dir() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        if dir.join("fuzz/Cargo.toml").is_file() && dir.join("fuzz/fuzz_targets/diff_pipe_names.rs").is_file() {
            return Some(dir.join("fuzz"));
        }
        if !dir.pop() {
            return None;
        }
    }
}

fn nightly_fuzz_available() -> bool {
    Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The implementation name with a `node:` path made absolute (libFuzzer runs elsewhere).
fn absolute(implementation: &Implementation) -> Result<String> {
    Ok(match implementation {
        Implementation::Node(path) => {
            format!("node:{}", std::fs::canonicalize(path).with_context(|| path.display().to_string())?.display())
        }
        other => other.to_string(),
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.seconds == 0 || args.seconds > MAX_SECONDS {
        bail!("--seconds {}: give 1 to {MAX_SECONDS} seconds", args.seconds);
    }
    let Resolved { mut settings, implementation, reports, coverage_table } =
        args.options.clone().resolve(Some(args.implementation.clone()), "fuzz")?;
    settings.suite = false;
    settings.fixture_dirs.clear();
    settings.regressions = None;
    settings.time_budget = Some(Duration::from_secs(args.seconds));
    // libFuzzer's target runs the implementation by its name alone: an artifact's chosen action and secret
    // names need the whole flow.
    let whole_flow_needed = settings.expectations.is_some()
        || !settings.ignore.is_empty()
        || settings.domain != Domain::PipeNames
        || settings.artifact != harness::node::ArtifactChoice::default();
    let engine = match args.engine {
        Engine::Auto if !whole_flow_needed && fuzz_dir().is_some() && nightly_fuzz_available() => Engine::Libfuzzer,
        Engine::Auto => Engine::Proptest,
        e => e,
    };
    if engine != Engine::Libfuzzer {
        return super::check::execute(settings, &implementation, &reports, coverage_table);
    }
    if whole_flow_needed {
        bail!(
            "--engine libfuzzer compares outcomes only: --expectations, --ignore, --domain, --action and --secret-name \
             need --engine proptest"
        );
    }
    let save = settings.save_failures.clone().unwrap_or_else(std::env::temp_dir);
    let Some(finding) = libfuzzer(&args, settings.level, &save)? else { return Ok(ExitCode::SUCCESS) };
    // The verdict is check's: the finding replayed through the whole flow with every option.
    eprintln!("tbjwt fuzz: confirming the finding with check's verdict rules");
    settings.command = "check";
    settings.replay = Some(finding);
    settings.time_budget = None;
    settings.max_failures = None;
    super::check::execute(settings, &implementation, &reports, coverage_table)
}

/// Runs the libFuzzer target; returns the saved finding, if libFuzzer stopped on one.
fn libfuzzer(args: &Args, level: harness::compare::Level, save: &Path) -> Result<Option<PathBuf>> {
    let Some(dir) = fuzz_dir() else {
        bail!("no fuzz/ folder with the diff_pipe_names target above the current folder")
    };
    let root = dir.parent().unwrap_or(Path::new(".")).to_owned();
    let corpus = dir.join("corpus/diff_pipe_names");
    std::fs::create_dir_all(&corpus)?;
    let seeds = root.join("fixtures/fuzz/corpus/pipe_names");
    let dict = root.join("fixtures/fuzz/pipe_names.dict");
    eprintln!(
        "tbjwt fuzz: libFuzzer (cargo +nightly fuzz run --sanitizer none diff_pipe_names) for {} s against {}",
        args.seconds, args.implementation
    );
    // No sanitizer: it would watch the harness's own safe Rust, not the implementation (another process),
    // and costs a third of the rate (measured figures in docs/fuzzing.md).
    let mut child = Command::new("cargo")
        .args(["+nightly", "fuzz", "run", "--sanitizer", "none", "diff_pipe_names"])
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={}", args.seconds))
        .arg(format!("-dict={}", dict.display()))
        .arg("-print_final_stats=1")
        .current_dir(&root)
        .env("TBJWT_IMPL", absolute(&args.implementation)?)
        .env("TBJWT_LEVEL", level.name())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start cargo +nightly fuzz")?;
    let mut rate = None;
    let mut executions = None;
    let mut fuzzing_since = None; // the build before it is not fuzzing time
    let mut artifact = None;
    let number_after =
        |line: &str, label: &str| -> Option<u64> { line.split(label).nth(1)?.split_whitespace().next()?.parse().ok() };
    for line in std::io::BufReader::new(child.stderr.take().expect("piped")).lines() {
        let line = line?;
        if line.starts_with("INFO: Running with") {
            fuzzing_since.get_or_insert_with(Instant::now);
        }
        if let Some(n) = number_after(&line, "exec/s: ") {
            rate = Some(n);
        }
        if let Some(n) = number_after(&line, "stat::number_of_executed_units:") {
            executions = Some(n);
        }
        if let Some(path) = line.split("Test unit written to ").nth(1) {
            artifact = Some(root.join(path.trim()));
        }
        eprintln!("{line}");
    }
    let status = child.wait()?;
    let seconds = fuzzing_since.map_or(0.0, |t| t.elapsed().as_secs_f64());
    // libFuzzer prints no rate before its first second; the final count and the time measured here tell it.
    let rate = rate.filter(|r| *r > 0).or_else(|| {
        let executions = executions? as f64;
        (seconds > 0.0).then(|| (executions / seconds).round() as u64)
    });
    println!(
        "libFuzzer: {} executions in {seconds:.1} s, {} executions/s against {}",
        executions.map_or("?".into(), |n| n.to_string()),
        rate.map_or("?".into(), |r| r.to_string()),
        args.implementation
    );
    if let Some(artifact) = artifact {
        let saved = super::import_crash::import(&artifact, harness::fuzz_input::FuzzTarget::DiffPipeNames, save)?;
        println!("finding saved: {}", saved.display());
        return Ok(Some(saved));
    }
    if !status.success() {
        bail!("cargo +nightly fuzz failed ({status})");
    }
    Ok(None)
}
