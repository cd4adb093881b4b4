//! Units (issue 25, SPEC 14): a user's store, site or department, from
//! the import and the sync, on the users list, the report's table by unit
//! (today and as it stood on a past day), the CSV and the API.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{call, get, token};
use crate::helpers::{
    client, count_of, fingerprint, spawn_app, spawn_app_at, with_conn, TestApp, UserState,
};
use license_portal::cli::verify;
use license_portal::models::User;

fn utc(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(
        &chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time"),
    )
}

/// The unit of the user with this employee number.
fn unit_of(app: &TestApp, account: i64, number: &str) -> Option<String> {
    with_conn(app, |c| User::find_by_number(c, account, number))
        .expect("query")
        .expect("user")
        .unit
}

fn import(app: &TestApp, account: i64, csv: &str) -> Result<(), String> {
    license_portal::ops::import_users(
        &mut app.conn(),
        &app.mail_ctx(),
        None,
        account,
        "users.csv",
        csv.as_bytes(),
    )
    .map(|_| ())
    .map_err(|e| format!("{e:?}"))
}

/// The report's table by unit: (data-unit, data-value) of each line.
fn unit_counts(html: &str) -> Vec<(String, i64)> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(".unit-count").expect("selector");
    doc.select(&sel)
        .map(|e| {
            let v = e.value();
            (
                v.attr("data-unit").unwrap_or("?").to_string(),
                v.attr("data-value")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(-1),
            )
        })
        .collect()
}

/// The employee numbers a users list shows.
fn numbers(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("#users tr.user").expect("selector");
    let mut out: Vec<String> = doc
        .select(&sel)
        .filter_map(|e| e.value().attr("data-employee-number").map(str::to_string))
        .collect();
    out.sort();
    out
}

fn no_disagreement(app: &TestApp) {
    let found = verify::disagreements(&mut app.conn()).expect("verify");
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn the_import_sets_units_a_file_without_the_column_leaves_them_and_an_empty_cell_clears() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id;
    import(
        &app,
        a,
        "employee_number,name,status,start_date,end_date,unit\n\
         E1,Anna,active,2024-01-01,,Store 1\nE2,Bo,active,2024-01-01,,Store 2\nE3,Cia,passive,2024-01-01,,\n",
    )
    .expect("import");
    assert_eq!(unit_of(&app, a, "E1").as_deref(), Some("Store 1"));
    assert_eq!(unit_of(&app, a, "E3"), None);
    // No unit column: the units stay.
    import(
        &app,
        a,
        "employee_number,name,status,start_date,end_date\nE1,Anna Berg,active,2024-01-01,\n",
    )
    .expect("import");
    assert_eq!(unit_of(&app, a, "E1").as_deref(), Some("Store 1"));
    // An empty cell clears; the column may stand anywhere.
    import(
        &app,
        a,
        "unit,employee_number,name,status,start_date,end_date\n,E1,Anna Berg,active,2024-01-01,\n",
    )
    .expect("import");
    assert_eq!(unit_of(&app, a, "E1"), None);
    assert_eq!(unit_of(&app, a, "E2").as_deref(), Some("Store 2"));
    no_disagreement(&app);

    // A unit over 100 characters names its line and field and writes nothing.
    let before = fingerprint(&app);
    let long = "x".repeat(101);
    let err = import(
        &app,
        a,
        &format!(
            "employee_number,name,status,start_date,end_date,unit\nE1,Anna,active,2024-01-01,,ok\nE2,Bo,active,2024-01-01,,{long}\n"
        ),
    )
    .expect_err("too long");
    assert!(err.contains("line: 3") && err.contains("\"unit\""), "{err}");
    assert_eq!(fingerprint(&app), before);
    assert_eq!(unit_of(&app, a, "E1"), None, "all rows or none");

    // The staff import page says so in the reader's words.
    let staff = app.client_for("staff@vendor.example").await;
    let csv =
        "employee_number,name,status,start_date,end_date,unit\nE9,Nio,active,2024-01-01,,A\u{7}B\n"
            .to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", app.csrf(&staff).await)
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("u.csv"),
        );
    let res = staff
        .post(app.url(&format!("/staff/accounts/{a}/import")))
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(
        html.contains("unit") && html.contains('2'),
        "line and field named"
    );
    assert_eq!(fingerprint(&app), before);
}

