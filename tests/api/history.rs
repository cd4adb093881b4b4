//! History (SPEC 11, issue 14): every past day as it stood, with the
//! injected clock. The changes are made through `ops` at chosen instants
//! (what the page, the import and the API call), and read back through the
//! report page, its CSV, the API, the changes page and a user's history.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;

use crate::helpers::{client, count_of, data_value, spawn_app_at, with_conn, TestApp};
use license_portal::domain::counting::UserStatus;
use license_portal::domain::import::ImportRow;
use license_portal::mail::MailContext;
use license_portal::models::{Account, Login, User};
use license_portal::ops::{self, AccountInput, TokenInput};

fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"),
    )
}

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn at(app: &TestApp, when: &str) -> MailContext {
    MailContext {
        now: utc(when),
        ..app.mail_ctx()
    }
}

fn account(app: &TestApp, name: &str, tz: &str) -> Account {
    let input = AccountInput::parse(name, "10", tz).expect("input");
    ops::create_account(&mut app.conn(), None, &input, app.state.clock.now()).expect("account")
}

fn user_id(app: &TestApp, account: i64, number: &str) -> i64 {
    with_conn(app, |c| User::find_by_number(c, account, number))
        .expect("q")
        .expect("user")
        .id
}

/// The employee numbers a report page lists, and its count.
async fn report(
    app: &TestApp,
    c: &reqwest::Client,
    day: &str,
) -> (StatusCode, Option<i64>, Vec<String>) {
    let (status, html) = app
        .get_html(c, &format!("/account/reports/active-users?on={day}"))
        .await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("#report-users tr.user").expect("sel");
    let mut rows: Vec<String> = doc
        .select(&sel)
        .filter_map(|e| e.value().attr("data-employee-number").map(str::to_string))
        .collect();
    rows.sort();
    (status, data_value(&html, "report-active-users"), rows)
}

async fn csv_numbers(app: &TestApp, c: &reqwest::Client, day: &str) -> (StatusCode, Vec<String>) {
    let res = app
        .get(c, &format!("/account/reports/active-users.csv?on={day}"))
        .await;
    let status = res.status();
    let text = res.text().await.expect("csv");
    let mut rows: Vec<String> = text
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    rows.sort();
    (status, rows)
}

/// A timeline in Europe/Stockholm (UTC+1 in November), with "today" the
/// 10th: added by import on the 1st; U1 set passive at 23:30 local on the
/// 3rd; U2 given an end date (the 6th) at 00:30 local on the 4th; U4 added
/// by the API's sync on the 5th; U3 set passive by the sync on the 8th.
async fn timeline() -> (TestApp, Account, reqwest::Client, String) {
    let app = spawn_app_at(utc("2026-11-10 11:00")).await;
    let a = account(&app, "Timeline AB", "Europe/Stockholm");
    crate::helpers::create_contact(&app, "contact@timeline.example", a.id);
    let csv = "employee_number,name,status,start_date,end_date\nU1,Ulla,active,2026-01-01,\nU2,Urban,active,2026-01-01,\nU3,Ursula,active,2026-01-01,\n";
    ops::import_users(
        &mut app.conn(),
        &at(&app, "2026-11-01 09:00"),
        None,
        a.id,
        "first.csv",
        csv.as_bytes(),
    )
    .expect("import");
    let contact = with_conn(&app, |c| {
        Login::find_by_email(c, "contact@timeline.example")
    })
    .expect("q")
    .expect("login");
    let u1 = user_id(&app, a.id, "U1");
    ops::change_user(
        &mut app.conn(),
        &at(&app, "2026-11-03 22:30"),
        &contact,
        a.id,
        u1,
        UserStatus::Passive,
        None,
    )
    .expect("passive");
    let u2 = user_id(&app, a.id, "U2");
    ops::change_user(
        &mut app.conn(),
        &at(&app, "2026-11-03 23:30"),
        &contact,
        a.id,
        u2,
        UserStatus::Active,
        Some(d("2026-11-06")),
    )
    .expect("end date");
    let input = TokenInput::parse("wfm", "sync", Some(a.id), "", true).expect("input");
    let (token, _) = ops::create_api_token(&mut app.conn(), None, &input).expect("token");
    let rows = vec![ImportRow {
        line: 0,
        employee_number: "U4".into(),
        name: "Uno".into(),
        status: UserStatus::Active,
        start_date: d("2026-11-05"),
        end_date: None,
        unit: None,
    }];
    ops::sync_users(
        &mut app.conn(),
        &at(&app, "2026-11-05 10:00"),
        &token,
        a.id,
        &rows,
    )
    .expect("sync");
    // The API's sync changes U3 on the 8th: set passive.
    let rows = vec![ImportRow {
        line: 0,
        employee_number: "U3".into(),
        name: "Ursula".into(),
        status: UserStatus::Passive,
        start_date: d("2026-01-01"),
        end_date: None,
        unit: None,
    }];
    ops::sync_users(
        &mut app.conn(),
        &at(&app, "2026-11-08 10:00"),
        &token,
        a.id,
        &rows,
    )
    .expect("sync");
    let c = app.client_for("contact@timeline.example").await;
    (app, a, c, token.prefix)
}

