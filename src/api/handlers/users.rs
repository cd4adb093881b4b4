//! The users list and the vendor's users sync.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::import::Checker;
use crate::domain::validation::{parse_unit, FieldError};
use crate::models::user::{UnitFilter, UserFilter, UserSearch};
use crate::models::User;
use crate::ops::{self, OpError};
use crate::state::AppState;

use crate::api::auth::{OwnAccount, SyncUsers, Token};
use crate::api::problem::answers::{Always, Invalid, Malformed, NotFound, NotJson, TooLarge};
use crate::api::problem::{ApiError, BadBody};
use crate::api::types::*;

#[allow(unused_imports)]
use super::*;

#[utoipa::path(get, path = "/api/v1/users", tag = "account",
    description = "The account's users, each with the reason it is or is not counted today.",
    params(
        ("filter" = Option<FilterJson>, Query),
        ("q" = Option<String>, Query, description = "matches the name or the employee number"),
        ("unit" = Option<String>, Query, description = "only the users of this unit"),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 1000000), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = UserList), Always, Invalid),
    security(("bearer" = [])))]
pub async fn users(
    who: Token<OwnAccount>,
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
    let unit = match q.get("unit").map(|s| parse_unit(s)) {
        None => UnitFilter::Any,
        Some(Ok(Some(unit))) => UnitFilter::Is(unit),
        Some(_) => return Err(ApiError::field("unit", FieldError::Unit)),
    };
    let search = UserSearch {
        filter,
        unit,
        // As the page: the first 100 characters are searched for.
        q: q.get("q")
            .map(|s| s.trim().chars().take(100).collect())
            .unwrap_or_default(),
    };
    let today = account.today(state.clock.now());
    let (rows, total) = state
        .db(move |conn| {
            Ok(User::page(
                conn,
                account.id,
                &search,
                today,
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

#[utoipa::path(put, path = "/api/v1/accounts/{id}/users", tag = "vendor",
    description = "Every user of the account, as the WFM product knows them (scope sync): upsert by employee number with the rules of the CSV import, all or none; users not named are left as they are. The first bad user is named by its index (from 0) and field.",
    params(("id" = i64, Path)),
    request_body(content = SyncRequest, content_type = "application/json"),
    responses((status = 200, body = SyncResult), Always, Malformed, NotFound, TooLarge, NotJson, Invalid),
    security(("bearer" = [])))]
pub async fn sync_users(
    who: Token<SyncUsers>,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    // Scope, reach and content type before a byte of the body is read.
    let id = path_id(&path)?;
    if !who.reaches(id) {
        return Err(ApiError::NotFound);
    }
    require_json(&req)?;
    let body = read_body(&req, payload, crate::api::SYNC_LIMIT).await?;
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
        let unit = user.unit.as_ref().map(Loose::as_cell);
        let row = checker.check(index as u64, cells, unit).map_err(|e| {
            op_error(OpError::Sync {
                index,
                field: crate::domain::import::COLUMNS
                    .iter()
                    .chain([&crate::domain::import::UNIT_COLUMN])
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
