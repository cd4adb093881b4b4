//! Lists at scale with units (issue 25, SPEC 14), against the release
//! binary in its own process, on SQLite and on a fresh PostgreSQL
//! database:
//!
//! - one account of 1,000,000 users in 1,000 units: the users list
//!   searched by a surname (1 % of the users), by a whole name and by an
//!   employee number, filtered by a unit, and the Order Licenses tab with
//!   its "before you order" panel (targets: each under 50 ms);
//! - one account of 100,000 users in 1,000 units, given by the users sync
//!   in one `PUT` (target: under 5 s), then the report with its table by
//!   unit (target: under 100 ms) and the warnings' check of the figures
//!   (the forecast over temporary licenses ending; target: under 1 s).
//!
//! Each figure is the median of 5. Run with `cargo bench --bench units`
//! (or `bench/run.sh`). PostgreSQL is measured in a fresh database made
//! on `BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

use std::io::Write;
use std::time::{Duration, Instant};

#[allow(dead_code)]
mod common;
use common::free_port;

const BIG: usize = 1_000_000;
const MID: usize = 100_000;
const UNITS: usize = 1_000;
const PASSWORD: &str = "benchmark password for units";
const TIMES: usize = 5;

const FIRST: [&str; 40] = [
    "Anna", "Bo", "Cecilia", "David", "Elin", "Fredrik", "Greta", "Hugo", "Ida", "Jonas", "Klara",
    "Lars", "Maja", "Nils", "Olivia", "Per", "Rut", "Sven", "Tove", "Ulf", "Vera", "Wilhelm",
    "Ylva", "Åsa", "Örjan", "Agnes", "Björn", "Dagny", "Erik", "Frida", "Gustav", "Hanna", "Ivar",
    "Josefin", "Karl", "Linnea", "Magnus", "Nora", "Oskar", "Pia",
];

/// 100 surnames: each is 1 % of the users.
fn surname(i: usize) -> String {
    const STEMS: [&str; 20] = [
        "Lind", "Berg", "Ek", "Sjö", "Holm", "Dahl", "Ström", "Nord", "Sand", "Löf", "Björk", "Ås",
        "Gran", "Hed", "Kvist", "Lund", "Malm", "Ny", "Öst", "Wall",
    ];
    const ENDS: [&str; 5] = ["qvist", "gren", "ström", "berg", "man"];
    format!("{}{}", STEMS[i % 20], ENDS[(i / 20) % 5])
}

fn name(i: usize) -> String {
    format!("{} {}", FIRST[i % FIRST.len()], surname(i / FIRST.len()))
}

fn unit(i: usize) -> String {
    format!("Store {:04}", i % UNITS)
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_license-portal")
}

fn run(db: &str, args: &[&str], stdin: Option<&str>) -> String {
    common::run_cli(binary(), db, args, stdin)
}

/// `n` users with units: 5 % passive, 5 % ended, 5 % ending within 30
/// days, 1 % starting later.
fn csv_file(path: &std::path::Path, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("csv"));
    writeln!(f, "employee_number,name,status,start_date,end_date,unit").expect("w");
    let today = chrono::Utc::now().date_naive();
    let later = |d: i64| (today + chrono::Duration::days(d)).to_string();
    for i in 0..n {
        let (status, start, end) = match i % 100 {
            0..=4 => ("passive", "2024-01-01".to_string(), String::new()),
            5..=9 => ("active", "2024-01-01".to_string(), later(-20)),
            10..=14 => ("active", "2024-01-01".to_string(), later(12)),
            15 => ("active", later(20), String::new()),
            _ => ("active", "2024-01-01".to_string(), String::new()),
        };
        writeln!(f, "E{i:07},{},{status},{start},{end},{}", name(i), unit(i)).expect("w");
    }
}

/// The users sync's body: `n` users with units, all new.
fn sync_body(n: usize) -> String {
    let users: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "employee_number": format!("M{i:06}"),
                "name": name(i),
                "status": if i % 20 == 0 { "passive" } else { "active" },
                "start_date": "2024-01-01",
                "end_date": if i % 7 == 0 { Some("2031-06-30") } else { None },
                "unit": unit(i),
            })
        })
        .collect();
    serde_json::json!({ "users": users }).to_string()
}

