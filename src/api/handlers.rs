//! The endpoints of SPEC 9. Each checks what its token may do, reads or
//! changes through the same models and `ops` as the pages (so the rules
//! and audit events are the same), and answers JSON.

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::domain::import::Checker;
use crate::domain::orders::OrderStatus;
use crate::domain::tokens::Need;
use crate::domain::validation::{self, FieldError};
use crate::error::AppError;
use crate::models::account::AccountUsage;
use crate::models::license_order::login_email;
use crate::models::snapshot::Snapshot;
use crate::models::user::UserFilter;
use crate::models::user_version::UserVersion;
use crate::models::{Account, AuditEvent, LicenseOrder, User};
use crate::ops::{self, OpError};
use crate::state::AppState;

use super::auth::Bearer;
use super::problem::{ApiError, BadBody, BadField, FieldText, Problem};
use super::types::*;

/// The query of a request, as text: values are checked by the handler,
/// so a bad one is named (422) rather than failing the whole query.
pub type Params = web::Query<HashMap<String, String>>;

/// The longest range of days a history answers.
use crate::domain::validation::{MAX_HISTORY_DAYS, MAX_PAGE, MAX_PER_PAGE};

fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// `page` and `per_page`: whole numbers, page from 1, per_page 1..=1000.
fn paging(q: &Params) -> Result<(i64, i64), ApiError> {
    let number = |name: &str, default: i64, max: i64, error: FieldError| -> Result<i64, ApiError> {
        match q.get(name).map(|s| s.trim()) {
            None => Ok(default),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| ApiError::field(name, error)),
        }
    };
    Ok((
        number("page", 1, MAX_PAGE, FieldError::Page)?,
        number("per_page", 100, MAX_PER_PAGE, FieldError::PerPage)?,
    ))
}

/// A day of the query: `None` when absent (an empty one is refused).
fn day_param(q: &Params, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match q.get(name).map(|s| s.trim()) {
        None => Ok(None),
        Some(text) => validation::parse_date(text)
            .map(Some)
            .map_err(|e| ApiError::field(name, e)),
    }
}

fn op_error(e: OpError) -> ApiError {
    match e {
        OpError::NotFound | OpError::UnknownAccount => ApiError::NotFound,
        OpError::NotPending => ApiError::Conflict,
        OpError::Invalid { field, error } => ApiError::field(field, error),
        OpError::KeyReused => ApiError::Unprocessable(vec![BadField {
            index: None,
            field: "Idempotency-Key".into(),
            text: FieldText::KeyReused,
        }]),
        OpError::Sync {
            index,
            field,
            problem,
        } => ApiError::Unprocessable(vec![BadField {
            index: Some(index),
            field: field.to_string(),
            text: FieldText::Import(problem),
        }]),
        other => ApiError::App(AppError::from(other)),
    }
}

async fn run_op<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::PooledConn, &crate::mail::MailContext) -> Result<T, OpError>
        + Send
        + 'static,
    T: Send + 'static,
{
    state.op(f).await?.map_err(op_error)
}

fn account_body(usage: &AccountUsage, pending_quantity: i64, today: NaiveDate) -> AccountBody {
    AccountBody {
        id: usage.account.id,
        name: usage.account.name.clone(),
        time_zone: usage.account.time_zone.clone(),
        today: today.to_string(),
        licenses: usage.account.licenses,
        active_users: usage.counted,
        free_licenses: usage.free(),
        pending_quantity,
    }
}

/// The figures of one account.
async fn figures(state: &AppState, account: Account) -> Result<AccountBody, ApiError> {
    let today = account.today(state.clock.now());
    let id = account.id;
    let (counted, pending_quantity) = state
        .db(move |conn| {
            Ok((
                User::count_counted(conn, id, today)?,
                LicenseOrder::pending_quantity(conn, id)?.1,
            ))
        })
        .await?;
    Ok(account_body(
        &AccountUsage { account, counted },
        pending_quantity,
        today,
    ))
}

