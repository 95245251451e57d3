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
}

/// The most generated cases an export takes.
const MAX_GENERATED: u64 = 100_000;

pub fn run(action: Action) -> Result<ExitCode> {
    let Action::Export { dir, generated, seed, regressions } = action;
    anyhow::ensure!(generated <= MAX_GENERATED, "--generated {generated}: give 0 to {MAX_GENERATED}");
    let regressions = regressions.unwrap_or_else(|| PathBuf::from(harness::check::options::DEFAULT_REGRESSIONS));
    let vectors = build(&Sources { regressions: Some(&regressions), generated, seed })?;
    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    let mut text = serde_json::to_string_pretty(&vectors)?;
    text.push('\n');
    for (name, contents) in [(FILE, text.as_str()), (SCHEMA_FILE, SCHEMA)] {
        let path = dir.join(name);
        // Written beside, then renamed: a consumer never reads half a file.
        let partial = dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, contents).with_context(|| format!("{}: cannot write", partial.display()))?;
        std::fs::rename(&partial, &path).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    eprintln!("tbjwt: {} tests in {}", vectors["numberOfTests"], dir.join(FILE).display());
    Ok(ExitCode::SUCCESS)
}
