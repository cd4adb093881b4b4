//! Licenses over time (SPEC 12): the ledger, dated orders, staff
//! adjustments for a period, the figure of the day in each time zone.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use license_portal::domain::orders::OrderKind;
use license_portal::models::ledger::LedgerRow;
use license_portal::models::Account;
use license_portal::ops::{self, AccountInput, Period};
use reqwest::StatusCode;

use crate::helpers::{
    create_contact, data_value, location, spawn_app_at, spawn_app_movable, text_of, TestApp,
};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("instant")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

fn account_in(app: &TestApp, name: &str, licenses: i64, zone: &str) -> Account {
    let input = AccountInput::parse(name, &licenses.to_string(), zone).expect("input");
    ops::create_account(&mut app.conn(), None, &input, app.state.clock.now()).expect("account")
}

fn grant(app: &TestApp, account: i64, change: i64, from: &str, until: Option<&str>) {
    ops::adjust_licenses(
        &mut app.conn(),
        &app.mail_ctx(),
        None,
        account,
        change,
        Period {
            starts_on: Some(day(from)),
            ends_on: until.map(day),
        },
        "test",
    )
    .expect("adjusted");
}

async fn owned_on_page(app: &TestApp, client: &reqwest::Client) -> i64 {
    let (status, html) = app.get_html(client, "/account").await;
    assert_eq!(status, StatusCode::OK);
    data_value(&html, "licenses-owned").expect("#licenses-owned")
}

