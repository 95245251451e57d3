//! The terminal: a progress bar with cases/s on a TTY, plain periodic lines otherwise (CI logs), then a
//! summary a newcomer can read: what ran, the verdicts, every failure with its differences and rule, and
//! how to replay it. Colours are off with `NO_COLOR` or when the output is not a terminal.

use console::{style, Term};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::time::{Duration, Instant};

use super::text::{visible, visible_json, visible_lines};
use super::{CaseReport, Conclusion, Counts, Reporter, RunFooter, RunHeader, Verdict};

/// Failures shown in full in the summary (shrunk ones first).
const SHOWN: usize = 8;
/// Failure lines printed while the run goes on.
const STREAMED: u64 = 20;
/// Root causes shown per failing case.
const CAUSES_SHOWN: usize = 8;
/// An unshrunk event longer than this (characters) is left to the JSON report.
const EVENT_SHOWN: usize = 400;
/// Kinds shown per rule in the summary across failing cases.
const KINDS_PER_RULE: usize = 3;

/// The terminal reporter (progress on stderr, summary on stdout).
pub struct Human {
    bar: Option<ProgressBar>,
    last_line: Instant,
    counts: Counts,
    done: u64,
    planned: u64,
    started: Instant,
    shown: Vec<CaseReport>,
    /// Failing cases per root cause.
    causes: super::summary::CauseSummary,
    header: Option<RunHeader>,
    coverage_table: bool,
}

impl Default for Human {
    fn default() -> Self {
        Human::new()
    }
}

impl Human {
    /// A reporter that picks a progress bar or plain lines from the terminal it runs in.
    pub fn new() -> Human {
        let colours = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && Term::stdout().is_term();
        console::set_colors_enabled(colours);
        console::set_colors_enabled_stderr(colours && Term::stderr().is_term());
        Human {
            bar: None,
            last_line: Instant::now(),
            counts: Counts::default(),
            done: 0,
            planned: 0,
            started: Instant::now(),
            shown: Vec::new(),
            causes: super::summary::CauseSummary::default(),
            header: None,
            coverage_table: false,
        }
    }

    /// Also prints every class with its case count at the end (`--coverage`).
    pub fn with_coverage_table(mut self, on: bool) -> Human {
        self.coverage_table = on;
        self
    }

    /// Keeps the most telling failures for the summary: shrunk ones first, then the earliest.
    fn keep(&mut self, case: &CaseReport) {
        let shrunk = case.shrunk_size.is_some();
        if self.shown.len() < SHOWN {
            self.shown.push(case.clone());
        } else if shrunk {
            if let Some(i) = self.shown.iter().rposition(|c| c.shrunk_size.is_none()) {
                self.shown[i] = case.clone();
            }
        }
        self.shown.sort_by_key(|c| (c.shrunk_size.is_none(), c.ordinal));
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }
}

fn value(v: &Option<serde_json::Value>) -> String {
    let text = v.as_ref().map_or(super::ABSENT.to_owned(), visible_json);
    if text.chars().count() > 300 {
        format!("{}… ({} bytes)", text.chars().take(300).collect::<String>(), text.len())
    } else {
        text
    }
}

