//! Known divergences (an expectations file, TOML): each entry names a case, an observable, or both,
//! with a reason, and optionally a link and an expiry date. A divergence covered by an entry is
//! `expected`; a case entry whose case no longer diverges is `unexpected-pass`; an entry that covered
//! nothing in a full run, or whose expiry date has passed, fails the gate: the list must shrink.
//!
//! ```toml
//! [[expected]]
//! case = "pipes_trailing_comma"     # a fixture or regression name
//! observable = "logs"               # optional: only this observable of the case (or of every case)
//! reason = "our port logs in Spanish"
//! link = "https://github.com/acme/port/issues/12"
//! expires = 2027-03-31
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::compare::{Difference, Observable};

/// One known divergence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The case it applies to (all cases when absent).
    #[serde(default)]
    pub case: Option<String>,
    /// The observable it applies to (all observables when absent).
    #[serde(default)]
    pub observable: Option<Observable>,
    /// Why the divergence is accepted.
    pub reason: String,
    /// Where it is tracked.
    #[serde(default)]
    pub link: Option<String>,
    /// After this date the entry fails the gate.
    #[serde(default)]
    pub expires: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    expected: Vec<Expectation>,
}

/// The entries of an expectations file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectations {
    /// Where they came from.
    pub path: PathBuf,
    /// The entries, in file order.
    pub entries: Vec<Expectation>,
}

/// An expectations file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ExpectationsError {
    path: PathBuf,
    message: String,
}

/// A problem with the expectations found by a run; each fails the gate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExpectationProblem {
    /// Index of the entry in the file (0-based).
    pub entry: usize,
    /// What is wrong.
    pub message: String,
}

impl Expectations {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Expectations, ExpectationsError> {
        let err = |message: String| ExpectationsError { path: path.to_owned(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        let file: File = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        for (i, e) in file.expected.iter().enumerate() {
            if e.case.is_none() && e.observable.is_none() {
                return Err(err(format!("expected[{i}] needs a `case`, an `observable`, or both")));
            }
            if e.reason.trim().is_empty() {
                return Err(err(format!("expected[{i}] needs a non-empty `reason`")));
            }
            if let Some(d) = &e.expires {
                if d.date.is_none() || d.time.is_some() {
                    return Err(err(format!("expected[{i}].expires must be a date such as 2027-03-31")));
                }
            }
        }
        Ok(Expectations { path: path.to_owned(), entries: file.expected })
    }

    /// Whether entry `i` covers `difference` in `case`.
    fn covers(&self, i: usize, case: &str, difference: &Difference) -> bool {
        let e = &self.entries[i];
        e.case.as_deref().is_none_or(|c| c == case) && e.observable.is_none_or(|o| o == difference.observable)
    }

    /// The entries that cover every difference of `case`, or `None` when some difference is not covered.
    pub fn cover(&self, case: &str, differences: &[Difference]) -> Option<Vec<usize>> {
        let mut used = Vec::new();
        for d in differences {
            let covering: Vec<usize> = (0..self.entries.len()).filter(|&i| self.covers(i, case, d)).collect();
            if covering.is_empty() {
                return None;
            }
            used.extend(covering);
        }
        used.sort_unstable();
        used.dedup();
        Some(used)
    }

    /// Entries that name `case` (for `unexpected-pass`).
    pub fn naming(&self, case: &str) -> Vec<usize> {
        (0..self.entries.len()).filter(|&i| self.entries[i].case.as_deref() == Some(case)).collect()
    }

    /// Entries whose expiry date is before `today` (`YYYY-MM-DD`).
    pub fn expired(&self, today: &str) -> Vec<ExpectationProblem> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let date = e.expires.as_ref()?.date?;
                let text = date.to_string();
                (text.as_str() < today).then(|| ExpectationProblem {
                    entry: i,
                    message: format!(
                        "expected[{i}] ({}) expired on {text}: fix the divergence or renew the entry",
                        describe(e)
                    ),
                })
            })
            .collect()
    }

    /// Entries that were never used in a full run.
    pub fn unused(&self, used: &[bool]) -> Vec<ExpectationProblem> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.get(*i).copied().unwrap_or(false))
            .map(|(i, e)| ExpectationProblem {
                entry: i,
                message: format!("expected[{i}] ({}) matched no divergence: remove it", describe(e)),
            })
            .collect()
    }
}

fn describe(e: &Expectation) -> String {
    match (&e.case, &e.observable) {
        (Some(c), Some(o)) => format!("case {c}, {}", o.key()),
        (Some(c), None) => format!("case {c}"),
        (None, Some(o)) => format!("observable {}", o.key()),
        (None, None) => "everything".into(),
    }
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let now = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Rule;

    fn load(text: &str) -> Result<Expectations, ExpectationsError> {
        let path = std::env::temp_dir().join(format!("tbjwt-expect-{}-{}.toml", std::process::id(), text.len()));
        std::fs::write(&path, text).unwrap();
        let result = Expectations::load(&path);
        std::fs::remove_file(&path).unwrap();
        result
    }

    fn diff(observable: Observable) -> Difference {
        Difference {
            path: "/x".into(),
            observable,
            rule: Rule::R12,
            security: false,
            reference: None,
            implementation: None,
        }
    }

    #[test]
    fn coverage_by_case_observable_and_both() {
        let e = load(
            "[[expected]]\ncase = \"a\"\nreason = \"r\"\n\n[[expected]]\nobservable = \"logs\"\nreason = \"r\"\n\n[[expected]]\ncase = \"b\"\nobservable = \"calls\"\nreason = \"r\"\nexpires = 2020-01-01\n",
        )
        .unwrap();
        assert_eq!(e.cover("a", &[diff(Observable::Calls), diff(Observable::Logs)]), Some(vec![0, 1]));
        assert_eq!(e.cover("c", &[diff(Observable::Logs)]), Some(vec![1]));
        assert_eq!(e.cover("c", &[diff(Observable::Calls)]), None);
        assert_eq!(e.cover("b", &[diff(Observable::Calls)]), Some(vec![2]));
        assert_eq!(e.naming("a"), [0]);
        assert_eq!(e.expired("2026-11-28").len(), 1);
        assert_eq!(e.unused(&[true, false, true]).len(), 1);
    }

    #[test]
    fn bad_files_name_the_entry() {
        assert!(load("[[expected]]\nreason = \"r\"\n").unwrap_err().to_string().contains("expected[0]"));
        assert!(load("[[expected]]\ncase = \"a\"\nreason = \" \"\n").unwrap_err().to_string().contains("reason"));
        assert!(load("[[expected]]\ncase = \"a\"\nreason = \"r\"\nobservable = \"smell\"\n")
            .unwrap_err()
            .to_string()
            .contains("smell"));
        assert!(load("[[expected]]\ncase = \"a\"\nreason = \"r\"\ncolour = 1\n")
            .unwrap_err()
            .to_string()
            .contains("colour"));
    }
}
