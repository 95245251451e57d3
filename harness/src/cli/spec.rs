//! `tbjwt spec EVENT.json [--now SECONDS] [--explain]`: the reference outcome of one event.

use anyhow::Result;
use harness::event::Case;
use harness::js::JsValue;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tbjwt spec`.
#[derive(clap::Args)]
pub struct Args {
    /// An event file (any JSON object) or a case file (`"$tbjwt": "case"`).
    event: PathBuf,
    /// The clock, in seconds since the epoch, with up to three decimals (default: the case's own clock,
    /// else the current time).
    #[arg(long, value_parser = super::parse_now, allow_hyphen_values = true)]
    now: Option<harness::clock::Now>,
    /// Also print the rules that decided the outcome.
    #[arg(long)]
    explain: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let case = Case::load(&args.event)?;
    super::warn_of_session(&case, &args.event);
    let now = args.now.or(case.now).unwrap_or_else(harness::clock::Now::wall);
    let evaluation = harness::spec::evaluate(&JsValue::from_json(&case.event), now);
    let text = if args.explain {
        serde_json::to_string_pretty(&evaluation)?
    } else {
        serde_json::to_string_pretty(&evaluation.outcome)?
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
