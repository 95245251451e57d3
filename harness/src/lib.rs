//! `harness`: the conformance and fuzz harness for the Auth0 post-login action that mints Tinybird JWTs.
//!
//! The library holds the executable reference ([`spec`]), the JavaScript value semantics it rests on
//! ([`js`]), the outcome every implementation is judged by ([`outcome`]), and the Auth0 event model and
//! case files ([`event`]). The `tbjwt` binary is a thin layer over it.
//!
//! What is public is what the binary, the integration tests and the fuzz targets use, by layer, each
//! importing only the layers above it:
//! - the reference: [`clock`], [`js`], [`jwt`], [`spec`], [`outcome`], [`event`], [`fuzz_input`];
//! - running an implementation: [`runner`], [`node`], [`sandbox`];
//! - the world it runs in: [`mocks`] (the rules, and the servers), [`flow`], [`observation`];
//! - judging: [`compare`], [`classes`], [`strategies`];
//! - the gate and what people read: [`check`], [`report`], [`snapshots`], [`review`], [`mutation`];
//! - plumbing: [`files`], [`http_agent`].
//!
//! A module that nothing outside its parent needs is `pub(crate)` or private (a report format's
//! renderer, a server's request handling, the tenant's state, the expectations file, the class
//! examples), so that the surface stays what is listed here.

#![warn(missing_docs)]

#[cfg(feature = "full")]
pub mod check;
#[cfg(feature = "full")]
pub mod classes;
pub mod clock;
pub mod compare;
pub mod event;
pub mod files;
#[cfg(feature = "full")]
pub mod flow;
pub mod fuzz_input;
#[cfg(feature = "full")]
pub mod http_agent;
pub mod js;
pub mod jwt;
pub mod mocks;
#[cfg(feature = "full")]
pub mod mutation;
pub mod node;
pub mod observation;
pub mod outcome;
#[cfg(feature = "full")]
pub mod report;
pub mod review;
pub mod runner;
pub mod sandbox;
#[cfg(feature = "full")]
pub mod snapshots;
pub mod spec;
#[cfg(feature = "full")]
pub mod strategies;
#[cfg(feature = "full")]
pub mod vectors;
