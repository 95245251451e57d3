//! `tbjwt vectors export DIR`: the built-in suite, an example of every class, the saved regressions and
//! any number of generated cases as portable test vectors (`harness::vectors`), with their JSON Schema,
//! for a port's own unit tests to read without tbjwt (examples in `examples/vectors/`).

use anyhow::{Context as _, Result};
use harness::vectors::{build, Sources, FILE, SCHEMA, SCHEMA_FILE};
use std::path::PathBuf;
use std::process::ExitCode;

/// What to do with vectors.
#[derive(clap::Subcommand)]
pub enum Action {
    /// Write the vectors and their JSON Schema into a folder.
    Export {
        /// The folder (created if needed; the two files in it are replaced).
        dir: PathBuf,
        /// Generated cases to add after the suite, the class examples and the regressions.
        #[arg(long, default_value_t = 0)]
        generated: u64,
        /// The seed of the generated cases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The saved regressions to add [default: tbjwt-regressions, when it exists].
        #[arg(long)]
        regressions: Option<PathBuf>,
    },
    /// Run an implementation on vectors (of this version or another) and say which it fails, and which
    /// this version's reference now expects differently. Exit codes: 0 all pass, 1 a vector fails, 2 bad
    /// input, 3 the implementation errored.
    Check {
        /// The folder the vectors were exported to (or their file).
        dir: PathBuf,
        /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL.
        implementation: harness::runner::Implementation,
        #[command(flatten)]
        artifact: super::ArtifactArgs,
    },
}

/// The largest vectors file `check` reads (an export of the most generated cases is about 900 MB).
const MAX_VECTORS_BYTES: u64 = 2 << 30;

/// The most generated cases an export takes.
const MAX_GENERATED: u64 = 100_000;

pub fn run(action: Action) -> Result<ExitCode> {
    match action {
        Action::Export { dir, generated, seed, regressions } => export(dir, generated, seed, regressions),
        Action::Check { dir, implementation, artifact } => check(&dir, &implementation, &artifact.choice()),
    }
}

fn export(dir: PathBuf, generated: u64, seed: u64, regressions: Option<PathBuf>) -> Result<ExitCode> {
    anyhow::ensure!(generated <= MAX_GENERATED, "--generated {generated}: give 0 to {MAX_GENERATED}");
    let regressions = regressions.unwrap_or_else(|| PathBuf::from(harness::check::options::DEFAULT_REGRESSIONS));
    let vectors = build(&Sources { regressions: Some(&regressions), generated, seed })?;
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let mut text = serde_json::to_string_pretty(&vectors)?;
    text.push('\n');
    for (name, contents) in [(FILE, text.as_str()), (SCHEMA_FILE, SCHEMA)] {
        // A consumer never reads half a file.
        let path = dir.join(name);
        harness::files::write_replacing(&path, contents.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    eprintln!("tbjwt: {} tests in {}", vectors["numberOfTests"], dir.join(FILE).display());
    Ok(ExitCode::SUCCESS)
}

/// The vectors' tests, each with its group.
fn tests_of(vectors: &serde_json::Value) -> Vec<(&str, &serde_json::Value)> {
    let groups = vectors["testGroups"].as_array().map(Vec::as_slice).unwrap_or_default();
    groups
        .iter()
        .flat_map(|g| {
            let source = g["source"].as_str().unwrap_or("?");
            g["tests"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(move |t| (source, t))
        })
        .collect()
}

fn check(
    dir: &std::path::Path,
    implementation: &harness::runner::Implementation,
    choice: &harness::node::ArtifactChoice,
) -> Result<ExitCode> {
    use harness::clock::Now;
    use harness::report::redact::Secrets;
    use std::fmt::Write as _;
    // Printed at the end through print_all, so that a reader that goes away (`| head`) is no error.
    let mut out = String::new();
    let file = if dir.is_dir() { dir.join(FILE) } else { dir.to_owned() };
    let text = harness::files::read_text_limited(&file, MAX_VECTORS_BYTES)
        .with_context(|| format!("{}: cannot read the vectors", file.display()))?;
    let vectors: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", file.display()))?;
    anyhow::ensure!(
        vectors["format"] == harness::vectors::FORMAT,
        "{}: not tbjwt vectors ({}): its format is {}",
        file.display(),
        harness::vectors::FORMAT,
        vectors["format"]
    );
    let _ = writeln!(
        out,
        "vectors of tbjwt {} (suite {}), checked by tbjwt {} (suite {}) against {implementation}",
        vectors["tbjwtVersion"].as_str().unwrap_or("?"),
        vectors["suiteVersion"].as_str().unwrap_or("?"),
        env!("CARGO_PKG_VERSION"),
        harness::event::suite::version()
    );
    let custom = super::deployment_of(implementation, choice)?;
    let settings =
        harness::runner::RunnerSettings::with_case_timeout(harness::check::options::Defaults::timeout(implementation))
            .with_artifact(choice.clone());
    let mut runner = implementation.runner(settings)?;
    let (mut passed, mut failed, mut errored, mut changed) = (0u64, 0u64, 0u64, Vec::new());
    let mut not_applicable = 0u64;
    for (source, test) in tests_of(&vectors) {
        let id = test["tcId"].as_str().unwrap_or("?");
        let event = &test["event"];
        let secrets = Secrets::of_event(event);
        let shown = |text: String| secrets.text(&text).unwrap_or(text);
        let now = test["nowMs"].as_i64().and_then(|ms| Now::from_millis(ms).ok());
        let Some(now) = now else { anyhow::bail!("{}: test {id} has no usable nowMs", file.display()) };
        let expected = &test["expected"];
        if harness::vectors::expected(event, now) != *expected {
            changed.push(format!("{source}-{id}: {}", test["comment"].as_str().unwrap_or_default()));
        }
        // A custom Action has no `event.configuration`: a vector about a configuration it cannot have
        // (not an object, say) says nothing of it.
        if custom.as_ref().is_some_and(|c| c.canonical(event) != *event) {
            not_applicable += 1;
            continue;
        }
        match runner.run(&harness::runner::RunRequest { now, event, mocks: None, instance: None }) {
            Ok(outcome) => match harness::vectors::difference(expected, &outcome) {
                None => passed += 1,
                Some(why) => {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {source}-{id}: {}", shown(why));
                }
            },
            Err(e) => {
                errored += 1;
                let _ = writeln!(out, "ERROR {source}-{id}: {}", shown(e.to_string()));
            }
        }
    }
    runner.stop();
    // Vectors without a test check nothing: that is never a pass.
    anyhow::ensure!(passed + failed + errored > 0, "{}: no test in the vectors: nothing was checked", file.display());
    let _ = writeln!(out, "{} tests: {passed} pass, {failed} fail, {errored} error", passed + failed + errored);
    if not_applicable > 0 {
        let _ = writeln!(
            out,
            "{not_applicable} tests left out: their event.configuration is one a deployed custom Action cannot be given"
        );
    }
    if changed.is_empty() {
        let _ = writeln!(out, "this version's reference expects what the vectors expect, in every test");
    } else {
        let _ = writeln!(
            out,
            "{} tests expect otherwise from this version's reference (the reference changed):",
            changed.len()
        );
        for line in &changed {
            let _ = writeln!(out, "  {line}");
        }
    }
    super::print_all(&out)?;
    Ok(ExitCode::from(if failed > 0 {
        1
    } else if errored > 0 {
        super::EXIT_IMPLEMENTATION_ERRORED
    } else {
        0
    }))
}
