//! A Markdown summary for `$GITHUB_STEP_SUMMARY`: the verdict counts, the settings to reproduce the run,
//! the root causes by rule across failing cases, and the first failing cases with their first root cause.

use std::io::Write;

use super::text::visible;
use super::{CaseReport, Conclusion, Reporter, RunFooter, RunHeader};

const SHOWN: usize = 20;

use super::ABSENT;

/// The Markdown reporter.
pub struct Markdown<W: Write> {
    out: Option<W>,
    header: Option<RunHeader>,
    failures: super::summary::FirstFailures,
    causes: super::summary::CauseSummary,
}

impl<W: Write> Markdown<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Markdown { out: Some(out), header: None, failures: Default::default(), causes: Default::default() }
    }
}

fn cell(text: &str) -> String {
    let flat = visible(text);
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
        self.causes.add(case);
        self.failures.add(case, SHOWN);
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let Some(mut out) = self.out.take() else { return Ok(()) };
        let c = footer.counts;
        let sentence = footer.conclusion.sentence();
        let status = match footer.conclusion {
            Conclusion::Conforms => format!("✅ {sentence}"),
            Conclusion::Diverged => format!("❌ {sentence}"),
            _ => format!("⚠️ {sentence}"),
        };
        let (command, implementation) =
            self.header.as_ref().map_or(("check", "?"), |h| (h.command, h.implementation.as_str()));
        writeln!(out, "## tbjwt {command}: {status}\n")?;
        writeln!(out, "`{}`{}\n", cell(implementation), if footer.interrupted { " — **interrupted**" } else { "" })?;
        if let Some(version) = self.header.as_ref().and_then(|h| h.suite_version.as_deref()) {
            writeln!(
                out,
                "Built-in suite {version}; cases from: {}\n",
                cell(&self.header.as_ref().map(|h| h.case_sources.join("; ")).unwrap_or_default())
            )?;
        }
        writeln!(out, "| pass | fail | error | expected | unexpected-pass | cases/s |")?;
        writeln!(out, "|-----:|-----:|------:|---------:|----------------:|--------:|")?;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.0} |\n",
            c.pass, c.fail, c.error, c.expected, c.unexpected_pass, footer.cases_per_second
        )?;
        if c.flaky > 0 {
            writeln!(out, "⚠️ {} flaky (errored, then passed on a retry; counted as pass)\n", c.flaky)?;
        }
        if let Some(h) = &self.header {
            let (seed, cases) = (h.seed.to_string(), h.generated_cases.to_string());
            let command = super::text::shell_words([
                "tbjwt",
                h.command,
                &h.implementation,
                "--seed",
                &seed,
                "--cases",
                &cases,
                "--level",
                h.level.name(),
                "--domain",
                h.domain.name(),
            ]);
            writeln!(out, "Reproduce: `{}`\n", cell(&command))?;
        }
        for p in &footer.expectation_problems {
            writeln!(out, "- ❌ expectations: {}", cell(&p.message))?;
        }
        if let Some(baseline) = &footer.baseline {
            let mark = if baseline.new.is_empty() && !baseline.fails() { "✅" } else { "❌" };
            writeln!(out, "- {mark} {}", cell(&baseline.summary()))?;
            for cause in &baseline.new {
                writeln!(
                    out,
                    "  - new: `{}` ({} cases, e.g. `{}`)",
                    cell(&cause.cause.to_string()),
                    cause.cases,
                    cell(&cause.example)
                )?;
            }
            for cause in &baseline.fixed {
                writeln!(out, "  - fixed: `{}`", cell(&cause.to_string()))?;
            }
        }
        for finding in &footer.integrity {
            writeln!(out, "- ❌ security: {}", cell(finding))?;
        }
        for finding in &footer.drift {
            writeln!(out, "- {} drift: {}", if finding.fails { "❌" } else { "⚠️" }, cell(&finding.line()))?;
        }
        if let Some(coverage) = &footer.class_coverage {
            let mark = if coverage.unreached.is_empty() { "" } else { "⚠️ " };
            writeln!(out, "{mark}{}\n", cell(&coverage.summary()))?;
        }
        if self.causes.worth_showing() {
            writeln!(out, "| rule | failing cases | root cause |")?;
            writeln!(out, "|------|--------------:|------------|")?;
            for rule in self.causes.rules() {
                for (kind, n) in &rule.kinds {
                    writeln!(out, "| {} | {n} | {} |", rule.label(), cell(kind))?;
                }
            }
            writeln!(out)?;
        }
        if !self.failures.cases.is_empty() {
            writeln!(out, "| case | verdict | first root cause | rule | reference | implementation | also in |")?;
            writeln!(out, "|------|---------|------------------|------|-----------|----------------|---------|")?;
            for case in &self.failures.cases {
                match case.root_causes.first() {
                    Some(d) => writeln!(
                        out,
                        "| {} | {} | `{}` | {} | {} | {} | {} |",
                        cell(&case.name),
                        case.verdict.name(),
                        cell(&d.path),
                        d.rule,
                        cell(&d.reference.as_ref().map_or(ABSENT.into(), |v| v.to_string())),
                        cell(&d.implementation.as_ref().map_or(ABSENT.into(), |v| v.to_string())),
                        cell(&crate::compare::also_in_summary(d)),
                    )?,
                    None => writeln!(
                        out,
                        "| {} | {} | | | | {} | |",
                        cell(&case.name),
                        case.verdict.name(),
                        cell(case.error.as_deref().unwrap_or(""))
                    )?,
                }
            }
            let replays: Vec<&CaseReport> = self.failures.cases.iter().filter(|c| c.replay.is_some()).collect();
            if !replays.is_empty() {
                writeln!(out, "\nReplay a case:\n")?;
                for case in replays {
                    writeln!(out, "- {}: `{}`", cell(&case.name), cell(case.replay.as_deref().unwrap_or("")))?;
                }
            }
            if self.failures.more > 0 {
                writeln!(out, "\n…and {} more.", self.failures.more)?;
            }
        }
        out.flush()
    }
}
