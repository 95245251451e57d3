//! The mutation campaign: mutants of the published action made from a catalogue of porters' mistakes
//! (`catalogue`), each run through the default `check`; the kill matrix (operator × site) says which
//! mistakes the gate catches (docs/mutation.md).
//!
//! A mutant is the published action with one site rewritten by one operator. Every operator is applied
//! at every site of a kind it fits, so a new site or operator multiplies out on its own.

pub(crate) mod catalogue;

pub use catalogue::{Equivalent, Operator, Site, SiteKind, EQUIVALENT, OPERATORS, SITES};

/// The published action, as the seed document gives it (the text the mutants are made from).
pub const PUBLISHED_ACTION: &str = include_str!("../../../fixtures/implementations/published/integration.action.js");

/// A helper some mutants call (`parseSetting`): JSON when the text is JSON, else the text.
const PARSE_SETTING: &str = "function parseSetting(value) {\n  try {\n    return JSON.parse(value);\n  } catch {\n    return value;\n  }\n}\n\n";

/// One mutant.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// The operator's name.
    pub operator: &'static str,
    /// The site's name.
    pub site: &'static str,
    /// The mutated action's source.
    pub source: String,
    /// The catalogue's argument when the mutant is argued equivalent.
    pub equivalent: Option<&'static str>,
}

impl Mutant {
    /// `operator@site`, the mutant's name (and file stem).
    pub fn name(&self) -> String {
        format!("{}@{}", self.operator, self.site)
    }
}

/// Why the catalogue cannot be applied to a source.
#[derive(Debug, thiserror::Error)]
#[error("site `{site}`: its anchor occurs {count} times in the action (it must occur once)")]
pub struct CatalogueError {
    /// The site.
    pub site: &'static str,
    /// How often its anchor occurs.
    pub count: usize,
}

/// Every mutant of `source`: each operator at each site of a kind it fits, in catalogue order.
pub fn mutants(source: &str) -> Result<Vec<Mutant>, CatalogueError> {
    for site in SITES {
        let count = source.matches(site.anchor).count();
        if count != 1 {
            return Err(CatalogueError { site: site.name, count });
        }
    }
    let mut out = Vec::new();
    for operator in OPERATORS {
        for site in SITES {
            for rewrite in operator.rewrites.iter().filter(|r| r.kind == site.kind) {
                let replacement = if rewrite.replaces_expression {
                    let wrapped = rewrite.template.replace("{e}", site.expression);
                    site.anchor.replacen(site.expression, &wrapped, 1)
                } else {
                    rewrite.template.replace("{e}", site.expression)
                };
                let mut mutated = source.replacen(site.anchor, &replacement, 1);
                if replacement.contains("parseSetting(") {
                    let at = mutated.find("exports.onExecutePostLogin").unwrap_or(0);
                    mutated.insert_str(at, PARSE_SETTING);
                }
                let equivalent =
                    EQUIVALENT.iter().find(|e| e.operator == operator.name && e.site == site.name).map(|e| e.argument);
                out.push(Mutant { operator: operator.name, site: site.name, source: mutated, equivalent });
            }
        }
    }
    Ok(out)
}

/// What happened to a mutant in the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fate {
    /// The check failed on it.
    Killed,
    /// The check passed, and the catalogue argues it equivalent.
    Equivalent,
    /// The check passed, and nothing argues it equivalent: the gate misses this mistake.
    Survived,
    /// The check failed, though the catalogue argues it equivalent: the argument is wrong.
    KilledButArguedEquivalent,
    /// The check could not judge it (the mutant errored on every case, or the harness failed).
    Error,
}

impl Fate {
    /// The fate of a mutant from the check's verdict (`Some(true)`: diverged) and its argument.
    pub fn of(diverged: Option<bool>, argued_equivalent: bool) -> Fate {
        match (diverged, argued_equivalent) {
            (None, _) => Fate::Error,
            (Some(true), false) => Fate::Killed,
            (Some(true), true) => Fate::KilledButArguedEquivalent,
            (Some(false), true) => Fate::Equivalent,
            (Some(false), false) => Fate::Survived,
        }
    }

    /// One letter for the matrix: K killed, E equivalent, S survived, ! wrongly argued, ? error.
    pub fn letter(self) -> char {
        match self {
            Fate::Killed => 'K',
            Fate::Equivalent => 'E',
            Fate::Survived => 'S',
            Fate::KilledButArguedEquivalent => '!',
            Fate::Error => '?',
        }
    }

    /// Whether the campaign holds with this fate (killed, or argued and indeed equivalent).
    pub fn is_good(self) -> bool {
        matches!(self, Fate::Killed | Fate::Equivalent)
    }
}

/// The kill matrix as text: one row per operator, one column per site (`·` where the operator does not
/// fit the site).
pub fn matrix(fates: &[(Mutant, Fate)]) -> String {
    let mut out = String::new();
    let width = OPERATORS.iter().map(|o| o.name.len()).max().unwrap_or(0);
    out.push_str(&format!("{:width$}  ", "operator \\ site"));
    for (i, _) in SITES.iter().enumerate() {
        out.push_str(&format!("{:>3}", i + 1));
    }
    out.push('\n');
    for operator in OPERATORS {
        out.push_str(&format!("{:width$}  ", operator.name));
        for site in SITES {
            let cell = fates
                .iter()
                .find(|(m, _)| m.operator == operator.name && m.site == site.name)
                .map_or('·', |(_, f)| f.letter());
            out.push_str(&format!("{cell:>3}"));
        }
        out.push('\n');
    }
    out.push_str("sites: ");
    let names: Vec<String> = SITES.iter().enumerate().map(|(i, s)| format!("{} {}", i + 1, s.name)).collect();
    out.push_str(&names.join(", "));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_fits_a_site_and_every_mutant_changes_the_action() {
        let all = mutants(PUBLISHED_ACTION).unwrap();
        for operator in OPERATORS {
            assert!(all.iter().any(|m| m.operator == operator.name), "{} fits no site", operator.name);
        }
        let mut names = std::collections::BTreeSet::new();
        for m in &all {
            assert_ne!(m.source, PUBLISHED_ACTION, "{} changes nothing", m.name());
            assert!(names.insert(m.name()), "{} twice", m.name());
        }
        for e in EQUIVALENT {
            assert!(names.contains(&format!("{}@{}", e.operator, e.site)), "{}@{} is no mutant", e.operator, e.site);
        }
        let trim = all.iter().find(|m| m.name() == "trim@pipe-name").unwrap();
        assert!(trim.source.contains("resource: pipeName.trim(),"));
        let parse = all.iter().find(|m| m.name() == "parse-setting@workspace-id").unwrap();
        assert!(
            parse.source.contains("function parseSetting") && parse.source.contains("parseSetting(event.configuration")
        );
    }

    #[test]
    fn an_anchor_that_moved_is_an_error_naming_the_site() {
        let e = mutants("exports.onExecutePostLogin = async () => {};").unwrap_err().to_string();
        assert!(e.contains("admin-token-check") && e.contains("0 times"), "{e}");
    }

    #[test]
    fn fates() {
        assert_eq!(Fate::of(Some(true), false), Fate::Killed);
        assert_eq!(Fate::of(Some(false), true), Fate::Equivalent);
        assert_eq!(Fate::of(Some(false), false), Fate::Survived);
        assert!(!Fate::of(Some(true), true).is_good() && !Fate::of(None, false).is_good());
    }
}
