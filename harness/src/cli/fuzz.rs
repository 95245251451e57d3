//! `tbjwt fuzz IMPL [--seconds N]`: fuzz the pipe-name input against an implementation. With nightly Rust
//! and cargo-fuzz it builds and runs the `diff_pipe_names` libFuzzer target; otherwise it runs a stable,
//! proptest-driven random campaign of the same inputs for the same time. Both print executions per second
//! and save every finding as a case under `fixtures/regressions/`.

use anyhow::{bail, Context as _, Result};
use harness::compare::Level;
use harness::event::{Case, DEFAULT_NOW};
use harness::fuzzing::{compare_outcomes, pipe_names_event, pipe_names_input};
use harness::js::JsValue;
use harness::runner::{Implementation, RunRequest, Runner, RunnerSettings};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

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
    /// How long to fuzz.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// The engine.
    #[arg(long, value_enum, default_value_t = Engine::Auto)]
    engine: Engine,
    /// Seed of the proptest campaign (default: fresh, printed).
    #[arg(long)]
    seed: Option<u64>,
    /// Where findings are saved.
    #[arg(long, default_value = "fixtures/regressions")]
    save_failures: PathBuf,
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
    let engine = match args.engine {
        Engine::Auto if fuzz_dir().is_some() && nightly_fuzz_available() => Engine::Libfuzzer,
        Engine::Auto => Engine::Proptest,
        e => e,
    };
    match engine {
        Engine::Libfuzzer => libfuzzer(&args),
        _ => campaign(&args),
    }
}

fn libfuzzer(args: &Args) -> Result<ExitCode> {
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
        let saved = super::import_crash::import(&artifact, "diff_pipe_names", &args.save_failures)?;
        println!(
            "finding saved: {} (replay: tbjwt check {} --replay {})",
            saved.display(),
            args.implementation,
            saved.display()
        );
        return Ok(ExitCode::from(1));
    }
    if !status.success() {
        bail!("cargo +nightly fuzz failed ({status})");
    }
    Ok(ExitCode::SUCCESS)
}

fn campaign(args: &Args) -> Result<ExitCode> {
    let seed = args.seed.unwrap_or_else(harness::check::generated::fresh_seed);
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng_runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    let strategy = (0u8..8, harness::generate::pipe_names());
    let mut runner = args.implementation.runner(RunnerSettings::default())?;
    runner.prepare().map_err(|e| anyhow::anyhow!("{}: {e}", args.implementation))?;
    eprintln!("tbjwt fuzz: proptest campaign (seed {seed}) for {} s against {}", args.seconds, args.implementation);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut executions = 0u64;
    let diverges = |runner: &mut Box<dyn Runner>, data: &[u8]| -> Option<Vec<harness::compare::Difference>> {
        let event = pipe_names_event(data);
        let reference = harness::spec::outcome(&JsValue::from_json(&event), DEFAULT_NOW);
        let implementation = runner.run(&RunRequest { now: DEFAULT_NOW, event: &event, mocks: None }).ok()?;
        let d = compare_outcomes(&event, DEFAULT_NOW, &reference, &implementation, Level::Semantic);
        (!d.is_empty()).then_some(d)
    };
    while Instant::now() < deadline {
        let trees: Vec<_> = (0..64).filter_map(|_| strategy.new_tree(&mut rng_runner).ok()).collect();
        let inputs: Vec<Vec<u8>> = trees
            .iter()
            .map(|t| {
                let (f, p) = t.current();
                pipe_names_input(f, &p)
            })
            .collect();
        let events: Vec<serde_json::Value> = inputs.iter().map(|d| pipe_names_event(d)).collect();
        let requests: Vec<RunRequest> =
            events.iter().map(|e| RunRequest { now: DEFAULT_NOW, event: e, mocks: None }).collect();
        // The references are computed while the implementation works on the batch.
        let mut references = Vec::new();
        let results = runner.run_batch_while(&requests, &mut || {
            references = events.iter().map(|e| harness::spec::outcome(&JsValue::from_json(e), DEFAULT_NOW)).collect();
        });
        executions += requests.len() as u64;
        for (((tree, event), result), reference) in trees.into_iter().zip(&events).zip(results).zip(references) {
            let differences = match result {
                Ok(outcome) => compare_outcomes(event, DEFAULT_NOW, &reference, &outcome, Level::Semantic),
                Err(e) => {
                    eprintln!("the implementation errored on {event}: {e}");
                    continue;
                }
            };
            if differences.is_empty() {
                continue;
            }
            let rate = executions as f64 / started.elapsed().as_secs_f64();
            let mut tree = tree;
            let ((flags, pipes), steps) = harness::check::generated::shrink(&mut tree, 500, |(flags, pipes)| {
                diverges(&mut runner, &pipe_names_input(*flags, pipes)).is_some()
            });
            let shrunk = pipe_names_input(flags, &pipes);
            let differences = diverges(&mut runner, &shrunk).unwrap_or(differences);
            let saved = save(&args.save_failures, &args.implementation, seed, &shrunk, &differences)?;
            println!(
                "proptest: {executions} executions in {:.1} s, {rate:.0} executions/s",
                started.elapsed().as_secs_f64()
            );
            println!(
                "divergence found after {:.1} s, shrunk in {steps} steps to pipe names {:?}:",
                started.elapsed().as_secs_f64(),
                harness::fuzzing::pipe_names_of(&shrunk)
            );
            for d in differences.iter().take(6) {
                println!(
                    "  {} ({}): reference {} | implementation {}",
                    d.path,
                    d.rule,
                    d.reference.as_ref().map_or("(absent)".into(), |v| v.to_string()),
                    d.implementation.as_ref().map_or("(absent)".into(), |v| v.to_string())
                );
            }
            println!(
                "saved: {} (replay: tbjwt check {} --replay {})",
                saved.display(),
                args.implementation,
                saved.display()
            );
            runner.stop();
            return Ok(ExitCode::from(1));
        }
    }
    runner.stop();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "proptest: {executions} executions in {secs:.1} s, {:.0} executions/s, no divergence",
        executions as f64 / secs
    );
    Ok(ExitCode::SUCCESS)
}

fn save(
    dir: &Path,
    implementation: &Implementation,
    seed: u64,
    data: &[u8],
    differences: &[harness::compare::Difference],
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    let first = differences.first();
    let mut rules: Vec<_> = differences.iter().map(|d| d.rule).collect();
    rules.sort();
    rules.dedup();
    let case = Case {
        name: String::new(),
        description: format!(
            "Found by `tbjwt fuzz {implementation} --engine proptest --seed {seed}`: {} differs{}.",
            first.map_or("the outcome", |d| d.path.as_str()),
            first.map(|d| format!(" ({})", d.rule)).unwrap_or_default()
        ),
        rules,
        now: Some(DEFAULT_NOW),
        event: pipe_names_event(data),
    };
    let digest = harness::jwt::b64url(&sha2_digest(data)[..6]);
    let path = dir.join(format!("fuzz-pipe-names-{digest}.json"));
    std::fs::write(&path, case.to_file_text()).with_context(|| path.display().to_string())?;
    Ok(path)
}

fn sha2_digest(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}
