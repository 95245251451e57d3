//! `tbjwt bench …`: throughput figures the README and the closing notes quote. Benchmarks print numbers;
//! they never assert on time.

use anyhow::Result;
use harness::event::{Now, PostLoginEvent};
use harness::flow::FlowClient;
use harness::js::JsValue;
use harness::mocks::MockServers;
use harness::runner::{Implementation, ReferenceRunner, RunRequest, Runner, RunnerSettings};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(clap::Subcommand)]
pub enum Target {
    /// Reference evaluations per second on one core, for 3 and for 100 pipes.
    Spec {
        /// Seconds to measure each event (over 0, at most 3600).
        #[arg(long, default_value_t = 2.0, value_parser = super::parse_seconds)]
        seconds: f64,
    },
    /// Cases per second through the Node worker, beside spawning Node per case and beside
    /// `jsonwebtoken.sign` alone in a Node loop on the same payloads.
    Node {
        /// The Node action to run [default: the bundled action, fixtures/implementations/tinybird-jwt].
        #[arg(long)]
        action: Option<PathBuf>,
        /// Cases through the worker (and signs in the baseline loop), 1 to 1,000,000.
        #[arg(long, default_value_t = 20_000, value_parser = bench_cases)]
        cases: usize,
        /// Cases that each spawn a fresh Node process, 1 to 1,000,000.
        #[arg(long, default_value_t = 20, value_parser = bench_cases)]
        spawn_cases: usize,
    },
    /// The resident memory of `tbjwt mocks` under sustained load (after 20,000 requests, and at the end).
    Mocks {
        /// Requests to send, 20,001 to 100,000,000.
        #[arg(long, default_value_t = 500_000, value_parser = clap::value_parser!(u64).range(20_001..=100_000_000))]
        requests: u64,
        /// Client threads, 1 to 64.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
    },
    /// What the gate costs beside what it checks: the Node worker's rate alone, then `check reference` and
    /// `check IMPL` (built-in suite + generated cases, no saving), each with its rate as a multiple of the
    /// worker's and its job time split between the implementation and the harness.
    Check {
        /// The implementation to check (beside the reference) [default: the bundled action,
        /// node:fixtures/implementations/tinybird-jwt].
        implementation: Option<Implementation>,
        /// Generated cases of each check, 1 to 1,000,000.
        #[arg(long, default_value_t = 5_000, value_parser = bench_cases)]
        cases: usize,
        /// The seed of the generated cases.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Jobs of each check, 1 to 256 (default: one per CPU, as `check`).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: Option<u16>,
        /// Runs of each measurement, 1 to 20: the median is reported, with the range.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=20))]
        repeat: u16,
    },
    /// Whole login flows per second (run, commit, ID token, Tinybird calls) for the reference on all
    /// cores, and the Node runner's per-case time with and without the flow.
    Flow {
        /// The Node action to run [default: the bundled action, fixtures/implementations/tinybird-jwt].
        #[arg(long)]
        action: Option<PathBuf>,
        /// Flows to measure for each, 1 to 1,000,000.
        #[arg(long, default_value_t = 5_000, value_parser = bench_cases)]
        cases: usize,
        /// Threads for the reference flows, 1 to 256 (default: one per CPU, as `check`).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        jobs: Option<u16>,
    },
}

/// The most cases a benchmark holds in memory at once.
const MAX_BENCH_CASES: usize = 1_000_000;

fn bench_cases(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_BENCH_CASES).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a number of cases from 1 to {MAX_BENCH_CASES}")),
    }
}

