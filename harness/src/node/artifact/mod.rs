//! Deployed Actions as implementations: an Auth0 Deploy CLI export (`tenant.yaml` or the directory
//! format) or Terraform's `auth0_action` resources, read into the action the Node runtime loads and the
//! declarations the gate holds the code to (docs/deployed.md).

mod deploy_cli;
pub mod drift;
mod scan;
mod terraform;

use std::path::{Path, PathBuf};

use super::{Dependency, NodeError, Trigger};

/// An action as an artifact declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAction {
    /// Where it is declared, for messages: `tenant.yaml: actions[0]`, `main.tf: auth0_action.tinybird`.
    pub origin: String,
    /// The file declaring it.
    pub file: PathBuf,
    /// Its name (Terraform's resource label stands in for a name that is not a plain string).
    pub name: String,
    /// Other names it may be chosen by (a Terraform resource's label).
    pub aliases: Vec<String>,
    /// Its code.
    pub code: Code,
    /// The runtime it declares (`node18`, `node22`, ...), if any.
    pub runtime: Option<String>,
    /// Its npm dependencies.
    pub dependencies: Vec<Dependency>,
    /// The names of the secrets it declares.
    pub secrets: Vec<String>,
    /// The names of the declared secrets whose value is written in the artifact itself (a literal, not a
    /// variable or a placeholder). The values are never kept.
    pub written_secrets: Vec<String>,
    /// The triggers it supports.
    pub triggers: Vec<Trigger>,
}

/// Where an action's code is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// In a file.
    File(PathBuf),
    /// Written in the artifact itself (a Terraform string or heredoc).
    Inline(String),
}

/// The actions of the artifact at `path`, or `None` when `path` is no artifact (a `.js` file, a
/// Marketplace folder): a Deploy CLI export folder or its `tenant.yaml`, a `.tf` file or a folder of them.
pub fn read(path: &Path) -> Result<Option<Vec<DeclaredAction>>, NodeError> {
    if let Some(actions) = deploy_cli::read(path)? {
        return Ok(Some(actions));
    }
    terraform::read(path)
}

/// The action `choice` names among `actions` (by name or Terraform label); without a choice, the only
/// action, or the only one on the post-login trigger.
pub fn select(path: &Path, actions: Vec<DeclaredAction>, choice: Option<&str>) -> Result<DeclaredAction, NodeError> {
    let err = |message: String| NodeError::Action { path: path.to_owned(), message };
    let names = || actions.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
    if let Some(choice) = choice {
        let found: Vec<&DeclaredAction> =
            actions.iter().filter(|a| a.name == choice || a.aliases.iter().any(|l| l == choice)).collect();
        return match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(err(format!("--action {choice}: no such action here; it holds {}", names()))),
            _ => Err(err(format!("--action {choice}: several actions have that name"))),
        };
    }
    if actions.len() == 1 {
        return Ok(actions.into_iter().next().expect("one action"));
    }
    let post_login: Vec<&DeclaredAction> =
        actions.iter().filter(|a| a.triggers.iter().any(|t| t.id == "post-login")).collect();
    match post_login.as_slice() {
        [one] => Ok((*one).clone()),
        [] if actions.is_empty() => Err(err("holds no action".into())),
        _ => Err(err(format!("holds several actions ({}): pass --action NAME", names()))),
    }
}

/// A readable text file of an artifact, named in the error.
pub(super) fn read_text(path: &Path) -> Result<String, NodeError> {
    crate::files::read_text_limited(path, crate::files::MAX_TEXT_FILE_BYTES)
        .map_err(|e| NodeError::Action { path: path.to_owned(), message: format!("cannot read: {e}") })
}

/// The file inline code is loaded from: written once into the cache, named by its content.
pub fn materialize(code: &str) -> Result<PathBuf, NodeError> {
    use sha2::{Digest, Sha256};
    let key = hex::encode(&Sha256::digest(code.as_bytes())[..12]);
    let dir = super::cache_root().join("inline-actions");
    let path = dir.join(format!("{key}.js"));
    if crate::files::read_text_limited(&path, crate::files::MAX_TEXT_FILE_BYTES).is_ok_and(|t| t == code) {
        return Ok(path);
    }
    std::fs::create_dir_all(&dir).map_err(|source| NodeError::Io { path: dir.clone(), source })?;
    crate::files::write_replacing(&path, code.as_bytes())
        .map_err(|source| NodeError::Io { path: path.clone(), source })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(name: &str, trigger: &str) -> DeclaredAction {
        DeclaredAction {
            origin: format!("tenant.yaml: {name}"),
            file: PathBuf::from("tenant.yaml"),
            name: name.into(),
            aliases: vec![format!("{name}_label")],
            code: Code::Inline(String::new()),
            runtime: None,
            dependencies: Vec::new(),
            secrets: Vec::new(),
            written_secrets: Vec::new(),
            triggers: vec![Trigger { id: trigger.into(), version: Some("v3".into()) }],
        }
    }

    #[test]
    fn the_post_login_action_is_chosen_unless_there_are_several() {
        let path = Path::new("export");
        let two = vec![action("a", "post-login"), action("b", "pre-user-registration")];
        assert_eq!(select(path, two.clone(), None).unwrap().name, "a");
        assert_eq!(select(path, two.clone(), Some("b_label")).unwrap().name, "b");
        let e = select(path, two, Some("c")).unwrap_err().to_string();
        assert!(e.contains("--action c: no such action here; it holds a, b"), "{e}");
        let both = vec![action("a", "post-login"), action("b", "post-login")];
        let e = select(path, both, None).unwrap_err().to_string();
        assert!(e.contains("holds several actions (a, b): pass --action NAME"), "{e}");
    }
}
