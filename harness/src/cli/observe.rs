//! `tbjwt observe IMPL EVENT.json [--now SECONDS]`: one case through the whole login flow against the
//! mocks, printed as the observation JSON (the outcome is one field of it).

use anyhow::Result;
use harness::event::Case;
use harness::flow::FlowClient;
use harness::mocks::MockServers;
use harness::runner::{Implementation, RunnerSettings};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `tbjwt observe`.
#[derive(clap::Args)]
pub struct Args {
    /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL.
    implementation: Implementation,
    /// An event file (any JSON object) or a case file.
    event: PathBuf,
    /// The clock, in whole seconds since the epoch (default: the case's own `now`, else the current time).
    #[arg(long, value_parser = super::parse_now, allow_hyphen_values = true)]
    now: Option<i64>,
    /// Seconds the case may take before the implementation is killed.
    #[arg(long, default_value_t = 5.0, value_parser = super::parse_seconds)]
    timeout: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let case = Case::load(&args.event)?;
    let now = args.now.or(case.now).unwrap_or_else(super::wall_clock_now);
    let settings = RunnerSettings { case_timeout: Duration::from_secs_f64(args.timeout), ..RunnerSettings::default() };
    let mut runner = args.implementation.runner(settings)?;
    let mocks = MockServers::start()?;
    let observation = FlowClient::new(&mocks).run(&mut runner, &case.event, now)?;
    runner.stop();
    println!("{}", serde_json::to_string_pretty(&observation)?);
    Ok(if observation.errored.is_some() {
        ExitCode::from(super::EXIT_IMPLEMENTATION_ERRORED)
    } else {
        ExitCode::SUCCESS
    })
}
