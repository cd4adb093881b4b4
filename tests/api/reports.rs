//! Who is counted: users, the report, the CSV, snapshots (issue 5).

use chrono::{NaiveDate, TimeZone, Utc};
use license_portal::domain::counting::{is_counted, user_group, UserGroup, UserStatus};
use license_portal::maintenance;
use license_portal::models::snapshot::Snapshot;
use license_portal::models::user::UserFilter;
use license_portal::models::{Account, AuditEvent, User};
use reqwest::StatusCode;

use crate::helpers::{count_of, data_value, location, spawn_app, spawn_app_at, TestApp};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

/// 2026-06-15 10:00 UTC: noon in Stockholm.
fn noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 15, 10, 0, 0)
        .single()
        .expect("time")
}

/// Users in every state on 2026-06-15.
fn people(app: &TestApp, account: i64) {
    app.add_user(account, "C1", UserStatus::Active, "2020-01-01", None);
    app.add_user(
        account,
        "C2",
        UserStatus::Active,
        "2020-01-01",
        Some("2026-06-15"),
    );
    app.add_user(
        account,
        "C3",
        UserStatus::Active,
        "2020-01-01",
        Some("2026-06-20"),
    );
    app.add_user(account, "C4", UserStatus::Active, "2026-07-01", None);
    app.add_user(
        account,
        "C5",
        UserStatus::Active,
        "2020-01-01",
        Some("2026-09-01"),
    );
    app.add_user(
        account,
        "=HYPERLINK(\"x\")",
        UserStatus::Active,
        "2020-01-01",
        None,
    );
    app.add_user(
        account,
        "N1",
        UserStatus::Active,
        "2020-01-01",
        Some("2026-06-14"),
    );
    app.add_user(account, "N2", UserStatus::Passive, "2020-01-01", None);
    app.add_user(
        account,
        "N3",
        UserStatus::Passive,
        "2027-01-01",
        Some("2027-02-01"),
    );
}

#[tokio::test]
async fn the_csv_header_is_exact_and_its_rows_are_exactly_the_counted_users() {
    let app = spawn_app_at(noon()).await;
    let w = app.world();
    people(&app, w.a.id);
    app.add_user(w.b.id, "OTHER", UserStatus::Active, "2020-01-01", None);
    let c = app.client_for("viewer@alpha.example").await;
    let res = app.get(&c, "/account/reports/active-users.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .starts_with("text/csv"));
    let body = res.text().await.expect("body");
    let body = body.strip_prefix('\u{feff}').unwrap_or(&body);
    let mut lines = body.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("employee_number,name,status,start_date,end_date,unit")
    );
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let numbers: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[0].to_string())
        .collect();
    let mut expected = vec!["'=HYPERLINK(\"x\")", "C1", "C2", "C3", "C4", "C5"];
    expected.sort();
    let mut got: Vec<&str> = numbers.iter().map(String::as_str).collect();
    got.sort();
    assert_eq!(got, expected);
    // The same set as the report's count.
    let (_, html) = app.get_html(&c, "/account/reports/active-users").await;
    assert_eq!(data_value(&html, "report-active-users"), Some(6));
}

