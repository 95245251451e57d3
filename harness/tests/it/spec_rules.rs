//! The fixtures' declared rules are honest (each one is applied in the case's trace), and together the
//! fixtures exercise every rule R1–R12 and every message M1–M4.

use crate::common;

use std::collections::BTreeSet;

use harness::clock::Now;
use harness::js::JsValue;
use harness::spec::{self, Rule};

#[test]
fn declared_rules_are_applied_and_cover_r1_to_r12() {
    let mut covered = BTreeSet::new();
    let mut decided = BTreeSet::new();
    let mut messages = BTreeSet::new();
    for case in common::fixture_cases() {
        assert!(!case.description.is_empty(), "{}: a fixture needs a description", case.name);
        assert!(!case.rules.is_empty(), "{}: a fixture declares the rules it exercises", case.name);
        let evaluation = spec::evaluate(&JsValue::from_json(&case.event), case.now_or(Now::DEFAULT));
        for rule in &case.rules {
            assert!(
                evaluation.involves(*rule),
                "{}: declares {rule} but its trace is {:?}",
                case.name,
                evaluation.trace
            );
        }
        covered.extend(case.rules.iter().copied());
        decided.insert(evaluation.deciding_rule());
        messages.extend(evaluation.outcome.logs.clone());
    }
    assert_eq!(covered, Rule::ALL.into_iter().collect::<BTreeSet<_>>());
    // Every way a run can end is reached: each throw, each early return, and the full path.
    for rule in [Rule::R1, Rule::R2, Rule::R3, Rule::R4, Rule::R5, Rule::R6, Rule::R8, Rule::R9, Rule::R12] {
        assert!(decided.contains(&rule), "no fixture ends at {rule}");
    }
    for m in [
        spec::MSG_MISSING_ADMIN_TOKEN,
        spec::MSG_MISSING_WORKSPACE_ID,
        spec::MSG_MISSING_PIPE_NAMES,
        spec::MSG_TOKEN_SET,
    ] {
        assert!(messages.contains(m), "no fixture logs {m:?}");
    }
}
