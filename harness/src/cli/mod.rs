//! Argument parsing and dispatch, one file per subcommand. Exit codes: 0 success, 2 usage or harness
//! error (clap's own usage errors exit 2 too).

mod baseline;
mod bench;
mod bench_mocks;
mod check;
mod classes;
mod diff;
mod fuzz;
mod import_crash;
mod mocks;
mod mutants;
mod observe;
mod report;
mod run;
mod snapshots;
mod spec;
mod vectors;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Conformance and fuzz harness for the Auth0 post-login action that mints Tinybird JWTs.
#[derive(Parser)]
#[command(name = "tbjwt", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an implementation against the reference: the built-in suite (and --fixtures folders, and the
    /// saved regressions), then generated cases, through the whole login flow. Exit codes: 0 conforms,
    /// 1 diverged, 2 usage or harness error or no case ran, 3 the implementation errored, 4 interrupted.
    Check(Box<check::Args>),
    /// Print the reference outcome of an event (or case file) as JSON.
    Spec(spec::Args),
    /// Print an implementation's outcome of an event, in the same format as `spec`.
    Run(run::Args),
    /// Run one case through the whole login flow against the mocks and print the observation.
    Observe(observe::Args),
    /// Serve the Auth0 and Tinybird mocks until interrupted.
    Mocks(mocks::Args),
    /// Fuzz the pipe-name input against an implementation for a time, with check's options and exit codes
    /// (libFuzzer on nightly, proptest otherwise).
    Fuzz(Box<fuzz::Args>),
    /// Turn a libFuzzer artifact into a case that check replays (in tbjwt-regressions/ by default).
    ImportCrash(import_crash::Args),
    /// Baselines: the root causes a port diverges by today, so that `check --baseline` fails only on new
    /// ones.
    #[command(subcommand)]
    Baseline(baseline::Action),
    /// What changed between two runs (their JSON reports): new, fixed and unchanged root causes and cases.
    /// Exit codes: 0 no new divergence, 1 regressed, 2 not comparable (said why).
    Diff(diff::Args),
    /// Reports of several runs: `merge` puts the shards of a `--partition K/N` run back together.
    #[command(subcommand)]
    Report(report::Action),
    /// Portable test vectors: the cases the harness knows, as plain JSON a port's own unit tests read.
    #[command(subcommand)]
    Vectors(vectors::Action),
    /// Measure the harness's own speed.
    #[command(subcommand)]
    Bench(bench::Target),
    /// Review, accept or reject the snapshots `check --snapshots DIR` wrote (insta's files, no Rust needed).
    #[command(subcommand)]
    Snapshots(snapshots::Action),
    /// List the equivalence classes of the inputs (a Markdown table): what `check --coverage` counts.
    Classes(classes::Args),
    /// The mutation campaign: every mutant of the published action from the catalogue of porters'
    /// mistakes, each through the default check; prints the kill matrix. Exit codes: 0 all killed or
    /// argued equivalent, 1 a mutant survived, 2 error.
    Mutants(mutants::Args),
}

/// Writes `text` to stdout; a reader that went away (`tbjwt classes | head`) is not an error.
pub fn print_all(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Exit code for usage and harness errors.
pub const EXIT_ERROR: u8 = 2;
/// Exit code when the implementation itself errored (crashed, hung, broke the protocol).
pub const EXIT_IMPLEMENTATION_ERRORED: u8 = 3;

/// Runs the CLI.
pub fn main() -> ExitCode {
    // check's and fuzz's defaults are written once, in the library, and shown in their help from there.
    use harness::check::options::show_in_help;
    let command = <Cli as clap::CommandFactory>::command()
        .mut_subcommand("check", |c| show_in_help(c, "check"))
        .mut_subcommand("fuzz", |c| show_in_help(c, "fuzz"));
    let cli = match <Cli as clap::FromArgMatches>::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Check(args) => check::run(*args),
        Command::Spec(args) => spec::run(args),
        Command::Run(args) => run::run(args),
        Command::Mutants(args) => mutants::run(args),
        Command::Classes(args) => classes::run(args),
        Command::Observe(args) => observe::run(args),
        Command::Mocks(args) => mocks::run(args),
        Command::Fuzz(args) => fuzz::run(*args),
        Command::ImportCrash(args) => import_crash::run(args),
        Command::Bench(target) => bench::run(target),
        Command::Baseline(action) => baseline::run(action),
        Command::Diff(args) => diff::run(args),
        Command::Report(action) => report::run(action),
        Command::Vectors(action) => vectors::run(action),
        Command::Snapshots(action) => snapshots::run(action),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tbjwt: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Parses a positive number of seconds (a timeout).
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Ok(s),
        _ => Err(format!("`{text}` is not a number of seconds between 0 and 3600")),
    }
}

