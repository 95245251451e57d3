//! `--report html=PATH`: one self-contained page a reviewer opens from a CI artifact (no network, no
//! external asset, readable without JavaScript): the run's header and verdict, the failing cases per rule
//! and verdict, the root causes by rule and kind, then each failing case (security findings first) with its
//! replay command, its minimal event, its root causes and the reference and the implementation side by
//! side as they were compared (tokens decoded, the access matrix coloured by status), and the class
//! coverage when known. Written at the end of the run; every text is HTML-escaped and shown with visible
//! escapes for invisible characters (`report::text`).

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use super::summary::CauseSummary;
use super::text::visible;
use super::{CaseReport, Conclusion, Reporter, RunFooter, RunHeader, Verdict};
use crate::compare::Observable;
use crate::spec::Rule;

/// Failing cases shown in full.
const SHOWN: usize = 25;

/// The HTML reporter.
pub struct Html<W: Write> {
    out: Option<W>,
    header: Option<RunHeader>,
    failures: super::summary::FirstFailures,
    causes: CauseSummary,
    /// Cases per (rule, verdict), a case counted once under each rule its root causes cite.
    by_rule: BTreeMap<Rule, [u64; 3]>,
}

impl<W: Write> Html<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Html {
            out: Some(out),
            header: None,
            failures: Default::default(),
            causes: CauseSummary::default(),
            by_rule: BTreeMap::new(),
        }
    }
}

