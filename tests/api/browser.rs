//! The portal in a real browser (issue 6): Debian's Chromium driven through
//! chromedriver. Without them the tests say SKIPPED loudly; `.ci/run`
//! installs them and sets `PORTAL_REQUIRE_BROWSER=1`, which turns their
//! absence into a failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{free_port, spawn_app, TestApp, UserState, PASSWORD};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser is here; SKIPPED (or a failure in CI) when not.
fn browser_available(test: &str) -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if !present {
        if std::env::var("PORTAL_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("{test}: Chromium or chromedriver is missing and PORTAL_REQUIRE_BROWSER=1");
        }
        eprintln!("SKIPPED (browser) {test}: {CHROMIUM} or {CHROMEDRIVER} is not installed; run `apt-get install -y chromium chromium-driver` (.ci/run does)");
    }
    present
}

/// A chromedriver process and one browser session; both end on drop.
struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    async fn start(javascript: bool) -> Browser {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let mut options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    async fn go(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("navigate");
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.expect(css);
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("click");
    }

    /// Click something that loads a new page, and wait until it has.
    async fn submit(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("a page");
        self.click(css).await;
        let started = Instant::now();
        // The old page's element goes stale once the new page replaced it.
        while old.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no new page after clicking {css}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        while self.client.find(Locator::Css("body")).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the page after {css} did not load"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .text()
            .await
            .expect("text")
    }

    async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect(css)
            .len()
    }

    async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.client
            .find(Locator::Css(css))
            .await
            .expect(css)
            .attr(name)
            .await
            .expect("attr")
    }

    async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("url")
            .path()
            .to_string()
    }

    async fn sign_in(&self, app: &TestApp, email: &str) {
        self.go(app, "/login").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.submit("form[action=\"/login\"] button[type=submit]")
            .await;
    }

    async fn sign_out(&self) {
        self.submit("form[action=\"/logout\"] button").await;
    }

    /// Screenshots of the current page at phone and desktop widths.
    async fn shots(&self, name: &str) {
        let dir = screenshot_dir();
        for (width, height) in [(375u32, 812u32), (1280, 900)] {
            self.client
                .set_window_size(width, height)
                .await
                .expect("resize");
            let png = self.client.screenshot().await.expect("screenshot");
            assert!(png.starts_with(b"\x89PNG"), "a PNG");
            std::fs::write(dir.join(format!("{name}-{width}.png")), png).expect("write screenshot");
        }
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resize");
    }
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Turn two-step on for a login, as its enrolment would; returns the secret.
fn two_step_on(app: &TestApp, email: &str) -> String {
    let secret = license_portal::two_step::new_secret();
    let login = app.login(email);
    license_portal::models::Login::set_two_step(&mut app.conn(), login.id, Some(&secret), None)
        .expect("two-step on");
    secret
}

/// The code an authenticator shows now.
fn current_code(secret: &str) -> String {
    let now = chrono::Utc::now().timestamp() as u64;
    license_portal::two_step::code_at(secret, now).expect("code")
}

/// An over-licensed account with users in every state.
fn scene(app: &TestApp) -> i64 {
    let w = app.world();
    app.add_users(
        w.a.id,
        &[
            (UserState::Counted, 11),
            (UserState::Passive, 1),
            (UserState::Ended, 1),
            (UserState::EndingSoon, 1),
            (UserState::FutureStart, 1),
        ],
    );
    // Units (SPEC 14), one with a long name, and some users without.
    {
        use diesel::prelude::*;
        use license_portal::db::schema::{user_versions, users};
        let mut conn = app.conn();
        let ids: Vec<i64> = users::table
            .filter(users::account_id.eq(w.a.id))
            .select(users::id)
            .load(&mut conn)
            .expect("users");
        for id in ids {
            let unit = match id % 4 {
                0 => None,
                1 => Some("Store Göteborg Centralstation, entrance level two"),
                2 => Some("Store Malmö"),
                _ => Some("Warehouse"),
            };
            diesel::update(users::table.find(id))
                .set(users::unit.eq(unit))
                .execute(&mut conn)
                .expect("unit");
            diesel::update(
                user_versions::table
                    .filter(user_versions::user_id.eq(id))
                    .filter(user_versions::valid_to.is_null()),
            )
            .set(user_versions::unit.eq(unit))
            .execute(&mut conn)
            .expect("version unit");
        }
    }
    w.a.id
}

