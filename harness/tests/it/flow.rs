//! Whole login flows against the mocks over real HTTP: what the reference does to the world, the
//! findings about it, what deviant implementations expose, and scope isolation under concurrency.

use crate::common;

use harness::clock::Now;
use harness::event::Case;
use harness::flow::{FlowClient, Login, Observation, TokenSource};
use harness::mocks::MockServers;
use harness::runner::{Implementation, ReferenceRunner, Runner, RunnerSettings};
use serde_json::{json, Value};

fn fixture(name: &str) -> Case {
    Case::load(&common::repo_root().join(format!("fixtures/events/{name}.json"))).unwrap()
}

/// The flow over real HTTP, as a browser logging in through the web application plays it.
fn observe(mocks: &MockServers, runner: &mut dyn Runner, case: &Case) -> Observation {
    over_http(mocks).run(runner, &case.event, case.now_or(Now::DEFAULT)).unwrap()
}

fn over_http(mocks: &MockServers) -> FlowClient<'_> {
    FlowClient::logging_in_through(mocks, harness::flow::LoginClient::WebApp)
}

fn access(o: &Observation) -> Value {
    Value::Object(o.access.clone())
}

#[test]
fn reference_happy_path_changes_the_world_as_expected() {
    let mocks = MockServers::start().unwrap();
    let o = observe(&mocks, &mut ReferenceRunner, &fixture("happy_path_with_roles"));
    assert_eq!(o.login, Login::Succeeded);
    let token = o.tinybird_jwt.as_ref().unwrap();
    assert_eq!(token.source, TokenSource::IdToken);
    assert!(token.signature_valid);
    assert_eq!(o.app_metadata["plan"], "pro", "existing metadata is kept");
    assert_eq!(o.app_metadata["tinybirdJWT"], token.raw.as_str());
    let id = o.id_token.as_ref().unwrap();
    assert!(id.verified);
    assert_eq!(id.custom_claims["https://app.tinybird.co"], token.raw.as_str());
    assert_eq!(
        access(&o),
        json!({"top_pages": 200, "sessions_by_day": 200, "kpis": 200, "tbjwt_decoy_private_pipe": 403})
    );
    assert!(o.security.is_empty(), "{:?}", o.security);
    assert_eq!(mocks.auth0.scopes.len() + mocks.tinybird.scopes.len(), 0, "the case's scope is closed");
}

#[test]
fn findings_a_trailing_comma_refuses_everything_and_spaces_split_access() {
    let mocks = MockServers::start().unwrap();
    let o = observe(&mocks, &mut ReferenceRunner, &fixture("pipes_trailing_comma"));
    assert_eq!(access(&o), json!({"top_pages": 403, "kpis": 403, "tbjwt_decoy_private_pipe": 403}));
    let mut case = fixture("happy_path_with_roles");
    case.event["configuration"]["TINYBIRD_PIPE_NAMES"] = json!("a, b");
    let o = observe(&mocks, &mut ReferenceRunner, &case);
    assert_eq!(access(&o), json!({"a": 200, "b": 403, "tbjwt_decoy_private_pipe": 403}));
}

#[test]
fn without_authorization_the_browser_only_has_app_metadata() {
    let mocks = MockServers::start().unwrap();
    let o = observe(&mocks, &mut ReferenceRunner, &fixture("authorization_absent"));
    assert_eq!(o.login, Login::Succeeded);
    assert!(o.id_token.as_ref().unwrap().custom_claims.is_empty());
    assert_eq!(o.tinybird_jwt.as_ref().unwrap().source, TokenSource::AppMetadata);
}

#[test]
fn a_throwing_action_fails_the_login_and_stores_nothing() {
    let mocks = MockServers::start().unwrap();
    let o = observe(&mocks, &mut ReferenceRunner, &fixture("user_missing"));
    assert!(matches!(o.login, Login::Failed { ref error, .. } if error == "server_error"), "{:?}", o.login);
    assert!(o.app_metadata.get("tinybirdJWT").is_none());
    assert!(o.tinybird_jwt.is_none() && o.access.is_empty());
}

fn deviant(file: &str) -> Box<dyn Runner> {
    let path = common::repo_root().join("fixtures/implementations/deviant").join(file);
    Implementation::Node(path).runner(RunnerSettings::default()).unwrap()
}

