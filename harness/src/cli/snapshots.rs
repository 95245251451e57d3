//! `tbjwt snapshots`: review, accept and reject the snapshots `check --snapshots DIR` wrote, without a
//! Rust toolchain. The files are insta's, so `cargo insta review --workspace-root DIR` works on them too.

use anyhow::{bail, Context, Result};
use console::Term;
use harness::snapshots::files::{self, Pending};
use harness::snapshots::session;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What to do with the pending snapshots.
#[derive(clap::Subcommand)]
pub enum Action {
    /// Show each new or changed snapshot as a diff and accept (a), reject (r) or skip (s) it, or quit (q).
    /// Needs a terminal; elsewhere it prints the diffs, decides nothing and exits 1 if any is pending.
    Review(Folder),
    /// Accept the pending snapshots (all, or the NAMEs given).
    Accept(Chosen),
    /// Reject (delete) the pending snapshots (all, or the NAMEs given).
    Reject(Chosen),
    /// List the pending snapshots with their diffs; exits 1 if there is any (a CI step after check), 2 if
    /// the folder holds no snapshot at all.
    Pending(Folder),
}

/// A snapshot folder.
#[derive(clap::Args)]
pub struct Folder {
    /// The folder given to `check --snapshots`.
    dir: PathBuf,
}

/// A snapshot folder and the snapshots chosen in it.
#[derive(clap::Args)]
pub struct Chosen {
    /// The folder given to `check --snapshots`.
    dir: PathBuf,
    /// Snapshot names (the file names without `.snap.new`); all pending ones when none is given.
    names: Vec<String>,
}

/// The pending snapshots of `dir`; a folder that cannot be read is an error naming it.
fn pending_in(dir: &Path) -> Result<Vec<Pending>> {
    files::pending(dir).with_context(|| format!("{}: cannot read the snapshot folder", dir.display()))
}

/// The pending snapshots named `names` (all when empty); a name with no pending snapshot is an error.
fn chosen(dir: &Path, names: &[String]) -> Result<Vec<Pending>> {
    let pending = pending_in(dir)?;
    if names.is_empty() {
        return Ok(pending);
    }
    names
        .iter()
        .map(|name| {
            let name = name.trim_end_matches(".new").trim_end_matches(".snap");
            match pending.iter().find(|p| p.name == name) {
                Some(p) => Ok(p.clone()),
                None => bail!("{}: no pending snapshot named `{name}`", dir.display()),
            }
        })
        .collect()
}

/// Whether `dir` holds no snapshot at all, accepted or pending (a wrong folder, or a run without fixtures).
fn holds_none(dir: &Path, pending: &[Pending]) -> Result<bool> {
    let accepted =
        files::accepted_count(dir).with_context(|| format!("{}: cannot read the snapshot folder", dir.display()))?;
    Ok(pending.is_empty() && accepted == 0)
}

/// The line `check --snapshots DIR` prints after its run: how many snapshots await review, and how.
pub fn pending_line(dir: &Path) -> Result<String> {
    let pending = pending_in(dir)?;
    if holds_none(dir, &pending)? {
        return Ok(format!("Snapshots in {}: none (no fixture ran).\n", dir.display()));
    }
    if pending.is_empty() {
        return Ok(format!("Snapshots in {}: all unchanged.\n", dir.display()));
    }
    let new = pending.iter().filter(|p| p.is_new()).count();
    Ok(format!(
        "Snapshots in {}: {new} new, {} changed: review with `tbjwt snapshots review {}`.\n",
        dir.display(),
        pending.len() - new,
        dir.display()
    ))
}

fn print_diffs(pending: &[Pending]) -> Result<()> {
    let colour = console::colors_enabled();
    for (i, p) in pending.iter().enumerate() {
        let diff = session::diff(p, colour).map_err(anyhow::Error::msg)?;
        super::print_all(&format!("{}{diff}\n", session::heading(p, i, pending.len())))?;
    }
    Ok(())
}

pub fn run(action: Action) -> Result<ExitCode> {
    match action {
        Action::Review(Folder { dir }) => {
            let pending = pending_in(&dir)?;
            if pending.is_empty() {
                super::print_all(&format!("No snapshot to review in {}.\n", dir.display()))?;
                return Ok(ExitCode::SUCCESS);
            }
            let term = Term::stdout();
            if !term.is_term() || !console::user_attended_stderr() {
                print_diffs(&pending)?;
                eprintln!(
                    "tbjwt: not a terminal, nothing decided: accept with `tbjwt snapshots accept {0}` or reject with \
                     `tbjwt snapshots reject {0}` (optionally followed by names)",
                    dir.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            let decisions = session::review(&term, &pending).map_err(anyhow::Error::msg)?;
            super::print_all(&format!(
                "Accepted {}, rejected {}, skipped {}.\n",
                decisions.accepted, decisions.rejected, decisions.skipped
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Action::Accept(Chosen { dir, names }) => decide(&dir, &names, true),
        Action::Reject(Chosen { dir, names }) => decide(&dir, &names, false),
        Action::Pending(Folder { dir }) => {
            let pending = pending_in(&dir)?;
            // An empty folder is no proof that nothing changed: the gate fails rather than pass by accident.
            if holds_none(&dir, &pending)? {
                bail!("{}: no snapshot here; give the folder `check --snapshots` wrote", dir.display());
            }
            print_diffs(&pending)?;
            super::print_all(&pending_line(&dir)?)?;
            Ok(if pending.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
    }
}

fn decide(dir: &Path, names: &[String], accept: bool) -> Result<ExitCode> {
    let chosen = chosen(dir, names)?;
    for p in &chosen {
        let done = if accept { p.accept() } else { p.reject() };
        done.with_context(|| format!("{}: cannot {}", p.new.display(), if accept { "accept" } else { "reject" }))?;
    }
    let verb = if accept { "Accepted" } else { "Rejected" };
    super::print_all(&format!("{verb} {} snapshot(s) in {}.\n", chosen.len(), dir.display()))?;
    Ok(ExitCode::SUCCESS)
}
