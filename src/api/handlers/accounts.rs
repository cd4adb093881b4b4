//! `GET /api/v1/account`, `/accounts` and `/accounts/{id}`: an account's figures.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;

use crate::domain::ledger;
use crate::models::account::AccountUsage;
use crate::models::ledger::LedgerRow;
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
        licenses_changes: None,
    }
}

/// The figures of one account.
pub(super) async fn figures(state: &AppState, account: Account) -> Result<AccountBody, ApiError> {
    let today = account.today(state.clock.now());
    let id = account.id;
    let (counted, pending_quantity, spans) = state
        .db(move |conn| {
            Ok((
                User::count_counted(conn, id, today)?,
                LicenseOrder::pending_quantity(conn, id)?.1,
                LedgerRow::spans(conn, id)?,
            ))
        })
        .await?;
    let mut body = account_body(&AccountUsage { account, counted }, pending_quantity, today);
    body.licenses_changes = Some(on_days(
        ledger::coming(&spans, today)
            .into_iter()
            .map(|(day, _, licenses)| (day, licenses)),
    ));
    Ok(body)
}

/// Figures from days on, as the API writes them.
fn on_days(days: impl IntoIterator<Item = (NaiveDate, i64)>) -> Vec<LicensesOnBody> {
    days.into_iter()
        .map(|(day, licenses)| LicensesOnBody {
            day: day.to_string(),
            licenses,
        })
        .collect()
}

#[utoipa::path(get, path = "/api/v1/licenses", tag = "account",
    description = "The token's own account's license ledger, newest first, and the licenses owned from each day the figure changes, past and future (account tokens).",
    responses((status = 200, body = LicensesBody), Always),
    security(("bearer" = [])))]
pub async fn licenses(
    who: Token<OwnAccount>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = who.own_account()?.id;
    let rows = state
        .db(move |conn| Ok(LedgerRow::of_account(conn, id)?))
        .await?;
    let spans: Vec<_> = rows.iter().map(LedgerRow::span).collect();
    let body = LicensesBody {
        timeline: on_days(ledger::timeline(&spans)),
        entries: rows
            .into_iter()
            .map(|r| LedgerEntryBody {
                id: r.id,
                starts_on: r.starts_on.to_string(),
                ends_on: r.ends_on.map(|d| d.to_string()),
                change: r.change,
                kind: r.kind.as_str().to_string(),
                order_id: r.order_id,
                reason: r.reason,
            })
            .collect(),
    };
    Ok(json(StatusCode::OK, &body))
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
