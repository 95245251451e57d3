//! Where an action's code and declared dependencies come from: a `.js` file, or a folder in the Auth0
//! Marketplace layout (`integration.action.js` + `configuration.json`).

use serde::Deserialize;
use std::path::{Path, PathBuf};

use super::NodeError;

/// An npm package an action declares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dependency {
    /// The package name.
    pub name: String,
    /// The exact version (or any npm version range).
    pub version: String,
}

/// An action ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionSource {
    /// The JavaScript file exporting `onExecutePostLogin`.
    pub file: PathBuf,
    /// Declared dependencies, when the action came from a Marketplace folder; `None` for a bare file,
    /// which gets the runtime's own `jsonwebtoken@9.0.1`.
    pub dependencies: Option<Vec<Dependency>>,
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
    /// Reads a `.js`/`.mjs`/`.cjs` file or a Marketplace folder.
    pub fn load(path: &Path) -> Result<ActionSource, NodeError> {
        let err = |message: String| NodeError::Action { path: path.to_owned(), message };
        let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
        if meta.is_file() {
            return Ok(ActionSource { file: path.to_owned(), dependencies: None });
        }
        let file = path.join("integration.action.js");
        if !file.is_file() {
            return Err(err(
                "a folder must be in the Marketplace layout, with integration.action.js (and configuration.json)"
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
        Ok(ActionSource { file, dependencies: Some(dependencies) })
    }
}
