//! Operating it (SPEC 10, part of issue 13): `backup` while orders are
//! written, and `verify` on a healthy and on a damaged database.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use reqwest::StatusCode;

use crate::helpers::{fingerprint, spawn_app, TestApp, UserState};

fn portal(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_license-portal"))
        .arg("--database")
        .arg(app.db.cli_url())
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn a_backup_taken_while_orders_are_written_holds_every_order_acknowledged_before_it() {
    let app = spawn_app().await;
    app.world();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("backup.db");
    if app.db.is_postgres() {
        let out = portal(&app, &["backup", &file.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("pg_dump"),
            "{}",
            text(&out.stderr)
        );
        assert!(!file.exists());
        return;
    }
    let contact = app.client_for("contact@alpha.example").await;
    // A writer orders without pause while the backup runs.
    let writer = {
        let address = app.address.clone();
        let contact = contact.clone();
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for _ in 0..40 {
                let url = format!("{address}/account/order-licenses");
                let html = contact
                    .get(&url)
                    .send()
                    .await
                    .expect("form")
                    .text()
                    .await
                    .expect("body");
                let form = crate::helpers::hidden_value(&html, "form_token").expect("form token");
                let csrf = crate::helpers::hidden_value(&html, "csrf_token").expect("csrf");
                let res = contact
                    .post(&url)
                    .form(&[
                        ("quantity", "1"),
                        ("reference", ""),
                        ("form_token", &form),
                        ("csrf_token", &csrf),
                    ])
                    .send()
                    .await
                    .expect("order");
                assert_eq!(res.status(), StatusCode::SEE_OTHER);
                let id: i64 = crate::helpers::location(res.headers())
                    .rsplit('/')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("id");
                acknowledged.push((std::time::Instant::now(), id));
            }
            acknowledged
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let began = std::time::Instant::now();
    let path = file.to_string_lossy().into_owned();
    let out = tokio::task::spawn_blocking({
        let url = app.db.cli_url();
        move || {
            Command::new(env!("CARGO_BIN_EXE_license-portal"))
                .args(["--database", &url, "backup", &path])
                .stdin(Stdio::null())
                .output()
                .expect("backup")
        }
    })
    .await
    .expect("task");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let acknowledged = writer.await.expect("writer");
    let before: Vec<i64> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| *id)
        .collect();
    assert!(
        !before.is_empty(),
        "some orders were acknowledged before the backup began"
    );
    // The copy opens cleanly, agrees with itself and holds those orders.
    let copy = license_portal::db::DatabaseUrl::Sqlite(file.to_string_lossy().into_owned());
    let mut conn = license_portal::db::connect(&copy).expect("the backup opens");
    assert_eq!(
        license_portal::cli::verify::disagreements(&mut conn).expect("verify"),
        Vec::<String>::new()
    );
    for id in before {
        assert!(
            license_portal::models::LicenseOrder::find(&mut conn, id)
                .expect("query")
                .is_some(),
            "order {id} was acknowledged before the backup began"
        );
    }
    // An existing file is never overwritten.
    let out = portal(&app, &["backup", &file.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn verify_passes_a_healthy_database_and_names_each_planted_disagreement() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_users(
        w.a.id,
        &[
            (UserState::Counted, 3),
            (UserState::Ended, 1),
            (UserState::Passive, 1),
        ],
    );
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let id = crate::orders::id_of(&crate::orders::order(&app, &contact, "4").await);
    let res = app
        .post(&staff, &format!("/staff/orders/{id}/approve"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post(
            &staff,
            &format!("/staff/accounts/{}/licenses", w.b.id),
            &[("change", "-3"), ("reason", "test")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let out = portal(&app, &["verify"]);
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");

    // Licenses the ledger does not hold, and a wrong user_counts row.
    app.conn()
        .batch_execute(&format!(
            "UPDATE accounts SET licenses = licenses + 7 WHERE id = {}; \
             UPDATE user_counts SET active_users = active_users + 2 WHERE account_id = {};",
            w.b.id, w.a.id
        ))
        .expect("plant");
    let before = fingerprint(&app);
    let out = portal(&app, &["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains(&format!(
            "account {}: owns 24 licenses, its ledger says 17 for {}",
            w.b.id,
            app.today()
        )),
        "{said}"
    );
    assert!(
        said.contains(&format!("user_counts: account {}", w.a.id)),
        "{said}"
    );
    // Both user_counts rows of the account (no end date, yesterday) and the
    // licenses: three lines, nothing else.
    assert_eq!(said.lines().count(), 3, "{said}");
    assert_eq!(fingerprint(&app), before, "verify changes nothing");
}

#[tokio::test]
async fn metrics_need_their_token_and_count_requests_by_route_pattern() {
    let closed = spawn_app().await;
    let res = closed.get(&crate::helpers::client(), "/metrics").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "no token set: no page");

    let app =
        crate::helpers::spawn_app_with(|s| s.metrics_token = Some("s3cret-metrics-token".into()))
            .await;
    app.world();
    let anon = crate::helpers::client();
    for auth in [None, Some("Bearer wrong"), Some("s3cret-metrics-token")] {
        let mut req = anon.get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.expect("GET");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            res.headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
    }
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let first = crate::orders::id_of(&crate::orders::order(&app, &contact, "2").await);
    crate::orders::order(&app, &contact, "3").await;
    let third = crate::orders::id_of(&crate::orders::order(&app, &contact, "4").await);
    app.post(&staff, &format!("/staff/orders/{first}/approve"), &[])
        .await;
    app.get(&contact, &format!("/account/orders/{third}")).await;
    app.get(&contact, "/account/orders/999999").await;
    let res = anon
        .get(app.url("/metrics"))
        .header("authorization", "Bearer s3cret-metrics-token")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("body");
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/account/orders/{id}\"")
            && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(!text.contains("/account/orders/999999"), "no raw path");
    assert!(
        !text.contains(&format!("/account/orders/{third}\"")),
        "no raw path"
    );
    let gauge = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let pending = license_portal::models::LicenseOrder::count_status(
        &mut app.conn(),
        license_portal::domain::orders::OrderStatus::Pending,
    )
    .expect("count");
    assert_eq!(pending, 2);
    assert_eq!(gauge("portal_pending_orders"), Some(pending as f64));
    for name in [
        "portal_db_pool_in_use",
        "portal_password_hashes_running",
        "portal_password_hashes_waiting",
        "portal_outbox_pending",
        "portal_outbox_failed",
    ] {
        assert!(gauge(name).is_some(), "{name} in {text}");
    }
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "a histogram"
    );
    assert!(!text.contains("s3cret-metrics-token"));
}

#[tokio::test]
async fn every_response_has_a_request_id_and_only_a_trusted_proxy_chooses_it() {
    let app = spawn_app().await;
    let c = crate::helpers::client();
    let mut seen = std::collections::BTreeSet::new();
    for path in ["/healthz", "/login", "/no/such/page", "/static/portal.css"] {
        let res = c
            .get(app.url(path))
            .header("x-request-id", "chosen-by-the-client")
            .send()
            .await
            .expect("GET");
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert_eq!(id.len(), 32, "{path}: {id:?}");
        assert_ne!(id, "chosen-by-the-client", "a client's own is not taken");
        seen.insert(id);
    }
    assert_eq!(seen.len(), 4, "a new id for each request");
    let behind = crate::helpers::spawn_app_with(|s| {
        s.trusted_proxies = license_portal::throttle::parse_proxies("127.0.0.1").expect("cidr");
    })
    .await;
    let res = c
        .get(behind.url("/healthz"))
        .header("x-request-id", "from-the-proxy-42")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("from-the-proxy-42")
    );
}

/// Every line of both streams of a run, each parsed as JSON.
fn json_lines(what: &str, bytes: &[u8]) -> Vec<serde_json::Value> {
    text(bytes)
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{what}: not one JSON object ({e}): {line:?}"))
        })
        .collect()
}

#[tokio::test]
async fn with_log_format_json_every_line_is_json_and_request_lines_carry_their_request_id() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_users(w.a.id, &[(UserState::Counted, 3), (UserState::Passive, 1)]);
    // The command line: its result and its messages.
    let out = portal(
        &app,
        &[
            "--log-format",
            "json",
            "account",
            "create",
            "--name",
            "J",
            "--licenses",
            "1",
        ],
    );
    assert!(out.status.success());
    let stdout = json_lines("stdout", &out.stdout);
    assert_eq!(stdout.len(), 1);
    assert!(stdout[0]["result"]
        .as_str()
        .is_some_and(|id| id.parse::<i64>().is_ok()));
    json_lines("stderr", &out.stderr);
    let refused = portal(
        &app,
        &[
            "--log-format",
            "json",
            "account",
            "create",
            "--name",
            "",
            "--licenses",
            "1",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let lines = json_lines("stderr of a refusal", &refused.stderr);
    assert!(lines.iter().any(
        |l| l["level"] == "ERROR" && l["message"].as_str().is_some_and(|m| m.contains("name"))
    ));
    let usage = portal(&app, &["--log-format", "json", "account", "frobnicate"]);
    assert_eq!(usage.status.code(), Some(2));
    json_lines("stderr of a usage error", &usage.stderr);

    // The server: a sign-in, a failed one and a page, then its log.
    let port = crate::helpers::free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_license-portal"))
        .arg("--database")
        .arg(app.db.cli_url())
        .args([
            "--log-format",
            "json",
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--two-step",
            "off",
        ])
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("PORTAL_MAIL_DIR", &app.mail_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let c = crate::helpers::client();
    for _ in 0..100 {
        if c.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = c
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login form");
    let html = login.text().await.expect("page");
    let csrf = crate::helpers::hidden_value(&html, "csrf_token").expect("csrf");
    let wrong = "not the password at all";
    let failed = c
        .post(format!("{base}/login"))
        .form(&[
            ("email", "contact@alpha.example"),
            ("password", wrong),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .expect("sign-in");
    let failed_id = failed.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let html = failed.text().await.expect("page");
    let csrf = crate::helpers::hidden_value(&html, "csrf_token").expect("csrf");
    let signed = c
        .post(format!("{base}/login"))
        .form(&[
            ("email", "contact@alpha.example"),
            ("password", crate::helpers::PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .expect("sign-in");
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let ok_id = signed.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let cookie = signed.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    let session = cookie
        .split(';')
        .next()
        .and_then(|c| c.split('=').nth(1))
        .expect("value")
        .to_string();
    // A streamed CSV: its last line is written after the handler returned,
    // while the body is polled (tracing-actix-web enters the request's span
    // for that too).
    let csv = c
        .get(format!("{base}/account/reports/active-users.csv"))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), StatusCode::OK);
    let csv_id = csv.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_string();
    let csv_rows = csv
        .bytes()
        .await
        .expect("the whole CSV")
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        - 1;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = server.kill();
    let out = server.wait_with_output().expect("output");
    let stdout = json_lines("server stdout", &out.stdout);
    let lines = json_lines("server stderr", &out.stderr);
    assert!(!stdout.is_empty() || !lines.is_empty());
    let about = |id: &str, needle: &str| {
        lines.iter().any(|l| {
            l["span"]["request_id"] == id
                && l["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(needle))
        })
    };
    assert!(
        about(&failed_id, "sign-in failed"),
        "the failed sign-in's line carries its request id"
    );
    assert!(
        about(&ok_id, "sign-in succeeded"),
        "the sign-in's line carries its request id"
    );
    assert!(
        about(&csv_id, "CSV sent"),
        "the streamed CSV's last line carries its request id"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == csv_id.as_str()
                && l["fields"]["message"] == "CSV sent"
                && l["fields"]["rows"] == csv_rows),
        "the line counts the {csv_rows} rows sent"
    );
    let all = text(&out.stderr) + &text(&out.stdout);
    for secret in [
        wrong,
        crate::helpers::PASSWORD,
        session.as_str(),
        csrf.as_str(),
    ] {
        assert!(
            !all.contains(secret),
            "a secret reached the log: {secret:?}"
        );
    }
}

/// With one pooled connection, thirty-two requests at once all wait their
/// turn in the queue before the pool (`state::DbGate`) and are answered;
/// none is refused and none holds a thread while it waits.
#[tokio::test]
async fn requests_beyond_the_pool_wait_their_turn() {
    let app = crate::helpers::spawn_app_with(|s| s.pool.max_size = 1).await;
    let w = app.world();
    app.add_users(w.a.id, &[(UserState::Counted, 3)]);
    let contact = app.client_for("contact@alpha.example").await;
    let many = (0..32).map(|_| app.get(&contact, "/account"));
    let answers = futures_util::future::join_all(many).await;
    for res in answers {
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("body");
        assert_eq!(crate::helpers::data_value(&html, "active-users"), Some(3));
    }
    let health = (0..32).map(|_| app.get(&contact, "/healthz"));
    for res in futures_util::future::join_all(health).await {
        assert_eq!(res.status(), StatusCode::OK);
    }
}
