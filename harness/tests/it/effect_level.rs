//! `--level effect`: what the world sees, not the token's bytes or layout. Ports whose tokens Tinybird
//! treats exactly like the reference's pass; ports that change what a user can read, for how long, under
//! which name or limits, still fail, with the rule that differs.

use crate::common::{code, run_tbjwt, text};

/// A check of `implementation` at `level` over the suite and 300 generated cases (seed 1, nothing saved).
fn check(implementation: &str, level: &str) -> (i32, String) {
    let out = run_tbjwt(&["check", implementation, "--level", level, "--cases", "300", "--seed", "1", "--no-save"]);
    (code(&out), text(&out))
}

#[test]
fn the_published_action_passes_at_every_level() {
    for level in ["strict", "semantic", "effect"] {
        let (code, out) = check("node:fixtures/implementations/published", level);
        assert_eq!(code, 0, "published at {level}: {out}");
    }
}

#[test]
fn layout_the_world_never_sees_passes_at_effect_only() {
    for (port, what) in [
        ("ports/jose_style.js", "header/typ"),
        ("deviant/no_iat.js", "claims/iat"),
        ("deviant/sorts_pipes.js", "claims/scopes"),
        ("deviant/deduplicates_pipes.js", "claims/scopes"),
    ] {
        let implementation = format!("node:fixtures/implementations/{port}");
        let (semantic, out) = check(&implementation, "semantic");
        assert_eq!(semantic, 1, "{port} differs in its token's layout: {out}");
        assert!(out.contains(what), "{port}: {what} named at semantic:\n{out}");
        let (effect, out) = check(&implementation, "effect");
        assert_eq!(effect, 0, "{port} does what the reference does in the world: {out}");
    }
}

#[test]
fn what_the_world_sees_still_fails_at_effect_with_its_rule() {
    for (port, rule, kind) in [
        ("deviant/trims_pipe_names.js", "R7", "access: 403 → 200"),
        ("ports/ghost_style.js", "R7", "access: 200 → 403"),
        ("ports/rate_limited.js", "R10", "token claims/limits"),
        ("deviant/expires_in_one_day.js", "R10", "token claims/exp"),
        ("deviant/other_key.js", "R9", "signature_valid"),
        ("deviant/claim_on_access_token_too.js", "R11", "calls"),
        ("deviant/changed_message.js", "R2", "logs/*"),
    ] {
        let (effect, out) = check(&format!("node:fixtures/implementations/{port}"), "effect");
        assert_eq!(effect, 1, "{port} changes what the world sees: {out}");
        let summary = out.split("Root causes across all failing cases").nth(1).unwrap_or_default();
        let line = summary.lines().find(|l| l.contains(kind)).unwrap_or_else(|| panic!("{port}: {kind}:\n{summary}"));
        let rule_of_line = summary
            .lines()
            .take_while(|l| !std::ptr::eq(*l, line))
            .chain(std::iter::once(line))
            .filter_map(|l| l.split_whitespace().next().filter(|w| w.starts_with('R') || *w == "security"))
            .last();
        assert_eq!(rule_of_line, Some(rule), "{port}: {kind} under {rule}:\n{summary}");
    }
}