/// A pending order of `account` with a customer's question and the
/// vendor's answer (SPEC 13); its id.
fn order_with_messages(app: &TestApp, account: i64) -> i64 {
    use license_portal::ops;
    let (contact, staff) = (
        app.login("contact@alpha.example"),
        app.login("staff@vendor.example"),
    );
    let order = ops::place_order(
        &mut app.conn(),
        &app.mail_ctx(),
        &contact,
        account,
        &ops::OrderInput {
            quantity: 4,
            reference: Some("PO-9".into()),
            ..Default::default()
        },
        "browser-talk",
    )
    .expect("order");
    for (writer, body) in [
        (
            ops::Writer::Customer {
                login: &contact,
                account_id: account,
            },
            "For the new store.\nCan they start on Monday?",
        ),
        (
            ops::Writer::Vendor(ops::Decider::staff(&staff)),
            "Yes, they can.",
        ),
    ] {
        ops::post_message(&mut app.conn(), &app.mail_ctx(), writer, order.id, body)
            .expect("message");
    }
    order.id
}

/// The id of the account's first user in the users list.
fn first_user_of(app: &TestApp, account: i64) -> i64 {
    crate::helpers::with_conn(app, |c| {
        license_portal::models::User::page(
            c,
            account,
            &license_portal::models::user::UserSearch::only(
                license_portal::models::user::UserFilter::All,
            ),
            app.today(),
            0,
            1,
        )
    })
    .expect("users")
    .0
    .first()
    .map(|u| u.id)
    .expect("a user")
}

async fn owned(b: &Browser) -> i64 {
    b.attr("#licenses-owned", "data-value")
        .await
        .and_then(|v| v.parse().ok())
        .expect("owned")
}