pub fn run(target: Target) -> Result<ExitCode> {
    match target {
        Target::Spec { seconds } => {
            let budget = Duration::from_secs_f64(seconds);
            for pipes in [3usize, 100] {
                let (rate, mean) = spec_rate(pipes, budget);
                println!("spec: {pipes:>3} pipes: {rate:>10.0} evaluations/s on one thread ({mean:.2} µs each)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Target::Node { action, cases, spawn_cases } => node_rates(&action_or_bundled(action)?, cases, spawn_cases),
        Target::Mocks { requests, threads } => super::bench_mocks::run(requests, usize::from(threads)),
        Target::Check { implementation, cases, seed, jobs, repeat } => check_cost(
            &implementation.map_or_else(|| action_or_bundled(None).map(Implementation::Node), Ok)?,
            cases,
            seed,
            jobs.map_or_else(harness::check::default_jobs, usize::from),
            usize::from(repeat),
        ),
        Target::Flow { action, cases, jobs } => {
            flow_rates(&action_or_bundled(action)?, cases, jobs.map_or_else(harness::check::default_jobs, usize::from))
        }
    }
}

/// The bundled action (the Marketplace `tinybird-jwt` folder), compiled into the binary.
const BUNDLED_ACTION: [(&str, &str); 2] = [
    ("integration.action.js", include_str!("../../../fixtures/implementations/tinybird-jwt/integration.action.js")),
    ("configuration.json", include_str!("../../../fixtures/implementations/tinybird-jwt/configuration.json")),
];

/// `action`, or the bundled action: `fixtures/implementations/tinybird-jwt` when run from the checkout,
/// else its copy compiled into the binary, written to the cache (so that the benches run from any folder).
fn action_or_bundled(action: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(action) = action {
        return Ok(action);
    }
    let in_checkout = PathBuf::from("fixtures/implementations/tinybird-jwt");
    if in_checkout.join("integration.action.js").is_file() {
        return Ok(in_checkout);
    }
    let dir = harness::node::cache_root().join("bench").join("tinybird-jwt");
    std::fs::create_dir_all(&dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    for (name, text) in BUNDLED_ACTION {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
            std::fs::write(&path, text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
    }
    Ok(dir)
}

/// `cases` distinct typical events (3 pipes, distinct users), as JSON.
fn typical_events(cases: usize) -> Vec<serde_json::Value> {
    (0..cases)
        .map(|i| {
            let mut event = PostLoginEvent::login(
                &format!("auth0|{i:024x}"),
                Some("p.eyJ1IjogImJlbmNoIn0.bench-admin-token".into()),
                Some("7f3c2a1e-0000-4000-8000-000000000000".into()),
                Some("top_pages,sessions_by_day,kpis".into()),
                Some(vec!["analyst".into()]),
            );
            if let Some(user) = event.user.as_mut() {
                user.id = Some(format!("u{i}").into());
            }
            event.to_json()
        })
        .collect()
}

/// The Node worker's rate on `cases` typical events (after a warm-up), pipelined in batches of 256.
fn node_worker_rate(action: &Path, cases: usize) -> Result<f64> {
    let implementation = Implementation::Node(action.to_owned());
    let events = typical_events(cases);
    let requests: Vec<RunRequest> =
        events.iter().map(|e| RunRequest { now: Now::DEFAULT, event: e, mocks: None, instance: None }).collect();
    let mut worker = implementation.runner(RunnerSettings::default())?;
    worker.prepare().map_err(|e| anyhow::anyhow!("{implementation}: {e}"))?;
    worker.run_batch(&requests[..requests.len().min(500)]); // warm up the JIT
    let started = Instant::now();
    let mut errored = 0;
    for chunk in requests.chunks(256) {
        errored += worker.run_batch(chunk).iter().filter(|r| r.is_err()).count();
    }
    let rate = cases as f64 / started.elapsed().as_secs_f64();
    worker.stop();
    anyhow::ensure!(errored == 0, "{errored} of {cases} cases errored through the worker");
    Ok(rate)
}

/// One `check` (suite + `cases` generated, no saving) and its footer.
fn timed_check(
    implementation: &Implementation,
    sandbox: &harness::sandbox::SandboxSettings,
    cases: usize,
    seed: u64,
    jobs: usize,
) -> Result<harness::report::RunFooter> {
    let settings = harness::check::CheckSettings {
        implementation: implementation.to_string(),
        cases: cases as u64,
        seed,
        jobs,
        save_failures: None,
        regressions: None,
        ..harness::check::CheckSettings::default()
    };
    let runner_settings = RunnerSettings::with_case_timeout(settings.timeout).with_sandbox(sandbox.clone());
    implementation.runner(runner_settings.clone())?; // install once, before the clock starts
    let factory = || implementation.runner(runner_settings.clone());
    let footer = harness::check::run_check(&settings, &factory, &mut [], &harness::check::Interrupt::new())?;
    Ok(footer)
}

/// The median of `values` (sorted in place) with its range.
fn median_and_range(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let median = if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 };
    (median, values[0], values[n - 1])
}

fn check_cost(
    implementation: &Implementation,
    cases: usize,
    seed: u64,
    jobs: usize,
    repeat: usize,
) -> Result<ExitCode> {
    let bundled = action_or_bundled(None)?;
    let action = bundled.as_path();
    let mut worker_rates = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        worker_rates.push(node_worker_rate(action, 20_000)?);
    }
    let (worker, low, high) = median_and_range(&mut worker_rates);
    println!("bench check: built-in suite + {cases} generated cases, seed {seed}, {jobs} jobs; median of {repeat} runs (range)");
    println!(
        "  Node worker alone (the bundled action, as `tbjwt bench node`): {worker:>7.0} cases/s ({low:.0}–{high:.0})"
    );
    // The implementation in its sandbox (the default) and without it, interleaved run by run, so that what
    // the sandbox costs is measured under the same load.
    let confined = harness::sandbox::SandboxSettings::default();
    let unconfined = harness::sandbox::SandboxSettings::off();
    let name = implementation.to_string();
    let rows = [
        ("reference".to_owned(), Implementation::Reference, &confined),
        (name.clone(), implementation.clone(), &confined),
        (format!("{name} --sandbox off"), implementation.clone(), &unconfined),
    ];
    let mut footers: Vec<Vec<harness::report::RunFooter>> = vec![Vec::with_capacity(repeat); rows.len()];
    for _ in 0..repeat {
        for ((_, implementation, sandbox), runs) in rows.iter().zip(&mut footers) {
            runs.push(timed_check(implementation, sandbox, cases, seed, jobs)?);
        }
    }
    let mut medians = Vec::with_capacity(rows.len());
    for ((name, _, _), footers) in rows.iter().zip(&footers) {
        let mut rates: Vec<f64> = footers.iter().map(|f| f.cases_per_second).collect();
        let (rate, low, high) = median_and_range(&mut rates);
        medians.push(rate);
        let footer = footers
            .iter()
            .min_by(|a, b| (a.cases_per_second - rate).abs().total_cmp(&(b.cases_per_second - rate).abs()))
            .expect("at least one run");
        let total = footer.counts.total().max(1) as f64;
        let t = footer.timing;
        println!(
            "  check {name}: {rate:>7.0} cases/s ({low:.0}–{high:.0}) = {:.2}x the Node worker; per case (job time): \
             implementation {:.3} ms, harness {:.3} ms; {}",
            rate / worker,
            1000.0 * t.implementation_seconds / total,
            1000.0 * t.harness_seconds / total,
            footer.conclusion.sentence(),
        );
    }
    println!(
        "  {}: {:+.1}% cases/s against --sandbox off",
        harness::sandbox::Enforcement::of_settings(&confined),
        100.0 * (medians[1] / medians[2] - 1.0)
    );
    Ok(ExitCode::SUCCESS)
}

fn node_rates(action: &Path, cases: usize, spawn_cases: usize) -> Result<ExitCode> {
    let implementation = Implementation::Node(action.to_owned());
    let worker_rate = node_worker_rate(action, cases)?;
    let events = typical_events(cases);
    let requests: Vec<RunRequest> =
        events.iter().map(|e| RunRequest { now: Now::DEFAULT, event: e, mocks: None, instance: None }).collect();

    let started = Instant::now();
    for request in requests.iter().cycle().take(spawn_cases) {
        let mut fresh = implementation.runner(RunnerSettings::default())?;
        fresh.run(request).map_err(|e| anyhow::anyhow!("spawned worker: {e}"))?;
        fresh.stop();
    }
    let spawn_rate = spawn_cases as f64 / started.elapsed().as_secs_f64();

    let runtime = harness::node::ensure_runtime()?;
    let file = std::env::temp_dir().join(format!("tbjwt-bench-{}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_vec(&events)?)?;
    let output = std::process::Command::new("node").arg(runtime.bench_sign_script()).arg(&file).arg("2").output()?;
    let _ = std::fs::remove_file(&file);
    let baseline: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| anyhow::anyhow!("the sign baseline failed ({e}): {}", String::from_utf8_lossy(&output.stderr)))?;
    let sign_rate = baseline["signs_per_second"].as_f64().unwrap_or(f64::NAN);

    println!("node: {implementation}, {cases} cases of a typical 3-pipe event");
    println!("  worker (one long-lived process, pipelined): {worker_rate:>9.0} cases/s");
    println!("  jsonwebtoken.sign alone in a Node loop:     {sign_rate:>9.0} signs/s");
    println!("  spawning Node per case:                      {spawn_rate:>9.1} cases/s");
    println!(
        "  worker / sign alone: {:.0}%   (the harness adds {:.0}%)",
        100.0 * worker_rate / sign_rate,
        100.0 * (sign_rate / worker_rate - 1.0).max(0.0)
    );
    println!("  worker / spawn per case: {:.0}x", worker_rate / spawn_rate);
    Ok(ExitCode::SUCCESS)
}

/// A typical event with `pipes` pipe names and an authorization.
pub fn typical_event(pipes: usize) -> JsValue {
    let names: Vec<String> = (0..pipes).map(|i| format!("pipe_{i:03}_daily_stats")).collect();
    let event = PostLoginEvent::login(
        "auth0|64f1c0ffee0123456789abcd",
        Some("p.eyJ1IjogIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJ9.bench-admin-token".into()),
        Some("7f3c2a1e-0000-4000-8000-000000000000".into()),
        Some(names.join(",").into()),
        Some(vec!["analyst".into()]),
    );
    JsValue::from_json(&event.to_json())
}

fn spec_rate(pipes: usize, budget: Duration) -> (f64, f64) {
    let event = typical_event(pipes);
    let start = Instant::now();
    let mut n: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..256 {
            std::hint::black_box(harness::spec::outcome(std::hint::black_box(&event), Now::DEFAULT));
        }
        n += 256;
    }
    let secs = start.elapsed().as_secs_f64();
    (n as f64 / secs, secs * 1e6 / n as f64)
}

fn flow_rates(action: &Path, cases: usize, jobs: usize) -> Result<ExitCode> {
    let mocks = MockServers::start()?;
    let events = typical_events(cases);

    let started = Instant::now();
    let per_job = events.len().div_ceil(jobs);
    std::thread::scope(|s| -> Result<()> {
        let handles: Vec<_> = events
            .chunks(per_job)
            .map(|chunk| {
                let mocks = &mocks;
                s.spawn(move || -> Result<()> {
                    let mut client = FlowClient::new(mocks);
                    for event in chunk {
                        client.run(&mut ReferenceRunner, event, Now::DEFAULT)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("a flow thread panicked"))??;
        }
        Ok(())
    })?;
    let reference_rate = cases as f64 / started.elapsed().as_secs_f64();

    let implementation = Implementation::Node(action.to_owned());
    let mut node = implementation.runner(RunnerSettings::default())?;
    node.prepare().map_err(|e| anyhow::anyhow!("{implementation}: {e}"))?;
    let requests: Vec<RunRequest> =
        events.iter().map(|e| RunRequest { now: Now::DEFAULT, event: e, mocks: None, instance: None }).collect();
    node.run_batch(&requests[..requests.len().min(300)]);
    let started = Instant::now();
    for chunk in requests.chunks(256) {
        node.run_batch(chunk);
    }
    let run_only = started.elapsed().as_secs_f64() / cases as f64;

    // The runner and the flows are pipelined, as `check`'s parallel jobs overlap them: one thread keeps
    // the Node worker busy with the next batch while two others play the flows of the previous ones.
    let started = Instant::now();
    let (sender, receiver) = std::sync::mpsc::sync_channel::<(Vec<harness::flow::PreparedCase>, Vec<_>)>(4);
    let receiver = std::sync::Mutex::new(receiver);
    std::thread::scope(|s| -> Result<()> {
        let flow_threads: Vec<_> = (0..2)
            .map(|_| {
                let (receiver, mocks) = (&receiver, &mocks);
                s.spawn(move || -> Result<()> {
                    let mut client = FlowClient::new(mocks);
                    loop {
                        let next = receiver.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.recv();
                        let Ok((prepared, results)) = next else { return Ok(()) };
                        for (p, r) in prepared.into_iter().zip(results) {
                            client.observe(p, r)?;
                        }
                    }
                })
            })
            .collect();
        let opener = FlowClient::new(&mocks);
        for chunk in events.chunks(64) {
            let prepared: Vec<_> = chunk.iter().map(|e| opener.prepare(e, Now::DEFAULT)).collect();
            let requests: Vec<RunRequest> = chunk
                .iter()
                .zip(&prepared)
                .map(|(e, p)| RunRequest { now: Now::DEFAULT, event: e, mocks: Some(&p.urls), instance: None })
                .collect();
            let results = node.run_batch(&requests);
            if sender.send((prepared, results)).is_err() {
                break;
            }
        }
        drop(sender);
        for t in flow_threads {
            t.join().map_err(|_| anyhow::anyhow!("a flow thread panicked"))??;
        }
        Ok(())
    })?;
    let with_flow = started.elapsed().as_secs_f64() / cases as f64;
    node.stop();

    println!(
        "flow: {cases} typical 3-pipe cases (8 HTTP requests each: metadata, code exchange, user, 3 pipes + decoy)"
    );
    println!("  reference, {jobs} threads:        {reference_rate:>8.0} flows/s");
    println!("  node runner alone:            {:>8.0} µs/case", run_only * 1e6);
    println!(
        "  node runner + whole flow:     {:>8.0} µs/case ({:.2}x the runner alone)",
        with_flow * 1e6,
        with_flow / run_only
    );
    Ok(ExitCode::SUCCESS)
}
