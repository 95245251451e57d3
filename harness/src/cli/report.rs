//! `tbjwt report merge SHARD.jsonl…`: the JSON reports of a run's `--partition K/N` shards, merged into
//! the run they split (`harness::check::merge`), rendered to the terminal and to `check`'s `--report`
//! options, with the exit code the single run would have had. Shards of different runs, a missing shard
//! or a doubled one are refused with exit 2.

use anyhow::{Context as _, Result};
use harness::report::{human::Human, ReportRequest, Reporter};
use std::path::PathBuf;
use std::process::ExitCode;

/// What to do with reports.
#[derive(clap::Subcommand)]
pub enum Action {
    /// Merge the JSON reports of every shard of a `--partition K/N` run into one run: one verdict, summary
    /// and set of reports, with the single run's exit code.
    Merge {
        /// The shards' JSON reports (`check --partition K/N --report json=PATH`), each exactly once.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Write a report of the merged run: json=PATH, junit=PATH, markdown=PATH, html=PATH, sarif=PATH or
        /// badge=PATH (repeatable).
        #[arg(long = "report")]
        reports: Vec<ReportRequest>,
    },
}

pub fn run(action: Action) -> Result<ExitCode> {
    let Action::Merge { shards, reports } = action;
    // A report must not overwrite a shard it is merged from.
    for request in &reports {
        if shards.iter().any(|s| s == &request.path) {
            anyhow::bail!(
                "--report {}: that is a shard being merged; write the merged report elsewhere",
                request.path.display()
            );
        }
    }
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new())];
    for request in &reports {
        reporters.push(request.open().with_context(|| format!("{}: cannot write the report", request.path.display()))?);
    }
    let footer = harness::check::merge::merge(&shards, &mut reporters)?;
    Ok(ExitCode::from(footer.exit_code))
}
