//! The `reference` runner: the spec itself, in-process.

use super::{RunRequest, RunResult, Runner};
use crate::js::JsValue;

/// Runs [`crate::spec::outcome`].
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceRunner;

impl Runner for ReferenceRunner {
    fn describe(&self) -> String {
        "reference".to_owned()
    }

    fn run(&mut self, request: &RunRequest<'_>) -> RunResult {
        Ok(crate::spec::outcome(&JsValue::from_json(request.event), request.now))
    }
}
