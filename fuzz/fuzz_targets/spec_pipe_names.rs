//! Arbitrary bytes as `TINYBIRD_PIPE_NAMES` (see `harness::fuzz_input`) → the reference. It never panics and
//! its invariants hold: one scope per segment of the split, in order, each segment unchanged; the token
//! verifies with the admin token and decodes to the same claims; and the Tinybird mock's decision (the
//! pure function, no HTTP) refuses exactly the tokens with an empty resource.
//!
//! Everything an execution does not need to build anew (the event, the workspace, the decoding buffer)
//! is kept between executions, so that the rate measures the code under test.
#![no_main]

use std::cell::RefCell;

use harness::fuzz_input::{MintedClaims, PipeNamesEvents, FUZZ_ADMIN_TOKEN, FUZZ_WORKSPACE_ID};
use harness::js::JsValue;
use harness::jwt::hs256_verify;
use harness::mocks::tinybird::{authenticate, authorize, Pipe, Workspace, INVALID_SCOPE};
use harness::spec::{self, token::EXPIRES_IN_SECONDS, token::SCOPE_TYPE};
use libfuzzer_sys::fuzz_target;

const NOW: harness::clock::Now = harness::clock::Now::DEFAULT;

struct Kept {
    events: PipeNamesEvents,
    /// One workspace with one pipe, renamed to the input's first non-empty segment.
    workspaces: [Workspace; 1],
    scratch: Vec<u8>,
}

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept {
        events: PipeNamesEvents::new(),
        workspaces: [Workspace {
            id: FUZZ_WORKSPACE_ID.to_owned(),
            admin_token: FUZZ_ADMIN_TOKEN.to_owned(),
            pipes: vec![Pipe { name: String::new(), rows: Default::default() }],
        }],
        scratch: Vec::new(),
    });
}

fuzz_target!(|data: &[u8]| KEPT.with_borrow_mut(|kept| check(kept, data)));

fn check(kept: &mut Kept, data: &[u8]) {
    let event = kept.events.event(data);
    let outcome = spec::outcome(event, NOW);
    let JsValue::String(pipe_names) = event.get("configuration").get(spec::keys::PIPE_NAMES) else {
        unreachable!("pipe-name events hold a string")
    };
    if pipe_names.is_empty() {
        assert_eq!(outcome.logs, [spec::MSG_MISSING_PIPE_NAMES]);
        return;
    }
    let token = outcome.string_args_of("user.setAppMetadata").nth(1).expect("a token is stored");
    if event.get("authorization").is_truthy() {
        assert_eq!(outcome.string_args_of("idToken.setCustomClaim").nth(1), Some(token), "the ID token has it");
    }

    // The claims, read back strictly: one scope per segment of the split, in order, each unchanged.
    let claims = MintedClaims::decode(token, &mut kept.scratch).expect("the token decodes to the reference's claims");
    assert_eq!(claims.workspace_id, FUZZ_WORKSPACE_ID);
    assert_eq!((claims.iat, claims.exp), (NOW.seconds(), NOW.seconds() + EXPIRES_IN_SECONDS));
    let mut segments = pipe_names.split(',');
    for scope in &claims.scopes {
        assert_eq!(scope.kind, SCOPE_TYPE);
        assert_eq!(Some(scope.resource.as_ref()), segments.next(), "each segment unchanged, in order");
    }
    assert_eq!(segments.next(), None, "one scope per segment");

    // Tinybird's decision: the token is refused exactly when a resource is empty; an accepted token has
    // passed its signature check under the admin token, a refused one is checked here.
    let first_pipe = claims.scopes.iter().map(|s| s.resource.as_ref()).find(|r| !r.is_empty());
    let has_empty = claims.scopes.iter().any(|s| s.resource.is_empty());
    let configured = &mut kept.workspaces[0].pipes[0].name;
    configured.clear();
    configured.push_str(first_pipe.unwrap_or_default());
    match authenticate(&kept.workspaces, token, NOW) {
        Err(denial) => {
            assert!(has_empty, "Tinybird refuses a token without an empty resource: {denial:?}");
            assert_eq!(denial.error, INVALID_SCOPE, "refused for its scopes, not its signature");
            assert!(hs256_verify(token, FUZZ_ADMIN_TOKEN.as_bytes()), "the token verifies with the admin token");
        }
        Ok(credential) => {
            assert!(!has_empty, "Tinybird accepts a token with an empty resource");
            let jwt = credential.jwt.as_ref().expect("a JWT, not the admin token");
            assert_eq!(jwt.name, claims.name);
            let pipe = first_pipe.expect("a token without empty resources names a pipe");
            assert!(authorize(&kept.workspaces, &credential, pipe).is_ok(), "a configured pipe opens");
        }
    }
}
