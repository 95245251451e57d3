//! Drift: where what an artifact declares and what its code does part ways, in ways Auth0 would act on
//! (a secret read but not declared reaches the code as `undefined`; an undeclared package fails to load;
//! a dependency at another version signs differently; an action not on the post-login trigger never
//! runs there). Each finding says whether it fails the gate.

use serde::{Deserialize, Serialize};

use super::scan::{scan, Reads};
use crate::node::{Dependency, Deployed};

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// Secrets the code reads against those the artifact declares.
    Secret,
    /// Packages the code requires against the declared dependencies and their versions.
    Dependency,
    /// The triggers the action is bound to.
    Trigger,
    /// The runtime the artifact declares.
    Runtime,
}

impl DriftKind {
    /// The kind as reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            DriftKind::Secret => "secret",
            DriftKind::Dependency => "dependency",
            DriftKind::Trigger => "trigger",
            DriftKind::Runtime => "runtime",
        }
    }
}

/// One drift between a deployed artifact and its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftFinding {
    /// What it is about.
    pub kind: DriftKind,
    /// Whether it fails the gate (otherwise it is a warning).
    pub fails: bool,
    /// Where it was declared (`tenant.yaml: actions[0]`, `main.tf: auth0_action.tb`).
    pub origin: String,
    /// The file declaring the action.
    pub file: std::path::PathBuf,
    /// What it is about (a secret's or a package's name, the trigger, the runtime), to find in that file.
    pub subject: String,
    /// What is wrong, and what Auth0 would do about it.
    pub message: String,
}

impl DriftFinding {
    /// The finding in one line: `secret (tenant.yaml: actions[0]): the code reads …`.
    pub fn line(&self) -> String {
        format!("{} ({}): {}", self.kind.name(), self.origin, self.message)
    }
}

/// The reference's signing library, and what earlier majors do differently.
const REFERENCE_JWT: (&str, u64) = ("jsonwebtoken", 9);
const JWT_BEFORE_9: &str =
    "8.x and earlier sign HS256 with a PEM private key given as the secret, where the reference's 9.0.1 refuses it";

/// The drift of `deployed`, whose code is `code`.
pub fn findings(deployed: &Deployed, dependencies: &[Dependency], code: &str) -> Vec<DriftFinding> {
    let reads = scan(code);
    let origin = &deployed.origin;
    let mut out = Vec::new();
    let mut finding = |kind: DriftKind, fails: bool, subject: &str, message: String| {
        out.push(DriftFinding {
            kind,
            fails,
            origin: origin.clone(),
            file: deployed.file.clone(),
            subject: subject.to_owned(),
            message,
        });
    };
    secrets(deployed, &reads, &mut finding);
    for package in &reads.packages {
        if !dependencies.iter().any(|d| &d.name == package) {
            finding(
                DriftKind::Dependency,
                true,
                "dependencies",
                format!("the code requires `{package}`, which is not among the declared dependencies: on Auth0 the require fails"),
            );
        }
    }
    for dependency in dependencies.iter().filter(|d| d.name == REFERENCE_JWT.0) {
        let version = &dependency.version;
        match major_of(version) {
            Some(major) if major < REFERENCE_JWT.1 => finding(
                DriftKind::Dependency,
                true,
                REFERENCE_JWT.0,
                format!("`{}@{version}` behaves differently from the reference's jsonwebtoken@9.0.1: {JWT_BEFORE_9}", dependency.name),
            ),
            Some(major) if major > REFERENCE_JWT.1 => finding(
                DriftKind::Dependency,
                false,
                REFERENCE_JWT.0,
                format!("`{}@{version}` is a major version the reference (9.0.1) was not written against", dependency.name),
            ),
            Some(_) => {}
            None => finding(
                DriftKind::Dependency,
                false,
                REFERENCE_JWT.0,
                format!(
                    "`{}@{version}` is not an exact version: what runs is what npm resolves that day; the reference is 9.0.1",
                    dependency.name
                ),
            ),
        }
    }
    match deployed.triggers.iter().find(|t| t.id == "post-login") {
        None => {
            let bound: Vec<&str> = deployed.triggers.iter().map(|t| t.id.as_str()).collect();
            let on = if bound.is_empty() { "no trigger".to_owned() } else { bound.join(", ") };
            finding(
                DriftKind::Trigger,
                true,
                "supported_triggers",
                format!("the action supports {on}, not post-login: Auth0 never runs it at login"),
            );
        }
        Some(t) if t.version.as_deref().is_some_and(|v| v != "v3") => finding(
            DriftKind::Trigger,
            false,
            "post-login",
            format!("post-login {}: tbjwt emulates the v3 event and api", t.version.as_deref().unwrap_or_default()),
        ),
        Some(_) => {}
    }
    if let Some(runtime) = &deployed.runtime {
        if !["node18", "node22"].contains(&runtime.as_str()) {
            finding(
                DriftKind::Runtime,
                true,
                "runtime",
                format!(
                    "runtime `{runtime}`: Auth0 runs actions on node18 or node22; this one ran on node22's emulation"
                ),
            );
        }
    }
    out
}