/// Parses a `--now` value: seconds since the epoch, with up to three decimals (`1764000000.250`), within
/// JavaScript's Date range.
pub fn parse_now(text: &str) -> Result<harness::clock::Now, String> {
    let wrong = || format!("`{text}` is not a number of seconds (whole, or with up to three decimals)");
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(wrong());
    }
    let seconds: i64 = whole.parse().map_err(|_| wrong())?;
    let max = harness::event::MAX_NOW;
    if !(-max..=max).contains(&seconds) {
        return Err(format!("{text} is outside JavaScript's Date range (±{max} seconds)"));
    }
    let millis: i64 = format!("{fraction:0<3}").parse().map_err(|_| wrong())?;
    let signed = if whole.starts_with('-') { -millis } else { millis };
    harness::clock::Now::from_millis(seconds * 1000 + signed)
}

/// The arguments of the commands that run one case through an implementation (`run`, `observe`).
#[derive(clap::Args)]
pub struct CaseArgs {
    /// The implementation: reference | node:PATH | cmd:COMMAND LINE | http(s)://URL.
    pub implementation: harness::runner::Implementation,
    /// An event file (any JSON object) or a case file.
    pub event: std::path::PathBuf,
    /// The clock, in seconds since the epoch, with up to three decimals (default: the case's own clock,
    /// else the current time).
    #[arg(long, value_parser = parse_now, allow_hyphen_values = true)]
    pub now: Option<harness::clock::Now>,
    /// Seconds the case may take before the implementation is killed.
    #[arg(long, default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,
    #[command(flatten)]
    pub sandbox: harness::check::options::SandboxArgs,
    #[command(flatten)]
    pub artifact: ArtifactArgs,
}

/// Which action of a deployed artifact runs (`node:` a Deploy CLI export or a Terraform configuration),
/// and the secret names it reads the reference's inputs under.
#[derive(clap::Args, Default)]
pub struct ArtifactArgs {
    /// The action to run where a Deploy CLI export or a Terraform configuration holds several (its name, or
    /// its Terraform label).
    #[arg(long, value_name = "NAME")]
    pub action: Option<String>,
    /// The secret a deployed custom Action reads one of the reference's inputs under, as INPUT=NAME
    /// (repeatable; each input's own name by default).
    #[arg(long = "secret-name", value_name = "INPUT=NAME", value_parser = harness::check::options::parse_secret_name)]
    pub secret_name: Vec<(String, String)>,
}

impl ArtifactArgs {
    /// The choice, as runners take it.
    pub fn choice(&self) -> harness::node::ArtifactChoice {
        harness::node::ArtifactChoice {
            action: self.action.clone(),
            secret_names: self.secret_name.iter().cloned().collect(),
        }
    }
}

/// What a deployed artifact gives its action, when `implementation` is one; its drift is said on stderr
/// (where these commands have no report to carry it).
pub fn deployment_of(
    implementation: &harness::runner::Implementation,
    choice: &harness::node::ArtifactChoice,
) -> anyhow::Result<Option<harness::node::custom::CustomInputs>> {
    let Some(action) = implementation.deployed_action(choice)? else { return Ok(None) };
    for finding in action.drift()? {
        let label = if finding.fails { "DRIFT" } else { "drift" };
        eprintln!("tbjwt: {label} {}", finding.line());
    }
    Ok(action.deployed.map(|d| d.inputs))
}

/// The sandbox settings of `args` for `implementation`: refused under `--sandbox require` where something
/// cannot be enforced, and said on stderr where something is not (for an implementation that runs in a
/// process of the harness's).
pub fn sandbox_for(
    implementation: &harness::runner::Implementation,
    args: &harness::check::options::SandboxArgs,
) -> anyhow::Result<harness::sandbox::SandboxSettings> {
    use harness::runner::Implementation;
    let settings = args.settings()?;
    let enforcement = harness::sandbox::Enforcement::of_settings(&settings);
    enforcement.check_required()?;
    if matches!(implementation, Implementation::Node(_) | Implementation::Cmd(_)) && !enforcement.complete() {
        eprintln!("tbjwt: {enforcement}");
    }
    Ok(settings)
}

/// Says on stderr that only the first login of a session case runs here.
pub fn warn_of_session(case: &harness::event::Case, path: &std::path::Path) {
    if !case.logins.is_empty() {
        eprintln!(
            "tbjwt: {} is a session of {} logins: this runs its first login only; `tbjwt check IMPL --replay {}` plays them all",
            path.display(),
            case.logins.len() + 1,
            path.display()
        );
    }
}

impl CaseArgs {
    /// The case, its clock, and a runner for the implementation.
    pub fn prepare(
        &self,
    ) -> anyhow::Result<(harness::event::Case, harness::clock::Now, Box<dyn harness::runner::Runner>)> {
        let case = harness::event::Case::load(&self.event)?;
        warn_of_session(&case, &self.event);
        let now = self.now.or(case.now).unwrap_or_else(harness::clock::Now::wall);
        let sandbox = sandbox_for(&self.implementation, &self.sandbox)?;
        let choice = self.artifact.choice();
        deployment_of(&self.implementation, &choice)?;
        let settings =
            harness::runner::RunnerSettings::with_case_timeout(std::time::Duration::from_secs_f64(self.timeout))
                .with_sandbox(sandbox)
                .with_artifact(choice);
        Ok((case, now, self.implementation.runner(settings)?))
    }
}
