//! Mail (SPEC 7, issue 10) against a real SMTP server in its own process
//! (aiosmtpd): invitations and resets end to end, each notification to the
//! right address in its language, and the outbox's promise that a mail is
//! never lost and sent once.

use std::time::{Duration, Instant};

use license_portal::domain::mail::MailStatus;
use license_portal::models::outbox::OutboxMail;
use license_portal::models::Login;
use reqwest::StatusCode;

use crate::helpers::{
    client, hidden_value, link_after, location, smtp_available, spawn_app_with, Mail, SmtpServer,
    TestApp, UserState, PASSWORD,
};

/// A portal that sends its mail to `smtp`, retrying quickly.
async fn app_with(smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(move |s| {
        s.mail.smtp_url = Some(url);
        s.mail.retry_base = Duration::from_millis(200);
    })
    .await
}

/// Staff invite a login onto account A through the page.
async fn invite(app: &TestApp, staff: &reqwest::Client, account: i64, email: &str, role: &str) {
    let res = app
        .post(
            staff,
            &format!("/staff/accounts/{account}/logins"),
            &[("email", email), ("name", "New Person"), ("role", role)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "invite {email}");
}

/// The answer to a link's POST with these passwords.
async fn post_password(
    app: &TestApp,
    c: &reqwest::Client,
    link: &str,
    password: &str,
    confirm: &str,
) -> reqwest::Response {
    let (_, html) = app.get_html(c, link).await;
    // The form, or the 410 page (its language switch carries the token).
    let token = hidden_value(&html, "csrf_token").expect("a token");
    app.post_form(
        c,
        link,
        &[
            ("password", password),
            ("password_confirm", confirm),
            ("csrf_token", &token),
        ],
    )
    .await
}

#[tokio::test]
async fn an_invitation_sets_the_password_signs_in_and_works_once() {
    if !smtp_available("an_invitation_sets_the_password_signs_in_and_works_once") {
        return;
    }
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    invite(&app, &staff, w.a.id, "new@alpha.example", "contact").await;
    let mail = smtp.wait_for("new@alpha.example", "/invitation/").await;
    assert_eq!(mail.subject, "Your invitation to the License portal");
    assert!(mail.body.contains("Alpha AB"), "{}", mail.body);
    let link = link_after(&mail.body, "/invitation/").expect("a link");
    assert!(
        mail.body.contains(&app.url(&link)),
        "the link is absolute, on the portal's address: {}",
        mail.body
    );

    let c = client();
    // Showing the form does not use the link up.
    for _ in 0..2 {
        let (status, html) = app.get_html(&c, &link).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("new@alpha.example"));
    }
    let res = post_password(&app, &c, &link, "a fresh passphrase", "another one").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "confirm differs"
    );
    let res = post_password(&app, &c, &link, "short", "short").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "too short");
    let res = post_password(&app, &c, &link, "a fresh passphrase", "a fresh passphrase").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/");
    assert_eq!(
        app.get(&c, "/account").await.status(),
        StatusCode::OK,
        "signed in"
    );
    // The link again: 410 with a way on, and nothing changes.
    let other = client();
    let (status, html) = app.get_html(&other, &link).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("href=\"/login/reset\""), "{html}");
    let res = post_password(
        &app,
        &other,
        &link,
        "a third passphrase",
        "a third passphrase",
    )
    .await;
    assert_eq!(res.status(), StatusCode::GONE);
    let res = app
        .sign_in(&client(), "new@alpha.example", "a fresh passphrase")
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the password set stands"
    );
    // Once sent, the kept body holds no token.
    let kept = OutboxMail::to(&mut app.conn(), "new@alpha.example").expect("outbox");
    assert!(kept
        .iter()
        .all(|m| link_after(&m.body, "/invitation/").is_none()));
}

