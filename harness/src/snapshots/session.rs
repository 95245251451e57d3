//! Reviewing pending snapshots: each one shown as a diff against the accepted snapshot, then accepted,
//! rejected or skipped with one key on a terminal (`tbjwt snapshots review`).

use std::io;

use console::{style, Key, Term};
use similar::{ChangeTag, TextDiff};

use super::files::{self, Pending};

/// The lines of `pending` that differ from its accepted snapshot (every line of a new one), with three
/// lines of context, as a unified diff (`-` accepted, `+` new); coloured when `colour`.
pub fn diff(pending: &Pending, colour: bool) -> Result<String, String> {
    let new = files::contents(&pending.new)?;
    let old = if pending.is_new() { String::new() } else { files::contents(&pending.accepted)? };
    let diff = TextDiff::from_lines(&old, &new);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push_str(&paint("  ┈┈┈\n", colour, |s| style(s).dim()));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let line = change.to_string_lossy();
                let line = line.trim_end_matches('\n');
                let (text, painted) = match change.tag() {
                    ChangeTag::Delete => {
                        (format!("- {line}\n"), paint(&format!("- {line}\n"), colour, |s| style(s).red()))
                    }
                    ChangeTag::Insert => {
                        (format!("+ {line}\n"), paint(&format!("+ {line}\n"), colour, |s| style(s).green()))
                    }
                    ChangeTag::Equal => (format!("  {line}\n"), String::new()),
                };
                out.push_str(if painted.is_empty() { &text } else { &painted });
            }
        }
    }
    Ok(out)
}

fn paint(text: &str, colour: bool, how: impl Fn(&str) -> console::StyledObject<&str>) -> String {
    if colour {
        how(text).force_styling(true).to_string()
    } else {
        text.to_owned()
    }
}

/// The heading of one pending snapshot: its name, whether it is new or changed, its description.
pub fn heading(pending: &Pending, index: usize, total: usize) -> String {
    let what = if pending.is_new() { "new" } else { "changed" };
    let mut text = format!("Snapshot {}/{total}: {} ({what}, {})\n", index + 1, pending.name, pending.new.display());
    if let Some(description) = files::description(&pending.new).filter(|d| !d.is_empty()) {
        text.push_str(&format!("  {description}\n"));
    }
    text
}

/// What a review session decided.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Decisions {
    /// Snapshots accepted.
    pub accepted: usize,
    /// Snapshots rejected.
    pub rejected: usize,
    /// Snapshots left pending.
    pub skipped: usize,
}

/// Shows each pending snapshot on `term` and applies the key pressed: `a` accept, `r` reject, `s` skip,
/// `q` quit (the rest are skipped).
pub fn review(term: &Term, pending: &[Pending]) -> Result<Decisions, String> {
    let io_error = |e: io::Error| format!("the terminal: {e}");
    let colour = console::colors_enabled();
    let mut decisions = Decisions::default();
    for (i, snapshot) in pending.iter().enumerate() {
        term.write_str(&heading(snapshot, i, pending.len())).map_err(io_error)?;
        term.write_str(&diff(snapshot, colour)?).map_err(io_error)?;
        let prompt = "  a accept · r reject · s skip · q quit > ";
        let decision = loop {
            term.write_str(prompt).map_err(io_error)?;
            match term.read_key().map_err(io_error)? {
                Key::Char(c @ ('a' | 'r' | 's' | 'q')) => break c,
                _ => term.write_line("").map_err(io_error)?,
            }
        };
        let file_error = |e: io::Error| format!("{}: {e}", snapshot.new.display());
        let said = match decision {
            'a' => {
                snapshot.accept().map_err(file_error)?;
                decisions.accepted += 1;
                "accepted"
            }
            'r' => {
                snapshot.reject().map_err(file_error)?;
                decisions.rejected += 1;
                "rejected"
            }
            's' => {
                decisions.skipped += 1;
                "skipped"
            }
            _ => {
                term.write_line("quit").map_err(io_error)?;
                decisions.skipped += pending.len() - i;
                return Ok(decisions);
            }
        };
        term.write_line(said).map_err(io_error)?;
        term.write_line("").map_err(io_error)?;
    }
    Ok(decisions)
}