#[tokio::test]
async fn the_sync_sets_units_a_missing_field_leaves_them_and_null_or_empty_clears() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id;
    let sync = token(&app, "sync", Some(a), None);
    let path = format!("/api/v1/accounts/{a}/users");
    let put = |users: Value| {
        let (app, path, sync) = (&app, path.clone(), sync.clone());
        async move {
            call(
                app,
                &client(),
                "PUT",
                &path,
                Some(&sync),
                &[],
                Some(&json!({ "users": users }).to_string()),
            )
            .await
        }
    };
    let user = |n: &str, unit: Option<Value>| {
        let mut u = json!({"employee_number": n, "name": format!("User {n}"), "status": "active", "start_date": "2024-01-01", "end_date": null});
        if let Some(unit) = unit {
            u["unit"] = unit;
        }
        u
    };
    let r = put(json!([
        user("S1", Some(json!("Store A"))),
        user("S2", Some(json!("Store B"))),
        user("S3", Some(json!("Store B"))),
        user("S4", None)
    ]))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["created"], 4);
    assert_eq!(unit_of(&app, a, "S2").as_deref(), Some("Store B"));
    assert_eq!(unit_of(&app, a, "S4"), None);
    // Absent leaves; null clears; "" clears; a new unit is a change.
    let r = put(json!([
        user("S1", None),
        user("S2", Some(Value::Null)),
        user("S3", Some(json!(""))),
        user("S4", Some(json!("  Store C  ")))
    ]))
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["updated"].as_i64(), r.body["unchanged"].as_i64()),
        (Some(3), Some(1))
    );
    assert_eq!(unit_of(&app, a, "S1").as_deref(), Some("Store A"));
    assert_eq!(unit_of(&app, a, "S2"), None);
    assert_eq!(unit_of(&app, a, "S3"), None);
    assert_eq!(unit_of(&app, a, "S4").as_deref(), Some("Store C"));
    no_disagreement(&app);

    // A unit that is not text, too long or with a control character is
    // named by index and field; nothing is written.
    let before = fingerprint(&app);
    for (bad, problem) in [
        (json!(7), "not text"),
        (json!("y".repeat(101)), "too long"),
        (json!("A\nB"), "control"),
    ] {
        let r = put(json!([
            user("S1", Some(json!("Store Z"))),
            user("S2", Some(bad))
        ]))
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let errors = r.body["errors"].as_array().expect("errors");
        assert_eq!(errors[0]["field"], "unit", "{problem}: {:?}", r.body);
        assert_eq!(errors[0]["index"], 1, "{problem}");
        assert_eq!(fingerprint(&app), before, "{problem}");
        assert_eq!(unit_of(&app, a, "S1").as_deref(), Some("Store A"));
    }

    // The API's users carry the unit, and filter by it.
    let read = token(&app, "read", Some(a), Some("contact@alpha.example"));
    let list = get(&app, "/api/v1/users?unit=Store%20A", &read).await;
    assert_eq!(list.status, StatusCode::OK);
    let users = list.body["users"].as_array().expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["unit"], "Store A");
    let all = get(&app, "/api/v1/users", &read).await;
    let s2 = all.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["employee_number"] == "S2")
        .expect("S2")
        .clone();
    assert_eq!(s2["unit"], Value::Null);
}

