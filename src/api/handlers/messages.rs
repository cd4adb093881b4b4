//! Messages on an order (SPEC 13): read them, write one.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::validation::{self, FieldError};
use crate::models::order_message::OrderMessage;
use crate::ops::{self, Writer};
use crate::state::AppState;

use crate::api::auth::{ReadOrders, Token, WriteMessages};
use crate::api::problem::answers::{
    Always, Conflict, Invalid, Malformed, NotFound, NotJson, TooLarge,
};
use crate::api::problem::ApiError;
use crate::api::types::*;

#[allow(unused_imports)]
use super::*;

#[utoipa::path(get, path = "/api/v1/orders/{id}/messages", tag = "account",
    description = "An order's messages, oldest first (scopes read and order: the account's orders; decide: those it reaches).",
    params(("id" = i64, Path)),
    responses((status = 200, body = MessageList), Always, NotFound),
    security(("bearer" = [])))]
pub async fn messages(
    who: Token<ReadOrders>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = reachable_order(&who, &state, &path).await?;
    let views = state
        .db(move |conn| Ok(OrderMessage::of_order(conn, order.id)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &MessageList {
            messages: views.into_iter().map(MessageBody::of).collect(),
        },
    ))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/messages", tag = "account",
    description = "Write a message on an order (scope order on the account's orders, or decide for a vendor token): while it is pending and up to 30 days after its decision (409 later, nothing stored). It is mailed to the other side.",
    params(("id" = i64, Path)),
    request_body(content = MessageRequest, content_type = "application/json"),
    responses(
        (status = 201, body = MessageBody, headers(("Location" = String))),
        Always, Malformed, NotFound, Conflict, TooLarge, NotJson, Invalid),
    security(("bearer" = [])))]
pub async fn post_message(
    who: Token<WriteMessages>,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let value = json_body(&req, &body)?;
    let text = match value.get("body") {
        Some(serde_json::Value::String(s)) => s.as_str(),
        _ => return Err(ApiError::field("body", FieldError::MessageBody)),
    };
    let text = validation::parse_message(text).map_err(|e| ApiError::field("body", e))?;
    let order = reachable_order(&who, &state, &path).await?;
    let (login, token) = (who.login.clone(), who.token.clone());
    let vendor = token.scope.is_vendor();
    let account_id = order.account_id;
    let message = run_op(&state, move |conn, ctx| {
        let writer = match (&login, vendor) {
            (_, true) => Writer::Vendor(ops::Decider {
                login: login.as_ref(),
                token: Some(&token),
            }),
            (Some(login), false) => Writer::Customer { login, account_id },
            (None, false) => return Err(ops::OpError::NotFound),
        };
        let message = ops::post_message(conn, ctx, writer, order.id, &text)?;
        Ok(OrderMessage::of_order(conn, order.id)?
            .into_iter()
            .find(|v| v.message.id == message.id))
    })
    .await?
    .ok_or(ApiError::NotFound)?;
    let id = order.id;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/orders/{id}/messages#{}", message.message.id),
        ))
        .json(MessageBody::of(message)))
}
