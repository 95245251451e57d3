//! `tbjwt mocks`: serve the Auth0 and Tinybird mocks until interrupted, for people and real front ends.
//! The first line printed is JSON with the URLs, the workspace, a sample token, and what a single-page
//! app needs to log in (the SPA's client id, the callback URLs); with `--action IMPL` the implementation
//! runs at every browser login and its claims reach the ID token. See the README and `examples/spa/`.

use anyhow::{Context, Result};
use harness::event::PostLoginEvent;
use harness::js::JsValue;
use harness::mocks::oidc::{ActionLogin, LoginAction, OidcSettings};
use harness::mocks::tinybird::Workspace;
use harness::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use harness::outcome::Outcome;
use harness::runner::protocol::MockUrls;
use harness::runner::{Implementation, RunRequest, Runner, RunnerSettings};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

/// Arguments of `tbjwt mocks`.
#[derive(clap::Args)]
pub struct Args {
    /// Port of the Auth0 tenant mock (default: any free port).
    #[arg(long, default_value_t = 0)]
    auth0_port: u16,
    /// Port of the Tinybird API mock (default: any free port).
    #[arg(long, default_value_t = 0)]
    tinybird_port: u16,
    /// The workspace's id.
    #[arg(long, default_value = "tbjwt-demo-workspace")]
    workspace_id: String,
    /// The workspace's admin token (default: a made-up `p.` token, printed). One you pass is never printed.
    #[arg(long)]
    admin_token: Option<String>,
    /// The workspace's pipes, comma-separated.
    #[arg(long, default_value = "top_pages,sessions_by_day,kpis")]
    pipes: String,
    /// Run this implementation (any runner: `node:…`, `cmd:…`, `http…`, `reference`) as the post-login
    /// Action of every browser login, with this workspace, admin token and pipes as its configuration.
    #[arg(long, value_name = "IMPL")]
    action: Option<Implementation>,
    /// An allowed callback (and logout) URL of the single-page app; its origin is an allowed web origin.
    /// Repeatable.
    #[arg(long = "callback-url", value_name = "URL", default_values_t = [String::from("http://localhost:3000/"), String::from("http://127.0.0.1:3000/")])]
    callback_urls: Vec<String>,
    /// The sandbox `--action` runs in.
    #[command(flatten)]
    sandbox: harness::check::options::SandboxArgs,
    /// Where `--action` is a Deploy CLI export or a Terraform configuration holding several actions: the
    /// one to run (its name, or its Terraform label).
    #[arg(long = "artifact-action", value_name = "NAME")]
    artifact_action: Option<String>,
    /// The secret a deployed custom Action reads one of the reference's inputs under, as INPUT=NAME
    /// (repeatable).
    #[arg(long = "secret-name", value_name = "INPUT=NAME", value_parser = harness::check::options::parse_secret_name)]
    secret_name: Vec<(String, String)>,
}

/// The audience a front end may ask for (accepted; the access tokens stay opaque).
pub const AUDIENCE: &str = "https://tbjwt-mock-api/";

/// The Action run at each browser login: the implementation, on a post-login event made of the user as
/// stored and this workspace's configuration.
struct ActionAtLogin {
    runner: Mutex<Box<dyn Runner>>,
    admin_token: String,
    workspace_id: String,
    pipes: String,
    urls: MockUrls,
}

