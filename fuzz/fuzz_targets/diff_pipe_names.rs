//! Pipe-name inputs → the differential check against an implementation named by `TBJWT_IMPL`, at the level
//! named by `TBJWT_LEVEL` (`strict` or `semantic`, the default) (implementation default:
//! the bundled JavaScript action through the Node worker, kept alive across executions). A divergence
//! aborts with the diff printed; `tbjwt import-crash` turns the artifact into a replayed case.
#![no_main]

use std::sync::{Mutex, OnceLock};

use harness::compare::Level;
use harness::fuzz_input::{compare_outcomes, pipe_names_event};
use harness::js::JsValue;
use harness::runner::{Implementation, RunRequest, Runner, RunnerSettings};
use libfuzzer_sys::fuzz_target;

const NOW: harness::clock::Now = harness::clock::Now::DEFAULT;

fn runner() -> &'static Mutex<Box<dyn Runner>> {
    static RUNNER: OnceLock<Mutex<Box<dyn Runner>>> = OnceLock::new();
    RUNNER.get_or_init(|| {
        let name = std::env::var("TBJWT_IMPL").unwrap_or_else(|_| {
            format!("node:{}/../fixtures/implementations/tinybird-jwt", env!("CARGO_MANIFEST_DIR"))
        });
        let implementation: Implementation = name.parse().unwrap_or_else(|e| panic!("TBJWT_IMPL: {e}"));
        let mut runner = implementation.runner(RunnerSettings::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        runner.prepare().unwrap_or_else(|e| panic!("{name}: {e}"));
        Mutex::new(runner)
    })
}

fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var("TBJWT_LEVEL").as_deref() {
        Ok("strict") => Level::Strict,
        Ok("semantic") | Err(_) => Level::Semantic,
        Ok(other) => panic!("TBJWT_LEVEL: `{other}` is not strict or semantic"),
    })
}

fuzz_target!(|data: &[u8]| {
    let event = pipe_names_event(data);
    // The reference is computed while the implementation works on the same event.
    let mut reference = None;
    let request = RunRequest { now: NOW, event: &event, mocks: None, instance: None };
    let mut results = runner().lock().unwrap().run_batch_while(std::slice::from_ref(&request), &mut || {
        reference = Some(harness::spec::outcome(&JsValue::from_json(&event), NOW));
    });
    let reference = reference.expect("the runner calls the work once");
    let implementation = match results.pop().expect("one result per request") {
        Ok(outcome) => outcome,
        Err(errored) => panic!("the implementation errored on {event}: {errored}"),
    };
    let differences = compare_outcomes(&event, NOW, &reference, &implementation, level());
    if !differences.is_empty() {
        panic!("divergence on {event}:\n{}", serde_json::to_string_pretty(&differences).unwrap());
    }
});
