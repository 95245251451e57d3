//! `tbjwt report merge`: the JSON reports of the shards of one run (`check --partition K/N`), put back
//! together as the run they split. The shards must be of the same run (implementation, command, level,
//! domain, seed, built-in suite, tbjwt version) and each of `1/N` … `N/N` must be there exactly once, with
//! its footer; anything else is refused, naming what is wrong. The cases are rendered again, shard after
//! shard and one at a time (memory stays flat however large the campaign), to the reporters `check` would
//! have had; the footer is concluded as a single run's would have been (the
//! counts, the expectations' expired and stale entries, the class coverage, the harness's integrity
//! findings), so the merged exit code is the single run's.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::expectations::{self, Expectations};
use crate::classes::Coverage;
use crate::compare::{Level, Observable};
use crate::node::artifact::drift::DriftFinding;
use crate::report::{
    CaseReport, ClassCoverage, Conclusion, Counts, ExpectationProblem, Reporter, RunFooter, RunHeader, RunTiming,
};
use crate::strategies::Domain;

/// Why shards cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard cannot be read.
    #[error("{path}: {message}")]
    Shard {
        /// The shard's report.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The shards are not the pieces of one run.
    #[error("cannot merge: {0}")]
    Mismatch(String),
    /// A shard's report cannot be read.
    #[error(transparent)]
    Read(crate::report::read::ReadError),
    /// A reporter failed.
    #[error("cannot write a report: {0}")]
    Write(#[from] std::io::Error),
}

/// One shard's report: its header and footer (its cases are read again as they are rendered, so that
/// merging a campaign of millions of cases holds one case at a time).
struct Shard {
    path: PathBuf,
    header: Value,
    footer: Value,
    /// K and N of `K/N`.
    part: (u64, u64),
}

fn shard_error(path: &Path, message: impl Into<String>) -> MergeError {
    MergeError::Shard { path: path.to_owned(), message: message.into() }
}

/// Calls `each` with every case, header and footer record of the shard at `path`, in order; any other
/// record is refused (a shard is one implementation's run).
fn records(path: &Path, mut each: impl FnMut(&str, Value) -> Result<(), MergeError>) -> Result<(), MergeError> {
    // The failure of `each` that is not the shard's own (a reporter's), kept apart from the line it was at.
    let mut failed = None;
    let read = crate::report::read::records(path, |kind, record| {
        if !matches!(kind, "header" | "case" | "footer") {
            return Err("not a record of a tbjwt JSON report".into());
        }
        match each(kind, record) {
            Ok(()) => Ok(()),
            Err(MergeError::Shard { message, .. }) => Err(message),
            Err(other) => {
                failed = Some(other);
                Err("cannot go on".into())
            }
        }
    });
    match (failed, read) {
        (Some(other), _) => Err(other),
        (None, Err(e)) => Err(MergeError::Read(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// A case record as the reporters take it (its root causes computed again from its differences).
fn case_of(path: &Path, record: Value) -> Result<CaseReport, MergeError> {
    let mut case: CaseReport =
        serde_json::from_value(record).map_err(|e| shard_error(path, format!("not a case: {e}")))?;
    let differences = std::mem::take(&mut case.differences);
    case.set_differences(differences);
    Ok(case)
}

fn read_shard(path: &Path) -> Result<Shard, MergeError> {
    let (mut header, mut footer) = (None, None);
    records(path, |kind, record| {
        match kind {
            "header" => header = Some(record),
            "footer" => footer = Some(record),
            _ => {}
        }
        Ok(())
    })?;
    let header = header.ok_or_else(|| shard_error(path, "no header: not a tbjwt JSON report"))?;
    let footer = footer.ok_or_else(|| shard_error(path, "no footer: the shard's run was cut short; run it again"))?;
    let partition = header.get("partition").and_then(Value::as_str).unwrap_or_default();
    let part = partition
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse().ok()?, n.parse().ok()?)))
        .ok_or_else(|| shard_error(path, "not a shard: its run had no --partition K/N"))?;
    Ok(Shard { path: path.to_owned(), header, footer, part })
}

/// The fields that must be the same in every shard.
const SAME_RUN: [&str; 8] =
    ["tool", "command", "version", "implementation", "level", "domain", "seed", "suite_version"];

fn check_one_run(shards: &[Shard]) -> Result<u64, MergeError> {
    let first = &shards[0];
    for shard in &shards[1..] {
        for field in SAME_RUN {
            if shard.header.get(field) != first.header.get(field) {
                return Err(MergeError::Mismatch(format!(
                    "{} has {field} {}, {} has {}",
                    first.path.display(),
                    first.header.get(field).unwrap_or(&Value::Null),
                    shard.path.display(),
                    shard.header.get(field).unwrap_or(&Value::Null)
                )));
            }
        }
    }
    if first.header.get("version").and_then(Value::as_str) != Some(env!("CARGO_PKG_VERSION")) {
        return Err(MergeError::Mismatch(format!(
            "the shards were made by tbjwt {}, this is {}: merge them with the tbjwt that made them",
            first.header.get("version").unwrap_or(&Value::Null),
            env!("CARGO_PKG_VERSION")
        )));
    }
    let n = first.part.1;
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for shard in shards {
        if shard.part.1 != n {
            return Err(MergeError::Mismatch(format!(
                "{} is shard {}/{}, {} is shard {}/{n}: not one split",
                shard.path.display(),
                shard.part.0,
                shard.part.1,
                first.path.display(),
                first.part.0
            )));
        }
        if let Some(other) = seen.insert(shard.part.0, &shard.path) {
            return Err(MergeError::Mismatch(format!(
                "shard {}/{n} is there twice: {} and {}",
                shard.part.0,
                other.display(),
                shard.path.display()
            )));
        }
    }
    let missing: Vec<String> = (1..=n).filter(|k| !seen.contains_key(k)).map(|k| format!("{k}/{n}")).collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch(format!("shard {} missing", missing.join(", "))));
    }
    Ok(n)
}

