//! A Markdown summary for `$GITHUB_STEP_SUMMARY`: the verdict counts, the settings to reproduce the run,
//! and the first failing cases with their differences.

use std::io::Write;

use super::{CaseReport, Reporter, RunFooter, RunHeader, Verdict};

const SHOWN: usize = 20;

/// The Markdown reporter.
pub struct Markdown<W: Write> {
    out: Option<W>,
    header: Option<RunHeader>,
    shown: Vec<CaseReport>,
    more: u64,
}

impl<W: Write> Markdown<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Markdown { out: Some(out), header: None, shown: Vec::new(), more: 0 }
    }
}

fn cell(text: &str) -> String {
    let flat: String = text.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    let cut: String = flat.chars().take(120).collect();
    let cut = if flat.chars().count() > 120 { format!("{cut}…") } else { cut };
    cut.replace('|', "\\|").replace('`', "'")
}

impl<W: Write + Send> Reporter for Markdown<W> {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        if matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass) {
            if self.shown.len() < SHOWN {
                self.shown.push(case.clone());
            } else {
                self.more += 1;
            }
        }
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let Some(mut out) = self.out.take() else { return Ok(()) };
        let c = footer.counts;
        let status = match footer.exit_code {
            0 => "✅ conforms",
            1 => "❌ diverged",
            3 => "⚠️ the implementation errored",
            _ => "⚠️ harness error",
        };
        let implementation = self.header.as_ref().map_or("?", |h| h.implementation.as_str());
        writeln!(out, "## tbjwt check: {status}\n")?;
        writeln!(out, "`{}`{}\n", implementation, if footer.interrupted { " — **interrupted**" } else { "" })?;
        writeln!(out, "| pass | fail | error | expected | unexpected-pass | cases/s |")?;
        writeln!(out, "|-----:|-----:|------:|---------:|----------------:|--------:|")?;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.0} |\n",
            c.pass, c.fail, c.error, c.expected, c.unexpected_pass, footer.cases_per_second
        )?;
        if let Some(h) = &self.header {
            writeln!(
                out,
                "Reproduce: `tbjwt check '{}' --seed {} --cases {} --level {} --domain {}`\n",
                h.implementation,
                h.seed,
                h.generated_cases,
                h.level.name(),
                h.domain.name()
            )?;
        }
        for p in &footer.expectation_problems {
            writeln!(out, "- ❌ expectations: {}", cell(&p.message))?;
        }
        if !self.shown.is_empty() {
            writeln!(out, "| case | verdict | path | rule | reference | implementation |")?;
            writeln!(out, "|------|---------|------|------|-----------|----------------|")?;
            for case in &self.shown {
                match case.differences.first() {
                    Some(d) => writeln!(
                        out,
                        "| {} | {} | `{}` | {} | {} | {} |",
                        cell(&case.name),
                        case.verdict.name(),
                        cell(&d.path),
                        d.rule,
                        cell(&d.reference.as_ref().map_or("(absent)".into(), |v| v.to_string())),
                        cell(&d.implementation.as_ref().map_or("(absent)".into(), |v| v.to_string())),
                    )?,
                    None => writeln!(
                        out,
                        "| {} | {} | | | | {} |",
                        cell(&case.name),
                        case.verdict.name(),
                        cell(case.error.as_deref().unwrap_or(""))
                    )?,
                }
            }
            if self.more > 0 {
                writeln!(out, "\n…and {} more.", self.more)?;
            }
        }
        out.flush()
    }
}
