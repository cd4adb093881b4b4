//! Sign-in, sessions, roles and tenancy, headers and request limits (issue 3).

use std::time::Duration;

use diesel::prelude::*;
use license_portal::db::schema::logins;
use license_portal::models::Login;
use license_portal::ops;
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};
use reqwest::StatusCode;

use crate::helpers::{
    client, count_of, fingerprint, hidden_value, location, spawn_app, spawn_app_with, PASSWORD,
};

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portal_session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

/// The page with every hidden token value blanked, to compare two answers.
fn without_tokens(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("value=\"") {
        let (head, tail) = rest.split_at(i + 7);
        out.push_str(head);
        let end = tail.find('"').unwrap_or(0);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn the_session_cookie_changes_at_sign_in_and_a_cookie_from_before_logout_signs_no_one_in() {
    let app = spawn_app().await;
    app.world();
    let c = client();
    let res = app.get(&c, "/login").await;
    let before = session_cookie(&res).expect("GET /login starts a pre-sign-in session");
    let token = hidden_value(&res.text().await.expect("body"), "csrf_token").expect("token");
    let res = app
        .post_form(
            &c,
            "/login",
            &[
                ("email", "contact@alpha.example"),
                ("password", PASSWORD),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/");
    let after = session_cookie(&res).expect("a new cookie at sign-in");
    assert_ne!(before, after);
    let cookie = res
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Domain") && !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );

    // The CSRF token changed with the session.
    let new_token = app.csrf(&c).await;
    assert_ne!(new_token, token);

    // Replay the signed-in cookie after logout, from another client.
    let res = app.post(&c, "/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/login");
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let res = replay
        .get(app.url("/account"))
        .header("cookie", &after)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/login");
}

#[tokio::test]
async fn each_role_goes_home_and_unsigned_requests_go_to_login() {
    let app = spawn_app().await;
    app.world();
    for (email, home) in [
        ("contact@alpha.example", "/account"),
        ("viewer@alpha.example", "/account"),
        ("staff@vendor.example", "/staff/orders"),
    ] {
        let c = app.client_for(email).await;
        let res = app.get(&c, "/").await;
        assert_eq!(location(res.headers()), home, "{email}");
        assert_eq!(app.get(&c, home).await.status(), StatusCode::OK, "{email}");
    }
    let anon = client();
    for path in [
        "/",
        "/account",
        "/account/order-licenses",
        "/account/orders",
        "/account/orders/1",
        "/me",
        "/staff/orders",
        "/staff/accounts",
        "/staff/accounts/1",
        "/staff/audit",
        "/no/such/page",
    ] {
        let res = app.get(&anon, path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(res.headers()), "/login", "{path}");
    }
    for path in ["/login", "/healthz", "/static/portal.css"] {
        assert_eq!(
            app.get(&anon, path).await.status(),
            StatusCode::OK,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_wrong_password_an_unknown_email_and_a_disabled_login_get_the_same_answer() {
    let app = spawn_app().await;
    app.world();
    let disabled = app.create_login(
        "gone@alpha.example",
        "contact",
        Some(app.create_account("Gone AB", 1).id),
    );
    ops::set_login_disabled(&mut app.conn(), None, disabled.id, true).expect("disable");

    let mut answers = Vec::new();
    for (email, password) in [
        ("contact@alpha.example", "wrong password!!"),
        ("nobody@alpha.example", "wrong password!!"),
        ("gone@alpha.example", PASSWORD),
    ] {
        let c = client();
        let res = app.sign_in(&c, email, password).await;
        let status = res.status();
        let body = res.text().await.expect("body");
        answers.push((status, without_tokens(&body)));
    }
    assert_eq!(answers[0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0], answers[2]);
    assert_eq!(count_of(&answers[0].1, "#sign-in-error"), 1);
}

#[tokio::test]
async fn ten_failures_lock_a_login_until_the_lock_ends() {
    let app = spawn_app().await;
    app.world();
    let c = client();
    let wrong = app
        .sign_in(&c, "contact@alpha.example", "not the password")
        .await;
    let wrong_status = wrong.status();
    let wrong_page = without_tokens(&wrong.text().await.expect("body"));
    for _ in 0..9 {
        app.sign_in(&c, "contact@alpha.example", "not the password")
            .await;
    }
    let locked = app.sign_in(&c, "contact@alpha.example", PASSWORD).await;
    assert_eq!(locked.status(), wrong_status);
    assert_eq!(
        without_tokens(&locked.text().await.expect("body")),
        wrong_page
    );

    // The lock ends: move it into the past.
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    diesel::update(logins::table.filter(logins::email.eq("contact@alpha.example")))
        .set(logins::locked_until.eq(Some(past)))
        .execute(&mut *app.conn())
        .expect("update");
    let res = app.sign_in(&c, "contact@alpha.example", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert_eq!(login.failed_attempts, 0);
}

#[tokio::test]
async fn nine_failures_and_a_success_do_not_lock() {
    let app = spawn_app().await;
    app.world();
    let c = client();
    for _ in 0..9 {
        app.sign_in(&c, "contact@alpha.example", "not the password")
            .await;
    }
    assert_eq!(
        app.sign_in(&c, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let c2 = client();
    for _ in 0..9 {
        app.sign_in(&c2, "contact@alpha.example", "not the password")
            .await;
    }
    assert_eq!(
        app.sign_in(&c2, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_disabled_logins_live_session_ends_at_its_next_request() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    assert_eq!(app.get(&c, "/account").await.status(), StatusCode::OK);
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    ops::set_login_disabled(&mut app.conn(), None, login.id, true).expect("disable");
    let res = app.get(&c, "/account").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/login");
}

#[tokio::test]
async fn staff_disable_a_login_from_the_ui_and_its_session_ends() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    let res = app
        .post(&staff, &format!("/staff/logins/{}/disable", login.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(res.headers()),
        format!("/staff/accounts/{}", w.a.id)
    );
    assert_eq!(
        location(app.get(&contact, "/account").await.headers()),
        "/login"
    );
    let res = app
        .post(&staff, &format!("/staff/logins/{}/enable", login.id), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.client_for("contact@alpha.example").await;
}

#[tokio::test]
async fn a_session_past_its_idle_timeout_ends() {
    let app = spawn_app_with(|s| s.session_idle = Duration::from_secs(2)).await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    assert_eq!(app.get(&c, "/account").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let res = app.get(&c, "/account").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/login");
}

#[tokio::test]
async fn a_session_past_its_absolute_timeout_ends_however_active() {
    let app = spawn_app_with(|s| s.session_absolute = Duration::from_secs(3)).await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    for _ in 0..3 {
        assert_eq!(app.get(&c, "/account").await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(location(app.get(&c, "/account").await.headers()), "/login");
}

#[tokio::test]
async fn contact_and_viewer_get_403_on_staff_pages() {
    let app = spawn_app().await;
    app.world();
    for email in ["contact@alpha.example", "viewer@alpha.example"] {
        let c = app.client_for(email).await;
        for path in [
            "/staff/orders",
            "/staff/accounts",
            "/staff/accounts/1",
            "/staff/audit",
        ] {
            assert_eq!(
                app.get(&c, path).await.status(),
                StatusCode::FORBIDDEN,
                "{email} {path}"
            );
        }
        let before = fingerprint(&app);
        let res = app
            .post(
                &c,
                "/staff/accounts",
                &[("name", "Sneaky"), ("licenses", "5"), ("time_zone", "UTC")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(fingerprint(&app), before);
    }
    let staff = app.client_for("staff@vendor.example").await;
    assert_eq!(
        app.get(&staff, "/account").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn another_accounts_order_is_answered_like_one_that_does_not_exist() {
    let app = spawn_app().await;
    let w = app.world();
    let beta = app.client_for("contact@beta.example").await;
    let res = app.get(&beta, "/account/order-licenses").await;
    let token = hidden_value(&res.text().await.expect("body"), "form_token").expect("form token");
    let res = app
        .post(
            &beta,
            "/account/order-licenses",
            &[("quantity", "3"), ("reference", ""), ("form_token", &token)],
        )
        .await;
    let order_path = location(res.headers());
    assert!(order_path.starts_with("/account/orders/"), "{order_path}");
    let order_id: i64 = order_path
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("id");

    let alpha = app.client_for("contact@alpha.example").await;
    let theirs = app.get(&alpha, &order_path).await;
    let missing = app.get(&alpha, "/account/orders/999999").await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        theirs.text().await.expect("body"),
        missing.text().await.expect("body")
    );
    let before = fingerprint(&app);
    let res = app
        .post(&alpha, &format!("/account/orders/{order_id}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(fingerprint(&app), before);
    assert_eq!(
        app.get(&alpha, "/account/orders/not-a-number")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let _ = w;
}

#[tokio::test]
async fn a_signed_in_page_carries_the_security_headers() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    let res = app.get(&c, "/account").await;
    let h = res.headers();
    assert_eq!(
        h.get("content-security-policy").and_then(|v| v.to_str().ok()),
        Some("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
    );
    assert_eq!(
        h.get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert_eq!(
        h.get("referrer-policy").and_then(|v| v.to_str().ok()),
        Some("same-origin")
    );
    assert_eq!(
        h.get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert!(h.get("server").is_none());
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS on plain http"
    );
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_with_the_host_prefix_and_hsts_is_sent() {
    let app = spawn_app_with(|s| s.public_url = Some("https://licenses.example.com".into())).await;
    let c = client();
    let res = app.get(&c, "/login").await;
    let cookie = res
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.starts_with("__Host-portal_session=")
            && cookie.contains("Secure")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"));
    assert!(res.headers().get("strict-transport-security").is_some());
}

#[tokio::test]
async fn oversized_foreign_and_repeated_bodies_are_refused_before_anything_changes() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    let token = app.csrf(&c).await;
    let before = fingerprint(&app);

    let big = "x".repeat(license_portal::auth::csrf::FORM_LIMIT + 1024);
    let res = app
        .post_form(
            &c,
            "/account/order-licenses",
            &[
                ("quantity", "1"),
                ("reference", &big),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let res = c
        .post(app.url("/account/order-licenses"))
        .header(CONTENT_TYPE, "application/json")
        .body(format!("{{\"quantity\": 1, \"csrf_token\": \"{token}\"}}"))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let res = c
        .post(app.url("/account/order-licenses"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("quantity=1&quantity=2&csrf_token={token}"))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = c
        .request(
            reqwest::Method::from_bytes(b"TRACE").expect("method"),
            app.url("/account"),
        )
        .body("echo me")
        .send()
        .await
        .expect("TRACE");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(!res.text().await.expect("body").contains("echo me"));
    let res = c.delete(app.url("/account")).send().await.expect("DELETE");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(fingerprint(&app), before);
}

#[tokio::test]
async fn no_error_page_shows_sql_a_path_or_a_stack_trace() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    let token = app.csrf(&c).await;
    let mut pages = Vec::new();
    pages.push(app.get(&c, "/account/orders/99999").await);
    pages.push(app.get(&c, "/staff/orders").await);
    pages.push(app.get(&c, "/account/orders/1%27%20OR%201=1").await);
    pages.push(
        app.post_form(
            &c,
            "/account/order-licenses",
            &[
                (
                    "quantity",
                    &"9".repeat(license_portal::auth::csrf::FORM_LIMIT + 1024),
                ),
                ("csrf_token", &token),
            ],
        )
        .await,
    );
    pages.push(
        app.post_form(&c, "/account/order-licenses", &[("quantity", "1")])
            .await,
    );
    for res in pages {
        let status = res.status();
        assert!(status.is_client_error(), "{status}");
        let ct = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(ct.starts_with("text/html"), "{status}: {ct}");
        let body = res.text().await.expect("body");
        assert_eq!(
            count_of(&body, "#error-message"),
            1,
            "{status}: a readable page"
        );
        for leak in [
            "SELECT", "sqlite", "diesel", "/src/", ".rs:", "panicked", "postgres", "stack",
        ] {
            assert!(!body.contains(leak), "{status} leaks {leak}: {body}");
        }
    }
}

#[tokio::test]
async fn your_sessions_lists_both_sessions_and_ending_the_other_signs_it_out() {
    let app = spawn_app().await;
    app.world();
    let first = app.client_for("contact@alpha.example").await;
    let second = app.client_for("contact@alpha.example").await;
    let (status, html) = app.get_html(&first, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#sessions tr.session"), 2);
    assert_eq!(count_of(&html, "#sessions tr.session.current"), 1);
    let res = app.post(&first, "/me/sessions/end-others", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(app.get(&second, "/account").await.headers()),
        "/login"
    );
    let (_, html) = app.get_html(&first, "/me").await;
    assert_eq!(count_of(&html, "#sessions tr.session"), 1);
}

#[tokio::test]
async fn changing_the_password_needs_the_old_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    app.world();
    let first = app.client_for("contact@alpha.example").await;
    let second = app.client_for("contact@alpha.example").await;
    let new_password = "a brand new password";
    let res = app
        .post(
            &first,
            "/me/password",
            &[
                ("old_password", "wrong old password"),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &first,
            "/me/password",
            &[("old_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get(&second, "/account").await.status(),
        StatusCode::OK,
        "nothing changed yet"
    );

    let res = app
        .post(
            &first,
            "/me/password",
            &[("old_password", PASSWORD), ("new_password", new_password)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&first, "/account").await.status(),
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        location(app.get(&second, "/account").await.headers()),
        "/login"
    );
    let c = client();
    assert_eq!(
        app.sign_in(&c, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in(&c, "contact@alpha.example", new_password)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_language_follows_the_browser_then_the_logins_choice() {
    let app = spawn_app().await;
    app.world();
    let c = client();
    let res = c
        .get(app.url("/login"))
        .header("accept-language", "sv-SE,sv;q=0.9")
        .send()
        .await
        .expect("GET");
    let html = res.text().await.expect("body");
    assert!(html.contains("<html lang=\"sv\">"));
    let c = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&c, "/account").await;
    assert!(html.contains("<html lang=\"en\">"));
    let res = app
        .post(&c, "/language", &[("lang", "sv"), ("back", "/account")])
        .await;
    assert_eq!(location(res.headers()), "/account");
    let (_, html) = app.get_html(&c, "/account").await;
    assert!(html.contains("<html lang=\"sv\">"));
    // Remembered for the login: a new session speaks Swedish too.
    let again = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&again, "/account").await;
    assert!(html.contains("<html lang=\"sv\">"));
    // Never a redirect to another site.
    let res = app
        .post(
            &c,
            "/language",
            &[("lang", "en"), ("back", "//evil.example/")],
        )
        .await;
    assert_eq!(location(res.headers()), "/");
}

#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_lock() {
    let app = spawn_app().await;
    app.world();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let c = client();
        let (_, html) = app.get_html(&c, "/login").await;
        let token = hidden_value(&html, "csrf_token").expect("token");
        let url = app.url("/login");
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .form(&[
                    ("email", "contact@alpha.example"),
                    ("password", "a wrong guess!"),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .expect("POST")
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::UNAUTHORIZED);
    }
    let c = client();
    assert_eq!(
        app.sign_in(&c, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "locked after 10 of the 16"
    );
}

#[tokio::test]
async fn text_no_email_can_hold_is_an_ordinary_failed_sign_in() {
    let app = spawn_app().await;
    app.world();
    let c = client();
    let wrong = app
        .sign_in(&c, "contact@alpha.example", "a wrong password")
        .await;
    let status = wrong.status();
    let page = without_tokens(&wrong.text().await.expect("body"));
    for email in ["nul\u{0}@alpha.example", "\u{0}", &"x".repeat(2000)] {
        let res = app.sign_in(&c, email, "whatever password").await;
        assert_eq!(res.status(), status, "{email:?}");
        assert_eq!(without_tokens(&res.text().await.expect("body")), page);
    }
}

#[tokio::test]
async fn a_post_where_no_post_route_is_gets_405_or_the_sign_in() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    // With the session's token, the router answers: no POST route here.
    for (who, path) in [
        (&c, "/account"),
        (&c, "/account/orders"),
        (&staff, "/staff/audit"),
    ] {
        let res = app.post(who, path, &[("x", "1")]).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    // Without it, the guard answers first: it decides on the method alone.
    for path in ["/account", "/account/orders", "/no/such/thing"] {
        let res = app.post_form(&c, path, &[("x", "1")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // The health check reads no session and takes no POST.
    let res = app.post_form(&c, "/healthz", &[("x", "1")]).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    // An anonymous visitor with a pre-sign-in token is sent to sign in.
    let anon = client();
    let res = app.post(&anon, "/no/such/thing", &[("x", "1")]).await;
    assert_eq!(location(res.headers()), "/login");
    let res = app.post_form(&anon, "/no/such/thing", &[("x", "1")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changing_the_language_is_audited_once() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    for lang in ["sv", "sv", "en"] {
        let res = app
            .post(&c, "/language", &[("lang", lang), ("back", "/a\r\nb")])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(res.headers()), "/");
    }
    let n = license_portal::models::AuditEvent::count_kind(&mut app.conn(), "language_changed")
        .expect("count");
    assert_eq!(n, 2, "a change, not a repeat, is recorded");
}

#[tokio::test]
async fn expired_session_rows_are_deleted_and_live_ones_kept() {
    use license_portal::auth::session::delete_expired;
    use license_portal::db::schema::sessions;
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let viewer = app.client_for("viewer@alpha.example").await;
    let contact_id = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login")
        .id;
    let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(2);
    diesel::update(sessions::table.filter(sessions::login_id.eq(contact_id)))
        .set(sessions::last_seen_at.eq(long_ago))
        .execute(&mut *app.conn())
        .expect("age the row");
    let deleted = delete_expired(&mut app.conn(), app.state.timeouts).expect("delete");
    assert_eq!(deleted, 1);
    assert_eq!(
        location(app.get(&contact, "/account").await.headers()),
        "/login"
    );
    assert_eq!(app.get(&viewer, "/account").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn disabling_a_login_from_the_command_line_ends_its_session_at_once() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    assert_eq!(app.get(&c, "/account").await.status(), StatusCode::OK);
    let run = |verb: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_license-portal"))
            .args([
                "--database",
                &app.db.cli_url(),
                "login",
                verb,
                "--email",
                "Contact@Alpha.example",
            ])
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs")
    };
    let out = run("disable");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(location(app.get(&c, "/account").await.headers()), "/login");
    let again = client();
    assert_eq!(
        app.sign_in(&again, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let out = run("enable");
    assert!(out.status.success());
    assert_eq!(
        app.sign_in(&again, "contact@alpha.example", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn ten_wrong_old_passwords_on_the_password_page_lock_the_login_and_end_that_session() {
    let app = spawn_app().await;
    app.world();
    let thief = app.client_for("contact@alpha.example").await;
    let owner = app.client_for("contact@alpha.example").await;
    for attempt in 1..=10 {
        let res = app
            .post(
                &thief,
                "/me/password",
                &[
                    ("old_password", "a guessed old password"),
                    ("new_password", "a brand new password"),
                ],
            )
            .await;
        if attempt < 10 {
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "attempt {attempt}"
            );
        } else {
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "the locking attempt");
            assert_eq!(location(res.headers()), "/login");
        }
    }
    let login = Login::find_by_email(&mut app.conn(), "contact@alpha.example")
        .expect("q")
        .expect("login");
    assert!(
        login.is_locked(license_portal::models::now_utc()),
        "ten wrong old passwords lock the login"
    );
    let res = app.get(&thief, "/me").await;
    assert_eq!(location(res.headers()), "/login", "that session has ended");
    assert_eq!(
        app.get(&owner, "/account").await.status(),
        StatusCode::OK,
        "another session of the login goes on"
    );
    // Locked: even the right password signs no one in now.
    let res = app
        .sign_in(&client(), "contact@alpha.example", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The password was never changed.
    let hash = login.password_hash.clone();
    assert!(license_portal::password::Hasher::for_command()
        .verify_blocking(&hash, PASSWORD)
        .expect("verify"));
}

#[tokio::test]
async fn the_sign_in_of_a_locked_login_costs_a_hash_all_the_same() {
    // The bounded hasher runs for every sign-in, whatever its outcome: with
    // one slot held, even an unknown email waits for it and is answered 503.
    let app = crate::helpers::spawn_app_with(|s| {
        s.hash_concurrency = 1;
        s.hash_wait = std::time::Duration::from_millis(200);
    })
    .await;
    app.world();
    let hasher = app.state.hasher.clone();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let held = tokio::spawn(async move {
        hasher
            .run(move || {
                let _ = gate.recv();
            })
            .await
    });
    while app.state.hasher.running() < 1 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for email in ["nobody@nowhere.example", "contact@alpha.example"] {
        let res = app.sign_in(&client(), email, "whatever password").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{email}");
        assert_eq!(
            res.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("5"),
            "{email}"
        );
    }
    release.send(()).expect("release");
    held.await.expect("task").expect("ran");
    let res = app
        .sign_in(&client(), "contact@alpha.example", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a free slot signs in");
}

#[tokio::test]
async fn many_sessions_read_at_once_each_see_only_their_own_login_and_account() {
    use crate::helpers::{create_contact, data_value, text_of, UserState};
    let app = spawn_app().await;
    // Six tenants told apart by every figure the overview reads with the
    // session: name, licenses, counted users and their one pending order.
    let mut tenants = Vec::new();
    for i in 0..6i64 {
        let account = app.create_account(&format!("Tenant {i}"), 10 + i);
        app.add_users(account.id, &[(UserState::Counted, i as usize)]);
        let contact = create_contact(&app, &format!("contact{i}@tenant.example"), account.id);
        let order = ops::place_order(
            &mut app.conn(),
            &app.mail_ctx(),
            &contact,
            account.id,
            &crate::helpers::adds(100 + i),
            &format!("tenant-form-{i}"),
        )
        .expect("order");
        let cookie = app.session_cookie(&contact.email).await;
        tenants.push((i, order.id, cookie));
    }
    // Beside them: a key the server never made, a session whose login is
    // then disabled, and staff, who have no account.
    let unknown = format!("portal_session={}", "ab".repeat(32));
    let gone = create_contact(
        &app,
        "gone@tenant.example",
        tenants_account(&app, "Tenant 0"),
    );
    let gone_cookie = app.session_cookie(&gone.email).await;
    diesel::update(logins::table.find(gone.id))
        .set(logins::disabled.eq(true))
        .execute(&mut app.conn())
        .expect("disable");
    app.create_login("staff@tenant.example", "staff", None);
    let staff = app.session_cookie("staff@tenant.example").await;
    let others = [
        (unknown, 303, "/login"),
        (gone_cookie, 303, "/login"),
        (staff, 403, ""),
    ];
    // 20 requests of each, all at once, interleaved: the session reader
    // folds what comes together into shared statements.
    let asks = (0..20).flat_map(|_| {
        let tenants = tenants.iter().map(|t| (Some(t), t.2.clone()));
        tenants.chain(others.iter().map(|o| (None, o.0.clone())))
    });
    let answers = futures_util::future::join_all(asks.map(|(tenant, cookie)| {
        let app = &app;
        async move {
            let res = app
                .raw_get("/account", &[("Cookie", cookie.as_str())])
                .await;
            (tenant, cookie, res)
        }
    }))
    .await;
    assert_eq!(answers.len(), 180);
    for (tenant, cookie, res) in answers {
        let Some((i, order_id, _)) = tenant else {
            let (_, status, to) = others.iter().find(|o| o.0 == cookie).expect("one of them");
            assert_eq!(res.status, *status, "{cookie}: {}", res.head);
            if *status == 303 {
                assert_eq!(res.header("location"), Some(*to));
            }
            continue;
        };
        assert_eq!(res.status, 200, "tenant {i}: {}", res.head);
        assert_eq!(
            text_of(&res.body, ".account-name").as_deref(),
            Some(format!("Tenant {i}").as_str())
        );
        assert_eq!(data_value(&res.body, "licenses-owned"), Some(10 + i));
        assert_eq!(data_value(&res.body, "active-users"), Some(*i));
        assert_eq!(data_value(&res.body, "pending-orders"), Some(1));
        for (_, other, _) in &tenants {
            let link = format!("a[href=\"/account/orders/{other}\"]");
            let shown = usize::from(other == order_id);
            assert_eq!(
                count_of(&res.body, &link),
                shown,
                "tenant {i}, order {other}"
            );
        }
    }
}

/// The id of the account named `name`.
fn tenants_account(app: &crate::helpers::TestApp, name: &str) -> i64 {
    use license_portal::db::schema::accounts;
    accounts::table
        .filter(accounts::name.eq(name))
        .select(accounts::id)
        .first(&mut app.conn())
        .expect("the account")
}