fn text(value: &Value, key: &str) -> String {
    value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn number(value: &Value, key: &str) -> u64 {
    value.get(key).and_then(Value::as_u64).unwrap_or_default()
}

fn parsed<T: serde::de::DeserializeOwned>(value: &Value, key: &str, path: &Path) -> Result<T, MergeError> {
    serde_json::from_value(value.get(key).cloned().unwrap_or(Value::Null))
        .map_err(|e| shard_error(path, format!("header `{key}`: {e}")))
}

/// The merged run's header: the first shard's, with the counts summed and no partition.
fn header(shards: &[Shard]) -> Result<RunHeader, MergeError> {
    let first = &shards[0];
    let (h, path) = (&first.header, first.path.as_path());
    let sum = |key: &str| shards.iter().map(|s| number(&s.header, key)).sum::<u64>();
    Ok(RunHeader {
        tool: "tbjwt",
        command: if text(h, "command") == "fuzz" { "fuzz" } else { "check" },
        version: env!("CARGO_PKG_VERSION"),
        suite_version: h.get("suite_version").and_then(Value::as_str).map(str::to_owned),
        implementation: text(h, "implementation"),
        level: parsed::<Level>(h, "level", path)?,
        domain: parsed::<Domain>(h, "domain", path)?,
        seed: number(h, "seed"),
        fixture_cases: sum("fixture_cases"),
        generated_cases: sum("generated_cases"),
        planned_cases: sum("planned_cases"),
        case_sources: parsed(h, "case_sources", path)?,
        time_budget_seconds: h.get("time_budget_seconds").and_then(Value::as_f64),
        jobs: shards.iter().map(|s| number(&s.header, "jobs") as usize).sum(),
        partition: None,
        timeout_seconds: h.get("timeout_seconds").and_then(Value::as_f64).unwrap_or_default(),
        ignore: parsed::<Vec<Observable>>(h, "ignore", path)?,
        expectations: h.get("expectations").and_then(Value::as_str).map(PathBuf::from),
        sandbox: h.get("sandbox").and_then(Value::as_str).map(str::to_owned),
        runtime: h.get("runtime").and_then(Value::as_str).map(str::to_owned),
        started_at: shards.iter().map(|s| text(&s.header, "started_at")).min().unwrap_or_default(),
    })
}

/// The class coverage of the shards together, from their footers' counts.
fn coverage(shards: &[Shard], domain: Domain) -> Option<ClassCoverage> {
    let mut counts: Vec<(String, u64)> = Vec::new();
    for shard in shards {
        let rows = shard.footer.pointer("/class_coverage/counts")?.as_array()?;
        counts.extend(rows.iter().map(|r| (text(r, "class"), number(r, "cases"))));
    }
    Some(ClassCoverage::new(domain, &Coverage::from_counts(counts.iter().map(|(c, n)| (c.as_str(), *n)))))
}

/// Reads the shards' reports, renders the merged run to `reporters`, and returns its footer.
pub fn merge(paths: &[PathBuf], reporters: &mut [Box<dyn Reporter>]) -> Result<RunFooter, MergeError> {
    if paths.is_empty() {
        return Err(MergeError::Mismatch("no shard given".into()));
    }
    let shards = paths.iter().map(|p| read_shard(p)).collect::<Result<Vec<_>, _>>()?;
    check_one_run(&shards)?;
    let header = header(&shards)?;
    for reporter in reporters.iter_mut() {
        reporter.header(&header)?;
    }
    // Shard after shard, each in the order it finished its cases (as a single run reports them).
    let mut counts = Counts::default();
    let mut used: BTreeSet<usize> = BTreeSet::new();
    for shard in &shards {
        records(&shard.path, |kind, record| {
            if kind != "case" {
                return Ok(());
            }
            let case = case_of(&shard.path, record)?;
            counts.add(case.verdict);
            counts.flaky += u64::from(case.is_flaky());
            used.extend(&case.expectations);
            for reporter in reporters.iter_mut() {
                reporter.case(&case)?;
            }
            Ok(())
        })?;
    }
    let footers: Vec<&Value> = shards.iter().map(|s| &s.footer).collect();
    let any = |key: &str| footers.iter().any(|f| f.get(key).and_then(Value::as_bool) == Some(true));
    let interrupted = any("interrupted");
    let stopped_early = footers.iter().find_map(|f| f.get("stopped_early").and_then(Value::as_str)).map(str::to_owned);
    // The expectations as a single run judges them: expired entries, and (over every shard) stale ones.
    let mut problems: Vec<ExpectationProblem> = Vec::new();
    if let Some(path) = &header.expectations {
        let file = Expectations::load(path).map_err(|e| MergeError::Mismatch(e.to_string()))?;
        problems.extend(file.expired(&expectations::today()));
        if !interrupted && stopped_early.is_none() && header.time_budget_seconds.is_none() {
            let used: Vec<bool> = (0..file.entries.len()).map(|i| used.contains(&i)).collect();
            problems.extend(file.unused(&used));
        }
    }
    let integrity: Vec<String> = footers
        .iter()
        .flat_map(|f| f.get("integrity").and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    // Every shard read the same artifact: its drift once.
    let mut drift: Vec<DriftFinding> = Vec::new();
    for finding in footers.iter().flat_map(|f| f.get("drift").and_then(Value::as_array).cloned().unwrap_or_default()) {
        let finding: DriftFinding =
            serde_json::from_value(finding).map_err(|e| MergeError::Mismatch(format!("a drift finding: {e}")))?;
        if !drift.contains(&finding) {
            drift.push(finding);
        }
    }
    let flaky_fails = any("flaky_fails");
    let failing = problems.len()
        + integrity.len()
        + drift.iter().filter(|d| d.fails).count()
        + if flaky_fails { counts.flaky as usize } else { 0 };
    let conclusion = Conclusion::of_run(&counts, failing, false, interrupted);
    let seconds = |f: &&Value, key: &str| f.get(key).and_then(Value::as_f64).unwrap_or_default();
    let duration = footers.iter().map(|f| seconds(f, "duration_seconds")).fold(0.0, f64::max);
    let timing = |key: &str| {
        footers.iter().map(|f| f.pointer(&format!("/timing/{key}")).and_then(Value::as_f64).unwrap_or_default()).sum()
    };
    let footer = RunFooter {
        counts,
        duration_seconds: duration,
        cases_per_second: counts.total() as f64 / duration.max(1e-9),
        fixture_cases_run: footers.iter().map(|f| number(f, "fixture_cases_run")).sum(),
        generated_cases_run: footers.iter().map(|f| number(f, "generated_cases_run")).sum(),
        interrupted,
        stopped_early,
        expectation_problems: problems,
        flaky_fails,
        baseline: None,
        integrity,
        drift,
        timing: RunTiming {
            implementation_seconds: timing("implementation_seconds"),
            harness_seconds: timing("harness_seconds"),
            shrink_runs: footers
                .iter()
                .map(|f| f.pointer("/timing/shrink_runs").and_then(Value::as_u64).unwrap_or_default())
                .sum(),
        },
        class_coverage: coverage(&shards, header.domain),
        on_wall_clock: any("on_wall_clock"),
        conclusion,
        exit_code: conclusion.exit_code(),
    };
    for reporter in reporters.iter_mut() {
        reporter.footer(&footer)?;
    }
    Ok(footer)
}