#[tokio::test]
async fn a_contact_orders_staff_approve_and_the_count_rises_in_a_real_browser() {
    if !browser_available("order loop") {
        return;
    }
    // The default policy: staff sign in with a second step.
    let app = crate::helpers::spawn_app_with(|s| {
        s.two_step = license_portal::two_step::Policy::Staff;
    })
    .await;
    scene(&app);
    let staff_secret = two_step_on(&app, "staff@vendor.example");
    let b = Browser::start(true).await;

    b.sign_in(&app, "contact@alpha.example").await;
    assert_eq!(b.path().await, "/account");
    assert_eq!(owned(&b).await, 10);
    b.shots("overview").await;

    b.submit("nav.tabs a[href=\"/account/order-licenses\"]")
        .await;
    assert_eq!(b.text("label[for=quantity]").await, "Order licenses");
    b.fill("#quantity", "seven").await;
    b.submit("form[action=\"/account/order-licenses\"] button[type=submit]")
        .await;
    assert!(b.text("#quantity-error").await.contains("whole number"));
    b.shots("order-licenses-error").await;
    b.fill("#quantity", "7").await;
    b.fill("#reference", "PO-BROWSER").await;
    b.submit("form[action=\"/account/order-licenses\"] button[type=submit]")
        .await;
    assert!(b.path().await.starts_with("/account/orders/"));
    assert!(b.text("#order-summary").await.contains("for 17 in all"));
    b.shots("order").await;
    b.go(&app, "/account/orders").await;
    b.shots("orders").await;
    b.go(&app, "/account/users").await;
    b.shots("users").await;
    b.go(&app, "/account/reports/active-users").await;
    assert!(b
        .client
        .find(Locator::Css("svg#chart polyline.forecast"))
        .await
        .is_ok());
    b.shots("report").await;
    b.sign_out().await;

    b.sign_in(&app, "staff@vendor.example").await;
    assert_eq!(b.path().await, "/login/two-step", "the code is asked");
    b.shots("two-step").await;
    b.fill("#code", &current_code(&staff_secret)).await;
    b.submit("form[action=\"/login/two-step\"] button[type=submit]")
        .await;
    assert_eq!(b.path().await, "/staff/orders");
    b.shots("staff-queue").await;
    b.submit("#queue tr.order form[action$=\"/approve\"] button")
        .await;
    assert_eq!(b.path().await, "/staff/orders");
    b.shots("staff-accounts-after-approval").await;
    b.sign_out().await;

    b.sign_in(&app, "contact@alpha.example").await;
    assert_eq!(owned(&b).await, 17);
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn the_language_switch_works_in_a_real_browser() {
    if !browser_available("language switch") {
        return;
    }
    let app = spawn_app().await;
    scene(&app);
    let b = Browser::start(true).await;
    b.sign_in(&app, "contact@alpha.example").await;
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("en"));
    b.submit("form[action=\"/language\"] button").await;
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("sv"));
    assert_eq!(b.path().await, "/account");
    assert_eq!(
        b.text("nav.tabs a[href=\"/account/order-licenses\"]").await,
        "Beställ licenser"
    );
    b.go(&app, "/account/order-licenses").await;
    assert_eq!(b.text("label[for=quantity]").await, "Beställ licenser");
    b.shots("order-licenses-sv").await;
    b.submit("form[action=\"/language\"] button").await;
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("en"));
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn ordering_works_with_javascript_off() {
    if !browser_available("javascript off") {
        return;
    }
    let app = spawn_app().await;
    scene(&app);
    let b = Browser::start(false).await;
    b.sign_in(&app, "contact@alpha.example").await;
    assert_eq!(b.path().await, "/account");
    b.go(&app, "/account/order-licenses").await;
    b.fill("#quantity", " 3 ").await;
    b.submit("form[action=\"/account/order-licenses\"] button[type=submit]")
        .await;
    assert!(b.path().await.starts_with("/account/orders/"));
    assert_eq!(
        b.attr("#order-quantity", "data-value").await.as_deref(),
        Some("3")
    );
    b.submit("form[action$=\"/cancel\"] button").await;
    assert_eq!(
        b.attr("#order-status", "data-value").await.as_deref(),
        Some("cancelled")
    );
    b.client.clone().close().await.expect("close");
}

/// Run axe-core on the current page; the serious and critical violations.
async fn axe_check(b: &Browser, axe: &str, label: String) -> Vec<String> {
    b.client.execute(axe, vec![]).await.expect("load axe");
    let result = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')));",
            vec![],
        )
        .await
        .expect("axe runs");
    result
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| format!("{label}: {v}"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
}

/// axe-core, installed from the npm registry by `.ci/run` (tests/browser).
fn axe_source() -> Option<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(path).ok()
}

