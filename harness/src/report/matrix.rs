//! Several implementations checked on the same cases (`tbjwt check IMPL IMPL …`): one row per
//! implementation (its verdict counts, and the failing cases under each rule its root causes cite) and the
//! run's worst conclusion; rendered for the terminal, as a JSON record, and as an HTML page that links to
//! each implementation's own report.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use super::{CaseReport, Conclusion, Counts, Reporter, RunFooter, RunHeader, Verdict};
use crate::spec::Rule;

/// One implementation's line of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    /// The implementation as named on the command line.
    pub implementation: String,
    /// Verdict counts.
    pub counts: Counts,
    /// Failing cases per rule (a case counted once under each rule its root causes cite).
    pub failing_cases_by_rule: BTreeMap<Rule, u64>,
    /// The run's conclusion.
    pub conclusion: Conclusion,
    /// Its exit code.
    pub exit_code: u8,
}

/// A reporter that fills one [`MatrixRow`] as its run goes.
#[derive(Debug, Clone, Default)]
pub struct RowCollector(Arc<Mutex<Option<MatrixRow>>>);

impl RowCollector {
    /// The row, once the run's footer was reported.
    pub fn row(&self) -> Option<MatrixRow> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Reporter for RowCollector {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(MatrixRow {
            implementation: header.implementation.clone(),
            counts: Counts::default(),
            failing_cases_by_rule: BTreeMap::new(),
            conclusion: Conclusion::NothingRan,
            exit_code: Conclusion::NothingRan.exit_code(),
        });
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(row) = guard.as_mut() else { return Ok(()) };
        if matches!(case.verdict, Verdict::Fail | Verdict::UnexpectedPass) {
            for rule in crate::compare::cited_rules(&case.root_causes) {
                *row.failing_cases_by_rule.entry(rule).or_default() += 1;
            }
        }
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        if let Some(row) = self.0.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            row.counts = footer.counts;
            row.conclusion = footer.conclusion;
            row.exit_code = footer.exit_code;
        }
        Ok(())
    }
}

/// How bad a conclusion is, for the worst of several runs: an interruption, then a harness error, nothing
/// run, a divergence, an implementation that errored, conformance.
pub fn severity(conclusion: Conclusion) -> u8 {
    match conclusion {
        Conclusion::Conforms => 0,
        Conclusion::ImplementationErrored => 1,
        Conclusion::Diverged => 2,
        Conclusion::NothingRan => 3,
        Conclusion::HarnessError => 4,
        Conclusion::Interrupted => 5,
    }
}

/// The worst conclusion of `rows` (nothing ran, for none).
pub fn worst(rows: &[MatrixRow]) -> Conclusion {
    rows.iter().map(|r| r.conclusion).max_by_key(|c| severity(*c)).unwrap_or(Conclusion::NothingRan)
}

/// The rules any row has failing cases under, in order.
fn rules(rows: &[MatrixRow]) -> Vec<Rule> {
    let mut rules: Vec<Rule> = rows.iter().flat_map(|r| r.failing_cases_by_rule.keys().copied()).collect();
    rules.sort();
    rules.dedup();
    rules
}

/// The matrix as terminal text: implementations × (pass, fail, error, each rule that fails somewhere),
/// then the worst conclusion.
pub fn text(rows: &[MatrixRow]) -> String {
    let rules = rules(rows);
    let width = rows.iter().map(|r| super::text::visible(&r.implementation).chars().count()).max().unwrap_or(0).max(14);
    let mut out = format!("\nMatrix: {} implementations on the same cases (failing cases per rule)\n", rows.len());
    let _ = write!(out, "  {:<width$} {:>6} {:>6} {:>6}", "implementation", "pass", "fail", "error");
    for rule in &rules {
        let _ = write!(out, " {:>5}", rule.to_string());
    }
    out.push_str("  verdict\n");
    for row in rows {
        let c = row.counts;
        let _ = write!(
            out,
            "  {:<width$} {:>6} {:>6} {:>6}",
            super::text::visible(&row.implementation),
            c.pass,
            c.fail,
            c.error
        );
        for rule in &rules {
            let n = row.failing_cases_by_rule.get(rule).copied().unwrap_or(0);
            let _ = write!(out, " {:>5}", if n == 0 { "·".to_owned() } else { n.to_string() });
        }
        let _ = writeln!(out, "  {}", row.conclusion.sentence());
    }
    let worst = worst(rows);
    let _ = writeln!(out, "worst: {} (exit {})", worst.sentence(), worst.exit_code());
    out
}

/// The matrix as a JSON record (`{"type": "matrix", …}`).
pub fn json(rows: &[MatrixRow]) -> serde_json::Value {
    let worst = worst(rows);
    serde_json::json!({"type": "matrix", "rows": rows, "conclusion": worst, "exit_code": worst.exit_code()})
}

/// The matrix as one HTML page; `links[i]` is the file name of row `i`'s own report.
pub fn html(rows: &[MatrixRow], links: &[String]) -> String {
    let rules = rules(rows);
    let esc = super::html::escape;
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>tbjwt check: matrix</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}\
         td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:left}\
         .fails{background:#fbe0e0}</style></head><body><h1>tbjwt check: several implementations on the same cases</h1>",
    );
    let worst = worst(rows);
    let _ = write!(page, "<p>worst: <strong>{}</strong> (exit {})</p>", esc(worst.sentence()), worst.exit_code());
    page.push_str("<table><tr><th>implementation</th><th>pass</th><th>fail</th><th>error</th>");
    for rule in &rules {
        let _ = write!(page, "<th>{rule}</th>");
    }
    page.push_str("<th>verdict</th></tr>");
    for (i, row) in rows.iter().enumerate() {
        let name = esc(&row.implementation);
        let cell = match links.get(i) {
            Some(link) => format!("<a href=\"{}\">{name}</a>", esc(link)),
            None => name,
        };
        let c = row.counts;
        let _ = write!(page, "<tr><td>{cell}</td><td>{}</td><td>{}</td><td>{}</td>", c.pass, c.fail, c.error);
        for rule in &rules {
            match row.failing_cases_by_rule.get(rule) {
                Some(n) => {
                    let _ = write!(page, "<td class=\"fails\">{n}</td>");
                }
                None => page.push_str("<td>·</td>"),
            }
        }
        let _ = write!(page, "<td>{}</td></tr>", esc(row.conclusion.sentence()));
    }
    page.push_str("</table></body></html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, conclusion: Conclusion, rules: &[(Rule, u64)]) -> MatrixRow {
        MatrixRow {
            implementation: name.into(),
            counts: Counts::default(),
            failing_cases_by_rule: rules.iter().copied().collect(),
            conclusion,
            exit_code: conclusion.exit_code(),
        }
    }

    #[test]
    fn the_worst_conclusion_wins_and_every_failing_rule_is_a_column() {
        let rows = [
            row("reference", Conclusion::Conforms, &[]),
            row("node:a.js", Conclusion::ImplementationErrored, &[]),
            row("node:b.js", Conclusion::Diverged, &[(Rule::R7, 3), (Rule::R10, 2)]),
        ];
        assert_eq!(worst(&rows), Conclusion::Diverged);
        assert_eq!(worst(&rows[..2]), Conclusion::ImplementationErrored);
        let text = text(&rows);
        assert!(text.contains("R7") && text.contains("R10") && !text.contains("R8"), "{text}");
        assert!(text.contains("worst: diverges from the reference (exit 1)"), "{text}");
        assert_eq!(json(&rows)["exit_code"], 1);
    }
}
