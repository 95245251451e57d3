//! Known divergences (an expectations file, TOML). Each entry says which divergence it accepts, as
//! precisely as the reviewer means it, with any combination of:
//!
//! - `case`: a fixture or regression name (a typo is an error that suggests the closest name);
//! - `rule`: the rule the difference is attributed to (`R1`…`R12`);
//! - `path`: a JSON-pointer pattern of the difference, `*` matching one segment (an array index, say).
//!   A pattern that starts with `/` is anchored at the root of the observation; one that does not matches
//!   wherever its segments appear, so `claims/scopes/*/resource` names that claim in the recorded calls,
//!   the stored metadata, the ID token and the Tinybird JWT alike. Since the access matrix follows from
//!   the token's scopes, an entry that accepts a scope difference of a case also accepts that case's
//!   access differences;
//! - `observable`: one part of the observation (`status`, `logs`, `calls`, `app_metadata`, …);
//! - `class`: an equivalence class the case reached (`tbjwt classes`), for a divergence a port makes by
//!   design on a kind of value, generated cases included (`admin-token/blank` for a token service, say).
//!
//! An entry covers a difference when every field it has matches. A case whose differences are all
//! covered is `expected`; one difference no entry covers makes the case `fail`, whatever else is
//! covered. A case entry whose case no longer diverges is `unexpected-pass`; an entry that covered
//! nothing in a full run, or whose expiry date has passed, fails the gate: the list must shrink.
//!
//! ```toml
//! [[expected]]
//! rule = "R7"                          # and/or case, path, observable
//! path = "claims/scopes/*/resource"
//! reason = "our port trims pipe names"
//! owner = "@acme/identity"
//! link = "https://github.com/acme/port/issues/12"
//! until = 2027-03-31                   # or `expires`
//! ```

use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::classes::ClassSet;
use crate::compare::{Difference, Observable};
use crate::spec::Rule;

/// One known divergence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// The case it applies to (all cases when absent).
    #[serde(default)]
    pub case: Option<String>,
    /// The rule of the differences it accepts (all rules when absent).
    #[serde(default)]
    pub rule: Option<String>,
    /// A JSON-pointer pattern of the differences it accepts (all paths when absent).
    #[serde(default)]
    pub path: Option<String>,
    /// The observable it applies to (all observables when absent).
    #[serde(default)]
    pub observable: Option<Observable>,
    /// An equivalence class the case must have reached (any case when absent).
    #[serde(default)]
    pub class: Option<String>,
    /// Why the divergence is accepted.
    pub reason: String,
    /// Where it is tracked.
    #[serde(default)]
    pub link: Option<String>,
    /// Who answers for it (a person or a team), named when it expires or goes stale.
    #[serde(default)]
    pub owner: Option<String>,
    /// After this date the entry fails the gate (`until` is the same key).
    #[serde(default, alias = "until")]
    pub expires: Option<toml::value::Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    expected: Vec<Expectation>,
}

/// An entry, ready to match.
#[derive(Debug, Clone, PartialEq)]
struct Matcher {
    rule: Option<Rule>,
    class: Option<usize>,
    anchored: bool,
    segments: Option<Vec<String>>,
}

/// The entries of an expectations file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expectations {
    /// Where they came from.
    pub path: PathBuf,
    /// The entries, in file order.
    pub entries: Vec<Expectation>,
    matchers: Vec<Matcher>,
}

/// An expectations file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ExpectationsError {
    path: PathBuf,
    message: String,
}

pub use crate::report::ExpectationProblem;

