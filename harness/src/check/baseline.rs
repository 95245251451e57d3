//! Baselines: the root causes a port is known to diverge by today, so that a gate fails only on new ones
//! (`check --baseline FILE`). A baseline is a JSON report of an earlier run, or the file `tbjwt baseline
//! write` makes of one; either way it is a set of root causes keyed by rule, security and kind
//! ([`CauseKey`]), never by case name, so that another seed or a grown suite does not make an old
//! divergence look new. A failing case whose every cause the baseline holds is `expected`; one new cause
//! makes it `fail`. The run's footer says what is new, what is still there and what was fixed
//! ([`Tally`]); `--baseline-strict` fails a run whose baseline still holds a fixed cause.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::compare::{CauseKey, Counted};
use crate::report::read::{read, ReadError, ReadReport};
use crate::report::{BaselineOutcome, CaseReport, CauseCount, Verdict};

/// The format version of a baseline file.
const FORMAT: u32 = 1;

/// A cause a baseline holds, with what it was seen in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The cause.
    #[serde(flatten)]
    pub cause: CauseKey,
    /// Failing cases it showed in when the baseline was made.
    pub cases: u64,
    /// The first of them.
    pub example: String,
}

/// A baseline file: what `tbjwt baseline write` makes, sorted so that its changes read well in review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineFile {
    /// The format version (1).
    pub tbjwt_baseline: u32,
    /// The implementation the run checked.
    pub implementation: String,
    /// The comparison level: a baseline applies at its own level only.
    pub level: String,
    /// The generated events' domain.
    pub domain: String,
    /// The built-in suite's version of the run, if it had the suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite_version: Option<String>,
    /// The seed of the run: only a run of the same seed draws the same cases, so only there does a cause
    /// no case showed count as fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The causes, in key order.
    pub causes: Vec<Held>,
}

/// A baseline, loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Where it came from.
    pub path: PathBuf,
    /// Its file form.
    pub file: BaselineFile,
    keys: BTreeSet<CauseKey>,
}

/// A baseline that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The report cannot be read.
    #[error(transparent)]
    Report(#[from] ReadError),
    /// The file cannot be read.
    #[error("{path}: cannot read the baseline: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a baseline.
    #[error("{path}: not a baseline file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// It was made at another level or in another domain.
    #[error("{path}: the baseline is of a run at level {level}, domain {domain}; this run is at level {run_level}, domain {run_domain}: make one at this run's level and domain")]
    Incomparable {
        /// The file.
        path: PathBuf,
        /// The baseline's level.
        level: String,
        /// The baseline's domain.
        domain: String,
        /// This run's level.
        run_level: String,
        /// This run's domain.
        run_domain: String,
    },
}

impl Baseline {
    /// The baseline of a report: the causes of its failing and expected cases (a run that had a
    /// baseline shows the causes it held as expected, so its report carries them on).
    pub fn of_report(report: &ReadReport) -> Baseline {
        let held = report.cause_counts().into_iter().map(|(cause, (cases, example))| Held { cause, cases, example });
        let identity = &report.identity;
        let file = BaselineFile {
            tbjwt_baseline: FORMAT,
            implementation: identity.implementation.clone(),
            level: identity.level.clone(),
            domain: identity.domain.clone(),
            suite_version: identity.suite_version.clone(),
            seed: Some(identity.seed),
            causes: held.collect(),
        };
        Baseline::of_file(report.path.clone(), file)
    }

    fn of_file(path: PathBuf, file: BaselineFile) -> Baseline {
        let keys = file.causes.iter().map(|h| h.cause.clone()).collect();
        Baseline { path, file, keys }
    }

    /// Loads `path`: a baseline file, or a JSON report.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        // A baseline file is small; a report may be of any size, and is read a line at a time.
        let value = match crate::files::read_text_limited(path, crate::files::MAX_TEXT_FILE_BYTES) {
            Ok(text) => serde_json::from_str::<serde_json::Value>(&text).ok(),
            Err(source) if source.kind() != std::io::ErrorKind::InvalidInput => {
                return Err(BaselineError::Io { path: path.to_owned(), source })
            }
            Err(_) => None,
        };
        match value {
            Some(v) if v.get("tbjwt_baseline").is_some() => {
                let file: BaselineFile = serde_json::from_value(v)
                    .map_err(|e| BaselineError::Format { path: path.to_owned(), message: e.to_string() })?;
                if file.tbjwt_baseline != FORMAT {
                    return Err(BaselineError::Format {
                        path: path.to_owned(),
                        message: format!("format {} (this tbjwt reads {FORMAT})", file.tbjwt_baseline),
                    });
                }
                Ok(Baseline::of_file(path.to_owned(), file))
            }
            _ => Ok(Baseline::of_report(&read(path)?)),
        }
    }

    /// The baseline as its file's text (pretty JSON, causes in key order).
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Checks that the baseline applies to a run at `level` in `domain`.
    pub fn check_applies(&self, level: &str, domain: &str) -> Result<(), BaselineError> {
        if self.file.level == level && self.file.domain == domain {
            return Ok(());
        }
        Err(BaselineError::Incomparable {
            path: self.path.clone(),
            level: self.file.level.clone(),
            domain: self.file.domain.clone(),
            run_level: level.to_owned(),
            run_domain: domain.to_owned(),
        })
    }

    /// Whether the baseline holds every one of `causes` (and there is at least one).
    pub fn holds_all(&self, causes: &BTreeSet<CauseKey>) -> bool {
        !causes.is_empty() && causes.is_subset(&self.keys)
    }

    /// Whether the baseline holds `cause`.
    pub fn holds(&self, cause: &CauseKey) -> bool {
        self.keys.contains(cause)
    }
}

