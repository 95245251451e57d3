//! Implementation names, as users write them everywhere (CLI, config, reports), parsed, then started.

use std::path::PathBuf;
use std::str::FromStr;

use super::{Launcher, ProgramRunner, ReferenceRunner, Runner, RunnerSettings};
use crate::node::{ActionSource, NodeError};

/// A parsed implementation name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implementation {
    /// `reference`: the built-in spec.
    Reference,
    /// `node:PATH`: an Auth0 Action (`.js` file, Marketplace folder, Deploy CLI export or Terraform
    /// configuration) in the Node.js runtime emulation.
    Node(PathBuf),
    /// `cmd:COMMAND LINE`: a protocol program (the line split as a POSIX shell would, without expansion).
    Cmd(Vec<String>),
    /// `http://…` or `https://…`: an endpoint taking `run` messages as POSTs.
    Http(String),
}

/// The accepted forms, for error messages and `--help`.
pub const ACCEPTED_FORMS: &str = "reference | node:PATH (an Auth0 Action: .js file, Marketplace folder, Deploy CLI \
export or Terraform .tf) | \
cmd:COMMAND LINE (a program speaking protocol v1 on stdin/stdout) | http://URL or https://URL (an endpoint taking protocol v1 run messages)";

/// A name that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not an implementation name{hint}; use one of: {ACCEPTED_FORMS}")]
pub struct ImplementationParseError {
    name: String,
    hint: String,
}

/// A runner could not be prepared (before any case ran).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Node.js, npm, or the action folder.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// This build leaves the runner out (the library without its `full` feature has no HTTP client).
    #[error("{0} runners need the harness's `full` feature")]
    NotBuilt(&'static str),
    /// `--action` or secret names given for an implementation that is no `node:` artifact.
    #[error("--action and --secret-name apply to a node: artifact, not to {0}")]
    NotAnArtifact(String),
}

impl FromStr for Implementation {
    type Err = ImplementationParseError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let fail = |hint: String| ImplementationParseError { name: name.to_owned(), hint };
        if name == "reference" {
            return Ok(Implementation::Reference);
        }
        if let Some(path) = name.strip_prefix("node:") {
            if path.is_empty() {
                return Err(fail(" (node: needs a path)".into()));
            }
            return Ok(Implementation::Node(PathBuf::from(path)));
        }
        if let Some(line) = name.strip_prefix("cmd:") {
            return match shlex::split(line) {
                Some(argv) if !argv.is_empty() => Ok(Implementation::Cmd(argv)),
                Some(_) => Err(fail(" (cmd: needs a command line)".into())),
                None => Err(fail(" (the command line has an unclosed quote)".into())),
            };
        }
        if name.starts_with("http://") || name.starts_with("https://") {
            return Ok(Implementation::Http(name.to_owned()));
        }
        let action_like = [".js", ".mjs", ".cjs", ".tf", ".yaml", ".yml"].iter().any(|e| name.ends_with(e));
        let hint = if action_like || std::path::Path::new(name).is_dir() {
            format!(" (did you mean node:{name}?)")
        } else {
            String::new()
        };
        Err(fail(hint))
    }
}

impl std::fmt::Display for Implementation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Implementation::Reference => f.write_str("reference"),
            Implementation::Node(path) => write!(f, "node:{}", path.display()),
            Implementation::Cmd(argv) => {
                write!(f, "cmd:{}", shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" ")))
            }
            Implementation::Http(url) => f.write_str(url),
        }
    }
}

impl Implementation {
    /// Prepares a runner: installs what a Node action needs; processes start on first use.
    pub fn runner(&self, settings: RunnerSettings) -> Result<Box<dyn Runner>, StartError> {
        Ok(match self {
            Implementation::Reference => Box::new(ReferenceRunner),
            Implementation::Node(path) => {
                let action = ActionSource::load(path, &settings.artifact)?;
                let runtime = action_runtime(&action).unwrap_or(settings.runtime);
                Box::new(ProgramRunner::new(
                    Launcher::node(self.to_string(), &action, &settings.sandbox, runtime)?,
                    settings,
                ))
            }
            Implementation::Cmd(argv) => Box::new(ProgramRunner::new(Launcher::program(argv), settings)),
            #[cfg(feature = "full")]
            Implementation::Http(url) => Box::new(super::HttpRunner::new(url, settings)),
            #[cfg(not(feature = "full"))]
            Implementation::Http(_) => return Err(StartError::NotBuilt("http")),
        })
    }
}

impl Implementation {
    /// The deployed artifact (a Deploy CLI export, a Terraform configuration) a `node:` name holds, with
    /// the action `choice` names; `None` for any other implementation, or a `node:` file or Marketplace
    /// folder. A choice for an implementation that is no `node:` is refused.
    pub fn deployed_action(&self, choice: &crate::node::ArtifactChoice) -> Result<Option<ActionSource>, StartError> {
        let Implementation::Node(path) = self else {
            if *choice != crate::node::ArtifactChoice::default() {
                return Err(StartError::NotAnArtifact(self.to_string()));
            }
            return Ok(None);
        };
        let action = ActionSource::load(path, choice)?;
        Ok(action.deployed.is_some().then_some(action))
    }
}

/// The runtime an action's artifact declares, when it is one tbjwt emulates: that one runs it.
pub fn action_runtime(action: &ActionSource) -> Option<super::ActionsRuntime> {
    action.deployed.as_ref()?.runtime.as_deref().and_then(super::ActionsRuntime::named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_explains_mistakes() {
        assert_eq!("reference".parse(), Ok(Implementation::Reference));
        assert_eq!("node:a/b".parse(), Ok(Implementation::Node("a/b".into())));
        assert_eq!(
            "cmd:python3 'my port.py' --x".parse(),
            Ok(Implementation::Cmd(vec!["python3".into(), "my port.py".into(), "--x".into()]))
        );
        assert_eq!("https://x/y".parse(), Ok(Implementation::Http("https://x/y".into())));
        let e = "action.js".parse::<Implementation>().unwrap_err().to_string();
        assert!(e.contains("node:action.js") && e.contains("cmd:COMMAND LINE"), "{e}");
        assert!("cmd:".parse::<Implementation>().is_err());
        assert!("cmd:a 'b".parse::<Implementation>().unwrap_err().to_string().contains("quote"));
        assert!("node:".parse::<Implementation>().is_err());
        let round = Implementation::Cmd(vec!["python3".into(), "my port.py".into()]);
        assert_eq!(round.to_string().parse(), Ok(round));
    }
}
