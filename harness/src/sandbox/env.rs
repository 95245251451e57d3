//! The environment an implementation starts with: what its runtime needs, the harness's protocol
//! variables, and the host variables the user named; nothing else of the host's.

use std::ffi::OsString;
use std::path::Path;

/// Host variables every runtime needs: the program search path and the locale.
const RUNTIME_VARS: [&str; 3] = ["PATH", "LANG", "LC_ALL"];

/// The environment of a sandboxed program: `PATH` and the locale from the host (`LANG` defaults to
/// `C.UTF-8`), `HOME` and `TMPDIR`/`TMP`/`TEMP` in its private folder, then `protocol` (the harness's own
/// variables, such as `NODE_PATH`), then each host variable of `pass` that is set.
pub(super) fn scrubbed(
    home: &Path,
    tmp: &Path,
    protocol: &[(OsString, OsString)],
    pass: &[String],
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::new();
    let mut set = |name: OsString, value: OsString| {
        env.retain(|(k, _)| *k != name);
        env.push((name, value));
    };
    for name in RUNTIME_VARS {
        if let Some(value) = std::env::var_os(name) {
            set(name.into(), value);
        }
    }
    if std::env::var_os("LANG").is_none() {
        set("LANG".into(), "C.UTF-8".into());
    }
    set("HOME".into(), home.into());
    for name in ["TMPDIR", "TMP", "TEMP"] {
        set(name.into(), tmp.into());
    }
    for (name, value) in protocol {
        set(name.clone(), value.clone());
    }
    for name in pass {
        if let Some(value) = std::env::var_os(name) {
            set(name.into(), value);
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_runtime_needs_and_what_was_named() {
        let env = scrubbed(
            Path::new("/p/home"),
            Path::new("/p/tmp"),
            &[("NODE_PATH".into(), "/m".into())],
            &["CARGO".into(), "TBJWT_SURELY_UNSET_VARIABLE".into()],
        );
        let names: Vec<String> = env.iter().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
        for must in ["HOME", "TMPDIR", "TMP", "TEMP", "LANG", "NODE_PATH"] {
            assert!(names.iter().any(|n| n == must), "{must} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n == "TBJWT_SURELY_UNSET_VARIABLE"));
        let home = env.iter().find(|(k, _)| k == "HOME").unwrap();
        assert_eq!(home.1, "/p/home");
        // Nothing else of the host's: every name is one of those listed.
        let allowed = ["PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "TMP", "TEMP", "NODE_PATH", "CARGO"];
        assert!(names.iter().all(|n| allowed.contains(&n.as_str())), "{names:?}");
    }
}