#[tokio::test]
async fn no_page_has_a_serious_or_critical_accessibility_violation() {
    if !browser_available("accessibility") {
        return;
    }
    let Some(axe) = axe_source() else {
        if std::env::var("PORTAL_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!(
                "axe-core is missing under tests/browser/node_modules and PORTAL_REQUIRE_BROWSER=1"
            );
        }
        eprintln!("SKIPPED (accessibility): axe-core is not installed; run `npm install` in tests/browser (.ci/run does)");
        return;
    };
    let app = spawn_app().await;
    let account = scene(&app);
    let talked = order_with_messages(&app, account);
    let b = Browser::start(true).await;
    let mut pages: Vec<(&str, String)> = vec![("anonymous", "/login".into())];
    b.sign_in(&app, "contact@alpha.example").await;
    for path in [
        "/account",
        "/account/order-licenses",
        "/account/orders",
        "/account/licenses",
        "/account/reduce-licenses",
        "/account/users",
        "/account/reports/active-users",
        "/account/api-tokens",
        "/account/reports/changes",
        "/account/alerts",
        "/account/agreement",
        "/account/users?filter=counted&unit=Store%20Malm%C3%B6",
        "/me",
        "/me/two-step",
    ] {
        pages.push(("contact", path.into()));
    }
    let first_user = first_user_of(&app, account);
    pages.push(("contact", format!("/account/users/{first_user}")));
    // A pending order with messages and the reply form (SPEC 13).
    pages.push(("contact", format!("/account/orders/{talked}")));
    pages.push(("contact", format!("/account/orders/{talked}/confirmation")));
    let mut problems = Vec::new();
    for (_, path) in &pages[1..] {
        b.go(&app, path).await;
        problems.extend(axe_check(&b, &axe, path.clone()).await);
    }
    // The order form with an error shown.
    b.go(&app, "/account/order-licenses").await;
    b.fill("#quantity", "0").await;
    b.submit("form[action=\"/account/order-licenses\"] button[type=submit]")
        .await;
    problems.extend(axe_check(&b, &axe, "order form with an error".into()).await);
    // A new API token shown once, then the form with an error.
    b.go(&app, "/account/api-tokens").await;
    b.fill("#token-name", "ERP").await;
    b.submit("form[action=\"/account/api-tokens\"] button[type=submit]")
        .await;
    problems.extend(axe_check(&b, &axe, "a new API token".into()).await);
    b.fill("#token-days", "400").await;
    b.submit("form[action=\"/account/api-tokens\"] button[type=submit]")
        .await;
    problems.extend(axe_check(&b, &axe, "the token form with an error".into()).await);
    // Licenses over time in the other language too, and the reduce form
    // refusing a day.
    b.go(&app, "/account").await;
    b.submit("form[action=\"/language\"] button[type=submit]")
        .await;
    assert_eq!(
        b.text("nav.tabs a[href=\"/account/licenses\"]").await,
        "Licenser",
        "the pages speak Swedish now"
    );
    for path in [
        "/account/alerts".to_string(),
        "/account/agreement".into(),
        format!("/account/orders/{talked}/confirmation"),
        "/account/reports/active-users".into(),
        "/account/licenses".into(),
        "/account/reduce-licenses".into(),
        format!("/account/orders/{talked}"),
    ] {
        b.go(&app, &path).await;
        problems.extend(axe_check(&b, &axe, format!("{path} (sv)")).await);
    }
    assert_eq!(
        b.text("#messages-heading").await,
        "Meddelanden",
        "the messages speak Swedish"
    );
    // A message refused for its length, shown beside the form.
    b.go(&app, &format!("/account/orders/{talked}")).await;
    b.submit("#message-form button[type=submit]").await;
    problems.extend(axe_check(&b, &axe, "an empty message refused (sv)".into()).await);
    assert!(b.count("#message-error").await == 1, "the refusal is shown");
    b.go(&app, "/account/alerts").await;
    b.fill("#threshold_percent", "101").await;
    b.submit("#alerts-form button[type=submit]").await;
    problems.extend(axe_check(&b, &axe, "the warnings form with an error (sv)".into()).await);
    assert!(
        b.count("#threshold-error").await == 1,
        "the refusal is shown"
    );
    b.go(&app, "/account/reduce-licenses").await;
    b.fill("#starts_on", "2000-01-01").await;
    b.submit("form[action=\"/account/reduce-licenses\"] button[type=submit]")
        .await;
    problems.extend(axe_check(&b, &axe, "the reduce form with an error (sv)".into()).await);
    b.go(&app, "/account").await;
    b.submit("form[action=\"/language\"] button[type=submit]")
        .await;
    b.sign_out().await;
    problems.extend(axe_check(&b, &axe, "/login".into()).await);
    // The pages of the ways in without a password.
    let invited = license_portal::ops::LoginInput::parse(
        "invited@alpha.example",
        "Ivy",
        "viewer",
        Some(account),
        None,
    )
    .expect("input");
    license_portal::ops::invite_login(&mut app.conn(), &app.mail_ctx(), None, &invited)
        .expect("invite");
    let link = crate::helpers::invitation_link(&app, "invited@alpha.example").await;
    for path in [
        "/login/reset".to_string(),
        link.clone(),
        format!("/reset/{}", "A".repeat(43)),
    ] {
        b.go(&app, &path).await;
        problems.extend(axe_check(&b, &axe, path.clone()).await);
    }
    b.go(&app, &link).await;
    b.fill("#password", "a long enough passphrase").await;
    b.fill("#password_confirm", "not the same one").await;
    b.submit("form[action^=\"/invitation/\"] button[type=submit]")
        .await;
    problems.extend(axe_check(&b, &axe, "a refused password".into()).await);
    b.sign_in(&app, "staff@vendor.example").await;
    for path in [
        "/staff/orders".to_string(),
        format!("/staff/orders/{talked}"),
        "/staff/accounts".into(),
        format!("/staff/accounts/{account}"),
        "/staff/audit".into(),
        "/staff/outbox".into(),
        "/staff/api-tokens".into(),
    ] {
        b.go(&app, &path).await;
        problems.extend(axe_check(&b, &axe, path.clone()).await);
    }
    // The staff order page in Swedish too.
    b.go(&app, &format!("/staff/orders/{talked}")).await;
    assert_eq!(b.count("#message-list li.message").await, 2);
    b.submit("form[action=\"/language\"] button[type=submit]")
        .await;
    b.go(&app, &format!("/staff/orders/{talked}")).await;
    problems.extend(axe_check(&b, &axe, format!("/staff/orders/{talked} (sv)")).await);
    b.go(&app, "/staff/orders").await;
    problems.extend(axe_check(&b, &axe, "/staff/orders (sv)".into()).await);
    // The agreement form (SPEC 15) in Swedish, then refusing a price.
    b.go(&app, &format!("/staff/accounts/{account}")).await;
    problems.extend(axe_check(&b, &axe, format!("/staff/accounts/{account} (sv)")).await);
    b.fill("#agreement-price", "-1").await;
    b.submit("#agreement button[type=submit]").await;
    assert_eq!(
        b.count("#agreement-price-error").await,
        1,
        "the refusal is shown"
    );
    problems.extend(axe_check(&b, &axe, "the agreement form with an error (sv)".into()).await);
    // With prices, the customer's pages show them (the cost box, the
    // agreement page) in Swedish too.
    b.fill("#agreement-price", "89,50").await;
    b.fill("#agreement-currency", "SEK").await;
    b.submit("#agreement button[type=submit]").await;
    b.sign_out().await;
    b.sign_in(&app, "contact@alpha.example").await;
    for path in [
        "/account/order-licenses?quantity=3".to_string(),
        "/account/agreement".into(),
        "/account/reduce-licenses?quantity=1".into(),
    ] {
        b.go(&app, &path).await;
        problems.extend(axe_check(&b, &axe, format!("{path} (priced)")).await);
    }
    assert!(b.count("#order-price").await == 1, "priced");
    assert!(
        problems.is_empty(),
        "accessibility violations:\n{}",
        problems.join("\n")
    );
    b.client.clone().close().await.expect("close");
}

