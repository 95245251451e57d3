//! The harness tests itself: every committed deviant implementation must fail, on the observable and
//! rule its header names, shrunk to a small event; every conforming one must pass (at the level its
//! header names). Prints the kill score, the false-alarm count and the mean shrunk size, and keeps an
//! insta snapshot of each implementation's check summary under `snapshots/implementations/`.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use harness::check::{run_check, CheckSettings, Interrupt};
use harness::compare::{signature, Level};
use harness::report::{CaseReport, Counts, Reporter, RunFooter, RunHeader, Verdict};
use harness::runner::{Implementation, RunnerSettings};
use harness::strategies::Domain;

/// Keeps every failing case report.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<CaseReport>>>);

impl Reporter for Collect {
    fn header(&mut self, _: &RunHeader) -> std::io::Result<()> {
        Ok(())
    }
    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        if case.verdict != Verdict::Pass {
            self.0.lock().unwrap().push(case.clone());
        }
        Ok(())
    }
    fn footer(&mut self, _: &RunFooter) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a file's header comment says.
#[derive(Debug, Clone)]
struct Header {
    caught_by: Vec<String>,
    rule: String,
    domain: Domain,
    level: Level,
    /// The wall clock to run it at (frozen with faketime): for a deviant that reads the machine's clock,
    /// whose verdict would otherwise depend on the day the test runs.
    wall_clock: Option<String>,
}

fn header(path: &Path) -> Header {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| {
        text.lines().find_map(|l| l.trim_start_matches([' ', '*']).strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let caught = field("Caught by:").unwrap_or_default();
    let (observables, rule) =
        caught.split_once(" (").map_or((caught.as_str(), ""), |(o, r)| (o, r.trim_end_matches(')')));
    Header {
        caught_by: observables.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect(),
        rule: rule.to_owned(),
        domain: if field("Domain:").as_deref() == Some("any-json") { Domain::AnyJson } else { Domain::Auth0 },
        level: if field("Level:").as_deref() == Some("semantic") { Level::Semantic } else { Level::Strict },
        wall_clock: field("Wall clock:"),
    }
}

/// The `python3` that `PATH` finds.
fn python3() -> PathBuf {
    let paths = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&paths).map(|dir| dir.join("python3")).find(|p| p.is_file()).expect("python3 on PATH")
}

/// Debian's libfaketime (.ci/run installs the `faketime` package).
fn libfaketime() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib").ok().and_then(|dirs| {
        dirs.filter_map(Result::ok).map(|d| d.path().join("faketime/libfaketime.so.1")).find(|p| p.is_file())
    });
    found.expect("libfaketime is installed (Debian's faketime package; .ci/run installs it)")
}

fn implementation_of(path: &Path) -> Implementation {
    if path.extension().is_some_and(|e| e == "py") {
        let program = vec!["python3".into(), path.display().to_string()];
        match header(path).wall_clock {
            // libfaketime preloaded (the `faketime` wrapper would share its clock through /dev/shm, which
            // the sandbox does not let a program write).
            Some(clock) => {
                let preload = format!("LD_PRELOAD={}", libfaketime().display());
                // `env` would look python3 up itself; named by its path, its installation is readable.
                let program = vec![python3().display().to_string(), path.display().to_string()];
                Implementation::Cmd([vec!["env".into(), preload, format!("FAKETIME={clock}")], program].concat())
            }
            None => Implementation::Cmd(program),
        }
    } else {
        Implementation::Node(path.to_owned())
    }
}

struct Run {
    counts: Counts,
    failures: Vec<CaseReport>,
    shrink_runs: u64,
}

fn check(implementation: &Implementation, level: Level, domain: Domain) -> Run {
    let settings = CheckSettings {
        implementation: implementation.to_string(),
        level,
        domain,
        cases: 100, // every class of the auth0 domain gets its directed case
        seed: 20261128,
        jobs: 1, // one job: which failure gets shrunk is then deterministic, and so is the snapshot
        shrink_steps: 150,
        shrink_failures: 1,
        ..CheckSettings::default()
    };
    // The Python deviants import the port they change from fixtures/implementations/python.
    let sandbox = harness::sandbox::SandboxSettings {
        allow_read: vec![common::repo_root().join("fixtures/implementations/python")].into(),
        ..Default::default()
    };
    let runner_settings = RunnerSettings::default().with_sandbox(sandbox);
    let factory = || implementation.runner(runner_settings.clone());
    let collect = Collect::default();
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(collect.clone())];
    let footer = run_check(&settings, &factory, &mut reporters, &Interrupt::new()).unwrap();
    let failures = std::mem::take(&mut *collect.0.lock().unwrap());
    Run { counts: footer.counts, failures, shrink_runs: footer.timing.shrink_runs }
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(common::repo_root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "js" || e == "py"))
        .collect();
    v.sort();
    v
}

