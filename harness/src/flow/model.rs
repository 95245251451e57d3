//! The login flow computed without the mocks' servers: what [`super::FlowClient::observe`] sees, from the
//! same pure rules the mocks apply (Auth0's metadata merge and custom-claim rules, the Tinybird decision
//! and rate budget). `check` observes the *reference* this way, so the harness does not play a second
//! HTTP flow (with an RS256 ID token) per case; the implementation's flow stays real HTTP.
//!
//! `tests/it/flow.rs` proves the two equal on every fixture and 2,000 generated cases, at every
//! level.

use serde_json::{Map, Value};
use std::collections::HashMap;

use super::{
    found_token, security_findings, sendable_in_a_header, token_and_access, CaseWorld, IdTokenObservation, Login,
    Observation, STANDARD_CLAIMS,
};
use crate::clock::Now;
use crate::mocks::auth0_rules::{merge_user_field, platform_claims, Commits, ID_TOKEN_LIFETIME};
use crate::mocks::tinybird::{authenticate, authenticate_decoded, authorize, Credential, Denial};
use crate::outcome::Outcome;
use crate::runner::protocol::MockUrls;

/// The observation of `outcome` (an implementation that made no request of its own) in `world` at `now`.
/// `urls` are the mocks' URLs the implementation was given (for the findings about its connections).
pub fn observe(world: &CaseWorld, now: Now, urls: &MockUrls, outcome: Outcome) -> Observation {
    observe_in(WorldState::initial(world), now, urls, outcome)
}

/// What a case's world holds when the implementation has run: the user as the tenant stores it, and the
/// rate budget its own pipe calls spent in the case's second. The mocks' state, read in process.
#[derive(Debug, Clone)]
pub struct WorldState<'w> {
    /// The world the case opened with.
    pub world: &'w CaseWorld,
    /// The user as stored now.
    pub user: Map<String, Value>,
    /// Requests already spent, by (workspace id, token name), in the case's second.
    pub spent: HashMap<(String, String), u64>,
}

impl<'w> WorldState<'w> {
    /// The world as it opened: nothing done to it yet.
    pub fn initial(world: &'w CaseWorld) -> WorldState<'w> {
        WorldState { world, user: world.user.clone(), spent: HashMap::new() }
    }
}

/// The observation of `outcome` committed to `state` at `now`: what the browser's flow (the Management
/// API's merge, the token exchange, the pipe calls) would see, without a request.
pub fn observe_in(state: WorldState<'_>, now: Now, urls: &MockUrls, outcome: Outcome) -> Observation {
    let WorldState { world, mut user, spent: mut budget } = state;
    let commits = Commits::of(&outcome);
    let mut login = Login::Succeeded;
    let mut id_token = None;
    match commits.failure {
        Some((error, error_description)) => login = Login::Failed { error, error_description },
        None => {
            // PATCH /api/v2/users/{id}: each non-empty patch merged into its field (made an object).
            for (field, changes) in [("app_metadata", &commits.app_metadata), ("user_metadata", &commits.user_metadata)]
            {
                if !changes.is_empty() {
                    merge_user_field(&mut user, field, changes);
                }
            }
            // The code exchange: the ID token carries the kept custom claims, or the login fails.
            let (claims, failure) = platform_claims(&commits.claims);
            match failure {
                Some(description) => {
                    login = Login::Failed { error: "access_denied".into(), error_description: description };
                }
                None => {
                    let custom_claims: Map<String, Value> =
                        claims.into_iter().filter(|(k, _)| !STANDARD_CLAIMS.contains(&k.as_str())).collect();
                    // Signed by the tenant's key, for the SPA, expiring 10 hours after `now`: it verifies,
                    // unless that `exp` is negative (a login before 1970 minus 10 hours), which the flow's
                    // JWT library refuses to read as a time.
                    let verified = now.seconds() + ID_TOKEN_LIFETIME >= 0;
                    id_token = Some(IdTokenObservation { verified, custom_claims });
                }
            }
        }
    }
    let app_metadata = user.get("app_metadata").cloned().unwrap_or(Value::Null);
    let found = found_token(id_token.as_ref(), &app_metadata);
    // Every pipe is called with the same token: it is judged once.
    let mut credential: Option<Result<Credential, Denial>> = None;
    // Whether the token can be sent in a header at all, also judged once.
    let mut sendable = None;
    let Ok((tinybird_jwt, access)) = token_and_access(world, found, |pipe, raw, decoded| {
        if !*sendable.get_or_insert_with(|| sendable_in_a_header(raw)) {
            return Ok::<u16, std::convert::Infallible>(0);
        }
        let credential = credential.get_or_insert_with(|| {
            let token = raw.trim();
            if token.len() == raw.len() {
                authenticate_decoded(&world.workspaces, token, decoded.as_ref(), now)
            } else {
                authenticate(&world.workspaces, token, now)
            }
        });
        Ok(pipe_status(world, credential, pipe, &mut budget))
    });
    let security = security_findings(world, urls, &outcome, tinybird_jwt.as_ref(), &access);
    Observation { outcome: Some(outcome), errored: None, login, app_metadata, id_token, tinybird_jwt, access, security }
}

/// What `GET /v0/pipes/{pipe}.json` with `Authorization: Bearer {token}` answers for a token that can be
/// sent in a header, `credential` being what Tinybird makes of the token: the status of the Tinybird decision, or 429 once a token with
/// `limits.rps` has spent its budget in this second.
fn pipe_status(
    world: &CaseWorld,
    credential: &Result<Credential, Denial>,
    pipe: &str,
    budget: &mut HashMap<(String, String), u64>,
) -> u16 {
    let decision = credential.as_ref().map_err(Clone::clone).and_then(|c| authorize(&world.workspaces, c, pipe));
    match decision {
        Err(denial) => denial.status,
        Ok(grant) => {
            if let (Some(name), Some(rps)) = (&grant.token_name, grant.rps) {
                let spent = budget.entry((world.workspaces[grant.workspace].id.clone(), name.clone())).or_insert(0);
                *spent += 1;
                if *spent > rps {
                    return 429;
                }
            }
            200
        }
    }
}