#[tokio::test]
async fn the_figure_changes_on_the_first_request_of_the_day_in_each_time_zone() {
    // 20:00 UTC on 9 March: noon in Los Angeles, 10:00 on 10 March in
    // Kiritimati (UTC+14). The two accounts' days are a day apart.
    let (app, hand) = spawn_app_movable(at(2027, 3, 9, 20)).await;
    let kiri = account_in(&app, "Kiritimati AB", 10, "Pacific/Kiritimati");
    let la = account_in(&app, "Los Angeles AB", 10, "America/Los_Angeles");
    create_contact(&app, "k@kiri.example", kiri.id);
    create_contact(&app, "l@la.example", la.id);
    // Five more on 11 March only, in each account's own days.
    grant(&app, kiri.id, 5, "2027-03-11", Some("2027-03-11"));
    grant(&app, la.id, 5, "2027-03-11", Some("2027-03-11"));
    let k = app.client_for("k@kiri.example").await;
    let l = app.client_for("l@la.example").await;
    assert_eq!(owned_on_page(&app, &k).await, 10);
    assert_eq!(owned_on_page(&app, &l).await, 10);

    // 12:00 UTC on 10 March: 11 March has begun in Kiritimati only.
    *hand.lock().expect("hand") = at(2027, 3, 10, 12);
    assert_eq!(owned_on_page(&app, &k).await, 15);
    assert_eq!(owned_on_page(&app, &l).await, 10);
    // 12:00 UTC on 11 March: Kiritimati's row has ended, LA's begun.
    *hand.lock().expect("hand") = at(2027, 3, 11, 12);
    assert_eq!(owned_on_page(&app, &k).await, 10);
    assert_eq!(owned_on_page(&app, &l).await, 15);
    *hand.lock().expect("hand") = at(2027, 3, 12, 12);
    assert_eq!(owned_on_page(&app, &l).await, 10);

    // The server's round writes the stored figure; verify agrees.
    let rolled = ops::roll_days(&mut app.conn(), &app.mail_ctx()).expect("roll");
    assert!(rolled <= 2);
    assert_eq!(app.account(kiri.id).licenses, 10);
    assert_eq!(app.account(la.id).licenses, 10);
    let found = license_portal::cli::verify::disagreements(&mut app.conn()).expect("verify");
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn a_season_ordered_on_the_form_counts_on_its_days_once_approved() {
    let (app, hand) = spawn_app_movable(at(2027, 5, 10, 10)).await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let res = crate::orders::order_with(
        &app,
        &contact,
        &[
            ("quantity", "30"),
            ("reference", "SUMMER"),
            ("starts_on", "2027-06-01"),
            ("ends_on", "2027-08-31"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = crate::orders::id_of(&res);
    let said = "Adds 30 licenses from 1 June 2027 to 31 August 2027: \
                you will own 40 on those days and 10 after.";
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(text_of(&page, "#order-effect").expect("shown"), said);
    let (_, queue) = app.get_html(&staff, "/staff/orders").await;
    assert_eq!(
        text_of(&queue, &format!("#effect-{id}")).expect("shown"),
        said
    );
    let res = app
        .post(&staff, &format!("/staff/orders/{id}/approve"), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        location(res.headers())
    );
    let row = LedgerRow::of_order(&mut app.conn(), id)
        .expect("query")
        .expect("the order's row");
    assert_eq!(
        (row.change, row.starts_on, row.ends_on),
        (30, day("2027-06-01"), Some(day("2027-08-31")))
    );
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(
        text_of(&page, "#order-effect").expect("shown"),
        said,
        "approved, the same words"
    );
    // Not yet: today is 10 May.
    assert_eq!(app.account(w.a.id).licenses, 10);
    let owned = |d: &str| {
        LedgerRow::owned_on(&mut app.conn(), w.a.id, day(d))
            .expect("query")
            .expect("recorded")
    };
    assert_eq!(
        (
            owned("2027-05-31"),
            owned("2027-06-01"),
            owned("2027-08-31"),
            owned("2027-09-01")
        ),
        (10, 40, 40, 10)
    );
    *hand.lock().expect("hand") = at(2027, 6, 1, 10);
    assert_eq!(owned_on_page(&app, &contact).await, 40);
    ops::roll_days(&mut app.conn(), &app.mail_ctx()).expect("roll");
    assert_eq!(app.account(w.a.id).licenses, 40);
    *hand.lock().expect("hand") = at(2027, 9, 1, 10);
    assert_eq!(owned_on_page(&app, &contact).await, 10);
}

#[tokio::test]
async fn bad_days_re_render_the_form_naming_the_field_and_order_nothing() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    app.world();
    let contact = app.client_for("contact@alpha.example").await;
    for (starts, ends, field) in [
        ("2027-05-09", "", "starts_on"),
        ("", "2027-05-09", "ends_on"),
        ("2027-06-02", "2027-06-01", "ends_on"),
        ("2027-06-01", "2028-06-01", "ends_on"),
        ("1 June", "", "starts_on"),
    ] {
        let res = crate::orders::order_with(
            &app,
            &contact,
            &[("quantity", "3"), ("starts_on", starts), ("ends_on", ends)],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{starts} {ends}"
        );
        let html = res.text().await.expect("body");
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{starts}..{ends}: no error beside {field}"
        );
    }
    let (_, html) = app.get_html(&contact, "/account/orders").await;
    assert!(!html.contains("/account/orders/1\""), "no order was made");
}

/// An order placed on the form on 10 May, approved by staff on `approved`:
/// the app, Alpha's id, the order's id and the approval's answer.
async fn approved_later(
    fields: &[(&str, &str)],
    approved: DateTime<Utc>,
) -> (TestApp, i64, i64, reqwest::Response) {
    let (app, hand) = spawn_app_movable(at(2027, 5, 10, 10)).await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let staff = app.client_for("staff@vendor.example").await;
    let res = crate::orders::order_with(&app, &contact, fields).await;
    let id = crate::orders::id_of(&res);
    *hand.lock().expect("hand") = approved;
    let res = app
        .post(&staff, &format!("/staff/orders/{id}/approve"), &[])
        .await;
    (app, w.a.id, id, res)
}

#[tokio::test]
async fn approving_temporary_licenses_after_their_last_day_is_refused_and_changes_nothing() {
    let (app, alpha, id, res) = approved_later(
        &[("quantity", "5"), ("ends_on", "2027-05-11")],
        at(2027, 5, 12, 10),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("body");
    assert!(
        html.contains("The period has passed"),
        "the page says why: {html}"
    );
    let order = license_portal::models::LicenseOrder::find(&mut app.conn(), id)
        .expect("query")
        .expect("order");
    assert_eq!(order.status.as_str(), "pending");
    assert!(LedgerRow::of_order(&mut app.conn(), id)
        .expect("q")
        .is_none());
    assert_eq!(app.account(alpha).licenses, 10);
}

#[tokio::test]
async fn an_order_approved_after_its_first_day_starts_on_the_approval_day() {
    let (app, alpha, id, res) = approved_later(
        &[("quantity", "4"), ("starts_on", "2027-05-11")],
        at(2027, 5, 14, 10),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let row = LedgerRow::of_order(&mut app.conn(), id)
        .expect("q")
        .expect("row");
    assert_eq!((row.starts_on, row.ends_on), (day("2027-05-14"), None));
    assert_eq!(app.account(alpha).licenses, 14);
}

#[tokio::test]
async fn twenty_racing_approvals_of_dated_orders_and_reductions_leave_ledger_figure_and_verify_agreeing(
) {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    let contact =
        license_portal::models::Login::find_by_email(&mut app.conn(), "contact@alpha.example")
            .expect("q")
            .expect("contact");
    let staff =
        license_portal::models::Login::find_by_email(&mut app.conn(), "staff@vendor.example")
            .expect("q")
            .expect("staff");
    let mut ids = Vec::new();
    // Every fourth a reduction of one from 1 June; of the rest, a third
    // for good from approval, a third a season, a third from 1 July.
    let reduces = |i: i64| i % 4 == 3;
    for i in 0..20i64 {
        let (kind, quantity, period) = match (reduces(i), i % 3) {
            (true, _) => (
                OrderKind::Reduce,
                1,
                Period {
                    starts_on: Some(day("2027-06-01")),
                    ends_on: None,
                },
            ),
            (false, 0) => (OrderKind::Add, i + 1, Period::default()),
            (false, 1) => (
                OrderKind::Add,
                i + 1,
                Period {
                    starts_on: Some(day("2027-06-01")),
                    ends_on: Some(day("2027-08-31")),
                },
            ),
            (false, _) => (
                OrderKind::Add,
                i + 1,
                Period {
                    starts_on: Some(day("2027-07-01")),
                    ends_on: None,
                },
            ),
        };
        let input = ops::OrderInput {
            kind,
            quantity,
            period,
            ..Default::default()
        };
        let order = ops::place_order(
            &mut app.conn(),
            &app.mail_ctx(),
            &contact,
            w.a.id,
            &input,
            &format!("race-{i}"),
        )
        .expect("order");
        ids.push(order.id);
    }
    let mut handles = Vec::new();
    for id in ids.iter().copied().chain(ids.iter().copied()) {
        let (pool, ctx, staff) = (app.state.pool.clone(), app.mail_ctx(), staff.clone());
        handles.push(std::thread::spawn(move || {
            let mut conn = pool.get().expect("conn");
            ops::approve_order(&mut conn, &ctx, ops::Decider::staff(&staff), id, None).is_ok()
        }));
    }
    let approved = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .filter(|ok| *ok)
        .count();
    assert_eq!(approved, 20, "each order approved exactly once");
    let rows = LedgerRow::of_account(&mut app.conn(), w.a.id).expect("rows");
    assert_eq!(rows.len(), 21, "the initial row and one a order");
    // For good from today: the additions with i % 3 == 0.
    let now: i64 = (0..20)
        .filter(|i| !reduces(*i) && i % 3 == 0)
        .map(|i| i + 1)
        .sum();
    assert_eq!(app.account(w.a.id).licenses, 10 + now);
    let owned_june = LedgerRow::owned_on(&mut app.conn(), w.a.id, day("2027-06-01"))
        .expect("q")
        .expect("recorded");
    let season: i64 = (0..20)
        .filter(|i| !reduces(*i) && i % 3 == 1)
        .map(|i| i + 1)
        .sum();
    assert_eq!(owned_june, 10 + now + season - 5, "five reductions of one");
    let found = license_portal::cli::verify::disagreements(&mut app.conn()).expect("verify");
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn the_api_orders_for_a_period_or_fewer_and_names_a_bad_field() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    let t = crate::api::token(&app, "order", Some(w.a.id), Some("contact@alpha.example"));
    let season = crate::api::order(
        &app,
        &t,
        "k1",
        r#"{"quantity": 30, "starts_on": "2027-06-01", "ends_on": "2027-08-31"}"#,
    )
    .await;
    assert_eq!(season.status, StatusCode::CREATED, "{}", season.body);
    assert_eq!(season.body["kind"], "add");
    assert_eq!(season.body["starts_on"], "2027-06-01");
    assert_eq!(season.body["ends_on"], "2027-08-31");
    for (key, body, field) in [
        (
            "k2",
            r#"{"quantity": 3, "ends_on": "2027-05-01"}"#,
            "ends_on",
        ),
        (
            "k3",
            r#"{"quantity": 3, "kind": "reduce", "ends_on": "2027-07-01"}"#,
            "ends_on",
        ),
        ("k4", r#"{"quantity": 3, "kind": "refund"}"#, "kind"),
        ("k5", r#"{"quantity": 3, "starts_on": "June"}"#, "starts_on"),
        (
            "k6",
            r#"{"quantity": 3, "kind": "reduce", "starts_on": "2027-05-10"}"#,
            "starts_on",
        ),
    ] {
        let refused = crate::api::order(&app, &t, key, body).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(refused.body["errors"][0]["field"], field, "{body}");
    }
    let fewer = crate::api::order(&app, &t, "k7", r#"{"quantity": 2, "kind": "reduce"}"#).await;
    assert_eq!(fewer.status, StatusCode::CREATED, "{}", fewer.body);
    assert_eq!(fewer.body["kind"], "reduce");
    assert_eq!(
        fewer.body["starts_on"], "2027-06-01",
        "the first of next month"
    );
    assert_eq!(fewer.body["ends_on"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_reduction_is_checked_again_at_approval_and_refused_with_409_when_users_came() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 6)]);
    let t = crate::api::token(&app, "order", Some(w.a.id), Some("contact@alpha.example"));
    let staff = app.client_for("staff@vendor.example").await;
    let three = crate::api::order(&app, &t, "r1", r#"{"quantity": 3, "kind": "reduce"}"#).await;
    assert_eq!(three.status, StatusCode::CREATED, "{}", three.body);
    let id = three.body["id"].as_i64().expect("id");
    // Two users arrive before staff decide: 7 licenses for 8 users.
    app.accounts_user(w.a.id, "N1", crate::helpers::UserState::Counted);
    app.accounts_user(w.a.id, "N2", crate::helpers::UserState::Counted);
    let res = app
        .post(&staff, &format!("/staff/orders/{id}/approve"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("body");
    assert!(html.contains("1 June 2027"), "the day is named");
    let order = license_portal::models::LicenseOrder::find(&mut app.conn(), id)
        .expect("q")
        .expect("order");
    assert_eq!(order.status.as_str(), "pending");
    assert!(LedgerRow::of_order(&mut app.conn(), id)
        .expect("q")
        .is_none());
    // Two fewer fits (8 for 8): approved, for good from 1 June.
    let two = crate::api::order(&app, &t, "r2", r#"{"quantity": 2, "kind": "reduce"}"#).await;
    let id = two.body["id"].as_i64().expect("id");
    let res = app
        .post(&staff, &format!("/staff/orders/{id}/approve"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let row = LedgerRow::of_order(&mut app.conn(), id)
        .expect("q")
        .expect("row");
    assert_eq!(
        (row.change, row.starts_on, row.ends_on),
        (-2, day("2027-06-01"), None)
    );
    assert_eq!(app.account(w.a.id).licenses, 10, "not before 1 June");
}

#[tokio::test]
async fn the_licenses_tab_its_csv_and_the_api_show_the_ledger_and_its_timeline() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    grant(&app, w.a.id, 30, "2027-06-01", Some("2027-08-31"));
    grant(&app, w.a.id, -2, "2027-07-01", None);
    let expected = vec![
        ("2027-05-10".to_string(), 10),
        ("2027-06-01".to_string(), 40),
        ("2027-07-01".to_string(), 38),
        ("2027-09-01".to_string(), 8),
    ];
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, html) = app.get_html(&viewer, "/account/licenses").await;
    assert_eq!(status, StatusCode::OK);
    let doc = scraper::Html::parse_document(&html);
    let steps: Vec<(String, i64)> = doc
        .select(&crate::helpers::sel("#licenses-timeline [data-day]"))
        .map(|e| {
            let v = e.value();
            (
                v.attr("data-day").expect("day").to_string(),
                v.attr("data-value")
                    .and_then(|n| n.parse().ok())
                    .expect("value"),
            )
        })
        .collect();
    assert_eq!(steps, expected);
    assert_eq!(
        doc.select(&crate::helpers::sel("#ledger tr.entry")).count(),
        3
    );

    let res = app.get(&viewer, "/account/licenses.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.text().await.expect("csv");
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        vec![
            "starts_on,ends_on,change,kind,order_id,reference,reason",
            "2027-07-01,,-2,adjustment,,,test",
            "2027-06-01,2027-08-31,30,adjustment,,,test",
            "2027-05-10,,10,initial,,,",
        ]
    );

    let t = crate::api::token(&app, "read", Some(w.a.id), Some("contact@alpha.example"));
    let api = crate::api::get(&app, "/api/v1/licenses", &t).await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    assert_eq!(api.body["entries"].as_array().map(Vec::len), Some(3));
    assert_eq!(api.body["entries"][0]["change"], -2);
    let timeline: Vec<(String, i64)> = api.body["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|d| {
            (
                d["day"].as_str().expect("day").to_string(),
                d["licenses"].as_i64().expect("licenses"),
            )
        })
        .collect();
    assert_eq!(timeline, expected);
    let account = crate::api::get(&app, "/api/v1/account", &t).await;
    let coming: Vec<i64> = account.body["licenses_changes"]
        .as_array()
        .expect("licenses_changes")
        .iter()
        .map(|d| d["licenses"].as_i64().expect("licenses"))
        .collect();
    assert_eq!(coming, vec![40, 38, 8]);
    assert_eq!(account.body["licenses_changes"][0]["day"], "2027-06-01");
}

#[tokio::test]
async fn a_reduction_that_fits_is_placed_and_one_that_does_not_is_refused_naming_the_day() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 8)]);
    let contact = app.client_for("contact@alpha.example").await;
    let (status, html) = app.get_html(&contact, "/account/reduce-licenses").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#starts_on", "value").as_deref(),
        Some("2027-06-01"),
        "the first day of next month by default"
    );
    let reduce = |quantity: &'static str, starts_on: &'static str| {
        let (app, contact) = (&app, &contact);
        async move {
            let (_, form) = app.get_html(contact, "/account/reduce-licenses").await;
            let token = crate::helpers::hidden_value(&form, "form_token").expect("token");
            app.post(
                contact,
                "/account/reduce-licenses",
                &[
                    ("quantity", quantity),
                    ("starts_on", starts_on),
                    ("reference", ""),
                    ("form_token", &token),
                ],
            )
            .await
        }
    };
    let orders_before =
        license_portal::models::LicenseOrder::pending_quantity(&mut app.conn(), w.a.id).expect("q");
    // 7 licenses for 8 counted users on 1 June.
    let res = reduce("3", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    let said = text_of(&html, "#reduce-short").expect("the short day is named");
    assert!(
        said.contains("1 June 2027") && said.contains(" 7 ") && said.contains(" 8 "),
        "{said}"
    );
    assert!(
        html.contains("href=\"/account/users?filter=ended\""),
        "clean-up groups linked"
    );
    // Not before tomorrow.
    let res = reduce("1", "2027-05-10").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("id=\"starts_on-error\""));
    assert_eq!(
        license_portal::models::LicenseOrder::pending_quantity(&mut app.conn(), w.a.id).expect("q"),
        orders_before,
        "nothing was ordered"
    );
    // Two fewer fits: a pending reduction that says what it does.
    let res = reduce("2", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let id = crate::orders::id_of(&res);
    let (_, page) = app
        .get_html(&contact, &format!("/account/orders/{id}"))
        .await;
    assert_eq!(
        text_of(&page, "#order-effect").expect("effect"),
        "Removes 2 licenses for good from 1 June 2027: you will own 8 from then on."
    );
    // The API refuses the same too-large reduction with 422 on quantity.
    let t = crate::api::token(&app, "order", Some(w.a.id), Some("contact@alpha.example"));
    let refused = crate::api::order(&app, &t, "big", r#"{"quantity": 3, "kind": "reduce"}"#).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(refused.body["errors"][0]["field"], "quantity");
    // A viewer may not ask.
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, _) = app.get_html(&viewer, "/account/reduce-licenses").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_overview_lists_coming_changes_and_warns_14_days_before_licenses_end_short() {
    let (app, hand) = spawn_app_movable(at(2027, 8, 1, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 15)]);
    grant(&app, w.a.id, 10, "2027-08-01", Some("2027-08-31"));
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&contact, "/account").await;
    let doc = scraper::Html::parse_document(&html);
    let coming: Vec<(String, String)> = doc
        .select(&crate::helpers::sel("#coming-changes [data-day]"))
        .map(|e| {
            (
                e.value().attr("data-day").unwrap_or("").to_string(),
                e.value().attr("data-value").unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(coming, vec![("2027-09-01".to_string(), "10".to_string())]);
    assert!(
        text_of(&html, "#licenses-ending").is_none(),
        "a month ahead: no word yet"
    );
    // 15 days before 1 September (the last day is 31 August): not yet.
    *hand.lock().expect("hand") = at(2027, 8, 16, 10);
    let (_, html) = app.get_html(&contact, "/account").await;
    assert!(text_of(&html, "#licenses-ending").is_none());
    // 14 days before the last day: the notice, with both figures.
    *hand.lock().expect("hand") = at(2027, 8, 17, 10);
    let (_, html) = app.get_html(&contact, "/account").await;
    let said = text_of(&html, "#licenses-ending").expect("the notice");
    assert!(
        said.contains("31 August 2027") && said.contains(" 10 ") && said.contains(" 15 "),
        "{said}"
    );
    // Without the rows ahead on the account row (written by an older
    // version, say), they are read from the ledger: the same page.
    use diesel::connection::SimpleConnection;
    app.conn()
        .batch_execute("UPDATE accounts SET licenses_ahead = NULL")
        .expect("clear");
    let (_, again) = app.get_html(&contact, "/account").await;
    assert_eq!(
        text_of(&again, "#coming-changes"),
        text_of(&html, "#coming-changes")
    );
    assert_eq!(
        text_of(&again, "#licenses-ending"),
        text_of(&html, "#licenses-ending")
    );
    // An account with no change coming shows neither.
    let (_, html) = app
        .get_html(&app.client_for("contact@beta.example").await, "/account")
        .await;
    assert!(text_of(&html, "#coming-changes").is_none());
}

#[tokio::test]
async fn the_report_shows_the_days_licenses_and_the_first_short_day() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 8)]);
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app
        .get_html(&contact, "/account/reports/active-users")
        .await;
    assert_eq!(data_value(&html, "report-licenses"), Some(10));
    assert!(
        text_of(&html, "#short-from").is_none(),
        "10 licenses for 8 users"
    );
    // Staff may go below the users counted: 7 from 1 June.
    grant(&app, w.a.id, -3, "2027-06-01", None);
    let (_, html) = app
        .get_html(&contact, "/account/reports/active-users")
        .await;
    let doc = scraper::Html::parse_document(&html);
    let short = doc
        .select(&crate::helpers::sel("#short-from"))
        .next()
        .and_then(|e| e.value().attr("data-value").map(str::to_string));
    assert_eq!(short.as_deref(), Some("2027-06-01"));
    let line = doc
        .select(&crate::helpers::sel("svg#chart polyline.licenses"))
        .next()
        .and_then(|e| e.value().attr("points").map(str::to_string))
        .expect("the licenses line");
    let points: Vec<(i64, i64)> = line
        .split(' ')
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some((x.parse().ok()?, y.parse().ok()?))
        })
        .collect();
    let steps = points
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 < w[1].1)
        .count();
    assert_eq!(
        steps, 1,
        "one step down (y grows downward) on 1 June: {line}"
    );
    let (_, html) = app
        .get_html(&contact, "/account/reports/active-users?on=2027-06-15")
        .await;
    assert_eq!(
        data_value(&html, "report-licenses"),
        Some(7),
        "that day's figure"
    );
}

