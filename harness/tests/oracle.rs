//! Byte-exactness against the real thing: every fixture runs through the published action in real
//! Node.js with npm `jsonwebtoken@9.0.1` (installed from the committed lock file on first use) and
//! through the spec; the outcomes, tokens included, must be identical.

mod common;

use std::time::Duration;

use harness::event::DEFAULT_NOW;
use harness::js::JsValue;
use harness::node::ActionSource;
use harness::runner::node::NodeWorker;
use harness::runner::protocol::Reply;

#[test]
fn spec_matches_published_action_with_jsonwebtoken_9_0_1_on_every_fixture() {
    let mut action = ActionSource::load(&common::repo_root().join("fixtures/implementations/published"))
        .expect("the published action folder loads");
    action.dependencies = None; // the runtime's own locked jsonwebtoken@9.0.1
    let mut worker = NodeWorker::start(&action).expect("the Node worker starts");
    let mut tokens = 0;
    let cases = common::fixture_cases();
    for case in &cases {
        let now = case.now_or(DEFAULT_NOW);
        let want = harness::spec::outcome(&JsValue::from_json(&case.event), now);
        let got = match worker.run(now, &case.event, None, Duration::from_secs(10)).expect("the worker answers") {
            Reply::Outcome(o) => o,
            Reply::Errored(e) => panic!("{}: the runtime errored: {e}", case.name),
        };
        assert_eq!(
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap(),
            "{}: Node (left) and the spec (right) differ",
            case.name
        );
        tokens += want.string_args_of("user.setAppMetadata").count();
    }
    worker.stop();
    eprintln!("{} fixtures identical to jsonwebtoken@9.0.1, {tokens} tokens byte-for-byte", cases.len());
    assert!(tokens >= 40, "too few fixtures mint a token: {tokens}");
}
