//! `tbjwt mutants`: the mutation campaign. Makes every mutant of the published action from the
//! catalogue of porters' mistakes, runs each through the default `check` (stopping at its first failing
//! case), and prints the kill matrix. Exit codes: 0 every mutant killed or argued equivalent, 1 a mutant
//! survived (or one argued equivalent was killed), 2 usage or harness error.

use anyhow::{Context as _, Result};
use harness::check::{default_jobs, run_check, CheckSettings, Interrupt};
use harness::mutation::{self, Fate, Mutant};
use harness::report::Conclusion;
use harness::runner::{Implementation, RunnerSettings};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `tbjwt mutants`.
#[derive(clap::Args)]
pub struct Args {
    /// Only list the mutants (operator, site, and the catalogue's reason).
    #[arg(long)]
    list: bool,
    /// Write the mutants there (`OPERATOR@SITE.js`) and keep them [default: a temporary folder, removed].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only the mutants whose name (`operator@site`) contains this text.
    #[arg(long)]
    only: Option<String>,
    /// The seed of the generated cases [default: 1].
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Jobs of each mutant's check [default: one per CPU].
    #[arg(long)]
    jobs: Option<usize>,
    /// Write the fates as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

/// A folder removed when dropped (unless kept).
struct Folder {
    path: PathBuf,
    keep: bool,
}

impl Drop for Folder {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn folder(out: Option<PathBuf>) -> Result<Folder> {
    let (path, keep) = match out {
        Some(path) => (path, true),
        None => {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            (std::env::temp_dir().join(format!("tbjwt-mutants-{}-{nanos}", std::process::id())), false)
        }
    };
    std::fs::create_dir_all(&path).with_context(|| format!("{}: cannot create the folder", path.display()))?;
    Ok(Folder { path, keep })
}

/// The default check of one mutant, stopping at its first failing case: `Some(true)` diverged,
/// `Some(false)` conformed, `None` could not judge (with why).
fn judge(path: &std::path::Path, seed: u64, jobs: usize) -> (Option<bool>, String) {
    let implementation = Implementation::Node(path.to_owned());
    let settings = CheckSettings {
        implementation: implementation.to_string(),
        seed,
        jobs,
        max_failures: Some(1),
        shrink_steps: 0,
        save_failures: None,
        regressions: None,
        ..CheckSettings::default()
    };
    let runner_settings = RunnerSettings::with_case_timeout(settings.timeout);
    let factory = || implementation.runner(runner_settings.clone());
    match run_check(&settings, &factory, &mut [], &Interrupt::new()) {
        Ok(footer) => {
            let cases = footer.counts.total();
            match footer.conclusion {
                Conclusion::Conforms => (Some(false), format!("{cases} cases pass")),
                Conclusion::Diverged => (Some(true), format!("failed after {cases} cases")),
                other => (None, format!("{} after {cases} cases", other.sentence())),
            }
        }
        Err(e) => (None, e.to_string()),
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut all = mutation::mutants(mutation::PUBLISHED_ACTION)?;
    if let Some(only) = &args.only {
        all.retain(|m| m.name().contains(only.as_str()));
        anyhow::ensure!(!all.is_empty(), "--only {only}: no mutant's name contains it (see --list)");
    }
    if args.list {
        let mut text = String::new();
        for m in &all {
            let reason = mutation::OPERATORS.iter().find(|o| o.name == m.operator).map_or("", |o| o.reason);
            let argued = m.equivalent.map(|a| format!(" [argued equivalent: {a}]")).unwrap_or_default();
            text.push_str(&format!("{:<40} {reason}{argued}\n", m.name()));
        }
        super::print_all(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let dir = folder(args.out.clone())?;
    let jobs = args.jobs.unwrap_or_else(default_jobs).clamp(1, 256);
    let started = std::time::Instant::now();
    let mut fates: Vec<(Mutant, Fate)> = Vec::new();
    for mutant in all {
        let path = dir.path.join(format!("{}.js", mutant.name()));
        std::fs::write(&path, &mutant.source).with_context(|| format!("{}: cannot write", path.display()))?;
        let (diverged, detail) = judge(&path, args.seed, jobs);
        let fate = Fate::of(diverged, mutant.equivalent.is_some());
        println!("{} {:<40} {detail}", fate.letter(), mutant.name());
        fates.push((mutant, fate));
    }
    println!("\n{}", mutation::matrix(&fates));
    let count = |f: Fate| fates.iter().filter(|(_, x)| *x == f).count();
    let operators: std::collections::BTreeSet<&str> = fates.iter().map(|(m, _)| m.operator).collect();
    let (killed, equivalent) = (count(Fate::Killed), count(Fate::Equivalent));
    let judged = fates.len() - equivalent;
    println!(
        "{} mutants of {} operators at {} sites in {:.1} s: {killed} killed, {equivalent} argued equivalent, {} survived, \
         {} killed though argued equivalent, {} errors — kill score {killed}/{judged} ({:.0}%)",
        fates.len(),
        operators.len(),
        mutation::SITES.len(),
        started.elapsed().as_secs_f64(),
        count(Fate::Survived),
        count(Fate::KilledButArguedEquivalent),
        count(Fate::Error),
        100.0 * killed as f64 / judged.max(1) as f64
    );
    for (m, fate) in &fates {
        match fate {
            Fate::Survived => {
                println!("survived: {} — add a fixture or a class that kills it, or argue it equivalent", m.name())
            }
            Fate::KilledButArguedEquivalent => {
                println!("killed though argued equivalent: {} — fix the catalogue", m.name())
            }
            Fate::Error => println!("error: {}", m.name()),
            _ => {}
        }
    }
    if dir.keep {
        println!("mutants written to {}", dir.path.display());
    }
    if let Some(path) = &args.json {
        let rows: Vec<serde_json::Value> = fates
            .iter()
            .map(|(m, f)| serde_json::json!({"mutant": m.name(), "operator": m.operator, "site": m.site, "fate": f}))
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&rows)? + "\n")
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let code = if count(Fate::Error) > 0 {
        super::EXIT_ERROR
    } else if fates.iter().all(|(_, f)| f.is_good()) {
        0
    } else {
        1
    };
    Ok(ExitCode::from(code))
}