#[tokio::test]
async fn a_report_for_a_later_day_drops_users_whose_end_date_falls_before_it() {
    let app = spawn_app_at(noon()).await;
    let w = app.world();
    people(&app, w.a.id);
    let c = app.client_for("contact@alpha.example").await;
    for (on, expected) in [
        ("2026-06-15", 6),
        ("2026-06-16", 5),
        ("2026-06-21", 4),
        ("2026-09-01", 4),
        ("2026-09-02", 3),
    ] {
        let (status, html) = app
            .get_html(&c, &format!("/account/reports/active-users?on={on}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{on}");
        assert_eq!(
            data_value(&html, "report-active-users"),
            Some(expected),
            "{on}"
        );
        assert_eq!(
            count_of(&html, "#report-users tr.user"),
            expected as usize,
            "{on}"
        );
    }
    let res = app
        .get(&c, "/account/reports/active-users.csv?on=2026-06-21")
        .await;
    let body = res.text().await.expect("csv");
    assert!(!body.contains("C2") && !body.contains("C3") && body.contains("C5"));
    assert_eq!(
        count_of(
            &app.get_html(&c, "/account/reports/active-users").await.1,
            "svg#chart polyline.forecast"
        ),
        1
    );
}

#[tokio::test]
async fn a_past_day_answers_from_its_snapshot_or_says_no_record_exists() {
    let app = spawn_app_at(noon()).await;
    let w = app.world();
    people(&app, w.a.id);
    Snapshot::record(
        &mut app.conn(),
        &Snapshot {
            account_id: w.a.id,
            day: day("2026-05-01"),
            active_users: 42,
            licenses: 10,
        },
    )
    .expect("snapshot");
    let c = app.client_for("contact@alpha.example").await;
    let (status, html) = app
        .get_html(&c, "/account/reports/active-users?on=2026-05-01")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data_value(&html, "report-active-users"), Some(42));
    let (status, html) = app
        .get_html(&c, "/account/reports/active-users?on=2026-05-02")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count_of(&html, "#no-record"), 1);
    assert_eq!(
        app.get(&c, "/account/reports/active-users.csv?on=2026-05-02")
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for bad in ["2026-13-01", "yesterday", "2026-5-1"] {
        assert_eq!(
            app.get(&c, &format!("/account/reports/active-users?on={bad}"))
                .await
                .status(),
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    // Viewing the report recorded today's snapshot.
    let today = Snapshot::find(&mut app.conn(), w.a.id, day("2026-06-15"))
        .expect("q")
        .expect("today's row");
    assert_eq!((today.active_users, today.licenses), (6, 10));
}

#[tokio::test]
async fn the_users_filters_return_the_right_people() {
    let app = spawn_app_at(noon()).await;
    let w = app.world();
    people(&app, w.a.id);
    let c = app.client_for("viewer@alpha.example").await;
    let numbers = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        let mut v: Vec<String> = doc
            .select(&crate::helpers::sel("#users tr.user"))
            .filter_map(|r| r.value().attr("data-employee-number").map(str::to_string))
            .collect();
        v.sort();
        v
    };
    for (filter, expected) in [
        ("passive", vec!["N2", "N3"]),
        ("ended", vec!["N1"]),
        ("ending-soon", vec!["C2", "C3"]),
        ("future-start", vec!["C4"]),
        (
            "counted",
            vec!["=HYPERLINK(\"x\")", "C1", "C2", "C3", "C4", "C5"],
        ),
    ] {
        let (status, html) = app
            .get_html(&c, &format!("/account/users?filter={filter}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{filter}");
        assert_eq!(numbers(&html), expected, "{filter}");
    }
    let (_, html) = app.get_html(&c, "/account/users?filter=all&q=c3").await;
    assert_eq!(numbers(&html), vec!["C3"]);
    let (_, html) = app.get_html(&c, "/account/users?filter=all&q=%25").await;
    assert_eq!(
        numbers(&html),
        Vec::<String>::new(),
        "a % is searched for, not a wildcard"
    );
    assert_eq!(
        app.get(&c, "/account/users?filter=nonsense").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&c, "/account/users?page=0").await.status(),
        StatusCode::BAD_REQUEST
    );
    // The viewer sees no change forms.
    let (_, html) = app.get_html(&c, "/account/users").await;
    assert_eq!(count_of(&html, "form.user-edit"), 0);
}

#[tokio::test]
async fn the_users_list_has_fifty_a_page() {
    let app = spawn_app().await;
    let w = app.world();
    for i in 0..120 {
        app.add_user(
            w.a.id,
            &format!("U{i:03}"),
            UserStatus::Active,
            "2020-01-01",
            None,
        );
    }
    let c = app.client_for("viewer@alpha.example").await;
    let (_, first) = app.get_html(&c, "/account/users").await;
    assert_eq!(count_of(&first, "#users tr.user"), 50);
    assert_eq!(data_value(&first, "users-total"), Some(120));
    let (_, last) = app.get_html(&c, "/account/users?page=3").await;
    assert_eq!(count_of(&last, "#users tr.user"), 20);
    assert_eq!(count_of(&last, "a[rel=next]"), 0);
}

#[tokio::test]
async fn setting_a_user_passive_changes_the_overview_at_once_and_is_audited() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_user(w.a.id, "E1", UserStatus::Active, "2020-01-01", None);
    app.add_user(w.a.id, "E2", UserStatus::Active, "2020-01-01", None);
    let id = User::find_by_number(&mut app.conn(), w.a.id, "E1")
        .expect("q")
        .expect("E1")
        .id;
    let contact = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&contact, "/account").await;
    assert_eq!(data_value(&html, "active-users"), Some(2));

    let viewer = app.client_for("viewer@alpha.example").await;
    let res = app
        .post(
            &viewer,
            &format!("/account/users/{id}"),
            &[("status", "passive"), ("end_date", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = app
        .post(
            &contact,
            &format!("/account/users/{id}"),
            &[
                ("status", "passive"),
                ("end_date", ""),
                ("back", "/account/users?filter=counted"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(res.headers()), "/account/users?filter=counted");
    let (_, html) = app.get_html(&contact, "/account").await;
    assert_eq!(data_value(&html, "active-users"), Some(1));
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "user_changed").expect("count"),
        1
    );

    // Bad values: 422, nothing changed.
    for (status, end) in [
        ("sleeping", ""),
        ("active", "2026-02-30"),
        ("active", "2019-01-01"),
    ] {
        let res = app
            .post(
                &contact,
                &format!("/account/users/{id}"),
                &[("status", status), ("end_date", end)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{status} {end}"
        );
    }
    assert_eq!(
        AuditEvent::count_kind(&mut app.conn(), "user_changed").expect("count"),
        1
    );
    // Another account's user is a 404.
    let beta = app.client_for("contact@beta.example").await;
    let res = app
        .post(
            &beta,
            &format!("/account/users/{id}"),
            &[("status", "active"), ("end_date", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_concurrent_snapshot_recordings_for_one_day_leave_one_row() {
    let app = spawn_app().await;
    let w = app.world();
    app.add_user(w.a.id, "E1", UserStatus::Active, "2020-01-01", None);
    let now = Utc::now();
    let mut threads = Vec::new();
    for _ in 0..8 {
        let pool = app.state.pool.clone();
        let account: Account = w.a.clone();
        threads.push(std::thread::spawn(move || {
            let mut conn = pool.get().expect("conn");
            maintenance::record_snapshot(&mut conn, &account, now).expect("no error when racing")
        }));
    }
    let written = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .filter(|w| *w)
        .count();
    assert!(written <= 1);
    assert_eq!(
        Snapshot::count_for(&mut app.conn(), w.a.id, w.a.today(now)).expect("count"),
        1
    );
    // Direct inserts of the same day race too, and still leave one row.
    let row = Snapshot {
        account_id: w.a.id,
        day: day("2026-01-01"),
        active_users: 1,
        licenses: 10,
    };
    assert!(Snapshot::record(&mut app.conn(), &row).expect("first"));
    assert!(!Snapshot::record(&mut app.conn(), &row).expect("second"));
}

#[tokio::test]
async fn the_sql_count_agrees_with_the_rule_on_every_day() {
    let app = spawn_app().await;
    let w = app.world();
    let dates = ["2026-01-01", "2026-01-15", "2026-02-01", "2026-03-01"];
    let mut n = 0;
    let mut all = Vec::new();
    for status in [UserStatus::Active, UserStatus::Passive] {
        for start in dates {
            for end in [
                None,
                Some("2026-01-15"),
                Some("2026-02-01"),
                Some("2026-03-31"),
            ] {
                if end.is_some_and(|e| e < start) {
                    continue;
                }
                n += 1;
                app.add_user(w.a.id, &format!("R{n}"), status, start, end);
                all.push((status, day(start), end.map(day)));
            }
        }
    }
    let probes = [
        "2025-12-31",
        "2026-01-01",
        "2026-01-15",
        "2026-01-16",
        "2026-02-01",
        "2026-02-02",
        "2026-03-31",
        "2026-04-01",
    ];
    let check = |all: &[(UserStatus, NaiveDate, Option<NaiveDate>)], when: &str| {
        for probe in probes {
            let probe = day(probe);
            let sql = User::count_counted(&mut app.conn(), w.a.id, probe).expect("count");
            let rule = all
                .iter()
                .filter(|(s, st, e)| is_counted(*s, *st, *e, probe))
                .count() as i64;
            assert_eq!(sql, rule, "{when}: {probe}");
            let (_, listed) = User::page(
                &mut app.conn(),
                w.a.id,
                &license_portal::models::user::UserSearch::only(UserFilter::Counted),
                probe,
                0,
                1,
            )
            .expect("page");
            assert_eq!(listed, rule, "{when}: {probe} list total");
            for group in UserGroup::ALL {
                let (_, total) = User::page(
                    &mut app.conn(),
                    w.a.id,
                    &license_portal::models::user::UserSearch::only(UserFilter::Group(group)),
                    probe,
                    0,
                    1000,
                )
                .expect("page");
                let rule = all
                    .iter()
                    .filter(|(s, st, e)| user_group(*s, *st, *e, probe) == Some(group))
                    .count() as i64;
                assert_eq!(total, rule, "{when}: {probe} {group:?}");
            }
        }
    };
    check(&all, "after inserts");

    // Change users every way the portal can: status, end date, both, and
    // an import that rewrites a row; the kept counts must follow.
    let users = User::page(
        &mut app.conn(),
        w.a.id,
        &license_portal::models::user::UserSearch::only(UserFilter::All),
        day("2026-01-01"),
        0,
        1000,
    )
    .expect("page")
    .0;
    for (i, u) in users.iter().enumerate() {
        let idx: usize = u.employee_number[1..].parse::<usize>().expect("number") - 1;
        let (status, start, end) = all[idx];
        let (new_status, new_end) = match i % 4 {
            0 => (
                if status == UserStatus::Active {
                    UserStatus::Passive
                } else {
                    UserStatus::Active
                },
                end,
            ),
            1 => (status, None),
            2 => (status, Some(day("2026-03-31")).filter(|e| *e >= start)),
            _ => continue,
        };
        User::set_status_and_end(&mut app.conn(), u.id, new_status, new_end).expect("update");
        all[idx] = (new_status, start, new_end);
    }
    check(&all, "after changes");
    let csv = "employee_number,name,status,start_date,end_date\nR1,Renamed,passive,2026-01-01,\nR99,New,active,2026-01-01,2026-02-01\n";
    license_portal::ops::import_users(
        &mut app.conn(),
        &app.mail_ctx(),
        None,
        w.a.id,
        "users.csv",
        csv.as_bytes(),
    )
    .expect("import");
    all[0] = (UserStatus::Passive, day("2026-01-01"), None);
    all.push((
        UserStatus::Active,
        day("2026-01-01"),
        Some(day("2026-02-01")),
    ));
    check(&all, "after an import");
}

#[tokio::test]
async fn today_is_the_accounts_date_not_the_servers() {
    // 10:30 UTC on 2026-11-28 is the 29th in Kiritimati and the 27th in Pago Pago.
    let now = Utc
        .with_ymd_and_hms(2026, 11, 28, 10, 30, 0)
        .single()
        .expect("time");
    let app = spawn_app_at(now).await;
    let staff_login = app.create_login("staff@vendor.example", "staff", None);
    let _ = staff_login;
    let mut ids = Vec::new();
    for zone in ["Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let input = license_portal::ops::AccountInput::parse(zone, "5", zone).expect("input");
        let account = license_portal::ops::create_account(
            &mut app.conn(),
            None,
            &input,
            app.state.clock.now(),
        )
        .expect("account");
        app.add_user(
            account.id,
            "LAST-DAY-28",
            UserStatus::Active,
            "2020-01-01",
            Some("2026-11-28"),
        );
        app.create_login(
            &format!("c{}@x.example", account.id),
            "contact",
            Some(account.id),
        );
        ids.push(account.id);
    }
    let mut counts = Vec::new();
    for id in &ids {
        let c = app.client_for(&format!("c{id}@x.example")).await;
        let (_, html) = app.get_html(&c, "/account").await;
        counts.push(data_value(&html, "active-users"));
    }
    assert_eq!(counts, vec![Some(0), Some(1)]);
}

#[tokio::test]
async fn staff_import_users_from_an_upload_with_the_command_lines_rules() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let token = app.csrf(&staff).await;
    let upload = |body: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf_token", token.clone())
            .part(
                "file",
                reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name("users.csv"),
            )
    };
    let path = app.url(&format!("/staff/accounts/{}/import", w.a.id));
    let bad = "employee_number,name,status,start_date,end_date\nE1,Anna,active,2024-01-01,\nE2,Bo,active,2024-02-30,\n";
    let res = staff
        .post(&path)
        .multipart(upload(bad))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(crate::helpers::text_of(&html, "#import-error")
        .expect("error")
        .contains("line 3, field start_date"));
    // A Swedish-speaking staff member reads it in Swedish.
    let sv = app.client_for("staff@vendor.example").await;
    let res = app
        .post(&sv, "/language", &[("lang", "sv"), ("back", "/")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let sv_token = app.csrf(&sv).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", sv_token)
        .part(
            "file",
            reqwest::multipart::Part::bytes(bad.as_bytes().to_vec()).file_name("users.csv"),
        );
    let res = sv.post(&path).multipart(form).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    let said = crate::helpers::text_of(&html, "#import-error").expect("error");
    assert!(
        said.contains(
            "rad 3, fält start_date: \"2024-02-30\" är inte ett datum på formen ÅÅÅÅ-MM-DD"
        ),
        "{said}"
    );
    assert!(!said.contains("line 3"), "{said}");
    assert_eq!(
        User::count_counted(&mut app.conn(), w.a.id, day("2026-01-01")).expect("count"),
        0
    );

    let good = "employee_number,name,status,start_date,end_date\nE1,Anna,active,2024-01-01,\nE2,Bo,passive,2024-02-01,\n";
    let res = staff
        .post(&path)
        .multipart(upload(good))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        User::count_counted(&mut app.conn(), w.a.id, day("2026-01-01")).expect("count"),
        1
    );

    // A browser's boundary has capitals; it must survive the guard.
    let boundary = "----WebKitFormBoundaryAbC123xYz";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.csv\"\r\nContent-Type: text/csv\r\n\r\nemployee_number,name,status,start_date,end_date\nE3,Cia,active,2024-01-01,\n\r\n--{boundary}--\r\n"
    );
    let res = staff
        .post(&path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        User::count_counted(&mut app.conn(), w.a.id, day("2026-01-01")).expect("count"),
        2
    );

    // Without the token the upload is refused like every other POST.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(good.as_bytes().to_vec()).file_name("u.csv"),
    );
    assert_eq!(
        staff
            .post(&path)
            .multipart(form)
            .send()
            .await
            .expect("POST")
            .status(),
        StatusCode::FORBIDDEN
    );
    // A contact may not import.
    let contact = app.client_for("contact@alpha.example").await;
    let ctoken = app.csrf(&contact).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", ctoken)
        .part(
            "file",
            reqwest::multipart::Part::bytes(good.as_bytes().to_vec()).file_name("u.csv"),
        );
    assert_eq!(
        contact
            .post(&path)
            .multipart(form)
            .send()
            .await
            .expect("POST")
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_csv_of_a_past_day_is_refused_and_search_knows_swedish_letters() {
    let app = spawn_app_at(noon()).await;
    let w = app.world();
    let c = app.client_for("contact@alpha.example").await;
    Snapshot::record(
        &mut app.conn(),
        &Snapshot {
            account_id: w.a.id,
            day: day("2026-05-01"),
            active_users: 4,
            licenses: 10,
        },
    )
    .expect("snapshot");
    let res = app
        .get(&c, "/account/reports/active-users.csv?on=2026-05-01")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .contains("csv"));

    let csv = "employee_number,name,status,start_date,end_date\nÅ1,Åsa Öster,active,2024-01-01,\nB2,Bo Berg,active,2024-01-01,\n";
    license_portal::ops::import_users(
        &mut app.conn(),
        &app.mail_ctx(),
        None,
        w.a.id,
        "users.csv",
        csv.as_bytes(),
    )
    .expect("import");
    for q in ["åsa", "ÅSA", "Åsa", "öster", "ÖSTER", "å1"] {
        let (_, html) = app
            .get_html(
                &c,
                &format!("/account/users?q={}", crate::helpers::encode(q)),
            )
            .await;
        assert_eq!(count_of(&html, "#users tr.user"), 1, "{q}");
    }
}