fn secrets(deployed: &Deployed, reads: &Reads, finding: &mut impl FnMut(DriftKind, bool, &str, String)) {
    let declared = &deployed.inputs.declared;
    for name in reads.secrets.iter().filter(|n| !declared.contains(*n)) {
        finding(
            DriftKind::Secret,
            true,
            "secrets",
            format!("the code reads the secret `{name}`, which is not declared: Auth0 gives it undefined"),
        );
    }
    let inputs = crate::node::custom::REFERENCE_INPUTS.iter().zip(&deployed.inputs.names);
    for ((_, reference), name) in inputs {
        if !declared.contains(name) && !reads.secrets.contains(name) {
            finding(
                DriftKind::Secret,
                true,
                "secrets",
                format!("the reference's {reference} is given as the secret `{name}`, which is not declared (map it with secret_names)"),
            );
        }
    }
    if !reads.computed {
        for name in declared.iter().filter(|n| !reads.secrets.contains(*n)) {
            finding(
                DriftKind::Secret,
                false,
                name,
                format!("the secret `{name}` is declared but the code never reads it"),
            );
        }
    }
    // The admin token written into the artifact is a secret committed with the configuration.
    let admin = &deployed.inputs.names[0];
    if deployed.written_secrets.contains(admin) {
        finding(
            DriftKind::Secret,
            true,
            admin,
            format!(
                "the secret `{admin}` (the Tinybird admin token) has its value written in the artifact: the admin token \
                 is committed with it; give it from a variable or a secret store (tbjwt never shows the value)"
            ),
        );
    }
    if reads.configuration {
        finding(
            DriftKind::Secret,
            false,
            "secrets",
            "the code reads event.configuration, which Auth0 does not give a custom Action (its values come as secrets)"
                .into(),
        );
    }
}

/// The major version of an exact version (`9.0.1`, `v8.5.1`), or `None` for a range or a tag.
fn major_of(version: &str) -> Option<u64> {
    let exact = version.trim().trim_start_matches(['=', 'v']);
    let mut parts = exact.split('.');
    let major = parts.next()?.parse().ok()?;
    let rest: Vec<&str> = parts.collect();
    (rest.len() == 2 && rest.iter().all(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))).then_some(major)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::custom::CustomInputs;
    use crate::node::Trigger;

    const CODE: &str = r#"const jwt = require("jsonwebtoken");
exports.onExecutePostLogin = async (event, api) => {
  const t = event.secrets.TINYBIRD_ADMIN_TOKEN;
  const w = event.secrets.TINYBIRD_WORKSPACE_ID;
  const p = event.secrets.TINYBIRD_PIPE_NAMES;
};"#;

    fn deployed(secrets: &[&str]) -> Deployed {
        let declared = secrets.iter().map(|s| (*s).to_owned()).collect();
        Deployed {
            origin: "tenant.yaml: actions[0]".into(),
            file: "tenant.yaml".into(),
            runtime: Some("node22".into()),
            triggers: vec![Trigger { id: "post-login".into(), version: Some("v3".into()) }],
            written_secrets: vec!["TINYBIRD_WORKSPACE_ID".into()],
            inputs: CustomInputs::new(declared, &Default::default()).unwrap(),
        }
    }

    fn jwt(version: &str) -> Vec<Dependency> {
        vec![Dependency { name: "jsonwebtoken".into(), version: version.into() }]
    }

    #[test]
    fn a_faithful_artifact_has_no_drift() {
        let all = deployed(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID", "TINYBIRD_PIPE_NAMES"]);
        assert_eq!(findings(&all, &jwt("9.0.1"), CODE), []);
    }

    #[test]
    fn a_secret_not_declared_an_old_signer_and_a_missing_package_fail() {
        let two = deployed(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID"]);
        let found = findings(&two, &jwt("8.5.1"), CODE);
        let failing: Vec<(DriftKind, &str)> =
            found.iter().filter(|f| f.fails).map(|f| (f.kind, f.message.as_str())).collect();
        assert_eq!(failing.len(), 2, "{found:#?}");
        assert!(failing[0].1.contains("`TINYBIRD_PIPE_NAMES`, which is not declared"), "{found:#?}");
        assert!(failing[1].1.starts_with("`jsonwebtoken@8.5.1` behaves differently"), "{found:#?}");
        let missing = findings(&two, &[], CODE);
        assert!(missing.iter().any(|f| f.fails && f.message.contains("requires `jsonwebtoken`")), "{missing:#?}");
    }

    #[test]
    fn an_admin_token_written_in_the_artifact_fails_and_other_written_values_do_not() {
        let mut all = deployed(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID", "TINYBIRD_PIPE_NAMES"]);
        assert_eq!(findings(&all, &jwt("9.0.1"), CODE), []);
        all.written_secrets.push("TINYBIRD_ADMIN_TOKEN".into());
        let found = findings(&all, &jwt("9.0.1"), CODE);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].fails && found[0].message.contains("has its value written in the artifact"), "{found:#?}");
    }

    #[test]
    fn warnings_do_not_fail() {
        let mut extra = deployed(&["TINYBIRD_ADMIN_TOKEN", "TINYBIRD_WORKSPACE_ID", "TINYBIRD_PIPE_NAMES", "UNUSED"]);
        extra.triggers[0].version = Some("v2".into());
        let found = findings(&extra, &jwt("latest"), CODE);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found.iter().all(|f| !f.fails), "{found:#?}");
        extra.triggers[0].id = "post-user-registration".into();
        extra.runtime = Some("node16".into());
        let kinds: Vec<DriftKind> =
            findings(&extra, &jwt("9.0.1"), CODE).into_iter().filter(|f| f.fails).map(|f| f.kind).collect();
        assert_eq!(kinds, [DriftKind::Trigger, DriftKind::Runtime]);
    }

    #[test]
    fn only_exact_versions_have_a_major() {
        assert_eq!(major_of("8.5.1"), Some(8));
        assert_eq!(major_of("v9.0.1"), Some(9));
        assert_eq!(major_of("^9.0.1"), None);
        assert_eq!(major_of("latest"), None);
    }
}
