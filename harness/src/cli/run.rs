//! `tbjwt run IMPL EVENT.json [--now SECONDS]`: one implementation's outcome, printed exactly as
//! `tbjwt spec` prints the reference's, so that the two can be compared with `diff`.

use anyhow::Result;
use harness::runner::RunRequest;
use std::process::ExitCode;

pub use super::CaseArgs as Args;

pub fn run(args: Args) -> Result<ExitCode> {
    let (case, now, mut runner) = args.prepare()?;
    let result = runner.run(&RunRequest { now, event: &case.event, mocks: None });
    runner.stop();
    match result {
        Ok(outcome) => {
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(errored) => {
            eprintln!("tbjwt: {} errored: {errored}", args.implementation);
            Ok(ExitCode::from(super::EXIT_IMPLEMENTATION_ERRORED))
        }
    }
}
