//! The JSON API (SPEC 9): tokens and their scopes, problem JSON, the
//! endpoints, idempotent ordering, the users sync, and the token pages.

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    client, count_of, spawn_app, spawn_app_at, with_conn, TestApp, UserState, World,
};
use license_portal::domain::tokens::TokenScope;
use license_portal::models::api_token::ApiToken;
use license_portal::models::{Account, AuditEvent, Login, User};
use license_portal::ops::{self, TokenInput};

/// A token of `scope` (on `account` when given), made by `maker`.
pub(crate) fn token(
    app: &TestApp,
    scope: &str,
    account: Option<i64>,
    maker: Option<&str>,
) -> String {
    let vendor = TokenScope::parse(scope).expect("scope").is_vendor();
    let input = TokenInput::parse("test", scope, account, "", vendor).expect("token input");
    let by = maker.map(|email| app.login(email).id);
    ops::create_api_token(&mut app.conn(), by, &input)
        .expect("token")
        .1
}

/// The world's tokens: `read` and `order` of account A (made by its
/// contact), `sync` and `decide` of every account (made on the command
/// line), and `sync`/`decide` bound to account A.
struct Tokens {
    read: String,
    order: String,
    sync: String,
    decide: String,
    sync_a: String,
    decide_a: String,
}

fn tokens(app: &TestApp, w: &World) -> Tokens {
    let contact = Some("contact@alpha.example");
    Tokens {
        read: token(app, "read", Some(w.a.id), contact),
        order: token(app, "order", Some(w.a.id), contact),
        sync: token(app, "sync", None, None),
        decide: token(app, "decide", None, None),
        sync_a: token(app, "sync", Some(w.a.id), None),
        decide_a: token(app, "decide", Some(w.a.id), None),
    }
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    content_type: String,
    location: Option<String>,
    pub(crate) body: Value,
}

