//! The endpoints of SPEC 9. Each checks what its token may do, reads or
//! changes through the same models and `ops` as the pages (so the rules
//! and audit events are the same), and answers JSON.

mod accounts;
mod messages;
mod orders;
mod reports;
mod users;

pub use accounts::*;
pub use messages::*;
pub use orders::*;
pub use reports::*;
pub use users::*;

use std::collections::HashMap;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;

use crate::domain::validation::{self, FieldError};
use crate::error::AppError;
use crate::ops::OpError;
use crate::state::AppState;

use crate::api::problem::{ApiError, BadBody, BadField, FieldText};

/// The query of a request, as text: values are checked by the handler,
/// so a bad one is named (422) rather than failing the whole query.
pub type Params = web::Query<HashMap<String, String>>;

/// The longest range of days a history answers.
use crate::domain::validation::{MAX_HISTORY_DAYS, MAX_PAGE, MAX_PER_PAGE};

pub(super) fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

/// `page` and `per_page`: whole numbers, page from 1, per_page 1..=1000.
pub(super) fn paging(q: &Params) -> Result<(i64, i64), ApiError> {
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
pub(super) fn day_param(q: &Params, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    match q.get(name).map(|s| s.trim()) {
        None => Ok(None),
        Some(text) => validation::parse_date(text)
            .map(Some)
            .map_err(|e| ApiError::field(name, e)),
    }
}

pub(super) fn op_error(e: OpError) -> ApiError {
    match e {
        OpError::NotFound | OpError::UnknownAccount => ApiError::NotFound,
        OpError::NotPending => ApiError::Conflict,
        OpError::Clash(clash) => ApiError::Clash(clash),
        OpError::TooFew(clash) => ApiError::Unprocessable(vec![BadField {
            index: None,
            field: "quantity".into(),
            text: FieldText::Clash(clash),
        }]),
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

pub(super) async fn run_op<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::PooledConn, &crate::mail::MailContext) -> Result<T, OpError>
        + Send
        + 'static,
    T: Send + 'static,
{
    state.op(f).await?.map_err(op_error)
}

/// A path id; a malformed one is answered like an unknown one.
pub(super) fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| ApiError::NotFound)
}

/// The body, up to `limit` bytes (413 over it, without reading it all).
/// The most a body reserves before its bytes arrive.
pub(super) const FIRST_CHUNK: usize = 64 * 1024;

pub(super) async fn read_body(
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
pub(super) fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let essence = crate::auth::csrf::media_type(req.headers());
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// The body of a JSON request: 415 unless it says JSON, 400 unless it is
/// a JSON object.
pub(super) fn json_body(req: &HttpRequest, body: &[u8]) -> Result<serde_json::Value, ApiError> {
    require_json(req)?;
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ApiError::BadRequest(BadBody::NotJson))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(BadBody::NotObject));
    }
    Ok(value)
}

/// `quantity`, by the rule of `validation::json_quantity`.
pub(super) fn quantity_of(value: &serde_json::Value, max: i64) -> Result<i64, ApiError> {
    value
        .get("quantity")
        .and_then(|q| q.as_number())
        .ok_or(FieldError::Quantity)
        .and_then(|n| validation::json_quantity(n, max))
        .map_err(|e| ApiError::field("quantity", e))
}

/// An optional text field: absent or null is none; another type is refused.
pub(super) fn optional_text<'a>(
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
pub(super) fn idempotency_key(req: &HttpRequest) -> Result<String, ApiError> {
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
