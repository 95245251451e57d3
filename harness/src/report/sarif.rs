//! SARIF 2.1.0 (`--report sarif=PATH`), for code scanning: one result per root cause of the failing cases
//! (keyed as baselines key them: rule, security, kind), with the number of cases it showed in and one of
//! them; security findings at level `error`, other divergences at `warning`, an implementation that
//! errored at `error`. Each result points at the implementation's file when the run knows it (a `node:`
//! file, or the script a `cmd:` line runs), at the first line of that file that makes what diverged
//! (`jwt.sign` for a token's claims, `setAppMetadata`, `setCustomClaim`, `console.` for logs), found by
//! reading the file. Written when the run ends.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{CaseReport, Reporter, RunFooter, RunHeader, Verdict};
use crate::compare::{CauseKey, Counted};
use crate::spec::Rule;

/// Where the SARIF 2.1.0 schema is published (what the file says it follows).
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF reporter.
pub struct Sarif<W: Write> {
    out: Option<W>,
    header: Option<RunHeader>,
    /// Root causes of failing cases.
    causes: Counted<CauseKey>,
    /// Errors by their first line.
    errors: Counted<String>,
}

impl<W: Write> Sarif<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Sarif { out: Some(out), header: None, causes: Counted::default(), errors: Counted::default() }
    }
}

/// The implementation's file, when its name holds one: `node:PATH` (a file, or a folder's `index.js`),
/// or the last word of a `cmd:` line that is a file.
fn implementation_file(implementation: &str) -> Option<PathBuf> {
    if let Some(path) = implementation.strip_prefix("node:") {
        let path = PathBuf::from(path);
        return if path.is_dir() { Some(path.join("index.js")).filter(|p| p.is_file()) } else { Some(path) };
    }
    let line = implementation.strip_prefix("cmd:")?;
    line.split_whitespace().rev().map(PathBuf::from).find(|p| p.is_file())
}

/// The file as SARIF names it: relative to the current folder (the repository, in CI) when inside it,
/// else a `file://` URI.
fn artifact_uri(file: &Path) -> (String, bool) {
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_owned());
    match std::env::current_dir().ok().and_then(|cwd| absolute.strip_prefix(cwd).ok().map(Path::to_owned)) {
        Some(relative) => (relative.to_string_lossy().replace('\\', "/"), true),
        None => (format!("file://{}", absolute.display()), false),
    }
}

/// What code makes a cause's observable, to find its line.
fn call_of(cause: &CauseKey) -> &'static str {
    let kind = cause.kind.as_str();
    if kind.starts_with("token ") || kind.starts_with("access") || kind.starts_with("calls") {
        "sign("
    } else if kind.starts_with("app_metadata") {
        "setAppMetadata"
    } else if kind.starts_with("id_token") || kind.starts_with("login") {
        "setCustomClaim"
    } else if kind.starts_with("logs") || cause.security {
        "console."
    } else {
        "onExecutePostLogin"
    }
}

/// The first line (1-based) of `text` that holds `needle`.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1)
}

fn location(file: Option<&(String, bool, String)>, needle: &str) -> Vec<Value> {
    let Some((uri, relative, text)) = file else { return Vec::new() };
    let mut artifact = json!({"uri": uri});
    if *relative {
        artifact["uriBaseId"] = json!("%SRCROOT%");
    }
    let mut physical = json!({"artifactLocation": artifact});
    if let Some(line) = line_of(text, needle) {
        physical["region"] = json!({"startLine": line});
    }
    vec![json!({"physicalLocation": physical})]
}

fn rule_id(cause: &CauseKey) -> String {
    if cause.security {
        format!("{}/security", cause.rule)
    } else {
        cause.rule.to_string()
    }
}

