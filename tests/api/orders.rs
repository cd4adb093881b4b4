//! Ordering licenses end to end (issue 4).

use license_portal::domain::counting::UserStatus;
use license_portal::models::AuditEvent;
use reqwest::StatusCode;

use crate::helpers::{
    client, count_of, data_value, fingerprint, hidden_value, location, order_count, spawn_app,
    text_of, Client, TestApp, UserState,
};

/// Open the Order Licenses tab and return a fresh form token.
pub(crate) async fn form_token(app: &TestApp, c: &Client) -> String {
    let (status, html) = app.get_html(c, "/account/order-licenses").await;
    assert_eq!(status, StatusCode::OK);
    hidden_value(&html, "form_token").expect("form token")
}

pub(crate) async fn order(app: &TestApp, c: &Client, quantity: &str) -> reqwest::Response {
    order_with(app, c, &[("quantity", quantity), ("reference", "PO-77")]).await
}

/// The Order Licenses form sent with `fields` and a fresh form token.
pub(crate) async fn order_with(
    app: &TestApp,
    c: &Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = form_token(app, c).await;
    let mut all = fields.to_vec();
    all.push(("form_token", &token));
    app.post(c, "/account/order-licenses", &all).await
}

pub(crate) fn id_of(res: &reqwest::Response) -> i64 {
    location(res.headers())
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("numeric id")
}

#[tokio::test]
async fn a_link_with_a_quantity_fills_the_field_in_and_orders_nothing() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let field = |html: &str| {
        let doc = scraper::Html::parse_document(html);
        doc.select(&crate::helpers::sel("input#quantity"))
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_string))
    };
    let (status, html) = app
        .get_html(&contact, "/account/order-licenses?quantity=7")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(field(&html).as_deref(), Some("7"));
    assert_eq!(
        order_count(&app),
        0,
        "nothing is ordered before the form is sent"
    );
    // What may not be ordered is not filled in; the form still opens.
    for bad in [
        "0",
        "-3",
        "abc",
        "10001",
        "99999999999999999999",
        "7%3Cscript%3E",
    ] {
        let (status, html) = app
            .get_html(&contact, &format!("/account/order-licenses?quantity={bad}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{bad}");
        assert_eq!(field(&html).as_deref(), Some(""), "{bad}");
    }
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    assert_eq!(field(&html).as_deref(), Some(""));
}

#[tokio::test]
async fn the_whole_loop_from_order_to_approval() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_users(w.a.id, &[(UserState::Counted, 12)]);
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&contact, "/account").await;
    assert_eq!(data_value(&html, "licenses-owned"), Some(10));
    assert_eq!(data_value(&html, "active-users"), Some(12));
    assert_eq!(data_value(&html, "licenses-free"), Some(-2));

    let res = order(&app, &contact, "7").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = id_of(&res);
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(
        text_of(&page, "#order-summary").as_deref(),
        Some("You owned 10 licenses; this order adds 7, for 17 in all.")
    );
    assert_eq!(data_value(&page, "order-quantity"), Some(7));
    assert_eq!(text_of(&page, "#order-reference").as_deref(), Some("PO-77"));

    let staff = app.client_for("staff@vendor.example").await;
    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    let row = format!("#queue tr.order[data-id=\"{id}\"]");
    assert_eq!(count_of(&queue, &row), 1);
    assert!(text_of(&queue, &row).expect("row").contains("Alpha AB"));
    assert_eq!(
        count_of(&queue, &format!("{row} td[data-value=\"10\"]")),
        1,
        "owned beside the order"
    );
    assert_eq!(
        count_of(&queue, &format!("{row} td[data-value=\"12\"]")),
        1,
        "counted beside the order"
    );

    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&contact, "/account").await;
    assert_eq!(data_value(&html, "licenses-owned"), Some(17));
    assert_eq!(data_value(&html, "licenses-free"), Some(5));

    let (_, audit) = app
        .get_html(&staff, &format!("/staff/audit?account={}", w.a.id))
        .await;
    assert_eq!(count_of(&audit, "tr.event[data-kind=\"order_placed\"]"), 1);
    assert_eq!(
        count_of(&audit, "tr.event[data-kind=\"order_approved\"]"),
        1
    );
    let (_, other) = app
        .get_html(&staff, &format!("/staff/audit?account={}", w.b.id))
        .await;
    assert_eq!(
        count_of(&other, "tr.event[data-kind=\"order_placed\"]"),
        0,
        "filtered by account"
    );
}

