//! What a full per-address brake costs (issue 21): the release binary on
//! SQLite behind `--trusted-proxy 127.0.0.1`, sent bad API tokens, each
//! request from a new client address (its own `X-Forwarded-For`), so every
//! one is a new entry in the brake's table:
//!
//! - before: requests/s while the table fills from empty;
//! - then 130,000 addresses in all;
//! - after: requests/s of new addresses with the table full (the old brake
//!   scanned its whole table for each of these, under one lock);
//! - and a valid token's requests/s from an address that is braked.
//!
//! Target: after >= 0.8 x before. Run with `cargo bench --bench brake`
//! (or `bench/run.sh`); loopback only: the addresses are header text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{free_port, memory_kib};

const FILL: u64 = 130_000;
const TURN: Duration = Duration::from_secs(4);
const CONNECTIONS: usize = 32;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_license-portal")
}

/// The `n`th client address: 10.x.y.z, each once.
fn address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

const BAD: &str = "lp_0000000000000000000000000000000000000000";

/// Send requests over `CONNECTIONS` connections for `turn`, or until
/// `until` requests were numbered (`next` counts them), each made by
/// `request` from its number; returns requests/s and how many answers were
/// not `expect`.
async fn drive<F>(
    next: &Arc<AtomicU64>,
    turn: Option<Duration>,
    until: u64,
    expect: u16,
    request: F,
) -> (f64, u64)
where
    F: Fn(u64) -> reqwest::RequestBuilder + Clone + Send + 'static,
{
    let started = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let odd = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let request = request.clone();
            let (next, done, odd) = (next.clone(), done.clone(), odd.clone());
            tokio::spawn(async move {
                loop {
                    if turn.is_some_and(|t| started.elapsed() >= t) {
                        break;
                    }
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= until {
                        break;
                    }
                    let res = request(n).send().await;
                    if !res.is_ok_and(|r| r.status() == expect) {
                        odd.fetch_add(1, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let rps = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    (rps, odd.load(Ordering::Relaxed))
}

/// Bad tokens, each from a new address (`next` numbers them), for `turn`
/// or until `until` addresses were used: requests/s and the non-401s.
async fn load(
    client: &reqwest::Client,
    url: &str,
    next: &Arc<AtomicU64>,
    turn: Option<Duration>,
    until: u64,
) -> (f64, u64) {
    let (client, url) = (client.clone(), url.to_string());
    drive(next, turn, until, 401, move |n| {
        client
            .get(&url)
            .bearer_auth(BAD)
            .header("x-forwarded-for", address(n))
    })
    .await
}

/// A valid token's requests/s for a turn, from one braked address, and
/// the non-200s.
async fn valid(client: &reqwest::Client, url: &str, token: &str, from: &str) -> (f64, u64) {
    let (client, url, token, from) = (
        client.clone(),
        url.to_string(),
        token.to_string(),
        from.to_string(),
    );
    let next = Arc::new(AtomicU64::new(0));
    drive(&next, Some(TURN), u64::MAX, 200, move |_| {
        client
            .get(&url)
            .bearer_auth(&token)
            .header("x-forwarded-for", &from)
    })
    .await
}

fn run(db: &str, args: &[&str]) -> String {
    common::run_cli(binary(), db, args, None)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("brake.db").to_string_lossy().into_owned();
    run(&db, &["migrate"]);
    let token = run(
        &db,
        &["token", "create", "--name", "bench", "--scope", "sync"],
    );
    let port = free_port();
    let server = common::serve(
        binary(),
        &db,
        port,
        &["--trusted-proxy", "127.0.0.1"],
        &[
            ("PORTAL_WORKERS", "2"),
            ("PORTAL_API_RATE_LIMIT", "100000000"),
        ],
        &dir.path().join("mail"),
    );
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    let url = format!("{base}/api/v1/accounts");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    rt.block_on(async {
        common::wait_until_up(&client, &base).await;
        let next = Arc::new(AtomicU64::new(0));
        let (resting, _) = memory_kib(pid);
        let (before, odd_before) = load(&client, &url, &next, Some(TURN), u64::MAX).await;
        let in_before = next.load(Ordering::Relaxed);
        let fill_started = Instant::now();
        load(&client, &url, &next, None, FILL).await;
        let filled_in = fill_started.elapsed();
        let (after, odd_after) = load(&client, &url, &next, Some(TURN), u64::MAX).await;
        let used = next.load(Ordering::Relaxed);
        // One address guesses 30 times and is braked; its valid token is
        // still answered.
        let braked = "192.0.2.77";
        for _ in 0..31 {
            let _ = client
                .get(&url)
                .bearer_auth(BAD)
                .header("x-forwarded-for", braked)
                .send()
                .await;
        }
        let refused = client
            .get(&url)
            .bearer_auth(BAD)
            .header("x-forwarded-for", braked)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        let (valid_rps, valid_odd) = valid(&client, &url, &token, braked).await;
        let (rss, peak) = memory_kib(pid);
        println!("\nthe per-address brake, SQLite, bad tokens from new addresses ({CONNECTIONS} connections)");
        println!("| figure | value | target |");
        println!("|---|---|---|");
        println!(
            "| before: requests/s while the table fills from empty ({in_before} addresses) | {before:.0} (non-401: {odd_before}) | |"
        );
        println!(
            "| filling to {FILL} addresses | {:.1} s | |",
            filled_in.as_secs_f64()
        );
        println!(
            "| after: requests/s of new addresses past {FILL} ({} more) | {after:.0} (non-401: {odd_after}) | |",
            used.saturating_sub(FILL)
        );
        println!(
            "| after / before | {:.2} | >= 0.8 |",
            after / before.max(1.0)
        );
        println!(
            "| a braked address's bad token | {refused} | 429 |"
        );
        println!(
            "| a braked address's valid token, requests/s | {valid_rps:.0} (non-200: {valid_odd}) | all 200 |"
        );
        println!(
            "| server RSS: resting, now, peak | {} MB, {} MB, {} MB | bounded |",
            resting / 1024,
            rss / 1024,
            peak / 1024
        );
    });
    drop(server);
}
