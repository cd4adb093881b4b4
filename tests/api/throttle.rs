//! The per-address brake of SPEC 8.3: 30 failures from one client address
//! in 10 minutes and its sign-in POSTs answer 429, while other addresses
//! go on; behind a trusted proxy the forwarded address is the one counted.

use std::net::IpAddr;

use reqwest::StatusCode;

use crate::helpers::{hidden_value, spawn_app, spawn_app_with, TestApp, PASSWORD};

/// A browser-like client whose connections come from `addr` (127.0.0.0/8).
fn client_from(addr: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(addr.parse::<IpAddr>().expect("address"))
        .build()
        .expect("client")
}

async fn sign_in_from(
    app: &TestApp,
    c: &reqwest::Client,
    email: &str,
    password: &str,
    forwarded: Option<&str>,
) -> reqwest::Response {
    let (_, html) = app.get_html(c, "/login").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let mut req = c.post(app.url("/login")).form(&[
        ("email", email),
        ("password", password),
        ("csrf_token", &token),
    ]);
    if let Some(f) = forwarded {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("POST /login")
}

#[tokio::test]
async fn thirty_failures_from_one_address_brake_it_and_no_other() {
    let app = spawn_app().await;
    app.world();
    let attacker = client_from("127.0.0.2");
    for i in 0..30 {
        let res = sign_in_from(
            &app,
            &attacker,
            &format!("guess{i}@alpha.example"),
            "a wrong password",
            None,
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let res = sign_in_from(&app, &attacker, "contact@alpha.example", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS, "the 31st");
    let wait: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=600).contains(&wait), "{wait}");
    // The reset form is braked for that address too.
    let (_, html) = app.get_html(&attacker, "/login/reset").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = app
        .post_form(
            &attacker,
            "/login/reset",
            &[("email", "contact@alpha.example"), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address signs in with the right password at once.
    let other = client_from("127.0.0.3");
    let res = sign_in_from(&app, &other, "contact@alpha.example", PASSWORD, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A forwarded address from an untrusted peer changes nothing.
    let res = sign_in_from(
        &app,
        &attacker,
        "contact@alpha.example",
        PASSWORD,
        Some("203.0.113.9"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let app = spawn_app_with(|s| {
        s.trusted_proxies = license_portal::throttle::parse_proxies("127.0.0.4/32").expect("cidr");
    })
    .await;
    app.world();
    let proxy = client_from("127.0.0.4");
    for i in 0..30 {
        let res = sign_in_from(
            &app,
            &proxy,
            &format!("guess{i}@alpha.example"),
            "a wrong password",
            // The right-most address that is not the proxy is the client.
            Some("198.51.100.1, 203.0.113.7, 127.0.0.4"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let res = sign_in_from(
        &app,
        &proxy,
        "contact@alpha.example",
        PASSWORD,
        Some("203.0.113.7"),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "that client is braked"
    );
    let res = sign_in_from(
        &app,
        &proxy,
        "contact@alpha.example",
        PASSWORD,
        Some("203.0.113.8"),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "another client behind the same proxy is not"
    );
}