#[tokio::test]
async fn the_users_list_shows_units_and_filters_by_one_or_by_none() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id;
    import(
        &app,
        a,
        "employee_number,name,status,start_date,end_date,unit\n\
         U1,Anna,active,2024-01-01,,Store Ö\nU2,Bo,passive,2024-01-01,,Store Ö\n\
         U3,Cia,active,2024-01-01,,Store 2\nU4,Dan,active,2024-01-01,,\n",
    )
    .expect("import");
    let c = app.client_for("viewer@alpha.example").await;
    let (status, html) = app.get_html(&c, "/account/users").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&html, "#users td.unit"), 4);
    assert!(html.contains("Store Ö"));
    let (_, html) = app
        .get_html(&c, "/account/users?filter=all&unit=Store%20%C3%96")
        .await;
    assert_eq!(numbers(&html), ["U1", "U2"]);
    assert_eq!(count_of(&html, "#unit-filter"), 1);
    let (_, html) = app
        .get_html(&c, "/account/users?filter=counted&unit=Store%20%C3%96")
        .await;
    assert_eq!(numbers(&html), ["U1"]);
    let (_, html) = app
        .get_html(&c, "/account/users?filter=all&no_unit=1")
        .await;
    assert_eq!(numbers(&html), ["U4"]);
    // A unit and a search together; another account's unit finds no one.
    let (_, html) = app
        .get_html(&c, "/account/users?filter=all&unit=Store%202&q=cia")
        .await;
    assert_eq!(numbers(&html), ["U3"]);
    // A unit typed on the "no unit" list's form is what was asked.
    let (status, html) = app
        .get_html(&c, "/account/users?filter=all&no_unit=1&unit=Store%202")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(numbers(&html), ["U3"]);
    let (_, html) = app.get_html(&c, "/account/users?unit=Nowhere").await;
    assert!(numbers(&html).is_empty());
    // A unit no user can have is refused as a bad request.
    let long = "z".repeat(101);
    assert_eq!(
        app.get(&c, &format!("/account/users?unit={long}"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get(&c, "/account/users?no_unit=maybe").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_report_counts_by_unit_today_and_as_units_stood_on_a_past_day() {
    let app = spawn_app_at(utc("2026-11-20 12:00")).await;
    let w = app.world();
    let a = w.a.id;
    let sync =
        license_portal::ops::TokenInput::parse("wfm", "sync", Some(a), "", true).expect("input");
    let (tok, _) =
        license_portal::ops::create_api_token(&mut app.conn(), None, &sync).expect("token");
    let rows = |units: [&str; 4]| {
        let csv = format!(
            "employee_number,name,status,start_date,end_date,unit\n\
             R1,Anna,active,2024-01-01,,{}\nR2,Bo,active,2024-01-01,,{}\n\
             R3,Cia,active,2024-01-01,,{}\nR4,Dan,passive,2024-01-01,,{}\n",
            units[0], units[1], units[2], units[3]
        );
        license_portal::domain::import::parse_users_csv(csv.as_bytes()).expect("rows")
    };
    let at = |when: &str| license_portal::mail::MailContext {
        now: utc(when),
        ..app.mail_ctx()
    };
    license_portal::ops::sync_users(
        &mut app.conn(),
        &at("2026-11-10 09:00"),
        &tok,
        a,
        &rows(["North", "North", "South", "North"]),
    )
    .expect("sync");
    // On the 15th R2 moves to South and R3 leaves its unit.
    license_portal::ops::sync_users(
        &mut app.conn(),
        &at("2026-11-15 09:00"),
        &tok,
        a,
        &rows(["North", "South", "", "North"]),
    )
    .expect("sync");
    let c = app.client_for("contact@alpha.example").await;
    let (status, html) = app
        .get_html(&c, "/account/reports/active-users?on=2026-11-12")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        unit_counts(&html),
        [("North".to_string(), 2), ("South".to_string(), 1)],
        "the 12th as it stood: R4 is passive and not counted"
    );
    let (_, html) = app.get_html(&c, "/account/reports/active-users").await;
    assert_eq!(
        unit_counts(&html),
        [
            ("North".to_string(), 1),
            ("South".to_string(), 1),
            (String::new(), 1)
        ]
    );
    // Each line links to the users list kept to the unit's counted users.
    let doc = scraper::Html::parse_document(&html);
    let links: Vec<String> = doc
        .select(&scraper::Selector::parse("#units-table a").expect("sel"))
        .filter_map(|e| e.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(
        links,
        [
            "/account/users?filter=counted&unit=North",
            "/account/users?filter=counted&unit=South",
            "/account/users?filter=counted&no_unit=1"
        ]
    );
    let (_, listed) = app.get_html(&c, &links[1]).await;
    assert_eq!(numbers(&listed), ["R2"]);

    // The API's report says the same, a past day as it stood.
    let read = token(&app, "read", Some(a), Some("contact@alpha.example"));
    let past = get(&app, "/api/v1/reports/active-users?on=2026-11-12", &read).await;
    assert_eq!(
        past.body["by_unit"],
        json!([{"unit": "North", "active_users": 2}, {"unit": "South", "active_users": 1}])
    );
    let now = get(&app, "/api/v1/reports/active-users", &read).await;
    assert_eq!(
        now.body["by_unit"],
        json!([{"unit": "North", "active_users": 1}, {"unit": "South", "active_users": 1}, {"unit": null, "active_users": 1}])
    );

    // The CSV's last column is the unit, as that day had it.
    let csv = app
        .get(&c, "/account/reports/active-users.csv?on=2026-11-12")
        .await
        .text()
        .await
        .expect("csv");
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().expect("header").clone();
    assert_eq!(headers.iter().next_back(), Some("unit"));
    let units: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].to_string(), r[5].to_string())
        })
        .collect();
    assert_eq!(
        units,
        [
            ("R1".to_string(), "North".to_string()),
            ("R2".to_string(), "North".to_string()),
            ("R3".to_string(), "South".to_string())
        ]
    );
}