#[test]
fn security_findings_for_leaky_implementations() {
    let mocks = MockServers::start().unwrap();
    let case = fixture("happy_path_with_roles");
    let o = observe(&mocks, deviant("admin_token_as_claim.js").as_mut(), &case);
    let kinds: Vec<&str> = o.security.iter().map(|f| f.kind.name()).collect();
    assert!(kinds.contains(&"admin_token_exposed"), "{kinds:?}");
    assert!(kinds.contains(&"opens_unconfigured_pipe"), "{kinds:?}");
    assert!(!format!("{:?}", o.security).contains("made-up-admin-token"), "findings never quote the secret");
    let o = observe(&mocks, deviant("logs_the_token.js").as_mut(), &case);
    assert_eq!(o.security.iter().map(|f| f.kind.name()).collect::<Vec<_>>(), ["token_in_logs"]);
}

#[test]
fn an_errored_implementation_is_observed_as_errored() {
    let mocks = MockServers::start().unwrap();
    let path = common::repo_root().join("fixtures/implementations/misbehaving/program.py");
    let mut runner = Implementation::Cmd(vec!["python3".into(), path.display().to_string(), "crash".into()])
        .runner(RunnerSettings::default())
        .unwrap();
    let mut case = fixture("happy_path_with_roles");
    case.event["misbehave"] = json!(true);
    let o = observe(&mocks, runner.as_mut(), &case);
    assert!(o.errored.as_deref().unwrap().contains("exit code 7"), "{o:?}");
    assert!(o.outcome.is_none());
}

#[test]
fn concurrent_flows_never_see_each_others_scopes() {
    let mocks = MockServers::start().unwrap();
    let cases = common::fixture_cases();
    let sequential: Vec<Observation> = cases.iter().map(|c| observe(&mocks, &mut ReferenceRunner, c)).collect();
    let (left, right) = cases.split_at(cases.len() / 2);
    let parallel: Vec<Observation> = std::thread::scope(|s| {
        let a = s.spawn(|| left.iter().map(|c| observe(&mocks, &mut ReferenceRunner, c)).collect::<Vec<_>>());
        let b = s.spawn(|| right.iter().map(|c| observe(&mocks, &mut ReferenceRunner, c)).collect::<Vec<_>>());
        let mut all = a.join().unwrap();
        all.extend(b.join().unwrap());
        all
    });
    for ((case, seq), par) in cases.iter().zip(&sequential).zip(&parallel) {
        assert_eq!(seq, par, "{}", case.name);
    }
    assert_eq!(mocks.auth0.scopes.len() + mocks.tinybird.scopes.len(), 0);
}

/// The cases both equivalence proofs run: every fixture, and 1,000 generated cases of each of the `auth0`
/// and `any-json` domains (clocks with milliseconds).
fn equivalence_cases() -> Vec<(Value, Now)> {
    let mut cases: Vec<(Value, Now)> =
        common::fixture_cases().into_iter().map(|c| (c.event.clone(), c.now_or(Now::DEFAULT))).collect();
    for domain in [harness::strategies::Domain::Auth0, harness::strategies::Domain::AnyJson] {
        for index in 0..1000 {
            let case = harness::check::generated::case_tree(domain, 7, index).current();
            cases.push((case.event, case.now));
        }
    }
    cases
}

/// Outcomes that take the branches of a flow a reference outcome never takes, with the event they are
/// played on: a throw, `access.deny`, user metadata, reserved and over-size claims, a token over its
/// rate limit.
fn branch_outcomes() -> (Value, Vec<harness::outcome::Outcome>) {
    use harness::outcome::{ApiCall, Outcome};
    let event = fixture("happy_path_with_roles").event;
    let admin = event["secrets"]["TINYBIRD_ADMIN_TOKEN"].as_str().unwrap().to_owned();
    let limited = {
        let claims = json!({"workspace_id": event["configuration"]["TINYBIRD_WORKSPACE_ID"], "name": "limited",
            "scopes": [{"type": "PIPES:READ", "resource": "top_pages"}, {"type": "PIPES:READ", "resource": "kpis"}],
            "exp": 1_900_000_000, "limits": {"rps": 1}});
        let input = format!(
            "{}.{}",
            harness::jwt::b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            harness::jwt::b64url(claims.to_string().as_bytes())
        );
        format!("{input}.{}", harness::jwt::hs256_sign(admin.as_bytes(), input.as_bytes()).unwrap())
    };
    let call = |api: &str, args: Vec<Value>| ApiCall { api: api.into(), args };
    let mut threw = Outcome::completed();
    threw.throw("TypeError", "boom");
    let mut denied = Outcome::completed();
    denied.calls.push(call("access.deny", vec![json!("no entry")]));
    let mut metadata = Outcome::completed();
    metadata.calls.push(call("user.setUserMetadata", vec![json!("theme"), json!("dark")]));
    metadata.calls.push(call("user.setAppMetadata", vec![json!("plan"), Value::Null]));
    metadata.calls.push(call("user.setAppMetadata", vec![json!("tinybirdJWT"), json!(limited)]));
    let mut claims = Outcome::completed();
    claims.calls.push(call("idToken.setCustomClaim", vec![json!("iss"), json!("forged")]));
    claims.calls.push(call("idToken.setCustomClaim", vec![json!("name"), json!("profile name")]));
    claims.calls.push(call("idToken.setCustomClaim", vec![json!("https://app.tinybird.co"), json!(limited)]));
    let mut oversize = Outcome::completed();
    oversize
        .calls
        .push(call("idToken.setCustomClaim", vec![json!("https://x.example/big"), json!("x".repeat(110_000))]));
    (event, vec![threw, denied, metadata, claims, oversize])
}

