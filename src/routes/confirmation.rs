//! An order's confirmation to print or save as PDF (SPEC 15):
//! `GET /account/orders/{id}/confirmation` (the account's own orders) and
//! `GET /staff/orders/{id}/confirmation`. One A4 page, no navigation: the
//! vendor and the customer, the order's number and reference, what was
//! ordered, who and when, its status and decision, and the price and cost
//! it kept.

use actix_web::{web, HttpResponse};
use askama::Template;

use super::account::order_line;
use crate::auth::{Customer, SignedIn, Staff};
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::models::license_order::login_email;
use crate::models::{Account, LicenseOrder};
use crate::routes::account::OrderLine;
use crate::routes::pages::{ok, Chrome};
use crate::routes::path_id;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "orders/confirmation.html")]
pub struct ConfirmationPage {
    pub c: Chrome,
    pub vendor: String,
    pub customer: String,
    pub o: OrderLine,
    pub kind: &'static str,
    /// What the order does, in words (its period, or the order's summary).
    pub what: String,
    pub back: String,
}

/// Which orders a reader reaches.
enum Reach {
    Account(i64),
    Staff,
}

async fn page(
    who: &SignedIn,
    state: &AppState,
    reach: Reach,
    id: i64,
    back: String,
) -> Result<ConfirmationPage, AppError> {
    let now = state.clock.now();
    let (order, account, by, decided_by, effect) = state
        .db(move |conn| {
            let order = match reach {
                Reach::Account(account) => LicenseOrder::find_in_account(conn, account, id)?,
                Reach::Staff => LicenseOrder::find(conn, id)?,
            }
            .ok_or(AppError::NotFound)?;
            let account = Account::find(conn, order.account_id)?.ok_or(AppError::NotFound)?;
            let effect = LedgerRow::effect_of(conn, &order, account.today(now))?;
            let by = login_email(conn, order.ordered_by)?.unwrap_or_default();
            let decided_by = match order.decided_by {
                Some(d) => login_email(conn, d)?.unwrap_or_default(),
                None => String::new(),
            };
            Ok((order, account, by, decided_by, effect))
        })
        .await?;
    let t = who.lang.msgs();
    let mut line = order_line(&order, who, by, decided_by);
    if order.by_rule {
        line.decided_by = t.by_the_rule.to_string();
    }
    Ok(ConfirmationPage {
        c: Chrome::signed_in(who, "orders", &format!("/account/orders/{id}")),
        vendor: state
            .settings
            .vendor_name
            .clone()
            .unwrap_or_else(|| t.app_name.to_string()),
        customer: account.name.clone(),
        kind: match order.kind {
            crate::domain::orders::OrderKind::Add => t.confirmation_kind_add,
            crate::domain::orders::OrderKind::Reduce => t.confirmation_kind_reduce,
        },
        what: match effect {
            Some(e) => who.lang.order_effect(&e),
            None => who.lang.order_summary(account.licenses, order.quantity),
        },
        o: line,
        back,
    })
}

/// `GET /account/orders/{id}/confirmation`: another account's order is a 404.
pub async fn customer(
    who: Customer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let account = who.account().id;
    let back = format!("/account/orders/{id}");
    ok(&page(&who, &state, Reach::Account(account), id, back).await?)
}

/// `GET /staff/orders/{id}/confirmation`.
pub async fn staff(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let back = format!("/staff/orders/{id}");
    ok(&page(&who, &state, Reach::Staff, id, back).await?)
}
