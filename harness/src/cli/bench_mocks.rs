//! `tbjwt bench mocks`: the memory of a long-lived `tbjwt mocks` under sustained load. It starts the real
//! command as a child process, sends it requests from several client threads (pipe queries with the
//! sample JWT, and the Auth0 discovery document and JWKS), and prints the child's resident memory after
//! the first 20,000 requests and at the end.

use anyhow::{bail, Context as _, Result};
use std::io::BufRead as _;
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The requests after which the first memory figure is taken.
const WARM_UP: u64 = 20_000;

fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// Runs the benchmark: `requests` requests from `threads` threads.
pub fn run(requests: u64, threads: usize) -> Result<ExitCode> {
    let mut child = Command::new(std::env::current_exe()?)
        .args(["mocks", "--pipes", "top_pages,kpis"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start tbjwt mocks")?;
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().context("piped")?).read_line(&mut line)?;
    let info: serde_json::Value = serde_json::from_str(&line).context("tbjwt mocks printed no JSON line")?;
    let text = |key: &str| info[key].as_str().unwrap_or_default().to_owned();
    let (auth0, tinybird, jwt) = (text("auth0_url"), text("tinybird_url"), text("sample_jwt"));
    let urls = [
        format!("{tinybird}/v0/pipes/top_pages.json?token={jwt}"),
        format!("{tinybird}/v0/pipes/kpis.json?token={jwt}"),
        format!("{tinybird}/v0/pipes/other.json?token={jwt}"),
        format!("{auth0}/.well-known/openid-configuration"),
        format!("{auth0}/.well-known/jwks.json"),
    ];
    let sent = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let mut warm = None;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads.max(1) {
            let (urls, sent, failed) = (&urls, &sent, &failed);
            scope.spawn(move || {
                let agent =
                    harness::http_agent::agent(ureq::Agent::config_builder().http_status_as_error(false).build());
                loop {
                    let n = sent.fetch_add(1, Ordering::Relaxed);
                    if n >= requests {
                        break;
                    }
                    let ok = agent
                        .get(&urls[(n as usize + t) % urls.len()])
                        .call()
                        .and_then(|mut r| r.body_mut().read_to_vec())
                        .is_ok();
                    if !ok {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        while sent.load(Ordering::Relaxed) < requests {
            if warm.is_none() && sent.load(Ordering::Relaxed) >= WARM_UP {
                warm = resident_bytes(pid);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    std::thread::sleep(std::time::Duration::from_millis(500)); // the last connections close
    let end = resident_bytes(pid);
    let _ = child.kill();
    let _ = child.wait();
    let (Some(warm), Some(end)) = (warm, end) else { bail!("could not read the memory of tbjwt mocks") };
    let mb = |b: u64| b as f64 / 1_000_000.0;
    println!(
        "mocks: {requests} requests in {seconds:.1} s ({:.0}/s, {} failed) from {threads} threads",
        requests as f64 / seconds,
        failed.load(Ordering::Relaxed)
    );
    println!(
        "  resident memory after {WARM_UP}: {:.1} MB; after {requests}: {:.1} MB ({:.2}×)",
        mb(warm),
        mb(end),
        end as f64 / warm.max(1) as f64
    );
    Ok(ExitCode::SUCCESS)
}