#[tokio::test]
async fn a_thousand_units_read_well_sorted_by_count_or_name_paged_and_searched() {
    let app = spawn_app().await;
    let w = app.world();
    let a = w.a.id;
    // 120 units: unit K has K % 7 + 1 counted users.
    let mut csv = String::from("employee_number,name,status,start_date,end_date,unit\n");
    let mut n = 0;
    for k in 0..120 {
        for _ in 0..(k % 7 + 1) {
            n += 1;
            csv.push_str(&format!("N{n},User {n},active,2024-01-01,,Unit {k:03}\n"));
        }
    }
    import(&app, a, &csv).expect("import");
    app.add_users(a, &[(UserState::Passive, 3)]);
    let c = app.client_for("contact@alpha.example").await;
    let (_, html) = app.get_html(&c, "/account/reports/active-users").await;
    let first = unit_counts(&html);
    assert_eq!(first.len(), 50, "a page of 50 units");
    assert!(first.windows(2).all(|p| p[0].1 >= p[1].1), "most first");
    assert_eq!(first[0], ("Unit 006".to_string(), 7));
    let (_, last) = app
        .get_html(&c, "/account/reports/active-users?units_page=3")
        .await;
    assert_eq!(unit_counts(&last).len(), 20);
    let (_, by_name) = app
        .get_html(&c, "/account/reports/active-users?units=name&units_page=2")
        .await;
    assert_eq!(unit_counts(&by_name)[0], ("Unit 050".to_string(), 2));
    let (_, found) = app
        .get_html(&c, "/account/reports/active-users?unit_q=unit%2011")
        .await;
    let names: Vec<String> = unit_counts(&found).into_iter().map(|u| u.0).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("Unit 11")));
    let total: i64 = (0..120).map(|k| k % 7 + 1).sum();
    let all: i64 = [
        first,
        unit_counts(
            &app.get_html(&c, "/account/reports/active-users?units_page=2")
                .await
                .1,
        ),
        unit_counts(&last),
    ]
    .concat()
    .iter()
    .map(|u| u.1)
    .sum();
    assert_eq!(all, total, "the pages add up to the users counted");
    // A search's page and its total come from one reading of the matches;
    // a page past the last still says how many there are.
    let (_, html) = app.get_html(&c, "/account/users?q=user&page=2").await;
    assert_eq!(count_of(&html, "#users tr.user"), 50);
    assert_eq!(
        crate::helpers::data_value(&html, "users-total"),
        Some(total)
    );
    let (_, html) = app.get_html(&c, "/account/users?q=user&page=99").await;
    assert_eq!(count_of(&html, "#users tr.user"), 0);
    assert_eq!(
        crate::helpers::data_value(&html, "users-total"),
        Some(total)
    );
    assert_eq!(
        app.get(&c, "/account/reports/active-users?units=size")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    no_disagreement(&app);
}