pub(crate) async fn call(
    app: &TestApp,
    c: &Client,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut req = c.request(method.parse().expect("method"), app.url(path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    let location = header("location");
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        content_type,
        location,
        body,
    }
}

pub(crate) async fn get(app: &TestApp, path: &str, token: &str) -> Answer {
    call(app, &client(), "GET", path, Some(token), &[], None).await
}

pub(crate) async fn order(app: &TestApp, token: &str, key: &str, body: &str) -> Answer {
    call(
        app,
        &client(),
        "POST",
        "/api/v1/orders",
        Some(token),
        &[("idempotency-key", key)],
        Some(body),
    )
    .await
}

fn pending_order(app: &TestApp, account: &Account, quantity: i64) -> i64 {
    let contact = app.login("contact@alpha.example");
    let contact = if contact.account_id == Some(account.id) {
        contact
    } else {
        app.login("contact@beta.example")
    };
    let form_token = license_portal::auth::random_token();
    ops::place_order(
        &mut app.conn(),
        &app.mail_ctx(),
        &contact,
        account.id,
        &crate::helpers::adds(quantity),
        &form_token,
    )
    .expect("order")
    .id
}

#[tokio::test]
async fn each_scope_opens_what_spec_9_says_and_answers_403_for_the_rest() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let order_a = pending_order(&app, &w.a, 2);
    let a = w.a.id;
    // (method, path, body, which of read, order, sync, decide may)
    let routes: Vec<(&str, String, Option<String>, [bool; 4])> = vec![
        ("GET", "/api/v1/account".into(), None, [true, true, false, false]),
        ("GET", "/api/v1/accounts".into(), None, [false, false, true, true]),
        ("GET", format!("/api/v1/accounts/{a}"), None, [false, false, true, true]),
        ("GET", "/api/v1/users".into(), None, [true, true, false, false]),
        ("GET", "/api/v1/reports/active-users".into(), None, [true, true, false, false]),
        ("GET", "/api/v1/reports/history".into(), None, [true, true, false, false]),
        ("GET", "/api/v1/orders".into(), None, [true, true, false, true]),
        ("GET", format!("/api/v1/orders/{order_a}"), None, [true, true, false, true]),
        (
            "PUT",
            format!("/api/v1/accounts/{a}/users"),
            Some(json!({"users": [{"employee_number": "E1", "name": "Ann", "status": "active", "start_date": "2024-01-01", "end_date": null}]}).to_string()),
            [false, false, true, false],
        ),
    ];
    let scoped = [&t.read, &t.order, &t.sync, &t.decide];
    for (method, path, body, allowed) in &routes {
        for (i, tok) in scoped.iter().enumerate() {
            let answer = call(
                &app,
                &client(),
                method,
                path,
                Some(tok),
                &[],
                body.as_deref(),
            )
            .await;
            let want = if allowed[i] {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                answer.status, want,
                "{method} {path} with scope #{i}: {:?}",
                answer.body
            );
        }
    }
    // The changing routes, each once per scope, on fresh orders.
    for (i, tok) in scoped.iter().enumerate() {
        let placed = order(&app, tok, &format!("k{i}"), r#"{"quantity": 1}"#).await;
        assert_eq!(
            placed.status == StatusCode::CREATED,
            i == 1,
            "order with scope #{i}"
        );
        let id = pending_order(&app, &w.a, 1);
        let cancel = call(
            &app,
            &client(),
            "POST",
            &format!("/api/v1/orders/{id}/cancel"),
            Some(tok),
            &[],
            None,
        )
        .await;
        assert_eq!(
            cancel.status == StatusCode::OK,
            i == 1,
            "cancel with scope #{i}: {:?}",
            cancel.body
        );
        if i != 1 {
            assert_eq!(cancel.status, StatusCode::FORBIDDEN);
        }
        let approve = call(
            &app,
            &client(),
            "POST",
            &format!("/api/v1/orders/{id}/approve"),
            Some(tok),
            &[],
            None,
        )
        .await;
        let decided = if i == 1 {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        };
        assert_eq!(
            approve.status,
            if i == 3 {
                decided
            } else {
                StatusCode::FORBIDDEN
            },
            "approve with scope #{i}"
        );
    }
}

#[tokio::test]
async fn another_accounts_ids_answer_exactly_as_unknown_ids() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let order_b = pending_order(&app, &w.b, 3);
    let pairs = [
        (
            &t.read,
            format!("/api/v1/orders/{order_b}"),
            "/api/v1/orders/99999999".to_string(),
            "GET",
        ),
        (
            &t.order,
            format!("/api/v1/orders/{order_b}/cancel"),
            "/api/v1/orders/99999999/cancel".into(),
            "POST",
        ),
        (
            &t.decide_a,
            format!("/api/v1/orders/{order_b}"),
            "/api/v1/orders/99999999".into(),
            "GET",
        ),
        (
            &t.decide_a,
            format!("/api/v1/orders/{order_b}/approve"),
            "/api/v1/orders/99999999/approve".into(),
            "POST",
        ),
        (
            &t.sync_a,
            format!("/api/v1/accounts/{}", w.b.id),
            "/api/v1/accounts/99999999".into(),
            "GET",
        ),
    ];
    for (tok, theirs, unknown, method) in pairs {
        let a = call(&app, &client(), method, &theirs, Some(tok), &[], None).await;
        let b = call(&app, &client(), method, &unknown, Some(tok), &[], None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{theirs}");
        assert_eq!(
            (a.status, &a.content_type, &a.body),
            (b.status, &b.content_type, &b.body),
            "{theirs}"
        );
    }
    let sync = json!({"users": [{"employee_number": "E1", "name": "Ann", "status": "active", "start_date": "2024-01-01"}]}).to_string();
    let theirs = call(
        &app,
        &client(),
        "PUT",
        &format!("/api/v1/accounts/{}/users", w.b.id),
        Some(&t.sync_a),
        &[],
        Some(&sync),
    )
    .await;
    let unknown = call(
        &app,
        &client(),
        "PUT",
        "/api/v1/accounts/99999999/users",
        Some(&t.sync_a),
        &[],
        Some(&sync),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(theirs.body, unknown.body);
    // Nothing of B changed, and a decide token bound to A lists A's orders only.
    let order = with_conn(&app, |c| {
        license_portal::models::LicenseOrder::find(c, order_b)
    })
    .expect("q")
    .expect("order");
    assert_eq!(order.status.as_str(), "pending");
    assert_eq!(
        with_conn(&app, |c| User::count_counted(c, w.b.id, app.today())).expect("count"),
        0
    );
    let listed = get(&app, "/api/v1/orders", &t.decide_a).await;
    assert_eq!(listed.body["total"], 0, "{:?}", listed.body);
    let all = get(&app, "/api/v1/orders", &t.decide).await;
    assert_eq!(all.body["total"], 1);
    let accounts = get(&app, "/api/v1/accounts", &t.sync_a).await;
    assert_eq!(accounts.body["total"], 1);
    assert_eq!(accounts.body["accounts"][0]["id"], w.a.id);
}

#[tokio::test]
async fn the_same_key_and_body_give_the_same_order_another_body_422_and_no_key_400() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let first = order(
        &app,
        &t.order,
        "po-1",
        r#"{"quantity": 5, "reference": "PO-1"}"#,
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let id = first.body["id"].as_i64().expect("id");
    assert_eq!(
        first.location.as_deref(),
        Some(format!("/api/v1/orders/{id}").as_str())
    );
    assert_eq!(first.body["quantity"], 5);
    assert_eq!(first.body["status"], "pending");
    assert_eq!(first.body["licenses_before"], 10);
    assert_eq!(first.body["ordered_by"], "contact@alpha.example");
    // Spacing and key order do not make another body.
    let again = order(
        &app,
        &t.order,
        "po-1",
        r#"{ "reference":"PO-1","quantity":5 }"#,
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], id);
    let other = order(
        &app,
        &t.order,
        "po-1",
        r#"{"quantity": 6, "reference": "PO-1"}"#,
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    let none = call(
        &app,
        &client(),
        "POST",
        "/api/v1/orders",
        Some(&t.order),
        &[],
        Some(r#"{"quantity": 5}"#),
    )
    .await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    assert!(none.content_type.starts_with("application/problem+json"));
    assert!(
        none.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("the Idempotency-Key header is required")),
        "{:?}",
        none.body
    );
    // What is malformed is said in the reader's language too.
    let swedish = call(
        &app,
        &client(),
        "POST",
        "/api/v1/orders",
        Some(&t.order),
        &[("accept-language", "sv")],
        Some(r#"{"quantity": 5}"#),
    )
    .await;
    assert_eq!(swedish.status, StatusCode::BAD_REQUEST);
    let detail = swedish.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("huvudet Idempotency-Key krävs") && !detail.contains("required"),
        "{detail:?}"
    );
    for bad_key in ["", &"k".repeat(65), "with space"] {
        let answer = order(&app, &t.order, bad_key, r#"{"quantity": 5}"#).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad_key:?}");
    }
    assert_eq!(crate::helpers::order_count(&app), 1);
    // Ten at once with one new key make one order.
    let racing: Vec<_> = (0..10)
        .map(|_| {
            let (app, tok) = (&app, t.order.clone());
            async move { order(app, &tok, "race", r#"{"quantity": 2}"#).await }
        })
        .collect();
    let answers = futures_util::future::join_all(racing).await;
    let ids: std::collections::HashSet<_> = answers.iter().map(|a| a.body["id"].as_i64()).collect();
    assert_eq!(ids.len(), 1, "one order for one key");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.status == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(crate::helpers::order_count(&app), 2);
    // The audit event names the token.
    let events = with_conn(&app, |c| AuditEvent::list(c, Some(w.a.id), 0, 50))
        .expect("audit")
        .0;
    let placed = events
        .iter()
        .find(|e| e.kind.as_str() == "order_placed")
        .expect("placed");
    let details: Value = serde_json::from_str(&placed.details).expect("json");
    assert_eq!(details["token"].as_str(), Some(&t.order[..8]));
}

#[tokio::test]
async fn a_quantity_must_be_a_json_integer_from_1_to_the_maximum() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    for (i, bad) in [
        r#""5""#, "5.5", "true", "0", "-1", "10001", "null", "[5]", "5e-1", "1e5",
    ]
    .iter()
    .enumerate()
    {
        let answer = order(
            &app,
            &t.order,
            &format!("bad-{i}"),
            &format!(r#"{{"quantity": {bad}}}"#),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["errors"][0]["field"], "quantity", "{bad}");
        assert!(answer.content_type.starts_with("application/problem+json"));
    }
    let missing = order(&app, &t.order, "missing", r#"{"reference": "x"}"#).await;
    assert_eq!(missing.body["errors"][0]["field"], "quantity");
    let long_ref = order(
        &app,
        &t.order,
        "ref",
        &json!({"quantity": 1, "reference": "x".repeat(65)}).to_string(),
    )
    .await;
    assert_eq!(long_ref.body["errors"][0]["field"], "reference");
    assert_eq!(crate::helpers::order_count(&app), 0, "nothing was ordered");
    let whole = order(&app, &t.order, "float", r#"{"quantity": 5.0}"#).await;
    assert_eq!(whole.status, StatusCode::CREATED);
    assert_eq!(whole.body["quantity"], 5);
}

fn sync_user(n: &str, status: &str, start: &str, end: Option<&str>) -> Value {
    json!({"employee_number": n, "name": format!("User {n}"), "status": status, "start_date": start, "end_date": end})
}

#[tokio::test]
async fn a_sync_writes_all_users_or_none_and_names_the_first_bad_ones_index_and_field() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    app.add_users(w.a.id, &[(UserState::Counted, 2)]);
    let path = format!("/api/v1/accounts/{}/users", w.a.id);
    let put = |body: Value| {
        let (app, path, tok) = (&app, path.clone(), t.sync.clone());
        async move {
            call(
                app,
                &client(),
                "PUT",
                &path,
                Some(&tok),
                &[],
                Some(&body.to_string()),
            )
            .await
        }
    };
    let before = crate::helpers::fingerprint(&app);
    let cases = [
        (
            json!({"users": [sync_user("N1", "active", "2024-01-01", None), sync_user("N2", "active", "2024-13-01", None)]}),
            1,
            "start_date",
        ),
        (
            json!({"users": [sync_user("N1", "active", "2024-01-01", None), sync_user("N1", "passive", "2024-01-01", None)]}),
            1,
            "employee_number",
        ),
        (
            json!({"users": [sync_user("N1", "sleeping", "2024-01-01", None)]}),
            0,
            "status",
        ),
        (
            json!({"users": [sync_user("N1", "active", "2024-05-01", Some("2024-04-30"))]}),
            0,
            "end_date",
        ),
        (
            json!({"users": [sync_user("N1", "active", "2024-05-01", None), {"employee_number": 7, "name": "x", "status": "active", "start_date": "2024-01-01"}]}),
            1,
            "employee_number",
        ),
        (
            json!({"users": [sync_user("N1", "active", "2024-05-01", None), {"employee_number": "N9", "status": "active", "start_date": "2024-01-01"}]}),
            1,
            "name",
        ),
    ];
    for (body, index, field) in cases {
        let answer = put(body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            answer.body["errors"][0]["index"], index,
            "{body}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["errors"][0]["field"], field, "{body}");
    }
    // The field's message is in the reader's language.
    let bad = json!({"users": [sync_user("N1", "sleeping", "2024-01-01", None)]}).to_string();
    for (accept, said) in [
        (
            "en",
            "unknown status \"sleeping\"; allowed: active, passive",
        ),
        (
            "sv-SE,sv;q=0.9",
            "okänd status \"sleeping\"; tillåtna värden: active, passive",
        ),
    ] {
        let answer = call(
            &app,
            &client(),
            "PUT",
            &path,
            Some(&t.sync),
            &[("accept-language", accept)],
            Some(&bad),
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.body["errors"][0]["message"], said, "{accept}");
    }
    assert_eq!(
        crate::helpers::fingerprint(&app),
        before,
        "nothing was written"
    );
    // C0 changes, C1 stays, N1 and N2 are new.
    let good = json!({"users": [
        {"employee_number": "C0", "name": "C0", "status": "passive", "start_date": "2020-01-01", "end_date": null},
        {"employee_number": "C1", "name": "C1", "status": "active", "start_date": "2020-01-01", "end_date": ""},
        sync_user("N1", "active", "2024-01-01", None),
        sync_user("N2", "active", "2024-01-01", Some("2099-12-31")),
    ]});
    let answer = put(good.clone()).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        answer.body,
        json!({"created": 2, "updated": 1, "unchanged": 1})
    );
    assert_eq!(
        with_conn(&app, |c| User::count_counted(c, w.a.id, app.today())).expect("count"),
        3
    );
    let again = put(good).await;
    assert_eq!(
        again.body,
        json!({"created": 0, "updated": 0, "unchanged": 4})
    );
    let events = with_conn(&app, |c| AuditEvent::list(c, Some(w.a.id), 0, 50))
        .expect("audit")
        .0;
    let synced = events
        .iter()
        .find(|e| e.kind.as_str() == "users_synced")
        .expect("synced");
    assert!(synced.details.contains(&t.sync[..8]), "{}", synced.details);
    // The users list of the API agrees.
    let listed = get(&app, "/api/v1/users?filter=counted&per_page=1000", &t.read).await;
    assert_eq!(listed.body["total"], 3);
    let passive = get(&app, "/api/v1/users?filter=passive", &t.read).await;
    assert_eq!(passive.body["users"][0]["employee_number"], "C0");
    assert_eq!(passive.body["users"][0]["reason"], "passive");
    assert_eq!(passive.body["users"][0]["counted"], false);
}

#[tokio::test]
async fn twenty_approvals_at_once_add_the_licenses_once() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let id = pending_order(&app, &w.a, 7);
    let racing: Vec<_> = (0..20)
        .map(|_| {
            let (app, tok) = (&app, t.decide.clone());
            async move {
                call(
                    app,
                    &client(),
                    "POST",
                    &format!("/api/v1/orders/{id}/approve"),
                    Some(&tok),
                    &[],
                    Some(r#"{"note": "ok"}"#),
                )
                .await
            }
        })
        .collect();
    let answers = futures_util::future::join_all(racing).await;
    let ok = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    let conflict = answers
        .iter()
        .filter(|a| a.status == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflict), (1, 19));
    assert_eq!(app.account(w.a.id).licenses, 17);
    let approved = answers
        .iter()
        .find(|a| a.status == StatusCode::OK)
        .expect("one");
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(approved.body["decision_note"], "ok");
    let account = get(&app, "/api/v1/account", &t.read).await;
    assert_eq!(account.body["licenses"], 17);
    // Rejecting needs a note.
    let other = pending_order(&app, &w.a, 1);
    for body in [None, Some("{}"), Some(r#"{"note": "  "}"#)] {
        let answer = call(
            &app,
            &client(),
            "POST",
            &format!("/api/v1/orders/{other}/reject"),
            Some(&t.decide),
            &[],
            body,
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        assert_eq!(answer.body["errors"][0]["field"], "note");
    }
    let rejected = call(
        &app,
        &client(),
        "POST",
        &format!("/api/v1/orders/{other}/reject"),
        Some(&t.decide),
        &[],
        Some(r#"{"note": "no"}"#),
    )
    .await;
    assert_eq!(rejected.body["status"], "rejected");
}

#[tokio::test]
async fn revoked_expired_unknown_and_missing_tokens_get_401_with_www_authenticate() {
    // The app's clock is two days ahead: a one-day token made now has expired.
    let app = spawn_app_at(chrono::Utc::now() + chrono::Duration::days(2)).await;
    let w = app.world();
    let input = TokenInput::parse("short", "read", Some(w.a.id), "1", false).expect("input");
    let (_, expired) = ops::create_api_token(&mut app.conn(), None, &input).expect("token");
    let revoked = token(&app, "read", Some(w.a.id), Some("contact@alpha.example"));
    let live = token(&app, "read", Some(w.a.id), Some("contact@alpha.example"));
    assert_eq!(
        get(&app, "/api/v1/account", &revoked).await.status,
        StatusCode::OK
    );
    let id = with_conn(&app, |c| ApiToken::for_account(c, w.a.id))
        .expect("q")
        .iter()
        .find(|t| revoked.starts_with(&t.prefix) && t.revoked_at.is_none())
        .expect("token")
        .id;
    ops::revoke_api_token(&mut app.conn(), None, id, Some(w.a.id)).expect("revoke");
    let unknown = format!("lp_{}", "a".repeat(40));
    for tok in [
        Some(expired.as_str()),
        Some(revoked.as_str()),
        Some(unknown.as_str()),
        Some("garbage"),
        None,
    ] {
        let raw = match tok {
            Some(t) => {
                app.raw_get(
                    "/api/v1/account",
                    &[("Authorization", &format!("Bearer {t}"))],
                )
                .await
            }
            None => app.raw_get("/api/v1/account", &[]).await,
        };
        assert_eq!(raw.status, 401, "{tok:?}");
        assert_eq!(raw.header("www-authenticate"), Some("Bearer"), "{tok:?}");
        assert_eq!(raw.header("content-type"), Some("application/problem+json"));
        let body: Value = serde_json::from_str(&raw.body).expect("problem");
        assert_eq!(body["status"], 401);
    }
    assert_eq!(
        get(&app, "/api/v1/account", &live).await.status,
        StatusCode::OK
    );
    // Disabling the login that made a token ends the token too.
    let contact = app.login("contact@alpha.example");
    ops::set_login_disabled(&mut app.conn(), None, contact.id, true).expect("disable");
    assert_eq!(
        get(&app, "/api/v1/account", &live).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_cookie_opens_no_api_route_and_a_token_no_page() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let cookie = app.session_cookie("contact@alpha.example").await;
    for path in ["/api/v1/account", "/api/v1/users", "/api/v1/orders"] {
        let raw = app.raw_get(path, &[("Cookie", &cookie)]).await;
        assert_eq!(raw.status, 401, "{path}");
    }
    let raw = app
        .raw_post(
            "/api/v1/orders",
            &[
                ("Cookie", &cookie),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", "x"),
            ],
            br#"{"quantity": 1}"#,
        )
        .await;
    assert_eq!(raw.status, 401);
    assert_eq!(crate::helpers::order_count(&app), 0);
    for path in ["/account", "/account/orders", "/staff/orders"] {
        let raw = app
            .raw_get(path, &[("Authorization", &format!("Bearer {}", t.order))])
            .await;
        assert_eq!(raw.status, 303, "{path}");
        assert_eq!(raw.header("location"), Some("/login"));
    }
}

#[tokio::test]
async fn the_frameworks_own_errors_are_problem_json_too() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let auth = format!("Bearer {}", t.order);
    let h = |extra: &'static [(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = vec![("Authorization", auth.as_str())];
        v.extend_from_slice(extra);
        v
    };
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Vec<u8>, u16);
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/api/v1/orders",
            h(&[
                ("Content-Type", "application/json"),
                ("Idempotency-Key", "a"),
            ]),
            b"{not json".to_vec(),
            400,
        ),
        (
            "POST",
            "/api/v1/orders",
            h(&[("Content-Type", "text/plain"), ("Idempotency-Key", "b")]),
            br#"{"quantity": 1}"#.to_vec(),
            415,
        ),
        (
            "POST",
            "/api/v1/orders",
            h(&[("Idempotency-Key", "c")]),
            br#"{"quantity": 1}"#.to_vec(),
            415,
        ),
        (
            "POST",
            "/api/v1/orders",
            h(&[
                ("Content-Type", "application/json"),
                ("Idempotency-Key", "d"),
            ]),
            vec![b' '; 70 * 1024],
            413,
        ),
        ("GET", "/api/v1/no-such-thing", h(&[]), Vec::new(), 404),
        ("GET", "/api/v2/account", h(&[]), Vec::new(), 404),
        ("DELETE", "/api/v1/account", h(&[]), Vec::new(), 405),
        ("GET", "/api/v1/users?page=0", h(&[]), Vec::new(), 422),
        (
            "GET",
            "/api/v1/users?per_page=1001",
            h(&[]),
            Vec::new(),
            422,
        ),
        (
            "GET",
            "/api/v1/users?filter=everyone",
            h(&[]),
            Vec::new(),
            422,
        ),
        (
            "GET",
            "/api/v1/reports/active-users?on=2024-02-30",
            h(&[]),
            Vec::new(),
            422,
        ),
        (
            "GET",
            "/api/v1/orders?status=shipped",
            h(&[]),
            Vec::new(),
            422,
        ),
        ("GET", "/api/v1/orders/abc", h(&[]), Vec::new(), 404),
    ];
    for (method, path, headers, body, want) in cases {
        let raw = app.raw(method, path, &headers, &body).await;
        assert_eq!(raw.status, want, "{method} {path}: {}", raw.body);
        assert_eq!(
            raw.header("content-type"),
            Some("application/problem+json"),
            "{method} {path}"
        );
        let problem: Value = serde_json::from_str(&raw.body).expect("problem json");
        assert_eq!(problem["status"], want);
        for key in ["type", "title", "detail"] {
            assert!(problem[key].is_string(), "{path}: {key}");
        }
        if want == 405 {
            assert_eq!(raw.header("allow"), Some("GET"));
        }
        if want == 422 {
            assert!(problem["errors"][0]["field"].is_string(), "{path}");
        }
    }
    assert_eq!(crate::helpers::order_count(&app), 0);
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_token_and_names_every_endpoint() {
    let app = spawn_app().await;
    let res = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = serde_json::from_str(&res.text().await.expect("body")).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/account", "get"),
        ("/api/v1/accounts", "get"),
        ("/api/v1/accounts/{id}", "get"),
        ("/api/v1/accounts/{id}/users", "put"),
        ("/api/v1/users", "get"),
        ("/api/v1/reports/active-users", "get"),
        ("/api/v1/reports/history", "get"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{id}", "get"),
        ("/api/v1/orders/{id}/cancel", "post"),
        ("/api/v1/orders/{id}/approve", "post"),
        ("/api/v1/orders/{id}/reject", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn a_token_over_600_requests_a_minute_gets_429_with_retry_after() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let c = client();
    for i in 0..600 {
        let res = c
            .get(app.url("/api/v1/account"))
            .bearer_auth(&t.read)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    let raw = app
        .raw_get(
            "/api/v1/account",
            &[("Authorization", &format!("Bearer {}", t.read))],
        )
        .await;
    assert_eq!(raw.status, 429);
    let wait: u64 = raw
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    // Another token is not held back.
    assert_eq!(
        get(&app, "/api/v1/account", &t.order).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reports_and_history_of_the_api_agree_with_the_account() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    app.add_users(
        w.a.id,
        &[
            (UserState::Counted, 3),
            (UserState::Passive, 1),
            (UserState::Ended, 1),
            (UserState::FutureStart, 2),
        ],
    );
    let account = get(&app, "/api/v1/account", &t.read).await;
    assert_eq!(account.body["active_users"], 5);
    assert_eq!(account.body["free_licenses"], 5);
    assert_eq!(account.body["today"], app.today().to_string());
    let report = get(&app, "/api/v1/reports/active-users", &t.read).await;
    assert_eq!(report.body["active_users"], 5);
    assert_eq!(report.body["users"].as_array().expect("users").len(), 5);
    let future = report.body["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter(|u| u["reason"] == "counted_future_start")
        .count();
    assert_eq!(future, 2);
    let history = get(&app, "/api/v1/reports/history", &t.read).await;
    let days = history.body["days"].as_array().expect("days");
    assert_eq!(days.len(), 1, "today's snapshot, recorded by the report");
    assert_eq!(days[0]["active_users"], 5);
    let before = get(&app, "/api/v1/reports/active-users?on=2001-01-01", &t.read).await;
    assert_eq!(before.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(before.body["errors"][0]["field"], "on");
    let reversed = get(
        &app,
        "/api/v1/reports/history?from=2026-02-01&to=2026-01-01",
        &t.read,
    )
    .await;
    assert_eq!(reversed.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_contact_makes_and_revokes_tokens_on_the_page_a_viewer_only_sees_them() {
    let app = spawn_app().await;
    let w = app.world();
    let contact = app.client_for("contact@alpha.example").await;
    let res = app
        .post(
            &contact,
            "/account/api-tokens",
            &[("name", "ERP"), ("scope", "order"), ("days", "30")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("page");
    let secret = crate::helpers::text_of(&html, "#new-token").expect("the new token is shown");
    assert!(secret.starts_with("lp_") && secret.len() == 43, "{secret}");
    assert_eq!(
        get(&app, "/api/v1/account", &secret).await.body["id"],
        w.a.id
    );
    // Shown once: the list has its first 8 characters only.
    let (_, list) = app.get_html(&contact, "/account/api-tokens").await;
    assert!(!list.contains(&secret));
    assert!(list.contains(&secret[..8]));
    assert_eq!(count_of(&list, "tr.token"), 1);
    for (fields, field) in [
        (
            vec![("name", ""), ("scope", "read"), ("days", "")],
            "token-name",
        ),
        (
            vec![("name", "x"), ("scope", "sync"), ("days", "")],
            "token-scope",
        ),
        (
            vec![("name", "x"), ("scope", "read"), ("days", "366")],
            "token-days",
        ),
    ] {
        let res = app.post(&contact, "/account/api-tokens", &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        let html = res.text().await.expect("page");
        assert_eq!(
            count_of(&html, &format!("#{field}[aria-invalid=true]")),
            1,
            "{fields:?}"
        );
    }
    // A viewer sees the list but may not make or revoke.
    let viewer = app.client_for("viewer@alpha.example").await;
    let (status, seen) = app.get_html(&viewer, "/account/api-tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count_of(&seen, "tr.token"), 1);
    assert_eq!(count_of(&seen, "form[action='/account/api-tokens']"), 0);
    let id = crate::helpers::hidden_attr(&list, "tr.token", "data-id").expect("id");
    let res = app
        .post(
            &viewer,
            "/account/api-tokens",
            &[("name", "x"), ("scope", "read"), ("days", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .post(&viewer, &format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another account's contact cannot revoke it.
    let beta = app.client_for("contact@beta.example").await;
    let res = app
        .post(&beta, &format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&app, "/api/v1/account", &secret).await.status,
        StatusCode::OK
    );
    let res = app
        .post(&contact, &format!("/account/api-tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&app, "/api/v1/account", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
    let kinds: Vec<String> = with_conn(&app, |c| AuditEvent::list(c, Some(w.a.id), 0, 50))
        .expect("audit")
        .0
        .into_iter()
        .map(|e| e.kind.as_str().to_string())
        .collect();
    assert!(kinds.contains(&"api_token_created".to_string()));
    assert!(kinds.contains(&"api_token_revoked".to_string()));
}

#[tokio::test]
async fn only_staff_with_two_step_on_make_vendor_tokens() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let fields = [
        ("name", "WFM"),
        ("scope", "sync"),
        ("account", ""),
        ("days", ""),
    ];
    let (_, page) = app.get_html(&staff, "/staff/api-tokens").await;
    assert_eq!(count_of(&page, "#tokens-need-two-step"), 1);
    let res = app.post(&staff, "/staff/api-tokens", &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let id = app.login("staff@vendor.example").id;
    with_conn(&app, |c| {
        Login::set_two_step(c, id, Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), None)
    })
    .expect("two-step on");
    let res = app.post(&staff, "/staff/api-tokens", &fields).await;
    assert_eq!(res.status(), StatusCode::OK);
    let secret =
        crate::helpers::text_of(&res.text().await.expect("page"), "#new-token").expect("token");
    let accounts = get(&app, "/api/v1/accounts", &secret).await;
    assert_eq!(accounts.body["total"], 2);
    let bad = app
        .post(
            &staff,
            "/staff/api-tokens",
            &[
                ("name", "x"),
                ("scope", "read"),
                ("account", ""),
                ("days", ""),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = app
        .post(
            &staff,
            "/staff/api-tokens",
            &[
                ("name", "x"),
                ("scope", "decide"),
                ("account", "999999"),
                ("days", ""),
            ],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A contact's page never lists vendor tokens, nor staff's account tokens.
    let contact = app.client_for("contact@alpha.example").await;
    let (_, list) = app.get_html(&contact, "/account/api-tokens").await;
    assert_eq!(count_of(&list, "tr.token"), 0);
    let _ = w;
}

#[tokio::test]
async fn a_sync_without_the_scope_is_refused_before_its_body_is_read_and_bounds_hold() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    let path = format!("/api/v1/accounts/{}/users", w.a.id);
    // A read token announcing 30 MiB is refused at once, its body unsent.
    let raw = app
        .raw_head_only(
            "PUT",
            &path,
            &[
                ("Authorization", &format!("Bearer {}", t.read)),
                ("Content-Type", "application/json"),
                ("Content-Length", &(30 * 1024 * 1024).to_string()),
            ],
        )
        .await;
    assert_eq!(raw.status, 403);
    // Over 32 MiB is 413 before it is read, for a token that may sync.
    let raw = app
        .raw_head_only(
            "PUT",
            &path,
            &[
                ("Authorization", &format!("Bearer {}", t.sync)),
                ("Content-Type", "application/json"),
                ("Content-Length", &(33 * 1024 * 1024).to_string()),
            ],
        )
        .await;
    assert_eq!(raw.status, 413);
    assert_eq!(raw.header("content-type"), Some("application/problem+json"));
    // No users, or more than 200,000, are refused.
    let empty = call(
        &app,
        &client(),
        "PUT",
        &path,
        Some(&t.sync),
        &[],
        Some(r#"{"users": []}"#),
    )
    .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(empty.body["errors"][0]["field"], "users");
    let many = format!("{{\"users\": [{}{{}}]}}", "{},".repeat(200_000));
    let too_many = call(
        &app,
        &client(),
        "PUT",
        &path,
        Some(&t.sync),
        &[],
        Some(&many),
    )
    .await;
    assert_eq!(
        too_many.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        too_many.body
    );
    assert_eq!(
        with_conn(&app, |c| User::count_counted(c, w.a.id, app.today())).expect("count"),
        0
    );
}

#[tokio::test]
async fn guessing_tokens_brakes_the_address_but_never_a_valid_token() {
    let app = spawn_app().await;
    let w = app.world();
    let t = tokens(&app, &w);
    for i in 0..license_portal::throttle::LIMIT {
        let guess = format!("lp_{:0>40}", i);
        let answer = get(&app, "/api/v1/account", &guess).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let raw = app
        .raw_get(
            "/api/v1/account",
            &[("Authorization", &format!("Bearer {}", t.read))],
        )
        .await;
    assert_eq!(
        raw.status, 200,
        "a valid token from a braked address is answered: {}",
        raw.head
    );
    let guess = format!("lp_{:0>40}", "x");
    let raw = app
        .raw_get(
            "/api/v1/account",
            &[("Authorization", &format!("Bearer {guess}"))],
        )
        .await;
    assert_eq!(raw.status, 429, "a bad token from it is braked");
    assert!(raw.header("retry-after").is_some());
    // The API's brake is its own: sign-in failures from the address are
    // not braked by it.
    let c = client();
    let res = app
        .sign_in(&c, "nobody@example.com", "wrong password here")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_openapi_document_declares_the_configured_maximum_per_order() {
    let app = crate::helpers::spawn_app_with(|s| s.max_order_quantity = 25).await;
    let text = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("doc")
        .text()
        .await
        .expect("text");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let schema = &doc["components"]["schemas"]["OrderRequest"];
    assert_eq!(
        schema["properties"]["quantity"]["maximum"],
        serde_json::json!(25),
        "{schema}"
    );
    // And the server holds to it.
    let w = app.world();
    let t = tokens(&app, &w);
    let over = order(&app, &t.order, "k-26", r#"{"quantity": 26}"#).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    let at = order(&app, &t.order, "k-25", r#"{"quantity": 25}"#).await;
    assert_eq!(at.status, StatusCode::CREATED);
}
