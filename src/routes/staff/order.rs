//! `GET /staff/orders/{id}`: one order for staff, with its account's
//! figures, what it does, its messages and the decision forms; `POST
//! /staff/orders/{id}/messages` (SPEC 13).

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Staff;
use crate::domain::orders::takes_messages;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::models::license_order::login_email;
use crate::models::order_message::OrderMessage;
use crate::models::{now_utc, Account, LicenseOrder, User};
use crate::routes::messages::{post, Conversation, MessageForm, Posted, Side};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::routes::path_id;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "staff/order.html")]
pub struct StaffOrderPage {
    pub c: Chrome,
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub licenses: i64,
    pub counted: i64,
    pub kind: &'static str,
    pub quantity: i64,
    pub reference: String,
    pub ordered_by: String,
    pub ordered_at: String,
    pub status: &'static str,
    pub status_text: &'static str,
    pub pending: bool,
    pub waited: String,
    pub overdue: bool,
    pub decided_by: String,
    pub decided_at: String,
    pub note: String,
    pub effect: Option<String>,
    pub talk: Conversation,
}

async fn staff_order_page(
    who: &Staff,
    state: &AppState,
    id: i64,
) -> Result<StaffOrderPage, AppError> {
    let now = state.clock.now();
    let (o, account, counted, by, decided_by, effect, messages) = state
        .db(move |conn| {
            let o = LicenseOrder::find(conn, id)?.ok_or(AppError::NotFound)?;
            let account = Account::find(conn, o.account_id)?.ok_or(AppError::NotFound)?;
            let today = account.today(now);
            let counted = User::count_counted(conn, account.id, today)?;
            let effect = LedgerRow::effect_of(conn, &o, today)?;
            let by = login_email(conn, o.ordered_by)?.unwrap_or_default();
            let decided_by = match o.decided_by {
                Some(d) => login_email(conn, d)?.unwrap_or_default(),
                None => String::new(),
            };
            let messages = OrderMessage::of_order(conn, o.id)?;
            Ok((o, account, counted, by, decided_by, effect, messages))
        })
        .await?;
    let t = who.lang.msgs();
    let pending = o.status.may_decide();
    let waited = (now.naive_utc() - o.ordered_at).num_seconds();
    let open = takes_messages(o.status, o.decided_at, now_utc());
    let fmt = |d: chrono::NaiveDateTime| d.format("%Y-%m-%d %H:%M").to_string();
    Ok(StaffOrderPage {
        c: Chrome::signed_in(who, "staff-orders", &format!("/staff/orders/{id}")),
        id,
        account_id: account.id,
        account_name: account.name.clone(),
        licenses: account.licenses,
        counted,
        kind: o.kind.as_str(),
        quantity: o.quantity,
        reference: o.reference.clone().unwrap_or_default(),
        ordered_by: by,
        ordered_at: fmt(o.ordered_at),
        status: o.status.as_str(),
        status_text: t.order_status(o.status),
        pending,
        waited: who.lang.waited(waited),
        overdue: pending && waited > state.settings.order_sla_hours * 3600,
        decided_by: if o.by_rule {
            t.by_the_rule.to_string()
        } else {
            decided_by
        },
        decided_at: o.decided_at.map(fmt).unwrap_or_default(),
        note: if o.by_rule {
            t.approved_by_rule.to_string()
        } else {
            o.decision_note.clone().unwrap_or_default()
        },
        effect: effect.map(|e| who.lang.order_effect(&e)),
        talk: Conversation::new(
            messages,
            who,
            open,
            true,
            format!("/staff/orders/{id}/messages"),
        ),
    })
}

/// `GET /staff/orders/{id}`.
pub async fn order(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    ok(&staff_order_page(&who, &state, id).await?)
}

/// `POST /staff/orders/{id}/messages` -> 303 to the order; the page again
/// with 422 (the body) or 409 (closed), nothing stored.
pub async fn post_message(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<MessageForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    match post(&state, &who, Side::Staff, id, &form.body).await? {
        Posted::Done => {
            who.session.set_flash(crate::i18n::Flash::MessageSent);
            Ok(see_other(&format!("/staff/orders/{id}#messages")))
        }
        Posted::Refused(status, why) => {
            let mut page = staff_order_page(&who, &state, id).await?;
            page.talk.error = Some(why);
            page.talk.body = form.body.clone();
            render(status, &page)
        }
    }
}