impl LoginAction for ActionAtLogin {
    fn run(&self, login: &ActionLogin<'_>) -> Option<Outcome> {
        let (user, client_id, now) = (login.user, login.client_id, login.now);
        let user_id = user.get("user_id").and_then(Value::as_str).unwrap_or(DEMO_USER);
        let mut event = PostLoginEvent::login(
            user_id,
            Some(self.admin_token.clone().into()),
            Some(self.workspace_id.clone().into()),
            Some(self.pipes.clone().into()),
            Some(vec![]),
        )
        .to_json();
        if let (Some(target), Some(stored)) = (event["user"].as_object_mut(), user.as_object()) {
            target.extend(stored.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(client) = event.get_mut("client").and_then(Value::as_object_mut) {
            client.insert("client_id".into(), client_id.into());
        }
        // The grant's protocol, request and refresh token (its id, never its value), as Auth0 gives them.
        harness::event::session::set_grant(&mut event, login.grant);
        let mut runner = self.runner.lock().unwrap_or_else(|p| p.into_inner());
        match runner.run(&RunRequest { now, event: &event, mocks: Some(&self.urls), instance: None }) {
            Ok(outcome) => Some(outcome),
            Err(errored) => {
                // The program's output may hold the event's secrets: the admin token is never printed.
                let message = errored.message.replace(&self.admin_token, "<TINYBIRD_ADMIN_TOKEN>");
                eprintln!("tbjwt: the Action could not run at {user_id}'s login: {message}");
                None
            }
        }
    }
}

/// The demo user of the default scope.
pub const DEMO_USER: &str = "auth0|tbjwt-demo-user";

pub fn run(args: Args) -> Result<ExitCode> {
    if args.admin_token.as_deref().is_some_and(|t| t.trim().is_empty()) {
        anyhow::bail!("--admin-token is empty: give the workspace's admin token, or leave it out for a made-up one");
    }
    if args.workspace_id.trim().is_empty() {
        anyhow::bail!("--workspace-id is empty");
    }
    let generated = args.admin_token.is_none();
    let admin_token = args.admin_token.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        format!("p.tbjwt-mock-admin-token-{nanos:x}")
    });
    let pipes: Vec<&str> = args.pipes.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    if pipes.is_empty() {
        anyhow::bail!("--pipes `{}` names no pipe: give the workspace's pipes, comma-separated", args.pipes);
    }
    for url in &args.callback_urls {
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < "http://x".len() {
            anyhow::bail!("--callback-url `{url}` is not an http(s) URL");
        }
    }
    let mocks = MockServers::start_on(args.auth0_port, args.tinybird_port)?;
    let runner = match &args.action {
        Some(implementation) => {
            let sandbox = super::sandbox_for(implementation, &args.sandbox)?;
            let choice = harness::node::ArtifactChoice {
                action: args.artifact_action.clone(),
                secret_names: args.secret_name.iter().cloned().collect(),
            };
            super::deployment_of(implementation, &choice)?;
            let mut runner = implementation
                .runner(RunnerSettings::default().with_sandbox(sandbox).with_artifact(choice))
                .with_context(|| format!("--action {implementation}: cannot start it"))?;
            runner.allow_mocks(&mocks.urls(harness::mocks::ScopeId::DEFAULT));
            runner.prepare().map_err(|e| anyhow::anyhow!("--action {implementation}: {}", e.message))?;
            Some(runner)
        }
        None => None,
    };
    let event = PostLoginEvent::login(
        DEMO_USER,
        Some(admin_token.clone().into()),
        Some(args.workspace_id.clone().into()),
        Some(pipes.join(",").into()),
        Some(vec![]),
    )
    .to_json();
    let user = event["user"].clone();
    mocks.open_scope(
        ScopeId::DEFAULT,
        Tenant::new([user], Clock::Wall),
        TinybirdScope {
            workspaces: vec![Workspace::new(&args.workspace_id, &admin_token, &pipes)],
            clock: Clock::Wall,
        },
    );
    let login_action = runner.map(|runner| {
        Arc::new(ActionAtLogin {
            runner: Mutex::new(runner),
            admin_token: admin_token.clone(),
            workspace_id: args.workspace_id.clone(),
            pipes: pipes.join(","),
            urls: mocks.urls(ScopeId::DEFAULT),
        }) as Arc<dyn LoginAction>
    });
    mocks.auth0.configure_browser_logins(OidcSettings {
        callbacks: args.callback_urls.clone(),
        default_user: Some(DEMO_USER.to_owned()),
        login_action,
    });
    let sample = harness::spec::outcome(&JsValue::from_json(&event), Clock::Wall.now());
    let sample_jwt = sample.string_args_of("user.setAppMetadata").nth(1).unwrap_or_default().to_owned();
    let line = json!({
        "auth0_url": mocks.auth0_url(),
        "tinybird_url": mocks.tinybird_url(),
        "workspace_id": args.workspace_id,
        "admin_token": if generated { json!(admin_token) } else { json!("(the one given with --admin-token)") },
        "pipes": pipes,
        "user_id": DEMO_USER,
        "spa_client_id": harness::mocks::auth0::SPA_CLIENT_ID,
        "callback_urls": args.callback_urls,
        "audience": AUDIENCE,
        "action": args.action.as_ref().map(ToString::to_string),
        "m2m_client_id": harness::mocks::auth0::M2M_CLIENT_ID,
        "m2m_client_secret": harness::mocks::auth0::M2M_CLIENT_SECRET,
        "sample_jwt": sample_jwt,
    });
    println!("{line}");
    eprintln!(
        "tbjwt: serving the Auth0 mock at {} and the Tinybird mock at {}; Ctrl-C stops",
        mocks.auth0_url(),
        mocks.tinybird_url()
    );
    mocks.serve_until_interrupted();
    // The action's process group and its sandbox's private folder go with the mocks.
    harness::runner::channel::end_all_processes();
    Ok(ExitCode::SUCCESS)
}
