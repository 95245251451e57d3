//! The integration tests, one binary (one link of tokio, hyper, ring, proptest and insta): every module
//! talks to real parts (Node.js with npm `jsonwebtoken@9.0.1`, child processes, HTTP on 127.0.0.1, the
//! `tbjwt` binary) and mocks only Auth0 and Tinybird.

mod adoption;
mod bad_input;
mod bundled;
mod check_command;
mod classes;
mod common;
mod compare;
mod deployed;
mod deviants;
mod effect_level;
mod flow;
mod fuzz_command;
mod hostile;
mod key_material;
mod lifecycle;
mod mocks_auth0;
mod mocks_command;
mod mocks_oidc;
mod mocks_tinybird;
mod oracle;
mod protocol_schemas;
mod review;
mod runners;
mod runtimes;
mod rust_port;
mod sandbox;
mod snapshot_review;
mod spa_login;
mod spec_command;
mod spec_rules;
mod spec_snapshots;
mod tinybird_clients;
mod vectors;
mod what_people_read;