fn replaying(outcome: &harness::outcome::Outcome) -> Box<dyn Runner> {
    let outcome = outcome.clone();
    Box::new(harness::runner::from_fn("branches", move |_, _| outcome.clone()))
}

/// `check` observes both sides in process (the mocks' rules applied to their state, no request): the
/// reference with the flow model alone, the implementation with the model over its case's scope as the
/// implementation left it. Both must see exactly what the HTTP flow sees, on [`equivalence_cases`] at
/// every level and on [`branch_outcomes`].
#[test]
fn the_flow_model_sees_what_the_http_flow_sees() {
    use harness::compare::{compare, CompareOptions, Level, NormalizeContext};
    use harness::flow::{model, CaseWorld};
    use harness::js::JsValue;
    use harness::mocks::ScopeId;

    let mocks = MockServers::start().unwrap();
    let mut client = over_http(&mocks);
    let mut in_process = FlowClient::new(&mocks);
    let urls = mocks.urls(ScopeId::DEFAULT);
    for (event, now) in &equivalence_cases() {
        let evaluation = harness::spec::evaluate(&JsValue::from_json(event), *now);
        let http = client.run(&mut ReferenceRunner, event, *now).unwrap();
        let world = CaseWorld::of(event, || "auth0|flow-model".to_owned());
        let modelled = model::observe(&world, *now, &urls, evaluation.outcome.clone());
        assert_eq!(modelled, http, "event {event} at {now}");
        let read = in_process.run(&mut ReferenceRunner, event, *now).unwrap();
        assert_eq!(read, http, "in process: event {event} at {now}");
        let context = NormalizeContext {
            admin_token: event.pointer("/secrets/TINYBIRD_ADMIN_TOKEN").and_then(Value::as_str).map(str::to_owned),
            wall_clock: None,
        };
        for level in [Level::Strict, Level::Semantic] {
            let options = CompareOptions { level, ..CompareOptions::default() };
            assert!(compare(&http, &evaluation, &modelled, &context, &options).is_empty(), "{event} at {level:?}");
        }
    }
    let (event, outcomes) = branch_outcomes();
    for outcome in &outcomes {
        let http = client.run(&mut *replaying(outcome), &event, Now::DEFAULT).unwrap();
        let world = CaseWorld::of(&event, || "auth0|flow-model".to_owned());
        assert_eq!(model::observe(&world, Now::DEFAULT, &urls, outcome.clone()), http, "{outcome:?}");
        assert_eq!(in_process.run(&mut *replaying(outcome), &event, Now::DEFAULT).unwrap(), http, "{outcome:?}");
    }
}

/// An implementation that calls the mocks itself before it returns: it stores metadata through the
/// Management API and spends a rate-limited token's budget on a pipe call, then commits that token.
struct CallingOut {
    token: String,
}

impl Runner for CallingOut {
    fn describe(&self) -> String {
        "calls the mocks itself".into()
    }