fn print_case(out: &mut impl Write, case: &CaseReport) -> std::io::Result<()> {
    let label = match case.verdict {
        Verdict::Error => style("ERROR").yellow().bold(),
        Verdict::UnexpectedPass => style("UNEXPECTED PASS").red().bold(),
        _ => style("FAIL").red().bold(),
    };
    write!(out, "\n{label} {}", style(visible(&case.name)).bold())?;
    if let (Some(a), Some(b), Some(steps)) = (case.original_size, case.shrunk_size, case.shrink_steps) {
        write!(out, " (shrunk from {a} to {b} bytes in {steps} steps)")?;
    }
    writeln!(out)?;
    if let Some(error) = &case.error {
        for line in visible_lines(error).lines().take(12) {
            writeln!(out, "    {line}")?;
        }
    }
    if case.verdict == Verdict::UnexpectedPass {
        writeln!(
            out,
            "    listed in the expectations (entries {:?}) but no longer diverges: remove the entry",
            case.expectations
        )?;
    }
    if let Some(event) = &case.event {
        let text = visible_json(event);
        // A minimal event is worth reading; a big unshrunk one is in the JSON report.
        if case.shrunk_size.is_some() || text.chars().count() <= EVENT_SHOWN {
            writeln!(out, "    event (now = {}): {text}", case.now)?;
        } else {
            writeln!(out, "    event: {} bytes, not shrunk (the JSON report holds it)", text.len())?;
        }
    }
    if let Some(session) = case.session_line() {
        writeln!(out, "    {session}")?;
    }
    if let Some(limits) = case.limits_line() {
        writeln!(out, "    {}", style(limits).yellow())?;
    }
    let causes = &case.root_causes;
    for cause in causes.iter().take(CAUSES_SHOWN) {
        let tag = if cause.security { format!("{} ", style("[security]").red().bold()) } else { String::new() };
        let observable = crate::compare::Observable::of_path(&cause.path).map_or("", |o| o.key());
        writeln!(out, "    {tag}{}  {} ({observable})", style(visible(&cause.path)).cyan(), style(cause.rule).bold())?;
        writeln!(out, "        reference:      {}", value(&cause.reference))?;
        writeln!(out, "        implementation: {}", value(&cause.implementation))?;
        if !cause.also_in.is_empty() {
            writeln!(out, "        also in: {}", crate::compare::also_in_summary(cause))?;
        }
    }
    if causes.len() > CAUSES_SHOWN {
        writeln!(
            out,
            "    … and {} more root causes (the JSON report has every difference)",
            causes.len() - CAUSES_SHOWN
        )?;
    }
    if let Some(other) = &case.same_as {
        writeln!(out, "    same divergence as {} (not shrunk again)", visible(other))?;
    }
    if let Some(path) = &case.saved_to {
        let what = if case.saved_now { "saved" } else { "already saved" };
        writeln!(out, "    {what}: {}", visible(&path.display().to_string()))?;
    }
    if let Some(command) = &case.replay {
        writeln!(out, "    replay: {}", visible(command))?;
    }
    Ok(())
}

