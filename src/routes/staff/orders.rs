//! The order queue and its decisions (SPEC 4.3): approve at most once,
//! reject with a note.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Staff;
use crate::domain::orders::{Decision, OrderStatus};
use crate::domain::validation::FieldError;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::models::order_message::{LastWord, OrderMessage};
use crate::models::{Account, LicenseOrder};
use crate::ops::{self, OpError};
use crate::routes::pages::{ok, render, see_other, Chrome, Pager};
use crate::routes::path_id;
use crate::state::AppState;

/// One order in the queue, with its account's figures.
pub struct QueueLine {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub licenses: i64,
    pub counted: i64,
    pub quantity: i64,
    pub reference: String,
    pub ordered_by: String,
    pub ordered_at: String,
    pub status_text: &'static str,
    pub note: String,
    /// What a dated order or a reduction does, in words (SPEC 12).
    pub effect: Option<String>,
    pub error: Option<String>,
    /// How long a pending order has waited, and whether past the SLA.
    pub waited: String,
    pub overdue: bool,
    /// "waiting for the customer" or "answered" (SPEC 13).
    pub mark: Option<&'static str>,
    pub mark_class: &'static str,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub status: &'static str,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub lines: Vec<QueueLine>,
    pub pending: bool,
    pub error: Option<String>,
    pub pager: Pager,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: Option<String>,
}

async fn queue_page(
    who: &Staff,
    state: &AppState,
    status: OrderStatus,
    page: i64,
) -> Result<QueuePage, AppError> {
    let now = state.clock.now();
    let (views, usage, total, effects, marks) = state
        .db(move |conn| {
            let views = LicenseOrder::queue(conn, status, Pager::offset(page), Pager::SIZE)?;
            let ids: Vec<i64> = views.iter().map(|v| v.order.id).collect();
            let marks = OrderMessage::last_words(conn, &ids)?;
            let usage = Account::usage_list(conn, now)?;
            let zones: HashMap<i64, &Account> =
                usage.iter().map(|u| (u.account.id, &u.account)).collect();
            let mut effects = HashMap::new();
            for v in &views {
                if let Some(account) = zones.get(&v.order.account_id) {
                    let today = account.today(now);
                    if let Some(e) = LedgerRow::effect_of(conn, &v.order, today)? {
                        effects.insert(v.order.id, e);
                    }
                }
            }
            let total = LicenseOrder::count_status(conn, status)?;
            Ok((views, usage, total, effects, marks))
        })
        .await?;
    let counted: HashMap<i64, i64> = usage.iter().map(|u| (u.account.id, u.counted)).collect();
    let t = who.lang.msgs();
    let now_naive = now.naive_utc();
    let sla = state.settings.order_sla_hours * 3600;
    let pending = status == OrderStatus::Pending;
    let lines = views
        .into_iter()
        .map(|v| {
            let waited = (now_naive - v.order.ordered_at).num_seconds();
            let (mark, mark_class) = match marks.get(&v.order.id).filter(|_| pending) {
                Some(LastWord::Vendor) => (Some(t.waiting_for_customer), "waiting-customer"),
                Some(LastWord::Answered) => (Some(t.answered), "answered"),
                None => (None, ""),
            };
            QueueLine {
                waited: who.lang.waited(waited),
                overdue: pending && waited > sla,
                mark,
                mark_class,
                effect: effects.get(&v.order.id).map(|e| who.lang.order_effect(e)),
                id: v.order.id,
                account_id: v.order.account_id,
                account_name: v.account_name,
                licenses: v.account_licenses,
                counted: counted.get(&v.order.account_id).copied().unwrap_or(0),
                quantity: v.order.quantity,
                reference: v.order.reference.clone().unwrap_or_default(),
                ordered_by: v.ordered_by,
                ordered_at: v.order.ordered_at.format("%Y-%m-%d %H:%M").to_string(),
                status_text: t.order_status(v.order.status),
                note: if v.order.by_rule {
                    t.approved_by_rule.to_string()
                } else {
                    v.order.decision_note.clone().unwrap_or_default()
                },
                error: None,
            }
        })
        .collect();
    Ok(QueuePage {
        c: Chrome::signed_in(who, "staff-orders", "/staff/orders"),
        status: status.as_str(),
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), t.order_status(*s)))
            .collect(),
        lines,
        pending: status == OrderStatus::Pending,
        error: None,
        pager: Pager::new(who.lang, page, total, |p| {
            format!("/staff/orders?status={}&page={p}", status.as_str())
        }),
    })
}

/// `GET /staff/orders?status=...` (default pending, oldest first).
pub async fn queue(
    who: Staff,
    state: web::Data<AppState>,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let status = if q.status.is_empty() {
        OrderStatus::Pending
    } else {
        OrderStatus::parse(&q.status).ok_or(AppError::BadRequest)?
    };
    let page = Pager::parse(q.page.as_deref())?;
    ok(&queue_page(&who, &state, status, page).await?)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    note: String,
}

/// The pending queue again with 422 and why, beside the order when it is
/// one order's field.
pub(super) async fn refused(
    who: &Staff,
    state: &AppState,
    message: &str,
    beside: Option<i64>,
) -> Result<HttpResponse, AppError> {
    refused_with(
        who,
        state,
        StatusCode::UNPROCESSABLE_ENTITY,
        message,
        beside,
    )
    .await
}

/// The queue again with `message` above it, and beside the order it
/// concerns, with `status`.
async fn refused_with(
    who: &Staff,
    state: &AppState,
    status: StatusCode,
    message: &str,
    beside: Option<i64>,
) -> Result<HttpResponse, AppError> {
    let mut page = queue_page(who, state, OrderStatus::Pending, 1).await?;
    for line in page.lines.iter_mut().filter(|l| Some(l.id) == beside) {
        line.error = Some(message.to_string());
    }
    page.error = Some(message.to_string());
    render(status, &page)
}

/// `POST /staff/orders/{id}/approve`: exactly once; 409 when decided.
pub async fn approve(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    decide(who, state, path, form, true).await
}

/// `POST /staff/orders/{id}/reject`: a note is required (422 without).
pub async fn reject(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    decide(who, state, path, form, false).await
}

/// An approval or a rejection: a bad note is refused beside the order (a
/// rejection's) or above the queue, never dropped.
async fn decide(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
    approve: bool,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let decision = match Decision::parse(approve, &form.note) {
        Ok(decision) => decision,
        Err(FieldError::Required) => return refused(&who, &state, t.note_required, Some(id)).await,
        Err(e) => {
            let beside = (!approve).then_some(id);
            return refused(&who, &state, t.field_error(e), beside).await;
        }
    };
    let login = who.login.clone();
    let outcome = state
        .op(move |conn, ctx| {
            ops::decide_order(conn, ctx, ops::Decider::staff(&login), id, &decision)
        })
        .await?;
    match outcome {
        Ok(_) => {}
        Err(OpError::LicenseBounds) => {
            return refused(&who, &state, t.err_license_bounds, None).await
        }
        // The order stays pending; the page says why.
        Err(OpError::Clash(clash)) => {
            let message = who.lang.clash(clash);
            return refused_with(&who, &state, StatusCode::CONFLICT, &message, Some(id)).await;
        }
        Err(refused) => return Err(refused.into()),
    }
    tracing::info!(
        order_id = id,
        login_id = who.login.id,
        approve,
        "order decided"
    );
    who.session.set_flash(if approve {
        crate::i18n::Flash::OrderApproved
    } else {
        crate::i18n::Flash::OrderRejected
    });
    Ok(see_other("/staff/orders"))
}
