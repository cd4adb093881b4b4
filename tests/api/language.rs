//! Every page in both languages: no English left on a Swedish page and no
//! Swedish on an English one (issue 6, done-when 2). A missing message is a
//! compile error (the catalog is one struct per language).

use license_portal::domain::counting::UserStatus;
use license_portal::i18n::{EN, SV};
use license_portal::models::snapshot::Snapshot;
use reqwest::StatusCode;
use scraper::{ElementRef, Html, Node};

use crate::helpers::{hidden_value, location, spawn_app, Client, TestApp, PASSWORD};

/// The text a reader meets: text nodes (outside code and `translate="no"`),
/// titles, and the placeholder, aria-label and title attributes.
fn readable_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    fn walk(el: ElementRef, out: &mut String) {
        let v = el.value();
        if v.name() == "code"
            || v.name() == "script"
            || v.name() == "style"
            || v.attr("translate") == Some("no")
        {
            return;
        }
        for attr in ["placeholder", "aria-label", "title"] {
            if let Some(a) = v.attr(attr) {
                out.push_str(a);
                out.push('\n');
            }
        }
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child) {
                        walk(e, out);
                    }
                }
                _ => {}
            }
        }
    }
    walk(doc.root_element(), &mut out);
    out
}

/// `phrase` stands in `text` as whole words.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(i) = text[from..].find(phrase) {
        let start = from + i;
        let end = start + phrase.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return true;
        }
        from = start + phrase.len().max(1);
    }
    false
}

/// Catalog messages of one language that the other says differently.
fn foreign_phrases(
    own: &license_portal::i18n::Msgs,
    other: &license_portal::i18n::Msgs,
) -> Vec<(&'static str, &'static str)> {
    own.entries()
        .into_iter()
        .zip(other.entries())
        .filter(|((_, mine), (_, theirs))| mine != theirs)
        .map(|(_, (key, theirs))| (key, theirs))
        .collect()
}

