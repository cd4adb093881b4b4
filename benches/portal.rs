//! The portal's speed and memory figures (issues 5 and 13), measured on a
//! seeded database: one account of 100,000 users and 1,000 accounts of
//! 1,000 users each. Run with `bench/run.sh` (or `cargo bench --bench
//! portal`): SQLite and a fresh PostgreSQL database side by side, or the
//! database of `BENCH_DATABASE_URL` alone.
//!
//! Prints: count time, report page time, CSV time and its extra peak memory,
//! staff accounts list time, past days from history, the Licenses tab and
//! a reduction's check on 1,000 ledger rows, and `/account` beside
//! `/healthz` requests per second with their p99 (wrk, loopback only), and
//! `/account` at 1 to 16 connections at once.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use diesel::prelude::*;
use license_portal::config::Settings;
use license_portal::db::schema::users;
use license_portal::db::{self, DatabaseUrl, DbConnection};
use license_portal::models::ledger::LedgerRow;
use license_portal::models::User;
use license_portal::ops::{self, AccountInput, LoginInput};
use license_portal::startup::Application;
use license_portal::state::Clock;

// Of the shared helpers this bench, in-process, needs no server process.
#[allow(dead_code)]
mod common;

const BIG_USERS: usize = 100_000;
const SMALL_ACCOUNTS: usize = 1_000;
const SMALL_USERS: usize = 1_000;
const PASSWORD: &str = "benchmark password";
const HISTORY_USERS: usize = 20_000;
const HISTORY_CHANGES: usize = 5_000;
const LEDGER_ROWS: i64 = 1_000;
const QUEUE_ORDERS: usize = 1_000;
const QUEUE_MESSAGES: usize = 5_000;

#[derive(Insertable)]
#[diesel(table_name = users)]
struct Row {
    account_id: i64,
    employee_number: String,
    name: String,
    status: &'static str,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
}

fn rows(account_id: i64, n: usize, today: NaiveDate) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let (status, start, end) = match i % 20 {
                0 => ("passive", -400, None),
                1 => ("active", -400, Some(-10)),
                2 => ("active", -400, Some(12)),
                3 => ("active", 20, None),
                _ => ("active", -400, None),
            };
            let shift = |d: i64| {
                if d >= 0 {
                    today.checked_add_days(Days::new(d as u64))
                } else {
                    today.checked_sub_days(Days::new(d.unsigned_abs()))
                }
                .unwrap_or(today)
            };
            Row {
                account_id,
                employee_number: format!("E{i:07}"),
                name: format!("Användare {i}"),
                status,
                start_date: shift(start),
                end_date: end.map(shift),
            }
        })
        .collect()
}

/// Bulk insert, 1,000 rows a statement, on the concrete connection.
fn insert_rows(conn: &mut DbConnection, all: Vec<Row>) {
    for chunk in all.chunks(1000) {
        let written = match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(users::table).values(chunk).execute(c),
            DbConnection::Postgres(c) => diesel::insert_into(users::table).values(chunk).execute(c),
        };
        written.expect("seed rows");
    }
}

