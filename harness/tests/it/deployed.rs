//! Deployed artifacts as implementations (docs/deployed.md): a Deploy CLI export (YAML and directory
//! formats) and a Terraform configuration of a custom-Action port conform; the same artifacts with a
//! secret's declaration removed, with `jsonwebtoken` declared at 8.5.1, or with the secrets renamed and
//! not mapped, are reported as drift and fail the gate; choosing an action and the artifact's runtime are
//! checked before any case runs.

use crate::common::{self, code, repo_root, text, TempDir};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn deployed(name: &str) -> PathBuf {
    repo_root().join("fixtures/implementations/deployed").join(name)
}

/// A copy of the deployed fixtures in `dir`, to edit.
fn copy_fixtures(dir: &TempDir) -> PathBuf {
    let target = dir.path("deployed");
    let status = std::process::Command::new("cp").arg("-r").arg(deployed("")).arg(&target).status().unwrap();
    assert!(status.success());
    target
}

/// `path` with the first `from` replaced by `to`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} holds no {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// `tbjwt check node:ARTIFACT EXTRA… --report json=… --report sarif=…` on the suite and 30 generated
/// cases: its output and its report's records.
fn check(artifact: &Path, extra: &[&str], dir: &TempDir, name: &str) -> (std::process::Output, Vec<Value>) {
    let report = dir.path(&format!("{name}.jsonl"));
    let implementation = format!("node:{}", artifact.display());
    let mut args = vec!["check", &implementation, "--seed", "1", "--cases", "30", "--no-save"];
    args.extend_from_slice(extra);
    let json = format!("json={}", report.display());
    let sarif = format!("sarif={}", dir.arg(&format!("{name}.sarif")));
    args.extend(["--report", &json, "--report", &sarif]);
    let out = common::run_tbjwt(&args);
    let records = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out, records)
}

fn footer(records: &[Value]) -> &Value {
    records.iter().find(|r| r["type"] == "footer").expect("a footer")
}

