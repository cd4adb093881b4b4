//! Faster handling (issue 24, SPEC 13): rules that approve at once, a
//! word on each order, and waiting times.

use diesel::prelude::*;
use license_portal::db::schema::{license_orders, order_messages};
use license_portal::models::{AuditEvent, LicenseOrder};
use reqwest::StatusCode;

use crate::api::{call, get, token};
use crate::helpers::{
    client, count_of, create_contact, location, outbox_of, spawn_app, spawn_app_with, text_of,
    Client, TestApp,
};
use crate::orders::{form_token, id_of, order, order_with};

/// Staff set account `id`'s rule through the page.
async fn set_rule(app: &TestApp, staff: &Client, id: i64, quantity: &str, per: &str) -> u16 {
    app.post(
        staff,
        &format!("/staff/accounts/{id}/rule"),
        &[("max_quantity", quantity), ("max_per_30_days", per)],
    )
    .await
    .status()
    .as_u16()
}

fn order_row(app: &TestApp, id: i64) -> LicenseOrder {
    LicenseOrder::find(&mut app.conn(), id)
        .expect("query")
        .expect("order")
}

fn message_count(app: &TestApp) -> i64 {
    order_messages::table
        .count()
        .get_result(&mut app.conn())
        .expect("count")
}

#[tokio::test]
async fn a_rule_approves_small_orders_at_once_and_says_so_everywhere() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let contact = app.client_for("contact@alpha.example").await;
    let (_, form) = app.get_html(&contact, "/account/order-licenses").await;
    assert_eq!(count_of(&form, "#order-rule"), 0, "no rule, no line");

    assert_eq!(set_rule(&app, &staff, w.a.id, "5", "10").await, 303);
    let (_, page) = app
        .get_html(&staff, &format!("/staff/accounts/{}", w.a.id))
        .await;
    assert!(text_of(&page, "#rule-state")
        .expect("rule")
        .contains("up to 5 licenses"));
    let (_, form) = app.get_html(&contact, "/account/order-licenses").await;
    assert_eq!(
        text_of(&form, "#order-rule").as_deref(),
        Some("Orders of up to 5 licenses are approved at once.")
    );

    let res = order(&app, &contact, "3").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = id_of(&res);
    let placed = order_row(&app, id);
    assert_eq!(placed.status.as_str(), "approved");
    assert!(placed.by_rule);
    assert_eq!(placed.decided_by, None);
    assert_eq!(app.account(w.a.id).licenses, 13);
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(
        text_of(&page, "#decision-note").as_deref(),
        Some("Approved at once by the account's rule")
    );
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "order_auto_approved").expect("count"),
        1
    );
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "order_approved").expect("count"),
        0
    );
    let decided = outbox_of(&app, "contact@alpha.example", "order_decided");
    assert_eq!(decided.len(), 1);
    assert!(decided[0]
        .body
        .contains("approved at once by the account's rule"));
    let desk = outbox_of(&app, "staff@vendor.example", "order_placed");
    assert_eq!(desk.len(), 1);
    assert!(desk[0].subject.contains("approved by the account's rule"));

    // Over the quantity, and a reduction: both wait for staff.
    let big = id_of(&order(&app, &contact, "6").await);
    assert_eq!(order_row(&app, big).status.as_str(), "pending");
    let (_, form) = app.get_html(&contact, "/account/reduce-licenses").await;
    let reduce_token = crate::helpers::hidden_value(&form, "form_token").expect("token");
    let res = app
        .post(
            &contact,
            "/account/reduce-licenses",
            &[
                ("quantity", "1"),
                ("starts_on", ""),
                ("reference", ""),
                ("form_token", &reduce_token),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the reduction is placed"
    );
    let reduction = id_of(&res);
    let row = order_row(&app, reduction);
    assert_eq!(
        (row.kind.as_str(), row.status.as_str()),
        ("reduce", "pending")
    );
    assert_eq!(app.account(w.a.id).licenses, 13);

    // The API answers 201 with the status approved; the ceiling of 10
    // leaves room for 7 more (3 used), so 5 passes and the next 5 waits.
    let t = token(&app, "order", Some(w.a.id), Some("contact@alpha.example"));
    let a = crate::api::order(&app, &t, "k1", r#"{"quantity": 5}"#).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["status"], "approved");
    assert_eq!(a.body["approved_by_rule"], true);
    let b = crate::api::order(&app, &t, "k2", r#"{"quantity": 5}"#).await;
    assert_eq!(b.status, StatusCode::CREATED);
    assert_eq!(b.body["status"], "pending", "past the 30-day ceiling");
    assert_eq!(app.account(w.a.id).licenses, 18);

    // Turned off: orders wait again.
    assert_eq!(set_rule(&app, &staff, w.a.id, "0", "10").await, 303);
    let small = id_of(&order(&app, &contact, "1").await);
    assert_eq!(order_row(&app, small).status.as_str(), "pending");
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "rule_changed").expect("count"),
        2
    );
}

