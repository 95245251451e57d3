//! Terraform configurations holding the Auth0 provider's `auth0_action` resources: `code` given as a
//! string, a heredoc, `file(...)`, `templatefile(...)` or a `local_file` data source's `content` (paths
//! relative to the configuration's folder, `path.module` and `path.root` being that folder), with
//! `dependencies`, `secrets` and `supported_triggers` blocks.

use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Body, Expression};

use super::{read_text, Code, DeclaredAction};
use crate::node::{Dependency, NodeError, Trigger};

/// The `auth0_action` resources of a `.tf` file or of the `.tf` files of a folder, or `None` when `path`
/// is neither (or a folder with no `.tf` file).
pub(super) fn read(path: &Path) -> Result<Option<Vec<DeclaredAction>>, NodeError> {
    let files: Vec<PathBuf> = if path.is_file() {
        if path.extension().is_none_or(|e| e != "tf") {
            return Ok(None);
        }
        vec![path.to_owned()]
    } else if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|source| NodeError::Io { path: path.to_owned(), source })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
            .collect();
        files.sort();
        files
    } else {
        return Ok(None);
    };
    if files.is_empty() {
        return Ok(None);
    }
    let mut bodies = Vec::new();
    for file in &files {
        let body: Body = hcl::parse(&read_text(file)?)
            .map_err(|e| NodeError::Action { path: file.clone(), message: format!("not HCL: {e}") })?;
        bodies.push((file, body));
    }
    let folder = files[0].parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let folder = std::path::absolute(folder).unwrap_or_else(|_| folder.to_owned());
    let context = context(&folder, &bodies)?;
    let mut actions = Vec::new();
    for (file, body) in &bodies {
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            if block.identifier() == "resource" && labels.first() == Some(&"auth0_action") {
                let label = labels.get(1).copied().unwrap_or_default();
                actions.push(resource(file, &folder, &context, label, block.body())?);
            }
        }
    }
    if actions.is_empty() {
        let what = if path.is_dir() { "its .tf files hold" } else { "it holds" };
        return Err(NodeError::Action {
            path: path.to_owned(),
            message: format!("{what} no `resource \"auth0_action\"`"),
        });
    }
    Ok(Some(actions))
}

/// What evaluating the configuration knows: `path.module`, `path.root` and `path.cwd`, all the folder,
/// and the `content` and `filename` of its `local_file` data sources.
fn context(folder: &Path, bodies: &[(&PathBuf, Body)]) -> Result<Context<'static>, NodeError> {
    let mut path = hcl::Map::new();
    let dir = hcl::Value::String(folder.display().to_string());
    for key in ["module", "root", "cwd"] {
        path.insert(key.to_owned(), dir.clone());
    }
    let mut context = Context::new();
    context.declare_var("path", hcl::Value::Object(path));
    let mut local_files = hcl::Map::new();
    for (file, body) in bodies {
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            if block.identifier() != "data" || labels.first() != Some(&"local_file") {
                continue;
            }
            let name = labels.get(1).copied().unwrap_or_default();
            let err = |message: String| NodeError::Action {
                path: (*file).clone(),
                message: format!("data.local_file.{name}: {message}"),
            };
            let filename = match block.body().attributes().find(|a| a.key.as_str() == "filename") {
                Some(a) => a.expr.evaluate(&context).map_err(|e| err(format!("`filename`: {e}")))?,
                None => return Err(err("has no `filename`".into())),
            };
            let Some(filename) = filename.as_str() else { return Err(err("`filename` is not a string".into())) };
            let content = read_text(&folder.join(filename))?;
            let mut data = hcl::Map::new();
            data.insert("content".to_owned(), hcl::Value::String(content));
            data.insert("filename".to_owned(), hcl::Value::String(filename.to_owned()));
            local_files.insert(name.to_owned(), hcl::Value::Object(data));
        }
    }
    let mut data = hcl::Map::new();
    data.insert("local_file".to_owned(), hcl::Value::Object(local_files));
    context.declare_var("data", hcl::Value::Object(data));
    Ok(context)
}