/// The summary snapshotted for review: verdict counts and the failing cases per root cause (rule and
/// kind, as the terminal's summary counts them).
fn summary(run: &Run) -> BTreeMap<String, serde_json::Value> {
    let mut causes: BTreeMap<String, u64> = BTreeMap::new();
    for case in &run.failures {
        for (security, rule, kind) in harness::compare::summary_kinds(&case.root_causes, &case.differences) {
            let rule = if security { format!("{rule} [security]") } else { rule.to_string() };
            *causes.entry(format!("{rule}: {kind}")).or_default() += 1;
        }
    }
    let c = run.counts;
    BTreeMap::from([
        ("counts".to_owned(), serde_json::json!({"pass": c.pass, "fail": c.fail, "error": c.error})),
        ("root causes (failing cases)".to_owned(), serde_json::to_value(causes).unwrap()),
    ])
}

fn snapshot(name: &str, run: &Run) {
    common::snapshot_settings("snapshots/implementations")
        .bind(|| insta::assert_yaml_snapshot!(name.to_owned(), summary(run)));
}

fn in_parallel<T: Send>(items: Vec<PathBuf>, f: impl Fn(&Path) -> T + Sync) -> Vec<(PathBuf, T)> {
    let queue = Mutex::new(items.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| loop {
                let Some(path) = queue.lock().unwrap().next() else { return };
                let result = f(&path);
                results.lock().unwrap().push((path, result));
            });
        }
    });
    let mut v = results.into_inner().unwrap();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn every_deviant_is_killed_on_its_observable_and_rule() {
    let deviants = files("fixtures/implementations/deviant");
    assert!(deviants.len() >= 30, "at least 30 deviants, found {}", deviants.len());
    let runs = in_parallel(deviants, |path| {
        let h = header(path);
        assert!(
            !h.caught_by.is_empty() && !h.rule.is_empty(),
            "{}: the header names the observable and rule",
            path.display()
        );
        (h.clone(), check(&implementation_of(path), Level::Semantic, h.domain))
    });
    let mut killed = 0;
    let mut shrunk_sizes = Vec::new();
    let mut shrink_runs = 0;
    let mut problems = Vec::new();
    for (path, (h, run)) in &runs {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        snapshot(&format!("deviant__{name}"), run);
        if run.counts.fail == 0 {
            problems.push(format!("{name}: not killed ({:?})", run.counts));
            continue;
        }
        killed += 1;
        let on_target = run
            .failures
            .iter()
            .flat_map(|c| &c.differences)
            .any(|d| h.caught_by.contains(&d.observable.key().to_owned()) && d.rule.to_string() == h.rule);
        if !on_target {
            let seen: Vec<String> = run.failures.iter().flat_map(|c| &c.differences).map(signature).take(5).collect();
            problems.push(format!("{name}: no difference on {:?} citing {} (saw {seen:?})", h.caught_by, h.rule));
        }
        shrink_runs += run.shrink_runs;
        if let Some(case) = run.failures.iter().find(|c| c.shrunk_size.is_some()) {
            let (size, original) = (case.shrunk_size.unwrap_or(0), case.original_size.unwrap_or(0));
            shrunk_sizes.push(size);
            // Small, unless the divergence needs a big event (over 50 pipes, say): then clearly smaller.
            if size > 600 && size * 4 > original * 3 {
                problems.push(format!("{name}: shrunk event still {size} bytes (from {original})"));
            }
        }
    }
    let mean = shrunk_sizes.iter().sum::<usize>() as f64 / shrunk_sizes.len().max(1) as f64;
    eprintln!(
        "kill score: {killed}/{} deviants killed; {} shrunk, mean shrunk event {mean:.0} bytes, {:.0} implementation \
         runs per shrunk case",
        runs.len(),
        shrunk_sizes.len(),
        shrink_runs as f64 / shrunk_sizes.len().max(1) as f64
    );
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_conforming_implementation_passes() {
    let root = common::repo_root();
    let mut items = files("fixtures/implementations/conforming");
    items.push(root.join("fixtures/implementations/published"));
    items.push(root.join("fixtures/implementations/tinybird-jwt"));
    items.push(root.join("fixtures/implementations/python/protocol_stdio.py"));
    let runs = in_parallel(items, |path| {
        let level = if path.is_dir() || path.extension().is_some_and(|e| e == "py") {
            Level::Strict
        } else {
            header(path).level
        };
        let implementation = implementation_of(path);
        let at_level = check(&implementation, level, Domain::AnyJson);
        let strict = (level == Level::Semantic).then(|| check(&implementation, Level::Strict, Domain::Auth0));
        (level, at_level, strict)
    });
    let mut false_alarms = 0;
    for (path, (level, run, strict)) in &runs {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        snapshot(&format!("conforming__{name}"), run);
        if run.counts.fail + run.counts.error > 0 {
            false_alarms += 1;
            eprintln!("{name}: false alarm at {level:?}: {:?}", run.counts);
        }
        if let Some(strict) = strict {
            assert!(strict.counts.fail > 0, "{name} differs in token bytes only: strict must tell");
        }
    }
    eprintln!("false alarms: {false_alarms}/{} conforming implementations", runs.len());
    assert_eq!(false_alarms, 0);
}