impl Reporter for Human {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.planned = header.planned_cases;
        self.started = Instant::now();
        self.header = Some(header.clone());
        let mut err = std::io::stderr();
        writeln!(
            err,
            "tbjwt {} {} — level {}, domain {}, seed {}, {} fixtures + {}{} generated cases{}, {}",
            header.command,
            style(visible(&header.implementation)).bold(),
            header.level.name(),
            header.domain.name(),
            style(header.seed).bold(),
            header.fixture_cases,
            if header.time_budget_seconds.is_some() { "at most " } else { "" },
            header.generated_cases,
            header.partition.as_ref().map(|p| format!(" (partition {p})")).unwrap_or_default(),
            super::text::counted(header.jobs as u64, "job", "jobs"),
        )?;
        if !header.case_sources.is_empty() {
            writeln!(err, "cases from: {}", visible(&header.case_sources.join("; ")))?;
        }
        if let Some(runtime) = &header.runtime {
            writeln!(err, "{runtime}")?;
        }
        if let Some(sandbox) = &header.sandbox {
            writeln!(err, "{sandbox}")?;
        }
        if Term::stderr().is_term() {
            let bar = ProgressBar::with_draw_target(Some(self.planned), ProgressDrawTarget::stderr_with_hz(10));
            bar.set_style(
                ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} cases  {per_sec:.bold}  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            self.bar = Some(bar);
        }
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        self.counts.add(case.verdict);
        self.done += 1;
        let c = self.counts;
        let message = format!("{} fail, {} error", c.fail, c.error);
        let failing = c.fail + c.error + c.unexpected_pass;
        self.causes.add(case);
        if matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass) && failing > STREAMED {
            self.keep(case);
        } else if matches!(case.verdict, Verdict::Fail | Verdict::Error | Verdict::UnexpectedPass) {
            let line = format!(
                "{} {} ({})",
                case.verdict.name().to_uppercase(),
                visible(&case.name),
                case.differences.first().map_or_else(
                    || visible(case.error.as_deref().unwrap_or("").lines().next().unwrap_or("")).into_owned(),
                    |d| format!("{} {}", visible(&d.path), d.rule),
                )
            );
            let line =
                if failing == STREAMED { format!("{line}\n(more failures are counted, not listed)") } else { line };
            match &self.bar {
                Some(bar) => bar.println(line),
                None => writeln!(std::io::stderr(), "{line}")?,
            }
            self.keep(case);
        }
        if case.is_flaky() {
            let first = case.attempts.first().and_then(|e| e.lines().next()).unwrap_or_default();
            let line = format!(
                "FLAKY {} ({} on attempt {} after {}: {})",
                visible(&case.name),
                case.verdict.name(),
                case.attempts.len() + 1,
                super::text::counted(case.attempts.len() as u64, "error", "errors"),
                visible(first)
            );
            match &self.bar {
                Some(bar) => bar.println(line),
                None => writeln!(std::io::stderr(), "{line}")?,
            }
        }
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done);
                bar.set_message(message);
            }
            None if self.last_line.elapsed() >= Duration::from_secs(2) => {
                self.last_line = Instant::now();
                writeln!(
                    std::io::stderr(),
                    "tbjwt: {}/{} cases ({:.0}/s), {message}",
                    self.done,
                    self.planned,
                    self.rate()
                )?;
            }
            None => {}
        }
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        let mut out = std::io::stdout().lock();
        for case in &self.shown {
            print_case(&mut out, case)?;
        }
        let c = footer.counts;
        if c.fail + c.error + c.unexpected_pass > self.shown.len() as u64 {
            writeln!(
                out,
                "\n… {} more failing cases: see --report json=PATH",
                c.fail + c.error + c.unexpected_pass - self.shown.len() as u64
            )?;
        }
        if self.causes.worth_showing() {
            print_cause_summary(&mut out, &self.causes)?;
        }
        for p in &footer.expectation_problems {
            writeln!(out, "\n{} {}", style("EXPECTATIONS").red().bold(), visible(&p.message))?;
        }
        if footer.flaky_fails && footer.counts.flaky > 0 {
            let cases = super::text::counted(footer.counts.flaky, "case", "cases");
            writeln!(out, "\n{} {cases} passed only on a retry (--flaky-result fail)", style("FLAKY").red().bold())?;
        }
        if let Some(baseline) = &footer.baseline {
            let title = if baseline.new.is_empty() && !baseline.fails() {
                style("BASELINE").green().bold()
            } else {
                style("BASELINE").red().bold()
            };
            writeln!(out, "\n{title} {}", visible(&baseline.summary()))?;
            for cause in &baseline.new {
                let cases = super::text::counted(cause.cases, "case", "cases");
                writeln!(
                    out,
                    "  new:   {} ({cases}, e.g. {})",
                    visible(&cause.cause.to_string()),
                    visible(&cause.example)
                )?;
            }
            for cause in &baseline.fixed {
                writeln!(out, "  fixed: {}", visible(&cause.to_string()))?;
            }
        }
        for finding in &footer.integrity {
            writeln!(out, "\n{} {}", style("SECURITY").red().bold(), visible(finding))?;
        }
        for finding in &footer.drift {
            let label = if finding.fails { style("DRIFT").red().bold() } else { style("drift").yellow() };
            writeln!(out, "{label} {}", visible(&finding.line()))?;
        }
        writeln!(out)?;
        if let Some(h) = &self.header {
            writeln!(
                out,
                "{} cases ({} fixtures, {} generated) in {:.2} s — {} cases/s, {}, seed {}",
                c.total(),
                footer.fixture_cases_run,
                footer.generated_cases_run,
                footer.duration_seconds,
                style(format!("{:.0}", footer.cases_per_second)).bold(),
                super::text::counted(h.jobs as u64, "job", "jobs"),
                h.seed
            )?;
        }
        let flaky = if c.flaky > 0 { format!(" ({} flaky)", c.flaky) } else { String::new() };
        writeln!(
            out,
            "pass {}{flaky}  fail {}  error {}  expected {}  unexpected-pass {}",
            style(c.pass).green(),
            if c.fail > 0 { style(c.fail).red().bold() } else { style(c.fail) },
            if c.error > 0 { style(c.error).yellow().bold() } else { style(c.error) },
            c.expected,
            if c.unexpected_pass > 0 { style(c.unexpected_pass).red().bold() } else { style(c.unexpected_pass) },
        )?;
        if footer.interrupted {
            writeln!(
                out,
                "{}",
                style("interrupted: the counts cover the cases that finished; the run has no verdict").yellow()
            )?;
        }
        if let Some(why) = &footer.stopped_early {
            writeln!(out, "{}", style(format!("stopped early: {why}")).yellow())?;
        }
        if footer.on_wall_clock {
            writeln!(out, "{}", style(super::ON_WALL_CLOCK).yellow())?;
        }
        if let Some(coverage) = &footer.class_coverage {
            if self.coverage_table {
                print_coverage_table(&mut out, coverage)?;
            }
            if coverage.unreached.is_empty() {
                writeln!(out, "{}", coverage.summary())?;
            } else {
                writeln!(out, "{}", style(format!("warning: {}", coverage.summary())).yellow())?;
            }
        }
        let sentence = footer.conclusion.sentence();
        let verdict = match footer.conclusion {
            Conclusion::Conforms => style(format!("✔ {sentence}")).green().bold(),
            Conclusion::Diverged | Conclusion::HarnessError => style(format!("✘ {sentence}")).red().bold(),
            _ => style(format!("✘ {sentence}")).yellow().bold(),
        };
        writeln!(out, "{verdict}")?;
        out.flush()
    }
}

