//! The foundation: health, both backends, concurrent writes, the demo.

use std::time::Duration;

use license_portal::config::Settings;
use license_portal::db::{self, DatabaseUrl, PoolOptions};
use license_portal::models::{Account, Login};
use license_portal::ops;
use license_portal::startup::Application;
use license_portal::state::Clock;
use reqwest::StatusCode;

use crate::helpers::{client, hidden_value, spawn_app, start, TestDb};

#[tokio::test]
async fn healthz_answers_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let res = app.get(&client(), "/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.expect("body"), "ok");
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_unreachable() {
    for url in [
        "postgres://127.0.0.1:1/nothing",
        "/nonexistent-dir/for/sure/portal.db",
    ] {
        let mut settings = Settings::for_database(DatabaseUrl::parse(url));
        settings.pool = PoolOptions {
            max_size: 2,
            connection_timeout: Duration::from_millis(500),
        };
        let pool = db::build_pool_unchecked(&settings.database, &settings.pool);
        let app = Application::build_with_pool(settings, pool, Clock::system())
            .expect("binds without a database");
        let app = start(app, TestDb::new());
        let res = app.get(&client(), "/healthz").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{url}");
        let body = res.text().await.expect("body");
        assert!(
            !body.contains("127.0.0.1:1") && !body.contains("nonexistent-dir"),
            "no cause on the page: {body}"
        );
        // The sign-in form needs no database (its session travels in the
        // cookie); signing in does, and is 503, never a 500.
        let c = client();
        let (status, html) = app.get_html(&c, "/login").await;
        assert_eq!(status, StatusCode::OK, "{url}: GET /login writes nothing");
        let token = hidden_value(&html, "csrf_token").expect("a token");
        let res = app
            .post_form(
                &c,
                "/login",
                &[
                    ("email", "someone@example.com"),
                    ("password", "a password long enough"),
                    ("csrf_token", &token),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{url} POST /login"
        );
        // It has its request id like every other response.
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_eq!(id.len(), 32, "{url}: X-Request-Id {id:?}");
    }
}

#[tokio::test]
async fn fifty_concurrent_write_transactions_all_succeed() {
    let app = spawn_app().await;
    let account = app.create_account("Busy AB", 0);
    let pool = app.state.pool.clone();
    let mut threads = Vec::new();
    for i in 0..50 {
        let pool = pool.clone();
        let ctx = app.mail_ctx();
        threads.push(std::thread::spawn(move || {
            let mut conn = pool.get().expect("connection");
            // Read, then write, in one transaction: the case that fails
            // with "database is locked" without BEGIN IMMEDIATE.
            ops::adjust_licenses(
                &mut conn,
                &ctx,
                None,
                account.id,
                1,
                ops::Period::default(),
                &format!("writer {i}"),
            )
        }));
    }
    let failures: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .filter_map(|r| r.err().map(|e| e.to_string()))
        .collect();
    assert!(failures.is_empty(), "failed: {failures:?}");
    assert_eq!(app.account(account.id).licenses, 50);
}

#[tokio::test]
async fn the_demo_loads_once() {
    let app = spawn_app().await;
    let ctx = app.mail_ctx();
    let first = license_portal::demo::load(&mut app.conn(), &ctx).expect("demo loads");
    let accounts = Account::all(&mut app.conn()).expect("accounts").len();
    let second = license_portal::demo::load(&mut app.conn(), &ctx).expect("demo loads again");
    assert_eq!(first, second);
    assert_eq!(
        Account::all(&mut app.conn()).expect("accounts").len(),
        accounts,
        "no second copy"
    );
    assert!(accounts >= 2);
    for (_, email, _) in first {
        assert!(Login::find_by_email(&mut app.conn(), email)
            .expect("query")
            .is_some());
    }
    // The demo contact can sign in with the printed password.
    let c = client();
    let (_, email, password) = license_portal::demo::SIGNINS[1];
    assert_eq!(
        app.sign_in(&c, email, password).await.status(),
        StatusCode::SEE_OTHER
    );
    // Licenses over time: two extra ending within 14 days while the users
    // still count (the notice and the mail), a season approved, and a
    // reduction waiting.
    let (_, html) = app.get_html(&c, "/account").await;
    assert!(crate::helpers::text_of(&html, "#licenses-ending").is_some());
    assert!(
        license_portal::models::outbox::OutboxMail::to(&mut app.conn(), email)
            .expect("outbox")
            .iter()
            .any(|m| m.kind.as_str() == "licenses_ending"),
        "the demo's mail folder has the licenses_ending mail"
    );
    // Units and warnings (SPEC 14): stores on the report, and the
    // threshold's mail in the folder.
    let (_, report) = app.get_html(&c, "/account/reports/active-users").await;
    assert!(
        crate::helpers::count_of(&report, ".unit-count") >= 3,
        "stores"
    );
    assert!(
        license_portal::models::outbox::OutboxMail::to(&mut app.conn(), email)
            .expect("outbox")
            .iter()
            .any(|m| m.kind.as_str() == "usage_threshold"),
        "the demo's mail folder has a usage_threshold mail"
    );
    // Prices (SPEC 15) on Nordic, none on Fjord.
    let (_, form) = app
        .get_html(&c, "/account/order-licenses?quantity=10")
        .await;
    assert_eq!(
        crate::helpers::data_value(&form, "order-monthly"),
        Some(89_000)
    );
    let fjord_client = client();
    let (_, fjord_email, fjord_password) = license_portal::demo::SIGNINS[3];
    app.sign_in(&fjord_client, fjord_email, fjord_password)
        .await;
    let (_, form) = app
        .get_html(&fjord_client, "/account/order-licenses?quantity=10")
        .await;
    assert_eq!(crate::helpers::count_of(&form, "#order-price"), 0);
    let fjord = Account::all(&mut app.conn())
        .expect("accounts")
        .into_iter()
        .find(|a| a.name.starts_with("Fjord"))
        .expect("Fjord");
    let rows = license_portal::models::ledger::LedgerRow::of_account(&mut app.conn(), fjord.id)
        .expect("ledger");
    assert!(
        rows.iter()
            .any(|r| r.order_id.is_some() && r.ends_on.is_some()),
        "a season"
    );
    let orders =
        license_portal::models::LicenseOrder::page_for_account(&mut app.conn(), fjord.id, 0, 50)
            .expect("orders")
            .0;
    assert!(orders
        .iter()
        .any(|o| o.kind.as_str() == "reduce" && o.status.as_str() == "pending"));
    // Faster handling: Fjord's rule approved one order; Nordic's pending
    // order has an exchange the customer answered last.
    assert!(fjord.rule().is_on());
    assert!(orders.iter().any(|o| o.by_rule));
    let pending: Vec<i64> = license_portal::models::LicenseOrder::queue(
        &mut app.conn(),
        license_portal::domain::orders::OrderStatus::Pending,
        0,
        50,
    )
    .expect("queue")
    .iter()
    .map(|v| v.order.id)
    .collect();
    let marks =
        license_portal::models::order_message::OrderMessage::last_words(&mut app.conn(), &pending)
            .expect("marks");
    assert!(
        marks
            .values()
            .any(|m| *m == license_portal::models::order_message::LastWord::Answered),
        "a pending order the customer answered: {marks:?}"
    );
}

#[tokio::test]
async fn the_backend_in_use_is_the_one_asked_for() {
    let app = spawn_app().await;
    let expected = if std::env::var("TEST_POSTGRES_URL")
        .map(|u| !u.is_empty())
        .unwrap_or(false)
    {
        "postgres"
    } else {
        eprintln!(
            "SKIPPED (PostgreSQL): TEST_POSTGRES_URL is not set; this run covers SQLite only"
        );
        "sqlite"
    };
    assert_eq!(app.db.url().backend(), expected);
    let conn = app.conn();
    let actual = match &*conn {
        db::DbConnection::Sqlite(_) => "sqlite",
        db::DbConnection::Postgres(_) => "postgres",
    };
    assert_eq!(actual, expected);
}

#[tokio::test]
async fn a_write_transaction_inside_another_commits_or_rolls_back_with_it() {
    let app = spawn_app().await;
    let account = app.create_account("Nested AB", 5);
    let mut conn = app.conn();
    let outcome: Result<(), ops::OpError> = db::write_transaction(&mut conn, |conn| {
        ops::adjust_licenses(
            conn,
            &app.mail_ctx(),
            None,
            account.id,
            2,
            ops::Period::default(),
            "inner",
        )?;
        Err(ops::OpError::NotFound)
    });
    assert!(outcome.is_err());
    assert_eq!(
        app.account(account.id).licenses,
        5,
        "the inner change rolled back with the outer"
    );
    let outcome: Result<(), ops::OpError> = db::write_transaction(&mut conn, |conn| {
        ops::adjust_licenses(
            conn,
            &app.mail_ctx(),
            None,
            account.id,
            2,
            ops::Period::default(),
            "inner",
        )?;
        Ok(())
    });
    assert!(outcome.is_ok());
    assert_eq!(app.account(account.id).licenses, 7);
}

#[tokio::test]
async fn an_unknown_status_in_the_database_is_an_error_naming_it_not_a_default() {
    use diesel::connection::SimpleConnection;
    use license_portal::models::LicenseOrder;
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    let token = crate::helpers::hidden_value(&html, "form_token").expect("token");
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[("quantity", "3"), ("reference", ""), ("form_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id: i64 = crate::helpers::location(res.headers())
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("order id");
    // Plant a word no version of the portal writes, past the CHECK.
    let plant = if app.db.is_postgres() {
        "ALTER TABLE license_orders DROP CONSTRAINT license_orders_status_check; \
         UPDATE license_orders SET status = 'shipped'; \
         ALTER TABLE logins DROP CONSTRAINT logins_role_check; \
         UPDATE logins SET role = 'admin' WHERE email = 'viewer@alpha.example';"
    } else {
        "PRAGMA ignore_check_constraints = ON; \
         UPDATE license_orders SET status = 'shipped'; \
         UPDATE logins SET role = 'admin' WHERE email = 'viewer@alpha.example'; \
         PRAGMA ignore_check_constraints = OFF;"
    };
    app.conn().batch_execute(plant).expect("plant");
    let err = LicenseOrder::find(&mut app.conn(), id).expect_err("not a default");
    assert!(
        err.to_string()
            .contains("unknown value \"shipped\" in license_orders.status"),
        "{err}"
    );
    let err =
        Login::find_by_email(&mut app.conn(), "viewer@alpha.example").expect_err("not a default");
    assert!(
        err.to_string()
            .contains("unknown value \"admin\" in logins.role"),
        "{err}"
    );
    // A page that reads it fails readably, and shows no order as pending.
    let (status, body) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body.contains("shipped"), "the cause stays in the log");
    assert_eq!(app.account(w.a.id).licenses, w.a.licenses);
}
