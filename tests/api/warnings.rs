//! Warnings before it is too late (issue 25, SPEC 14): the settings at
//! /account/alerts, the opt-out at /me, the `usage_threshold` and
//! `forecast_short` mails once per crossing and per first short day, the
//! overview's notices, and one mail per warning however many instances
//! check at once.

use chrono::Duration;
use license_portal::domain::ledger::Period;
use license_portal::domain::orders::OrderKind;
use license_portal::models::AuditEvent;
use license_portal::ops;
use reqwest::StatusCode;

use crate::helpers::{
    count_of, create_contact, fingerprint, location, outbox_of, spawn_app, text_of, TestApp,
};

/// Import `active` counted and `passive` uncounted users, numbered from 1
/// (the same numbers each time, so a later call changes them).
fn set_users(app: &TestApp, account: i64, active: usize, passive: usize) {
    let mut csv = String::from("employee_number,name,status,start_date,end_date\n");
    for i in 0..active + passive {
        let status = if i < active { "active" } else { "passive" };
        csv.push_str(&format!("W{i},User {i},{status},2024-01-01,\n"));
    }
    ops::import_users(
        &mut app.conn(),
        &app.mail_ctx(),
        None,
        account,
        "users.csv",
        csv.as_bytes(),
    )
    .expect("import");
}

#[tokio::test]
async fn the_alerts_page_has_its_defaults_a_contact_sets_them_and_a_viewer_only_reads() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let (status, html) = app.get_html(&contact, "/account/alerts").await;
    assert_eq!(status, StatusCode::OK);
    let value = |html: &str, id: &str| {
        crate::helpers::hidden_attr(html, &format!("#{id}"), "value").unwrap_or_default()
    };
    assert_eq!(value(&html, "threshold_percent"), "90");
    assert_eq!(value(&html, "look_ahead_days"), "30");

    let res = app
        .post(
            &contact,
            "/account/alerts",
            &[("threshold_percent", "75"), ("look_ahead_days", "60")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/account/alerts");
    let account = app.account(w.a.id);
    assert_eq!(
        (account.threshold_percent, account.look_ahead_days),
        (Some(75), 60)
    );
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "alerts_changed").expect("count"),
        1
    );

    // Empty turns the threshold off; 0 the look-ahead.
    let res = app
        .post(
            &contact,
            "/account/alerts",
            &[("threshold_percent", ""), ("look_ahead_days", "0")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let account = app.account(w.a.id);
    assert_eq!(
        (account.threshold_percent, account.look_ahead_days),
        (None, 0)
    );

    // Out of range: 422 naming each field, nothing changed.
    let before = fingerprint(&app);
    for (t, d, errors) in [
        ("0", "30", 1),
        ("101", "30", 1),
        ("90", "366", 1),
        ("ninety", "-1", 2),
        ("90", "", 1),
    ] {
        let res = app
            .post(
                &contact,
                "/account/alerts",
                &[("threshold_percent", t), ("look_ahead_days", d)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{t} {d}");
        let html = res.text().await.expect("body");
        assert_eq!(count_of(&html, ".field-error"), errors, "{t} {d}");
        assert_eq!(count_of(&html, "[aria-invalid=true]"), errors, "{t} {d}");
        assert_eq!(value(&html, "threshold_percent"), t, "as typed");
    }
    assert_eq!(fingerprint(&app), before);
    let account = app.account(w.a.id);
    assert_eq!(
        (account.threshold_percent, account.look_ahead_days),
        (None, 0)
    );

    // A viewer reads the settings and cannot change them.
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, html) = app.get_html(&viewer, "/account/alerts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#alerts-form"), 0);
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#look-ahead-value", "data-value").as_deref(),
        Some("0")
    );
    let res = app
        .post(
            &viewer,
            "/account/alerts",
            &[("threshold_percent", "50"), ("look_ahead_days", "10")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.account(w.a.id).threshold_percent, None);
    // Staff have no account page of their own here.
    let staff = app.client_for("staff@vendor.example").await;
    assert_eq!(
        app.get(&staff, "/account/alerts").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_usage_warning_goes_once_not_again_until_below_and_again_after_a_new_crossing() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id; // 10 licenses, threshold 90 by default
    let to = "contact@alpha.example";
    set_users(&app, a, 8, 4);
    assert!(
        outbox_of(&app, to, "usage_threshold").is_empty(),
        "8 of 10 is below 90 %"
    );
    let c = app.client_for(to).await;
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(count_of(&html, "#notice-usage-threshold"), 0);

    set_users(&app, a, 9, 3);
    let sent = outbox_of(&app, to, "usage_threshold");
    assert_eq!(sent.len(), 1, "9 of 10 reaches 90 %");
    assert!(sent[0].body.contains("90 %") && sent[0].body.contains("/account/alerts"));
    assert!(outbox_of(&app, "viewer@alpha.example", "usage_threshold").is_empty());
    assert!(outbox_of(&app, "contact@beta.example", "usage_threshold").is_empty());
    let (_, html) = app.get_html(&c, "/account").await;
    let notice = text_of(&html, "#notice-usage-threshold").expect("notice");
    assert!(notice.contains('9') && notice.contains("90 %"), "{notice}");

    // Saving the settings again, or lowering the threshold, tells nothing
    // new: the share has not crossed anything again.
    for threshold in ["90", "80"] {
        app.post(
            &c,
            "/account/alerts",
            &[("threshold_percent", threshold), ("look_ahead_days", "30")],
        )
        .await;
    }
    assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 1);
    app.post(
        &c,
        "/account/alerts",
        &[("threshold_percent", "90"), ("look_ahead_days", "30")],
    )
    .await;
    // Still at or above: no second mail, also not from the server's rounds.
    set_users(&app, a, 10, 2);
    license_portal::maintenance::check_licenses(&mut app.conn(), &app.mail_ctx()).expect("round");
    assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 1);
    // Below, then across again: a second mail.
    set_users(&app, a, 8, 4);
    assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 1);
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(count_of(&html, "#notice-usage-threshold"), 0);
    set_users(&app, a, 9, 3);
    assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 2);

    // An approved order lifts the licenses: below again (9 of 20), and a
    // threshold turned off warns of nothing.
    let staff_login = app.login("staff@vendor.example");
    let contact_login = app.login(to);
    let order = ops::place_order(
        &mut app.conn(),
        &app.mail_ctx(),
        &contact_login,
        a,
        &crate::helpers::adds(10),
        "more",
    )
    .expect("order");
    ops::approve_order(
        &mut app.conn(),
        &app.mail_ctx(),
        ops::Decider::staff(&staff_login),
        order.id,
        None,
    )
    .expect("approve");
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(count_of(&html, "#notice-usage-threshold"), 0);
    app.post(
        &c,
        "/account/alerts",
        &[("threshold_percent", ""), ("look_ahead_days", "30")],
    )
    .await;
    set_users(&app, a, 20, 0);
    assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 2, "off");
}