#[tokio::test]
async fn a_bad_rule_is_refused_with_422_and_what_is_allowed() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    for (q, p, field) in [
        ("abc", "10", "#rule-quantity-error"),
        ("-1", "10", "#rule-quantity-error"),
        ("10001", "10", "#rule-quantity-error"),
        ("5", "1000001", "#rule-per-error"),
        ("5", "", "#rule-per-error"),
    ] {
        let res = app
            .post(
                &staff,
                &format!("/staff/accounts/{}/rule", w.a.id),
                &[("max_quantity", q), ("max_per_30_days", p)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q} {p}");
        let html = res.text().await.expect("body");
        assert!(
            text_of(&html, field).expect("error").contains("from 0 to"),
            "{q} {p}"
        );
    }
    let a = app.account(w.a.id);
    assert_eq!((a.rule_max_quantity, a.rule_max_per_30_days), (0, 0));
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "rule_changed").expect("count"),
        0
    );
    let res = app
        .post(
            &staff,
            "/staff/accounts/999999/rule",
            &[("max_quantity", "1"), ("max_per_30_days", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let contact = app.client_for("contact@alpha.example").await;
    let res = app
        .post(
            &contact,
            &format!("/staff/accounts/{}/rule", w.a.id),
            &[("max_quantity", "1"), ("max_per_30_days", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "staff only");
}

#[tokio::test]
async fn twenty_orders_at_once_never_pass_the_rules_ceiling() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    assert_eq!(set_rule(&app, &staff, w.a.id, "3", "10").await, 303);
    let contact = app.client_for("contact@alpha.example").await;
    let csrf = app.csrf(&contact).await;
    let mut forms = Vec::new();
    for i in 0..20 {
        let quantity = (i % 3 + 1).to_string();
        forms.push((quantity, form_token(&app, &contact).await));
    }
    let mut tasks = Vec::new();
    for (quantity, token) in forms {
        let c = contact.clone();
        let url = app.url("/account/order-licenses");
        let fields = vec![
            ("quantity", quantity),
            ("form_token", token),
            ("csrf_token", csrf.clone()),
        ];
        tasks.push(tokio::spawn(async move {
            c.post(url)
                .form(&fields)
                .send()
                .await
                .expect("POST")
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::SEE_OTHER);
    }
    let rows: Vec<(String, i64, bool)> = license_orders::table
        .filter(license_orders::account_id.eq(w.a.id))
        .select((
            license_orders::status,
            license_orders::quantity,
            license_orders::by_rule,
        ))
        .load(&mut app.conn())
        .expect("orders");
    assert_eq!(rows.len(), 20);
    assert!(
        rows.iter()
            .all(|(s, _, by_rule)| (s == "approved" && *by_rule) || s == "pending"),
        "{rows:?}"
    );
    let approved: i64 = rows
        .iter()
        .filter(|(s, ..)| s == "approved")
        .map(|(_, q, _)| q)
        .sum();
    assert!(approved <= 10, "{approved}: {rows:?}");
    assert!(approved >= 8, "the rule was used: {rows:?}");
    assert_eq!(app.account(w.a.id).licenses, 10 + approved);
    let found = license_portal::cli::verify::disagreements(&mut app.conn()).expect("verify");
    assert!(found.is_empty(), "{found:?}");
}

/// Contact A writes on a pending order, staff answer, a second contact
/// joins: each message mails exactly the SPEC's people.
#[tokio::test]
async fn messages_go_both_ways_and_mail_the_other_side() {
    let app = spawn_app().await;
    let w = app.world();
    create_contact(&app, "second@alpha.example", w.a.id);
    create_contact(&app, "quiet@alpha.example", w.a.id);
    let contact = app.client_for("contact@alpha.example").await;
    let second = app.client_for("second@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let path = format!("/account/orders/{id}/messages");

    let res = app
        .post(
            &contact,
            &path,
            &[("body", "For the new store.\r\nPO to follow.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(res.headers()).starts_with(&format!("/account/orders/{id}")));
    let desk = outbox_of(&app, "staff@vendor.example", "order_message");
    assert_eq!(desk.len(), 1);
    assert!(desk[0].body.contains("For the new store.\nPO to follow."));
    assert!(desk[0].body.contains(&format!("/staff/orders/{id}")));

    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    let row = format!("#queue tr.order[data-id=\"{id}\"]");
    assert!(!text_of(&queue, &row).expect("row").contains("answered"));

    let (status, page) = app.get_html(&staff, &format!("/staff/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&page, "#message-list li.message"), 1);
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/messages"),
            &[("body", "Which store?")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    assert!(text_of(&queue, &row)
        .expect("row")
        .contains("waiting for the customer"));
    assert_eq!(
        outbox_of(&app, "contact@alpha.example", "order_message").len(),
        1,
        "the contact who ordered"
    );
    assert!(outbox_of(&app, "second@alpha.example", "order_message").is_empty());

    let res = app
        .post(&second, &path, &[("body", "Store 12, Malmö.")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    assert!(text_of(&queue, &row).expect("row").contains("answered"));
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/messages"),
            &[("body", "Thanks!")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        outbox_of(&app, "contact@alpha.example", "order_message").len(),
        2
    );
    assert_eq!(
        outbox_of(&app, "second@alpha.example", "order_message").len(),
        1,
        "a contact who wrote on it"
    );
    assert!(outbox_of(&app, "quiet@alpha.example", "order_message").is_empty());
    assert!(outbox_of(&app, "viewer@alpha.example", "order_message").is_empty());
    assert!(outbox_of(&app, "contact@beta.example", "order_message").is_empty());
    assert_eq!(
        outbox_of(&app, "staff@vendor.example", "order_message").len(),
        2
    );

    // Both sides read the four, oldest first, and a viewer reads them.
    let viewer = app.client_for("viewer@alpha.example").await;
    for (c, page) in [
        (&contact, format!("/account/orders/{id}")),
        (&viewer, format!("/account/orders/{id}")),
        (&staff, format!("/staff/orders/{id}")),
    ] {
        let (status, html) = app.get_html(c, &page).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(count_of(&html, "#message-list li.message"), 4, "{page}");
        assert!(text_of(&html, "#message-list li.message")
            .expect("first")
            .contains("For the new store."));
    }
    let (_, html) = app
        .get_html(&viewer, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(count_of(&html, "#message-form"), 0, "a viewer has no form");
}

#[tokio::test]
async fn messages_are_refused_for_viewers_other_accounts_bad_bodies_and_after_the_window() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let path = format!("/account/orders/{id}/messages");
    let viewer = app.client_for("viewer@alpha.example").await;
    assert_eq!(
        app.post(&viewer, &path, &[("body", "hi")]).await.status(),
        StatusCode::FORBIDDEN
    );
    let beta = app.client_for("contact@beta.example").await;
    assert_eq!(
        app.post(&beta, &path, &[("body", "hi")]).await.status(),
        StatusCode::NOT_FOUND
    );
    for bad in ["", "   \n ", &"x".repeat(2001), "bell\u{7}"] {
        let res = app.post(&contact, &path, &[("body", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.expect("body");
        assert!(text_of(&html, "#message-error")
            .expect("why")
            .contains("1 to 2,000 characters"));
    }
    assert_eq!(message_count(&app), 0);
    // 2,000 characters of any script fit in the form's body (9 bytes each
    // here, once form-encoded).
    let res = app
        .post(&contact, &path, &[("body", &"漢".repeat(2000))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(message_count(&app), 1);

    // Escaped, line breaks kept as text.
    let res = app
        .post(
            &contact,
            &path,
            &[("body", "<script>alert(1)</script>\n**not bold**")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;"), "escaped");
    assert_eq!(
        text_of(&html, "#message-list li:last-child .message-body").as_deref(),
        Some("<script>alert(1)</script>\n**not bold**"),
        "shown as written, its line break kept"
    );

    // Decided 29 days ago: still open; 31 days ago: 409, nothing stored.
    let staff = app.client_for("staff@vendor.example").await;
    app.post(
        &staff,
        &format!("/staff/orders/{id}/approve"),
        &[("note", "")],
    )
    .await;
    let set_decided = |days: i64| {
        diesel::update(license_orders::table.find(id))
            .set(license_orders::decided_at.eq(Some(
                license_portal::models::now_utc() - chrono::Duration::days(days),
            )))
            .execute(&mut app.conn())
            .expect("update");
    };
    set_decided(29);
    assert_eq!(
        app.post(&contact, &path, &[("body", "Thanks")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    set_decided(31);
    let before = message_count(&app);
    let mails_before = outbox_of(&app, "staff@vendor.example", "order_message").len();
    let res = app.post(&contact, &path, &[("body", "One more")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("body");
    assert!(text_of(&html, "#message-error")
        .expect("why")
        .contains("nothing was stored"));
    let res = app
        .post(
            &staff,
            &format!("/staff/orders/{id}/messages"),
            &[("body", "Late")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(message_count(&app), before);
    assert_eq!(
        outbox_of(&app, "staff@vendor.example", "order_message").len(),
        mails_before
    );
    let (_, html) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(count_of(&html, "#message-form"), 0);
    assert_eq!(count_of(&html, "#messages-closed"), 1);
    let _ = w;
}

#[tokio::test]
async fn the_api_reads_and_writes_messages_within_its_scopes() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let id = id_of(&order(&app, &contact, "4").await);
    let path = format!("/api/v1/orders/{id}/messages");
    let order_t = token(&app, "order", Some(w.a.id), Some("contact@alpha.example"));
    let read_t = token(&app, "read", Some(w.a.id), Some("contact@alpha.example"));
    let decide_t = token(&app, "decide", None, None);
    let beta_t = token(&app, "order", Some(w.b.id), Some("contact@beta.example"));
    let sync_t = token(&app, "sync", None, None);
    let post = |t: String, body: &'static str| {
        let app = &app;
        let path = path.clone();
        async move { call(app, &client(), "POST", &path, Some(&t), &[], Some(body)).await }
    };

    let a = post(order_t.clone(), r#"{"body": "PO 4411, please"}"#).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["from"], "contact@alpha.example");
    assert_eq!(a.body["body"], "PO 4411, please");
    let v = post(decide_t.clone(), r#"{"body": "Noted."}"#).await;
    assert_eq!(v.status, StatusCode::CREATED);
    assert_eq!(v.body["from"], "vendor");
    assert_eq!(
        post(read_t.clone(), r#"{"body": "x"}"#).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(sync_t.clone(), r#"{"body": "x"}"#).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(beta_t.clone(), r#"{"body": "x"}"#).await.status,
        StatusCode::NOT_FOUND
    );
    let bad = post(order_t.clone(), r#"{"body": ""}"#).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "body");
    let bad = post(order_t.clone(), r#"{"body": 7}"#).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let list = get(&app, &path, &read_t).await;
    assert_eq!(list.status, StatusCode::OK);
    let messages = list.body["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["body"], "PO 4411, please");
    assert_eq!(messages[1]["from"], "vendor");
    assert_eq!(
        get(&app, &path, &beta_t).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(message_count(&app), 2);
    assert_eq!(
        outbox_of(&app, "contact@alpha.example", "order_message").len(),
        1
    );
}

#[tokio::test]
async fn the_queue_shows_waiting_times_and_marks_orders_past_the_sla() {
    let app = spawn_app_with(|s| s.order_sla_hours = 4).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let old = id_of(&order(&app, &contact, "2").await);
    let fresh = id_of(&order(&app, &contact, "3").await);
    let placed = |id: i64, hours: i64| {
        diesel::update(license_orders::table.find(id))
            .set(
                license_orders::ordered_at
                    .eq(license_portal::models::now_utc() - chrono::Duration::hours(hours)),
            )
            .execute(&mut app.conn())
            .expect("update");
    };
    placed(old, 5);
    placed(fresh, 3);
    let staff = app.client_for("staff@vendor.example").await;
    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    assert_eq!(
        count_of(&queue, &format!("tr.order.overdue[data-id=\"{old}\"]")),
        1
    );
    assert_eq!(
        count_of(&queue, &format!("tr.order.overdue[data-id=\"{fresh}\"]")),
        0
    );
    assert!(
        text_of(&queue, &format!("tr.order[data-id=\"{old}\"] td.waited"))
            .expect("waited")
            .starts_with("5 h")
    );

    // Fewer than 10 decisions: the SLA; then the median of the 90 days.
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{fresh}"))
        .await;
    assert!(text_of(&page, "#order-wait")
        .expect("wait line")
        .contains("within 4 hours"));
    for hours in 1..=10 {
        let id = id_of(&order(&app, &contact, "1").await);
        placed(id, hours);
        app.post(
            &staff,
            &format!("/staff/orders/{id}/approve"),
            &[("note", "")],
        )
        .await;
    }
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{fresh}"))
        .await;
    assert!(
        text_of(&page, "#order-wait")
            .expect("wait line")
            .contains("about 5 hours"),
        "{:?}",
        text_of(&page, "#order-wait")
    );
}

#[tokio::test]
async fn the_oldest_pending_order_is_a_metric() {
    let app = spawn_app_with(|s| s.metrics_token = Some("m".repeat(32))).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let id = id_of(&order_with(&app, &contact, &[("quantity", "2")]).await);
    diesel::update(license_orders::table.find(id))
        .set(
            license_orders::ordered_at
                .eq(license_portal::models::now_utc() - chrono::Duration::seconds(7200)),
        )
        .execute(&mut app.conn())
        .expect("update");
    let res = client()
        .get(app.url("/metrics"))
        .header("authorization", format!("Bearer {}", "m".repeat(32)))
        .send()
        .await
        .expect("metrics");
    let text = res.text().await.expect("body");
    let line = text
        .lines()
        .find(|l| l.starts_with("portal_oldest_pending_order_seconds "))
        .expect("the gauge");
    let seconds: f64 = line
        .rsplit(' ')
        .next()
        .expect("value")
        .parse()
        .expect("number");
    assert!((7200.0..7300.0).contains(&seconds), "{line}");
}
