//! Snapshots people can review: each fixture's observation of an implementation as a readable document
//! (`readable`) in an insta-format file (`files`), and a review that accepts or rejects pending snapshots
//! without a Rust toolchain (`session`, behind `tbjwt snapshots`).

pub mod files;
pub(crate) mod readable;
pub mod session;

use std::path::Path;

use serde_json::Value;

use crate::flow::Observation;

/// Writes the snapshot of fixture `name` (its `description`) observed as `observation` from `event`:
/// `NAME.snap.new` when it is new or differs from `NAME.snap`.
pub fn write_observation(
    dir: &Path,
    name: &str,
    description: &str,
    observation: &Observation,
    event: &Value,
) -> std::io::Result<files::Written> {
    let body = serde_norway::to_string(&readable::readable(observation, event)).map_err(std::io::Error::other)?;
    files::write(dir, name, description, &body)
}
