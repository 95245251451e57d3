//! The running mocks: both servers (a plain hyper server each, [`front`]), their responders and per-case
//! scopes (the `full` build).

pub mod auth0;
pub(crate) mod exchange;
pub(crate) mod front;
pub mod oidc;
pub(crate) mod scope;
mod signing_key;
pub(crate) mod tenant;
mod tinybird_http;

pub use super::tinybird::Workspace;
pub use auth0::Auth0Responder;
pub use scope::ScopeId;
pub use signing_key::{SigningKey, KEY_ID};
pub use tenant::Tenant;
pub use tinybird_http::{TinybirdResponder, TinybirdScope};

use crate::clock::Now;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::runner::protocol::MockUrls;

/// The answer to a CORS preflight: 204, `methods` allowed, the headers the browser asked for (or
/// `Authorization` and `Content-Type`), cached for a day. Who may ask is each responder's to add.
pub(crate) fn cors_preflight(request: &exchange::Request, methods: &str) -> exchange::Response {
    let headers = request
        .headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Authorization, Content-Type")
        .to_owned();
    exchange::Response::new(204)
        .insert_header("access-control-allow-methods", methods)
        .insert_header("access-control-allow-headers", headers.as_str())
        .insert_header("access-control-max-age", "86400")
}

/// The clock a scope judges time by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// A case's frozen `now`.
    Fixed(Now),
    /// The wall clock (for `tbjwt mocks`).
    Wall,
}

impl Clock {
    /// The current time.
    pub fn now(self) -> Now {
        match self {
            Clock::Fixed(now) => now,
            Clock::Wall => Now::wall(),
        }
    }
}

/// The mocks could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port} for the {service} mock: {source}")]
    Bind {
        /// Which mock.
        service: &'static str,
        /// The port asked for (0: any).
        port: u16,
        /// The OS error.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the mocks' runtime: {0}")]
    Runtime(std::io::Error),
}

/// Both mocks, running.
pub struct MockServers {
    /// Where people and implementations reach the Auth0 mock.
    auth0_url: String,
    /// Where people and implementations reach the Tinybird mock.
    tinybird_url: String,
    served: [Arc<front::Served>; 2],
    /// The Auth0 tenant's state and internals.
    pub auth0: Auth0Responder,
    /// The Tinybird API's state.
    pub tinybird: TinybirdResponder,
    next_scope: AtomicU64,
    runtime: tokio::runtime::Runtime,
}

fn bind(service: &'static str, port: u16) -> Result<TcpListener, MockError> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|source| MockError::Bind { service, port, source })
}

impl MockServers {
    /// Starts both mocks on free ports.
    pub fn start() -> Result<MockServers, MockError> {
        MockServers::start_on(0, 0)
    }

    /// Starts both mocks on the given ports of 127.0.0.1 (0: any free port).
    pub fn start_on(auth0_port: u16, tinybird_port: u16) -> Result<MockServers, MockError> {
        let auth0_listener = bind("Auth0", auth0_port)?;
        let tinybird_listener = bind("Tinybird", tinybird_port)?;
        let url_of = |l: &TcpListener| l.local_addr().map(|a| format!("http://{a}"));
        let (auth0_url, tinybird_url) = match (url_of(&auth0_listener), url_of(&tinybird_listener)) {
            (Ok(a), Ok(t)) => (a, t),
            (Err(source), _) => return Err(MockError::Bind { service: "Auth0", port: auth0_port, source }),
            (_, Err(source)) => return Err(MockError::Bind { service: "Tinybird", port: tinybird_port, source }),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("tbjwt-mocks")
            .enable_all()
            .build()
            .map_err(MockError::Runtime)?;
        let auth0 = Auth0Responder::default();
        let tinybird = TinybirdResponder::default();
        // The tenant's issuer and discovery document name the URL clients reach it at.
        auth0.set_base_url(&auth0_url);
        let served = [Arc::new(front::Served::default()), Arc::new(front::Served::default())];
        runtime.spawn(front::serve(auth0_listener, Arc::new(auth0.clone()), served[0].clone()));
        runtime.spawn(front::serve(tinybird_listener, Arc::new(tinybird.clone()), served[1].clone()));
        Ok(MockServers { auth0_url, tinybird_url, served, auth0, tinybird, next_scope: AtomicU64::new(1), runtime })
    }

    /// The Auth0 mock's base URL (default scope).
    pub fn auth0_url(&self) -> String {
        self.auth0_url.clone()
    }

    /// The Tinybird mock's base URL (default scope).
    pub fn tinybird_url(&self) -> String {
        self.tinybird_url.clone()
    }

    /// A fresh scope for one case.
    pub fn new_scope(&self) -> ScopeId {
        ScopeId(self.next_scope.fetch_add(1, Ordering::Relaxed))
    }

    /// The base URLs an implementation gets for `scope` (through the fronts).
    pub fn urls(&self, scope: ScopeId) -> MockUrls {
        MockUrls {
            auth0: format!("{}{}", self.auth0_url(), scope.prefix()),
            tinybird: format!("{}{}", self.tinybird_url(), scope.prefix()),
        }
    }

    /// Sets up `scope` with a tenant and a Tinybird world.
    pub fn open_scope(&self, scope: ScopeId, tenant: Tenant, world: TinybirdScope) {
        self.auth0.scopes.insert(scope, tenant);
        self.tinybird.scopes.insert(scope, world);
    }

    /// Forgets everything about `scope`.
    pub fn close_scope(&self, scope: ScopeId) {
        self.auth0.scopes.remove(scope);
        self.tinybird.scopes.remove(scope);
        self.tinybird.forget(scope);
    }

    /// Requests both mocks have answered so far.
    pub fn requests_served(&self) -> u64 {
        self.served.iter().map(|s| s.count()).sum()
    }

    /// Serves until Ctrl-C, SIGTERM or SIGHUP (for `tbjwt mocks`).
    pub fn serve_until_interrupted(&self) {
        use tokio::signal::unix::{signal, SignalKind};
        self.runtime.block_on(async {
            let stop = tokio::signal::ctrl_c();
            tokio::pin!(stop);
            // SIGTERM and SIGHUP stop it as Ctrl-C does, so that what it started is cleaned up.
            let (mut term, mut hangup) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::hangup()).ok());
            let received = |s: &mut Option<tokio::signal::unix::Signal>| {
                let s = s.take();
                async move {
                    match s {
                        Some(mut s) => {
                            s.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                }
            };
            let (term, hangup) = (received(&mut term), received(&mut hangup));
            tokio::pin!(term);
            tokio::pin!(hangup);
            tokio::select! {
                _ = &mut stop => {}
                () = &mut term => {}
                () = &mut hangup => {}
            }
        });
    }
}
