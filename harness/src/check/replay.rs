//! Re-running one case: what `--replay` accepts (a case file, or the name of a built-in case) and the
//! command line every failing case carries, complete and shell-quoted, so that pasting it reproduces the
//! verdict.

use std::path::Path;

use super::{closest, CheckError, CheckSettings, FixtureCase};
use crate::event::{suite, Case};
use crate::report::text::shell_words;

/// The case `--replay TARGET` names: a case file when one exists at that path, else a built-in case.
pub(super) fn resolve(target: &Path) -> Result<FixtureCase, CheckError> {
    if target.exists() {
        return Ok(FixtureCase { case: Case::load(target)?, file: Some(target.to_owned()), generated: false });
    }
    let name = target.to_string_lossy();
    let cases = suite::cases()?;
    if let Some(case) = cases.iter().find(|c| c.name == name) {
        return Ok(FixtureCase { case: case.clone(), file: None, generated: false });
    }
    let hint = closest(&name, cases.iter().map(|c| c.name.as_str()))
        .map(|c| format!(" (did you mean the built-in case `{c}`?)"))
        .unwrap_or_default();
    Err(CheckError::Cases(format!("--replay {name}: no such file, and no built-in case of that name{hint}")))
}

/// The command that runs `target` (a case file's path or a built-in case's name) alone with every option
/// of `settings` that can change its verdict.
pub fn replay_command(settings: &CheckSettings, target: &str) -> String {
    let mut words: Vec<String> =
        vec![settings.program.clone(), "check".into(), settings.implementation.clone(), "--level".into()];
    words.push(settings.level.name().into());
    for observable in &settings.ignore {
        words.push("--ignore".into());
        words.push(observable.key().into());
    }
    if let Some(expectations) = &settings.expectations {
        words.push("--expectations".into());
        words.push(expectations.path.display().to_string());
    }
    let default_timeout = settings
        .implementation
        .parse::<crate::runner::Implementation>()
        .map_or(CheckSettings::default().timeout, |i| super::defaults::Defaults::timeout(&i));
    if settings.timeout != default_timeout {
        words.push("--timeout".into());
        words.push(settings.timeout.as_secs_f64().to_string());
    }
    if settings.runtime != crate::runner::ActionsRuntime::default() {
        words.push("--runtime".into());
        words.push(settings.runtime.name().into());
    }
    if let Some(action) = &settings.artifact.action {
        words.push("--action".into());
        words.push(action.clone());
    }
    for (input, name) in &settings.artifact.secret_names {
        words.push("--secret-name".into());
        words.push(format!("{input}={name}"));
    }
    words.push("--replay".into());
    words.push(target.into());
    shell_words(words.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_command_quotes_every_word() {
        let settings = CheckSettings {
            implementation: "cmd:python3 'my port.py'".into(),
            expectations: None,
            ..CheckSettings::default()
        };
        let line = replay_command(&settings, "saved/$(touch x).json");
        assert_eq!(
            shlex::split(&line).unwrap(),
            ["tbjwt", "check", "cmd:python3 'my port.py'", "--level", "semantic", "--replay", "saved/$(touch x).json"]
        );
        assert!(line.contains("'saved/$(touch x).json'"), "{line}");
    }

    #[test]
    fn the_replay_command_chooses_and_feeds_a_deployed_action_as_the_run_did() {
        let mut settings = CheckSettings { implementation: "node:export".into(), ..CheckSettings::default() };
        settings.artifact.action = Some("tinybird jwt".into());
        settings.artifact.secret_names.insert("TINYBIRD_WORKSPACE_ID".into(), "TB_WS".into());
        let line = replay_command(&settings, "case");
        assert_eq!(
            shlex::split(&line).unwrap()[7..],
            ["--action", "tinybird jwt", "--secret-name", "TINYBIRD_WORKSPACE_ID=TB_WS", "--replay", "case"]
        );
    }

    #[test]
    fn a_built_in_case_replays_by_name_and_a_typo_gets_a_suggestion() {
        assert_eq!(resolve(Path::new("pipes_trailing_comma")).unwrap().case.name, "pipes_trailing_comma");
        let e = resolve(Path::new("pipes_trailing_coma")).unwrap_err().to_string();
        assert!(e.contains("did you mean the built-in case `pipes_trailing_comma`"), "{e}");
    }
}
