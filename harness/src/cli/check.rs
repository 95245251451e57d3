//! `tbjwt check [IMPL]`: the differential CI gate. Options come from the command line, then from a config
//! file (`--config FILE`, or `tbjwt.toml` in the current folder), then from defaults
//! (`harness::check::options`).

use anyhow::{Context as _, Result};
use harness::check::options::{CheckOptions, Resolved};
use harness::check::{run_check, CheckSettings, Interrupt};
use harness::report::{human::Human, Reporter};
use harness::runner::{Implementation, RunnerSettings};
use std::process::ExitCode;
use std::sync::Arc;

/// Arguments of `tbjwt check`.
#[derive(clap::Args)]
pub struct Args {
    /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL (default: the config's).
    implementation: Option<Implementation>,
    #[command(flatten)]
    options: CheckOptions,
}

/// How a printed command line calls this program: `tbjwt` when that is what `PATH` finds, else its path.
pub fn program_name() -> String {
    let this = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|p| p.join("tbjwt")).find(|p| p.is_file()).and_then(|p| p.canonicalize().ok())
    });
    match (this, on_path) {
        (Some(this), Some(found)) if this == found => "tbjwt".into(),
        (Some(this), _) => this.display().to_string(),
        (None, _) => "tbjwt".into(),
    }
}

/// An interrupt requested by SIGINT, SIGTERM and SIGHUP. Its abort ends every implementation process (and
/// what they started); a third signal exits at once.
pub fn signal_interrupt() -> Arc<Interrupt> {
    let interrupt = Arc::new(Interrupt::with_abort_hook(harness::runner::channel::end_all_processes));
    let handler = interrupt.clone();
    let installed = ctrlc::set_handler(move || match handler.request() {
        1 => eprintln!(
            "\ntbjwt: interrupted; finishing the cases in flight (at most {} s) and writing the reports \
             (signal again to stop them now)",
            harness::check::GRACE.as_secs()
        ),
        2 => eprintln!("\ntbjwt: interrupted again; abandoning the cases in flight"),
        _ => {
            harness::runner::channel::end_all_processes();
            std::process::exit(i32::from(harness::report::Conclusion::Interrupted.exit_code()));
        }
    });
    if let Err(e) = installed {
        eprintln!("tbjwt: warning: cannot handle signals ({e}); an interrupted run may leave its reports incomplete");
    }
    interrupt
}

/// Runs a resolved check or fuzz run with the terminal reporter and the requested report files.
pub fn execute(
    mut settings: CheckSettings,
    implementation: &Implementation,
    resolved_reports: &[harness::report::ReportRequest],
    coverage_table: bool,
) -> Result<ExitCode> {
    settings.program = program_name();
    if settings.snapshots.is_some() {
        harness::check::prepare_snapshot_environment();
    }
    let runner_settings = RunnerSettings::with_case_timeout(settings.timeout);
    // Install once (npm packages, action folder) before the jobs start; a broken folder is a usage error.
    implementation.runner(runner_settings)?;
    let make_runner = || implementation.runner(runner_settings).map_err(|e| e.to_string());

    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new().with_coverage_table(coverage_table))];
    for request in resolved_reports {
        reporters.push(request.open().with_context(|| format!("{}: cannot write the report", request.path.display()))?);
    }
    let interrupt = signal_interrupt();
    let footer = run_check(&settings, &make_runner, &mut reporters, &interrupt)?;
    if interrupt.requested() {
        harness::runner::channel::end_all_processes();
    }
    Ok(ExitCode::from(footer.exit_code))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Resolved { settings, implementation, reports, coverage_table } =
        args.options.resolve(args.implementation, "check")?;
    execute(settings, &implementation, &reports, coverage_table)
}