fn parse_rule(text: &str) -> Result<Rule, String> {
    Rule::ALL.into_iter().find(|r| r.to_string().eq_ignore_ascii_case(text.trim())).ok_or_else(|| {
        let names: Vec<String> = Rule::ALL.iter().map(ToString::to_string).collect();
        let hint = super::closest(text, names.iter().map(String::as_str))
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        format!("`{text}` is not a rule{hint}; the rules are R1 to R12 (docs/spec.md)")
    })
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// Whether `pattern` matches `path` at `start`.
fn matches_at(pattern: &[String], path: &[String], start: usize) -> bool {
    pattern.len() + start <= path.len() && pattern.iter().zip(&path[start..]).all(|(p, s)| p == "*" || p == s)
}

fn path_segments(path: &str) -> Vec<String> {
    path.trim_start_matches('/').split('/').map(unescape).collect()
}

impl Matcher {
    fn new(entry: &Expectation) -> Result<Matcher, String> {
        let rule = entry.rule.as_deref().map(parse_rule).transpose()?;
        let class = match entry.class.as_deref() {
            None => None,
            Some(id) => Some(crate::classes::by_id(id).map(|(index, _)| index).ok_or_else(|| {
                let hint = super::closest(id, crate::classes::CLASSES.iter().map(|c| c.id))
                    .map(|c| format!(" (did you mean {c}?)"))
                    .unwrap_or_default();
                format!("`{id}` is not a class{hint}; `tbjwt classes` lists them")
            })?),
        };
        let (anchored, segments) = match entry.path.as_deref() {
            None => (false, None),
            Some(p) if p.trim_matches('/').is_empty() => return Err("`path` is empty".into()),
            Some(p) => (p.starts_with('/'), Some(path_segments(p.trim_end_matches('/')))),
        };
        Ok(Matcher { rule, class, anchored, segments })
    }

    fn path_matches(&self, path: &str) -> bool {
        let Some(pattern) = &self.segments else { return true };
        let path = path_segments(path);
        if self.anchored {
            matches_at(pattern, &path, 0)
        } else {
            (0..path.len()).any(|start| matches_at(pattern, &path, start))
        }
    }
}

fn is_scope_difference(d: &Difference) -> bool {
    d.path.contains("/claims/scopes")
}

impl Expectations {
    /// Reads and validates a file (case names are checked against a run's cases by [`Expectations::validate`]).
    pub fn load(path: &Path) -> Result<Expectations, ExpectationsError> {
        let err = |message: String| ExpectationsError { path: path.to_owned(), message };
        let text = crate::files::read_text_limited(path, crate::files::MAX_TEXT_FILE_BYTES)
            .map_err(|e| err(format!("cannot read: {e}")))?;
        let file: File = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        let mut matchers = Vec::new();
        for (i, e) in file.expected.iter().enumerate() {
            if e.case.is_none() && e.observable.is_none() && e.rule.is_none() && e.path.is_none() && e.class.is_none() {
                return Err(err(format!(
                    "expected[{i}] needs a `case`, `rule`, `path`, `observable` or `class` (or several)"
                )));
            }
            if e.reason.trim().is_empty() {
                return Err(err(format!("expected[{i}] needs a non-empty `reason`")));
            }
            if let Some(d) = &e.expires {
                if d.date.is_none() || d.time.is_some() {
                    return Err(err(format!("expected[{i}].expires must be a date such as 2027-03-31")));
                }
            }
            matchers.push(Matcher::new(e).map_err(|m| err(format!("expected[{i}]: {m}")))?);
        }
        Ok(Expectations { path: path.to_owned(), entries: file.expected, matchers })
    }

    /// Checks that every `case` an entry names is one of `cases` (or a generated case's name).
    pub fn validate<'a>(&self, cases: impl Iterator<Item = &'a str> + Clone) -> Result<(), ExpectationsError> {
        for (i, e) in self.entries.iter().enumerate() {
            let Some(name) = &e.case else { continue };
            if name.starts_with("generated-") || cases.clone().any(|c| c == name) {
                continue;
            }
            let hint =
                super::closest(name, cases.clone()).map(|c| format!(" (did you mean `{c}`?)")).unwrap_or_default();
            return Err(ExpectationsError {
                path: self.path.clone(),
                message: format!("expected[{i}]: no case of this run is named `{name}`{hint}"),
            });
        }
        Ok(())
    }

    /// Whether entry `i` covers `difference` in `case` by its own fields.
    fn covers(&self, i: usize, case: &str, classes: ClassSet, difference: &Difference) -> bool {
        let (e, m) = (&self.entries[i], &self.matchers[i]);
        e.case.as_deref().is_none_or(|c| c == case)
            && m.class.is_none_or(|c| classes.contains(c))
            && e.observable.is_none_or(|o| o == difference.observable)
            && m.rule.is_none_or(|r| r == difference.rule)
            && m.path_matches(&difference.path)
    }

    /// The entries that cover every difference of `case` (which reached `classes`), or `None` when some
    /// difference is not covered.
    pub fn cover(&self, case: &str, classes: ClassSet, differences: &[Difference]) -> Option<Vec<usize>> {
        // Entries that accept a scope difference of this case accept its access differences too.
        let scope_entries: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                self.entries[i].observable.is_none()
                    && differences.iter().any(|d| is_scope_difference(d) && self.covers(i, case, classes, d))
            })
            .collect();
        let mut used = Vec::new();
        for d in differences {
            let mut covering: Vec<usize> =
                (0..self.entries.len()).filter(|&i| self.covers(i, case, classes, d)).collect();
            if covering.is_empty() && d.observable == Observable::Access {
                covering.extend(
                    scope_entries.iter().copied().filter(|&i| self.matchers[i].rule.is_none_or(|r| r == d.rule)),
                );
            }
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
                        "expected[{i}] ({}{}) expired on {text}: fix the divergence or renew the entry",
                        describe(e),
                        owned_by(e)
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
                message: format!(
                    "expected[{i}] ({}{}) is stale: it matched no divergence in a full run; remove it",
                    describe(e),
                    owned_by(e)
                ),
            })
            .collect()
    }
}

