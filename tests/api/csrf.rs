//! Every POST route refuses a forged request with 403 and changes nothing,
//! whatever the spelling of its path (issues 3 and 9).

use diesel::prelude::*;
use license_portal::db::schema::sessions;
use license_portal::models::Login;
use reqwest::StatusCode;

use crate::helpers::{
    client, fingerprint, hidden_value, location, spawn_app, Client, RawResponse, TestApp,
    UserState, World, PASSWORD,
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

/// Who sends a POST of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Contact,
    Staff,
}

/// One POST route of the portal with the fields it would accept.
struct Target {
    who: Who,
    path: String,
    fields: Vec<(&'static str, String)>,
}

/// Every POST route of the portal, aimed at real rows: a pending order, a
/// user, a viewer login, an unused order form.
async fn every_post_route(app: &TestApp, w: &World, contact: &Client) -> Vec<Target> {
    // A pending order to aim at.
    let (_, html) = app.get_html(contact, "/account/order-licenses").await;
    let form_token = hidden_value(&html, "form_token").expect("form token");
    let res = app
        .post(
            contact,
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
    let (_, html) = app.get_html(contact, "/account/order-licenses").await;
    let unused_form_token = hidden_value(&html, "form_token").unwrap_or_default();
    let a = w.a.id;
    let user_id = app.accounts_user(a, "E1", UserState::Counted);
    let t = |who, path: String, fields: Vec<(&'static str, String)>| Target { who, path, fields };
    vec![
        t(
            Who::Anonymous,
            "/login".into(),
            vec![
                ("email", "contact@alpha.example".into()),
                ("password", PASSWORD.into()),
            ],
        ),
        t(Who::Contact, "/logout".into(), vec![]),
        t(
            Who::Contact,
            "/language".into(),
            vec![("lang", "sv".into()), ("back", "/".into())],
        ),
        t(
            Who::Contact,
            "/me/password".into(),
            vec![
                ("old_password", PASSWORD.into()),
                ("new_password", "another long password".into()),
            ],
        ),
        t(Who::Contact, "/me/sessions/end-others".into(), vec![]),
        t(
            Who::Contact,
            "/me/warnings".into(),
            vec![("warnings", "off".into())],
        ),
        t(
            Who::Contact,
            "/account/alerts".into(),
            vec![
                ("threshold_percent", "50".into()),
                ("look_ahead_days", "10".into()),
            ],
        ),
        t(
            Who::Contact,
            "/account/order-licenses".into(),
            vec![
                ("quantity", "5".into()),
                ("reference", "".into()),
                ("form_token", unused_form_token),
            ],
        ),
        t(
            Who::Contact,
            format!("/account/orders/{order_id}/cancel"),
            vec![],
        ),
        t(
            Who::Contact,
            format!("/account/users/{user_id}"),
            vec![("status", "passive".into()), ("end_date", "".into())],
        ),
        t(
            Who::Staff,
            format!("/staff/orders/{order_id}/approve"),
            vec![("note", "ok".into())],
        ),
        t(
            Who::Staff,
            format!("/staff/orders/{order_id}/reject"),
            vec![("note", "no".into())],
        ),
        t(
            Who::Staff,
            "/staff/accounts".into(),
            vec![
                ("name", "New AB".into()),
                ("licenses", "3".into()),
                ("time_zone", "UTC".into()),
            ],
        ),
        t(
            Who::Staff,
            format!("/staff/accounts/{a}/rule"),
            vec![
                ("max_quantity", "5".into()),
                ("max_per_30_days", "10".into()),
            ],
        ),
        t(
            Who::Contact,
            format!("/account/orders/{order_id}/messages"),
            vec![("body", "A forged question".into())],
        ),
        t(
            Who::Staff,
            format!("/staff/orders/{order_id}/messages"),
            vec![("body", "A forged answer".into())],
        ),
        t(
            Who::Staff,
            format!("/staff/accounts/{a}/agreement"),
            vec![
                ("price", "89".into()),
                ("currency", "SEK".into()),
                ("billing", "annual".into()),
                ("renews_on", "".into()),
            ],
        ),
        t(
            Who::Staff,
            format!("/staff/accounts/{a}/licenses"),
            vec![("change", "+5".into()), ("reason", "why not".into())],
        ),
        t(
            Who::Staff,
            format!("/staff/accounts/{a}/logins"),
            vec![
                ("email", "new@alpha.example".into()),
                ("name", "".into()),
                ("role", "viewer".into()),
                ("password", PASSWORD.into()),
            ],
        ),
        t(
            Who::Staff,
            format!("/staff/accounts/{a}/import"),
            vec![(
                "file",
                "employee_number,name,status,start_date,end_date\nE9,X,active,2024-01-01,\n".into(),
            )],
        ),
        t(
            Who::Staff,
            format!("/staff/logins/{}/disable", viewer.id),
            vec![],
        ),
        t(
            Who::Staff,
            format!("/staff/logins/{}/enable", viewer.id),
            vec![],
        ),
    ]
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
    let anon = client();
    let (_, login_html) = app.get_html(&anon, "/login").await;
    let anon_token = hidden_value(&login_html, "csrf_token").expect("token");
    let targets = every_post_route(&app, &w, &contact).await;
    let client_of = |who: Who| match who {
        Who::Anonymous => &anon,
        Who::Contact => &contact,
        Who::Staff => &staff,
    };
    let a = w.a.id;
    let routes: Vec<Route> = targets
        .iter()
        .map(|t| (client_of(t.who), t.path.clone(), t.fields.clone()))
        .collect();

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

/// The spellings of a path that a router may take for the same route: the
/// guard must see every one of them.
fn spellings(path: &str) -> Vec<(&'static str, String)> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let last = segments.last().copied().unwrap_or("");
    let head = &segments[..segments.len() - 1];
    let join = |parts: &[String]| format!("/{}", parts.join("/"));
    let owned = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
    let pct = |b: u8| format!("%{b:02x}");
    let mut out = vec![("as it is", path.to_string())];
    // An encoded letter: the last letter of the last word segment.
    if let Some((i, seg)) = segments
        .iter()
        .enumerate()
        .rev()
        .find(|(_, s)| s.bytes().any(|b| b.is_ascii_alphabetic()))
    {
        let mut parts = owned(&segments);
        let pos = seg.rfind(|c: char| c.is_ascii_alphabetic()).unwrap_or(0);
        let byte = seg.as_bytes()[pos];
        parts[i] = format!("{}{}{}", &seg[..pos], pct(byte), &seg[pos + 1..]);
        out.push(("an encoded letter", join(&parts)));
        let mut parts = owned(&segments);
        parts[i] = format!("{}{}", pct(seg.as_bytes()[0]).to_uppercase(), &seg[1..]);
        out.push(("an encoded first letter", join(&parts)));
    }
    let mut doubled = owned(&segments);
    doubled[0] = format!("{}/", doubled[0]);
    out.push(("a doubled slash", join(&doubled)));
    out.push(("a leading doubled slash", format!("/{path}")));
    out.push(("a trailing slash", format!("{path}/")));
    let mut dotted = owned(head);
    dotted.insert(0, ".".into());
    dotted.push(last.to_string());
    out.push(("a dot segment", join(&dotted)));
    let mut up = owned(&segments);
    up.insert(0, "x/..".into());
    out.push(("a dot-dot segment", join(&up)));
    out.push(("a ;parameter", format!("{path};x=1")));
    let mut semi = owned(&segments);
    semi[0] = format!("{};x=1", semi[0]);
    out.push(("a ;parameter inside", join(&semi)));
    out.push((
        "an encoded slash",
        path.replacen('/', "%2F", 2).replacen("%2F", "/", 1),
    ));
    if let Some((i, seg)) = segments
        .iter()
        .enumerate()
        .find(|(_, s)| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    {
        let mut parts = owned(&segments);
        parts[i] = format!("{}{}", pct(seg.as_bytes()[0]), &seg[1..]);
        out.push(("an encoded digit of the id", join(&parts)));
    }
    out
}

#[test]
fn the_spellings_are_what_their_names_say() {
    let got: Vec<String> = spellings("/staff/orders/12/approve")
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    assert_eq!(
        got,
        [
            "/staff/orders/12/approve",
            "/staff/orders/12/approv%65",
            "/staff/orders/12/%61pprove",
            "/staff//orders/12/approve",
            "//staff/orders/12/approve",
            "/staff/orders/12/approve/",
            "/./staff/orders/12/approve",
            "/x/../staff/orders/12/approve",
            "/staff/orders/12/approve;x=1",
            "/staff;x=1/orders/12/approve",
            "/staff%2Forders/12/approve",
            "/staff/orders/%312/approve",
        ]
    );
}

#[tokio::test]
async fn every_post_route_in_every_spelling_sent_raw_without_a_token_changes_nothing() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let targets = every_post_route(&app, &w, &contact).await;
    let contact_cookie = app.session_cookie("contact@alpha.example").await;
    let staff_cookie = app.session_cookie("staff@vendor.example").await;
    let anon_cookie = app.pre_sign_in_cookie().await;
    let before = fingerprint(&app);
    let sessions_before = session_rows(&app);
    let mut sent = 0;
    for target in &targets {
        let cookie = match target.who {
            Who::Anonymous => &anon_cookie,
            Who::Contact => &contact_cookie,
            Who::Staff => &staff_cookie,
        };
        let body = serde_urlencoded::to_string(&target.fields).expect("form");
        for (what, path) in spellings(&target.path) {
            let res: RawResponse = app
                .raw_post(
                    &path,
                    &[
                        ("Cookie", cookie.as_str()),
                        ("Origin", "https://evil.example"),
                        ("Sec-Fetch-Site", "cross-site"),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ],
                    body.as_bytes(),
                )
                .await;
            sent += 1;
            assert_eq!(res.status, 403, "{path} ({what}): {}", res.head);
            assert!(
                res.header("set-cookie").is_none(),
                "{path} ({what}) set a cookie: {}",
                res.head
            );
            assert_eq!(fingerprint(&app), before, "{path} ({what}) changed data");
            assert_eq!(
                session_rows(&app),
                sessions_before,
                "{path} ({what}) signed someone in or out"
            );
        }
    }
    assert!(sent >= targets.len() * 7, "at least seven spellings each");
    // The sessions used are still signed in: nothing above ended them.
    let res = app
        .raw_get("/account", &[("Cookie", contact_cookie.as_str())])
        .await;
    assert_eq!(res.status, 200);

    // The table is live: the router does take an encoded spelling, and with
    // the session's token and from this site it reaches the handler.
    let staff = app.client_for("staff@vendor.example").await;
    let token = app.csrf(&staff).await;
    let res = staff
        .post(app.url(&format!("/staff/accounts/{}/licens%65s", w.a.id)))
        .form(&[("change", "+5"), ("reason", "live"), ("csrf_token", &token)])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.account(w.a.id).licenses, w.a.licenses + 5);
}