/// Issue 25: on a 375 px wide phone the users list and the report read as
/// blocks; every user's reason is inside the viewport and neither the page
/// nor a table scrolls sideways. On a wide screen they stay tables. A
/// contact changes a user on the user's page, which the phone's list
/// links to.
#[tokio::test]
async fn on_a_phone_every_users_reason_is_on_the_screen() {
    if !browser_available("phone lists") {
        return;
    }
    let app = spawn_app().await;
    let account = scene(&app);
    let b = Browser::start(true).await;
    b.sign_in(&app, "contact@alpha.example").await;
    let measure = r#"
        const inside = (e) => { const r = e.getBoundingClientRect();
            return r.left >= 0 && r.right <= window.innerWidth + 0.5; };
        const doc = document.documentElement;
        const wraps = [...document.querySelectorAll('.table-wrap')];
        const reasons = [...document.querySelectorAll('tr.user .reason, .unit-count')];
        const table = document.querySelector('table.stack');
        return [doc.scrollWidth <= doc.clientWidth,
                wraps.every(w => w.scrollWidth <= w.clientWidth),
                reasons.length,
                reasons.filter(inside).length,
                table ? getComputedStyle(table).display : ''];"#;
    for (width, height) in [(375u32, 812u32), (1280, 900)] {
        b.client
            .set_window_size(width, height)
            .await
            .expect("window size");
        for path in ["/account/users", "/account/reports/active-users"] {
            b.go(&app, path).await;
            let v = b.client.execute(measure, vec![]).await.expect("measure");
            let a = v.as_array().expect("an array");
            let count = a[2].as_u64().unwrap_or(0);
            assert!(count > 0, "{path}: rows with reasons");
            if width == 375 {
                assert_eq!(a[0], true, "{path}: the page scrolls sideways at 375 px");
                assert_eq!(a[1], true, "{path}: a table scrolls sideways at 375 px");
                assert_eq!(
                    a[3].as_u64(),
                    Some(count),
                    "{path}: a reason off the screen"
                );
                assert_eq!(a[4], "block", "{path}: rows read as blocks");
            } else {
                assert_eq!(a[4], "table", "{path}: a table on a wide screen");
            }
        }
    }
    // The report's table by unit is there, each line on the screen too.
    b.go(&app, "/account/reports/active-users").await;
    assert_eq!(b.count(".unit-count").await, 4, "three stores and no unit");
    // The change behind the user's page.
    b.client
        .set_window_size(375, 812)
        .await
        .expect("window size");
    let first = first_user_of(&app, account);
    b.go(&app, &format!("/account/users/{first}")).await;
    b.client
        .find(Locator::Css("#user-status-field option[value=\"passive\"]"))
        .await
        .expect("the status field")
        .click()
        .await
        .expect("choose passive");
    b.submit("#user-change button[type=submit]").await;
    assert_eq!(b.path().await, format!("/account/users/{first}"));
    assert_eq!(
        b.attr("#user-status", "data-value").await.as_deref(),
        Some("passive")
    );
    b.client.clone().close().await.expect("close");
}

