//! A new customer's first import (issue 21): 100,000 new users through
//! `license-portal users import` into a fresh database, then at once the
//! active-user CSV and report page, then the same after a manual
//! `ANALYZE`. The release binary in its own process, on SQLite and on a
//! fresh PostgreSQL database.
//!
//! Targets: the import under 5 s; the first figures within 20 % of those
//! after `ANALYZE` (the import brings the planner's statistics up to date
//! itself). Run with `cargo bench --bench import` (or `bench/run.sh`).

use std::io::Write;
use std::time::{Duration, Instant};

// Of the shared helpers this bench does not read memory.
#[allow(dead_code)]
mod common;
use common::free_port;

const USERS: usize = 100_000;
const PASSWORD: &str = "benchmark password for imports";
/// Each figure is the median of this many requests.
const TIMES: usize = 5;

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_license-portal")
}

fn run(db: &str, args: &[&str], stdin: Option<&str>) -> String {
    common::run_cli(binary(), db, args, stdin)
}

fn csv_file(path: &std::path::Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("csv"));
    writeln!(f, "employee_number,name,status,start_date,end_date").expect("w");
    for i in 0..USERS {
        let status = if i % 10 == 0 { "passive" } else { "active" };
        let end = if i % 7 == 0 { "2031-06-30" } else { "" };
        writeln!(f, "E{i:06},User {i},{status},2024-01-01,{end}").expect("w");
    }
}

fn analyze(db: &str) {
    use diesel::connection::SimpleConnection;
    match license_portal::db::connect(&license_portal::db::DatabaseUrl::parse(db))
        .expect("connect")
    {
        license_portal::db::DbConnection::Sqlite(mut c) => c.batch_execute("ANALYZE"),
        license_portal::db::DbConnection::Postgres(mut c) => c.batch_execute("ANALYZE"),
    }
    .expect("ANALYZE");
}

struct Figures {
    backend: &'static str,
    import: Duration,
    first: (Duration, Duration),
    later: (Duration, Duration),
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn timed(client: &reqwest::Client, url: &str) -> Duration {
    let started = Instant::now();
    let res = client.get(url).send().await.expect("GET");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    let body = res.bytes().await.expect("body");
    assert!(body.len() > 100, "{url}: a real answer");
    started.elapsed()
}

async fn both(client: &reqwest::Client, base: &str) -> (Duration, Duration) {
    let mut csv = Vec::new();
    let mut page = Vec::new();
    for _ in 0..TIMES {
        csv.push(timed(client, &format!("{base}/account/reports/active-users.csv")).await);
        page.push(timed(client, &format!("{base}/account/reports/active-users")).await);
    }
    (median(csv), median(page))
}

fn measure(backend: &'static str, db: &str, rt: &tokio::runtime::Runtime) -> Figures {
    let dir = tempfile::tempdir().expect("dir");
    run(db, &["migrate"], None);
    let account = run(
        db,
        &[
            "account",
            "create",
            "--name",
            "Import AB",
            "--licenses",
            "200000",
        ],
        None,
    );
    run(
        db,
        &[
            "login",
            "create",
            "--email",
            "owner@example.com",
            "--role",
            "contact",
            "--account",
            &account,
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let file = dir.path().join("users.csv");
    csv_file(&file);
    let started = Instant::now();
    run(
        db,
        &[
            "users",
            "import",
            "--account",
            &account,
            &file.to_string_lossy(),
        ],
        None,
    );
    let import = started.elapsed();
    let port = free_port();
    let server = common::serve(binary(), db, port, &[], &[], &dir.path().join("mail"));
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (first, later) = rt.block_on(async {
        common::wait_until_up(&client, &base).await;
        common::sign_in(&client, &base, "owner@example.com", PASSWORD).await;
        let first = both(&client, &base).await;
        analyze(db);
        let later = both(&client, &base).await;
        (first, later)
    });
    drop(server);
    Figures {
        backend,
        import,
        first,
        later,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("import.db").to_string_lossy().into_owned();
    let mut all = vec![measure("SQLite", &sqlite, &rt)];
    match common::fresh_postgres("bench_import") {
        Some(url) => {
            all.push(measure("PostgreSQL", &url, &rt));
            common::drop_postgres(&url);
        }
        None => eprintln!("PostgreSQL not reachable: its figures are skipped"),
    }
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    println!("\nthe first import: {USERS} new users by `users import`, then the report (median of {TIMES})");
    println!("| backend | import (< 5 s) | CSV first / after ANALYZE | page first / after ANALYZE | first / after (<= 1.2) |");
    println!("|---|---|---|---|---|");
    for f in &all {
        println!(
            "| {} | {:.2} s | {} / {} | {} / {} | {:.2}, {:.2} |",
            f.backend,
            f.import.as_secs_f64(),
            ms(f.first.0),
            ms(f.later.0),
            ms(f.first.1),
            ms(f.later.1),
            ratio(f.first.0, f.later.0),
            ratio(f.first.1, f.later.1),
        );
    }
}