struct Figures {
    backend: &'static str,
    import: Duration,
    surname: Duration,
    whole_name: Duration,
    number: Duration,
    unit: Duration,
    order_tab: Duration,
    sync: Duration,
    report: Duration,
    check: Duration,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median of `TIMES` GETs, each checked to list `want` rows or more.
async fn timed(client: &reqwest::Client, url: &str, want: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..TIMES {
        let started = Instant::now();
        let res = client.get(url).send().await.expect("GET");
        assert!(res.status().is_success(), "{url}: {}", res.status());
        let body = res.text().await.expect("body");
        times.push(started.elapsed());
        assert!(body.contains(want), "{url}: no {want:?} in the answer");
    }
    median(times)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(300))
        .build()
        .expect("client")
}

fn contact(db: &str, email: &str, account: &str) {
    run(
        db,
        &[
            "login",
            "create",
            "--email",
            email,
            "--role",
            "contact",
            "--account",
            account,
        ],
        Some(&format!("{PASSWORD}\n")),
    );
}

fn measure(backend: &'static str, db: &str, rt: &tokio::runtime::Runtime) -> Figures {
    let dir = tempfile::tempdir().expect("dir");
    run(db, &["migrate"], None);
    let account = |name: &str, licenses: &str| {
        run(
            db,
            &["account", "create", "--name", name, "--licenses", licenses],
            None,
        )
    };
    let big = account("Chain AB", "1100000");
    let mid = account("Stores AB", "100000");
    contact(db, "owner@chain.example", &big);
    contact(db, "owner@stores.example", &mid);
    let token = run(
        db,
        &[
            "token",
            "create",
            "--name",
            "wfm",
            "--scope",
            "sync",
            "--account",
            &mid,
        ],
        None,
    );
    // Temporary licenses ending in 20 days, so that the check reads the
    // forecast (the ledger's rows ahead and the counts on the day after).
    let mid_id: i64 = mid.trim().parse().expect("account id");
    {
        let url = license_portal::db::DatabaseUrl::parse(db);
        let mut conn = license_portal::db::connect(&url).expect("connect");
        let today = chrono::Utc::now().date_naive();
        license_portal::ops::adjust_licenses(
            &mut conn,
            &mail_ctx(&dir),
            None,
            mid_id,
            5000,
            license_portal::domain::ledger::Period {
                starts_on: Some(today),
                ends_on: Some(today + chrono::Duration::days(20)),
            },
            "benchmark: a season",
        )
        .expect("season");
    }
    // The sync first, into a database of its account alone, as the API
    // benchmark measures it; then the big account.
    let port = free_port();
    let server = common::serve(binary(), db, port, &[], &[], &dir.path().join("mail"));
    let base = format!("http://127.0.0.1:{port}");
    let sync = rt.block_on(async {
        let c = client();
        common::wait_until_up(&c, &base).await;
        let body = sync_body(MID);
        let started = Instant::now();
        let res = c
            .put(format!("{base}/api/v1/accounts/{mid_id}/users"))
            .bearer_auth(token.trim())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sync");
        let status = res.status();
        let text = res.text().await.expect("answer");
        assert!(status.is_success(), "sync: {status} {text}");
        started.elapsed()
    });
    drop(server);
    let file = dir.path().join("users.csv");
    csv_file(&file, BIG);
    eprintln!("{backend}: importing {BIG} users");
    let started = Instant::now();
    run(
        db,
        &[
            "users",
            "import",
            "--account",
            &big,
            &file.to_string_lossy(),
        ],
        None,
    );
    let import = started.elapsed();
    let port = free_port();
    let server = common::serve(binary(), db, port, &[], &[], &dir.path().join("mail"));
    let base = format!("http://127.0.0.1:{port}");
    let (surname, whole_name, number, unit_time, order_tab, report) = rt.block_on(async {
        let c = client();
        common::wait_until_up(&c, &base).await;
        common::sign_in(&c, &base, "owner@chain.example", PASSWORD).await;
        let q = |s: &str| format!("{base}/account/users?filter=all&q={s}");
        let surname = timed(&c, &q("Lindqvist"), "Lindqvist</a>").await;
        let whole_name = timed(&c, &q("Maja%20Lindqvist"), "Maja Lindqvist</a>").await;
        let number = timed(&c, &q("E0456789"), "data-employee-number=\"E0456789\"").await;
        let unit_time = timed(
            &c,
            &format!("{base}/account/users?filter=all&unit=Store%200420"),
            ">Store 0420</td>",
        )
        .await;
        let order_tab = timed(&c, &format!("{base}/account/order-licenses"), "form_token").await;
        let s = client();
        common::sign_in(&s, &base, "owner@stores.example", PASSWORD).await;
        let report = timed(
            &s,
            &format!("{base}/account/reports/active-users"),
            "unit-count",
        )
        .await;
        (surname, whole_name, number, unit_time, order_tab, report)
    });
    drop(server);
    // The check the sync ran in its transaction, again on its own.
    let url = license_portal::db::DatabaseUrl::parse(db);
    let mut conn = license_portal::db::connect(&url).expect("connect");
    let ctx = mail_ctx(&dir);
    let mut checks = Vec::new();
    for _ in 0..TIMES {
        let started = Instant::now();
        license_portal::db::write_transaction(&mut conn, |conn| {
            license_portal::mail::notify::figures_changed(conn, &ctx, mid_id)
        })
        .expect("check");
        checks.push(started.elapsed());
    }
    Figures {
        backend,
        import,
        surname,
        whole_name,
        number,
        unit: unit_time,
        order_tab,
        sync,
        report,
        check: median(checks),
    }
}

