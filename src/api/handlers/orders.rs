//! Orders: placing (with an `Idempotency-Key`), listing, reading,
//! cancelling, approving and rejecting.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::domain::ledger::Period;
use crate::domain::orders::{Decision, OrderKind, OrderStatus};
use crate::domain::validation::{self, FieldError};
use crate::models::license_order::login_email;
use crate::models::{AuditEvent, LicenseOrder};
use crate::ops;
use crate::state::AppState;

use crate::api::auth::{Decide, PlaceOrders, ReadOrders, Token};
use crate::api::problem::answers::{
    Always, Conflict, Invalid, Malformed, NotFound, NotJson, TooLarge,
};
use crate::api::problem::ApiError;
use crate::api::types::*;

#[allow(unused_imports)]
use super::*;

/// The order as the API shows it.
pub(super) async fn order_body(
    state: &AppState,
    order: LicenseOrder,
) -> Result<OrderBody, ApiError> {
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
        Always, Malformed, TooLarge, NotJson, Invalid),
    security(("bearer" = [])))]
pub async fn place_order(
    who: Token<PlaceOrders>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
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
    let kind = match optional_text(&value, "kind", FieldError::Kind)? {
        None => OrderKind::Add,
        Some(word) => OrderKind::parse(word).ok_or(ApiError::field("kind", FieldError::Kind))?,
    };
    let starts_on = optional_text(&value, "starts_on", FieldError::Date)?.unwrap_or("");
    let ends_on = optional_text(&value, "ends_on", FieldError::Date)?.unwrap_or("");
    let today = account.today(state.clock.now());
    let period = match kind {
        OrderKind::Add => Period::parse_add(starts_on, ends_on, today),
        OrderKind::Reduce => Period::parse_reduce(starts_on, ends_on, today),
    }
    .map_err(|(field, e)| ApiError::field(field, e))?;
    // The same request, whatever its spacing or key order, has one hash.
    // An order with neither kind nor days hashes as it did before they
    // existed, so a key sent again across the upgrade still matches.
    let mut fields = serde_json::json!({"quantity": quantity, "reference": reference});
    if kind != OrderKind::Add || !starts_on.trim().is_empty() || !ends_on.trim().is_empty() {
        fields["kind"] = kind.as_str().into();
        fields["starts_on"] = starts_on.trim().into();
        fields["ends_on"] = ends_on.trim().into();
    }
    let body_hash = hex::encode(Sha256::digest(fields.to_string()));
    let input = ops::OrderInput {
        kind,
        quantity,
        period,
        reference,
    };
    let token = who.token.clone();
    let (order, created) = run_op(&state, move |conn, ctx| {
        ops::place_api_order(
            conn,
            ctx,
            &login,
            &token,
            &ops::ApiOrder {
                account_id: account.id,
                input,
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
    responses((status = 200, body = OrderList), Always, Invalid),
    security(("bearer" = [])))]
pub async fn orders(
    who: Token<ReadOrders>,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
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
pub(super) async fn reachable_order(
    who: &crate::api::auth::Caller,
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
    responses((status = 200, body = OrderBody), Always, NotFound),
    security(("bearer" = [])))]
pub async fn order(
    who: Token<ReadOrders>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = reachable_order(&who, &state, &path).await?;
    Ok(json(StatusCode::OK, &order_body(&state, order).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "account",
    description = "Cancel a pending order of the account (scope order).",
    params(("id" = i64, Path)),
    responses((status = 200, body = OrderBody), Always, NotFound, Conflict),
    security(("bearer" = [])))]
pub async fn cancel(
    who: Token<PlaceOrders>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
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

/// A decision from an optional JSON body with an optional `note`, under
/// the one note rule (`Decision::parse`).
fn decision_of(req: &HttpRequest, body: &[u8], approve: bool) -> Result<Decision, ApiError> {
    let note = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let value = json_body(req, body)?;
        optional_text(&value, "note", FieldError::Required)?.map(str::to_string)
    };
    Decision::parse(approve, note.as_deref().unwrap_or("")).map_err(|e| ApiError::field("note", e))
}

pub(super) async fn decide(
    who: Token<Decide>,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    approve: bool,
) -> Result<HttpResponse, ApiError> {
    let decision = decision_of(&req, &body, approve)?;
    let order = reachable_order(&who, &state, &path).await?;
    let (login, token) = (who.login.clone(), who.token.clone());
    let decided = run_op(&state, move |conn, ctx| {
        let by = ops::Decider {
            login: login.as_ref(),
            token: Some(&token),
        };
        ops::decide_order(conn, ctx, by, order.id, &decision)
    })
    .await?;
    Ok(json(StatusCode::OK, &order_body(&state, decided).await?))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/approve", tag = "vendor",
    description = "Approve a pending order (scope decide): the licenses rise by its quantity, exactly once.",
    params(("id" = i64, Path)),
    request_body(content = Option<NoteRequest>, content_type = "application/json"),
    responses((status = 200, body = OrderBody), Always, Malformed, NotFound, Conflict, NotJson, Invalid),
    security(("bearer" = [])))]
pub async fn approve(
    who: Token<Decide>,
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
    responses((status = 200, body = OrderBody), Always, Malformed, NotFound, Conflict, NotJson, Invalid),
    security(("bearer" = [])))]
pub async fn reject(
    who: Token<Decide>,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    decide(who, state, req, path, body, false).await
}