/// The summary across failing cases (see [`super::summary`]), at most [`KINDS_PER_RULE`] kinds per rule.
fn print_cause_summary(out: &mut impl Write, causes: &super::summary::CauseSummary) -> std::io::Result<()> {
    writeln!(out, "\nRoot causes across all failing cases (cases each appears in, by rule):")?;
    for rule in causes.rules() {
        for (i, (kind, n)) in rule.kinds.iter().enumerate().take(KINDS_PER_RULE) {
            let head = if i == 0 { format!("{:<15}", rule.label()) } else { " ".repeat(15) };
            writeln!(out, "  {head} {n:>6} × {}", visible(kind))?;
        }
        if rule.kinds.len() > KINDS_PER_RULE {
            let more = rule.kinds.len() - KINDS_PER_RULE;
            writeln!(out, "  {} … and {more} more kind{}", " ".repeat(15), if more == 1 { "" } else { "s" })?;
        }
    }
    Ok(())
}

/// The `--coverage` table: every class of the run's domain (and any other a case reached), with its count.
fn print_coverage_table(out: &mut impl Write, coverage: &super::ClassCoverage) -> std::io::Result<()> {
    writeln!(out, "\nEquivalence classes (docs/classes.md): cases that reached each one")?;
    for row in coverage.counts.iter().filter(|r| r.in_domain || r.cases > 0) {
        let mark = if row.in_domain && row.cases == 0 {
            style("never").yellow().bold().to_string()
        } else {
            row.cases.to_string()
        };
        let scope = if row.in_domain { "" } else { "  (other domain)" };
        writeln!(out, "  {:<34} {mark:>6}{scope}", row.class)?;
    }
    writeln!(out)
}
