//! Mocked Auth0 tenant and Tinybird API on wiremock, acting as the real services would, so that what
//! the harness compares is what would happen in the world (DESIGN.md §5).
//!
//! [`MockServers`] starts both on 127.0.0.1 (a tokio runtime of its own, so callers stay synchronous),
//! with per-case scopes ([`scope`]): each case's `mocks` URLs carry a `/cases/{id}` prefix, and its
//! users, workspaces, clock and rate budgets live in that scope only.

pub mod tinybird;

#[cfg(feature = "full")]
mod servers;
#[cfg(feature = "full")]
pub use servers::*;
