//! One HTTP exchange as the mocks' responders see it: the [`Request`] read in full, the [`Response`] they
//! build, and the [`Respond`] trait the server ([`super::front`]) calls. No socket here: a responder is a
//! plain function of the request and its own state, callable in process as over HTTP.

use hyper::{HeaderMap, Method};

/// A request, read in full (within the server's bounds).
#[derive(Debug, Clone)]
pub struct Request {
    /// Its method.
    pub method: Method,
    /// Its URL, as the client asked for it (`http://HOST/PATH?QUERY`).
    pub url: url::Url,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Vec<u8>,
}

/// A responder's answer: a status, headers (in the order they were added) and a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An answer with `status`, no header and an empty body.
    pub fn new(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Vec::new() }
    }

    /// Sets header `name` to `value`, replacing a value it had.
    pub fn insert_header(mut self, name: &str, value: impl Into<String>) -> Response {
        let name = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Sets the body and its `content-type`.
    pub fn set_body_raw(self, body: Vec<u8>, content_type: &str) -> Response {
        let mut response = self.insert_header("content-type", content_type);
        response.body = body;
        response
    }
}

/// What answers a mock's requests.
pub trait Respond: Send + Sync + 'static {
    /// The answer to `request`.
    fn respond(&self, request: &Request) -> Response;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_set_twice_keeps_the_last_value_once() {
        let response = Response::new(200).insert_header("Allow", "GET").insert_header("allow", "POST");
        assert_eq!(response.headers, [("allow".to_owned(), "POST".to_owned())]);
        let response = response.set_body_raw(b"{}".to_vec(), "application/json");
        assert_eq!(response.headers[1], ("content-type".to_owned(), "application/json".to_owned()));
        assert_eq!(response.body, b"{}");
    }
}
