//! Every POST route refuses a forged request with 403 and changes nothing
//! (issue 3, done-when 3).

use diesel::prelude::*;
use license_portal::db::schema::sessions;
use license_portal::models::Login;
use reqwest::StatusCode;

use crate::helpers::{
    client, fingerprint, hidden_value, location, spawn_app, Client, TestApp, PASSWORD,
};

fn session_rows(app: &TestApp) -> i64 {
    sessions::table
        .filter(sessions::login_id.is_not_null())
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

/// Who posts, where, and the fields that would be accepted with a token.
type Route<'a> = (&'a Client, String, Vec<(&'static str, String)>);

#[derive(Clone, Copy, Debug)]
enum Forgery {
    Missing,
    Empty,
    OtherSessions,
    Wrong,
    CrossSite,
    ForeignOrigin,
}

async fn send(
    app: &TestApp,
    c: &Client,
    path: &str,
    fields: &[(&str, String)],
    forgery: Forgery,
    own: &str,
    other: &str,
) -> reqwest::Response {
    let mut all: Vec<(&str, String)> = fields.to_vec();
    match forgery {
        Forgery::Missing => {}
        Forgery::Empty => all.push(("csrf_token", String::new())),
        Forgery::OtherSessions => all.push(("csrf_token", other.to_string())),
        Forgery::Wrong => all.push(("csrf_token", "0".repeat(own.len()))),
        Forgery::CrossSite | Forgery::ForeignOrigin => all.push(("csrf_token", own.to_string())),
    }
    let mut req = c.post(app.url(path)).form(&all);
    match forgery {
        Forgery::CrossSite => req = req.header("sec-fetch-site", "cross-site"),
        Forgery::ForeignOrigin => req = req.header("origin", "http://evil.example"),
        _ => {}
    }
    req.send().await.expect("POST")
}

#[tokio::test]
async fn every_post_route_refuses_forged_requests_and_changes_nothing() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let _second_session = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let outsider = app.client_for("contact@beta.example").await;
    let other_token = app.csrf(&outsider).await;

    // A pending order to aim at.
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    let form_token = hidden_value(&html, "form_token").expect("form token");
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[
                ("quantity", "4"),
                ("reference", ""),
                ("form_token", &form_token),
            ],
        )
        .await;
    let order_id = location(res.headers())
        .rsplit('/')
        .next()
        .expect("id")
        .to_string();
    let viewer = Login::find_by_email(&mut app.conn(), "viewer@alpha.example")
        .expect("q")
        .expect("viewer");
    let anon = client();
    let (_, login_html) = app.get_html(&anon, "/login").await;
    let anon_token = hidden_value(&login_html, "csrf_token").expect("token");

    let fresh_form = |html: &str| hidden_value(html, "form_token").unwrap_or_default();
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    let unused_form_token = fresh_form(&html);
    let a = w.a.id;
    app.add_user(
        a,
        "E1",
        license_portal::domain::counting::UserStatus::Active,
        "2020-01-01",
        None,
    );
    let user_id = license_portal::models::User::find_by_number(&mut app.conn(), a, "E1")
        .expect("q")
        .expect("user")
        .id;
    let routes: Vec<Route> = vec![
        (
            &anon,
            "/login".into(),
            vec![
                ("email", "contact@alpha.example".into()),
                ("password", PASSWORD.into()),
            ],
        ),
        (&contact, "/logout".into(), vec![]),
        (
            &contact,
            "/language".into(),
            vec![("lang", "sv".into()), ("back", "/".into())],
        ),
        (
            &contact,
            "/me/password".into(),
            vec![
                ("old_password", PASSWORD.into()),
                ("new_password", "another long password".into()),
            ],
        ),
        (&contact, "/me/sessions/end-others".into(), vec![]),
        (
            &contact,
            "/account/order-licenses".into(),
            vec![
                ("quantity", "5".into()),
                ("reference", "".into()),
                ("form_token", unused_form_token.clone()),
            ],
        ),
        (
            &contact,
            format!("/account/orders/{order_id}/cancel"),
            vec![],
        ),
        (
            &contact,
            format!("/account/users/{user_id}"),
            vec![("status", "passive".into()), ("end_date", "".into())],
        ),
        (
            &staff,
            format!("/staff/orders/{order_id}/approve"),
            vec![("note", "ok".into())],
        ),
        (
            &staff,
            format!("/staff/orders/{order_id}/reject"),
            vec![("note", "no".into())],
        ),
        (
            &staff,
            "/staff/accounts".into(),
            vec![
                ("name", "New AB".into()),
                ("licenses", "3".into()),
                ("time_zone", "UTC".into()),
            ],
        ),
        (
            &staff,
            format!("/staff/accounts/{a}/licenses"),
            vec![("change", "+5".into()), ("reason", "why not".into())],
        ),
        (
            &staff,
            format!("/staff/accounts/{a}/logins"),
            vec![
                ("email", "new@alpha.example".into()),
                ("name", "".into()),
                ("role", "viewer".into()),
                ("password", PASSWORD.into()),
            ],
        ),
        (
            &staff,
            format!("/staff/accounts/{a}/import"),
            vec![(
                "file",
                "employee_number,name,status,start_date,end_date\nE9,X,active,2024-01-01,\n".into(),
            )],
        ),
        (
            &staff,
            format!("/staff/logins/{}/disable", viewer.id),
            vec![],
        ),
        (
            &staff,
            format!("/staff/logins/{}/enable", viewer.id),
            vec![],
        ),
    ];

    let before = fingerprint(&app);
    let sessions_before = session_rows(&app);
    for (c, path, fields) in &routes {
        let own = if path == "/login" {
            anon_token.clone()
        } else {
            app.csrf(c).await
        };
        for forgery in [
            Forgery::Missing,
            Forgery::Empty,
            Forgery::OtherSessions,
            Forgery::Wrong,
            Forgery::CrossSite,
            Forgery::ForeignOrigin,
        ] {
            let res = send(&app, c, path, fields, forgery, &own, &other_token).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} {forgery:?}");
            assert_eq!(
                fingerprint(&app),
                before,
                "{path} {forgery:?} changed the database"
            );
            assert_eq!(
                session_rows(&app),
                sessions_before,
                "{path} {forgery:?} changed the sessions"
            );
        }
    }
    // Still signed in everywhere; the anonymous client still is not.
    assert_eq!(app.get(&contact, "/account").await.status(), StatusCode::OK);
    assert_eq!(
        location(app.get(&anon, "/account").await.headers()),
        "/login"
    );

    // The same requests with the right token do go through (the table is live).
    let res = app
        .post(
            &staff,
            &format!("/staff/accounts/{a}/licenses"),
            &[("change", "+5"), ("reason", "why not")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_ne!(fingerprint(&app), before);
}

#[tokio::test]
async fn one_token_serves_every_form_of_a_session() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let token = app.csrf(&staff).await;
    for change in ["+1", "+2", "-1"] {
        let res = app
            .post_form(
                &staff,
                &format!("/staff/accounts/{}/licenses", w.a.id),
                &[("change", change), ("reason", "r"), ("csrf_token", &token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{change}");
    }
    assert_eq!(app.account(w.a.id).licenses, 12);
}