#[utoipa::path(get, path = "/api/v1/account", tag = "account",
    description = "The figures of the token's own account (account tokens).",
    responses((status = 200, body = AccountBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn own_account(
    who: Bearer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    Ok(json(StatusCode::OK, &figures(&state, account).await?))
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "vendor",
    description = "Every account the vendor token reaches, by id.",
    params(("page" = Option<i64>, Query, minimum = 1, maximum = 1000000), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = AccountList), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn accounts(
    who: Bearer,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::ReadAccounts)?;
    let (page, per_page) = paging(&q)?;
    let bound = who.bound_account();
    let now = state.clock.now();
    let (usages, pending) = state
        .db(move |conn| {
            let mut all = Account::usage_list(conn, now)?;
            all.retain(|u| bound.is_none_or(|id| u.account.id == id));
            all.sort_by_key(|u| u.account.id);
            let pending: HashMap<i64, i64> = LicenseOrder::pending_by_account(conn)?;
            Ok((all, pending))
        })
        .await?;
    let total = usages.len() as i64;
    let accounts = usages
        .iter()
        .skip(((page - 1) * per_page) as usize)
        .take(per_page as usize)
        .map(|u| {
            let today = u.account.today(now);
            account_body(u, pending.get(&u.account.id).copied().unwrap_or(0), today)
        })
        .collect();
    Ok(json(
        StatusCode::OK,
        &AccountList {
            accounts,
            page,
            per_page,
            total,
        },
    ))
}

/// A path id; a malformed one is answered like an unknown one.
fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "vendor",
    description = "One account's figures; another account than the token's is answered as an unknown one.",
    params(("id" = i64, Path)),
    responses((status = 200, body = AccountBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn account(
    who: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::ReadAccounts)?;
    let id = path_id(&path)?;
    if !who.reaches(id) {
        return Err(ApiError::NotFound);
    }
    let account = state
        .db(move |conn| Ok(Account::find(conn, id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json(StatusCode::OK, &figures(&state, account).await?))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "account",
    description = "The account's users, each with the reason it is or is not counted today.",
    params(
        ("filter" = Option<FilterJson>, Query),
        ("q" = Option<String>, Query, description = "matches the name or the employee number"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = UserList), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn users(
    who: Bearer,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    let (page, per_page) = paging(&q)?;
    let filter = match q.get("filter").map(|s| s.trim()) {
        None => UserFilter::All,
        Some(text) => UserFilter::parse(text)
            .filter(|f| *f != UserFilter::All)
            .ok_or_else(|| ApiError::field("filter", FieldError::Required))?,
    };
    let text = q.get("q").cloned().unwrap_or_default();
    let today = account.today(state.clock.now());
    let (rows, total) = state
        .db(move |conn| {
            Ok(User::page(
                conn,
                account.id,
                filter,
                today,
                &text,
                (page - 1) * per_page,
                per_page,
            )?)
        })
        .await?;
    Ok(json(
        StatusCode::OK,
        &UserList {
            users: rows.iter().map(|u| UserBody::of(u, today)).collect(),
            page,
            per_page,
            total,
        },
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/active-users", tag = "account",
    description = "The active-user report of a day (default today): the counted users, for a day before today as they stood at the end of that day (from the users' history); before any history, the count its snapshot recorded and no list.",
    params(("on" = Option<String>, Query, format = Date)),
    responses((status = 200, body = ReportBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn report(
    who: Bearer,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    let now = state.clock.now();
    let today = account.today(now);
    let on = day_param(&q, "on")?.unwrap_or(today);
    let acct = account.clone();
    let found = state
        .db(move |conn| {
            crate::maintenance::record_snapshot(conn, &acct, now)?;
            if on < today {
                // As the day stood at its end, from history; before any
                // history, the count its snapshot recorded.
                let end = crate::domain::counting::end_of_day(acct.tz(), on).naive_utc();
                let snapshot = Snapshot::find(conn, acct.id, on)?;
                match UserVersion::counted_at_end_of(conn, acct.id, on, end)? {
                    Some(mut users) => {
                        users.sort_by(|a, b| a.employee_number.cmp(&b.employee_number));
                        let licenses = snapshot.map(|s| s.licenses).unwrap_or(acct.licenses);
                        Ok(Some((users.len() as i64, licenses, users)))
                    }
                    None => Ok(snapshot.map(|s| (s.active_users, s.licenses, Vec::new()))),
                }
            } else {
                let users = User::counted_on(conn, acct.id, on)?;
                Ok(Some((users.len() as i64, acct.licenses, users)))
            }
        })
        .await?;
    let Some((active_users, licenses, users)) = found else {
        return Err(ApiError::Unprocessable(vec![BadField {
            index: None,
            field: "on".into(),
            text: FieldText::NoRecord,
        }]));
    };
    Ok(json(
        StatusCode::OK,
        &ReportBody {
            day: on.to_string(),
            active_users,
            licenses,
            users: users.iter().map(|u| UserBody::of(u, on)).collect(),
        },
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/history", tag = "account",
    description = "The recorded snapshots from `from` to `to`, both included (default: the last 90 days before `to`, which is today by default). `from` may not be after `to` nor more than 3660 days before it (422 naming `from`).",
    params(("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)),
    responses((status = 200, body = HistoryBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn history(
    who: Bearer,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    let today = account.today(state.clock.now());
    let to = day_param(&q, "to")?.unwrap_or(today);
    let from = day_param(&q, "from")?.unwrap_or(to - chrono::Duration::days(90));
    if from > to || (to - from).num_days() > MAX_HISTORY_DAYS {
        return Err(ApiError::field("from", FieldError::Span));
    }
    let days = state
        .db(move |conn| Ok(Snapshot::history(conn, account.id, from)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &HistoryBody {
            days: days
                .into_iter()
                .filter(|s| s.day <= to)
                .map(|s| DayBody {
                    day: s.day.to_string(),
                    active_users: s.active_users,
                    licenses: s.licenses,
                })
                .collect(),
        },
    ))
}

/// The body, up to `limit` bytes (413 over it, without reading it all).
/// The most a body reserves before its bytes arrive.
const FIRST_CHUNK: usize = 64 * 1024;

async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    use futures_util::StreamExt;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge);
    }
    // The body grows as it arrives: a declared length reserves nothing
    // beyond a first chunk's room (a client that promises 32 MiB and sends
    // nothing costs nothing).
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0).min(FIRST_CHUNK));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest(BadBody::Unreadable))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// 415 unless the request says its body is JSON.
fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// The body of a JSON request: 415 unless it says JSON, 400 unless it is
/// a JSON object.
fn json_body(req: &HttpRequest, body: &[u8]) -> Result<serde_json::Value, ApiError> {
    require_json(req)?;
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ApiError::BadRequest(BadBody::NotJson))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(BadBody::NotObject));
    }
    Ok(value)
}

/// `quantity`: a JSON integer (`5` or `5.0`) from 1 to the maximum.
fn quantity_of(value: &serde_json::Value, max: i64) -> Result<i64, ApiError> {
    let bad = || ApiError::field("quantity", FieldError::Quantity);
    let n = value
        .get("quantity")
        .and_then(|q| q.as_number())
        .ok_or_else(bad)?;
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
        _ => return Err(bad()),
    };
    if (1..=max).contains(&whole) {
        Ok(whole)
    } else {
        Err(bad())
    }
}

/// An optional text field: absent or null is none; another type is refused.
fn optional_text<'a>(
    value: &'a serde_json::Value,
    field: &str,
    error: FieldError,
) -> Result<Option<&'a str>, ApiError> {
    match value.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::field(field, error)),
    }
}

/// `Idempotency-Key`: 1 to 64 visible ASCII characters (400 otherwise).
fn idempotency_key(req: &HttpRequest) -> Result<String, ApiError> {
    let key = req
        .headers()
        .get("idempotency-key")
        .ok_or(ApiError::BadRequest(BadBody::NoIdempotencyKey))?
        .as_bytes();
    if key.is_empty() || key.len() > 64 || !key.iter().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(BadBody::BadIdempotencyKey));
    }
    Ok(String::from_utf8_lossy(key).into_owned())
}

/// The order as the API shows it.
async fn order_body(state: &AppState, order: LicenseOrder) -> Result<OrderBody, ApiError> {
    Ok(state
        .db(move |conn| {
            let by = login_email(conn, order.ordered_by)?.unwrap_or_default();
            let before = AuditEvent::licenses_when_ordered(conn, order.account_id, order.id)?;
            Ok(OrderBody::of(&order, by, before))
        })
        .await?)
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "account",
    description = "Order licenses (scope order). The same Idempotency-Key with the same body answers 200 with the order it made; with another body 422.",
    params(("Idempotency-Key" = String, Header, description = "1 to 64 visible ASCII characters", min_length = 1, max_length = 64, pattern = "^[!-~]{1,64}$")),
    request_body(content = OrderRequest, content_type = "application/json"),
    responses(
        (status = 201, body = OrderBody, headers(("Location" = String))),
        (status = 200, body = OrderBody, description = "the order this key already made"),
        (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn place_order(
    who: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::Order)?;
    let account = who.own_account()?.clone();
    let login = who.login.clone().ok_or(ApiError::Forbidden)?;
    let value = json_body(&req, &body)?;
    let key = idempotency_key(&req)?;
    let quantity = quantity_of(&value, state.settings.max_order_quantity)?;
    let reference = match optional_text(&value, "reference", FieldError::Reference)? {
        None => None,
        Some(text) => {
            validation::parse_reference(text).map_err(|e| ApiError::field("reference", e))?
        }
    };
    // The same request, whatever its spacing or key order, has one hash.
    let body_hash = hex::encode(Sha256::digest(
        serde_json::json!({"quantity": quantity, "reference": reference}).to_string(),
    ));
    let token = who.token.clone();
    let (order, created) = run_op(&state, move |conn, ctx| {
        ops::place_api_order(
            conn,
            ctx,
            &login,
            &token,
            &ops::ApiOrder {
                account_id: account.id,
                quantity,
                reference: reference.as_deref(),
                key: &key,
                body_hash: &body_hash,
            },
        )
    })
    .await?;
    let id = order.id;
    let body = order_body(&state, order).await?;
    if created {
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/orders/{id}")))
            .json(body))
    } else {
        Ok(json(StatusCode::OK, &body))
    }
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "account",
    description = "Orders, newest first: an account token's own account's; a decide token's every account's (or its one account's).",
    params(("status" = Option<OrderStatusJson>, Query),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = OrderList), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn orders(
    who: Bearer,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::ReadOrders)?;
    let (page, per_page) = paging(&q)?;
    let status = match q.get("status").map(|s| s.trim()) {
        None => None,
        Some(text) => Some(
            OrderStatus::parse(text)
                .ok_or_else(|| ApiError::field("status", FieldError::Required))?,
        ),
    };
    let account = who.bound_account();
    let (rows, total) = state
        .db(move |conn| {
            let (orders, total) =
                LicenseOrder::page_any(conn, account, status, (page - 1) * per_page, per_page)?;
            let placed: Vec<&LicenseOrder> = orders.iter().map(|(o, _)| o).collect();
            let before = AuditEvent::licenses_when_ordered_many(conn, &placed)?;
            let rows = orders
                .iter()
                .map(|(order, by)| OrderBody::of(order, by.clone(), before.get(&order.id).copied()))
                .collect();
            Ok((rows, total))
        })
        .await?;
    Ok(json(
        StatusCode::OK,
        &OrderList {
            orders: rows,
            page,
            per_page,
            total,
        },
    ))
}

/// The order `id` if this token reaches it (another account's: 404).
async fn reachable_order(
    who: &Bearer,
    state: &AppState,
    raw: &str,
) -> Result<LicenseOrder, ApiError> {
    let id = path_id(raw)?;
    let order = state
        .db(move |conn| Ok(LicenseOrder::find(conn, id)?))
        .await?
        .ok_or(ApiError::NotFound)?;
    if who.reaches(order.account_id) {
        Ok(order)
    } else {
        Err(ApiError::NotFound)
    }
}

#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "account",
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn order(
    who: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::ReadOrders)?;
    let order = reachable_order(&who, &state, &path).await?;
    Ok(json(StatusCode::OK, &order_body(&state, order).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "account",
    description = "Cancel a pending order of the account (scope order).",
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderBody), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn cancel(
    who: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::Order)?;
    let account = who.own_account()?.id;
    let login = who.login.clone().ok_or(ApiError::Forbidden)?;
    let id = path_id(&path)?;
    let token = who.token.clone();
    let order = run_op(&state, move |conn, ctx| {
        ops::cancel_order(conn, ctx, &login, Some(&token), account, id)
    })
    .await?;
    Ok(json(StatusCode::OK, &order_body(&state, order).await?))
}

/// A decision's note from an optional JSON body.
fn note_of(req: &HttpRequest, body: &[u8], required: bool) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(ApiError::field("note", FieldError::Required))
        } else {
            Ok(None)
        };
    }
    let value = json_body(req, body)?;
    match optional_text(&value, "note", FieldError::Required)?.map(str::trim) {
        None | Some("") if required => Err(ApiError::field("note", FieldError::Required)),
        None | Some("") => Ok(None),
        Some(text) => validation::required_text(text, 500)
            .map(Some)
            .map_err(|e| ApiError::field("note", e)),
    }
}

async fn decide(
    who: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    approve: bool,
) -> Result<HttpResponse, ApiError> {
    who.need(Need::Decide)?;
    let note = note_of(&req, &body, !approve)?;
    let order = reachable_order(&who, &state, &path).await?;
    let (login, token) = (who.login.clone(), who.token.clone());
    let decided = run_op(&state, move |conn, ctx| {
        let by = ops::Decider {
            login: login.as_ref(),
            token: Some(&token),
        };
        match note {
            Some(note) if !approve => ops::reject_order(conn, ctx, by, order.id, &note),
            None if !approve => Err(OpError::Invalid {
                field: "note",
                error: FieldError::Required,
            }),
            note => ops::approve_order(conn, ctx, by, order.id, note.as_deref()),
        }
    })
    .await?;
    Ok(json(StatusCode::OK, &order_body(&state, decided).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/approve", tag = "vendor",
    description = "Approve a pending order (scope decide): the licenses rise by its quantity, exactly once.",
    params(("id" = i64, Path)),
    request_body(content = Option<NoteRequest>, content_type = "application/json"),
    responses((status = 200, body = OrderBody), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn approve(
    who: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(who, state, req, path, body, true).await
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/reject", tag = "vendor",
    description = "Reject a pending order with a note (scope decide).",
    params(("id" = i64, Path)),
    request_body(content = NoteRequest, content_type = "application/json"),
    responses((status = 200, body = OrderBody), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn reject(
    who: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(who, state, req, path, body, false).await
}

#[utoipa::path(put, path = "/api/v1/accounts/{id}/users", tag = "vendor",
    description = "Every user of the account, as the WFM product knows them (scope sync): upsert by employee number with the rules of the CSV import, all or none; users not named are left as they are. The first bad user is named by its index (from 0) and field.",
    params(("id" = i64, Path)),
    request_body(content = SyncRequest, content_type = "application/json"),
    responses((status = 200, body = SyncResult), (status = 400, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 429, body = Problem, content_type = "application/problem+json"), (status = 503, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 413, body = Problem, content_type = "application/problem+json"), (status = 415, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn sync_users(
    who: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Scope, reach and content type before a byte of the body is read.
    who.need(Need::Sync)?;
    let id = path_id(&path)?;
    if !who.reaches(id) {
        return Err(ApiError::NotFound);
    }
    require_json(&req)?;
    let body = read_body(&req, payload, super::SYNC_LIMIT).await?;
    let sent: LooseSync = serde_json::from_slice(&body).map_err(|e| {
        if e.to_string().starts_with(TOO_MANY_USERS) {
            ApiError::BadRequest(BadBody::TooManyUsers)
        } else {
            ApiError::BadRequest(BadBody::NotUserList)
        }
    })?;
    drop(body);
    let mut checker = Checker::default();
    let mut rows = Vec::with_capacity(sent.users.len());
    for (index, user) in sent.users.iter().enumerate() {
        let cells = [
            user.employee_number.as_cell(),
            user.name.as_cell(),
            user.status.as_cell(),
            user.start_date.as_cell(),
            user.end_date.as_cell(),
        ];
        let row = checker.check(index as u64, cells).map_err(|e| {
            op_error(OpError::Sync {
                index,
                field: crate::domain::import::COLUMNS
                    .iter()
                    .find(|c| **c == e.field)
                    .copied()
                    .unwrap_or("users"),
                problem: e.problem,
            })
        })?;
        rows.push(row);
    }
    drop(sent);
    let token = who.token.clone();
    let outcome = run_op(&state, move |conn, ctx| {
        ops::sync_users(conn, ctx, &token, id, &rows)
    })
    .await?;
    Ok(json(
        StatusCode::OK,
        &SyncResult {
            created: outcome.created,
            updated: outcome.updated,
            unchanged: outcome.unchanged,
        },
    ))
}