#[tokio::test]
async fn each_past_day_lists_exactly_the_users_counted_at_its_end_and_the_csv_and_api_agree() {
    let (app, _a, c, _) = timeline().await;
    let expect: [(&str, &[&str]); 9] = [
        ("2026-11-01", &["U1", "U2", "U3"]),
        ("2026-11-02", &["U1", "U2", "U3"]),
        // 23:30 local on the 3rd: U1 is passive at the end of the 3rd.
        ("2026-11-03", &["U2", "U3"]),
        // 00:30 local on the 4th: U2's end date (the 6th) counts from the 4th.
        ("2026-11-04", &["U2", "U3"]),
        ("2026-11-05", &["U2", "U3", "U4"]),
        // The end date itself is the last counted day.
        ("2026-11-06", &["U2", "U3", "U4"]),
        ("2026-11-07", &["U3", "U4"]),
        ("2026-11-08", &["U4"]),
        // Yesterday, the last finished day.
        ("2026-11-09", &["U4"]),
    ];
    let read = {
        let contact = with_conn(&app, |c| {
            Login::find_by_email(c, "contact@timeline.example")
        })
        .expect("q")
        .expect("login");
        let input = TokenInput::parse("r", "read", contact.account_id, "", false).expect("input");
        ops::create_api_token(&mut app.conn(), Some(contact.id), &input)
            .expect("token")
            .1
    };
    for (day, users) in expect {
        let want: Vec<String> = users.iter().map(|s| s.to_string()).collect();
        let (status, count, rows) = report(&app, &c, day).await;
        assert_eq!(status, StatusCode::OK, "{day}");
        assert_eq!(count, Some(users.len() as i64), "{day}");
        assert_eq!(rows, want, "the page of {day}");
        let (status, csv) = csv_numbers(&app, &c, day).await;
        assert_eq!(status, StatusCode::OK, "{day}");
        assert_eq!(csv, want, "the CSV of {day} equals the page");
        let api = client()
            .get(app.url(&format!("/api/v1/reports/active-users?on={day}")))
            .bearer_auth(&read)
            .send()
            .await
            .expect("api");
        let body: serde_json::Value =
            serde_json::from_str(&api.text().await.expect("body")).expect("json");
        assert_eq!(body["active_users"], users.len() as i64, "the API of {day}");
        let mut numbers: Vec<String> = body["users"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["employee_number"].as_str().unwrap_or("").to_string())
            .collect();
        numbers.sort();
        assert_eq!(numbers, want, "the API's list of {day}");
    }
    // A day before any recorded history, without a snapshot: 422.
    let (status, count, rows) = report(&app, &c, "2026-10-31").await;
    assert_eq!(
        (status, count, rows.len()),
        (StatusCode::UNPROCESSABLE_ENTITY, None, 0)
    );
    let (status, _) = csv_numbers(&app, &c, "2026-10-31").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_changes_page_names_who_started_and_stopped_counting_and_why() {
    let (app, _a, c, _) = timeline().await;
    let (status, html) = app
        .get_html(&c, "/account/reports/changes?from=2026-11-01&to=2026-11-07")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data_value(&html, "changes-from-count"), Some(3));
    assert_eq!(data_value(&html, "changes-to-count"), Some(2));
    let why = |list: &str, number: &str| {
        crate::helpers::hidden_attr(
            &html,
            &format!("#{list} tr[data-employee-number='{number}']"),
            "data-why",
        )
    };
    assert_eq!(why("started", "U4").as_deref(), Some("added"));
    assert_eq!(why("stopped", "U1").as_deref(), Some("set-passive"));
    assert_eq!(why("stopped", "U2").as_deref(), Some("end-date-set"));
    assert_eq!(count_of(&html, "tr.change"), 3, "U3 did not change");
    // From the 6th to the 7th only U2's unchanged end date passed.
    let (_, html) = app
        .get_html(&c, "/account/reports/changes?from=2026-11-06&to=2026-11-07")
        .await;
    assert_eq!(count_of(&html, "tr.change"), 1);
    assert_eq!(
        crate::helpers::hidden_attr(&html, "#stopped tr[data-employee-number='U2']", "data-why")
            .as_deref(),
        Some("end-date-passed")
    );
    let (status, _) = app
        .get_html(&c, "/account/reports/changes?from=2026-11-07&to=2026-11-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .get_html(&c, "/account/reports/changes?from=2026-10-01&to=2026-11-01")
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before any history"
    );
    let (status, _) = app
        .get_html(&c, "/account/reports/changes?from=nonsense")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The report links to it.
    let (_, report) = app
        .get_html(&c, "/account/reports/active-users?on=2026-11-05")
        .await;
    assert_eq!(count_of(&report, "#changes-link"), 1);
}