#[tokio::test]
async fn a_contact_who_turned_warnings_off_gets_none_while_another_contact_does() {
    let app = spawn_app().await;
    let w = app.world();
    create_contact(&app, "second@alpha.example", w.a.id);
    let first = app.client_for("contact@alpha.example").await;
    let (_, me) = app.get_html(&first, "/me").await;
    assert_eq!(count_of(&me, "#warnings-box[checked]"), 1, "on by default");
    // An unticked box sends nothing: off.
    let res = app.post(&first, "/me/warnings", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.get_html(&first, "/me").await;
    assert_eq!(count_of(&me, "#warnings-box"), 1);
    assert_eq!(count_of(&me, "#warnings-box[checked]"), 0);
    let before = fingerprint(&app);
    let res = app
        .post(&first, "/me/warnings", &[("warnings", "maybe")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fingerprint(&app), before);
    // A viewer has no warnings to turn off.
    let viewer = app.client_for("viewer@alpha.example").await;
    let (_, me) = app.get_html(&viewer, "/me").await;
    assert_eq!(count_of(&me, "#warnings-box"), 0);
    assert_eq!(
        app.post(&viewer, "/me/warnings", &[("warnings", "off")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    set_users(&app, w.a.id, 10, 0);
    assert!(outbox_of(&app, "contact@alpha.example", "usage_threshold").is_empty());
    assert_eq!(
        outbox_of(&app, "second@alpha.example", "usage_threshold").len(),
        1
    );
    // Over the licenses is not a warning: both hear of that.
    set_users(&app, w.a.id, 11, 0);
    assert_eq!(
        outbox_of(&app, "contact@alpha.example", "over_licenses").len(),
        1
    );
    // On again.
    let res = app
        .post(&first, "/me/warnings", &[("warnings", "on")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.get_html(&first, "/me").await;
    assert_eq!(count_of(&me, "#warnings-box[checked]"), 1);
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "warnings_by_mail_changed").expect("count"),
        2
    );
}

/// Place and approve an order of account `a` by its contact.
fn approved(app: &TestApp, a: i64, kind: OrderKind, quantity: i64, period: Period, key: &str) {
    let contact = app.login("contact@alpha.example");
    let input = ops::OrderInput {
        kind,
        quantity,
        period,
        ..Default::default()
    };
    let order = ops::place_order(&mut app.conn(), &app.mail_ctx(), &contact, a, &input, key)
        .expect("order");
    ops::approve_order(
        &mut app.conn(),
        &app.mail_ctx(),
        ops::Decider::staff(&app.login("staff@vendor.example")),
        order.id,
        None,
    )
    .expect("approve");
}

#[tokio::test]
async fn the_forecast_warning_names_the_first_short_day_and_why_once() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id;
    let to = "contact@alpha.example";
    let c = app.client_for(to).await;
    // No threshold mails in the way.
    app.post(
        &c,
        "/account/alerts",
        &[("threshold_percent", ""), ("look_ahead_days", "30")],
    )
    .await;
    let today = app.today();
    // 5 temporary licenses until today + 19, and a reduction by 1 from
    // today + 10: 15 owned now, 14 from day 10, 9 from day 20.
    approved(
        &app,
        a,
        OrderKind::Add,
        5,
        Period {
            starts_on: Some(today),
            ends_on: Some(today + Duration::days(19)),
        },
        "season",
    );
    approved(
        &app,
        a,
        OrderKind::Reduce,
        1,
        Period {
            starts_on: Some(today + Duration::days(10)),
            ends_on: None,
        },
        "cut",
    );
    assert!(
        outbox_of(&app, to, "forecast_short").is_empty(),
        "no users, no shortfall"
    );
    set_users(&app, a, 13, 0);
    let sent = outbox_of(&app, to, "forecast_short");
    assert_eq!(sent.len(), 1);
    let long = license_portal::i18n::Lang::En.long_date(today + Duration::days(20));
    assert!(sent[0].subject.contains(&long), "{}", sent[0].subject);
    assert!(sent[0].body.contains("13 users"), "{}", sent[0].body);
    assert!(sent[0].body.contains("only 9 licenses"), "{}", sent[0].body);
    assert!(
        sent[0].body.contains("5 temporary licenses end"),
        "{}",
        sent[0].body
    );
    let (_, html) = app.get_html(&c, "/account").await;
    let notice = text_of(&html, "#notice-forecast-short").expect("notice");
    assert!(notice.contains(&long), "{notice}");

    // The same first day: no second mail, from changes or rounds.
    set_users(&app, a, 12, 1);
    license_portal::maintenance::check_licenses(&mut app.conn(), &app.mail_ctx()).expect("round");
    assert_eq!(outbox_of(&app, to, "forecast_short").len(), 1);

    // 15 users: the reduction's first day is short now, an earlier first
    // short day, so a mail naming it and the reduction.
    set_users(&app, a, 15, 0);
    let sent = outbox_of(&app, to, "forecast_short");
    assert_eq!(
        sent.len(),
        2,
        "{:?}",
        sent.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let cut = license_portal::i18n::Lang::En.long_date(today + Duration::days(10));
    let newest = sent
        .iter()
        .find(|m| m.subject.contains(&cut))
        .expect("the new day");
    assert!(newest.body.contains("reduction of 1"), "{}", newest.body);

    // A look-ahead shorter than the first short day: no notice.
    app.post(
        &c,
        "/account/alerts",
        &[("threshold_percent", ""), ("look_ahead_days", "5")],
    )
    .await;
    let (_, html) = app.get_html(&c, "/account").await;
    assert_eq!(count_of(&html, "#notice-forecast-short"), 0);
    assert_eq!(outbox_of(&app, to, "forecast_short").len(), 2);
}

#[tokio::test]
async fn many_instances_checking_at_once_send_each_warning_once() {
    let app = spawn_app().await;
    let w = app.world();
    create_contact(&app, "second@alpha.example", w.a.id);
    // Users written past the checks (as by another instance mid-change):
    // the threshold is crossed and no one has been told.
    app.add_users(w.a.id, &[(crate::helpers::UserState::Counted, 9)]);
    let today = app.today();
    // A season ending in 5 days: 15 owned now, 10 from day 6.
    approved(
        &app,
        w.a.id,
        OrderKind::Add,
        5,
        Period {
            starts_on: Some(today),
            ends_on: Some(today + Duration::days(5)),
        },
        "season",
    );
    // 14 counted, written past the checks: 14 of 15 reach 90 %, and day 6
    // is short; no one has been told.
    for i in 0..5 {
        app.accounts_user(w.a.id, &format!("M{i}"), crate::helpers::UserState::Counted);
    }
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (pool, ctx) = (app.state.pool.clone(), app.mail_ctx());
        handles.push(std::thread::spawn(move || {
            let mut conn = pool.get().expect("conn");
            license_portal::maintenance::check_licenses(&mut conn, &ctx)
        }));
    }
    for h in handles {
        // A round that lost a race to the lock may fail; the others send.
        let _ = h.join().expect("thread");
    }
    for to in ["contact@alpha.example", "second@alpha.example"] {
        assert_eq!(outbox_of(&app, to, "usage_threshold").len(), 1, "{to}");
        assert_eq!(outbox_of(&app, to, "forecast_short").len(), 1, "{to}");
    }
}