#[tokio::test]
async fn a_new_invitation_ends_the_older_link() {
    if !smtp_available("a_new_invitation_ends_the_older_link") {
        return;
    }
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    invite(&app, &staff, w.a.id, "late@alpha.example", "viewer").await;
    let first = link_after(
        &smtp
            .wait_for("late@alpha.example", "/invitation/")
            .await
            .body,
        "/invitation/",
    )
    .expect("link");
    let login = Login::find_by_email(&mut app.conn(), "late@alpha.example")
        .expect("q")
        .expect("login");
    let res = app
        .post(&staff, &format!("/staff/logins/{}/invite", login.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let deadline = Instant::now() + Duration::from_secs(15);
    let second = loop {
        let links: Vec<String> = smtp
            .mails()
            .iter()
            .filter(|m| m.to == "late@alpha.example")
            .filter_map(|m| link_after(&m.body, "/invitation/"))
            .collect();
        if links.len() == 2 {
            break links[1].clone();
        }
        assert!(Instant::now() < deadline, "the second invitation arrives");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(first, second);
    assert_eq!(
        app.get(&client(), &first).await.status(),
        StatusCode::GONE,
        "the older link"
    );
    let c = client();
    let res = post_password(
        &app,
        &c,
        &second,
        "an evening passphrase",
        "an evening passphrase",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_reset_answers_alike_for_any_address_mails_once_and_ends_the_sessions() {
    if !smtp_available("a_reset_answers_alike_for_any_address_mails_once_and_ends_the_sessions") {
        return;
    }
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    app.world();
    let session = app.client_for("contact@alpha.example").await;
    // Lock the login first: a reset clears the lock-out.
    for _ in 0..10 {
        app.sign_in(&client(), "contact@alpha.example", "a wrong password!")
            .await;
    }
    let mut pages = Vec::new();
    for email in [
        "contact@alpha.example",
        "nobody@alpha.example",
        "CONTACT@alpha.example ",
    ] {
        let c = client();
        let (_, html) = app.get_html(&c, "/login/reset").await;
        let token = hidden_value(&html, "csrf_token").expect("token");
        let res = app
            .post_form(
                &c,
                "/login/reset",
                &[("email", email), ("csrf_token", &token)],
            )
            .await;
        let status = res.status();
        let body = res.text().await.expect("body");
        let page = body.replace(&token, "TOKEN");
        pages.push((status, page));
    }
    assert_eq!(pages[0].0, StatusCode::OK);
    assert!(
        pages.iter().all(|p| p == &pages[0]),
        "the same status and page for every address"
    );
    // Two asks for the known login (3 an hour at most), none for nobody.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reset_mails: Vec<Mail> = smtp
        .mails()
        .into_iter()
        .filter(|m| m.body.contains("/reset/"))
        .collect();
    assert_eq!(
        reset_mails.len(),
        2,
        "one mail per ask, to the known login only"
    );
    assert!(reset_mails.iter().all(|m| m.to == "contact@alpha.example"));
    let link = link_after(&reset_mails[1].body, "/reset/").expect("link");
    let c = client();
    let res = post_password(
        &app,
        &c,
        &link,
        "a brand new passphrase",
        "a brand new passphrase",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "reset, signed in");
    assert_eq!(app.get(&c, "/account").await.status(), StatusCode::OK);
    assert_eq!(
        location(app.get(&session, "/account").await.headers()),
        "/login",
        "every other session of the login ended"
    );
    let changed = smtp.wait_for("contact@alpha.example", "was changed").await;
    assert!(changed.subject.contains("password"), "{}", changed.subject);
    // A warning, not a way in: it carries no link (SPEC 7).
    assert!(
        !changed.body.contains("http://") && !changed.body.contains("https://"),
        "{}",
        changed.body
    );
    // A reset link works once.
    assert_eq!(app.get(&client(), &link).await.status(), StatusCode::GONE);
    // The lock-out is cleared: the new password signs in.
    let res = app
        .sign_in(&client(), "contact@alpha.example", "a brand new passphrase")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // At most 3 reset mails an hour for one login.
    for _ in 0..3 {
        let c = client();
        let (_, html) = app.get_html(&c, "/login/reset").await;
        let token = hidden_value(&html, "csrf_token").expect("token");
        app.post_form(
            &c,
            "/login/reset",
            &[("email", "contact@alpha.example"), ("csrf_token", &token)],
        )
        .await;
    }
    let queued = OutboxMail::to(&mut app.conn(), "contact@alpha.example")
        .expect("outbox")
        .into_iter()
        .filter(|m| m.kind.as_str() == "password_reset")
        .count();
    assert_eq!(queued, 3, "the fourth ask within the hour writes no mail");
}

#[tokio::test]
async fn each_notification_reaches_its_address_in_the_recipients_language() {
    if !smtp_available("each_notification_reaches_its_address_in_the_recipients_language") {
        return;
    }
    let smtp = SmtpServer::start();
    let app = app_with(&smtp).await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    // The contact speaks Swedish; the staff login (the order desk) English.
    let res = app
        .post(&contact, "/language", &[("lang", "sv"), ("back", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let order = crate::orders::order(&app, &contact, "4").await;
    let id = crate::orders::id_of(&order);
    let placed = smtp
        .wait_for("staff@vendor.example", &format!("{id}"))
        .await;
    assert!(
        placed.subject.starts_with("New license order"),
        "{}",
        placed.subject
    );
    assert!(placed.body.contains("Alpha AB") && placed.body.contains("4"));
    assert!(placed.body.contains(&app.url("/staff/orders")));

    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", "Välkomna")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let decided = smtp.wait_for("contact@alpha.example", "Välkomna").await;
    assert!(
        decided.subject.contains("godkänts"),
        "Swedish: {}",
        decided.subject
    );
    assert!(
        decided.body.contains("14"),
        "licenses now: {}",
        decided.body
    );
    assert!(decided
        .body
        .contains(&app.url(&format!("/account/orders/{id}"))));

    let second = crate::orders::id_of(&crate::orders::order(&app, &contact, "2").await);
    let res = app
        .post(&contact, &format!("/account/orders/{second}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cancelled = smtp
        .wait_for("staff@vendor.example", "cancelled a pending order")
        .await;
    assert!(
        cancelled.subject.contains("cancelled"),
        "{}",
        cancelled.subject
    );

    // Over the licenses (14 owned): 15 counted once a contact changes a
    // user, one mail to the contact; a further change while still over
    // sends none; back within and over again sends the next.
    app.add_users(w.a.id, &[(UserState::Counted, 14)]);
    let user = app.accounts_user(w.a.id, "OV1", UserState::Counted);
    let res = app
        .post(
            &contact,
            &format!("/account/users/{user}"),
            &[("status", "active"), ("end_date", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let staff_adjust = |change: &'static str| {
        let app = &app;
        let staff = &staff;
        async move {
            let res = app
                .post(
                    staff,
                    &format!("/staff/accounts/{}/licenses", w.a.id),
                    &[("change", change), ("reason", "test")],
                )
                .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{change}");
        }
    };
    let over = smtp
        .wait_for("contact@alpha.example", "order-licenses?quantity=1")
        .await;
    assert!(over.subject.contains("Alpha AB"), "{}", over.subject);
    assert!(over.body.contains("15"), "{}", over.body);
    staff_adjust("-1").await;
    staff_adjust("+5").await;
    staff_adjust("-5").await;
    let over_mails = |smtp: &SmtpServer| {
        smtp.mails()
            .into_iter()
            .filter(|m| m.body.contains("/account/order-licenses?quantity="))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while over_mails(&smtp) < 2 {
        assert!(Instant::now() < deadline, "the second crossing is told");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(over_mails(&smtp), 2, "once per crossing");
    // The viewer is not a contact: no over-licenses mail to it.
    assert!(smtp.mails().iter().all(|m| m.to != "viewer@alpha.example"));

    // No mail carries a password, a session or a CSRF token.
    let token = app.csrf(&contact).await;
    let cookie = app.session_cookie("contact@alpha.example").await;
    let key = cookie.split('=').nth(1).unwrap_or("none").to_string();
    for m in smtp.mails() {
        for secret in [PASSWORD, token.as_str(), key.as_str()] {
            assert!(
                !m.raw.contains(secret),
                "the mail {:?} to {} holds a secret",
                m.subject,
                m.to
            );
        }
        assert!(m.message_id.starts_with("outbox-"), "{}", m.message_id);
    }
}

#[tokio::test]
async fn with_the_mail_server_down_ordering_answers_at_once_and_the_mail_comes_later() {
    if !smtp_available(
        "with_the_mail_server_down_ordering_answers_at_once_and_the_mail_comes_later",
    ) {
        return;
    }
    let mut smtp = SmtpServer::stopped();
    let app = app_with(&smtp).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let started = Instant::now();
    let id = crate::orders::id_of(&crate::orders::order(&app, &contact, "3").await);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the order does not wait for the mail server"
    );
    // Tried and failed while the server is down, and still pending.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mails = OutboxMail::to(&mut app.conn(), "staff@vendor.example").expect("outbox");
        if mails
            .iter()
            .any(|m| m.attempts >= 1 && m.status == MailStatus::Pending)
        {
            assert!(mails
                .iter()
                .all(|m| m.last_error.is_some() || m.attempts == 0));
            break;
        }
        assert!(Instant::now() < deadline, "a failed try is recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    smtp.resume();
    let mail = smtp
        .wait_for("staff@vendor.example", &format!("order {id}"))
        .await;
    assert!(mail.subject.contains(&id.to_string()));
    // The row says so once the server has answered.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = OutboxMail::find(&mut app.conn(), mail.outbox_id())
            .expect("q")
            .expect("row");
        if row.status == MailStatus::Sent {
            assert!(row.sent_at.is_some());
            break;
        }
        assert!(Instant::now() < deadline, "marked sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failed_mail_shows_on_the_outbox_page_and_staff_send_it_again() {
    if !smtp_available("a_failed_mail_shows_on_the_outbox_page_and_staff_send_it_again") {
        return;
    }
    let mut smtp = SmtpServer::stopped();
    let app = app_with(&smtp).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    crate::orders::order(&app, &contact, "3").await;
    // Once the worker has tried it (and failed: the server is down).
    let deadline = Instant::now() + Duration::from_secs(15);
    let mail = loop {
        let mails = OutboxMail::to(&mut app.conn(), "staff@vendor.example").expect("outbox");
        if let Some(m) = mails.into_iter().find(|m| m.attempts >= 1) {
            break m;
        }
        assert!(Instant::now() < deadline, "a first try");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Make it the tenth try's failure at once, as if an hour of tries had
    // passed.
    {
        use diesel::prelude::*;
        use license_portal::db::schema::outbox;
        diesel::update(outbox::table.find(mail.id))
            .set((outbox::status.eq("failed"), outbox::attempts.eq(10)))
            .execute(&mut *app.conn())
            .expect("fail it");
    }
    let (_, html) = app.get_html(&staff, "/staff/outbox").await;
    assert_eq!(
        crate::helpers::count_of(&html, &format!("tr.mail.failed[data-id=\"{}\"]", mail.id)),
        1,
        "{html}"
    );
    smtp.resume();
    let res = app
        .post(&staff, &format!("/staff/outbox/{}/retry", mail.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    smtp.wait_for("staff@vendor.example", "New license order")
        .await;
    let res = app
        .post(&staff, &format!("/staff/outbox/{}/retry", mail.id), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "only a failed mail is sent again"
    );
    assert_eq!(
        app.post(&contact, &format!("/staff/outbox/{}/retry", mail.id), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_of_fifty_mails_exactly_once() {
    if !smtp_available("two_instances_on_one_database_send_each_of_fifty_mails_exactly_once") {
        return;
    }
    let smtp = SmtpServer::start();
    let first = app_with(&smtp).await;
    let w = first.world();
    // A second instance on the same database and mail server.
    let mut settings = license_portal::config::Settings::for_database(first.db.url().clone());
    settings.mail.smtp_url = Some(smtp.url());
    settings.mail.retry_base = Duration::from_millis(200);
    let second = license_portal::startup::Application::build(
        settings,
        license_portal::state::Clock::system(),
    )
    .expect("a second instance");
    let second_stop = second.mail_stopper();
    let second_handle = second.handle();
    tokio::spawn(second.run_until_stopped());

    let ctx = first.mail_ctx();
    for i in 0..50 {
        let input = license_portal::ops::LoginInput::parse(
            &format!("invitee{i}@alpha.example"),
            "",
            "viewer",
            Some(w.a.id),
            None,
        )
        .expect("input");
        license_portal::ops::invite_login(&mut first.conn(), &ctx, None, &input).expect("invite");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.mails().len() < 50 {
        assert!(
            Instant::now() < deadline,
            "only {} of 50 arrived",
            smtp.mails().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let any duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = smtp.mails();
    let ids: std::collections::BTreeSet<&str> =
        mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(mails.len(), 50, "no mail twice");
    assert_eq!(ids.len(), 50, "fifty different Message-IDs");
    second_stop.stop();
    drop(second_handle.stop(false));
}

/// `license-portal` with the test's database, mail to `smtp`, quick retries.
fn portal_command(db: &crate::helpers::TestDb, smtp_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_license-portal"));
    cmd.arg("--database")
        .arg(db.cli_url())
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .env("PORTAL_SMTP_URL", smtp_url)
        .env("PORTAL_MAIL_RETRY_SECONDS", "1")
        .stdin(std::process::Stdio::null());
    cmd
}

#[tokio::test]
async fn mails_pending_at_a_sigkill_are_sent_after_the_restart() {
    if !smtp_available("mails_pending_at_a_sigkill_are_sent_after_the_restart") {
        return;
    }
    let mut smtp = SmtpServer::stopped();
    let db = crate::helpers::TestDb::new();
    let port = crate::helpers::free_port();
    let out = |cmd: &mut std::process::Command| {
        let o = cmd.output().expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    let account = out(portal_command(&db, &smtp.url()).args([
        "account",
        "create",
        "--name",
        "Kill AB",
        "--licenses",
        "3",
    ]));
    // The command line queues the invitation and prints its link.
    let link = out(portal_command(&db, &smtp.url())
        .env("PORTAL_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .args([
            "login",
            "invite",
            "--email",
            "k@kill.example",
            "--role",
            "contact",
            "--account",
            &account,
        ]));
    assert!(
        link.starts_with(&format!("http://127.0.0.1:{port}/invitation/")),
        "{link}"
    );
    let smtp_url = smtp.url();
    let serve = || {
        let mut cmd = portal_command(&db, &smtp_url);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("serve")
    };
    // The first server tries (the mail server is down) and is killed.
    let mut first = serve();
    let conn_url = db.url().clone();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut conn = license_portal::db::connect(&conn_url).expect("connect");
        let mails = OutboxMail::to(&mut conn, "k@kill.example").expect("outbox");
        if mails.iter().any(|m| m.attempts >= 1) {
            assert!(mails.iter().all(|m| m.status == MailStatus::Pending));
            break;
        }
        assert!(Instant::now() < deadline, "the first server tried to send");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    smtp.resume();
    let mut second = serve();
    let mail = smtp.wait_for("k@kill.example", "/invitation/").await;
    let _ = second.kill();
    let _ = second.wait();
    assert!(mail.body.contains(&link), "the link the command printed");
    assert_eq!(smtp.mails().len(), 1);
}

#[tokio::test]
async fn no_staff_page_has_a_password_field() {
    let app = crate::helpers::spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let contact = app.client_for("contact@alpha.example").await;
    crate::orders::order(&app, &contact, "2").await;
    for path in [
        "/staff/orders".to_string(),
        "/staff/orders?status=approved".to_string(),
        "/staff/accounts".to_string(),
        format!("/staff/accounts/{}", w.a.id),
        format!("/staff/accounts/{}", w.b.id),
        "/staff/audit".to_string(),
        "/staff/outbox".to_string(),
    ] {
        let (status, html) = app.get_html(&staff, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let forms = crate::helpers::count_of(&html, "form");
        assert!(forms > 0, "{path} has forms to look at");
        assert_eq!(
            crate::helpers::count_of(&html, "form input[type=password], input[name*=password]"),
            0,
            "{path} has a password field"
        );
    }
    // The login form of an account page names no password either.
    let (_, html) = app
        .get_html(&staff, &format!("/staff/accounts/{}", w.a.id))
        .await;
    assert_eq!(
        crate::helpers::count_of(&html, "form[action$=\"/logins\"] input"),
        3,
        "csrf token, email, name: {html}"
    );
}

#[tokio::test]
async fn the_daily_round_tells_an_account_that_went_over_once() {
    let app = crate::helpers::spawn_app().await;
    let w = app.world();
    app.add_users(w.a.id, &[(UserState::Counted, 11)]);
    let over_mails = |app: &TestApp| {
        OutboxMail::to(&mut app.conn(), "contact@alpha.example")
            .expect("outbox")
            .into_iter()
            .filter(|m| m.kind.as_str() == "over_licenses")
            .count()
    };
    for _ in 0..2 {
        license_portal::maintenance::check_licenses(&mut app.conn(), &app.mail_ctx())
            .expect("check");
    }
    assert_eq!(over_mails(&app), 1, "told once");
    assert!(
        OutboxMail::to(&mut app.conn(), "viewer@alpha.example")
            .expect("outbox")
            .is_empty(),
        "contacts only"
    );
}
