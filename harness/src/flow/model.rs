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
use crate::mocks::auth0::{merge_user_field, platform_claims, Commits, ID_TOKEN_LIFETIME};
use crate::mocks::tinybird::{authenticate, authorize, Credential, Denial};
use crate::outcome::Outcome;
use crate::runner::protocol::MockUrls;

/// The observation of `outcome` (an implementation that made no request of its own) in `world` at `now`.
/// `urls` are the mocks' URLs the implementation was given (for the findings about its connections).
pub fn observe(world: &CaseWorld, now: Now, urls: &MockUrls, outcome: Outcome) -> Observation {
    let commits = Commits::of(&outcome);
    let mut user = world.user.clone();
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
    let mut budget: HashMap<(String, String), u64> = HashMap::new();
    // Every pipe is called with the same token: it is judged once.
    let mut credential: Option<Result<Credential, Denial>> = None;
    let Ok((tinybird_jwt, access)) = token_and_access(world, found, |pipe, raw| {
        let credential = credential.get_or_insert_with(|| authenticate(&world.workspaces, raw.trim(), now));
        Ok::<u16, std::convert::Infallible>(pipe_status(world, credential, pipe, raw, &mut budget))
    });
    let security = security_findings(world, urls, &outcome, tinybird_jwt.as_ref(), &access);
    Observation { outcome: Some(outcome), errored: None, login, app_metadata, id_token, tinybird_jwt, access, security }
}

/// What `GET /v0/pipes/{pipe}.json` with `Authorization: Bearer {token}` answers, `credential` being
/// what Tinybird makes of the token: the status of the Tinybird decision, or 429 once a token with
/// `limits.rps` has spent its budget in this second.
fn pipe_status(
    world: &CaseWorld,
    credential: &Result<Credential, Denial>,
    pipe: &str,
    token: &str,
    budget: &mut HashMap<(String, String), u64>,
) -> u16 {
    if !sendable_in_a_header(token) {
        return 0;
    }
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