/// The licenses_ending mails written to an address.
fn ending_mails(app: &TestApp, to: &str) -> Vec<license_portal::models::outbox::OutboxMail> {
    license_portal::models::outbox::OutboxMail::to(&mut app.conn(), to)
        .expect("outbox")
        .into_iter()
        .filter(|m| m.kind.as_str() == "licenses_ending")
        .collect()
}

#[tokio::test]
async fn contacts_are_told_once_14_days_before_temporary_licenses_end() {
    let (app, hand) = spawn_app_movable(at(2027, 8, 1, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 15)]);
    grant(&app, w.a.id, 10, "2027-08-01", Some("2027-08-31"));
    let round = |app: &TestApp| {
        license_portal::maintenance::check_licenses(&mut app.conn(), &app.mail_ctx())
            .expect("round")
    };
    round(&app);
    assert!(
        ending_mails(&app, "contact@alpha.example").is_empty(),
        "a month ahead"
    );
    *hand.lock().expect("hand") = at(2027, 8, 17, 10);
    round(&app);
    round(&app);
    let mails = ending_mails(&app, "contact@alpha.example");
    assert_eq!(mails.len(), 1, "once per row");
    let body = &mails[0].body;
    for words in [
        "10 temporary licenses",
        "31 August 2027",
        "1 September 2027",
        "will own 10 licenses",
        "15 users",
        "5 too few",
        "/account/users?filter=counted",
        "/account/order-licenses",
    ] {
        assert!(body.contains(words), "{words:?} in {body}");
    }
    assert!(
        ending_mails(&app, "viewer@alpha.example").is_empty(),
        "contacts only"
    );
    // Granted later than 14 days before its end: told at once.
    grant(&app, w.a.id, 3, "2027-08-17", Some("2027-08-20"));
    assert_eq!(ending_mails(&app, "contact@alpha.example").len(), 2);
}

