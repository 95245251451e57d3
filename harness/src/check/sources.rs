//! Where an option's value comes from: the command line, the environment (`TBJWT_` and the option's name
//! in upper snake case) or the config file, the first that has one winning; a value that cannot be used
//! is an error that names its origin (`--cases`, `TBJWT_CASES`, or `` `cases` in tbjwt.toml ``).

use std::fmt;
use std::path::{Path, PathBuf};

/// Options that cannot be used; the message names the option and where its value came from.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OptionsError(pub(super) String);

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (`--cases`).
    Flag(String),
    /// An environment variable (`TBJWT_CASES`).
    Environment(String),
    /// A key of the config file.
    Config {
        /// The key (`cases`).
        key: String,
        /// The config file.
        file: PathBuf,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => f.write_str(flag),
            Origin::Environment(name) => f.write_str(name),
            Origin::Config { key, file } => write!(f, "`{key}` in {}", file.display()),
        }
    }
}

/// The environment variable of `option` (its config-file name): `shrink_steps` → `TBJWT_SHRINK_STEPS`.
pub fn variable(option: &str) -> String {
    format!("TBJWT_{}", option.to_ascii_uppercase())
}

/// The environment a run reads its options from (the process's, or a test's own).
pub type Environment<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The sources besides the command line: the environment, and the config file's path (for errors).
pub struct Sources<'a> {
    /// Looks up an environment variable.
    pub environment: Environment<'a>,
    /// The config file (it may not exist).
    pub config_file: &'a Path,
}

impl Sources<'_> {
    /// The value of `option` (its config-file name) and where it came from: the flag's, else the
    /// environment variable's (parsed by `parse`; an empty one counts as unset), else the config file's.
    pub fn pick<T>(
        &self,
        option: &str,
        flag: Option<T>,
        config: Option<T>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<(T, Origin)>, OptionsError> {
        if let Some(value) = flag {
            return Ok(Some((value, Origin::Flag(format!("--{}", option.replace('_', "-"))))));
        }
        let name = variable(option);
        if let Some(text) = (self.environment)(&name).filter(|t| !t.is_empty()) {
            let value = parse(&text).map_err(|message| OptionsError(format!("{name}: {message}")))?;
            return Ok(Some((value, Origin::Environment(name))));
        }
        Ok(config.map(|value| (value, Origin::Config { key: option.to_owned(), file: self.config_file.to_owned() })))
    }

    /// [`Sources::pick`], with the value checked by `problem` (what is wrong with it, if anything).
    pub fn checked<T>(
        &self,
        option: &str,
        flag: Option<T>,
        config: Option<T>,
        parse: impl Fn(&str) -> Result<T, String>,
        problem: impl Fn(&T) -> Option<String>,
    ) -> Result<Option<T>, OptionsError> {
        match self.pick(option, flag, config, parse)? {
            Some((value, origin)) => match problem(&value) {
                Some(message) => Err(OptionsError(format!("{origin}: {message}"))),
                None => Ok(Some(value)),
            },
            None => Ok(None),
        }
    }
}

/// Parses a whole number.
pub fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| format!("`{text}` is not a whole number in range"))
}

/// Parses a number of seconds.
pub fn seconds(text: &str) -> Result<f64, String> {
    text.trim().parse().map_err(|_| format!("`{text}` is not a number of seconds"))
}

/// Parses one of a `clap::ValueEnum`'s names (as the flag takes them).
pub fn one_of<T: clap::ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text.trim(), true).map_err(|_| {
        let names: Vec<String> =
            T::value_variants().iter().filter_map(|v| v.to_possible_value()).map(|v| v.get_name().to_owned()).collect();
        format!("`{text}` is not one of {}", names.join(", "))
    })
}

/// Takes a path as it is.
pub fn path(text: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources<'a>(environment: Environment<'a>) -> Sources<'a> {
        Sources { environment, config_file: Path::new("ci/tbjwt.toml") }
    }

    #[test]
    fn the_flag_wins_then_the_environment_then_the_config_file() {
        let set = |name: &str| (name == "TBJWT_CASES").then(|| "7".to_owned());
        let unset = |_: &str| None;
        let empty = |_: &str| Some(String::new());
        let pick = |env: Environment<'_>, flag| sources(env).pick("cases", flag, Some(9u64), number).unwrap();
        assert_eq!(pick(&set, Some(5)), Some((5, Origin::Flag("--cases".into()))));
        assert_eq!(pick(&set, None), Some((7, Origin::Environment("TBJWT_CASES".into()))));
        let from_config = Some((9, Origin::Config { key: "cases".into(), file: "ci/tbjwt.toml".into() }));
        assert_eq!(pick(&unset, None), from_config);
        assert_eq!(pick(&empty, None), from_config, "an empty variable is unset");
    }

    #[test]
    fn a_bad_value_names_its_origin() {
        let env = |name: &str| (name == "TBJWT_SHRINK_STEPS").then(|| "many".to_owned());
        let error = sources(&env).pick::<usize>("shrink_steps", None, None, number).unwrap_err();
        assert_eq!(error.to_string(), "TBJWT_SHRINK_STEPS: `many` is not a whole number in range");
        let none = |_: &str| None;
        let too_many = |v: &u64| (*v > 3).then(|| format!("{v} is too many"));
        let error = sources(&none).checked("cases", None, Some(4u64), number, too_many).unwrap_err();
        assert_eq!(error.to_string(), "`cases` in ci/tbjwt.toml: 4 is too many");
        let error = sources(&|_| Some("loose".into())).pick::<crate::compare::Level>("level", None, None, one_of);
        assert_eq!(error.unwrap_err().to_string(), "TBJWT_LEVEL: `loose` is not one of strict, semantic, effect");
    }
}
