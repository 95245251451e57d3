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
    let mut action =
        ActionSource::load(&common::repo_root().join("fixtures/implementations/published"))
            .expect("the published action folder loads");
    action.dependencies = None; // the runtime's own locked jsonwebtoken@9.0.1
    let mut worker = NodeWorker::start(&action).expect("the Node worker starts");
    let mut tokens = 0;
    let cases = common::fixture_cases();
    for case in &cases {
        let now = case.now_or(DEFAULT_NOW);
        let want = harness::spec::outcome(&JsValue::from_json(&case.event), now);
        let got = match worker
            .run(now, &case.event, None, Duration::from_secs(10))
            .expect("the worker answers")
        {
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
    eprintln!(
        "{} fixtures identical to jsonwebtoken@9.0.1, {tokens} tokens byte-for-byte",
        cases.len()
    );
    assert!(tokens >= 40, "too few fixtures mint a token: {tokens}");
}

/// Generated events (both domains, fixed seed) agree with the published action too, so agreement does
/// not rest on the fixtures alone.
#[test]
fn spec_matches_published_action_on_generated_events() {
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
    use std::cell::RefCell;

    let mut action =
        ActionSource::load(&common::repo_root().join("fixtures/implementations/published"))
            .unwrap();
    action.dependencies = None;
    let worker = RefCell::new(NodeWorker::start(&action).expect("the Node worker starts"));
    for (domain, seed) in [
        (harness::generate::Domain::Auth0, 7u8),
        (harness::generate::Domain::AnyJson, 11u8),
    ] {
        let config = Config {
            cases: 400,
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        );
        let strategy = (
            harness::generate::events(domain),
            -100_000_000i64..4_000_000_000,
        );
        let result = runner.run(&strategy, |(event, now)| {
            let want = harness::spec::outcome(&JsValue::from_json(&event), now);
            let got = match worker
                .borrow_mut()
                .run(now, &event, None, Duration::from_secs(10))
            {
                Ok(Reply::Outcome(o)) => o,
                other => {
                    return Err(TestCaseError::fail(format!(
                        "the runtime did not answer: {other:?}"
                    )))
                }
            };
            if got != want {
                return Err(TestCaseError::fail(format!(
                    "Node:\n{}\nspec:\n{}",
                    serde_json::to_string_pretty(&got).unwrap(),
                    serde_json::to_string_pretty(&want).unwrap()
                )));
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{} domain: {e}", domain.name());
        }
    }
    worker.into_inner().stop();
}
