//! `tbjwt bench …`: throughput figures the README and the closing notes quote. Benchmarks print numbers;
//! they never assert on time.

use anyhow::Result;
use harness::event::{PostLoginEvent, DEFAULT_NOW};
use harness::js::JsValue;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(clap::Subcommand)]
pub enum Target {
    /// Reference evaluations per second on one core, for 3 and for 100 pipes.
    Spec {
        /// Seconds to measure each event.
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
    },
}

pub fn run(target: Target) -> Result<ExitCode> {
    match target {
        Target::Spec { seconds } => {
            let budget = Duration::from_secs_f64(seconds.max(0.1));
            for pipes in [3usize, 100] {
                let (rate, mean) = spec_rate(pipes, budget);
                println!("spec: {pipes:>3} pipes: {rate:>10.0} evaluations/s on one thread ({mean:.2} µs each)");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A typical event with `pipes` pipe names and an authorization.
pub fn typical_event(pipes: usize) -> JsValue {
    let names: Vec<String> = (0..pipes)
        .map(|i| format!("pipe_{i:03}_daily_stats"))
        .collect();
    let event = PostLoginEvent::login(
        "auth0|64f1c0ffee0123456789abcd",
        Some(
            "p.eyJ1IjogIjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMCJ9.bench-admin-token"
                .into(),
        ),
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
            std::hint::black_box(harness::spec::outcome(
                std::hint::black_box(&event),
                DEFAULT_NOW,
            ));
        }
        n += 256;
    }
    let secs = start.elapsed().as_secs_f64();
    (n as f64 / secs, secs * 1e6 / n as f64)
}
