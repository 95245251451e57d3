//! The running mocks: both wiremock servers, their responders and per-case scopes (the `full` build).

pub mod auth0;
pub mod front;
pub mod oidc;
pub mod scope;
mod signing_key;
pub mod tenant;
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
use std::sync::{Arc, RwLock, RwLockReadGuard};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use crate::runner::protocol::MockUrls;

/// The answer to a CORS preflight: 204, `methods` allowed, the headers the browser asked for (or
/// `Authorization` and `Content-Type`), cached for a day. Who may ask is each responder's to add.
pub(crate) fn cors_preflight(request: &wiremock::Request, methods: &str) -> wiremock::ResponseTemplate {
    let headers = request
        .headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Authorization, Content-Type")
        .to_owned();
    wiremock::ResponseTemplate::new(204)
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
    auth0_server: MockServer,
    tinybird_server: MockServer,
    /// Where people and implementations reach the Auth0 mock (its front; see [`front`]).
    auth0_front: String,
    /// Where people and implementations reach the Tinybird mock.
    tinybird_front: String,
    gates: [Arc<front::Gate>; 2],
    passed_at_reset: AtomicU64,
    /// The Auth0 tenant's state and internals.
    pub auth0: Auth0Responder,
    /// The Tinybird API's state.
    pub tinybird: TinybirdResponder,
    next_scope: AtomicU64,
    activity: RwLock<u64>,
    runtime: tokio::runtime::Runtime,
}

/// Scopes opened between two resets of the wiremock servers. wiremock keeps every request a mounted mock
/// matched (for its own verification), so a long run resets the servers now and then to stay flat.
pub const RESET_EVERY_SCOPES: u64 = 2_000;
/// Requests through the fronts between two resets of a long-lived server (`tbjwt mocks`).
pub const RESET_EVERY_REQUESTS: u64 = 5_000;

fn bind(service: &'static str, port: u16) -> Result<TcpListener, MockError> {
    TcpListener::bind(("127.0.0.1", port)).map_err(|source| MockError::Bind { service, port, source })
}

impl MockServers {
    /// Starts both mocks on free ports.
    pub fn start() -> Result<MockServers, MockError> {
        MockServers::start_on(0, 0)
    }

