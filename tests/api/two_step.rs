//! Two-step sign-in (SPEC 8, issue 11): enrolment, the code after the
//! password, replays, recovery codes, the half session, who must have it,
//! and resets by staff.

use chrono::TimeZone;
use license_portal::models::Login;
use license_portal::two_step::{code_at, Policy};
use reqwest::StatusCode;

use crate::helpers::{
    client, count_of, hidden_value, location, spawn_app_at_with, Client, TestApp, PASSWORD,
};

/// The portal's fixed clock: the middle of a 30-second step.
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 12, 1, 10, 0, 15)
        .single()
        .expect("time")
}

/// The code for the step `offset` steps from the clock's.
fn code(secret: &str, offset: i64) -> String {
    let t = now().timestamp() + offset * 30;
    code_at(secret, t as u64).expect("code")
}

async fn app_with(policy: Policy) -> TestApp {
    let app = spawn_app_at_with(now(), move |s| s.two_step = policy).await;
    app.world();
    app
}

fn data_text(html: &str, id: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let s = crate::helpers::sel(&format!("#{id}"));
    Some(
        doc.select(&s)
            .next()?
            .value()
            .attr("data-value")?
            .to_string(),
    )
}

/// Enrol the signed-in client; returns the secret and the recovery codes.
async fn enrol(app: &TestApp, c: &Client) -> (String, Vec<String>) {
    let (status, html) = app.get_html(c, "/me/two-step").await;
    assert_eq!(status, StatusCode::OK);
    let secret = data_text(&html, "two-step-secret").expect("secret");
    let uri = data_text(&html, "two-step-uri").expect("uri");
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")));
    assert!(uri.contains("issuer=License%20portal"), "{uri}");
    assert_eq!(count_of(&html, ".qr svg"), 1, "a QR code as inline SVG");
    let res = app
        .post(c, "/me/two-step", &[("code", &code(&secret, -1))])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    let doc = scraper::Html::parse_document(&html);
    let codes: Vec<String> = doc
        .select(&crate::helpers::sel(".recovery-code"))
        .map(|e| e.text().collect::<String>())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

/// The contact enrolled, then a new client half signed in with its
/// password: the secret, that client and its form's CSRF token.
async fn half_signed_in(app: &TestApp) -> (String, Client, String) {
    let c = app.client_for("contact@alpha.example").await;
    let (secret, _) = enrol(app, &c).await;
    let half = client();
    let res = app.sign_in(&half, "contact@alpha.example", PASSWORD).await;
    assert_eq!(location(res.headers()), "/login/two-step");
    let (_, html) = app.get_html(&half, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    (secret, half, token)
}

/// Password then code; returns the answer to the code.
async fn sign_in_with_code(
    app: &TestApp,
    c: &Client,
    email: &str,
    code: &str,
) -> reqwest::Response {
    let res = app.sign_in(c, email, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/login/two-step");
    let (_, html) = app.get_html(c, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    app.post_form(
        c,
        "/login/two-step",
        &[("code", code), ("csrf_token", &token)],
    )
    .await
}

#[tokio::test]
async fn enrolment_keeps_the_secret_after_a_wrong_code_and_shows_ten_codes_once() {
    let app = app_with(Policy::Off).await;
    let c = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&c, "/me/two-step").await;
    let secret = data_text(&html, "two-step-secret").expect("secret");
    let wrong = if code(&secret, 0) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let res = app.post(&c, "/me/two-step", &[("code", wrong)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(
        data_text(&html, "two-step-secret").as_deref(),
        Some(secret.as_str())
    );
    let res = app
        .post(&c, "/me/two-step", &[("code", &code(&secret, 0))])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert_eq!(count_of(&html, ".recovery-code"), 10);
    let (_, again) = app.get_html(&c, "/me/two-step").await;
    assert_eq!(count_of(&again, ".recovery-code"), 0, "shown once");
    assert_eq!(data_text(&again, "two-step-state").as_deref(), Some("on"));
    assert!(!again.contains(&secret), "the secret is not shown again");
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(login.totp_secret.as_deref(), Some(secret.as_str()));
}

#[tokio::test]
async fn a_code_signs_in_once_and_a_recovery_code_works_once() {
    let app = app_with(Policy::Staff).await;
    let c = app.client_for("contact@alpha.example").await;
    let (secret, codes) = enrol(&app, &c).await;
    // The enrolment's step is used: the next step's code signs in.
    let first = client();
    let res = sign_in_with_code(&app, &first, "contact@alpha.example", &code(&secret, 0)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/");
    assert_eq!(app.get(&first, "/account").await.status(), StatusCode::OK);
    // The same code in a new sign-in within its step: a replay.
    let replay = client();
    let res = sign_in_with_code(&app, &replay, "contact@alpha.example", &code(&secret, 0)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let n =
        license_portal::models::AuditEvent::count_kind(&mut app.conn(), "two_step_replay_refused")
            .expect("count");
    assert_eq!(n, 1, "the replay is audited");
    // An older step's code is a replay too.
    let res = sign_in_with_code(&app, &client(), "contact@alpha.example", &code(&secret, -1)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A recovery code works, typed as shown or without dashes, once.
    let r = client();
    let res = sign_in_with_code(
        &app,
        &r,
        "contact@alpha.example",
        &codes[3].replace('-', "").to_lowercase(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = sign_in_with_code(&app, &client(), "contact@alpha.example", &codes[3]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "used up");
}

#[tokio::test]
async fn five_wrong_codes_end_the_half_session_and_count_toward_the_lock_out() {
    let app = app_with(Policy::Staff).await;
    let c = app.client_for("contact@alpha.example").await;
    let (secret, _) = enrol(&app, &c).await;
    let half = client();
    let res = app.sign_in(&half, "contact@alpha.example", PASSWORD).await;
    assert_eq!(location(res.headers()), "/login/two-step");
    // Half signed in: other pages send to the code, POSTs are refused.
    for path in ["/account", "/me", "/", "/login"] {
        let res = app.get(&half, path).await;
        assert_eq!(location(res.headers()), "/login/two-step", "{path}");
    }
    let (_, html) = app.get_html(&half, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = app
        .post_form(
            &half,
            "/language",
            &[("lang", "sv"), ("back", "/"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let wrong = if code(&secret, 1) == "123456" {
        "654321"
    } else {
        "123456"
    };
    for attempt in 1..=5 {
        let res = app
            .post_form(
                &half,
                "/login/two-step",
                &[("code", wrong), ("csrf_token", &token)],
            )
            .await;
        if attempt < 5 {
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        } else {
            assert_eq!(location(res.headers()), "/login", "the fifth ends it");
        }
    }
    // The half session is over: even the right code now signs no one in.
    let res = app
        .post_form(
            &half,
            "/login/two-step",
            &[("code", &code(&secret, 1)), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "no half session (nor its token) is left"
    );
    assert_eq!(
        app.get(&half, "/account").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        location(app.get(&half, "/account").await.headers()),
        "/login"
    );
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    // Each wrong code counts; the right password did not.
    assert_eq!(login.failed_attempts, 5, "each wrong code counted");
    // The password step alone does not start the count again.
    let again = client();
    let res = app.sign_in(&again, "contact@alpha.example", PASSWORD).await;
    assert_eq!(location(res.headers()), "/login/two-step");
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(
        login.failed_attempts, 5,
        "the right password neither counted nor started the count again"
    );
    // A completed sign-in does.
    let (_, html) = app.get_html(&again, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = app
        .post_form(
            &again,
            "/login/two-step",
            &[("code", &code(&secret, 1)), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(login.failed_attempts, 0);
}

#[tokio::test]
async fn nine_wrong_passwords_then_the_right_one_and_its_code_sign_in_and_a_tenth_wrong_code_locks()
{
    use license_portal::ops::{check_code, CodeCheck};
    let app = app_with(Policy::Staff).await;
    let c = app.client_for("contact@alpha.example").await;
    let (secret, _) = enrol(&app, &c).await;
    let attempts = |app: &TestApp| {
        Login::find_by_email(&mut app.conn(), "contact@alpha.example")
            .expect("q")
            .expect("login")
    };
    for _ in 0..9 {
        let res = app
            .sign_in(&client(), "contact@alpha.example", "not the password")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempts(&app).failed_attempts, 9);
    // The right password is no tenth failure: the code is still asked for
    // and signs in.
    let res = sign_in_with_code(&app, &client(), "contact@alpha.example", &code(&secret, 1)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/");
    let after = attempts(&app);
    assert_eq!(
        after.failed_attempts, 0,
        "a completed sign-in starts the count again"
    );
    assert!(after.locked_until.is_none());
    // Nine failures again; a tenth, a wrong code, locks the login and says so
    // (the lock-out metric counts it).
    for _ in 0..9 {
        app.sign_in(&client(), "contact@alpha.example", "not the password")
            .await;
    }
    let login = attempts(&app);
    let wrong = if code(&secret, 0) == "123456" {
        "654321"
    } else {
        "123456"
    };
    let unix = now().timestamp() as u64;
    let outcome = with_conn_op(&app, |conn| check_code(conn, &login, wrong, unix));
    assert_eq!(outcome, CodeCheck::WrongAndLocked);
    assert!(attempts(&app).locked_until.is_some());
    let outcome = with_conn_op(&app, |conn| {
        check_code(conn, &login, &code(&secret, 0), unix)
    });
    assert_eq!(
        outcome,
        CodeCheck::Locked,
        "a locked login's code is not looked at"
    );
}

fn with_conn_op<T>(
    app: &TestApp,
    f: impl FnOnce(&mut license_portal::db::DbConnection) -> Result<T, license_portal::ops::OpError>,
) -> T {
    let mut conn = app.conn();
    f(&mut conn).unwrap_or_else(|e| panic!("op: {e}"))
}

#[tokio::test]
async fn staff_without_two_step_reach_no_staff_page_and_cannot_turn_it_off() {
    let app = app_with(Policy::Staff).await;
    let staff = app.client_for("staff@vendor.example").await;
    for path in [
        "/staff/orders",
        "/staff/accounts",
        "/staff/audit",
        "/",
        "/me",
    ] {
        let res = app.get(&staff, path).await;
        assert_eq!(location(res.headers()), "/me/two-step", "{path}");
    }
    let (status, html) = app.get_html(&staff, "/me/two-step").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#two-step-required"), 1);
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = app
        .post_form(
            &staff,
            "/staff/accounts",
            &[
                ("name", "X"),
                ("licenses", "1"),
                ("time_zone", "UTC"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (secret, _) = enrol(&app, &staff).await;
    assert_eq!(
        app.get(&staff, "/staff/orders").await.status(),
        StatusCode::OK
    );
    // Staff must keep it.
    let res = app
        .post(
            &staff,
            "/me/two-step/off",
            &[("password", PASSWORD), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A contact need not have it.
    let contact = app.client_for("contact@alpha.example").await;
    assert_eq!(app.get(&contact, "/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn two_step_all_forces_a_contact_and_a_staff_reset_ends_its_sessions() {
    let app = app_with(Policy::All).await;
    let contact = app.client_for("contact@alpha.example").await;
    assert_eq!(
        location(app.get(&contact, "/account").await.headers()),
        "/me/two-step"
    );
    enrol(&app, &contact).await;
    assert_eq!(app.get(&contact, "/account").await.status(), StatusCode::OK);
    let staff = app.client_for("staff@vendor.example").await;
    enrol(&app, &staff).await;
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    let res = app
        .post(
            &staff,
            &format!("/staff/logins/{}/two-step/reset", login.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(app.get(&contact, "/account").await.headers()),
        "/login",
        "its sessions ended"
    );
    // It signs in with its password alone and must enrol again.
    let again = app.client_for("contact@alpha.example").await;
    assert_eq!(
        location(app.get(&again, "/account").await.headers()),
        "/me/two-step"
    );
    let n = license_portal::models::AuditEvent::count_kind(&mut app.conn(), "two_step_reset")
        .expect("count");
    assert_eq!(n, 1);
    // Staff cannot reset their own.
    let me = Login::find_by_email(&mut app.conn(), "staff@vendor.example")
        .expect("q")
        .expect("login");
    let res = app
        .post(
            &staff,
            &format!("/staff/logins/{}/two-step/reset", me.id),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_reset_link_never_skips_the_second_step() {
    let app = app_with(Policy::Staff).await;
    let c = app.client_for("contact@alpha.example").await;
    let (secret, _) = enrol(&app, &c).await;
    let anon = client();
    let (_, html) = app.get_html(&anon, "/login/reset").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    app.post_form(
        &anon,
        "/login/reset",
        &[("email", "contact@alpha.example"), ("csrf_token", &token)],
    )
    .await;
    let link = crate::helpers::reset_link(&app, "contact@alpha.example").await;
    let r = client();
    let res = app
        .set_password_through(&r, &link, "a new passphrase here")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(app.get(&r, "/account").await.headers()),
        "/login/two-step",
        "the code is still asked"
    );
    let (_, html) = app.get_html(&r, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = app
        .post_form(
            &r,
            "/login/two-step",
            &[("code", &code(&secret, 0)), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&r, "/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_burst_of_codes_at_once_on_one_half_session_is_held_to_five() {
    let app = app_with(Policy::Staff).await;
    let (secret, half, token) = half_signed_in(&app).await;
    let right = code(&secret, 0);
    let mut burst = Vec::new();
    for i in 0..40u32 {
        let guess = format!("{:06}", (i * 7919 + 13) % 1_000_000);
        if guess == right {
            continue;
        }
        let half = half.clone();
        let url = app.url("/login/two-step");
        let token = token.clone();
        burst.push(tokio::spawn(async move {
            half.post(url)
                .form(&[("code", guess.as_str()), ("csrf_token", token.as_str())])
                .send()
                .await
                .map(|r| r.status())
        }));
    }
    for b in burst {
        let _ = b.await.expect("task");
    }
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(
        login.failed_attempts, 5,
        "of forty codes at once, five were looked at (each counted toward the lock-out)"
    );
    // The half session ended with the fifth: its right code signs no one in.
    let res = app
        .post_form(
            &half,
            "/login/two-step",
            &[("code", right.as_str()), ("csrf_token", token.as_str())],
        )
        .await;
    assert_ne!(location(res.headers()), "/");
    assert_ne!(app.get(&half, "/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_ends_a_half_signed_in_session() {
    let app = app_with(Policy::Staff).await;
    let c = app.client_for("contact@alpha.example").await;
    let (secret, _) = enrol(&app, &c).await;
    let half = client();
    let res = app.sign_in(&half, "contact@alpha.example", PASSWORD).await;
    assert_eq!(location(res.headers()), "/login/two-step");
    let (_, html) = app.get_html(&half, "/login/two-step").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    // The owner resets the password meanwhile.
    let anon = client();
    let (_, page) = app.get_html(&anon, "/login/reset").await;
    let t = hidden_value(&page, "csrf_token").expect("token");
    app.post_form(
        &anon,
        "/login/reset",
        &[("email", "contact@alpha.example"), ("csrf_token", &t)],
    )
    .await;
    let link = crate::helpers::reset_link(&app, "contact@alpha.example").await;
    let res = app
        .set_password_through(&client(), &link, "the owner's new passphrase")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The half session is gone: its code signs no one in.
    let res = app
        .post_form(
            &half,
            "/login/two-step",
            &[("code", &code(&secret, 0)), ("csrf_token", &token)],
        )
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(app.get(&half, "/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn nine_wrong_codes_sent_at_once_end_the_half_session() {
    let app = app_with(Policy::Staff).await;
    let (secret, half, token) = half_signed_in(&app).await;
    let right: Vec<String> = (-1..=1).map(|o| code(&secret, o)).collect();
    let guesses: Vec<String> = (0..40u32)
        .map(|i| format!("{:06}", (i * 7919 + 13) % 1_000_000))
        .filter(|g| !right.contains(g))
        .take(9)
        .collect();
    let sent = guesses.iter().map(|guess| {
        let half = half.clone();
        let url = app.url("/login/two-step");
        let token = token.clone();
        async move {
            half.post(url)
                .form(&[("code", guess.as_str()), ("csrf_token", token.as_str())])
                .send()
                .await
                .map(|r| r.status())
                .expect("answer")
        }
    });
    let answers = futures_util::future::join_all(sent).await;
    // A guess read is 401 (303 once the half session ended); one that
    // arrives after the end carries the form token of a session that is
    // gone, and is refused unread (403), which a busy machine makes
    // likelier. None signs in.
    assert!(
        answers.iter().all(|s| [
            StatusCode::UNAUTHORIZED,
            StatusCode::SEE_OTHER,
            StatusCode::FORBIDDEN
        ]
        .contains(s)),
        "{answers:?}"
    );
    // However they interleaved, five of the nine ended the half session:
    // the right code now signs no one in.
    let res = app
        .post_form(
            &half,
            "/login/two-step",
            &[("code", &code(&secret, 0)), ("csrf_token", &token)],
        )
        .await;
    assert_ne!(location(res.headers()), "/", "{}", res.status());
    assert_ne!(app.get(&half, "/account").await.status(), StatusCode::OK);
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(
        login.failed_attempts, 5,
        "five of the nine were looked at, each counted once; the others were refused unread"
    );
}
