//! Runners: what executes an implementation of the action and returns its outcome.
//!
//! Protocol programs ([`channel`]) and the Node.js Actions runtime ([`node`]) share protocol v1
//! ([`protocol`]).

pub mod channel;
pub mod node;
pub mod protocol;
