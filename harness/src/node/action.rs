//! Where an action's code and declared dependencies come from: a `.js` file, a folder in the Auth0
//! Marketplace layout (`integration.action.js` + `configuration.json`), or a deployed artifact (a Deploy
//! CLI export, Terraform's `auth0_action`), which also says what the action is given.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::custom::CustomInputs;
use super::NodeError;

/// An npm package an action declares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dependency {
    /// The package name.
    pub name: String,
    /// The exact version (or any npm version range).
    pub version: String,
}

/// A trigger an action supports.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Trigger {
    /// Its id (`post-login`).
    pub id: String,
    /// Its version (`v3`), when declared.
    #[serde(default)]
    pub version: Option<String>,
}

/// Which action of an artifact to run and how it is given the reference's inputs: `--action` and the
/// `secret_names` mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArtifactChoice {
    /// The action's name (or Terraform label), where the artifact holds several.
    pub action: Option<String>,
    /// Reference input → the secret name the action reads it under, where it is not the input's own.
    pub secret_names: BTreeMap<String, String>,
}

/// What a deployed artifact declares of the action besides its code and dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    /// Where it is declared (`tenant.yaml: actions[0]`, `main.tf: auth0_action.tb`).
    pub origin: String,
    /// The file declaring it.
    pub file: PathBuf,
    /// The runtime it declares.
    pub runtime: Option<String>,
    /// The triggers it supports.
    pub triggers: Vec<Trigger>,
    /// The declared secrets whose value is written in the artifact itself.
    pub written_secrets: Vec<String>,
    /// What it is given: the declared secrets, and the names the reference's inputs come under.
    pub inputs: CustomInputs,
}

/// An action ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSource {
    /// The JavaScript file exporting `onExecutePostLogin`.
    pub file: PathBuf,
    /// Declared dependencies, when the action came from a Marketplace folder or an artifact; `None` for a
    /// bare file, which gets the runtime's own `jsonwebtoken@9.0.1`.
    pub dependencies: Option<Vec<Dependency>>,
    /// What a deployed artifact declares; `None` for a file or a Marketplace folder.
    pub deployed: Option<Deployed>,
}

#[derive(Deserialize)]
struct Configuration {
    #[serde(default)]
    dependencies: DependencyList,
}

/// `dependencies` as Marketplace folders write it (a list of `{name, version}`) or as package.json does
/// (an object of name → version).
#[derive(Deserialize, Default)]
#[serde(untagged)]
enum DependencyList {
    #[default]
    None,
    List(Vec<Dependency>),
    Map(serde_json::Map<String, serde_json::Value>),
}

impl ActionSource {
    /// Reads a `.js`/`.mjs`/`.cjs` file, a Marketplace folder, or the action `choice` names in a Deploy
    /// CLI export or a Terraform configuration.
    pub fn load(path: &Path, choice: &ArtifactChoice) -> Result<ActionSource, NodeError> {
        let err = |message: String| NodeError::Action { path: path.to_owned(), message };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
        #[cfg(feature = "full")]
        if let Some(actions) = super::artifact::read(path)? {
            return Self::deployed(path, actions, choice);
        }
        if *choice != ArtifactChoice::default() {
            return Err(err(
                "--action and secret names apply to a Deploy CLI export or a Terraform configuration, which this is not"
                    .into(),
            ));
        }
        if meta.is_file() {
            return Ok(ActionSource { file: path.to_owned(), dependencies: None, deployed: None });
        }
        let file = path.join("integration.action.js");
        if !file.is_file() {
            return Err(err(
                "a folder must be an Auth0 Marketplace folder (integration.action.js and configuration.json), a \
                 Deploy CLI export (tenant.yaml, or actions/*.json) or a Terraform configuration (*.tf)"
                    .into(),
            ));
        }
        let config_path = path.join("configuration.json");
        let dependencies = match std::fs::read_to_string(&config_path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(NodeError::Action { path: config_path, message: e.to_string() }),
            Ok(text) => {
                let config: Configuration = serde_json::from_str(&text).map_err(|e| NodeError::Action {
                    path: config_path.clone(),
                    message: format!(
                        "not a Marketplace configuration ({e}); `dependencies` is a list of {{\"name\", \"version\"}}"
                    ),
                })?;
                match config.dependencies {
                    DependencyList::None => Vec::new(),
                    DependencyList::List(list) => list,
                    DependencyList::Map(map) => map
                        .into_iter()
                        .map(|(name, v)| match v {
                            serde_json::Value::String(version) => Ok(Dependency { name, version }),
                            other => Err(NodeError::Action {
                                path: config_path.clone(),
                                message: format!("dependencies.{name}: the version must be a string, not {other}"),
                            }),
                        })
                        .collect::<Result<_, _>>()?,
                }
            }
        };
        Ok(ActionSource { file, dependencies: Some(dependencies), deployed: None })
    }

    /// The action `choice` names among an artifact's `actions`.
    #[cfg(feature = "full")]
    fn deployed(
        path: &Path,
        actions: Vec<super::artifact::DeclaredAction>,
        choice: &ArtifactChoice,
    ) -> Result<ActionSource, NodeError> {
        let action = super::artifact::select(path, actions, choice.action.as_deref())?;
        let file = match action.code {
            super::artifact::Code::File(file) => file,
            super::artifact::Code::Inline(code) => super::artifact::materialize(&code)?,
        };
        let inputs =
            CustomInputs::new(action.secrets.iter().cloned().collect(), &choice.secret_names).map_err(|message| {
                NodeError::Action { path: path.to_owned(), message: format!("secret_names: {message}") }
            })?;
        let deployed = Deployed {
            origin: action.origin,
            file: action.file,
            runtime: action.runtime,
            triggers: action.triggers,
            written_secrets: action.written_secrets,
            inputs,
        };
        Ok(ActionSource { file, dependencies: Some(action.dependencies), deployed: Some(deployed) })
    }

    /// The drift between a deployed artifact and its code (none for a file or a Marketplace folder).
    #[cfg(feature = "full")]
    pub fn drift(&self) -> Result<Vec<super::artifact::drift::DriftFinding>, NodeError> {
        let Some(deployed) = &self.deployed else { return Ok(Vec::new()) };
        let code = super::artifact::read_text(&self.file)?;
        Ok(super::artifact::drift::findings(deployed, self.dependencies.as_deref().unwrap_or_default(), &code))
    }
}