/// `; owner NAME` when the entry names one.
fn owned_by(e: &Expectation) -> String {
    e.owner.as_deref().map(|o| format!("; owner {o}")).unwrap_or_default()
}

fn describe(e: &Expectation) -> String {
    let mut parts = Vec::new();
    if let Some(c) = &e.case {
        parts.push(format!("case {c}"));
    }
    if let Some(r) = &e.rule {
        parts.push(format!("rule {r}"));
    }
    if let Some(p) = &e.path {
        parts.push(format!("path {p}"));
    }
    if let Some(o) = &e.observable {
        parts.push(format!("observable {}", o.key()));
    }
    if let Some(c) = &e.class {
        parts.push(format!("class {c}"));
    }
    parts.join(", ")
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let now = time::OffsetDateTime::now_utc().date();
    format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Expectations, ExpectationsError> {
        let path = std::env::temp_dir().join(format!("tbjwt-expect-{}-{}.toml", std::process::id(), text.len()));
        std::fs::write(&path, text).unwrap();
        let result = Expectations::load(&path);
        std::fs::remove_file(&path).unwrap();
        result
    }

    fn diff(observable: Observable) -> Difference {
        at(observable, "/x", Rule::R12)
    }

    fn at(observable: Observable, path: &str, rule: Rule) -> Difference {
        Difference { path: path.into(), observable, rule, security: false, reference: None, implementation: None }
    }

    #[test]
    fn a_class_entry_covers_the_cases_in_that_class_only() {
        let e = load(
            "[[expected]]\nclass = \"admin-token/blank\"\nobservable = \"status\"\nreason = \"a token service\"\n",
        )
        .unwrap();
        let (blank, _) = crate::classes::by_id("admin-token/blank").unwrap();
        let mut in_class = ClassSet::default();
        in_class.insert(blank);
        assert_eq!(e.cover("generated-x", in_class, &[diff(Observable::Status)]), Some(vec![0]));
        assert_eq!(e.cover("generated-x", ClassSet::default(), &[diff(Observable::Status)]), None);
        assert_eq!(e.cover("generated-x", in_class, &[diff(Observable::Logs)]), None, "the other fields still count");
        let typo = load("[[expected]]\nclass = \"admin-token/blnk\"\nreason = \"r\"\n").unwrap_err().to_string();
        assert!(typo.contains("did you mean admin-token/blank?"), "{typo}");
    }

    #[test]
    fn a_waiver_names_its_owner_when_it_expires_or_goes_stale() {
        let e = load(
            "[[expected]]\nrule = \"R7\"\nreason = \"r\"\nowner = \"@acme/identity\"\nuntil = 2020-01-01\n\n[[expected]]\nrule = \"R8\"\nreason = \"r\"\nuntil = 2999-12-31\n",
        )
        .unwrap();
        // Dates far from any day a test runs on: the outcome does not depend on today.
        let expired = e.expired(&today());
        assert_eq!(expired.len(), 1);
        assert_eq!(
            expired[0].message,
            "expected[0] (rule R7; owner @acme/identity) expired on 2020-01-01: fix the divergence or renew the entry"
        );
        let stale = e.unused(&[true, false]);
        assert_eq!(
            stale[0].message,
            "expected[1] (rule R8) is stale: it matched no divergence in a full run; remove it"
        );
        let both = load("[[expected]]\nrule = \"R7\"\nreason = \"r\"\nuntil = 2020-01-01\nexpires = 2020-01-02\n");
        assert!(both.is_err(), "one date per entry");
    }

    #[test]
    fn coverage_by_case_observable_and_both() {
        let e = load(
            "[[expected]]\ncase = \"a\"\nreason = \"r\"\n\n[[expected]]\nobservable = \"logs\"\nreason = \"r\"\n\n[[expected]]\ncase = \"b\"\nobservable = \"calls\"\nreason = \"r\"\nexpires = 2020-01-01\n",
        )
        .unwrap();
        assert_eq!(
            e.cover("a", ClassSet::default(), &[diff(Observable::Calls), diff(Observable::Logs)]),
            Some(vec![0, 1])
        );
        assert_eq!(e.cover("c", ClassSet::default(), &[diff(Observable::Logs)]), Some(vec![1]));
        assert_eq!(e.cover("c", ClassSet::default(), &[diff(Observable::Calls)]), None);
        assert_eq!(e.cover("b", ClassSet::default(), &[diff(Observable::Calls)]), Some(vec![2]));
        assert_eq!(e.naming("a"), [0]);
        assert_eq!(e.expired("2026-11-28").len(), 1);
        assert_eq!(e.unused(&[true, false, true]).len(), 1);
    }

    #[test]
    fn one_entry_by_path_accepts_one_divergence_wherever_it_shows_and_nothing_else() {
        let e = load("[[expected]]\npath = \"claims/scopes/*/resource\"\nreason = \"we trim\"\n").unwrap();
        let trimmed = [
            at(Observable::Calls, "/calls/0/args/1/jwt/claims/scopes/0/resource", Rule::R7),
            at(Observable::AppMetadata, "/app_metadata/tinybirdJWT/jwt/claims/scopes/0/resource", Rule::R7),
            at(
                Observable::IdToken,
                "/id_token/custom_claims/https:~1~1app.tinybird.co/jwt/claims/scopes/0/resource",
                Rule::R7,
            ),
            at(Observable::TinybirdJwt, "/tinybird_jwt/token/jwt/claims/scopes/0/resource", Rule::R7),
            at(Observable::Access, "/access/ kpis", Rule::R7),
        ];
        assert_eq!(e.cover("x", ClassSet::default(), &trimmed), Some(vec![0]));
        let mut and_renamed = trimmed.to_vec();
        and_renamed.push(at(Observable::IdToken, "/id_token/custom_claims/https:~1~1tinybird.co", Rule::R11));
        assert_eq!(e.cover("x", ClassSet::default(), &and_renamed), None);
        // Access differences alone (no scope difference in the case) are not this entry's.
        assert_eq!(e.cover("x", ClassSet::default(), &trimmed[4..]), None);
        let anchored =
            load("[[expected]]\npath = \"/tinybird_jwt/token/jwt/claims/scopes/*/resource\"\nreason = \"r\"\n")
                .unwrap();
        assert_eq!(anchored.cover("x", ClassSet::default(), &trimmed[3..4]), Some(vec![0]));
        assert_eq!(anchored.cover("x", ClassSet::default(), &trimmed[..1]), None);
    }

    #[test]
    fn one_entry_by_rule() {
        let e = load("[[expected]]\nrule = \"r7\"\nreason = \"we trim\"\n").unwrap();
        assert!(e.cover("x", ClassSet::default(), &[at(Observable::Access, "/access/a", Rule::R7)]).is_some());
        assert!(e.cover("x", ClassSet::default(), &[at(Observable::IdToken, "/id_token/x", Rule::R11)]).is_none());
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
        let rule = load("[[expected]]\nrule = \"R13\"\nreason = \"r\"\n").unwrap_err().to_string();
        assert!(rule.contains("expected[0]") && rule.contains("R13") && rule.contains("did you mean R1"), "{rule}");
    }

    #[test]
    fn unknown_case_names_suggest_the_closest() {
        let e = load("[[expected]]\ncase = \"pipes_trailing_coma\"\nreason = \"r\"\n").unwrap();
        let message = e.validate(["pipes_trailing_comma", "minimal_event"].into_iter()).unwrap_err().to_string();
        assert!(message.contains("did you mean `pipes_trailing_comma`"), "{message}");
        assert!(e.validate(["pipes_trailing_coma"].into_iter()).is_ok());
    }
}