#[tokio::test]
async fn a_users_history_page_shows_each_change_when_and_by_whom() {
    let (app, a, c, prefix) = timeline().await;
    let u2 = user_id(&app, a.id, "U2");
    let (status, html) = app.get_html(&c, &format!("/account/users/{u2}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#history tr.version"), 2);
    let by: Vec<String> = {
        let doc = scraper::Html::parse_document(&html);
        let sel = scraper::Selector::parse("#history td.by").expect("sel");
        doc.select(&sel)
            .map(|e| e.text().collect::<String>())
            .collect()
    };
    assert_eq!(by[0], "contact@timeline.example", "newest first");
    assert!(by[1].contains("first.csv"), "{}", by[1]);
    // Times are local: 23:30 UTC is 00:30 in Stockholm on the 4th.
    assert!(html.contains("2026-11-04 00:30"));
    let u4 = user_id(&app, a.id, "U4");
    let (_, html) = app.get_html(&c, &format!("/account/users/{u4}")).await;
    assert!(html.contains(&prefix), "the API token is named");
    let u3 = user_id(&app, a.id, "U3");
    let (_, html) = app.get_html(&c, &format!("/account/users/{u3}")).await;
    assert_eq!(
        count_of(&html, "#history tr.version"),
        2,
        "changed by the API"
    );
    // Another account's user is not found, as an unknown id.
    let other = account(&app, "Other AB", "Europe/Stockholm");
    app.add_users(other.id, &[(crate::helpers::UserState::Counted, 1)]);
    let theirs = user_id(&app, other.id, "C0");
    let (status, _) = app.get_html(&c, &format!("/account/users/{theirs}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The users list links to each user's page.
    let (_, list) = app.get_html(&c, "/account/users").await;
    assert_eq!(
        count_of(&list, &format!("a[href='/account/users/{u2}']")),
        1
    );
}

#[tokio::test]
async fn a_change_at_the_same_instant_falls_on_the_local_day_of_each_time_zone() {
    // 22:30 UTC on the 3rd is 23:30 on the 3rd in Stockholm and 11:30 on
    // the 4th in Auckland (UTC+13); 11:30 UTC on the 4th is 00:30 on the
    // 5th in Auckland.
    let app = spawn_app_at(utc("2026-11-10 11:00")).await;
    let csv = "employee_number,name,status,start_date,end_date\nZ1,Zed,active,2026-01-01,\nZ2,Zoe,active,2026-01-01,\n";
    let mut accounts = Vec::new();
    for (name, tz, email) in [
        ("Nord AB", "Europe/Stockholm", "c@nord.example"),
        ("Kiwi Ltd", "Pacific/Auckland", "c@kiwi.example"),
    ] {
        let a = account(&app, name, tz);
        crate::helpers::create_contact(&app, email, a.id);
        ops::import_users(
            &mut app.conn(),
            &at(&app, "2026-11-01 00:00"),
            None,
            a.id,
            "z.csv",
            csv.as_bytes(),
        )
        .expect("import");
        let contact = with_conn(&app, |c| Login::find_by_email(c, email))
            .expect("q")
            .expect("login");
        let z1 = user_id(&app, a.id, "Z1");
        ops::change_user(
            &mut app.conn(),
            &at(&app, "2026-11-03 22:30"),
            &contact,
            a.id,
            z1,
            UserStatus::Passive,
            None,
        )
        .expect("z1");
        let z2 = user_id(&app, a.id, "Z2");
        ops::change_user(
            &mut app.conn(),
            &at(&app, "2026-11-04 11:30"),
            &contact,
            a.id,
            z2,
            UserStatus::Passive,
            None,
        )
        .expect("z2");
        accounts.push((email, app.client_for(email).await));
    }
    let counts = |html: &str| data_value(html, "report-active-users");
    let (_, nord) = &accounts[0];
    let (_, kiwi) = &accounts[1];
    for (c, day, want) in [
        (nord, "2026-11-03", 1),
        (nord, "2026-11-04", 0),
        (kiwi, "2026-11-03", 2),
        (kiwi, "2026-11-04", 1),
        (kiwi, "2026-11-05", 0),
    ] {
        let (_, html) = app
            .get_html(c, &format!("/account/reports/active-users?on={day}"))
            .await;
        assert_eq!(counts(&html), Some(want), "{day}");
    }
}

/// Plant a row of `day` recorded mid-day with a wrong count (99), record
/// the snapshots of the 10th, and return what the row of `day` then holds.
fn rewritten_by_the_10ths_recording(app: &TestApp, a: &Account, day: &str) -> i64 {
    use license_portal::models::snapshot::Snapshot;
    with_conn(app, |c| {
        Snapshot::record(
            c,
            &Snapshot {
                account_id: a.id,
                day: d(day),
                active_users: 99,
                licenses: 10,
            },
        )
    })
    .expect("row");
    let account = app.account(a.id);
    let written = with_conn(app, |c| {
        license_portal::maintenance::record_snapshot(c, &account, utc("2026-11-10 11:00"))
    })
    .expect("record");
    assert!(written, "the 10th's first recording");
    with_conn(app, |c| Snapshot::find(c, a.id, d(day)))
        .expect("q")
        .expect("row")
        .active_users
}

#[tokio::test]
async fn the_first_snapshot_of_a_day_rewrites_the_day_before_from_history() {
    let (app, a, _c, _) = timeline().await;
    assert_eq!(
        rewritten_by_the_10ths_recording(&app, &a, "2026-11-09"),
        1,
        "U4 alone at the end of the 9th"
    );
}

#[tokio::test]
async fn after_days_without_the_portal_the_last_recorded_day_is_rewritten_from_history() {
    let (app, a, _c, _) = timeline().await;
    // The 6th was recorded mid-day; the portal then did not run until the 10th.
    assert_eq!(
        rewritten_by_the_10ths_recording(&app, &a, "2026-11-06"),
        3,
        "U2, U3 and U4 at the end of the 6th"
    );
}

#[tokio::test]
async fn verify_names_a_user_whose_history_disagrees_with_it() {
    let (app, a, _c, _) = timeline().await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_license-portal"))
            .arg("--database")
            .arg(app.db.cli_url())
            .arg("verify")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .expect("verify")
    };
    let healthy = run();
    assert!(
        healthy.status.success(),
        "{}",
        String::from_utf8_lossy(&healthy.stdout)
    );
    let u3 = user_id(&app, a.id, "U3");
    with_conn(&app, |c| {
        use diesel::prelude::*;
        use license_portal::db::schema::users;
        diesel::update(users::table.find(u3))
            .set(users::name.eq("Changed behind history"))
            .execute(c)
    })
    .expect("plant");
    let before = crate::helpers::fingerprint(&app);
    let damaged = run();
    assert_eq!(damaged.status.code(), Some(1));
    let out = String::from_utf8_lossy(&damaged.stdout);
    assert!(out.contains("user_versions") && out.contains("U3"), "{out}");
    assert_eq!(
        crate::helpers::fingerprint(&app),
        before,
        "verify changed nothing"
    );
}

#[tokio::test]
async fn a_change_stamped_before_the_current_version_began_never_overlaps_it() {
    // A writer that read the clock, then waited for the account's lock
    // behind a later one (or an instance whose clock is behind).
    let (app, a, _c, _) = timeline().await;
    let contact = with_conn(&app, |c| {
        Login::find_by_email(c, "contact@timeline.example")
    })
    .expect("q")
    .expect("login");
    let u2 = user_id(&app, a.id, "U2");
    ops::change_user(
        &mut app.conn(),
        &at(&app, "2026-11-02 00:00"),
        &contact,
        a.id,
        u2,
        UserStatus::Passive,
        None,
    )
    .expect("a late writer is not refused");
    let versions = with_conn(&app, |c| {
        let user = User::find_in_account(c, a.id, u2)?.expect("user");
        license_portal::models::user_version::UserVersion::of_user(c, &user)
    })
    .expect("versions");
    assert_eq!(versions.len(), 3);
    for pair in versions.windows(2) {
        assert_eq!(
            pair[0].valid_to,
            Some(pair[1].valid_from),
            "no gap, no overlap"
        );
    }
    assert_eq!(versions[2].valid_from, utc("2026-11-03 23:30").naive_utc());
    // An import that changes nothing writes no version.
    let csv = "employee_number,name,status,start_date,end_date\nU1,Ulla,passive,2026-01-01,\n";
    let before = with_conn(&app, |c| {
        let user = User::find_by_number(c, a.id, "U1")?.expect("user");
        license_portal::models::user_version::UserVersion::of_user(c, &user)
    })
    .expect("versions")
    .len();
    ops::import_users(
        &mut app.conn(),
        &at(&app, "2026-11-09 09:00"),
        None,
        a.id,
        "same.csv",
        csv.as_bytes(),
    )
    .expect("import");
    let after = with_conn(&app, |c| {
        let user = User::find_by_number(c, a.id, "U1")?.expect("user");
        license_portal::models::user_version::UserVersion::of_user(c, &user)
    })
    .expect("versions")
    .len();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_past_days_page_lists_its_users_by_name_as_todays_does() {
    let (app, _a, c, _) = timeline().await;
    let order = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        let sel = scraper::Selector::parse("#report-users tr.user").expect("sel");
        doc.select(&sel)
            .filter_map(|e| e.value().attr("data-employee-number").map(str::to_string))
            .collect()
    };
    // Uno (U4), Urban (U2), Ursula (U3): by name, not by employee number.
    let (_, html) = app
        .get_html(&c, "/account/reports/active-users?on=2026-11-05")
        .await;
    assert_eq!(order(&html), ["U4", "U2", "U3"]);
    let (_, html) = app.get_html(&c, "/account/reports/active-users").await;
    assert_eq!(order(&html), ["U4"], "today's page");
}
