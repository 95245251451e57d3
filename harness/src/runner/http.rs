//! The `http(s)://` runner: each case is the protocol's `run` message, POSTed as JSON; the response body
//! is the reply. Connection failures, timeouts and non-2xx answers make the case `errored`, with the
//! status and an excerpt of the body.

use std::time::Duration;

use super::protocol::{self, Reply};
use super::{Errored, RunRequest, RunResult, Runner, RunnerSettings};

/// A runner for an HTTP endpoint.
pub struct HttpRunner {
    url: String,
    agent: ureq::Agent,
    seq: u64,
}

const BODY_EXCERPT: usize = 300;

fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.char_indices().nth(BODY_EXCERPT) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_owned(),
    }
}

impl HttpRunner {
    /// A runner that POSTs to `url`.
    pub fn new(url: &str, settings: RunnerSettings) -> HttpRunner {
        let agent = crate::http_agent::agent(
            ureq::Agent::config_builder()
                .timeout_global(Some(settings.case_timeout))
                .timeout_connect(Some(settings.case_timeout.min(Duration::from_secs(5))))
                .http_status_as_error(false)
                .build(),
        );
        HttpRunner { url: url.to_owned(), agent, seq: 0 }
    }
}

impl Runner for HttpRunner {
    fn describe(&self) -> String {
        self.url.clone()
    }

    fn run(&mut self, request: &RunRequest<'_>) -> RunResult {
        self.seq += 1;
        let body = protocol::run_message(self.seq, request.now, request.event, request.mocks, request.instance);
        let mut response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(body.as_bytes())
            .map_err(|e| Errored::new(format!("POST {}: {e}", self.url)))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(super::reply_text::MAX_REPLY_BYTES as u64)
            .read_to_string()
            .map_err(|e| Errored::new(format!("POST {}: HTTP {status}, unreadable body: {e}", self.url)))?;
        if !(200..300).contains(&status) {
            return Err(Errored::new(format!("POST {}: HTTP {status}: {}", self.url, excerpt(&text))));
        }
        let value: serde_json::Value = super::reply_text::parse(&text)
            .map_err(|e| Errored::new(format!("POST {}: the body is not JSON ({e}): {}", self.url, excerpt(&text))))?;
        match protocol::parse_reply(value, self.seq) {
            Ok(Reply::Outcome(outcome)) => Ok(outcome),
            Ok(Reply::Errored(message)) => Err(Errored::new(message)),
            Err(violation) => Err(Errored::new(format!("protocol violation: {violation}"))),
        }
    }
}
