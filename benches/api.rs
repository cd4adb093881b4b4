//! What the JSON API costs (issue 12), against the release binary in its
//! own process, on SQLite and on PostgreSQL:
//!
//! - the users sync: 100,000 users in one `PUT /api/v1/accounts/{id}/users`
//!   (all new), then again with every user changed, with the server's
//!   peak resident memory rise over its resting size (targets: under 5 s,
//!   under 300 MB);
//! - `GET /api/v1/account` requests/s beside `/healthz` (`wrk -t2 -c32`).
//!
//! Run with `bench/run.sh` or `cargo bench --bench api`. PostgreSQL is
//! measured in a fresh database made on `BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); loopback only.

use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{free_port, memory_kib};

const USERS: usize = 100_000;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_license-portal")
}

fn run(db: &str, args: &[&str]) -> String {
    common::run_cli(binary(), db, args, None)
}

/// The sync body: `USERS` users; `round` changes every name.
fn body(round: usize) -> String {
    let users: Vec<serde_json::Value> = (0..USERS)
        .map(|i| {
            serde_json::json!({
                "employee_number": format!("E{i:06}"),
                "name": format!("User {i} r{round}"),
                "status": if i % 10 == 0 { "passive" } else { "active" },
                "start_date": "2024-01-01",
                "end_date": if i % 7 == 0 { Some("2027-06-30") } else { None },
                // Units (SPEC 14): 1,000 stores, each user moved in the second round.
                "unit": format!("Store {:04}", (i + round) % 1000),
            })
        })
        .collect();
    serde_json::json!({ "users": users }).to_string()
}

fn wrk(url: &str, token: Option<&str>) -> Option<(f64, String)> {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c32", "-d8s", "--latency"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
    }
    let out = cmd.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.contains("Non-2xx") {
        eprintln!("wrk saw non-2xx answers for {url}:\n{text}");
    }
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())?;
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("-")
        .to_string();
    Some((rps, p99))
}

struct Figures {
    backend: &'static str,
    create: Duration,
    update: Duration,
    peak_mb: f64,
    account: Option<(f64, String)>,
    healthz: Option<(f64, String)>,
}

fn measure(backend: &'static str, db: &str, rt: &tokio::runtime::Runtime) -> Figures {
    let _inside = rt.enter();
    run(db, &["migrate"]);
    let account = run(
        db,
        &[
            "account",
            "create",
            "--name",
            "Sync AB",
            "--licenses",
            "100000",
        ],
    );
    let sync = run(
        db,
        &["token", "create", "--name", "bench", "--scope", "sync"],
    );
    let contact = {
        let url = license_portal::db::DatabaseUrl::parse(db);
        let mut conn = license_portal::db::connect(&url).expect("connect");
        let input = license_portal::ops::LoginInput::parse(
            "bench@sync.example",
            "",
            "contact",
            account.parse().ok(),
            None,
        )
        .expect("login input");
        let login = license_portal::ops::create_login(&mut conn, None, &input, "").expect("login");
        let token =
            license_portal::ops::TokenInput::parse("bench", "read", login.account_id, "", false)
                .expect("token input");
        license_portal::ops::create_api_token(&mut conn, Some(login.id), &token)
            .expect("token")
            .1
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = common::serve(
        binary(),
        db,
        port,
        &[],
        &[
            ("PORTAL_WORKERS", "2"),
            ("PORTAL_API_RATE_LIMIT", "100000000"),
        ],
        &std::env::temp_dir().join("bench-api-mail"),
    );
    let pid = server.0.id();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client");
    rt.block_on(async {
        common::wait_until_up(&client, &base).await;
    });
    let (resting, _) = memory_kib(pid);
    let put = |round: usize, want: &str| {
        let payload = body(round);
        let started = Instant::now();
        let res = rt.block_on(
            client
                .put(format!("{base}/api/v1/accounts/{account}/users"))
                .bearer_auth(&sync)
                .header("content-type", "application/json")
                .body(payload)
                .send(),
        );
        let res = res.expect("PUT");
        let status = res.status();
        let text = rt.block_on(res.text()).unwrap_or_default();
        let took = started.elapsed();
        assert!(status.is_success(), "sync: {status} {text}");
        assert!(text.contains(want), "sync answered {text}");
        took
    };
    let create = put(0, "\"created\":100000");
    let update = put(1, "\"updated\":100000");
    let (_, peak) = memory_kib(pid);
    let account = wrk(&format!("{base}/api/v1/account"), Some(&contact));
    let healthz = wrk(&format!("{base}/healthz"), None);
    drop(server);
    Figures {
        backend,
        create,
        update,
        peak_mb: peak.saturating_sub(resting) as f64 / 1024.0,
        account,
        healthz,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("api.db").to_string_lossy().into_owned();
    let mut all = vec![measure("SQLite", &sqlite, &rt)];
    match common::fresh_postgres("bench_api") {
        Some(url) => {
            all.push(measure("PostgreSQL", &url, &rt));
            common::drop_postgres(&url);
        }
        None => eprintln!("PostgreSQL not reachable: its figures are skipped"),
    }
    println!("\nusers sync, {USERS} users in one request (targets: < 5 s, < 300 MB)");
    println!("| backend | all new | all changed | peak RSS rise |");
    println!("|---|---|---|---|");
    for f in &all {
        println!(
            "| {} | {:.2} s | {:.2} s | {:.1} MB |",
            f.backend,
            f.create.as_secs_f64(),
            f.update.as_secs_f64(),
            f.peak_mb
        );
    }
    println!("\nGET /api/v1/account beside /healthz (wrk -t2 -c32 -d8s)");
    println!("| backend | /api/v1/account | p99 | /healthz | p99 |");
    println!("|---|---|---|---|---|");
    let show = |x: &Option<(f64, String)>| match x {
        Some((rps, p99)) => (format!("{rps:.0} req/s"), p99.clone()),
        None => ("wrk missing".into(), "-".into()),
    };
    for f in &all {
        let (a, ap) = show(&f.account);
        let (h, hp) = show(&f.healthz);
        println!("| {} | {a} | {ap} | {h} | {hp} |", f.backend);
    }
}