    fn run(&mut self, request: &harness::runner::RunRequest<'_>) -> harness::runner::RunResult {
        use harness::mocks::auth0::{M2M_CLIENT_ID, M2M_CLIENT_SECRET};
        use harness::outcome::{ApiCall, Outcome};
        let urls = request.mocks.expect("the flow gives the mocks' URLs");
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let form = format!("grant_type=client_credentials&client_id={M2M_CLIENT_ID}&client_secret={M2M_CLIENT_SECRET}");
        let text = agent
            .post(&format!("{}/oauth/token", urls.auth0))
            .header("content-type", "application/x-www-form-urlencoded")
            .send(form.as_bytes())
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        let answer: Value = serde_json::from_str(&text).unwrap();
        let management = answer["access_token"].as_str().unwrap().to_owned();
        let user = request.event["user"]["user_id"].as_str().unwrap();
        let patched = agent
            .patch(&format!("{}/api/v2/users/{}", urls.auth0, user.replace('|', "%7C")))
            .header("authorization", &format!("Bearer {management}"))
            .header("content-type", "application/json")
            .send(json!({"app_metadata": {"set_through_the_api": true}}).to_string().as_bytes())
            .unwrap();
        assert_eq!(patched.status(), 200);
        let called = agent
            .get(&format!("{}/v0/pipes/top_pages.json", urls.tinybird))
            .header("authorization", &format!("Bearer {}", self.token))
            .call()
            .unwrap();
        assert_eq!(called.status(), 200, "the token's one request of the second");
        let mut outcome = Outcome::completed();
        outcome
            .calls
            .push(ApiCall { api: "user.setAppMetadata".into(), args: vec![json!("tinybirdJWT"), json!(self.token)] });
        Ok(outcome)
    }
}

/// What an implementation did to its case's world through the mocks' HTTP APIs (the stored user, a
/// token's spent rate budget) is what the in-process flow reads: it sees what the HTTP flow sees.
#[test]
fn the_in_process_flow_reads_what_an_implementation_did_over_http() {
    let mocks = MockServers::start().unwrap();
    let case = fixture("happy_path_with_roles");
    let admin = case.event["secrets"]["TINYBIRD_ADMIN_TOKEN"].as_str().unwrap().to_owned();
    let claims = json!({"workspace_id": case.event["configuration"]["TINYBIRD_WORKSPACE_ID"], "name": "limited",
        "scopes": [{"type": "PIPES:READ", "resource": "top_pages"}], "exp": 1_900_000_000, "limits": {"rps": 1}});
    let input = format!(
        "{}.{}",
        harness::jwt::b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        harness::jwt::b64url(claims.to_string().as_bytes())
    );
    let token = format!("{input}.{}", harness::jwt::hs256_sign(admin.as_bytes(), input.as_bytes()).unwrap());
    let now = case.now_or(Now::DEFAULT);
    let http = over_http(&mocks).run(&mut CallingOut { token: token.clone() }, &case.event, now).unwrap();
    let read = FlowClient::new(&mocks).run(&mut CallingOut { token }, &case.event, now).unwrap();
    assert_eq!(http.app_metadata["set_through_the_api"], true, "{:?}", http.app_metadata);
    assert_eq!(http.access["top_pages"], 429, "the implementation spent the token's budget: {:?}", http.access);
    assert_eq!(read, http);
}

/// The harness's flows log in through the regular web application (HS256 ID tokens under its client
/// secret) rather than the SPA (RS256 under the tenant's key, half a millisecond of the mock's CPU per
/// login): both must observe the same world, for the reference and for outcomes of every branch.
#[test]
fn a_web_app_login_sees_what_a_spa_login_sees() {
    use harness::flow::LoginClient;

    let mocks = MockServers::start().unwrap();
    let mut web_app = FlowClient::logging_in_through(&mocks, LoginClient::WebApp);
    let mut spa = FlowClient::logging_in_through(&mocks, LoginClient::Spa);
    let mut verified = 0;
    for (event, now) in &equivalence_cases() {
        let through_web_app = web_app.run(&mut ReferenceRunner, event, *now).unwrap();
        let through_spa = spa.run(&mut ReferenceRunner, event, *now).unwrap();
        assert_eq!(through_web_app, through_spa, "event {event} at {now}");
        verified += usize::from(through_spa.id_token.as_ref().is_some_and(|t| t.verified));
    }
    assert!(verified > 1000, "only {verified} logins had a verified ID token: the comparison proves little");
    let (event, outcomes) = branch_outcomes();
    for outcome in &outcomes {
        let through_web_app = web_app.run(&mut *replaying(outcome), &event, Now::DEFAULT).unwrap();
        let through_spa = spa.run(&mut *replaying(outcome), &event, Now::DEFAULT).unwrap();
        assert_eq!(through_web_app, through_spa, "{outcome:?}");
    }
}
