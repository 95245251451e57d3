//! What one login flow (`flow`) shows: the outcome, and what it did to the world (stored metadata, ID token
//! claims, the Tinybird JWT and which pipes it opens), plus the security findings the comparator reports
//! above everything else.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::outcome::Outcome;

/// How the login ended for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Login {
    /// The user got an ID token.
    Succeeded,
    /// The login failed, with Auth0's error.
    Failed {
        /// `access_denied`, `server_error`, ...
        error: String,
        /// Auth0's description.
        error_description: String,
    },
}

/// The ID token the browser received and verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenObservation {
    /// Whether its RS256 signature verified against the tenant's JWKS, with the right issuer and audience.
    pub verified: bool,
    /// Its custom claims (everything but the standard and profile claims), in order.
    pub custom_claims: Map<String, Value>,
}

/// Where the browser found the Tinybird JWT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// The ID token's `https://app.tinybird.co` claim.
    IdToken,
    /// The stored `app_metadata.tinybirdJWT` (no ID token claim).
    AppMetadata,
}

/// The Tinybird JWT, decoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenObservation {
    /// Where it was found.
    pub source: TokenSource,
    /// The header, or `null` when the token does not decode.
    pub header: Value,
    /// The claims, or `null`.
    pub claims: Value,
    /// Whether its HS256 signature verifies under the admin token.
    pub signature_valid: bool,
    /// The raw token.
    pub raw: String,
}

/// What a security finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityKind {
    /// The token opens a pipe that the configuration does not name.
    OpensUnconfiguredPipe,
    /// The admin token is passed to an api call (stored, or sent to the browser).
    AdminTokenExposed,
    /// A log line holds the admin token.
    AdminTokenInLogs,
    /// A log line holds a JWT.
    TokenInLogs,
    /// Tinybird accepted a token not signed with the admin token.
    AcceptedWithForeignSignature,
    /// Another secret of the event is passed to an api call.
    SecretExposed,
    /// A log line holds another secret of the event.
    SecretInLogs,
    /// A secret was written to stdout or stderr.
    SecretInOutput,
    /// A secret was sent over an outbound connection.
    SecretSentOverNetwork,
    /// A secret was written to a file.
    SecretWrittenToFile,
    /// The action connected to something that is not one of the mocks.
    ConnectsOutsideMocks,
    /// The implementation started a process (the sandbox's view).
    SpawnsProcesses,
    /// The implementation tried to resolve a name (refused by the sandbox).
    ResolvesNames,
    /// The implementation tried to send a datagram (refused by the sandbox).
    SendsUdp,
    /// The implementation tried to write outside its private temp folder (refused by the sandbox).
    WritesOutsideSandbox,
    /// The implementation tried to read outside its own folder, runtime and dependencies (refused).
    ReadsOutsideSandbox,
}

impl SecurityKind {
    /// Every kind.
    pub const ALL: [SecurityKind; 16] = [
        SecurityKind::OpensUnconfiguredPipe,
        SecurityKind::AdminTokenExposed,
        SecurityKind::AdminTokenInLogs,
        SecurityKind::TokenInLogs,
        SecurityKind::AcceptedWithForeignSignature,
        SecurityKind::SecretExposed,
        SecurityKind::SecretInLogs,
        SecurityKind::SecretInOutput,
        SecurityKind::SecretSentOverNetwork,
        SecurityKind::SecretWrittenToFile,
        SecurityKind::ConnectsOutsideMocks,
        SecurityKind::SpawnsProcesses,
        SecurityKind::ResolvesNames,
        SecurityKind::SendsUdp,
        SecurityKind::WritesOutsideSandbox,
        SecurityKind::ReadsOutsideSandbox,
    ];

    /// The kind as reports spell it.
    pub fn name(self) -> &'static str {
        match self {
            SecurityKind::OpensUnconfiguredPipe => "opens_unconfigured_pipe",
            SecurityKind::AdminTokenExposed => "admin_token_exposed",
            SecurityKind::AdminTokenInLogs => "admin_token_in_logs",
            SecurityKind::TokenInLogs => "token_in_logs",
            SecurityKind::AcceptedWithForeignSignature => "accepted_with_foreign_signature",
            SecurityKind::SecretExposed => "secret_exposed",
            SecurityKind::SecretInLogs => "secret_in_logs",
            SecurityKind::SecretInOutput => "secret_in_output",
            SecurityKind::SecretSentOverNetwork => "secret_sent_over_network",
            SecurityKind::SecretWrittenToFile => "secret_written_to_file",
            SecurityKind::ConnectsOutsideMocks => "connects_outside_mocks",
            SecurityKind::SpawnsProcesses => "spawns_processes",
            SecurityKind::ResolvesNames => "resolves_names",
            SecurityKind::SendsUdp => "sends_udp",
            SecurityKind::WritesOutsideSandbox => "writes_outside_sandbox",
            SecurityKind::ReadsOutsideSandbox => "reads_outside_sandbox",
        }
    }

    /// The kind spelt `name`, if any.
    pub fn from_name(name: &str) -> Option<SecurityKind> {
        SecurityKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The rule the finding breaks.
    pub fn rule(self) -> crate::spec::Rule {
        use crate::spec::Rule;
        match self {
            SecurityKind::OpensUnconfiguredPipe => Rule::R7,
            SecurityKind::AcceptedWithForeignSignature => Rule::R9,
            SecurityKind::AdminTokenExposed
            | SecurityKind::SecretExposed
            | SecurityKind::SecretSentOverNetwork
            | SecurityKind::SecretWrittenToFile
            | SecurityKind::ConnectsOutsideMocks
            | SecurityKind::SpawnsProcesses
            | SecurityKind::ResolvesNames
            | SecurityKind::SendsUdp
            | SecurityKind::WritesOutsideSandbox
            | SecurityKind::ReadsOutsideSandbox => Rule::R11,
            SecurityKind::AdminTokenInLogs
            | SecurityKind::TokenInLogs
            | SecurityKind::SecretInLogs
            | SecurityKind::SecretInOutput => Rule::R12,
        }
    }
}

/// A finding that matters for security, reported above every other difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityFinding {
    /// What it is about.
    pub kind: SecurityKind,
    /// What was seen (never the secret itself).
    pub detail: String,
}

/// Everything observed in one case's flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// What the implementation did, or `None` when it errored.
    pub outcome: Option<Outcome>,
    /// How the implementation broke, when it did (then nothing else was observed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errored: Option<String>,
    /// How the login ended.
    pub login: Login,
    /// The user's `app_metadata` as stored after the flow.
    pub app_metadata: Value,
    /// The ID token, when the login succeeded.
    pub id_token: Option<IdTokenObservation>,
    /// The Tinybird JWT the browser would use.
    pub tinybird_jwt: Option<TokenObservation>,
    /// Pipe → HTTP status from the Tinybird mock: every configured pipe, then the decoys (0: the token
    /// cannot be sent in an HTTP header at all, as a browser's `fetch` refuses it).
    pub access: Map<String, Value>,
    /// Security findings.
    pub security: Vec<SecurityFinding>,
}

impl Observation {
    /// The observation of a case the implementation could not run.
    pub fn errored(message: String) -> Observation {
        Observation {
            outcome: None,
            errored: Some(message),
            login: Login::Failed {
                error: "server_error".into(),
                error_description: "the implementation errored".into(),
            },
            app_metadata: Value::Null,
            id_token: None,
            tinybird_jwt: None,
            access: Map::new(),
            security: Vec::new(),
        }
    }
}