/// `text` escaped for HTML, invisible characters made visible.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in visible(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `value` as indented JSON, escaped line by line (its own line breaks kept; JSON text holds no raw line
/// break inside a string).
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default().split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:110em}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}\
h3{font-size:1.05em;margin-top:1.5em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:.25em .6em;vertical-align:top;text-align:left}\
th{background:#f3f3f3}pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:.85em}\
.verdict{font-size:1.3em;font-weight:bold;padding:.4em .8em;display:inline-block;border-radius:.3em}\
.ok{background:#dff3df;color:#185c18}.bad{background:#fbe0e0;color:#8a1414}.warn{background:#fff2cc;color:#6b5300}\
.differs{background:#fff7e6}.security{background:#fbe0e0}.side{width:50%}\
.s200{background:#cdebcd}.s4xx{background:#f6c9c9}.s429{background:#ffdcae}.s0{background:#ddd}\
.status{font-family:monospace;padding:0 .4em;border-radius:.2em}\
.replay{background:#f6f6f6;border:1px solid #ccc;padding:.4em;font-family:monospace;user-select:all}\
.also{color:#555;font-size:.9em}";

fn status_class(status: &Value) -> &'static str {
    match status.as_u64() {
        Some(200) => "s200",
        Some(429) => "s429",
        Some(0) => "s0",
        _ => "s4xx",
    }
}

/// The access matrix as a table of coloured statuses.
fn access_table(access: &Value) -> String {
    let Some(map) = access.as_object().filter(|m| !m.is_empty()) else {
        return "<pre>(no call: no token)</pre>".to_owned();
    };
    let mut html = String::from("<table>");
    for (pipe, status) in map {
        let _ = write!(
            html,
            "<tr><td>{}</td><td><span class=\"status {}\">{}</span></td></tr>",
            escape(pipe),
            status_class(status),
            escape(&status.to_string())
        );
    }
    html.push_str("</table>");
    html
}

/// The two sides, observable by observable, the rows that differ marked.
fn side_by_side(html: &mut String, sides: &super::Sides) {
    html.push_str("<table class=\"sides\"><tr><th>observable</th><th class=\"side\">reference</th><th class=\"side\">implementation</th></tr>");
    for observable in Observable::ALL {
        let key = observable.key();
        let (Some(left), Some(right)) = (sides.reference.get(key), sides.implementation.get(key)) else { continue };
        let class = match (left == right, observable == Observable::Security) {
            (true, _) => "",
            (false, true) => " class=\"security\"",
            (false, false) => " class=\"differs\"",
        };
        let cell = |v: &Value| {
            if observable == Observable::Access {
                access_table(v)
            } else {
                format!("<pre>{}</pre>", pretty(v))
            }
        };
        let _ = write!(html, "<tr{class}><th>{key}</th><td>{}</td><td>{}</td></tr>", cell(left), cell(right));
    }
    html.push_str("</table>");
}

fn case_section(html: &mut String, case: &CaseReport) {
    let security = case.differences.iter().any(|d| d.security);
    let _ = write!(
        html,
        "<section class=\"case\" id=\"{}\"><h3>{} {}{}</h3>",
        escape(&case.name),
        match case.verdict {
            Verdict::Error => "ERROR",
            Verdict::UnexpectedPass => "UNEXPECTED PASS",
            _ => "FAIL",
        },
        escape(&case.name),
        if security { " <span class=\"status s4xx\">security</span>" } else { "" }
    );
    if let (Some(a), Some(b)) = (case.original_size, case.shrunk_size) {
        let _ = write!(html, "<p>shrunk from {a} to {b} bytes</p>");
    }
    if let Some(command) = &case.replay {
        let _ = write!(html, "<p>replay:</p><div class=\"replay\">{}</div>", escape(command));
    }
    if let Some(error) = &case.error {
        let _ = write!(html, "<pre>{}</pre>", escape(error));
    }
    if let Some(event) = &case.event {
        let _ = write!(html, "<p>event (now = {}):</p><pre>{}</pre>", case.now, pretty(event));
    }
    for line in [case.session_line(), case.limits_line()].into_iter().flatten() {
        let _ = write!(html, "<p>{}</p>", escape(&line));
    }
    let causes = &case.root_causes;
    if !causes.is_empty() {
        html.push_str("<table><tr><th>root cause</th><th>rule</th><th>reference</th><th>implementation</th></tr>");
        for cause in causes {
            let value = |v: &Option<Value>| v.as_ref().map_or_else(|| super::ABSENT.to_owned(), pretty);
            let also = crate::compare::also_in_summary(cause);
            let _ = write!(
                html,
                "<tr{}><td><code>{}</code>{}</td><td>{}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                if cause.security { " class=\"security\"" } else { "" },
                escape(&cause.path),
                if also.is_empty() {
                    String::new()
                } else {
                    format!("<div class=\"also\">also in: {}</div>", escape(&also))
                },
                cause.rule,
                value(&cause.reference),
                value(&cause.implementation)
            );
        }
        html.push_str("</table>");
    }
    if let Some(sides) = &case.sides {
        side_by_side(html, sides);
    }
    html.push_str("</section>");
}

impl<W: Write + Send> Reporter for Html<W> {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        self.causes.add(case);
        let column = match case.verdict {
            Verdict::Fail | Verdict::UnexpectedPass => 0,
            Verdict::Expected => 1,
            Verdict::Error => 2,
            Verdict::Pass => return Ok(()),
        };
        for rule in crate::compare::cited_rules(&case.root_causes) {
            self.by_rule.entry(rule).or_default()[column] += 1;
        }
        self.failures.add(case, SHOWN);
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let Some(mut out) = self.out.take() else { return Ok(()) };
        out.write_all(self.page(footer).as_bytes())?;
        out.flush()
    }
}

impl<W: Write> Html<W> {
    fn page(&mut self, footer: &RunFooter) -> String {
        let mut html = String::new();
        let (command, implementation) =
            self.header.as_ref().map_or(("check", "?"), |h| (h.command, h.implementation.as_str()));
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>tbjwt {command} {}</title>\
             <style>{STYLE}</style></head><body><h1>tbjwt {command} <code>{}</code></h1>",
            escape(implementation),
            escape(implementation)
        );
        let class = match footer.conclusion {
            Conclusion::Conforms => "ok",
            Conclusion::Diverged | Conclusion::HarnessError => "bad",
            _ => "warn",
        };
        let _ = write!(html, "<p class=\"verdict {class}\">{}</p>", escape(footer.conclusion.sentence()));
        if let Some(h) = &self.header {
            let _ = write!(
                html,
                "<p>level {}, domain {}, seed {}, {} fixtures + {} generated cases, {}; tbjwt {}{}</p>",
                h.level.name(),
                h.domain.name(),
                h.seed,
                h.fixture_cases,
                h.generated_cases,
                super::text::counted(h.jobs as u64, "job", "jobs"),
                escape(h.version),
                h.suite_version.as_deref().map(|v| format!(", built-in suite {}", escape(v))).unwrap_or_default()
            );
        }
        let c = footer.counts;
        let _ = write!(
            html,
            "<table><tr><th>pass</th><th>fail</th><th>error</th><th>expected</th><th>unexpected pass</th>\
             <th>cases/s</th></tr><tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td></tr></table>",
            c.pass, c.fail, c.error, c.expected, c.unexpected_pass, footer.cases_per_second
        );
        if footer.interrupted {
            html.push_str("<p class=\"verdict warn\">interrupted: the counts cover the cases that finished</p>");
        }
        for finding in &footer.integrity {
            let _ = write!(html, "<p class=\"verdict bad\">SECURITY: {}</p>", escape(finding));
        }
        for finding in &footer.drift {
            let class = if finding.fails { "bad" } else { "warn" };
            let _ = write!(html, "<p class=\"verdict {class}\">drift: {}</p>", escape(&finding.line()));
        }
        for problem in &footer.expectation_problems {
            let _ = write!(html, "<p class=\"verdict bad\">expectations: {}</p>", escape(&problem.message));
        }
        if let Some(baseline) = &footer.baseline {
            let class = if baseline.new.is_empty() && !baseline.fails() { "ok" } else { "bad" };
            let _ = write!(html, "<p class=\"verdict {class}\">{}</p><ul>", escape(&baseline.summary()));
            for cause in &baseline.new {
                let _ = write!(
                    html,
                    "<li>new: <code>{}</code> ({} cases, e.g. {})</li>",
                    escape(&cause.cause.to_string()),
                    cause.cases,
                    escape(&cause.example)
                );
            }
            for cause in &baseline.fixed {
                let _ = write!(html, "<li>fixed: <code>{}</code></li>", escape(&cause.to_string()));
            }
            html.push_str("</ul>");
        }
        if !self.by_rule.is_empty() {
            html.push_str("<h2>Cases per rule and verdict</h2><table><tr><th>rule</th><th>fail</th><th>expected</th><th>error</th></tr>");
            for (rule, [fail, expected, error]) in &self.by_rule {
                let _ = write!(html, "<tr><td>{rule}</td><td>{fail}</td><td>{expected}</td><td>{error}</td></tr>");
            }
            html.push_str("</table>");
        }
        if self.causes.worth_showing() {
            html.push_str("<h2>Root causes across failing cases</h2><table><tr><th>rule</th><th>failing cases</th><th>root cause</th></tr>");
            for rule in self.causes.rules() {
                for (kind, n) in &rule.kinds {
                    let class = if rule.security { " class=\"security\"" } else { "" };
                    let _ = write!(
                        html,
                        "<tr{class}><td>{}</td><td>{n}</td><td>{}</td></tr>",
                        escape(&rule.label()),
                        escape(kind)
                    );
                }
            }
            html.push_str("</table>");
        }
        if !self.failures.cases.is_empty() {
            html.push_str("<h2>Failing cases</h2>");
            // Security findings first, then shrunk cases, then in the order they ran.
            self.failures
                .cases
                .sort_by_key(|c| (!c.differences.iter().any(|d| d.security), c.shrunk_size.is_none(), c.ordinal));
            for case in &self.failures.cases {
                case_section(&mut html, case);
            }
            if self.failures.more > 0 {
                let _ = write!(
                    html,
                    "<p>… and {} more failing cases (the JSON report has them all).</p>",
                    self.failures.more
                );
            }
        }
        if let Some(coverage) = &footer.class_coverage {
            let _ = write!(html, "<h2>Class coverage</h2><p>{}</p>", escape(&coverage.summary()));
            if !coverage.unreached.is_empty() {
                let _ = write!(
                    html,
                    "<p class=\"verdict warn\">never reached: {}</p>",
                    escape(&coverage.unreached.join(", "))
                );
            }
        }
        html.push_str("</body></html>\n");
        html
    }
}