/// `templatefile(PATH, VARS)`: the file at PATH, relative to `folder`, as a Terraform template with VARS.
fn templatefile(folder: &Path, context: &Context, args: &[Expression]) -> Result<String, String> {
    let [path, vars] = args else { return Err("templatefile takes a path and an object of variables".into()) };
    let path = path.evaluate(context).map_err(|e| e.to_string())?;
    let path = folder.join(path.as_str().ok_or("the path is not a string")?);
    let text = read_text(&path).map_err(|e| e.to_string())?;
    let template: hcl::Template = text.parse().map_err(|e| format!("{}: not a template: {e}", path.display()))?;
    let mut variables = Context::new();
    match vars.evaluate(context).map_err(|e| e.to_string())? {
        hcl::Value::Object(map) => map.into_iter().for_each(|(k, v)| variables.declare_var(k, v)),
        _ => return Err("the variables are not an object".into()),
    }
    template.evaluate(&variables).map_err(|e| format!("{}: {e}", path.display()))
}

fn resource(
    file: &Path,
    folder: &Path,
    context: &Context,
    label: &str,
    body: &Body,
) -> Result<DeclaredAction, NodeError> {
    let file_name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    let origin = format!("{file_name}: auth0_action.{label}");
    let err = |message: String| NodeError::Action {
        path: file.to_owned(),
        message: format!("auth0_action.{label}: {message}"),
    };
    let attribute = |key: &str| body.attributes().find(|a| a.key.as_str() == key).map(|a| &a.expr);
    let string = |key: &str, expr: &Expression| -> Result<String, NodeError> {
        match expr.evaluate(context) {
            Ok(hcl::Value::String(s)) => Ok(s),
            Ok(other) => Err(err(format!("`{key}` is {other:?}, not a string"))),
            Err(e) => Err(err(format!(
                "`{key}`: tbjwt cannot evaluate it ({e}); it reads strings, heredocs, file(...), templatefile(...) and \
                 data.local_file.NAME.content, with path.module"
            ))),
        }
    };
    let code = match attribute("code") {
        None => return Err(err("has no `code`".into())),
        Some(Expression::FuncCall(call)) if call.name.name.as_str() == "file" && call.args.len() == 1 => {
            let written = string("code", &call.args[0])?;
            let path = folder.join(&written);
            if !path.is_file() {
                return Err(err(format!("`code = file(\"{written}\")`: no such file {}", path.display())));
            }
            Code::File(path)
        }
        Some(Expression::FuncCall(call)) if call.name.name.as_str() == "templatefile" => Code::Inline(
            templatefile(folder, context, &call.args).map_err(|e| err(format!("`code = templatefile(...)`: {e}")))?,
        ),
        Some(expr) => Code::Inline(string("code", expr)?),
    };
    let name = match attribute("name") {
        Some(expr) => string("name", expr).unwrap_or_else(|_| label.to_owned()),
        None => label.to_owned(),
    };
    let runtime = attribute("runtime").map(|e| string("runtime", e)).transpose()?;
    let blocks = |kind: &'static str| body.blocks().filter(move |b| b.identifier() == kind);
    let field = |block: &Body, kind: &str, key: &str| -> Result<Option<String>, NodeError> {
        block
            .attributes()
            .find(|a| a.key.as_str() == key)
            .map(|a| string(&format!("{kind}.{key}"), &a.expr))
            .transpose()
    };
    let required = |block: &Body, kind: &str, key: &str| -> Result<String, NodeError> {
        field(block, kind, key)?.ok_or_else(|| err(format!("a `{kind}` block without `{key}`")))
    };
    let mut dependencies = Vec::new();
    for block in blocks("dependencies") {
        let name = required(block.body(), "dependencies", "name")?;
        let version = required(block.body(), "dependencies", "version")?;
        dependencies.push(Dependency { name, version });
    }
    let mut secrets = Vec::new();
    let mut written_secrets = Vec::new();
    for block in blocks("secrets") {
        let name = required(block.body(), "secrets", "name")?;
        // A literal value (a string with no interpolation) is a secret written into the configuration.
        let value = block.body().attributes().find(|a| a.key.as_str() == "value").map(|a| &a.expr);
        if matches!(value, Some(Expression::String(text)) if !text.trim().is_empty()) {
            written_secrets.push(name.clone());
        }
        secrets.push(name);
    }
    let mut triggers = Vec::new();
    for block in blocks("supported_triggers") {
        let id = required(block.body(), "supported_triggers", "id")?;
        triggers.push(Trigger { id, version: field(block.body(), "supported_triggers", "version")? });
    }
    Ok(DeclaredAction {
        origin,
        file: file.to_owned(),
        name,
        aliases: vec![label.to_owned()],
        code,
        runtime,
        dependencies,
        secrets,
        written_secrets,
        triggers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DeclaredAction, NodeError> {
        let dir = std::env::temp_dir().join(format!("tbjwt-tf-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(dir.join("actions")).unwrap();
        std::fs::write(dir.join("actions/a.js"), "exports.onExecutePostLogin = async () => {};").unwrap();
        std::fs::write(dir.join("main.tf"), text).unwrap();
        let read = read(&dir.join("main.tf")).map(|a| a.expect("a .tf file").remove(0));
        std::fs::remove_dir_all(&dir).unwrap();
        read
    }

    #[test]
    fn code_as_file_heredoc_or_string_and_every_declaration_are_read() {
        let action = parse(
            r#"resource "auth0_action" "tb" {
  name    = "tinybird-jwt"
  runtime = "node18"
  code    = file("${path.module}/actions/a.js")
  supported_triggers {
    id      = "post-login"
    version = "v3"
  }
  dependencies {
    name    = "jsonwebtoken"
    version = "9.0.1"
  }
  secrets {
    name  = "TINYBIRD_ADMIN_TOKEN"
    value = var.admin_token
  }
}"#,
        )
        .unwrap();
        assert_eq!(action.name, "tinybird-jwt");
        assert_eq!(action.origin, "main.tf: auth0_action.tb");
        assert!(matches!(&action.code, Code::File(p) if p.ends_with("actions/a.js")), "{:?}", action.code);
        assert_eq!(action.runtime.as_deref(), Some("node18"));
        assert_eq!(action.dependencies, [Dependency { name: "jsonwebtoken".into(), version: "9.0.1".into() }]);
        assert_eq!(action.secrets, ["TINYBIRD_ADMIN_TOKEN"]);
        assert_eq!(action.triggers, [Trigger { id: "post-login".into(), version: Some("v3".into()) }]);

        // A heredoc's `$${` is JavaScript's `${`.
        let heredoc =
            parse("resource \"auth0_action\" \"tb\" {\n  code = <<-EOT\n    const a = `$${1}`;\n  EOT\n}\n").unwrap();
        assert_eq!(heredoc.code, Code::Inline("const a = `${1}`;\n".into()));
        assert_eq!(heredoc.name, "tb");
        let e = parse("resource \"auth0_action\" \"tb\" {\n  code = var.code\n}\n").unwrap_err();
        assert!(e.to_string().contains("main.tf: auth0_action.tb: `code`: tbjwt cannot evaluate it"), "{e}");
        assert!(!e.to_string().contains("main.tf: main.tf"), "{e}");
        // A template file with its variables, and a local_file data source.
        let templated = parse(
            "resource \"auth0_action\" \"tb\" {\n  code = templatefile(\"${path.module}/actions/a.js\", { x = 1 })\n}\n",
        )
        .unwrap();
        assert_eq!(templated.code, Code::Inline("exports.onExecutePostLogin = async () => {};".into()));
        let data = parse(
            "data \"local_file\" \"code\" {\n  filename = \"actions/a.js\"\n}\nresource \"auth0_action\" \"tb\" {\n  code = data.local_file.code.content\n}\n",
        )
        .unwrap();
        assert_eq!(data.code, Code::Inline("exports.onExecutePostLogin = async () => {};".into()));
        let e = parse("resource \"auth0_action\" \"tb\" {\n  code = file(\"b.js\")\n}\n").unwrap_err();
        assert!(e.to_string().contains("`code = file(\"b.js\")`: no such file"), "{e}");
    }
}
