//! What a stranger can make the server keep, and actions that say what
//! they did (SPEC 6, 8.3; issue 21). On the wire: raw sockets where the
//! spelling of a request matters, the real binary where memory and the
//! log are measured.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::RunQueryDsl;
use license_portal::db::DbConnection;
use license_portal::models::Login;
use reqwest::StatusCode;

use crate::helpers::{
    client, free_port, hidden_value, location, spawn_app, with_conn, TestApp, PASSWORD,
};

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Send `raw` on a new connection and read the answer's status line.
async fn send_raw(address: &str, raw: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream.write_all(&raw).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// The number of session rows.
fn session_rows(app: &TestApp) -> i64 {
    use diesel::dsl::count_star;
    use diesel::QueryDsl;
    use license_portal::db::schema::sessions;
    with_conn(app, |c| {
        sessions::table
            .select(count_star())
            .first::<i64>(c)
            .expect("count")
    })
}

/// Run one statement as written, on either backend.
fn execute(app: &TestApp, sql: &str) {
    with_conn(app, |c| match c {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c).map(|_| ()),
        DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c).map(|_| ()),
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn counters_start_at_0_and_three_thousand_made_up_methods_leave_memory_and_the_log_as_they_were(
) {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let log_path = dir.path().join("log");
    let log = std::fs::File::create(&log_path).expect("log");
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_license-portal"))
        .arg("--database")
        .arg(app.db.cli_url())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("PORTAL_METRICS_TOKEN", "metrics-token-for-the-test")
        .env("PORTAL_MAIL_DIR", dir.path().join("mail"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("serve");
    let address = format!("127.0.0.1:{port}");
    let c = client();
    let mut up = false;
    for _ in 0..300 {
        if c.get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answers");
    // Every counter of SPEC 10 is there from the start, at 0.
    let metrics_text = || async {
        c.get(format!("http://{address}/metrics"))
            .bearer_auth("metrics-token-for-the-test")
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    };
    let fresh = metrics_text().await;
    for counter in ["portal_failed_sign_ins_total 0", "portal_lockouts_total 0"] {
        assert!(
            fresh.lines().any(|l| l == counter),
            "{counter} right after start:\n{fresh}"
        );
    }
    let method = |i: usize| format!("{}{i:05}", "M".repeat(20_000));
    let request = move |i: usize| {
        let path = ["/healthz", "/login", "/api/v1/account", "/account"][i % 4];
        format!(
            "{} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            method(i)
        )
        .into_bytes()
    };
    // A first hundred warms the workers up; then the measure.
    for i in 0..100 {
        send_raw(&address, request(i)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = rss_kib(server.id());
    let log_before = std::fs::metadata(&log_path).expect("log").len();
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..375 {
        let sent = (0..8).map(|k| send_raw(&address, request(100 + round * 8 + k)));
        for status in futures_util::future::join_all(sent).await {
            let code = status.split(' ').nth(1).unwrap_or("none").to_string();
            *statuses.entry(code).or_default() += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_after = rss_kib(server.id());
    let log_after = std::fs::metadata(&log_path).expect("log").len();
    let metrics = metrics_text().await;
    let _ = server.kill();
    let _ = server.wait();
    let refused: usize = statuses
        .iter()
        .filter(|(code, _)| ["405", "400"].contains(&code.as_str()))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        refused, 3000,
        "every made-up method is refused: {statuses:?}"
    );
    let grown = rss_after.saturating_sub(rss_before);
    assert!(
        grown < 40 * 1024,
        "RSS grew by {grown} KiB ({rss_before} -> {rss_after})"
    );
    let logged = log_after.saturating_sub(log_before);
    assert!(logged < 5 * 1024 * 1024, "the log grew by {logged} bytes");
    let mut log_text = String::new();
    std::fs::File::open(&log_path)
        .expect("log")
        .read_to_string(&mut log_text)
        .expect("read");
    assert!(
        !log_text.contains("MMMMMMMMMM"),
        "no method text in the log"
    );
    assert!(
        !metrics.contains("MMMMMMMMMM"),
        "no method text in the metrics"
    );
    assert!(
        metrics.contains("method=\"other\""),
        "counted as other: {}",
        &metrics[..metrics.len().min(2000)]
    );
}

#[tokio::test]
async fn fifteen_right_passwords_at_once_all_sign_in_and_lock_nothing() {
    let app = spawn_app().await;
    app.world();
    let tries = (0..15).map(|_| {
        let app = &app;
        async move {
            let c = client();
            let res = app.sign_in(&c, "contact@alpha.example", PASSWORD).await;
            (res.status(), location(res.headers()))
        }
    });
    let answers = futures_util::future::join_all(tries).await;
    for (status, to) in &answers {
        assert_eq!(
            (*status, to.as_str()),
            (StatusCode::SEE_OTHER, "/"),
            "{answers:?}"
        );
    }
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(login.failed_attempts, 0, "no right password is a failure");
    assert!(!login.is_locked(license_portal::models::now_utc()));
}

#[tokio::test]
async fn a_sign_out_whose_row_cannot_be_deleted_says_so_and_keeps_the_cookie() {
    let app = spawn_app().await;
    app.world();
    let cookie = app.session_cookie("contact@alpha.example").await;
    let me = app.raw_get("/me", &[("Cookie", cookie.as_str())]).await;
    assert_eq!(me.status, 200, "{}", me.head);
    let token = hidden_value(&me.body, "csrf_token").expect("token");
    let body = format!("csrf_token={token}");
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    // Every delete of a session row fails while this trigger stands.
    if app.db.is_postgres() {
        execute(
            &app,
            "CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$",
        );
        execute(
            &app,
            "CREATE TRIGGER refuse_delete BEFORE DELETE ON sessions \
             FOR EACH ROW EXECUTE FUNCTION refuse_delete()",
        );
    } else {
        execute(
            &app,
            "CREATE TRIGGER refuse_delete BEFORE DELETE ON sessions \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
        );
    }
    let refused = app.raw_post("/logout", &headers, body.as_bytes()).await;
    assert_eq!(refused.status, 503, "{}", refused.head);
    assert!(
        refused.header("set-cookie").is_none(),
        "the cookie is kept: {}",
        refused.head
    );
    let still = app
        .raw_get("/account", &[("Cookie", cookie.as_str())])
        .await;
    assert_eq!(still.status, 200, "not signed out, and not told so");
    execute(
        &app,
        if app.db.is_postgres() {
            "DROP TRIGGER refuse_delete ON sessions"
        } else {
            "DROP TRIGGER refuse_delete"
        },
    );
    let done = app.raw_post("/logout", &headers, body.as_bytes()).await;
    assert_eq!(done.status, 303, "{}", done.head);
    assert_eq!(done.header("location"), Some("/login"));
    let gone = app
        .raw_get("/account", &[("Cookie", cookie.as_str())])
        .await;
    assert_eq!(gone.status, 303, "signed out when it says so");
    assert_eq!(gone.header("location"), Some("/login"));
}

#[tokio::test]
async fn a_thousand_anonymous_gets_write_no_session_row() {
    let app = spawn_app().await;
    app.world();
    let before = session_rows(&app);
    let paths = [
        "/login",
        "/login/reset",
        "/invitation/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/reset/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ];
    let mut cookies = 0;
    for round in 0..125 {
        let sent = (0..8).map(|k| {
            let path = paths[(round * 8 + k) % paths.len()];
            let app = &app;
            async move { (path, app.raw_get(path, &[]).await) }
        });
        for (path, res) in futures_util::future::join_all(sent).await {
            let expected = if path.starts_with("/login") { 200 } else { 410 };
            assert_eq!(res.status, expected, "{path}: {}", res.head);
            assert!(
                res.body.contains("csrf_token") || expected == 410,
                "{path} has its form"
            );
            cookies += usize::from(res.cookie().is_some());
        }
    }
    assert!(
        cookies >= 500,
        "each form page starts a pre-sign-in session ({cookies})"
    );
    assert_eq!(session_rows(&app), before, "no row was written");
    // Such a session still signs in, and only then is a row written.
    let c = client();
    let res = app.sign_in(&c, "contact@alpha.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(session_rows(&app), before + 1);
}

#[tokio::test]
async fn a_pre_sign_in_key_that_claims_a_half_sign_in_signs_no_one_in_and_writes_nothing() {
    use actix_web::cookie::{Cookie, CookieJar};
    use base64::Engine;
    let app = spawn_app().await;
    app.world();
    let staff = Login::find_by_email(&mut app.conn(), "staff@vendor.example")
        .expect("q")
        .expect("staff");
    // What someone with the signing secret (a copy of the database holds
    // it by default) could put in a pre-sign-in key.
    let secret = app
        .state
        .settings
        .secret
        .clone()
        .or_else(|| {
            with_conn(&app, |c| {
                license_portal::models::setting::get(c, "session_secret").expect("secret")
            })
        })
        .expect("a secret");
    let now = chrono::Utc::now().timestamp();
    let state = serde_json::json!({
        "t": now,
        "s": {
            "csrf": "a".repeat(64),
            "half": {"login_id": staff.id, "since": now},
            "login": staff.id,
        }
    });
    let key = format!(
        "p.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state.to_string())
    );
    let mut jar = CookieJar::new();
    jar.signed_mut(&license_portal::auth::session::cookie_key(&secret))
        .add(Cookie::new("portal_session", key));
    let cookie = jar
        .get("portal_session")
        .map(|c| c.encoded().stripped().to_string())
        .expect("cookie");
    let before = session_rows(&app);
    for path in ["/login/two-step", "/staff/orders", "/me", "/"] {
        let res = app.raw_get(path, &[("Cookie", cookie.as_str())]).await;
        assert_eq!(res.status, 303, "{path}: {}", res.head);
        assert_eq!(res.header("location"), Some("/login"), "{path}");
    }
    assert_eq!(session_rows(&app), before, "no row was written");
}

#[tokio::test]
async fn an_unknown_audit_kind_read_from_the_database_is_an_error_naming_its_column() {
    let app = spawn_app().await;
    app.world();
    execute(
        &app,
        "INSERT INTO audit_events (at, login_id, account_id, kind, details) \
         VALUES ('2026-12-01 10:00:00', NULL, NULL, 'order_shipped', '{}')",
    );
    let err = with_conn(&app, |c| {
        license_portal::models::AuditEvent::list(c, None, 0, 50).expect_err("an unknown kind")
    });
    assert!(
        err.to_string().contains("audit_events.kind") && err.to_string().contains("order_shipped"),
        "{err}"
    );
}

#[tokio::test]
async fn the_database_refuses_a_language_the_portal_does_not_speak() {
    let app = spawn_app().await;
    app.world();
    let refused = with_conn(&app, |c| {
        let sql = "UPDATE logins SET language = 'de' WHERE email = 'contact@alpha.example'";
        match c {
            DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
            DbConnection::Postgres(c) => diesel::sql_query(sql).execute(c),
        }
    });
    let err = refused.expect_err("a CHECK refuses it");
    assert!(err.to_string().contains("language"), "{err}");
    execute(
        &app,
        "UPDATE logins SET language = 'sv' WHERE email = 'contact@alpha.example'",
    );
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("read")
        .expect("login");
    assert_eq!(login.language, Some(license_portal::i18n::Lang::Sv));
}
