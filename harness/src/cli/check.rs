//! `tbjwt check [IMPL…]`: the differential CI gate. Options come from the command line, then from a config
//! file (`--config FILE`, or `tbjwt.toml` in the current folder), then from defaults
//! (`harness::check::options`). Several implementations run one after the other on the same cases (the
//! same seed), each with its own output and reports, then the matrix (`harness::report::matrix`); the exit
//! code is the worst run's.

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
    /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL (default: TBJWT_IMPLEMENTATION,
    /// else the config file's `implementation`).
    /// Several run one after the other on the same cases, then a matrix compares them.
    implementations: Vec<Implementation>,
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
    settings: CheckSettings,
    implementation: &Implementation,
    resolved_reports: &[harness::report::ReportRequest],
    coverage_table: bool,
) -> Result<ExitCode> {
    let footer =
        execute_one(settings, implementation, resolved_reports, coverage_table, Vec::new(), &signal_interrupt())?;
    Ok(ExitCode::from(footer.exit_code))
}

/// One run, with `extra` reporters beside the terminal and the report files.
fn execute_one(
    mut settings: CheckSettings,
    implementation: &Implementation,
    resolved_reports: &[harness::report::ReportRequest],
    coverage_table: bool,
    extra: Vec<Box<dyn Reporter>>,
    interrupt: &Arc<Interrupt>,
) -> Result<harness::report::RunFooter> {
    settings.program = program_name();
    let runner_settings = RunnerSettings::with_case_timeout(settings.timeout)
        .with_sandbox(settings.sandbox.clone())
        .with_runtime(settings.runtime)
        .with_artifact(settings.artifact.clone());
    // Install once (npm packages, action folder) before the jobs start; a broken folder is a usage error.
    implementation.runner(runner_settings.clone())?;
    let make_runner = || implementation.runner(runner_settings.clone());

    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(Human::new().with_coverage_table(coverage_table))];
    for request in resolved_reports {
        reporters.push(request.open().with_context(|| format!("{}: cannot write the report", request.path.display()))?);
    }
    reporters.extend(extra);
    let footer = run_check(&settings, &make_runner, &mut reporters, interrupt)?;
    if interrupt.requested() {
        harness::runner::channel::end_all_processes();
    }
    if let Some(dir) = &settings.snapshots {
        super::print_all(&super::snapshots::pending_line(dir)?)?;
    }
    Ok(footer)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut implementations = args.implementations.into_iter();
    let first = implementations.next();
    let others: Vec<Implementation> = implementations.collect();
    let Resolved { settings, implementation, reports, coverage_table } = args.options.resolve(first, "check")?;
    if others.is_empty() {
        return execute(settings, &implementation, &reports, coverage_table);
    }
    let all: Vec<Implementation> = std::iter::once(implementation).chain(others).collect();
    several(settings, &all, &reports, coverage_table)
}

/// `path` with `.N` before its extension: `report.jsonl` → `report.2.jsonl`.
fn numbered(path: &std::path::Path, n: usize) -> std::path::PathBuf {
    let stem = path.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{n}"),
    };
    path.with_file_name(name)
}

/// Checks each implementation on the same cases, one after the other, each with its own output and its
/// reports numbered (`report.N.ext`), then writes the matrix: to the terminal, as the last line of a JSON
/// report's own path, and as an HTML report's page (linking to each implementation's page).
fn several(
    settings: CheckSettings,
    implementations: &[Implementation],
    reports: &[harness::report::ReportRequest],
    coverage_table: bool,
) -> Result<ExitCode> {
    use harness::report::{matrix, ReportFormat, ReportRequest};
    anyhow::ensure!(
        settings.snapshots.is_none(),
        "--snapshots takes one implementation: each would write the same snapshot files"
    );
    let interrupt = signal_interrupt();
    let mut rows = Vec::new();
    for (i, implementation) in implementations.iter().enumerate() {
        println!("━━ {}/{}: {implementation} ━━", i + 1, implementations.len());
        let numbered_reports: Vec<ReportRequest> =
            reports.iter().map(|r| ReportRequest { format: r.format, path: numbered(&r.path, i + 1) }).collect();
        let mut settings = settings.clone();
        settings.implementation = implementation.to_string();
        let collector = matrix::RowCollector::default();
        execute_one(
            settings,
            implementation,
            &numbered_reports,
            coverage_table,
            vec![Box::new(collector.clone())],
            &interrupt,
        )?;
        // A run that reported nothing counts as a harness error, never as conforming.
        rows.push(collector.row().unwrap_or_else(|| matrix::MatrixRow {
            implementation: implementation.to_string(),
            counts: harness::report::Counts::default(),
            failing_cases_by_rule: Default::default(),
            conclusion: harness::report::Conclusion::HarnessError,
            exit_code: harness::report::Conclusion::HarnessError.exit_code(),
        }));
        if interrupt.requested() {
            break;
        }
    }
    print!("{}", matrix::text(&rows));
    for request in reports {
        let written = match request.format {
            ReportFormat::Json => Some(format!("{}\n", matrix::json(&rows))),
            ReportFormat::Html => {
                let links: Vec<String> = (1..=rows.len())
                    .map(|n| {
                        numbered(&request.path, n)
                            .file_name()
                            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
                    })
                    .collect();
                Some(matrix::html(&rows, &links))
            }
            ReportFormat::Markdown => {
                Some(format!("## tbjwt check: matrix\n\n```text\n{}```\n", matrix::text(&rows).trim_start()))
            }
            // One file per implementation (`PATH.N.xml`, `PATH.N.sarif`, …): these formats have no matrix.
            ReportFormat::Junit | ReportFormat::Sarif | ReportFormat::Badge => None,
        };
        if let Some(text) = written {
            std::fs::write(&request.path, text)
                .with_context(|| format!("{}: cannot write the report", request.path.display()))?;
        }
    }
    Ok(ExitCode::from(matrix::worst(&rows).exit_code()))
}