#[tokio::test]
async fn an_orders_confirmation_prints_to_a_pdf_with_its_number_reference_and_cost() {
    if !browser_available("confirmation PDF") {
        return;
    }
    use license_portal::ops;
    let app = spawn_app().await;
    let account = scene(&app);
    let (contact, staff) = (
        app.login("contact@alpha.example"),
        app.login("staff@vendor.example"),
    );
    let today = app.today();
    ops::set_agreement(
        &mut app.conn(),
        &app.mail_ctx(),
        &staff,
        account,
        &license_portal::domain::money::Agreement {
            price_minor: Some(12_345),
            currency: Some("SEK".into()),
            billing: Some("annual".into()),
            renews_on: Some(today + chrono::Duration::days(200)),
        },
    )
    .expect("agreement");
    let order = ops::place_order(
        &mut app.conn(),
        &app.mail_ctx(),
        &contact,
        account,
        &ops::OrderInput {
            quantity: 7,
            reference: Some("PO-PDF-42".into()),
            ..Default::default()
        },
        "browser-pdf",
    )
    .expect("order");
    let cost = order.cost_minor.expect("a cost kept");
    let b = Browser::start(true).await;
    b.sign_in(&app, "contact@alpha.example").await;
    b.go(&app, &format!("/account/orders/{}/confirmation", order.id))
        .await;
    let pdf = b
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let text = pdf_extract::extract_text_from_mem(&pdf).expect("the PDF's text");
    let text = text.replace('\u{a0}', " ");
    assert!(text.contains(&format!("#{}", order.id)), "{text}");
    assert!(text.contains("PO-PDF-42"), "{text}");
    let amount = license_portal::i18n::Lang::En
        .money(cost, "SEK")
        .replace('\u{a0}', " ");
    assert!(text.contains(&amount), "{amount} in {text}");
    // Printed, the page has no navigation and no link back.
    assert!(!text.contains("Back to the order"), "{text}");
}