fn failing_drift(records: &[Value]) -> Vec<String> {
    footer(records)["drift"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["fails"] == true)
        .map(|d| format!("{}: {}", d["kind"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect()
}

#[test]
fn a_deploy_cli_export_and_a_terraform_configuration_of_a_custom_action_port_conform() {
    let dir = TempDir::new("deployed-conform");
    // The directory format: actions/NAME.json beside the code, its path as an export written elsewhere
    // records it.
    let directory = dir.path("directory-export");
    std::fs::create_dir_all(directory.join("actions/tinybird-jwt")).unwrap();
    std::fs::copy(deployed("deploy-cli/actions/tinybird-jwt/code.js"), directory.join("actions/tinybird-jwt/code.js"))
        .unwrap();
    let entry = serde_json::json!({
        "name": "tinybird-jwt",
        "code": "./exports/tenant/actions/tinybird-jwt/code.js",
        "runtime": "node22",
        "dependencies": [{"name": "jsonwebtoken", "version": "9.0.1"}],
        "secrets": [{"name": "TINYBIRD_ADMIN_TOKEN"}, {"name": "TINYBIRD_WORKSPACE_ID"}, {"name": "TINYBIRD_PIPE_NAMES"}],
        "supported_triggers": [{"id": "post-login", "version": "v3"}],
        "deployed": true,
        "status": "built"
    });
    std::fs::write(directory.join("actions/tinybird-jwt.json"), serde_json::to_string_pretty(&entry).unwrap()).unwrap();

    let runs: [(&str, PathBuf, &[&str], &str); 4] = [
        (
            "yaml",
            deployed("deploy-cli"),
            &[],
            "node22 (module-level code once per case, kept for its later logins, as tenant.yaml: actions[0] declares)",
        ),
        ("directory", directory, &[], "as actions/tinybird-jwt.json declares"),
        (
            "terraform",
            deployed("terraform/main.tf"),
            &["--action", "tinybird_jwt"],
            "as main.tf: auth0_action.tinybird_jwt declares",
        ),
        (
            "heredoc",
            deployed("terraform"),
            &["--action", "tinybird-jwt-inline"],
            "node18 (module-level code at every execution, as main.tf: auth0_action.tinybird_jwt_inline declares)",
        ),
    ];
    for (name, artifact, extra, runtime) in runs {
        let (out, records) = check(&artifact, extra, &dir, name);
        assert_eq!(code(&out), 0, "{name}: {}", text(&out));
        assert!(text(&out).contains(runtime), "{name}: {}", text(&out));
        assert!(footer(&records).get("drift").is_none(), "{name}: {}", footer(&records));
        let cases = records.iter().filter(|r| r["type"] == "case").count();
        assert_eq!(cases, 111 + 30, "{name}");
    }
}

#[test]
fn a_secret_declaration_removed_or_jsonwebtoken_at_8_5_1_is_reported_as_drift_and_fails() {
    let dir = TempDir::new("deployed-drift");
    let copy = copy_fixtures(&dir);

    // A secret's declaration removed: the code reads it, Auth0 gives it undefined, no login mints.
    edit(&copy.join("deploy-cli/tenant.yaml"), "      - name: TINYBIRD_PIPE_NAMES\n", "");
    let (out, records) = check(&copy.join("deploy-cli"), &[], &dir, "undeclared");
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert_eq!(
        failing_drift(&records),
        ["secret: the code reads the secret `TINYBIRD_PIPE_NAMES`, which is not declared: Auth0 gives it undefined"]
    );
    assert!(text(&out).contains("DRIFT secret (tenant.yaml: actions[0])"), "{}", text(&out));
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(dir.path("undeclared.sarif")).unwrap()).unwrap();
    let result =
        sarif["runs"][0]["results"].as_array().unwrap().iter().find(|r| r["ruleId"] == "drift/secret").cloned();
    let result = result.expect("a drift result in the SARIF log");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"].as_str().unwrap().ends_with("deploy-cli/tenant.yaml"), "{result}");
    assert!(location["region"]["startLine"].as_u64().is_some(), "{result}");
    crate::adoption::assert_valid_sarif(&sarif);

    // jsonwebtoken declared at 8.5.1 (installed and run at that version): the drift names it, and the
    // cases where 8.x signs with a PEM key that 9.0.1 refuses fail.
    let second = TempDir::new("deployed-drift-8");
    let copy = copy_fixtures(&second);
    // The first resource's dependency (the action from a file).
    edit(&copy.join("terraform/main.tf"), "version = \"9.0.1\"", "version = \"8.5.1\"");
    let (out, records) = check(&copy.join("terraform"), &["--action", "tinybird-jwt"], &dir, "signer");
    assert_eq!(code(&out), 1, "{}", text(&out));
    let drift = failing_drift(&records);
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].starts_with("dependency: `jsonwebtoken@8.5.1` behaves differently"), "{drift:?}");
    let failing: Vec<&str> = records
        .iter()
        .filter(|r| r["type"] == "case" && r["verdict"] == "fail")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(!failing.is_empty() && failing.iter().any(|n| n.contains("pem")), "{failing:?}");
}

#[test]
fn an_admin_token_written_into_the_artifact_fails_the_gate_and_is_never_shown() {
    let dir = TempDir::new("deployed-written");
    let copy = copy_fixtures(&dir);
    let value = "p.made-up-admin-token-written-in-terraform";
    edit(&copy.join("terraform/main.tf"), "value = var.tinybird_admin_token", &format!("value = \"{value}\""));
    let (out, records) = check(&copy.join("terraform"), &["--action", "tinybird_jwt"], &dir, "written");
    assert_eq!(code(&out), 1, "{}", text(&out));
    let drift = failing_drift(&records);
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].contains("`TINYBIRD_ADMIN_TOKEN` (the Tinybird admin token) has its value written"), "{drift:?}");
    for file in ["written.jsonl", "written.sarif"] {
        assert!(!std::fs::read_to_string(dir.path(file)).unwrap().contains(value), "{file} shows the value");
    }
    assert!(!text(&out).contains(value));
}

