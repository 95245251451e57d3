//! `tbjwt run IMPL EVENT.json [--now SECONDS]`: one implementation's outcome, printed exactly as
//! `tbjwt spec` prints the reference's, so that the two can be compared with `diff`.

use anyhow::Result;
use harness::runner::RunRequest;
use std::process::ExitCode;

pub use super::CaseArgs as Args;

pub fn run(args: Args) -> Result<ExitCode> {
    let (case, now, mut runner) = args.prepare()?;
    let result = runner.run(&RunRequest { now, event: &case.event, mocks: None, instance: None });
    runner.stop();
    // What an implementation leaked is shown by the secret's name, never its value.
    let secrets = harness::report::redact::Secrets::of_event(&case.event);
    match result {
        Ok(outcome) => {
            let mut shown = serde_json::to_value(&outcome)?;
            secrets.value(&mut shown);
            println!("{}", serde_json::to_string_pretty(&shown)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(errored) => {
            let message = errored.to_string();
            eprintln!("tbjwt: {} errored: {}", args.implementation, secrets.text(&message).unwrap_or(message));
            Ok(ExitCode::from(super::EXIT_IMPLEMENTATION_ERRORED))
        }
    }
}
