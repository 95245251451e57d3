//! Byte-exactness against the real thing: every fixture, and generated events of both domains, run through
//! the published action in real Node.js with npm `jsonwebtoken@9.0.1` (installed from the committed lock
//! file on first use) and through the spec; the outcomes, tokens included, must be identical.

use crate::common;

use harness::clock::Now;
use harness::js::JsValue;
use harness::runner::{Implementation, RunRequest, Runner, RunnerSettings};

fn published_action() -> Box<dyn Runner> {
    let path = common::repo_root().join("fixtures/implementations/published");
    let mut runner = Implementation::Node(path).runner(RunnerSettings::default()).expect("the runtime installs");
    runner.prepare().expect("the published action loads");
    runner
}

#[test]
fn spec_matches_published_action_with_jsonwebtoken_9_0_1_on_every_fixture() {
    let mut node = published_action();
    let cases = common::fixture_cases();
    let requests: Vec<RunRequest> = cases
        .iter()
        .map(|c| RunRequest { now: c.now_or(Now::DEFAULT), event: &c.event, mocks: None, instance: None })
        .collect();
    let results = node.run_batch(&requests);
    let mut tokens = 0;
    for ((case, request), result) in cases.iter().zip(&requests).zip(results) {
        let want = harness::spec::outcome(&JsValue::from_json(&case.event), request.now);
        let got = result.unwrap_or_else(|e| panic!("{}: the runtime errored: {e}", case.name));
        assert_eq!(
            serde_json::to_string_pretty(&got).unwrap(),
            serde_json::to_string_pretty(&want).unwrap(),
            "{}: Node (left) and the spec (right) differ",
            case.name
        );
        tokens += want.string_args_of("user.setAppMetadata").count();
    }
    eprintln!("{} fixtures identical to jsonwebtoken@9.0.1, {tokens} tokens byte-for-byte", cases.len());
    assert!(tokens >= 40, "too few fixtures mint a token: {tokens}");
}

/// Generated events (both domains, fixed seeds) at clocks with milliseconds agree with the published action
/// too, so agreement does not rest on the fixtures alone.
#[test]
fn spec_matches_published_action_on_generated_events() {
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
    use std::cell::RefCell;

    let node = RefCell::new(published_action());
    for (domain, seed) in [(harness::strategies::Domain::Auth0, 7u8), (harness::strategies::Domain::AnyJson, 11u8)] {
        let config = Config { cases: 400, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]));
        // The clock in milliseconds, before and after 1970: jsonwebtoken floors `Date.now() / 1000`.
        let strategy = (harness::strategies::events(domain), -100_000_000_000i64..4_000_000_000_000);
        let result = runner.run(&strategy, |(event, millis)| {
            let now = harness::clock::Now::from_millis(millis).unwrap();
            let want = harness::spec::outcome(&JsValue::from_json(&event), now);
            let got = node
                .borrow_mut()
                .run(&RunRequest { now, event: &event, mocks: None, instance: None })
                .map_err(|e| TestCaseError::fail(format!("the runtime errored: {e}")))?;
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
}