#[test]
fn secrets_under_other_names_conform_once_mapped_in_the_config_file_or_on_the_command_line() {
    let dir = TempDir::new("deployed-names");
    let copy = copy_fixtures(&dir);
    let yaml = copy.join("deploy-cli/tenant.yaml");
    edit(&yaml, "      - name: TINYBIRD_WORKSPACE_ID\n", "      - name: TB_WORKSPACE\n");
    let code_file = copy.join("deploy-cli/actions/tinybird-jwt/code.js");
    edit(&code_file, "event.secrets.TINYBIRD_WORKSPACE_ID", "event.secrets.TB_WORKSPACE");
    let artifact = copy.join("deploy-cli");

    let (out, records) = check(&artifact, &[], &dir, "unmapped");
    assert_eq!(code(&out), 1, "{}", text(&out));
    assert!(
        failing_drift(&records)
            .iter()
            .any(|d| d.contains("TINYBIRD_WORKSPACE_ID is given as the secret `TINYBIRD_WORKSPACE_ID`")),
        "{:?}",
        failing_drift(&records)
    );

    let (out, _) = check(&artifact, &["--secret-name", "TINYBIRD_WORKSPACE_ID=TB_WORKSPACE"], &dir, "flag");
    assert_eq!(code(&out), 0, "{}", text(&out));
    let config = dir.path("tbjwt.toml");
    std::fs::write(&config, "[secret_names]\nTINYBIRD_WORKSPACE_ID = \"TB_WORKSPACE\"\n").unwrap();
    let (out, _) = check(&artifact, &["--config", &config.display().to_string()], &dir, "config");
    assert_eq!(code(&out), 0, "{}", text(&out));
    // A failing case's replay line carries what chose and fed the action.
    let (out, records) = check(
        &artifact,
        &["--secret-name", "TINYBIRD_WORKSPACE_ID=TB_WORKSPACE", "--action", "tinybird-jwt"],
        &dir,
        "replay",
    );
    assert_eq!(code(&out), 0, "{}", text(&out));
    let header = records.iter().find(|r| r["type"] == "header").unwrap();
    assert!(header["runtime"].as_str().unwrap().contains("tenant.yaml: actions[0]"), "{header}");
    let typo =
        common::run_tbjwt(&["check", &format!("node:{}", artifact.display()), "--secret-name", "TINYBIRD_WORKSPACE=X"]);
    assert_eq!(code(&typo), 2, "{}", text(&typo));
    assert!(text(&typo).contains("`TINYBIRD_WORKSPACE` is not an input of the reference"), "{}", text(&typo));
}

#[test]
fn choosing_the_action_and_its_runtime_are_settled_before_any_case_runs() {
    let terraform = format!("node:{}", deployed("terraform").display());
    let out = common::run_tbjwt(&["check", &terraform]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(
        text(&out).contains("holds several actions (tinybird-jwt, tinybird-jwt-inline): pass --action NAME"),
        "{}",
        text(&out)
    );
    let out = common::run_tbjwt(&["check", &terraform, "--action", "tinybird"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("--action tinybird: no such action here"), "{}", text(&out));
    let out = common::run_tbjwt(&["check", &terraform, "--action", "tinybird_jwt", "--runtime", "node18"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("declares the runtime node22"), "{}", text(&out));
    let bare = format!("node:{}", repo_root().join("fixtures/implementations/tinybird-jwt").display());
    let out = common::run_tbjwt(&["check", &bare, "--action", "x"]);
    assert_eq!(code(&out), 2, "{}", text(&out));
    assert!(text(&out).contains("apply to a Deploy CLI export or a Terraform configuration"), "{}", text(&out));
}

#[test]
fn run_and_vectors_check_take_an_artifact_too() {
    let dir = TempDir::new("deployed-run");
    let artifact = format!("node:{}", deployed("deploy-cli").display());
    let case = repo_root().join("fixtures/events/happy_path_with_roles.json");
    let out = common::run_tbjwt(&["run", &artifact, &case.display().to_string(), "--now", "1700000000"]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let outcome: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["logs"], serde_json::json!(["Tinybird JWT token set for user"]), "{outcome}");
    let out = common::run_tbjwt(&["vectors", "export", &dir.arg("vectors")]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    let out = common::run_tbjwt(&["vectors", "check", &dir.arg("vectors"), &artifact]);
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert!(text(&out).contains(" fail, 0 error") && text(&out).contains("tests left out"), "{}", text(&out));
}
