//! `tbjwt baseline write REPORT`: the baseline of a run (its root causes, by key) as a file to commit and
//! pass to `check --baseline`, sorted so that its changes read well in review.

use anyhow::{Context as _, Result};
use harness::check::baseline::Baseline;
use std::path::PathBuf;
use std::process::ExitCode;

/// What to do with baselines.
#[derive(clap::Subcommand)]
pub enum Action {
    /// Write the baseline of a JSON report (`check --report json=PATH`): the root causes of its failing
    /// and expected cases.
    Write {
        /// The JSON report (or a baseline file, to rewrite it in order).
        report: PathBuf,
        /// Where to write it [default: stdout].
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub fn run(action: Action) -> Result<ExitCode> {
    let Action::Write { report, output } = action;
    let baseline = Baseline::load(&report)?;
    let text = baseline.to_text();
    match output {
        Some(path) => {
            // An existing baseline is never left half written.
            harness::files::write_replacing(&path, text.as_bytes())
                .with_context(|| format!("{}: cannot write", path.display()))?;
            eprintln!(
                "tbjwt: {}: {} root causes of {}",
                path.display(),
                baseline.file.causes.len(),
                baseline.file.implementation
            );
        }
        None => super::print_all(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
