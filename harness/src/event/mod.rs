//! Auth0 post-login events: a typed model of what Auth0 really sends (v3 shape), and case files, the
//! fixtures' format (an event with a name, a description, the rules it exercises and an optional clock).

mod case;
pub mod limits;
mod model;
pub mod regressions;
pub mod session;
pub mod suite;

pub use crate::clock::{wall_clock_now, Now, DEFAULT_NOW, MAX_NOW};
pub use case::{content_id, session_content_id, Case, CaseError, CASE_MARKER, MAX_EVENT_FILE_BYTES};
pub use model::{Authorization, Client, Connection, PostLoginEvent, Request, Transaction, User};
pub use session::{Grant, LaterLogin};