async fn sign_in_speaking(app: &TestApp, email: &str, lang: &str) -> Client {
    let c = app.client_for(email).await;
    let res = app
        .post(&c, "/language", &[("lang", lang), ("back", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    c
}

/// Every page worth reading, as (what, status, html).
async fn all_pages(app: &TestApp, lang: &str, accept: &str) -> Vec<(String, StatusCode, String)> {
    let mut pages = Vec::new();
    let anon = crate::helpers::client();
    let get_anon = |path: &'static str| {
        anon.get(app.url(path))
            .header("accept-language", accept)
            .send()
    };
    let res = get_anon("/login").await.expect("login");
    let status = res.status();
    let html = res.text().await.expect("body");
    let token = hidden_value(&html, "csrf_token").expect("token");
    pages.push(("/login".to_string(), status, html));
    let res = anon
        .post(app.url("/login"))
        .header("accept-language", accept)
        .form(&[
            ("email", "nobody@alfa.example"),
            ("password", "wrong password!"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("failed sign-in");
    pages.push((
        "failed sign-in".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let res = get_anon("/login/reset").await.expect("reset form");
    let status = res.status();
    let html = res.text().await.expect("body");
    let token = hidden_value(&html, "csrf_token").expect("token");
    pages.push(("/login/reset".to_string(), status, html));
    let res = anon
        .post(app.url("/login/reset"))
        .header("accept-language", accept)
        .form(&[("email", "anna@alfa.example"), ("csrf_token", &token)])
        .send()
        .await
        .expect("reset asked");
    pages.push((
        "reset asked".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    // The second step's page, and its answer to a wrong code.
    let half = crate::helpers::client();
    let (_, html) = app.get_html(&half, "/login").await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    half.post(app.url("/login"))
        .header("accept-language", accept)
        .form(&[
            ("email", "tva@alfa.example"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("password step");
    let res = half
        .get(app.url("/login/two-step"))
        .header("accept-language", accept)
        .send()
        .await
        .expect("code page");
    let status = res.status();
    let html = res.text().await.expect("body");
    let token = hidden_value(&html, "csrf_token").expect("token");
    pages.push(("the code page".into(), status, html));
    let res = half
        .post(app.url("/login/two-step"))
        .header("accept-language", accept)
        .form(&[("code", "not a code"), ("csrf_token", &token)])
        .send()
        .await
        .expect("wrong code");
    pages.push((
        "a wrong code".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let link = crate::helpers::invitation_link(app, "ny@alfa.example").await;
    for (what, path) in [
        ("an invitation's form", link.clone()),
        ("a link that is gone", format!("/reset/{}", "A".repeat(43))),
    ] {
        let res = anon
            .get(app.url(&path))
            .header("accept-language", accept)
            .send()
            .await
            .expect("link");
        pages.push((what.into(), res.status(), res.text().await.expect("body")));
    }
    let (_, html) = app.get_html(&anon, &link).await;
    let token = hidden_value(&html, "csrf_token").expect("token");
    let res = anon
        .post(app.url(&link))
        .header("accept-language", accept)
        .form(&[
            ("password", "a long enough one"),
            ("password_confirm", "but not the same"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .expect("refused password");
    pages.push((
        "a refused password".into(),
        res.status(),
        res.text().await.expect("body"),
    ));

    let contact = sign_in_speaking(app, "anna@alfa.example", lang).await;
    let (_, form) = app.get_html(&contact, "/account/order-licenses").await;
    let form_token = hidden_value(&form, "form_token").expect("form token");
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[
                ("quantity", "4"),
                ("reference", "PO-1"),
                ("form_token", &form_token),
            ],
        )
        .await;
    let order = location(res.headers());
    let mut paths: Vec<String> = vec![
        "/account".into(),
        "/account/order-licenses".into(),
        "/account/orders".into(),
        "/account/licenses".into(),
        "/account/reduce-licenses".into(),
        order.clone(),
        "/account/users".into(),
        "/account/users?filter=counted".into(),
        "/account/users?filter=ended".into(),
        "/account/users?filter=zzz".into(),
        "/account/reports/active-users".into(),
        "/account/reports/active-users?on=2026-01-01".into(),
        "/account/reports/active-users?on=2025-01-01".into(),
        "/account/alerts".into(),
        "/account/agreement".into(),
        format!("{order}/confirmation"),
        "/account/users?unit=Nowhere".into(),
        "/me".into(),
        "/me/two-step".into(),
        "/staff/orders".into(),
        "/account/orders/99999".into(),
    ];
    for path in paths.drain(..) {
        let (status, html) = app.get_html(&contact, &path).await;
        pages.push((path, status, html));
    }
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[("quantity", "abc"), ("reference", ""), ("form_token", "")],
        )
        .await;
    pages.push((
        "order form with errors".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let res = app
        .post(
            &contact,
            "/account/alerts",
            &[("threshold_percent", "0"), ("look_ahead_days", "x")],
        )
        .await;
    pages.push((
        "warnings form with errors".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let res = app
        .post(
            &contact,
            "/me/password",
            &[("old_password", "wrong"), ("new_password", "x")],
        )
        .await;
    pages.push((
        "password change refused".into(),
        res.status(),
        res.text().await.expect("body"),
    ));

    let staff = sign_in_speaking(app, "stina@leverantor.example", lang).await;
    let order_id = order.rsplit('/').next().expect("id").to_string();
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{order_id}/reject"),
            &[("note", "")],
        )
        .await;
    pages.push((
        "reject without a note".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{order_id}/approve"),
            &[("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{order_id}/approve"),
            &[("note", "")],
        )
        .await;
    pages.push((
        "already decided".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let account = app
        .state
        .pool
        .get()
        .map(|mut c| license_portal::models::Account::all(&mut c).expect("accounts")[0].id)
        .expect("conn");
    for path in [
        "/staff/orders".to_string(),
        "/staff/orders?status=approved".into(),
        "/staff/accounts".into(),
        format!("/staff/accounts/{account}"),
        "/staff/audit".into(),
        "/staff/outbox".into(),
        "/account".into(),
    ] {
        let (status, html) = app.get_html(&staff, &path).await;
        pages.push((format!("staff {path}"), status, html));
    }
    let res = app
        .post(
            &staff,
            &format!("/staff/accounts/{account}/licenses"),
            &[("change", "x"), ("reason", "")],
        )
        .await;
    pages.push((
        "adjustment refused".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    let res = app
        .post(
            &staff,
            "/staff/accounts",
            &[("name", ""), ("licenses", "1"), ("time_zone", "UTC")],
        )
        .await;
    pages.push((
        "account refused".into(),
        res.status(),
        res.text().await.expect("body"),
    ));
    pages
}

fn world(app: &TestApp) {
    let alfa = app.create_account("Alfa AB", 3);
    app.create_login("anna@alfa.example", "contact", Some(alfa.id));
    app.create_login("stina@leverantor.example", "staff", None);
    app.add_user(alfa.id, "A1", UserStatus::Active, "2024-01-01", None);
    app.add_user(alfa.id, "A2", UserStatus::Passive, "2024-01-01", None);
    app.add_user(
        alfa.id,
        "A3",
        UserStatus::Active,
        "2024-01-01",
        Some("2025-06-01"),
    );
    app.add_user(alfa.id, "A4", UserStatus::Active, "2099-01-01", None);
    let tva = app.create_login("tva@alfa.example", "contact", Some(alfa.id));
    license_portal::models::Login::set_two_step(
        &mut app.conn(),
        tva.id,
        Some(&license_portal::two_step::new_secret()),
        None,
    )
    .expect("two-step on");
    let invited = license_portal::ops::LoginInput::parse(
        "ny@alfa.example",
        "Ny",
        "viewer",
        Some(alfa.id),
        None,
    )
    .expect("input");
    license_portal::ops::invite_login(&mut app.conn(), &app.mail_ctx(), None, &invited)
        .expect("invite");
    Snapshot::record(
        &mut app.conn(),
        &Snapshot {
            account_id: alfa.id,
            day: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("day"),
            active_users: 2,
            licenses: 3,
        },
    )
    .expect("snapshot");
    let _ = PASSWORD;
}

#[tokio::test]
async fn no_english_is_left_on_a_swedish_page() {
    let app = spawn_app().await;
    world(&app);
    let english = foreign_phrases(&SV, &EN);
    let extra_english = ["counted", "not counted", "You own", "free up", "Page "];
    let pages = all_pages(&app, "sv", "sv-SE,sv;q=0.9").await;
    assert!(pages.len() > 25);
    for (what, status, html) in &pages {
        assert!(
            html.contains("<html lang=\"sv\">"),
            "{what} ({status}) is not Swedish"
        );
        let text = readable_text(html);
        // The language switch names the other language in that language.
        let found: Vec<&str> = english
            .iter()
            .filter(|(key, _)| *key != "other_language_label" && *key != "language_name")
            .map(|(_, phrase)| *phrase)
            .chain(extra_english)
            .filter(|phrase| contains_phrase(&text, phrase))
            .collect();
        assert!(
            found.is_empty(),
            "{what} ({status}) has English: {found:?}\n{text}"
        );
        assert!(
            SV.entries().iter().any(|(_, m)| contains_phrase(&text, m)),
            "{what}: no Swedish at all"
        );
    }
}

#[tokio::test]
async fn no_swedish_is_left_on_an_english_page() {
    let app = spawn_app().await;
    world(&app);
    let swedish = foreign_phrases(&EN, &SV);
    let pages = all_pages(&app, "en", "en-GB,en;q=0.9").await;
    for (what, status, html) in &pages {
        assert!(
            html.contains("<html lang=\"en\">"),
            "{what} ({status}) is not English"
        );
        let text = readable_text(html);
        // The language switch names the other language in that language.
        let found: Vec<&str> = swedish
            .iter()
            .filter(|(key, _)| *key != "other_language_label" && *key != "language_name")
            .map(|(_, phrase)| *phrase)
            .filter(|phrase| contains_phrase(&text, phrase))
            .collect();
        assert!(found.is_empty(), "{what} ({status}) has Swedish: {found:?}");
    }
}

#[test]
fn phrases_match_whole_words_only() {
    assert!(contains_phrase("Status: pending now", "pending"));
    assert!(!contains_phrase("Statuses", "Status"));
    assert!(!contains_phrase("inköpsordernummer", "order"));
    assert!(contains_phrase("(order)", "order"));
}