impl<W: Write> Sarif<W> {
    fn log(&self, footer: &RunFooter) -> Value {
        let implementation = self.header.as_ref().map_or("", |h| h.implementation.as_str());
        let file = implementation_file(implementation).and_then(|path| {
            let text = std::fs::read_to_string(&path).ok()?;
            let (uri, relative) = artifact_uri(&path);
            Some((uri, relative, text))
        });
        let mut rules: BTreeMap<String, Value> = BTreeMap::new();
        let mut results = Vec::new();
        for (cause, cases, example) in self.causes.iter() {
            let id = rule_id(cause);
            rules.entry(id.clone()).or_insert_with(|| rule(cause.rule, cause.security, &id));
            let cases_text = if cases == 1 { "1 case".to_owned() } else { format!("{cases} cases") };
            results.push(json!({
                "ruleId": id,
                "level": if cause.security { "error" } else { "warning" },
                "message": {"text": format!("{implementation} diverges from the reference: {cause} ({cases_text}, e.g. {example})")},
                "locations": location(file.as_ref(), call_of(cause)),
                "partialFingerprints": {"tbjwtRootCause/v1": cause.to_string()},
                "properties": {"cases": cases, "example": example, "kind": cause.kind},
            }));
        }
        for (message, cases, example) in self.errors.iter() {
            rules.entry("error".into()).or_insert_with(|| {
                json!({"id": "error", "name": "ImplementationErrored",
                    "shortDescription": {"text": "The implementation crashed, hung or broke the protocol."}})
            });
            results.push(json!({
                "ruleId": "error",
                "level": "error",
                "message": {"text": format!("{implementation} errored on {cases} case(s), e.g. {example}: {message}")},
                "locations": location(file.as_ref(), "onExecutePostLogin"),
                "partialFingerprints": {"tbjwtError/v1": message},
            }));
        }
        for finding in &footer.drift {
            let id = format!("drift/{}", finding.kind.name());
            rules.entry(id.clone()).or_insert_with(|| {
                json!({"id": id, "name": format!("Drift{}", finding.kind.name()),
                    "shortDescription": {"text": "What a deployed artifact declares and what its code does part ways (docs/deployed.md)."}})
            });
            let declaring = std::fs::read_to_string(&finding.file).ok().map(|text| {
                let (uri, relative) = artifact_uri(&finding.file);
                (uri, relative, text)
            });
            results.push(json!({
                "ruleId": id,
                "level": if finding.fails { "error" } else { "warning" },
                "message": {"text": finding.line()},
                "locations": location(declaring.as_ref(), &finding.subject),
                "partialFingerprints": {"tbjwtDrift/v1": format!("{} {}", finding.origin, finding.message)},
            }));
        }
        let (seed, level) = self.header.as_ref().map_or((0, ""), |h| (h.seed, h.level.name()));
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "tbjwt",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }},
                "invocations": [{
                    "executionSuccessful": footer.exit_code < 2,
                    "exitCode": footer.exit_code,
                    "properties": {"conclusion": footer.conclusion.sentence(), "seed": seed, "level": level},
                }],
                "results": results,
            }],
        })
    }
}

fn rule(rule: Rule, security: bool, id: &str) -> Value {
    let what = if security { "security finding under" } else { "divergence from" };
    json!({
        "id": id,
        "name": format!("{rule}{}", if security { "Security" } else { "" }),
        "shortDescription": {"text": format!("A {what} {rule}: {}", rule.summary())},
        "help": {"text": format!("The rule is {rule} of the reference (docs/spec.md); `tbjwt check --replay CASE` runs a case alone.")},
        "defaultConfiguration": {"level": if security { "error" } else { "warning" }},
    })
}

impl<W: Write + Send> Reporter for Sarif<W> {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.header = Some(header.clone());
        Ok(())
    }

    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        match case.verdict {
            Verdict::Fail => {
                self.causes.add(&case.name, crate::compare::cause_keys(&case.differences));
            }
            Verdict::Error => {
                let message = case.error.clone().unwrap_or_default();
                // One result per kind of error: the first line, without the case's own details.
                let first = message.lines().next().unwrap_or_default().to_owned();
                self.errors.add(&case.name, [first]);
            }
            _ => {}
        }
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let log = self.log(footer);
        if let Some(mut out) = self.out.take() {
            serde_json::to_writer_pretty(&mut out, &log).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Ok(())
    }
}