fn seed(conn: &mut DbConnection, today: NaiveDate) -> i64 {
    let big = ops::create_account(
        conn,
        None,
        &AccountInput::parse("Big Customer AB", "90000", "Europe/Stockholm").expect("input"),
        chrono::Utc::now(),
    )
    .expect("account");
    let hash = license_portal::password::Hasher::for_command()
        .hash_blocking(PASSWORD)
        .expect("hash");
    ops::create_login(
        conn,
        None,
        &LoginInput::parse(
            "contact@big.example",
            "",
            "contact",
            Some(big.id),
            Some(PASSWORD),
        )
        .expect("input"),
        &hash,
    )
    .expect("login");
    ops::create_login(
        conn,
        None,
        &LoginInput::parse("staff@vendor.example", "", "staff", None, Some(PASSWORD))
            .expect("input"),
        &hash,
    )
    .expect("login");
    db::write_transaction(conn, |conn| {
        insert_rows(conn, rows(big.id, BIG_USERS, today));
        for i in 0..SMALL_ACCOUNTS {
            let licenses = if i % 3 == 0 { "900" } else { "1200" };
            let a = ops::create_account(
                conn,
                None,
                &AccountInput::parse(&format!("Customer {i:04}"), licenses, "Europe/Stockholm")
                    .expect("input"),
                chrono::Utc::now(),
            )
            .expect("account");
            insert_rows(conn, rows(a.id, SMALL_USERS, today));
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("seed");
    big.id
}

/// History (issue 14): the big account's users get their first version 20
/// days ago; an account of 20,000 users (with its contact) gets its first
/// versions then too, and 5,000 changes since, 100 at a time every 6 hours.
/// Returns the 20,000-user account's id.
fn seed_history(conn: &mut DbConnection, big: i64, today: NaiveDate, hash: &str) -> i64 {
    use license_portal::models::user_version::{ChangedBy, UserVersion};
    let start = Utc::now().naive_utc() - chrono::Duration::days(20);
    let by = ChangedBy::System("benchmark".into());
    let small = ops::create_account(
        conn,
        None,
        &AccountInput::parse("History AB", "20000", "Europe/Stockholm").expect("input"),
        chrono::Utc::now(),
    )
    .expect("account");
    ops::create_login(
        conn,
        None,
        &LoginInput::parse(
            "contact@history.example",
            "",
            "contact",
            Some(small.id),
            Some(PASSWORD),
        )
        .expect("input"),
        hash,
    )
    .expect("login");
    db::write_transaction(conn, |conn| {
        insert_rows(conn, rows(small.id, HISTORY_USERS, today));
        UserVersion::open_missing(conn, big, start, &by)?;
        UserVersion::open_missing(conn, small.id, start, &by)?;
        let ids: Vec<i64> = users::table
            .filter(users::account_id.eq(small.id))
            .order(users::id)
            .select(users::id)
            .limit(HISTORY_CHANGES as i64)
            .load(conn)?;
        for (batch, chunk) in ids.chunks(100).enumerate() {
            let at = start + chrono::Duration::hours(6 * (batch as i64 + 1));
            diesel::update(users::table.filter(users::id.eq_any(chunk)))
                .set(users::status.eq("passive"))
                .execute(conn)?;
            UserVersion::changed(conn, small.id, chunk, at, &by, false)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("history");
    small.id
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

/// Sign in by hand and return the session cookie (`name=value`).
async fn session_cookie(base: &str, email: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("GET /login");
    let cookie = cookie_of(&res).expect("pre-sign-in cookie");
    let html = res.text().await.expect("body");
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_string();
    let res = client
        .post(format!("{base}/login"))
        .header("cookie", &cookie)
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(res.status(), 303, "sign-in");
    cookie_of(&res).expect("session cookie")
}

fn cookie_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portal_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

/// This process's resident and peak resident memory, in KiB.
fn own_memory_kib() -> (u64, u64) {
    common::memory_kib(std::process::id())
}

/// One wrk run: requests per second, the 99th percentile latency in
/// milliseconds, and how many requests it sent.
#[derive(Clone, Copy)]
struct WrkRun {
    rps: f64,
    p99: f64,
    requests: f64,
}

fn wrk(url: &str, cookie: Option<&str>, seconds: u32) -> Option<WrkRun> {
    wrk_with(url, cookie, seconds, 32)
}

/// wrk with `connections` open at once (and as many threads, at most 2).
fn wrk_with(url: &str, cookie: Option<&str>, seconds: u32, connections: u32) -> Option<WrkRun> {
    let mut cmd = Command::new("wrk");
    cmd.args([
        &format!("-t{}", connections.min(2)),
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(c) = cookie {
        cmd.args(["-H", &format!("Cookie: {c}")]);
    }
    let out = cmd.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
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
        .and_then(wrk_ms)?;
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())?;
    Some(WrkRun { rps, p99, requests })
}

/// CPU time, in seconds, of one process (USER_HZ is 100 on every Linux
/// this runs on); None when it is not on this machine.
fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields follow the
    // last ')'.
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The server processes of the portal's own PostgreSQL connections (its
/// pool's, which stay open through a run), when that server is local.
fn backend_pids(state: &license_portal::state::AppState) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let Ok(mut conn) = state.pool.get() else {
        return Vec::new();
    };
    let DbConnection::Postgres(c) = &mut *conn else {
        return Vec::new();
    };
    diesel::sql_query(
        // This connection too: it is one of the pool's, which the session
        // readers and the requests use next.
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()",
    )
    .load::<Backend>(c)
    .map(|rows| rows.into_iter().map(|b| b.pid.to_string()).collect())
    .unwrap_or_default()
}

/// `/account` and `/healthz` loaded in turns, so that a change of the
/// machine's speed during the run (seen here: 20 % between runs a minute
/// apart) falls on both alike. The share and the CPU figures are the
/// medians of the turns, the p99 the worst turn's.
const TURNS: usize = 5;
/// `/account` is also loaded at these connections at once, once each.
const FEWER: [u32; 5] = [1, 2, 4, 8, 16];
const FEWER_SECONDS: u32 = 3;
const TURN_SECONDS: u32 = 4;

/// One turn: wrk's figures and the CPU microseconds per request of the
/// portal (this process) and of its PostgreSQL connections (None on
/// SQLite or a server elsewhere).
struct Turn {
    run: WrkRun,
    portal_us: f64,
    postgres_us: Option<f64>,
}

/// What the turns of one path measured.
#[derive(Default)]
struct Load {
    turns: Vec<Turn>,
}

impl Load {
    fn turn(&mut self, url: &str, cookie: Option<&str>, backends: &[String]) -> Option<()> {
        let postgres = || -> Option<f64> {
            let each: Vec<f64> = backends.iter().filter_map(|p| cpu_seconds_of(p)).collect();
            (!each.is_empty()).then(|| each.iter().sum())
        };
        let (own0, pg0) = (cpu_seconds_of("self")?, postgres());
        let run = wrk(url, cookie, TURN_SECONDS)?;
        let (own1, pg1) = (cpu_seconds_of("self")?, postgres());
        let per = |d: f64| d * 1e6 / run.requests.max(1.0);
        self.turns.push(Turn {
            run,
            portal_us: per(own1 - own0),
            postgres_us: pg0.zip(pg1).map(|(a, b)| per(b - a)),
        });
        Some(())
    }

    fn worst(&self, f: impl Fn(&WrkRun) -> f64) -> f64 {
        self.turns.iter().map(|t| f(&t.run)).fold(0.0, f64::max)
    }

    fn median_of(&self, f: impl Fn(&Turn) -> Option<f64>) -> Option<f64> {
        let mut v: Vec<f64> = self.turns.iter().filter_map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied()
    }
}

/// `/account` beside `/healthz`, in turns.
struct Throughput {
    /// `/account` at fewer connections at once: (connections, run).
    fewer: Vec<(u32, WrkRun)>,
    account: Load,
    health: Load,
}

impl Throughput {
    fn measure(base: &str, cookie: &str, backends: &[String]) -> Result<Throughput, String> {
        let installed = Command::new("wrk").arg("--version").output().is_ok();
        if !installed {
            return Err("SKIPPED: wrk is not installed (bench/run.sh installs it)".into());
        }
        let mut t = Throughput {
            fewer: Vec::new(),
            account: Load::default(),
            health: Load::default(),
        };
        let failed = || "FAILED: a wrk run gave no figures".to_string();
        for _ in 0..TURNS {
            t.account
                .turn(&format!("{base}/account"), Some(cookie), backends)
                .ok_or_else(failed)?;
            t.health
                .turn(&format!("{base}/healthz"), None, backends)
                .ok_or_else(failed)?;
        }
        // A statement shared by the requests that come at once must not
        // cost the requests that come alone.
        for connections in FEWER {
            let run = wrk_with(
                &format!("{base}/account"),
                Some(cookie),
                FEWER_SECONDS,
                connections,
            )
            .ok_or_else(failed)?;
            t.fewer.push((connections, run));
        }
        Ok(t)
    }

    /// Each turn's share, and the turn of the median share.
    fn shares(&self) -> (Vec<f64>, usize) {
        let shares: Vec<f64> = self
            .account
            .turns
            .iter()
            .zip(&self.health.turns)
            .map(|(a, h)| 100.0 * a.run.rps / h.run.rps.max(f64::MIN_POSITIVE))
            .collect();
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|a, b| shares[*a].total_cmp(&shares[*b]));
        (shares, order[order.len() / 2])
    }
}

/// A latency as wrk prints it ("812.00us", "3.05ms", "1.20s") in ms.
fn wrk_ms(text: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// What one backend measured.
struct Figures {
    backend: DatabaseUrl,
    counted: i64,
    count_time: Duration,
    report_time: Duration,
    csv_rows: usize,
    csv_bytes: usize,
    csv_time: Duration,
    csv_kib: u64,
    staff_time: Duration,
    past_count: String,
    past_report_time: Duration,
    past_rows: usize,
    past_csv_time: Duration,
    past_csv_kib: u64,
    licenses_time: Duration,
    reduction_time: Duration,
    reduction_short: String,
    queue_time: Duration,
    throughput: Result<Throughput, String>,
}

/// Seed a fresh database and measure it.
async fn run(url: DatabaseUrl) -> Figures {
    println!(
        "license-portal benchmark on {} ({} users in all)",
        url.backend(),
        BIG_USERS + SMALL_ACCOUNTS * SMALL_USERS
    );
    let mut settings = Settings::for_database(url.clone());
    // Page speed, not the sign-in: staff sign in with a password alone here.
    settings.two_step = license_portal::two_step::Policy::Off;
    settings.workers = 2;
    let app = Application::build(settings, Clock::system()).expect("app");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());

    let started = Instant::now();
    let today = Utc::now().date_naive();
    let big = {
        let mut conn = state.pool.get().expect("conn");
        seed(&mut conn, today)
    };
    {
        let mut conn = state.pool.get().expect("conn");
        let hash = license_portal::password::Hasher::for_command()
            .hash_blocking(PASSWORD)
            .expect("hash");
        seed_history(&mut conn, big, today, &hash);
    }
    {
        let mut conn = state.pool.get().expect("conn");
        seed_ledger(&mut conn, big, today);
        seed_queue(&mut conn);
    }
    println!("seeded in {:.1} s", started.elapsed().as_secs_f64());
    let mut conn = state.pool.get().expect("conn");
    if let DbConnection::Postgres(c) = &mut *conn {
        // As autovacuum would have: the seed left every trigger's dead rows.
        diesel::sql_query("VACUUM ANALYZE")
            .execute(c)
            .expect("vacuum");
    }

    // 1. The count for the big account.
    let mut times = Vec::new();
    let mut counted = 0;
    for _ in 0..21 {
        let t = Instant::now();
        counted = User::count_counted(&mut conn, big, today).expect("count");
        times.push(t.elapsed());
    }
    let count_time = median(times);
    drop(conn);

    let contact = session_cookie(&base, "contact@big.example").await;
    let staff = session_cookie(&base, "staff@vendor.example").await;
    let client = reqwest::Client::new();
    let get = |path: &str, cookie: &str| {
        client
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
    };

    // 2. The report page.
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let res = get("/account/reports/active-users", &contact)
            .await
            .expect("report");
        assert!(res.status().is_success(), "report: {}", res.status());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    let report_time = median(times);

    // 3. The CSV of 100,000 rows and the memory it takes.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (rss_before, _) = own_memory_kib();
    let t = Instant::now();
    let res = get("/account/reports/active-users.csv", &contact)
        .await
        .expect("csv");
    assert!(res.status().is_success());
    let mut res = res;
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let csv_time = t.elapsed();
    let peak_extra_kib = own_memory_kib().1.saturating_sub(rss_before);
    assert_eq!(
        lines as i64,
        counted + 1,
        "one line per counted user plus the header"
    );

    // 3b. A past day from history: the report page of the 20,000-user
    // account three days ago, and the CSV of yesterday for the big one.
    let history = session_cookie(&base, "contact@history.example").await;
    let three_days_ago = today - chrono::Duration::days(3);
    let mut times = Vec::new();
    let mut past_count = None;
    for _ in 0..11 {
        let t = Instant::now();
        let res = get(
            &format!("/account/reports/active-users?on={three_days_ago}"),
            &history,
        )
        .await
        .expect("past report");
        assert!(res.status().is_success(), "past report: {}", res.status());
        let html = res.text().await.expect("body");
        times.push(t.elapsed());
        past_count = html
            .split("id=\"report-active-users\" data-value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(str::to_string);
    }
    let past_report_time = median(times);
    let yesterday = today - chrono::Duration::days(1);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (rss_before, _) = own_memory_kib();
    let t = Instant::now();
    let mut res = get(
        &format!("/account/reports/active-users.csv?on={yesterday}"),
        &contact,
    )
    .await
    .expect("past csv");
    assert!(res.status().is_success(), "past csv: {}", res.status());
    let mut past_lines = 0usize;
    while let Some(chunk) = res.chunk().await.expect("chunk") {
        past_lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let past_csv_time = t.elapsed();
    let past_csv_kib = own_memory_kib().1.saturating_sub(rss_before);

    // 3c. Licenses over time on the big account (1,000 ledger rows): the
    // Licenses tab, and the check a reduction from tomorrow takes.
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let res = get("/account/licenses", &contact).await.expect("licenses");
        assert!(res.status().is_success(), "licenses: {}", res.status());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    let licenses_time = median(times);
    let mut times = Vec::new();
    let mut short = None;
    {
        let mut conn = state.pool.get().expect("conn");
        let tomorrow = today + chrono::Duration::days(1);
        for _ in 0..11 {
            let t = Instant::now();
            let mut spans = LedgerRow::spans(&mut conn, big).expect("spans");
            spans.push(license_portal::domain::ledger::Span {
                change: -5,
                starts_on: tomorrow,
                ends_on: None,
            });
            short = LedgerRow::first_short(&mut conn, big, &spans, tomorrow).expect("check");
            times.push(t.elapsed());
        }
    }
    let reduction_time = median(times);
    let reduction_short = short.map_or("fits".to_string(), |s| format!("short on {}", s.day));

    // 3d. The staff queue with 1,000 pending orders and 5,000 messages
    // (its first page: the oldest 50, their marks and waiting times).
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let res = get("/staff/orders", &staff).await.expect("queue");
        assert!(res.status().is_success(), "queue: {}", res.status());
        let html = res.text().await.expect("body");
        assert!(html.contains("waiting-customer") || html.contains("answered"));
        times.push(t.elapsed());
    }
    let queue_time = median(times);

    // 4. The staff accounts list (1,001 accounts).
    let mut times = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let res = get("/staff/accounts", &staff).await.expect("accounts");
        assert!(res.status().is_success());
        res.bytes().await.expect("body");
        times.push(t.elapsed());
    }
    let staff_time = median(times);

    // 5. Throughput, loopback only.
    // A second of load on each path first opens every pooled connection
    // (the session readers' and the requests'), so that the list of their
    // server processes is whole.
    let _ = wrk(&format!("{base}/account"), Some(&contact), 1);
    let _ = wrk(&format!("{base}/healthz"), None, 1);
    let backends = backend_pids(&state);
    let throughput = Throughput::measure(&base, &contact, &backends);

    handle.stop(true).await;
    Figures {
        backend: url,
        counted,
        count_time,
        report_time,
        csv_rows: lines - 1,
        csv_bytes: bytes,
        csv_time,
        csv_kib: peak_extra_kib,
        staff_time,
        past_count: past_count.unwrap_or_default(),
        past_report_time,
        past_rows: past_lines.saturating_sub(1),
        past_csv_time,
        past_csv_kib,
        licenses_time,
        reduction_time,
        reduction_short,
        queue_time,
        throughput,
    }
}

/// 1,000 pending orders over the accounts, oldest a thousand minutes ago,
/// each with five messages (the customer's, the vendor's, in turn).
fn seed_queue(conn: &mut DbConnection) {
    use license_portal::domain::orders::{OrderKind, OrderStatus};
    use license_portal::models::license_order::NewLicenseOrder;
    use license_portal::models::order_message::OrderMessage;
    use license_portal::models::{Account, LicenseOrder, Login};
    let find = |conn: &mut DbConnection, email: &str| {
        Login::find_by_email(conn, email)
            .expect("query")
            .expect("login")
            .id
    };
    let contact = find(conn, "contact@big.example");
    let staff = find(conn, "staff@vendor.example");
    let accounts: Vec<i64> = Account::all(conn)
        .expect("accounts")
        .iter()
        .map(|a| a.id)
        .collect();
    let now = license_portal::models::now_utc();
    db::write_transaction(conn, |conn| {
        for i in 0..QUEUE_ORDERS {
            let token = format!("bench-queue-{i}");
            let order = LicenseOrder::insert(
                conn,
                &NewLicenseOrder {
                    account_id: accounts[i % accounts.len()],
                    quantity: 1 + (i % 9) as i64,
                    reference: Some("PO-BENCH"),
                    status: OrderStatus::Pending,
                    form_token: &token,
                    ordered_by: contact,
                    ordered_at: now - chrono::Duration::minutes((QUEUE_ORDERS - i) as i64),
                    kind: OrderKind::Add,
                    starts_on: None,
                    ends_on: None,
                    price_minor: None,
                    currency: None,
                    cost_minor: None,
                },
            )?;
            for m in 0..QUEUE_MESSAGES / QUEUE_ORDERS {
                let by = if m % 2 == 0 { contact } else { staff };
                OrderMessage::insert(conn, order.id, Some(by), now, "A question on this order.")?;
            }
        }
        Ok::<_, diesel::result::Error>(())
    })
    .expect("queue");
}

/// 1,000 ledger rows on the big account: one more license for 60 days
/// from each of 1,000 days, half of them past, half to come.
fn seed_ledger(conn: &mut DbConnection, account: i64, today: NaiveDate) {
    use license_portal::domain::ledger::{self, LedgerKind};
    use license_portal::models::ledger::NewLedgerRow;
    for i in 0..LEDGER_ROWS {
        let starts_on = today - chrono::Duration::days(500) + chrono::Duration::days(i);
        LedgerRow::insert(
            conn,
            &NewLedgerRow {
                account_id: account,
                change: 1,
                starts_on,
                ends_on: Some(starts_on + chrono::Duration::days(60)),
                kind: LedgerKind::Adjustment,
                order_id: None,
                login_id: None,
                reason: Some("benchmark".into()),
                created_at: Utc::now().naive_utc(),
            },
        )
        .expect("ledger row");
    }
    let spans = LedgerRow::spans(conn, account).expect("spans");
    let owned = ledger::owned_on(&spans, today);
    let ahead: Vec<ledger::Span> = spans
        .iter()
        .filter(|s| s.ahead_of(today))
        .copied()
        .collect();
    license_portal::models::Account::set_licenses(
        conn,
        account,
        owned,
        ledger::holds_until(&spans, today),
        &ahead,
    )
    .expect("today's figure");
}

/// SQLite and PostgreSQL side by side (`BENCH_DATABASE_URL` measures that
/// one database alone).
#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("dir");
    let urls = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) if !u.is_empty() => vec![DatabaseUrl::parse(&u)],
        _ => {
            let sqlite =
                DatabaseUrl::Sqlite(dir.path().join("bench.db").to_string_lossy().into_owned());
            let mut urls = vec![sqlite];
            match common::fresh_postgres("bench_portal") {
                Some(pg) => urls.push(DatabaseUrl::parse(&pg)),
                None => eprintln!("PostgreSQL not reachable: its figures are skipped"),
            }
            urls
        }
    };
    let made = std::env::var("BENCH_DATABASE_URL").map_or(true, |u| u.is_empty());
    let mut all = Vec::new();
    for url in urls {
        all.push(run(url).await);
    }
    print_table(&all);
    // The PostgreSQL database this bench made (not one it was given).
    for f in &all {
        if let (true, DatabaseUrl::Postgres(url)) = (made, &f.backend) {
            common::drop_postgres(url);
        }
    }
}

fn print_table(all: &[Figures]) {
    let cells = |f: &dyn Fn(&Figures) -> String| all.iter().map(f).collect::<Vec<_>>().join(" | ");
    let row = |figure: String, f: &dyn Fn(&Figures) -> String, target: &str| {
        println!("| {figure} | {} | {target} |", cells(f));
    };
    println!();
    println!(
        "| figure | {} | target |",
        cells(&|f| f.backend.backend().to_string())
    );
    println!("|---|{}|---|", vec!["---"; all.len()].join("|"));
    let counted = all.first().map(|f| f.counted).unwrap_or(0);
    row(
        format!("count of the 100,000-user account ({counted} counted)"),
        &|f| ms(f.count_time),
        "< 10 ms",
    );
    row(
        "report page, 100,000-user account".into(),
        &|f| ms(f.report_time),
        "",
    );
    let rows = all.first().map(|f| f.csv_rows).unwrap_or(0);
    row(
        format!("CSV of {rows} rows"),
        &|f| format!("{} ({:.1} MB)", ms(f.csv_time), f.csv_bytes as f64 / 1e6),
        "< 1 s",
    );
    row(
        "CSV extra peak memory (server and reader in one process)".into(),
        &|f| format!("{:.1} MB", f.csv_kib as f64 / 1024.0),
        "< 50 MB",
    );
    row(
        "staff accounts list, 1,001 accounts".into(),
        &|f| ms(f.staff_time),
        "< 100 ms",
    );
    row(
        "past day's report page, 20,000 users with 5,000 changes".into(),
        &|f| format!("{} ({} counted)", ms(f.past_report_time), f.past_count),
        "< 200 ms",
    );
    row(
        "past day's CSV from history, of 100,000 users".into(),
        &|f| format!("{} ({} rows)", ms(f.past_csv_time), f.past_rows),
        "< 2 s",
    );
    row(
        format!("Licenses tab, 100,000 users, {LEDGER_ROWS} ledger rows"),
        &|f| ms(f.licenses_time),
        "< 100 ms",
    );
    row(
        format!("reduction check from tomorrow, 100,000 users, {LEDGER_ROWS} ledger rows"),
        &|f| format!("{} ({})", ms(f.reduction_time), f.reduction_short),
        "< 100 ms",
    );
    row(
        format!("staff queue, {QUEUE_ORDERS} pending orders, {QUEUE_MESSAGES} messages"),
        &|f| ms(f.queue_time),
        "< 100 ms",
    );
    row(
        "past day's CSV extra peak memory".into(),
        &|f| format!("{:.1} MB", f.past_csv_kib as f64 / 1024.0),
        "bounded",
    );
    let share = |f: &Figures| match &f.throughput {
        Ok(t) => {
            let (shares, median) = t.shares();
            let turns: Vec<String> = shares.iter().map(|s| format!("{s:.0}")).collect();
            format!(
                "{:.0} vs {:.0} ({:.0} %; turns {} %)",
                t.account.turns[median].run.rps,
                t.health.turns[median].run.rps,
                shares[median],
                turns.join(", ")
            )
        }
        Err(why) => why.clone(),
    };
    row(
        format!(
            "/account vs /healthz requests/s (wrk -t2 -c32; {TURNS} turns of {TURN_SECONDS} s each, the median turn's)"
        ),
        &share,
        "SQLite >= 15 %, PostgreSQL >= 60 % (issues 5 and 13)",
    );
    let p99 = |f: &Figures| match &f.throughput {
        Ok(t) => format!(
            "{:.1} ms ({:.1} ms)",
            t.account.worst(|r| r.p99),
            t.health.worst(|r| r.p99)
        ),
        Err(_) => "-".into(),
    };
    row(
        "/account p99 (/healthz p99), the worst turn's".into(),
        &p99,
        "PostgreSQL < 25 ms",
    );
    let fewer = |f: &Figures| match &f.throughput {
        Ok(t) => t
            .fewer
            .iter()
            .map(|(_, r)| format!("{:.0} ({:.1} ms)", r.rps, r.p99))
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => "-".into(),
    };
    let counts: Vec<String> = FEWER.iter().map(|c| c.to_string()).collect();
    row(
        format!(
            "/account requests/s (p99) at {} connections at once, {FEWER_SECONDS} s each",
            counts.join(", ")
        ),
        &fewer,
        "",
    );
    let us = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} us"));
    let cpu = |f: &Figures| match (&f.throughput, &f.backend) {
        (Ok(t), DatabaseUrl::Sqlite(_)) => format!(
            "portal with SQLite in it {} ({})",
            us(t.account.median_of(|t| Some(t.portal_us))),
            us(t.health.median_of(|t| Some(t.portal_us)))
        ),
        (Ok(t), DatabaseUrl::Postgres(_)) => format!(
            "portal {} ({}), its PostgreSQL connections {} ({})",
            us(t.account.median_of(|t| Some(t.portal_us))),
            us(t.health.median_of(|t| Some(t.portal_us))),
            us(t.account.median_of(|t| t.postgres_us)),
            us(t.health.median_of(|t| t.postgres_us))
        ),
        (Err(_), _) => "-".into(),
    };
    row(
        "CPU per request of /account (of /healthz), median of the turns".into(),
        &cpu,
        "",
    );
}