#[tokio::test]
async fn bad_quantities_are_refused_with_422_and_write_nothing() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let long = "9".repeat(5000);
    let thirty = "1".repeat(30);
    let cases = [
        "0",
        "-1",
        "1.5",
        "1e3",
        "+5",
        "0x10",
        "\u{0667}",
        "",
        "10001",
        "2147483648",
        thirty.as_str(),
        long.as_str(),
    ];
    let before = fingerprint(&app);
    for bad in cases {
        let res = order(&app, &contact, bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let html = res.text().await.expect("body");
        assert_eq!(count_of(&html, "#quantity-error"), 1, "{bad:?}");
        assert!(
            text_of(&html, "#quantity-error")
                .expect("message")
                .contains("whole number from 1"),
            "{bad:?}"
        );
        let kept = scraper::Html::parse_document(&html)
            .select(&crate::helpers::sel("#quantity"))
            .next()
            .and_then(|e| e.value().attr("value").map(str::to_string));
        assert_eq!(kept.as_deref(), Some(bad), "the entered text is kept");
        assert_eq!(fingerprint(&app), before, "{bad:?} wrote something");
    }
    assert_eq!(order_count(&app), 0);
    let res = order(&app, &contact, " 7 ").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_html(&contact, &location(res.headers())).await;
    assert_eq!(data_value(&page, "order-quantity"), Some(7));
}

#[tokio::test]
async fn the_maximum_per_order_is_configurable() {
    let app = crate::helpers::spawn_app_with(|s| s.max_order_quantity = 50).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    assert_eq!(
        order(&app, &contact, "51").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        order(&app, &contact, "50").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn one_form_submitted_ten_times_at_once_makes_one_order() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let token = form_token(&app, &contact).await;
    let csrf = app.csrf(&contact).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let c = contact.clone();
        let url = app.url("/account/order-licenses");
        let fields = vec![
            ("quantity", "3".to_string()),
            ("reference", String::new()),
            ("form_token", token.clone()),
            ("csrf_token", csrf.clone()),
        ];
        tasks.push(tokio::spawn(async move {
            c.post(url).form(&fields).send().await.expect("POST")
        }));
    }
    let mut locations = Vec::new();
    for t in tasks {
        let res = t.await.expect("task");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        locations.push(location(res.headers()));
    }
    locations.dedup();
    assert_eq!(locations.len(), 1, "{locations:?}");
    assert_eq!(order_count(&app), 1);
    // A later resubmission lands on the same order too.
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[("quantity", "3"), ("reference", ""), ("form_token", &token)],
        )
        .await;
    assert_eq!(location(res.headers()), locations[0]);
    assert_eq!(order_count(&app), 1);
}

#[tokio::test]
async fn a_missing_or_unknown_form_token_re_renders_the_form() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    for token in ["", "1.abc.def", "not-a-token"] {
        let res = app
            .post(
                &contact,
                "/account/order-licenses",
                &[("quantity", "3"), ("reference", ""), ("form_token", token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{token:?}");
        let html = res.text().await.expect("body");
        assert!(text_of(&html, "#form-error")
            .expect("message")
            .contains("expired"));
        assert!(hidden_value(&html, "form_token").is_some_and(|t| !t.is_empty() && t != token));
    }
    // Another account's form token is unknown here.
    let beta = app.client_for("contact@beta.example").await;
    let theirs = form_token(&app, &beta).await;
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[
                ("quantity", "3"),
                ("reference", ""),
                ("form_token", &theirs),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(order_count(&app), 0);
}

#[tokio::test]
async fn twenty_concurrent_approvals_raise_the_licenses_once() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let id = id_of(&order(&app, &contact, "7").await);
    let staff = app.client_for("staff@vendor.example").await;
    let csrf = app.csrf(&staff).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let c = staff.clone();
        let url = app.url(&format!("/staff/orders/{id}/approve"));
        let fields = vec![("note", String::new()), ("csrf_token", csrf.clone())];
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .form(&fields)
                .send()
                .await
                .expect("POST")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    assert!(
        statuses.iter().all(|s| !s.is_server_error()),
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.account(w.a.id).licenses, 17);
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "order_approved").expect("count"),
        1
    );
}

#[tokio::test]
async fn a_decided_order_is_refused_with_409_and_nothing_changes() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let res = app
        .post(&contact, &format!("/account/orders/{id}/cancel"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let before = fingerprint(&app);
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text_of(&res.text().await.expect("body"), "#error-message")
        .expect("page")
        .contains("already decided"));
    assert_eq!(
        app.post(
            &staff,
            &format!("/staff/orders/{id}/reject"),
            &[("note", "no")]
        )
        .await
        .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.post(&contact, &format!("/account/orders/{id}/cancel"), &[])
            .await
            .status(),
        StatusCode::CONFLICT
    );
    assert_eq!(fingerprint(&app), before);
    assert_eq!(app.account(w.a.id).licenses, 10);
}

