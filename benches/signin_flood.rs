//! What a sign-in flood costs the server (issue 9): 300 failed sign-ins,
//! 100 at once, against the release binary in its own process, while a
//! signed-in contact keeps reading `/account`. Loopback only.
//!
//! The sign-ins come from 20 loopback addresses, so the per-address brake
//! (30 failures in 10 minutes, then 429) does not end the flood early.
//!
//! Prints the server's peak resident memory rise over its resting size, the
//! p95 of `/account` during the flood, and the status counts of the
//! sign-in answers, each beside its target. Run with `bench/run.sh` or
//! `cargo bench --bench signin_flood`; `BENCH_DATABASE_URL=postgres://...`
//! (an empty database) measures PostgreSQL.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::{free_port, memory_kib, Server};

const SIGN_INS: usize = 300;
const AT_ONCE: usize = 100;
const PASSWORD: &str = "a harbour full of boats";

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_license-portal")
}

fn run(db: &str, args: &[&str], stdin: Option<&str>) -> String {
    common::run_cli(binary(), db, args, stdin)
}

/// The session cookie and CSRF token of a fresh `GET /login`.
async fn login_form(client: &reqwest::Client, base: &str) -> (String, String) {
    let res = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let html = res.text().await.expect("body");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("input[name=csrf_token]").expect("selector");
    let token = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("token")
        .to_string();
    (cookie, token)
}

