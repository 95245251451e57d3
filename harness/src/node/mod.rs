//! Node.js as the harness uses it: the embedded runtime files, npm installs into a cache keyed by what
//! is installed, Marketplace action folders, and deployed artifacts (Deploy CLI exports, Terraform).
//!
//! Everything the harness needs from npm is installed on first use from a committed lock file (the
//! runtime's own `jsonwebtoken@9.0.1`) or from an action's declared `dependencies`, once per distinct set,
//! so that `cargo test` and `tbjwt` work on a fresh machine that has Node.js and npm.

mod action;
#[cfg(feature = "full")]
pub mod artifact;
pub mod custom;
mod install;
pub(crate) mod integrity;

pub use action::{ActionSource, ArtifactChoice, Dependency, Deployed, Trigger};
pub use install::{
    cache_root, ensure_dependencies, ensure_runtime, modules_for, verify_after_run, NodeError, RuntimeDir,
};