#[tokio::test]
async fn rejecting_needs_a_note() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let before = fingerprint(&app);
    for note in ["", "   \t "] {
        let res = app
            .post(
                &staff,
                &format!("/staff/orders/{id}/reject"),
                &[("note", note)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{note:?}");
        let html = res.text().await.expect("body");
        assert_eq!(count_of(&html, &format!("#note-error-{id}")), 1);
        assert_eq!(fingerprint(&app), before);
    }
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/reject"),
            &[("note", "Too many")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(
        text_of(&page, "#decision-note").as_deref(),
        Some("Too many")
    );
    assert_eq!(text_of(&page, "#order-status").as_deref(), Some("rejected"));
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_order_and_other_accounts_get_404() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let id = id_of(&order(&app, &contact, "2").await);
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, html) = app.get_html(&viewer, "/account").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data_value(&html, "licenses-owned"), Some(10));
    assert_eq!(
        count_of(&html, "a[href=\"/account/order-licenses\"]"),
        0,
        "no button and no tab to a form the viewer may not use"
    );
    let (_, contact_html) = app.get_html(&contact, "/account").await;
    assert_eq!(
        count_of(&contact_html, "nav a[href=\"/account/order-licenses\"]"),
        1,
        "the contact's tab"
    );
    assert_eq!(
        app.get(&viewer, &format!("/account/orders/{id}"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&viewer, "/account/order-licenses").await.status(),
        StatusCode::FORBIDDEN
    );
    let before = fingerprint(&app);
    let res = app
        .post(
            &viewer,
            "/account/order-licenses",
            &[("quantity", "2"), ("reference", ""), ("form_token", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&viewer, &format!("/account/orders/{id}/cancel"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(fingerprint(&app), before);
    let beta = app.client_for("contact@beta.example").await;
    assert_eq!(
        app.get(&beta, &format!("/account/orders/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_before_you_order_panel_counts_each_group_and_suggests_a_quantity() {
    let app = spawn_app().await;
    let w = app.world();
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive();
    let d = |n: i64| {
        (today + chrono::Duration::days(n))
            .format("%Y-%m-%d")
            .to_string()
    };
    app.add_users(
        w.a.id,
        &[
            (UserState::Counted, 10),
            (UserState::Passive, 1),
            (UserState::Ended, 1),
        ],
    );
    // The edges of "leaving soon" (today to 30 days ahead), by hand.
    app.add_user(w.a.id, "S1", UserStatus::Active, "2024-01-01", Some(&d(0)));
    app.add_user(w.a.id, "S2", UserStatus::Active, "2024-01-01", Some(&d(30)));
    app.add_user(w.a.id, "L1", UserStatus::Active, "2024-01-01", Some(&d(31)));
    app.add_user(w.a.id, "F1", UserStatus::Active, &d(5), None);
    // Counted: 10 + S1 + S2 + L1 + F1 = 14 of 10 owned: 4 short.
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    assert_eq!(data_value(&html, "active-users"), Some(14));
    assert_eq!(data_value(&html, "group-passive"), Some(1));
    assert_eq!(data_value(&html, "group-ended"), Some(1));
    assert_eq!(data_value(&html, "group-ending-soon"), Some(2));
    assert_eq!(data_value(&html, "group-future-start"), Some(1));
    assert_eq!(data_value(&html, "suggested-quantity"), Some(4));
    assert_eq!(
        count_of(&html, "a[href=\"/account/users?filter=ending-soon\"]"),
        1
    );
    assert_eq!(count_of(&html, "label[for=\"quantity\"]"), 1);
    assert_eq!(
        text_of(&html, "label[for=\"quantity\"]").as_deref(),
        Some("Order licenses")
    );
    // A pending order of 3 leaves 1 to suggest.
    order(&app, &contact, "3").await;
    let (_, html) = app.get_html(&contact, "/account/order-licenses").await;
    assert_eq!(data_value(&html, "suggested-quantity"), Some(1));
}

#[tokio::test]
async fn staff_adjust_licenses_with_a_reason_never_below_zero() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let path = format!("/staff/accounts/{}/licenses", w.a.id);
    let before = fingerprint(&app);
    for (change, reason) in [("-11", "too many"), ("+5", ""), ("0", "zero"), ("abc", "x")] {
        let res = app
            .post(&staff, &path, &[("change", change), ("reason", reason)])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change} {reason:?}"
        );
        assert_eq!(fingerprint(&app), before);
    }
    assert_eq!(
        app.post(
            &staff,
            &path,
            &[("change", "-10"), ("reason", "ended contract")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.account(w.a.id).licenses, 0);
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "licenses_adjusted").expect("count"),
        1
    );
}

#[tokio::test]
async fn staff_create_accounts_and_logins_from_the_ui() {
    let app = spawn_app().await;
    app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let res = app
        .post(
            &staff,
            "/staff/accounts",
            &[
                ("name", "Gamma AB"),
                ("licenses", "x"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            &staff,
            "/staff/accounts",
            &[
                ("name", "Gamma AB"),
                ("licenses", "8"),
                ("time_zone", "Pacific/Kiritimati"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let account_path = location(res.headers());
    let account_id: i64 = account_path
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("id");
    assert_eq!(app.account(account_id).time_zone, "Pacific/Kiritimati");
    let logins = format!("{account_path}/logins");
    for (email, role, expected, why) in [
        (
            "not an email",
            "contact",
            StatusCode::UNPROCESSABLE_ENTITY,
            "a bad email",
        ),
        (
            "g@gamma.example",
            "staff",
            StatusCode::UNPROCESSABLE_ENTITY,
            "staff are not made on an account page",
        ),
        (
            "g@gamma.example",
            "contact",
            StatusCode::SEE_OTHER,
            "a good contact",
        ),
        (
            "G@gamma.example",
            "viewer",
            StatusCode::UNPROCESSABLE_ENTITY,
            "emails are unique whatever their case",
        ),
    ] {
        let fields = [("email", email), ("name", "G"), ("role", role)];
        let res = app.post(&staff, &logins, &fields).await;
        assert_eq!(res.status(), expected, "{why}");
    }
    // Invited, with no password: nothing signs it in before it sets one.
    let (_, html) = app.get_html(&staff, &account_path).await;
    assert!(
        text_of(&html, "tr.login td.login-state")
            .unwrap_or_default()
            .starts_with("invited"),
        "{html}"
    );
    for guess in ["", crate::helpers::PASSWORD] {
        let res = app.sign_in(&client(), "g@gamma.example", guess).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let link = crate::helpers::invitation_link(&app, "g@gamma.example").await;
    let c = client();
    let res = app
        .set_password_through(&c, &link, "a gamma passphrase")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(data_value(&html, "licenses-owned"), Some(8));
}

#[tokio::test]
async fn the_accounts_list_puts_over_licensed_accounts_first() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_users(w.b.id, &[(UserState::Counted, 25)]);
    let staff = app.client_for("staff@vendor.example").await;
    let (_, html) = app.get_html(&staff, "/staff/accounts").await;
    let doc = scraper::Html::parse_document(&html);
    let ids: Vec<String> = doc
        .select(&crate::helpers::sel("#accounts tr.account"))
        .filter_map(|r| r.value().attr("data-id").map(str::to_string))
        .collect();
    assert_eq!(
        ids.first().map(String::as_str),
        Some(w.b.id.to_string().as_str())
    );
    assert_eq!(
        count_of(
            &html,
            &format!(
                "tr.account[data-id=\"{}\"] td.free[data-value=\"-5\"]",
                w.b.id
            )
        ),
        1
    );
}

#[tokio::test]
async fn a_bad_approval_note_is_refused_not_dropped() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let before = fingerprint(&app);
    let long = "n".repeat(501);
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", &long)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fingerprint(&app), before);
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", "Welcome")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.account(w.a.id).licenses, 14);
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(text_of(&page, "#decision-note").as_deref(), Some("Welcome"));
    // The page still says what the account owned when it ordered.
    assert_eq!(
        text_of(&page, "#order-summary").as_deref(),
        Some("You owned 10 licenses; this order adds 4, for 14 in all.")
    );
}

#[tokio::test]
async fn a_form_token_no_server_issued_is_unknown() {
    let app = spawn_app().await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    for token in ["a\u{0}b", &"9".repeat(400)] {
        let res = app
            .post(
                &contact,
                "/account/order-licenses",
                &[("quantity", "3"), ("reference", ""), ("form_token", token)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(order_count(&app), 0);
}

#[tokio::test]
async fn long_lists_are_paged_fifty_at_a_time() {
    let app = spawn_app().await;
    let w = app.world();
    let contact =
        license_portal::models::Login::find_by_email(&mut app.conn(), "contact@alpha.example")
            .expect("q")
            .expect("contact");
    for i in 0..60 {
        license_portal::ops::place_order(
            &mut app.conn(),
            &app.mail_ctx(),
            &contact,
            w.a.id,
            &crate::helpers::adds(1),
            &format!("paging-{i}"),
        )
        .expect("order");
    }
    let staff = app.client_for("staff@vendor.example").await;
    let (_, first) = app.get_html(&staff, "/staff/orders").await;
    assert_eq!(count_of(&first, "#queue tr.order"), 50);
    let (_, second) = app
        .get_html(&staff, "/staff/orders?status=pending&page=2")
        .await;
    assert_eq!(count_of(&second, "#queue tr.order"), 10);
    assert_eq!(count_of(&second, "a[rel=prev]"), 1);
    assert_eq!(count_of(&second, "a[rel=next]"), 0);
    let (_, audit) = app
        .get_html(&staff, &format!("/staff/audit?account={}&page=2", w.a.id))
        .await;
    assert_eq!(
        count_of(&audit, "#audit tr.event"),
        63 - 50,
        "60 orders, the account and its two logins"
    );
    let c = app.client_for("contact@alpha.example").await;
    let (_, orders) = app.get_html(&c, "/account/orders?page=2").await;
    assert_eq!(count_of(&orders, "#orders tr.order"), 10);
    assert_eq!(
        app.get(&c, "/account/orders?page=x").await.status(),
        StatusCode::BAD_REQUEST
    );
}

/// The overview's orders come with the session, in one statement
/// (`session::Preloads`, given by `routes::config`): a pending order older than the five newest is
/// still counted, the five newest are shown whatever their status, and
/// another account's orders are in neither.
#[tokio::test]
async fn the_overview_counts_every_pending_order_and_lists_the_five_newest_of_its_own_account() {
    let app = spawn_app().await;
    let w = app.world();
    let find = |email: &str| {
        license_portal::models::Login::find_by_email(&mut app.conn(), email)
            .expect("q")
            .expect("login")
    };
    let (alpha, beta) = (find("contact@alpha.example"), find("contact@beta.example"));
    let place = |by: &license_portal::models::Login, account: i64, quantity: i64, token: &str| {
        license_portal::ops::place_order(
            &mut app.conn(),
            &app.mail_ctx(),
            by,
            account,
            &crate::helpers::adds(quantity),
            token,
        )
        .expect("order")
    };
    let oldest = place(&alpha, w.a.id, 4, "overview-oldest");
    let mut cancelled = Vec::new();
    for i in 0..6 {
        let o = place(&alpha, w.a.id, 1, &format!("overview-{i}"));
        license_portal::ops::cancel_order(
            &mut app.conn(),
            &app.mail_ctx(),
            &alpha,
            None,
            w.a.id,
            o.id,
        )
        .expect("cancel");
        cancelled.push(o.id);
    }
    // Beta's orders, newer than all of Alpha's.
    place(&beta, w.b.id, 9, "overview-beta-1");
    place(&beta, w.b.id, 9, "overview-beta-2");

    for email in ["contact@alpha.example", "viewer@alpha.example"] {
        let c = app.client_for(email).await;
        let (status, html) = app.get_html(&c, "/account").await;
        assert_eq!(status, StatusCode::OK, "{email}");
        assert_eq!(data_value(&html, "pending-orders"), Some(1), "{email}");
        assert!(
            text_of(&html, "#pending-orders")
                .unwrap_or_default()
                .contains('4'),
            "{email}: the pending quantity"
        );
        let shown: Vec<String> = scraper::Html::parse_document(&html)
            .select(&crate::helpers::sel("table tbody tr td a"))
            .map(|a| a.text().collect::<String>())
            .collect();
        let newest: Vec<String> = cancelled
            .iter()
            .rev()
            .take(5)
            .map(|id| format!("#{id}"))
            .collect();
        assert_eq!(shown, newest, "{email}: the five newest, newest first");
        assert!(!shown.contains(&format!("#{}", oldest.id)));
    }
    let c = app.client_for("contact@beta.example").await;
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(data_value(&html, "pending-orders"), Some(2));
    assert_eq!(count_of(&html, "table tbody tr"), 2);
    // Staff have no account: the page refuses them, as before.
    let staff = app.client_for("staff@vendor.example").await;
    assert_eq!(
        app.get(&staff, "/account").await.status(),
        StatusCode::FORBIDDEN
    );
}