async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    (cookie, token): &(String, String),
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/login"))
        .header("cookie", cookie)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", token),
        ])
        .send()
        .await
        .expect("POST /login")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = std::env::var("BENCH_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| dir.path().join("flood.db").to_string_lossy().into_owned());
    run(&db, &["migrate"], None);
    let account = run(
        &db,
        &[
            "account",
            "create",
            "--name",
            "Flood AB",
            "--licenses",
            "10",
        ],
        None,
    );
    for email in ["contact@flood.example", "victim@flood.example"] {
        run(
            &db,
            &[
                "login",
                "create",
                "--email",
                email,
                "--role",
                "contact",
                "--account",
                &account,
            ],
            Some(&format!("{PASSWORD}\n")),
        );
    }
    // The real login of the flood has two-step on (and the server runs
    // with the default `--two-step staff`): wrong passwords never reach the
    // second step, and the bound must hold all the same.
    {
        let url = license_portal::db::DatabaseUrl::parse(&db);
        let mut conn = license_portal::db::connect(&url).expect("connect");
        let victim =
            license_portal::models::Login::find_by_email(&mut conn, "victim@flood.example")
                .expect("query")
                .expect("victim");
        license_portal::models::Login::set_two_step(
            &mut conn,
            victim.id,
            Some(&license_portal::two_step::new_secret()),
            None,
        )
        .expect("two-step on");
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        Command::new(binary())
            .arg("--database")
            .arg(&db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("PORTAL_WORKERS", "2")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the server"),
    );
    let pid = server.0.id();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(AT_ONCE + 8)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let deadline = Instant::now() + Duration::from_secs(30);
        while client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map(|r| !r.status().is_success())
            .unwrap_or(true)
        {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // At rest: no hash has run yet, so the rise counts the hasher's
        // work memory too.
        let (rest_kib, _) = memory_kib(pid);

        // The reader: a signed-in contact.
        let form = login_form(&client, &base).await;
        let res = sign_in(&client, &base, &form, "contact@flood.example", PASSWORD).await;
        assert_eq!(res.status().as_u16(), 303, "the contact signs in");
        let reader_cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_string();
        for _ in 0..20 {
            let r = client
                .get(format!("{base}/account"))
                .header("cookie", &reader_cookie)
                .send()
                .await
                .expect("GET /account");
            assert_eq!(r.status().as_u16(), 200);
        }
        // Each flood request comes with its own pre-sign-in session, made
        // before the flood so that the flood is sign-ins only.
        let mut forms = Vec::with_capacity(SIGN_INS);
        for _ in 0..SIGN_INS {
            forms.push(login_form(&client, &base).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;

        let flooding = Arc::new(AtomicBool::new(true));
        let peak_kib = Arc::new(AtomicU64::new(rest_kib));
        let sampler = {
            let flooding = flooding.clone();
            let peak = peak_kib.clone();
            tokio::spawn(async move {
                while flooding.load(Ordering::Relaxed) {
                    peak.fetch_max(memory_kib(pid).0, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let reader = {
            let flooding = flooding.clone();
            let client = client.clone();
            let base = base.clone();
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut bad = 0;
                while flooding.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = client
                        .get(format!("{base}/account"))
                        .header("cookie", &reader_cookie)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().as_u16() == 200 => {
                            let _ = r.bytes().await;
                            times.push(t.elapsed());
                        }
                        _ => bad += 1,
                    }
                }
                (times, bad)
            })
        };

        // The flood comes from 20 loopback addresses, 15 sign-ins each: under
        // the per-address brake (30 in 10 minutes), so what is measured is
        // the hashing, not the 429s.
        let sources: Vec<reqwest::Client> = (0..20)
            .map(|i| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .local_address(std::net::IpAddr::from([127, 0, 1, 10 + i as u8]))
                    .timeout(Duration::from_secs(60))
                    .build()
                    .expect("client")
            })
            .collect();
        let started = Instant::now();
        let slots = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut flood = Vec::with_capacity(SIGN_INS);
        for (i, form) in forms.into_iter().enumerate() {
            let client = sources[i % sources.len()].clone();
            let base = base.clone();
            let slots = slots.clone();
            flood.push(tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.expect("slot");
                // Two in three for nobody, one in three a wrong password of
                // a real login (which locks it after ten).
                let email = if i % 3 == 0 {
                    "victim@flood.example".to_string()
                } else {
                    format!("nobody{i}@flood.example")
                };
                sign_in(&client, &base, &form, &email, "a wrong guess of a password")
                    .await
                    .status()
                    .as_u16()
            }));
        }
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        for task in flood {
            *statuses.entry(task.await.expect("task")).or_default() += 1;
        }
        let flood_time = started.elapsed();
        flooding.store(false, Ordering::Relaxed);
        sampler.await.expect("sampler");
        let (mut times, bad_reads) = reader.await.expect("reader");
        times.sort();
        let (_, hwm_kib) = memory_kib(pid);
        let peak = peak_kib.load(Ordering::Relaxed).max(hwm_kib);
        let rise_mb = peak.saturating_sub(rest_kib) as f64 / 1024.0;
        let p95 = percentile(&times, 0.95);
        let only_expected = statuses.keys().all(|s| [303, 401, 503].contains(s));

        let mark = |ok: bool| if ok { "meets" } else { "MISSES" };
        println!("sign-in flood: {SIGN_INS} failed sign-ins, {AT_ONCE} at once, in {flood_time:.2?}; release binary, 2 workers, default --hash-concurrency, --two-step staff, the real login with two-step on");
        println!(
            "  resting memory              {:>8.1} MB",
            rest_kib as f64 / 1024.0
        );
        println!(
            "  peak memory rise            {:>8.1} MB   target < 200 MB: {}",
            rise_mb,
            mark(rise_mb < 200.0)
        );
        println!(
            "  /account p95 during flood   {:>8.1} ms   target < 1000 ms: {} ({} reads, {} failed, p50 {:.1} ms, max {:.1} ms)",
            p95.as_secs_f64() * 1000.0,
            mark(p95 < Duration::from_secs(1) && bad_reads == 0),
            times.len(),
            bad_reads,
            percentile(&times, 0.5).as_secs_f64() * 1000.0,
            times.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        );
        let counts: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        println!(
            "  sign-in answers             {}   target only 303/401/503: {}",
            counts.join(", "),
            mark(only_expected)
        );
    });
    drop(server);
}