/// What a run's cases showed against its baseline, counted by the collector.
#[derive(Debug, Default)]
pub struct Tally {
    seen: Counted<CauseKey>,
}

impl Tally {
    /// Counts the causes of a failing or baselined case.
    pub fn add(&mut self, report: &CaseReport) {
        if !matches!(report.verdict, Verdict::Fail | Verdict::Expected) || report.differences.is_empty() {
            return;
        }
        self.seen.add(&report.name, crate::compare::cause_keys(&report.differences));
    }

    /// The outcome against `baseline` of a run of `seed`; `full_run` says whether every planned case ran.
    /// A cause no case showed is fixed only in a full run of the baseline's own seed (the same cases);
    /// elsewhere it is only not seen, which never fails a run.
    pub fn outcome(self, baseline: &Baseline, strict: bool, full_run: bool, seed: u64) -> BaselineOutcome {
        let (mut new, mut still) = (Vec::new(), Vec::new());
        let seen: BTreeSet<CauseKey> = self.seen.keys().cloned().collect();
        for (cause, (cases, example)) in self.seen {
            let count = CauseCount { cause: cause.clone(), cases, example };
            if baseline.holds(&cause) {
                still.push(count);
            } else {
                new.push(count);
            }
        }
        let absent: Vec<CauseKey> = baseline.keys.difference(&seen).cloned().collect();
        let (fixed, not_seen) =
            if full_run && baseline.file.seed == Some(seed) { (absent, Vec::new()) } else { (Vec::new(), absent) };
        BaselineOutcome { file: baseline.path.clone(), strict, new, still, fixed, not_seen }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Rule;

    fn key(rule: Rule, kind: &str) -> CauseKey {
        CauseKey { rule, security: false, kind: kind.to_owned() }
    }

    fn baseline(keys: &[CauseKey]) -> Baseline {
        let causes = keys.iter().map(|k| Held { cause: k.clone(), cases: 1, example: "c".into() }).collect();
        let file = BaselineFile {
            tbjwt_baseline: FORMAT,
            implementation: "reference".into(),
            level: "semantic".into(),
            domain: "auth0".into(),
            suite_version: None,
            seed: Some(1),
            causes,
        };
        Baseline::of_file("b.json".into(), file)
    }

    #[test]
    fn a_case_is_held_only_when_every_cause_is() {
        let scopes = key(Rule::R7, "token claims/scopes");
        let exp = key(Rule::R8, "token claims/exp");
        let b = baseline(std::slice::from_ref(&scopes));
        assert!(b.holds_all(&[scopes.clone()].into()));
        assert!(!b.holds_all(&[scopes, exp].into()), "one new cause fails the case");
        assert!(!b.holds_all(&BTreeSet::new()), "a case without causes is not the baseline's");
    }

    #[test]
    fn the_file_round_trips_and_other_levels_are_refused() {
        let b = baseline(&[key(Rule::R7, "token claims/scopes")]);
        let path = std::env::temp_dir().join(format!("tbjwt-baseline-{}.json", std::process::id()));
        std::fs::write(&path, b.to_text()).unwrap();
        let loaded = Baseline::load(&path).unwrap();
        assert_eq!(loaded.file, b.file);
        let message = loaded.check_applies("effect", "auth0").unwrap_err().to_string();
        assert!(message.contains("level semantic") && message.contains("level effect"), "{message}");
        std::fs::write(
            &path,
            r#"{"tbjwt_baseline": 9, "implementation": "x", "level": "semantic", "domain": "auth0", "causes": []}"#,
        )
        .unwrap();
        assert!(Baseline::load(&path).unwrap_err().to_string().contains("format 9"));
        std::fs::remove_file(&path).unwrap();
    }
}
