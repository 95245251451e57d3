//! `tbjwt diff OLD.json NEW.json`: what changed between two runs (their JSON reports), of one
//! implementation or of two. Exit codes: 0 no new divergence, 1 regressed (a new root cause or a case
//! that now fails), 2 the runs cannot be compared (said why) or a report cannot be read.

use anyhow::Result;
use harness::report::read::read;
use harness::report::run_diff::diff;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tbjwt diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The earlier run's JSON report (`check --report json=PATH`).
    old: PathBuf,
    /// The later run's JSON report.
    new: PathBuf,
    /// Print Markdown (for a pull-request comment) instead of text.
    #[arg(long)]
    markdown: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let changes = diff(&old, &new)?;
    super::print_all(&changes.render(&old, &new, args.markdown))?;
    Ok(ExitCode::from(u8::from(changes.regressed())))
}
