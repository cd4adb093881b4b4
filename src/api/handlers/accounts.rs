//! `GET /api/v1/account`, `/accounts` and `/accounts/{id}`: an account's figures.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

use crate::models::account::AccountUsage;
use crate::models::{Account, LicenseOrder, User};
use crate::state::AppState;

use crate::api::auth::{OwnAccount, ReadAccounts, Token};
use crate::api::problem::answers::{Always, Invalid, NotFound};
use crate::api::problem::ApiError;
use crate::api::types::*;

#[allow(unused_imports)]
use super::*;

pub(super) fn account_body(
    usage: &AccountUsage,
    pending_quantity: i64,
    today: NaiveDate,
) -> AccountBody {
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
pub(super) async fn figures(state: &AppState, account: Account) -> Result<AccountBody, ApiError> {
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
    responses((status = 200, body = AccountBody), Always),
    security(("bearer" = [])))]
pub async fn own_account(
    who: Token<OwnAccount>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    Ok(json(StatusCode::OK, &figures(&state, account).await?))
}

#[utoipa::path(get, path = "/api/v1/accounts", tag = "vendor",
    description = "Every account the vendor token reaches, by id.",
    params(("page" = Option<i64>, Query, minimum = 1, maximum = 1000000), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = AccountList), Always, Invalid),
    security(("bearer" = [])))]
pub async fn accounts(
    who: Token<ReadAccounts>,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
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

#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "vendor",
    description = "One account's figures; another account than the token's is answered as an unknown one.",
    params(("id" = i64, Path)),
    responses((status = 200, body = AccountBody), Always, NotFound),
    security(("bearer" = [])))]
pub async fn account(
    who: Token<ReadAccounts>,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
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