    /// Starts both mocks with their fronts on the given ports (0: any free port); the wiremock servers
    /// behind them listen on free ports of their own.
    pub fn start_on(auth0_port: u16, tinybird_port: u16) -> Result<MockServers, MockError> {
        let auth0_public = bind("Auth0", auth0_port)?;
        let tinybird_public = bind("Tinybird", tinybird_port)?;
        let front_url = |l: &TcpListener| l.local_addr().map(|a| format!("http://{a}"));
        let (auth0_front, tinybird_front) = match (front_url(&auth0_public), front_url(&tinybird_public)) {
            (Ok(a), Ok(t)) => (a, t),
            (Err(source), _) => return Err(MockError::Bind { service: "Auth0", port: auth0_port, source }),
            (_, Err(source)) => return Err(MockError::Bind { service: "Tinybird", port: tinybird_port, source }),
        };
        let auth0_listener = bind("Auth0", 0)?;
        let tinybird_listener = bind("Tinybird", 0)?;
        let backends = (auth0_listener.local_addr(), tinybird_listener.local_addr());
        let (Ok(auth0_backend), Ok(tinybird_backend)) = backends else {
            return Err(MockError::Bind {
                service: "mock",
                port: 0,
                source: std::io::Error::other("no local address"),
            });
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .thread_name("tbjwt-mocks")
            .enable_all()
            .build()
            .map_err(MockError::Runtime)?;
        let auth0 = Auth0Responder::default();
        let tinybird = TinybirdResponder::default();
        let (auth0_server, tinybird_server) = runtime.block_on(async {
            let a = MockServer::builder().listener(auth0_listener).disable_request_recording().start().await;
            let t = MockServer::builder().listener(tinybird_listener).disable_request_recording().start().await;
            Mock::given(any()).respond_with(auth0.clone()).named("Auth0 tenant").mount(&a).await;
            Mock::given(any()).respond_with(tinybird.clone()).named("Tinybird API").mount(&t).await;
            (a, t)
        });
        // The tenant's issuer and discovery document name the front, where clients reach it.
        auth0.set_base_url(&auth0_front);
        let gates = [Arc::new(front::Gate::default()), Arc::new(front::Gate::default())];
        runtime.spawn(front::serve(auth0_public, auth0_backend, gates[0].clone()));
        runtime.spawn(front::serve(tinybird_public, tinybird_backend, gates[1].clone()));
        Ok(MockServers {
            auth0_server,
            tinybird_server,
            auth0_front,
            tinybird_front,
            gates,
            passed_at_reset: AtomicU64::new(0),
            auth0,
            tinybird,
            next_scope: AtomicU64::new(1),
            activity: RwLock::new(1),
            runtime,
        })
    }

    /// The Auth0 mock's base URL (default scope), through its front.
    pub fn auth0_url(&self) -> String {
        self.auth0_front.clone()
    }

    /// The Tinybird mock's base URL (default scope), through its front.
    pub fn tinybird_url(&self) -> String {
        self.tinybird_front.clone()
    }

    /// The URLs of the wiremock servers themselves, for the harness's own flows (no front: they are
    /// trusted, and the front's limits would only cost them time).
    pub fn direct_urls(&self, scope: ScopeId) -> MockUrls {
        MockUrls {
            auth0: format!("{}{}", self.auth0_server.uri(), scope.prefix()),
            tinybird: format!("{}{}", self.tinybird_server.uri(), scope.prefix()),
        }
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

    /// Marks HTTP activity on the mocks (a batch of cases from its scopes' opening to their closing):
    /// [`MockServers::maintain`] waits for every such guard to be dropped before it resets the servers.
    pub fn activity(&self) -> RwLockReadGuard<'_, u64> {
        self.activity.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Resets both wiremock servers (and mounts the responders again) when enough scopes were opened
    /// since the last reset; the per-case state lives in the responders and is untouched. Call it while
    /// holding no [`MockServers::activity`] guard.
    pub fn maintain(&self) {
        let opened = self.next_scope.load(Ordering::Relaxed);
        if opened < *self.activity() + RESET_EVERY_SCOPES {
            return;
        }
        let mut last_reset = self.activity.write().unwrap_or_else(|p| p.into_inner());
        if opened < *last_reset + RESET_EVERY_SCOPES {
            return; // another thread just did it
        }
        self.runtime.block_on(self.reset());
        *last_reset = opened;
    }

    /// Resets both wiremock servers and mounts the responders again, with the fronts' gates closed so
    /// that no request sees them empty.
    async fn reset(&self) {
        let _auth0 = self.gates[0].close().await;
        let _tinybird = self.gates[1].close().await;
        self.auth0_server.reset().await;
        self.tinybird_server.reset().await;
        Mock::given(any()).respond_with(self.auth0.clone()).named("Auth0 tenant").mount(&self.auth0_server).await;
        Mock::given(any()).respond_with(self.tinybird.clone()).named("Tinybird API").mount(&self.tinybird_server).await;
    }

    /// Requests let through the fronts so far.
    pub fn requests_served(&self) -> u64 {
        self.gates.iter().map(|g| g.passed()).sum()
    }

    /// Serves until Ctrl-C, SIGTERM or SIGHUP (for `tbjwt mocks`), resetting the wiremock servers every
    /// [`RESET_EVERY_REQUESTS`] requests so that memory stays flat however long it serves.
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
            loop {
                tokio::select! {
                    _ = &mut stop => break,
                    () = &mut term => break,
                    () = &mut hangup => break,
                    () = tokio::time::sleep(std::time::Duration::from_millis(200)) => self.reset_when_due().await,
                }
            }
        });
    }

    async fn reset_when_due(&self) {
        let served = self.requests_served();
        if served >= self.passed_at_reset.load(Ordering::Relaxed) + RESET_EVERY_REQUESTS {
            self.reset().await;
            self.passed_at_reset.store(served, Ordering::Relaxed);
        }
    }
}
