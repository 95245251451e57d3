//! The front door of a mock: what people, real clients and implementations under test connect to. It
//! forwards each request to the wiremock server behind it, within bounds wiremock does not set:
//!
//! - a request's headers must arrive within [`HEADER_TIMEOUT`] and its body within [`BODY_TIMEOUT`]
//!   (a half-sent request is answered 408 and its connection closed, never left open);
//! - a body is at most [`MAX_BODY_BYTES`] (413 past it, before it is all read), a response at most
//!   [`MAX_RESPONSE_BYTES`];
//! - requests pass a gate that [`Gate::close`] shuts while the wiremock server behind is reset (wiremock
//!   keeps every request a mock matched, so a long-lived server must be reset now and then): requests that
//!   arrive meanwhile wait, none sees the server empty.
//!
//! The harness's own flows talk to wiremock directly; the front is for everything it does not trust or
//! control.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};

/// How long a request's headers may take to arrive.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request body: 1 MiB, far above any request of a login flow or a pipe query.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The largest response read back from wiremock.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Lets requests through, or holds them while the server behind is reset.
#[derive(Debug, Default)]
pub struct Gate {
    lock: tokio::sync::RwLock<()>,
    passed: AtomicU64,
}

impl Gate {
    /// Requests let through so far.
    pub fn passed(&self) -> u64 {
        self.passed.load(Ordering::Relaxed)
    }

    /// Waits for the requests in flight, then holds new ones until the guard is dropped.
    pub async fn close(&self) -> tokio::sync::RwLockWriteGuard<'_, ()> {
        self.lock.write().await
    }
}

type Forwarder = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"error": message}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    response.headers_mut().insert("connection", hyper::header::HeaderValue::from_static("close"));
    response
}

const HOP_BY_HOP: [&str; 8] =
    ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"];

async fn forward(
    request: Request<Incoming>,
    backend: SocketAddr,
    client: Forwarder,
    gate: Arc<Gate>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    if parts.headers.get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok()).unwrap_or(0)
        > MAX_BODY_BYTES
    {
        return Ok(error(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over {MAX_BODY_BYTES} bytes")));
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Err(_) => return Ok(error(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time")),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Ok(error(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over {MAX_BODY_BYTES} bytes")))
        }
        Ok(Err(_)) => return Ok(error(StatusCode::BAD_REQUEST, "the request body could not be read")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forwarded = Request::builder().method(parts.method.clone()).uri(format!("http://{backend}{path}"));
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            forwarded = forwarded.header(name, value);
        }
    }
    let Ok(forwarded) = forwarded.body(Full::new(body)) else {
        return Ok(error(StatusCode::BAD_REQUEST, "the request cannot be forwarded"));
    };
    let _open = gate.lock.read().await;
    gate.passed.fetch_add(1, Ordering::Relaxed);
    let Ok(answer) = client.request(forwarded).await else {
        return Ok(error(StatusCode::BAD_GATEWAY, "the mock behind this front did not answer"));
    };
    let (parts, body) = answer.into_parts();
    let Ok(body) = Limited::new(body, MAX_RESPONSE_BYTES).collect().await else {
        return Ok(error(StatusCode::BAD_GATEWAY, "the mock's answer could not be read"));
    };
    let mut response = Response::new(Full::new(body.to_bytes()));
    *response.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) && name != "content-length" {
            response.headers_mut().append(name, value.clone());
        }
    }
    Ok(response)
}

/// Serves `listener` forever on the current tokio runtime, forwarding to `backend` through `gate`.
pub async fn serve(listener: std::net::TcpListener, backend: SocketAddr, gate: Arc<Gate>) {
    let _ = listener.set_nonblocking(true);
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    let client: Forwarder =
        Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build_http();
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let (client, gate) = (client.clone(), gate.clone());
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request| forward(request, backend, client.clone(), gate.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
