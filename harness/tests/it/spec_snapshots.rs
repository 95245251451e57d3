//! The reference outcome of every fixture at its clock (default 1764000000), as an insta snapshot under
//! `snapshots/`. A changed or missing snapshot fails; review with `cargo insta review`.

use crate::common;

use harness::clock::Now;
use harness::js::JsValue;
use harness::review::review_evaluation;

#[test]
fn reference_outcome_of_every_fixture() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(common::repo_root().join("snapshots/spec"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    let _guard = settings.bind_to_scope();
    for case in common::fixture_cases() {
        let now = case.now_or(Now::DEFAULT);
        let evaluation = harness::spec::evaluate(&JsValue::from_json(&case.event), now);
        let admin_token = case.event.pointer("/secrets/TINYBIRD_ADMIN_TOKEN").and_then(|v| v.as_str());
        let review = review_evaluation(&evaluation, admin_token);
        insta::with_settings!({ description => format!("{} (now = {now})", case.description), info => &case.rules }, {
            insta::assert_yaml_snapshot!(case.name.as_str(), review);
        });
    }
}
