//! Mocked Auth0 tenant and Tinybird API, acting as the real services would, so that what the harness
//! compares is what would happen in the world (docs/design.md). Their rules are plain functions
//! ([`tinybird`], `token_api`, `auth0_rules`); their responders answer a request in process; a plain
//! hyper server puts each on a socket for what needs one.
//!
//! [`MockServers`] starts both on 127.0.0.1 (a tokio runtime of its own, so callers stay synchronous),
//! with per-case scopes (`scope`): each case's `mocks` URLs carry a `/cases/{id}` prefix, and its
//! users, workspaces, clock and rate budgets live in that scope only.
//!
//! [`tinybird`] (the pure JWT decision) is in every build, the fuzz targets included; the running servers
//! (`server`) only in the `full` one.

#[cfg(feature = "full")]
pub(crate) mod auth0_rules;
pub mod tinybird;
#[cfg(feature = "full")]
pub(crate) mod token_api;

#[cfg(feature = "full")]
mod server;
#[cfg(feature = "full")]
pub use server::*;
