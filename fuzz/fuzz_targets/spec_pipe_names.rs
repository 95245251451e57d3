//! Arbitrary bytes as `TINYBIRD_PIPE_NAMES` (see `harness::fuzzing`) → the reference. It never panics and
//! its invariants hold: one scope per segment of the split, in order, each segment unchanged; the token
//! verifies with the admin token and decodes to the same claims; and the Tinybird mock's decision (the
//! pure function, no HTTP) refuses exactly the tokens with an empty resource.
#![no_main]

use harness::fuzzing::{pipe_names_event, pipe_names_of, FUZZ_ADMIN_TOKEN, FUZZ_WORKSPACE_ID};
use harness::js::JsValue;
use harness::jwt::{hs256_verify, DecodedJwt};
use harness::mocks::tinybird::{authenticate, decide, Workspace};
use libfuzzer_sys::fuzz_target;

const NOW: i64 = 1_764_000_000;

fuzz_target!(|data: &[u8]| {
    let pipe_names = pipe_names_of(data);
    let event = pipe_names_event(data);
    let outcome = harness::spec::outcome(&JsValue::from_json(&event), NOW);
    if pipe_names.is_empty() {
        assert_eq!(outcome.logs, [harness::spec::MSG_MISSING_PIPE_NAMES]);
        return;
    }
    let token = outcome.string_args_of("user.setAppMetadata").nth(1).expect("a token is stored");
    assert!(hs256_verify(token, FUZZ_ADMIN_TOKEN.as_bytes()), "the token verifies with the admin token");
    let claims = DecodedJwt::decode(token).expect("the token decodes").claims;
    let segments: Vec<&str> = pipe_names.split(',').collect();
    let scopes = claims["scopes"].as_array().expect("scopes is an array");
    assert_eq!(scopes.len(), segments.len(), "one scope per segment");
    for (scope, segment) in scopes.iter().zip(&segments) {
        assert_eq!(scope["type"], "PIPES:READ");
        assert_eq!(scope["resource"].as_str(), Some(*segment), "each segment unchanged, in order");
    }
    assert_eq!((claims["iat"].as_i64(), claims["exp"].as_i64()), (Some(NOW), Some(NOW + 604_800)));

    // The Tinybird decision, judged once for the token, then for one configured pipe.
    let pipes: Vec<&str> = segments.iter().copied().filter(|s| !s.is_empty()).take(1).collect();
    let workspaces = [Workspace::new(FUZZ_WORKSPACE_ID, FUZZ_ADMIN_TOKEN, &pipes)];
    let has_empty = segments.iter().any(|s| s.is_empty());
    let credential = authenticate(&workspaces, token, NOW);
    assert_eq!(credential.is_err(), has_empty, "Tinybird refuses exactly the tokens with an empty resource: {credential:?}");
    if let (Ok(_), Some(pipe)) = (&credential, pipes.first()) {
        assert!(decide(&workspaces, token, pipe, NOW).is_ok(), "a configured pipe opens");
    }
});
