//! What it costs (issue 26, SPEC 15): the agreement staff set, the cost on
//! the Order Licenses and Reduce pages, and the price an order keeps.

use license_portal::domain::money::cost_minor;
use license_portal::models::{AuditEvent, LicenseOrder};
use reqwest::StatusCode;

use crate::helpers::{
    count_of, data_value, fingerprint, hidden_value, location, outbox_of, spawn_app, text_of,
    Client, TestApp,
};
use crate::orders::{id_of, order_with};

/// Staff set account `id`'s agreement through its page.
async fn agree(app: &TestApp, staff: &Client, id: i64, fields: [&str; 4]) -> reqwest::Response {
    app.post(
        staff,
        &format!("/staff/accounts/{id}/agreement"),
        &[
            ("price", fields[0]),
            ("currency", fields[1]),
            ("billing", fields[2]),
            ("renews_on", fields[3]),
        ],
    )
    .await
}

fn day(app: &TestApp, days: i64) -> String {
    (app.today() + chrono::Duration::days(days)).to_string()
}

#[tokio::test]
async fn staff_set_the_agreement_and_bad_fields_are_named_with_nothing_changed() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let renews = day(&app, 100);
    let res = agree(&app, &staff, w.a.id, ["89,50", "SEK", "annual", &renews]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(res.headers()),
        format!("/staff/accounts/{}#agreement", w.a.id)
    );
    let a = app.account(w.a.id);
    assert_eq!(a.price_minor, Some(8_950));
    assert_eq!(a.currency.as_deref(), Some("SEK"));
    assert_eq!(a.billing.as_deref(), Some("annual"));
    assert_eq!(a.renews_on.map(|d| d.to_string()), Some(renews.clone()));
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "agreement_changed").expect("count"),
        1
    );
    let (_, page) = app
        .get_html(&staff, &format!("/staff/accounts/{}", w.a.id))
        .await;
    assert_eq!(
        crate::helpers::hidden_attr(&page, "#agreement-price", "value").as_deref(),
        Some("89.50")
    );

    let before = fingerprint(&app);
    for (fields, errors) in [
        (["-5", "SEK", "annual", ""], 1),
        (["89", "", "", ""], 1),
        (["89", "sek", "weekly", "2020-01-01"], 3),
        (["1.234", "EURO", "", "tomorrow"], 3),
    ] {
        let res = agree(&app, &staff, w.a.id, fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let html = res.text().await.expect("body");
        assert_eq!(
            count_of(&html, "#agreement .field-error"),
            errors,
            "{fields:?}"
        );
        assert_eq!(
            crate::helpers::hidden_attr(&html, "#agreement-price", "value").as_deref(),
            Some(fields[0]),
            "as typed"
        );
    }
    assert_eq!(fingerprint(&app), before);
    assert_eq!(app.account(w.a.id).price_minor, Some(8_950));
    // A customer cannot set it.
    let contact = app.client_for("contact@alpha.example").await;
    let res = agree(&app, &contact, w.a.id, ["1", "SEK", "", ""]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Empty: no prices anywhere.
    let res = agree(&app, &staff, w.a.id, ["", "", "", ""]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.account(w.a.id).price_minor, None);
}

#[tokio::test]
async fn the_order_form_shows_the_month_and_the_cost_of_a_period_or_up_to_the_renewal() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let contact = app.client_for("contact@alpha.example").await;
    // No prices: nothing about money anywhere on the form.
    let (_, html) = app
        .get_html(&contact, "/account/order-licenses?quantity=10")
        .await;
    assert_eq!(
        count_of(&html, "#order-monthly, #order-cost, #show-cost"),
        0
    );
    assert!(!html.contains("SEK"));

    let renews = day(&app, 100);
    agree(&app, &staff, w.a.id, ["89", "SEK", "annual", &renews]).await;
    // A season: its days, both ends counted.
    let (from, until) = (day(&app, 10), day(&app, 40));
    let (status, html) = app
        .get_html(
            &contact,
            &format!("/account/order-licenses?quantity=10&starts_on={from}&ends_on={until}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data_value(&html, "order-monthly"), Some(89_000));
    assert_eq!(
        data_value(&html, "order-cost"),
        Some(cost_minor(8_900, 10, 31))
    );
    assert_eq!(
        text_of(&html, "#order-monthly").as_deref(),
        Some("SEK\u{a0}890.00")
    );
    assert_eq!(
        hidden_value(&html, "quantity").as_deref(),
        Some("10"),
        "filled in"
    );
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#starts_on", "value"),
        Some(from.clone())
    );
    // For good: from today to the day before the renewal.
    let (_, html) = app
        .get_html(&contact, "/account/order-licenses?quantity=10")
        .await;
    assert_eq!(
        data_value(&html, "order-cost"),
        Some(cost_minor(8_900, 10, 100))
    );
    // Across 29 February 2028 (a leap year): 60 days.
    let (_, html) = app
        .get_html(
            &contact,
            "/account/order-licenses?quantity=2&starts_on=2028-02-01&ends_on=2028-03-31",
        )
        .await;
    assert_eq!(
        data_value(&html, "order-cost"),
        Some(cost_minor(8_900, 2, 60))
    );
    // Days that could not be ordered show no cost, and order nothing.
    let orders = crate::helpers::order_count(&app);
    let (status, html) = app
        .get_html(
            &contact,
            "/account/order-licenses?quantity=10&starts_on=2020-01-01",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#order-cost"), 0);
    assert_eq!(
        data_value(&html, "order-monthly"),
        Some(89_000),
        "a month all the same"
    );
    assert_eq!(crate::helpers::order_count(&app), orders);
    // Enter sends the form's first button: it orders, "Show the cost"
    // comes after it.
    let doc = scraper::Html::parse_document(&html);
    let first = doc
        .select(
            &scraper::Selector::parse("form[action='/account/order-licenses'] button[type=submit]")
                .expect("sel"),
        )
        .next()
        .expect("a button");
    assert_eq!(
        first.value().attr("id"),
        None,
        "the order's own button first"
    );

    // Without a renewal day, licenses for good have no cost (a month only).
    agree(&app, &staff, w.a.id, ["89", "SEK", "monthly", ""]).await;
    let (_, html) = app
        .get_html(&contact, "/account/order-licenses?quantity=10")
        .await;
    assert_eq!(data_value(&html, "order-monthly"), Some(89_000));
    assert_eq!(count_of(&html, "#order-cost"), 0);

    // In Swedish the amount reads the Swedish way.
    app.post(
        &contact,
        "/language",
        &[("lang", "sv"), ("back", "/account")],
    )
    .await;
    let (_, html) = app
        .get_html(&contact, "/account/order-licenses?quantity=15")
        .await;
    assert_eq!(
        text_of(&html, "#order-monthly").as_deref(),
        Some("1\u{a0}335,00\u{a0}SEK")
    );
}

#[tokio::test]
async fn an_order_keeps_its_price_and_cost_after_the_price_changes() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let contact = app.client_for("contact@alpha.example").await;
    let renews = day(&app, 60);
    agree(&app, &staff, w.a.id, ["100", "EUR", "annual", &renews]).await;
    // "Show the cost" orders nothing.
    let (_, form) = app.get_html(&contact, "/account/order-licenses").await;
    let token = hidden_value(&form, "form_token").expect("form token");
    let orders = crate::helpers::order_count(&app);
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[
                ("quantity", "3"),
                ("reference", "PO-9"),
                ("form_token", &token),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert_eq!(
        data_value(&html, "order-cost"),
        Some(cost_minor(10_000, 3, 60))
    );
    assert_eq!(crate::helpers::order_count(&app), orders);
    // The order itself, with the same form.
    let res = app
        .post(
            &contact,
            "/account/order-licenses",
            &[
                ("quantity", "3"),
                ("reference", "PO-9"),
                ("form_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let path = location(res.headers());
    let id: i64 = path
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let order = LicenseOrder::find(&mut app.conn(), id)
        .expect("q")
        .expect("order");
    assert_eq!(order.price_minor, Some(10_000));
    assert_eq!(order.currency.as_deref(), Some("EUR"));
    assert_eq!(order.cost_minor, Some(cost_minor(10_000, 3, 60)));
    // The price changes; the order keeps what it had.
    agree(&app, &staff, w.a.id, ["150", "EUR", "annual", &renews]).await;
    let (_, html) = app.get_html(&contact, &path).await;
    assert_eq!(
        data_value(&html, "order-kept-cost"),
        Some(cost_minor(10_000, 3, 60))
    );
    assert_eq!(
        text_of(&html, "#order-kept-price").as_deref(),
        Some("EUR\u{a0}100.00")
    );
    // A reduction's page says what it saves up to the renewal.
    let from = day(&app, 20);
    let (_, html) = app
        .get_html(
            &contact,
            &format!("/account/reduce-licenses?quantity=2&starts_on={from}"),
        )
        .await;
    assert_eq!(
        data_value(&html, "order-cost"),
        Some(cost_minor(15_000, 2, 40))
    );
    assert!(text_of(&html, "#order-price")
        .unwrap_or_default()
        .contains("40"));
    // A quantity no order may have is not filled in (nor cut to one).
    let (_, html) = app
        .get_html(&contact, "/account/reduce-licenses?quantity=12345678")
        .await;
    assert_eq!(hidden_value(&html, "quantity").as_deref(), Some(""));
    // An account without prices has none on its orders.
    let beta = app.client_for("contact@beta.example").await;
    let (_, html) = app
        .get_html(&beta, "/account/reduce-licenses?quantity=2")
        .await;
    assert_eq!(count_of(&html, "#order-price, #show-cost"), 0);
    let res = order_with(&app, &beta, &[("quantity", "2"), ("reference", "")]).await;
    let path = location(res.headers());
    let order = LicenseOrder::find(&mut app.conn(), id_of(&res))
        .expect("q")
        .expect("order");
    assert_eq!((order.price_minor, order.cost_minor), (None, None));
    for page in [
        path.clone(),
        format!("{path}/confirmation"),
        "/account/agreement".into(),
    ] {
        let (_, html) = app.get_html(&beta, &page).await;
        assert_eq!(
            count_of(
                &html,
                "#order-kept-price, #order-kept-cost, #confirmation-price, #confirmation-cost, #agreement-monthly"
            ),
            0,
            "{page}"
        );
        assert!(!html.contains("EUR") && !html.contains("SEK"), "{page}");
    }
    let _ = w.b;
}

#[tokio::test]
async fn the_agreement_page_shows_the_monthly_cost_now_and_after_each_coming_change() {
    let app = spawn_app().await;
    let w = app.world(); // Alpha owns 10
    let staff = app.client_for("staff@vendor.example").await;
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, html) = app.get_html(&viewer, "/account/agreement").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#agreement-no-prices"), 1);
    assert_eq!(count_of(&html, "#agreement-monthly"), 0);

    let renews = day(&app, 90);
    agree(&app, &staff, w.a.id, ["25", "NOK", "monthly", &renews]).await;
    // 5 more from day 10 to day 19: the cost steps up and back.
    let (from, until) = (day(&app, 10), day(&app, 19));
    let res = app
        .post(
            &staff,
            &format!("/staff/accounts/{}/licenses", w.a.id),
            &[
                ("change", "+5"),
                ("reason", "a season"),
                ("starts_on", &from),
                ("ends_on", &until),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&viewer, "/account/agreement").await;
    assert_eq!(data_value(&html, "agreement-monthly"), Some(25_000));
    assert_eq!(data_value(&html, "agreement-owned"), Some(10));
    assert_eq!(
        text_of(&html, "#agreement-price").as_deref(),
        Some("NOK\u{a0}25.00")
    );
    let doc = scraper::Html::parse_document(&html);
    let coming: Vec<(String, i64)> = doc
        .select(&scraper::Selector::parse("#agreement-coming li").expect("sel"))
        .map(|e| {
            (
                e.value().attr("data-day").unwrap_or("").to_string(),
                e.value()
                    .attr("data-value")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(coming, [(from, 37_500), (day(&app, 20), 25_000)]);
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#agreement-renews-on", "data-day"),
        Some(renews)
    );
}

#[tokio::test]
async fn an_orders_confirmation_holds_vendor_customer_number_reference_and_cost() {
    let app = crate::helpers::spawn_app_with(|s| s.vendor_name = Some("Acme WFM AB".into())).await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let contact = app.client_for("contact@alpha.example").await;
    let renews = day(&app, 30);
    agree(&app, &staff, w.a.id, ["200", "SEK", "annual", &renews]).await;
    let res = order_with(
        &app,
        &contact,
        &[("quantity", "4"), ("reference", "PO-2027-9")],
    )
    .await;
    let path = location(res.headers());
    let id = id_of(&res);
    let (_, order) = app.get_html(&contact, &path).await;
    let link = crate::helpers::hidden_attr(&order, "#confirmation-link", "href").expect("link");
    let (status, html) = app.get_html(&contact, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "nav"), 0, "no navigation");
    assert_eq!(
        text_of(&html, "#confirmation-vendor").as_deref(),
        Some("Acme WFM AB")
    );
    assert_eq!(
        text_of(&html, "#confirmation-customer").as_deref(),
        Some("Alpha AB")
    );
    assert_eq!(
        text_of(&html, "#confirmation-number"),
        Some(format!("#{id}"))
    );
    assert_eq!(
        text_of(&html, "#confirmation-reference").as_deref(),
        Some("PO-2027-9")
    );
    assert_eq!(
        data_value(&html, "confirmation-cost"),
        Some(cost_minor(20_000, 4, 30))
    );
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#confirmation-status", "data-value").as_deref(),
        Some("pending")
    );
    // Staff have theirs; another account's contact gets a 404.
    let (status, staff_html) = app
        .get_html(&staff, &format!("/staff/orders/{id}/confirmation"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text_of(&staff_html, "#confirmation-reference").as_deref(),
        Some("PO-2027-9")
    );
    let beta = app.client_for("contact@beta.example").await;
    assert_eq!(
        app.get(&beta, &format!("/account/orders/{id}/confirmation"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&contact, &format!("/staff/orders/{id}/confirmation"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_renewal_is_told_once_from_60_days_before_with_a_suggested_reduction() {
    let app = spawn_app().await;
    let w = app.world(); // Alpha owns 10
    let staff = app.client_for("staff@vendor.example").await;
    let to = "contact@alpha.example";
    // 6 counted now, 2 of them ending before the renewal: 4 as forecast.
    app.add_users(
        w.a.id,
        &[
            (crate::helpers::UserState::Counted, 4),
            (crate::helpers::UserState::EndingSoon, 2),
        ],
    );
    // 90 days ahead: too early.
    agree(
        &app,
        &staff,
        w.a.id,
        ["50", "EUR", "annual", &day(&app, 90)],
    )
    .await;
    assert!(outbox_of(&app, to, "renewal_coming").is_empty());
    let renews = day(&app, 50);
    agree(&app, &staff, w.a.id, ["50", "EUR", "annual", &renews]).await;
    let sent = outbox_of(&app, to, "renewal_coming");
    assert_eq!(sent.len(), 1);
    let body = &sent[0].body;
    assert!(
        body.contains("owns 10 licenses") && body.contains("6 users are counted"),
        "{body}"
    );
    assert!(
        body.contains("4 users are counted on the renewal day"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "/account/reduce-licenses?quantity=6&starts_on={renews}"
        )),
        "{body}"
    );
    // The link fills the Reduce page in and shows what it saves.
    let contact = app.client_for(to).await;
    let (_, html) = app
        .get_html(
            &contact,
            &format!("/account/reduce-licenses?quantity=6&starts_on={renews}"),
        )
        .await;
    assert_eq!(hidden_value(&html, "quantity").as_deref(), Some("6"));
    assert_eq!(
        count_of(&html, "#order-cost"),
        0,
        "from the renewal day: nothing to save before it"
    );
    // Once per renewal day: the server's rounds send no second one.
    license_portal::maintenance::check_licenses(&mut app.conn(), &app.mail_ctx()).expect("round");
    assert_eq!(outbox_of(&app, to, "renewal_coming").len(), 1);
    assert!(outbox_of(&app, "viewer@alpha.example", "renewal_coming").is_empty());
    // A new renewal day is told again.
    agree(
        &app,
        &staff,
        w.a.id,
        ["50", "EUR", "annual", &day(&app, 55)],
    )
    .await;
    assert_eq!(outbox_of(&app, to, "renewal_coming").len(), 2);
}