#[tokio::test]
async fn the_cost_follows_the_quantity_and_the_days_as_they_are_typed() {
    if !browser_available("cost as typed") {
        return;
    }
    use license_portal::domain::money::cost_minor;
    let app = spawn_app().await;
    let account = scene(&app);
    let staff = app.login("staff@vendor.example");
    let today = app.today();
    license_portal::ops::set_agreement(
        &mut app.conn(),
        &app.mail_ctx(),
        &staff,
        account,
        &license_portal::domain::money::Agreement {
            price_minor: Some(8_950),
            currency: Some("SEK".into()),
            billing: Some("annual".into()),
            renews_on: Some(today + chrono::Duration::days(100)),
        },
    )
    .expect("agreement");
    let b = Browser::start(true).await;
    b.sign_in(&app, "contact@alpha.example").await;
    b.go(&app, "/account/order-licenses").await;
    assert_eq!(b.count("#order-monthly").await, 0, "nothing typed yet");
    b.fill("#quantity", "12").await;
    let value = |css: &'static str| {
        let b = &b;
        async move {
            b.attr(css, "data-value")
                .await
                .and_then(|v| v.parse::<i64>().ok())
        }
    };
    assert_eq!(value("#order-monthly").await, Some(8_950 * 12));
    assert_eq!(
        value("#order-cost").await,
        Some(cost_minor(8_950, 12, 100)),
        "up to the renewal"
    );
    // A season, its days set as a date picker sets them.
    let (from, until) = (
        today + chrono::Duration::days(5),
        today + chrono::Duration::days(64),
    );
    b.client
        .execute(
            "for (const [id, v] of [['starts_on', arguments[0]], ['ends_on', arguments[1]]]) {
                 const e = document.getElementById(id); e.value = v;
                 e.dispatchEvent(new Event('input', {bubbles: true})); }",
            vec![from.to_string().into(), until.to_string().into()],
        )
        .await
        .expect("set the days");
    assert_eq!(value("#order-cost").await, Some(cost_minor(8_950, 12, 60)));
    assert!(
        b.text("#order-price").await.contains("60"),
        "the days in words"
    );
    // The same figures as the server's, in the page the button asks for.
    b.submit("#show-cost").await;
    assert_eq!(value("#order-cost").await, Some(cost_minor(8_950, 12, 60)));
    // (WebDriver gives the no-break space as a space.)
    assert_eq!(
        b.text("#order-monthly").await.replace('\u{a0}', " "),
        "SEK 1,074.00"
    );
    // A quantity no order may have shows nothing.
    b.fill("#quantity", "0").await;
    assert_eq!(b.count("#order-monthly").await, 0);
    // A reduction with its first day cleared starts on the first of next
    // month, as the server has it: its saving up to the renewal.
    b.go(&app, "/account/reduce-licenses").await;
    b.fill("#quantity", "2").await;
    b.client
        .execute(
            "const e = document.getElementById('starts_on'); e.value = '';
             e.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("clear the day");
    let first = license_portal::domain::ledger::first_of_next_month(today);
    let days = (today + chrono::Duration::days(100) - first).num_days();
    assert_eq!(value("#order-cost").await, Some(cost_minor(8_950, 2, days)));
}
