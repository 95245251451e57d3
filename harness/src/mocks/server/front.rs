//! A mock on a socket: a plain hyper HTTP/1.1 server that reads each request within bounds and answers it
//! with the mock's responder ([`super::exchange::Respond`]). What people, real clients, browsers and
//! implementations under test connect to:
//!
//! - a request's headers must arrive within [`HEADER_TIMEOUT`] and its body within [`BODY_TIMEOUT`]
//!   (a half-sent request is answered 408 and its connection closed, never left open);
//! - a body is at most [`MAX_BODY_BYTES`] (413 past it, before it is all read);
//! - nothing of a request is kept once it is answered, so memory stays flat however long it serves.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::exchange::{self, Respond};

/// How long a request's headers may take to arrive.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take to arrive.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request body: 1 MiB, far above any request of a login flow or a pipe query.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Requests a server has answered.
#[derive(Debug, Default)]
pub struct Served(AtomicU64);

impl Served {
    /// Requests answered so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({"error": message}).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    response.headers_mut().insert("connection", HeaderValue::from_static("close"));
    response
}

/// `request`, read in full within the bounds, as the responders see it; or the error answer.
async fn read(request: hyper::Request<Incoming>) -> Result<exchange::Request, Response<Full<Bytes>>> {
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get("content-length").and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.unwrap_or(0) > MAX_BODY_BYTES {
        return Err(error(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over {MAX_BODY_BYTES} bytes")));
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect()).await {
        Err(_) => return Err(error(StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time")),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
            return Err(error(StatusCode::PAYLOAD_TOO_LARGE, &format!("the body is over {MAX_BODY_BYTES} bytes")))
        }
        Ok(Err(_)) => return Err(error(StatusCode::BAD_REQUEST, "the request body could not be read")),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let host = parts.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let Ok(url) = url::Url::parse(&format!("http://{host}{path}")) else {
        return Err(error(StatusCode::BAD_REQUEST, "the request's target is not a URL"));
    };
    Ok(exchange::Request { method: parts.method, url, headers: parts.headers, body: body.to_vec() })
}

/// The responder's answer as hyper sends it (a header hyper cannot send is left out).
fn to_hyper(answer: exchange::Response) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

async fn answer<R: Respond>(
    request: hyper::Request<Incoming>,
    responder: Arc<R>,
    served: Arc<Served>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request = match read(request).await {
        Ok(request) => request,
        Err(refused) => return Ok(refused),
    };
    served.0.fetch_add(1, Ordering::Relaxed);
    // A responder may take its time (the Auth0 mock runs an Action at `/authorize`, which may call the
    // Tinybird mock on this same runtime): it runs on a blocking thread, never on a worker of the runtime.
    match tokio::task::spawn_blocking(move || responder.respond(&request)).await {
        Ok(answer) => Ok(to_hyper(answer)),
        Err(_) => Ok(error(StatusCode::INTERNAL_SERVER_ERROR, "the mock failed to answer")),
    }
}

/// Serves `listener` forever on the current tokio runtime with `responder`, counting into `served`.
pub async fn serve<R: Respond>(listener: std::net::TcpListener, responder: Arc<R>, served: Arc<Served>) {
    let _ = listener.set_nonblocking(true);
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let (responder, served) = (responder.clone(), served.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| answer(request, responder.clone(), served.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
