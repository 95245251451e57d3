//! `tbjwt import-crash ARTIFACT`: a libFuzzer artifact (crash or divergence) becomes a case file in the
//! regressions folder (`tbjwt-regressions/` by default), with a description of where it came from, so that
//! `tbjwt check` replays it on stable Rust.

use anyhow::{Context as _, Result};
use harness::event::Case;
use harness::fuzz_input::FuzzTarget;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `tbjwt import-crash`.
#[derive(clap::Args)]
pub struct Args {
    /// The artifact (for example fuzz/artifacts/diff_pipe_names/crash-…).
    artifact: PathBuf,
    /// The fuzz target that wrote it (default: the artifact's folder name).
    #[arg(long)]
    target: Option<String>,
    /// Where the case is written (the folder `check` replays its saved regressions from).
    #[arg(long, default_value = harness::check::options::DEFAULT_REGRESSIONS)]
    out: PathBuf,
}

/// Writes the case of `artifact` (an input of `target`) into `out`; returns its path.
pub fn import(artifact: &Path, target: FuzzTarget, out: &Path) -> Result<PathBuf> {
    let data = harness::files::read_limited(artifact, harness::files::MAX_TEXT_FILE_BYTES)
        .with_context(|| format!("{}: cannot read", artifact.display()))?;
    let event = target.event(&data);
    let target = target.name();
    let name = artifact.file_name().map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let kind = name.split('-').next().unwrap_or("crash");
    let case = Case {
        name: String::new(),
        description: format!(
            "libFuzzer {kind} `{name}` of the fuzz target `{target}`, imported with `tbjwt import-crash`: the input that made the target fail (a divergence, a panic or a broken invariant), replayed by every check and by cargo test."
        ),
        rules: Vec::new(),
        now: Some(harness::clock::Now::DEFAULT),
        event,
        logins: Vec::new(),
    };
    let saved = harness::event::regressions::save(out, &format!("fuzz-{}", target.replace('_', "-")), &case)?;
    if !saved.new {
        eprintln!("tbjwt: the same case was already saved: {}", saved.path.display());
    }
    Ok(saved.path)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let target = match &args.target {
        Some(t) => FuzzTarget::from_name(t).map_err(anyhow::Error::msg)?,
        None => args
            .artifact
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| FuzzTarget::from_name(&n.to_string_lossy()).ok())
            .context("cannot tell the fuzz target from the artifact's folder: pass --target")?,
    };
    let path = import(&args.artifact, target, &args.out)?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
