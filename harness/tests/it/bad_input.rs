//! Bad input never panics: every subcommand, driven through out-of-range numbers, special files, missing
//! paths and malformed values, answers with a message that names what is wrong and exit code 2.

use std::time::{Duration, Instant};

use crate::common::{self, code, text, TempDir};

fn refused(args: &[&str], why: &str) -> Result<(), String> {
    let started = Instant::now();
    let out = common::tbjwt().args(args).output().unwrap();
    let took = started.elapsed();
    let all = text(&out);
    if code(&out) != 2 {
        return Err(format!("{args:?} ({why}): exit {:?}, not 2\n{all}", out.status.code()));
    }
    if all.contains("panicked") || all.contains("RUST_BACKTRACE") {
        return Err(format!("{args:?} ({why}): panicked\n{all}"));
    }
    if String::from_utf8_lossy(&out.stderr).trim().is_empty() {
        return Err(format!("{args:?} ({why}): no message"));
    }
    if took > Duration::from_secs(20) {
        return Err(format!("{args:?} ({why}): took {took:?}"));
    }
    Ok(())
}

#[test]
fn every_subcommand_refuses_bad_values_with_a_message_and_exit_2() {
    let dir = TempDir::new("bad-input");
    let huge = dir.path("huge.json");
    std::fs::File::create(&huge).unwrap().set_len(1 << 30).unwrap(); // sparse: 1 GiB read as nothing
    let huge = huge.display().to_string();
    let folder = dir.arg("");
    let event = "fixtures/events/minimal_event.json";
    let max = u64::MAX.to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["check", "reference", "--cases", &max], "cases beyond the limit"),
        (vec!["check", "reference", "--cases", "-1"], "negative cases"),
        (vec!["check", "reference", "--jobs", "0"], "no job"),
        (vec!["check", "reference", "--jobs", "100000"], "too many jobs"),
        (vec!["check", "reference", "--timeout", "inf"], "infinite timeout"),
        (vec!["check", "reference", "--timeout", "nan"], "NaN timeout"),
        (vec!["check", "reference", "--timeout", "0"], "zero timeout"),
        (vec!["check", "reference", "--timeout", "1e300"], "huge timeout"),
        (vec!["check", "reference", "--partition", "0/0"], "partition 0/0"),
        (vec!["check", "reference", "--partition", "3/2"], "partition 3/2"),
        (vec!["check", "reference", "--max-failures", "0"], "zero failures"),
        (vec!["check", "reference", "--shrink-steps", &max], "shrink steps"),
        (vec!["check", "reference", "--snapshots", "/proc/x"], "snapshots where nothing can be written"),
        (vec!["check", "reference", "--fixtures", "/nonexistent"], "missing fixtures folder"),
        (vec!["snapshots", "review", "/nonexistent"], "missing snapshot folder"),
        (vec!["mocks", "--action", "node:/nonexistent.js"], "a login action that does not exist"),
        (vec!["mocks", "--callback-url", "ftp://x"], "a callback that is not http"),
        (vec!["snapshots", "accept", "/dev/null"], "snapshot folder that is a file"),
        (vec!["snapshots", "reject", "/nonexistent", "x"], "rejecting in a missing folder"),
        (vec!["check", "reference", "--replay", "/nonexistent"], "missing replay file"),
        (vec!["check", "reference", "--replay", "/dev/zero"], "replay of a device"),
        (vec!["check", "reference", "--replay", &huge], "replay of a 1 GiB file"),
        (vec!["check", "reference", "--report", "yaml=x"], "unknown report format"),
        (vec!["check", "reference", "--report", "json="], "empty report path"),
        (vec!["check", "reference", "--report", "json=/proc/x/r.jsonl"], "unwritable report"),
        (vec!["check", "reference", "--config", "/nonexistent.toml"], "missing config"),
        (vec!["check", "reference", "--expectations", "/dev/zero"], "expectations from a device"),
        (vec!["check", "reference", "--save-failures", "/dev/null"], "regressions folder that is a file"),
        (vec!["check", "reference", "--level", "loose"], "unknown level"),
        (vec!["check", "nonsense"], "unknown implementation"),
        (vec!["check", "node:/nonexistent"], "missing action"),
        (vec!["check"], "no implementation"),
        (vec!["spec", "/dev/zero"], "a device"),
        (vec!["spec", &huge], "a 1 GiB file"),
        (vec!["spec", &folder], "a folder"),
        (vec!["spec", "/nonexistent.json"], "missing file"),
        (vec!["spec", event, "--now", "1e99"], "non-integer clock"),
        (vec!["spec", event, "--now", "99999999999999999"], "clock beyond Date"),
        (vec!["run", "nonsense", event], "unknown implementation"),
        (vec!["run", "reference", event, "--timeout", "inf"], "infinite timeout"),
        (vec!["observe", "reference", event, "--now", "x"], "bad clock"),
        (vec!["observe", "reference", "/dev/zero"], "a device"),
        (vec!["mocks", "--admin-token="], "empty admin token"),
        (vec!["mocks", "--pipes=,,,"], "no pipe"),
        (vec!["mocks", "--workspace-id="], "empty workspace"),
        (vec!["mocks", "--auth0-port", "70000"], "port out of range"),
        (vec!["fuzz", "reference", "--seconds", &max], "seconds beyond the limit"),
        (vec!["fuzz", "reference", "--seconds", "0"], "no time"),
        (vec!["fuzz", "reference", "--seconds", "inf"], "infinite time"),
        (vec!["fuzz", "reference", "--engine", "warp"], "unknown engine"),
        (vec!["fuzz", "reference", "--jobs", "0"], "no job"),
        (vec!["fuzz", "reference", "--engine", "libfuzzer", "--ignore", "logs"], "libfuzzer with check-only options"),
        (vec!["import-crash", "/nonexistent"], "missing artifact"),
        (vec!["import-crash", "/dev/null", "--target", "nope"], "unknown target"),
        (vec!["bench", "spec", "--seconds", "inf"], "infinite seconds"),
        (vec!["bench", "spec", "--seconds", "1e300"], "huge seconds"),
        (vec!["bench", "spec", "--seconds", "nan"], "NaN seconds"),
        (vec!["bench", "spec", "--seconds", "-1"], "negative seconds"),
        (vec!["bench", "node", "--cases", "1000000000"], "a billion cases in memory"),
        (vec!["bench", "node", "--cases", "0"], "no case"),
        (vec!["bench", "flow", "--jobs", "0"], "no job"),
        (vec!["frobnicate"], "unknown subcommand"),
    ];
    let problems: Vec<String> = cases.iter().filter_map(|(args, why)| refused(args, why).err()).collect();
    eprintln!("{} bad invocations tried, {} problems", cases.len(), problems.len());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
