//! `tbjwt observe IMPL EVENT.json [--now SECONDS]`: one case through the whole login flow against the
//! mocks, printed as the observation JSON (the outcome is one field of it).

use anyhow::Result;
use harness::flow::FlowClient;
use harness::mocks::MockServers;
use std::process::ExitCode;

pub use super::CaseArgs as Args;

pub fn run(args: Args) -> Result<ExitCode> {
    let (case, now, mut runner) = args.prepare()?;
    let mocks = MockServers::start()?;
    let observation = FlowClient::new(&mocks).run(&mut runner, &case.event, now)?;
    runner.stop();
    // What an implementation leaked is shown by the secret's name, never its value.
    let mut shown = serde_json::to_value(&observation)?;
    harness::report::redact::Secrets::of_event(&case.event).value(&mut shown);
    println!("{}", serde_json::to_string_pretty(&shown)?);
    Ok(if observation.errored.is_some() {
        ExitCode::from(super::EXIT_IMPLEMENTATION_ERRORED)
    } else {
        ExitCode::SUCCESS
    })
}
