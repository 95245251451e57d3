//! `tbjwt mocks`: serve the Auth0 and Tinybird mocks until interrupted, for people and real front ends.
//! The first line printed is JSON with the URLs, the workspace, and a sample token; see the README's
//! curl session.

use anyhow::Result;
use harness::event::PostLoginEvent;
use harness::js::JsValue;
use harness::mocks::tinybird::Workspace;
use harness::mocks::{Clock, MockServers, ScopeId, Tenant, TinybirdScope};
use serde_json::json;
use std::process::ExitCode;

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
    let mocks = MockServers::start_on(args.auth0_port, args.tinybird_port)?;
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
    let sample = harness::spec::outcome(&JsValue::from_json(&event), Clock::Wall.now());
    let sample_jwt = sample.string_args_of("user.setAppMetadata").nth(1).unwrap_or_default().to_owned();
    let line = json!({
        "auth0_url": mocks.auth0_url(),
        "tinybird_url": mocks.tinybird_url(),
        "workspace_id": args.workspace_id,
        "admin_token": if generated { json!(admin_token) } else { json!("(the one given with --admin-token)") },
        "pipes": pipes,
        "user_id": DEMO_USER,
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
    Ok(ExitCode::SUCCESS)
}
