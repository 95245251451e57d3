//! Auth0 Deploy CLI exports: `tenant.yaml` (or `.yml`) with an `actions` list whose `code` names a file,
//! or the directory format, one `actions/NAME.json` per action (the layouts the Deploy CLI's YAML and
//! directory handlers read and write).

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::{read_text, Code, DeclaredAction};
use crate::node::{Dependency, NodeError, Trigger};

/// One action as the Deploy CLI writes it (other keys, such as `deployed` and `status`, are ignored).
#[derive(Deserialize)]
struct Entry {
    name: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    runtime: Option<String>,
    #[serde(default)]
    dependencies: Vec<Dependency>,
    #[serde(default)]
    secrets: Vec<Secret>,
    #[serde(default)]
    supported_triggers: Vec<Trigger>,
}

/// A declared secret. Exports leave its value out; where one is written, only whether it is a literal is
/// kept (the value itself is dropped at once).
#[derive(Deserialize)]
struct Secret {
    name: String,
    #[serde(default, deserialize_with = "literal")]
    value: bool,
}

/// Whether a secret's `value` is written out: a non-empty string that is not a keyword placeholder.
fn literal<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(matches!(value, Some(serde_json::Value::String(text)) if !text.trim().is_empty() && !placeholder(&text)))
}

#[derive(Deserialize)]
struct Tenant {
    #[serde(default)]
    actions: Option<Vec<Entry>>,
}

/// The actions of a Deploy CLI export at `path` (the export's folder or its YAML file), or `None` when
/// `path` is neither.
pub(super) fn read(path: &Path) -> Result<Option<Vec<DeclaredAction>>, NodeError> {
    let yaml = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
    if path.is_file() && yaml(path) {
        return read_yaml(path).map(Some);
    }
    if !path.is_dir() {
        return Ok(None);
    }
    for name in ["tenant.yaml", "tenant.yml"] {
        if path.join(name).is_file() {
            return read_yaml(&path.join(name)).map(Some);
        }
    }
    let folder = path.join("actions");
    if !folder.is_dir() {
        return Ok(None);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|source| NodeError::Io { path: folder.clone(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .collect();
    if files.is_empty() {
        return Ok(None);
    }
    files.sort();
    let mut actions = Vec::new();
    for file in files {
        let entry: Entry = serde_json::from_str(&read_text(&file)?)
            .map_err(|e| NodeError::Action { path: file.clone(), message: format!("not a Deploy CLI action ({e})") })?;
        let origin = format!("{}", file.strip_prefix(path).unwrap_or(&file).display());
        actions.push(declared(entry, origin, None, path, &file)?);
    }
    Ok(Some(actions))
}

fn read_yaml(file: &Path) -> Result<Vec<DeclaredAction>, NodeError> {
    let tenant: Tenant = serde_norway::from_str(&read_text(file)?).map_err(|e| NodeError::Action {
        path: file.to_owned(),
        message: format!("not a Deploy CLI tenant file ({e})"),
    })?;
    let Some(entries) = tenant.actions else {
        return Err(NodeError::Action { path: file.to_owned(), message: "declares no `actions`".into() });
    };
    let base = file.parent().unwrap_or(Path::new("."));
    let file_name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| {
            declared(entry, format!("{file_name}: actions[{i}]"), Some(format!("actions[{i}]")), base, file)
        })
        .collect()
}

/// The action `entry` declares in `file` (at `place` within it, for a list), its code found under `base`.
fn declared(
    entry: Entry,
    origin: String,
    place: Option<String>,
    base: &Path,
    file: &Path,
) -> Result<DeclaredAction, NodeError> {
    let err = |message: String| NodeError::Action {
        path: file.to_owned(),
        message: place.as_ref().map_or_else(|| message.clone(), |p| format!("{p}: {message}")),
    };
    let mut fields: Vec<(String, &str)> = vec![("name".into(), entry.name.as_str())];
    fields.extend(entry.code.as_deref().map(|c| ("code".to_owned(), c)));
    fields.extend(entry.runtime.as_deref().map(|r| ("runtime".to_owned(), r)));
    for (i, d) in entry.dependencies.iter().enumerate() {
        fields.push((format!("dependencies[{i}].name"), d.name.as_str()));
        fields.push((format!("dependencies[{i}].version"), d.version.as_str()));
    }
    for (i, secret) in entry.secrets.iter().enumerate() {
        fields.push((format!("secrets[{i}].name"), secret.name.as_str()));
    }
    for (i, t) in entry.supported_triggers.iter().enumerate() {
        fields.push((format!("supported_triggers[{i}].id"), t.id.as_str()));
    }
    if let Some((field, value)) = fields.iter().find(|(_, v)| placeholder(v)) {
        return Err(err(format!(
            "{field}: `{value}` is a Deploy CLI keyword placeholder; tbjwt does not apply \
             AUTH0_KEYWORD_REPLACE_MAPPINGS: give it an export with the values in place"
        )));
    }
    let Some(code) = entry.code.filter(|c| !c.is_empty()) else {
        return Err(err(format!("action `{}` has no `code`", entry.name)));
    };
    let code_file = locate(base, &code).ok_or_else(|| {
        err(format!("`code: {code}`: no such file under {} (the export's own folder)", base.display()))
    })?;
    Ok(DeclaredAction {
        origin,
        file: file.to_owned(),
        name: entry.name,
        aliases: Vec::new(),
        code: Code::File(code_file),
        runtime: entry.runtime,
        dependencies: entry.dependencies,
        written_secrets: entry.secrets.iter().filter(|s| s.value).map(|s| s.name.clone()).collect(),
        secrets: entry.secrets.into_iter().map(|s| s.name).collect(),
        triggers: entry.supported_triggers,
    })
}

/// Whether `value` holds a Deploy CLI keyword (`@@NAME@@` or `##NAME##`), replaced at deploy time.
fn placeholder(value: &str) -> bool {
    ["@@", "##"].iter().any(|mark| {
        value
            .split(mark)
            .skip(1)
            .step_by(2)
            .zip(value.split(mark).skip(2))
            .any(|(name, _)| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    })
}

/// The file `code` names: the path as written, relative to the export's folder, or (as exports written
/// from another working directory record it) its longest tail that exists under that folder.
fn locate(base: &Path, code: &str) -> Option<PathBuf> {
    let written = Path::new(code);
    if written.is_absolute() && written.is_file() {
        return Some(written.to_owned());
    }
    let parts: Vec<Component> =
        written.components().filter(|c| matches!(c, Component::Normal(_) | Component::ParentDir)).collect();
    (0..parts.len()).map(|skip| base.join(parts[skip..].iter().collect::<PathBuf>())).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_placeholders_are_recognised() {
        assert!(placeholder("##JWT_VERSION##"));
        assert!(placeholder("@@SECRETS@@"));
        assert!(placeholder("v##MAJOR##.0"));
        assert!(!placeholder("9.0.1"));
        assert!(!placeholder("a ## b"));
        assert!(!placeholder("##"));
    }

    #[test]
    fn code_paths_recorded_from_elsewhere_are_found_under_the_export() {
        let dir = std::env::temp_dir().join(format!("tbjwt-deploy-cli-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("actions/a")).unwrap();
        std::fs::write(dir.join("actions/a/code.js"), "x").unwrap();
        assert_eq!(locate(&dir, "./actions/a/code.js"), Some(dir.join("actions/a/code.js")));
        assert_eq!(locate(&dir, "./local/export/actions/a/code.js"), Some(dir.join("actions/a/code.js")));
        assert_eq!(locate(&dir, "./actions/b/code.js"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