#[tokio::test]
async fn staff_grant_licenses_for_a_period_but_never_below_0_on_any_day() {
    let app = spawn_app_at(at(2027, 5, 10, 10)).await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let path = format!("/staff/accounts/{}/licenses", w.a.id);
    let res = app
        .post(
            &staff,
            &path,
            &[
                ("change", "+5"),
                ("reason", "trial"),
                ("starts_on", "2027-05-10"),
                ("ends_on", "2027-05-24"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.account(w.a.id).licenses, 15);
    let rows = LedgerRow::of_account(&mut app.conn(), w.a.id).expect("rows");
    assert_eq!(rows[0].ends_on, Some(day("2027-05-24")));
    // -12 from 1 June would leave 10 - 12 < 0: refused, nothing written.
    let res = app
        .post(
            &staff,
            &path,
            &[
                ("change", "-12"),
                ("reason", "too many"),
                ("starts_on", "2027-06-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        LedgerRow::of_account(&mut app.conn(), w.a.id)
            .expect("rows")
            .len(),
        2
    );
    // A bad period is named.
    let res = app
        .post(
            &staff,
            &path,
            &[
                ("change", "+1"),
                ("reason", "x"),
                ("starts_on", "2027-05-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .expect("body")
        .contains("id=\"period-error\""));
}

#[tokio::test]
async fn a_day_turning_below_the_users_counted_sends_the_over_licenses_mail() {
    let (app, hand) = spawn_app_movable(at(2027, 5, 10, 10)).await;
    let w = app.world();
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 12)]);
    grant(&app, w.a.id, 5, "2027-05-10", Some("2027-05-11"));
    let over = |app: &TestApp| {
        license_portal::models::outbox::OutboxMail::to(&mut app.conn(), "contact@alpha.example")
            .expect("outbox")
            .iter()
            .filter(|m| m.kind.as_str() == "over_licenses")
            .count()
    };
    assert_eq!(over(&app), 0, "15 licenses for 12 users");
    *hand.lock().expect("hand") = at(2027, 5, 12, 10);
    assert_eq!(
        ops::roll_days(&mut app.conn(), &app.mail_ctx()).expect("roll"),
        1
    );
    assert_eq!(app.account(w.a.id).licenses, 10);
    assert_eq!(over(&app), 1, "10 licenses for 12 users: told at the turn");
}

/// The ledger's migration gives every account that existed before it its
/// `initial` row (none for an account of 0), so that verify and the
/// licenses owned on any day agree from the first day on.
#[test]
fn accounts_from_before_the_ledger_get_their_initial_row_in_its_migration() {
    use diesel::connection::SimpleConnection;
    use license_portal::db;
    let test_db = crate::helpers::TestDb::new();
    let mut conn = db::connect(test_db.url()).expect("connect");
    let ran = db::run_migrations_before(&mut conn, "2026-12-05-000008").expect("older migrations");
    assert_eq!(ran, 7, "the seven migrations before the ledger's");
    conn.batch_execute(
        "INSERT INTO accounts (name, licenses, time_zone, created_at) VALUES \
         ('Older AB', 25, 'Europe/Stockholm', '2026-01-02 03:04:05'), \
         ('Empty AB', 0, 'Europe/Stockholm', '2026-01-02 03:04:05')",
    )
    .expect("an older portal's accounts");
    assert!(db::run_migrations(&mut conn).expect("the rest") >= 1);
    let older = LedgerRow::of_account(&mut conn, 1).expect("rows");
    assert_eq!(older.len(), 1, "{older:?}");
    assert_eq!(older[0].change, 25);
    assert_eq!(older[0].ends_on, None);
    assert_eq!(older[0].kind.as_str(), "initial");
    assert!(LedgerRow::of_account(&mut conn, 2)
        .expect("rows")
        .is_empty());
    let today = older[0].starts_on;
    assert_eq!(
        LedgerRow::owned_on(&mut conn, 1, today).expect("owned"),
        Some(25)
    );
    let found = license_portal::cli::verify::disagreements(&mut conn).expect("verify");
    assert!(found.is_empty(), "{found:?}");
}
