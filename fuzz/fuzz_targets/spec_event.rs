//! Arbitrary JSON-ish events (built with `arbitrary`, any JSON at every place the action reads) → the
//! reference never panics, and its outcome serialises and parses back unchanged.
#![no_main]

use harness::js::JsValue;
use harness::outcome::Outcome;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let event = harness::fuzz_input::arbitrary_event(data);
    // The first two bytes pick the clock: whole days, and milliseconds within the second (so a floor
    // that should have been a round shows).
    let day = i64::from(data.first().copied().unwrap_or(0)) * 86_400_000;
    let millis = i64::from(data.get(1).copied().unwrap_or(0)) * 4;
    let now = harness::clock::Now::from_millis(day + millis).expect("within JavaScript's Date range");
    let evaluation = harness::spec::evaluate(&JsValue::from_json(&event), now);
    let text = serde_json::to_string(&evaluation.outcome).expect("an outcome serialises");
    let back: Outcome = serde_json::from_str(&text).expect("an outcome parses back");
    assert_eq!(back, evaluation.outcome);
    assert!(!evaluation.trace.is_empty());
});
