//! `check --snapshots DIR`: each fixture's observation of the implementation as an insta snapshot, so a
//! team reviews how its implementation's behaviour changed with `cargo insta review`, exactly as this
//! project reviews its spec snapshots. insta is told to never fail and to write `.snap.new` files for new
//! and changed snapshots (see `check::prepare_snapshot_environment`).

use std::path::Path;

use crate::flow::Observation;

/// Sets the insta environment for snapshot writing; call before any thread starts.
pub fn prepare_environment() {
    // SAFETY-free on edition 2021: set_var is safe but must happen before threads read the environment.
    if std::env::var_os("INSTA_UPDATE").is_none() {
        std::env::set_var("INSTA_UPDATE", "new");
    }
    std::env::set_var("INSTA_FORCE_PASS", "1");
    if std::env::var_os("INSTA_OUTPUT").is_none() {
        std::env::set_var("INSTA_OUTPUT", "none");
    }
}

/// Writes (or leaves unchanged) the snapshot of case `name`.
pub fn write(dir: &Path, name: &str, observation: &Observation) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_yaml_snapshot!(name, observation);
    });
}
