//! `tbjwt import-crash ARTIFACT`: a libFuzzer artifact (crash or divergence) becomes a case file under
//! `fixtures/regressions/`, with a description of where it came from, so that `tbjwt check` and
//! `cargo test` replay it on stable Rust.

use anyhow::{bail, Context as _, Result};
use harness::event::{Case, DEFAULT_NOW};
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
    /// Where the case is written.
    #[arg(long, default_value = "fixtures/regressions")]
    out: PathBuf,
}

/// Writes the case of `artifact` (an input of `target`) into `out`; returns its path.
pub fn import(artifact: &Path, target: &str, out: &Path) -> Result<PathBuf> {
    let data = std::fs::read(artifact).with_context(|| format!("{}: cannot read", artifact.display()))?;
    let event = match target {
        "diff_pipe_names" | "spec_pipe_names" => harness::fuzzing::pipe_names_event(&data),
        "spec_event" => harness::fuzzing::arbitrary_event(&data),
        other => bail!("`{other}` is not a fuzz target (diff_pipe_names, spec_pipe_names, spec_event)"),
    };
    let name = artifact.file_name().map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let kind = name.split('-').next().unwrap_or("crash");
    let case = Case {
        name: String::new(),
        description: format!(
            "libFuzzer {kind} `{name}` of the fuzz target `{target}`, imported with `tbjwt import-crash`: the input that made the target fail (a divergence, a panic or a broken invariant), replayed by every check and by cargo test."
        ),
        rules: Vec::new(),
        now: Some(DEFAULT_NOW),
        event,
    };
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    let safe: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(60).collect();
    let path = out.join(format!("fuzz-{target}-{safe}.json"));
    std::fs::write(&path, case.to_file_text()).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(path)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let target = match &args.target {
        Some(t) => t.clone(),
        None => args
            .artifact
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| ["diff_pipe_names", "spec_pipe_names", "spec_event"].contains(&n.as_str()))
            .context("cannot tell the fuzz target from the artifact's folder: pass --target")?,
    };
    let path = import(&args.artifact, &target, &args.out)?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
