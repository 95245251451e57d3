//! `harness`: the conformance and fuzz harness for the Auth0 post-login action that mints Tinybird JWTs.
//!
//! The library holds the executable reference ([`spec`]), the JavaScript value semantics it rests on
//! ([`js`]), the outcome every implementation is judged by ([`outcome`]), and the Auth0 event model and
//! case files ([`event`]). The `tbjwt` binary is a thin layer over it.

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