fn mail_ctx(_dir: &tempfile::TempDir) -> license_portal::mail::MailContext {
    license_portal::mail::MailContext {
        base_url: "http://127.0.0.1".into(),
        order_desk: Vec::new(),
        now: chrono::Utc::now(),
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("units.db").to_string_lossy().into_owned();
    let mut all = vec![measure("SQLite", &sqlite, &rt)];
    match common::fresh_postgres("bench_units") {
        Some(url) => {
            all.push(measure("PostgreSQL", &url, &rt));
            common::drop_postgres(&url);
        }
        None => eprintln!("PostgreSQL not reachable: its figures are skipped"),
    }
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("\nunits at scale (median of {TIMES}; release binary in its own process)");
    println!(
        "| figure | target | {} |",
        all.iter()
            .map(|f| f.backend)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    println!("|---|---|{}", "---|".repeat(all.len()));
    let line = |label: &str, target: &str, f: &dyn Fn(&Figures) -> String| {
        println!(
            "| {label} | {target} | {} |",
            all.iter().map(f).collect::<Vec<_>>().join(" | ")
        );
    };
    line(
        &format!("import of {BIG} users with units (`users import`)"),
        "",
        &|f| format!("{:.1} s", f.import.as_secs_f64()),
    );
    line(
        "1,000,000 users: search by a surname (10,000 match)",
        "< 50 ms",
        &|f| ms(f.surname),
    );
    line("1,000,000 users: search by a whole name", "< 50 ms", &|f| {
        ms(f.whole_name)
    });
    line(
        "1,000,000 users: search by an employee number",
        "< 50 ms",
        &|f| ms(f.number),
    );
    line(
        "1,000,000 users: filtered by a unit (1,000 users)",
        "< 50 ms",
        &|f| ms(f.unit),
    );
    line("1,000,000 users: the Order Licenses tab", "< 50 ms", &|f| {
        ms(f.order_tab)
    });
    line(
        "users sync, 100,000 new users with units, one `PUT`",
        "< 5 s",
        &|f| format!("{:.2} s", f.sync.as_secs_f64()),
    );
    line(
        "100,000 users in 1,000 units: the report with its table by unit",
        "< 100 ms",
        &|f| ms(f.report),
    );
    line(
        "the warnings' check after that sync (forecast over a season)",
        "< 1 s",
        &|f| ms(f.check),
    );
}
