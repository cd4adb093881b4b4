//! The customer's account (SPEC 4.2): overview, the Order Licenses tab,
//! orders. Every query is scoped to the signed-in login's account.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{form_token, Contact, Customer, SignedIn};
use crate::domain::counting::{free_licenses, suggested_quantity};
use crate::domain::ledger::Period;
use crate::domain::orders::{takes_messages, OrderKind};
use crate::domain::validation;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::models::license_order::login_email;
use crate::models::order_message::OrderMessage;
use crate::models::user::GroupCounts;
use crate::models::{Account, AuditEvent, LicenseOrder, User};
use crate::ops;
use crate::routes::messages::Conversation;
use crate::routes::pages::{ok, render, see_other, Chrome, Pager};
use crate::routes::path_id;
use crate::state::AppState;

/// An order as a row of a list or a page.
pub struct OrderLine {
    pub id: i64,
    pub quantity: i64,
    pub reference: String,
    pub status: String,
    pub status_text: &'static str,
    pub ordered_by: String,
    pub ordered_at: String,
    pub decided_by: String,
    pub decided_at: String,
    pub note: String,
    /// The price per license and month kept with the order (SPEC 15; ""
    /// without one), and its cost then (hundredths, in words).
    pub price: String,
    pub cost: Option<(i64, String)>,
}

pub(super) fn order_line(
    o: &LicenseOrder,
    who: &SignedIn,
    ordered_by: String,
    decided_by: String,
) -> OrderLine {
    OrderLine {
        id: o.id,
        quantity: o.quantity,
        reference: o.reference.clone().unwrap_or_default(),
        status: o.status.to_string(),
        status_text: who.lang.msgs().order_status(o.status),
        ordered_by,
        ordered_at: o.ordered_at.format("%Y-%m-%d %H:%M").to_string(),
        decided_by,
        decided_at: o
            .decided_at
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default(),
        note: o.decision_note.clone().unwrap_or_default(),
        price: match (o.price_minor, o.currency.as_deref()) {
            (Some(p), Some(c)) => who.lang.money(p, c),
            _ => String::new(),
        },
        cost: match (o.cost_minor, o.currency.as_deref()) {
            (Some(minor), Some(c)) => Some((minor, who.lang.money(minor, c))),
            _ => None,
        },
    }
}

/// The three figures automation reads.
pub struct Figures {
    pub owned: i64,
    pub counted: i64,
    pub free: i64,
}

impl Figures {
    pub(crate) fn of(account: &Account, counted: i64) -> Figures {
        Figures {
            owned: account.licenses,
            counted,
            free: free_licenses(account.licenses, counted),
        }
    }
}

#[derive(Template)]
#[template(path = "account/order_form.html")]
pub struct OrderFormPage {
    pub c: Chrome,
    pub f: Figures,
    pub groups: GroupCounts,
    pub suggested: Option<i64>,
    pub max: i64,
    pub e: OrderEntry,
    /// Today in the account's time zone: the earliest day a period may
    /// name (the date fields' `min`).
    pub today: String,
    pub form_token: String,
    pub quantity_error: Option<String>,
    pub reference_error: Option<&'static str>,
    pub starts_on_error: Option<&'static str>,
    pub ends_on_error: Option<&'static str>,
    pub form_error: Option<&'static str>,
    /// "Orders of up to N licenses are approved at once" (SPEC 13).
    pub rule_line: Option<String>,
    /// What the fields as typed cost (SPEC 15), and what the script needs
    /// to work it out as they are typed.
    pub cost: Option<crate::routes::cost::CostView>,
    pub cost_script: Option<crate::routes::cost::CostScript>,
}

/// The order form's fields as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrderEntry {
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub form_token: String,
    /// "Show the cost": the form again with its cost, nothing ordered.
    #[serde(default)]
    pub preview: String,
}

impl OrderFormPage {
    pub fn has_errors(&self) -> bool {
        self.quantity_error.is_some()
            || self.reference_error.is_some()
            || self.starts_on_error.is_some()
            || self.ends_on_error.is_some()
            || self.form_error.is_some()
    }
}

async fn order_form_page(
    who: &Contact,
    state: &AppState,
    e: OrderEntry,
) -> Result<OrderFormPage, AppError> {
    let account = who.account().clone();
    let account_id = account.id;
    let today = account.today(state.clock.now());
    let (groups, pending) = state
        .db(move |conn| {
            Ok((
                User::group_counts(conn, account_id, today)?,
                LicenseOrder::pending_quantity(conn, account_id)?,
            ))
        })
        .await?;
    Ok(OrderFormPage {
        c: Chrome::signed_in(who, "order", "/account/order-licenses"),
        f: Figures::of(&account, who.counted),
        groups,
        suggested: suggested_quantity(account.licenses, who.counted, pending.1),
        max: state.settings.max_order_quantity,
        today: today.to_string(),
        form_token: form_token::issue(&state.form_key, account.id, state.clock.now().timestamp()),
        quantity_error: None,
        reference_error: None,
        starts_on_error: None,
        ends_on_error: None,
        form_error: None,
        rule_line: account
            .rule()
            .is_on()
            .then(|| who.lang.rule_line(account.rule())),
        cost_script: crate::routes::cost::CostScript::of(
            who.lang,
            &account,
            crate::domain::orders::OrderKind::Add,
            state.settings.max_order_quantity,
            today,
        ),
        cost: crate::routes::cost::CostView::of(
            who.lang,
            &account,
            crate::domain::orders::OrderKind::Add,
            (&e.quantity, &e.starts_on, &e.ends_on),
            state.settings.max_order_quantity,
            today,
        ),
        e,
    })
}

/// What a link may fill in (the over-licenses mail links here with the
/// suggested quantity).
#[derive(Deserialize)]
pub struct OrderPrefill {
    #[serde(default)]
    quantity: Option<String>,
    /// The period, to show its cost (SPEC 15).
    #[serde(default)]
    starts_on: Option<String>,
    #[serde(default)]
    ends_on: Option<String>,
}

/// `GET /account/order-licenses[?quantity=N]` (contact): the form, its
/// quantity filled in when the link gives one that may be ordered (nothing
/// is ordered before the form is sent).
pub async fn order_form(
    who: Contact,
    state: web::Data<AppState>,
    q: web::Query<OrderPrefill>,
) -> Result<HttpResponse, AppError> {
    let quantity = q
        .quantity
        .as_deref()
        .and_then(|n| validation::parse_quantity(n, state.settings.max_order_quantity).ok())
        .map(|n| n.to_string())
        .unwrap_or_default();
    // A day is filled in as typed (10 characters at most); the cost is
    // shown only for days that could be ordered.
    let day = |d: &Option<String>| d.as_deref().unwrap_or("").trim().chars().take(10).collect();
    let entry = OrderEntry {
        quantity,
        starts_on: day(&q.starts_on),
        ends_on: day(&q.ends_on),
        ..Default::default()
    };
    ok(&order_form_page(&who, &state, entry).await?)
}

/// A form sent again lands on the order it already made: the redirect
/// there, if it made one in this account.
pub(crate) async fn made_by_form(
    state: &AppState,
    account_id: i64,
    token: &str,
) -> Result<Option<HttpResponse>, AppError> {
    let lookup = token.to_string();
    Ok(state
        .db(move |conn| Ok(LicenseOrder::find_by_form_token(conn, &lookup)?))
        .await?
        .filter(|o| o.account_id == account_id)
        .map(|order| see_other(&format!("/account/orders/{}", order.id))))
}

/// `POST /account/order-licenses`: one submitted form, at most one order.
pub async fn order_submit(
    who: Contact,
    state: web::Data<AppState>,
    form: web::Form<OrderEntry>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let entry = form.into_inner();
    let account_id = account.id;

    if let Some(made) = made_by_form(&state, account_id, &entry.form_token).await? {
        return Ok(made);
    }
    if entry.preview == "1" {
        // The cost of what is typed; nothing is ordered.
        let mut page = order_form_page(&who, &state, entry).await?;
        page.form_token = page.e.form_token.clone();
        return ok(&page);
    }

    let t = who.lang.msgs();
    let now = state.clock.now();
    let token_ok = form_token::verify(
        &state.form_key,
        &entry.form_token,
        account_id,
        now.timestamp(),
    );
    let quantity = validation::parse_quantity(&entry.quantity, state.settings.max_order_quantity);
    let reference = validation::parse_reference(&entry.reference);
    let period = Period::parse_add(&entry.starts_on, &entry.ends_on, account.today(now));
    match (token_ok, quantity, reference, period) {
        (true, Ok(quantity), Ok(reference), Ok(period)) => {
            let login = who.login.clone();
            let input = ops::OrderInput {
                kind: OrderKind::Add,
                quantity,
                period,
                reference,
            };
            let token = entry.form_token;
            let order = state
                .op(move |conn, ctx| {
                    ops::place_order(conn, ctx, &login, account_id, &input, &token)
                })
                .await??;
            who.session.set_flash(if order.by_rule {
                crate::i18n::Flash::OrderApprovedByRule
            } else {
                crate::i18n::Flash::OrderPlaced
            });
            Ok(see_other(&format!("/account/orders/{}", order.id)))
        }
        (token_ok, q, r, p) => {
            let mut page = order_form_page(&who, &state, entry).await?;
            page.form_error = (!token_ok).then_some(t.form_expired);
            page.quantity_error = q
                .err()
                .map(|_| who.lang.quantity_rule(state.settings.max_order_quantity));
            page.reference_error = r.err().map(|e| t.field_error(e));
            if let Err((field, e)) = p {
                let message = Some(t.field_error(e));
                match field {
                    "starts_on" => page.starts_on_error = message,
                    _ => page.ends_on_error = message,
                }
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "account/orders.html")]
pub struct OrdersPage {
    pub c: Chrome,
    pub orders: Vec<OrderLine>,
    pub pager: Pager,
}

#[derive(Deserialize)]
pub struct OrdersQuery {
    #[serde(default)]
    page: Option<String>,
}

/// `GET /account/orders`.
pub async fn orders(
    who: Customer,
    state: web::Data<AppState>,
    q: web::Query<OrdersQuery>,
) -> Result<HttpResponse, AppError> {
    let account_id = who.account().id;
    let page = Pager::parse(q.page.as_deref())?;
    let (rows, total) = state
        .db(move |conn| {
            let (orders, total) =
                LicenseOrder::page_for_account(conn, account_id, Pager::offset(page), Pager::SIZE)?;
            let mut out = Vec::with_capacity(orders.len());
            for o in orders {
                let by = login_email(conn, o.ordered_by)?.unwrap_or_default();
                out.push((o, by));
            }
            Ok((out, total))
        })
        .await?;
    let orders = rows
        .iter()
        .map(|(o, by)| order_line(o, &who, by.clone(), String::new()))
        .collect();
    ok(&OrdersPage {
        c: Chrome::signed_in(&who, "orders", "/account/orders"),
        orders,
        pager: Pager::new(who.lang, page, total, |p| {
            format!("/account/orders?page={p}")
        }),
    })
}

#[derive(Template)]
#[template(path = "account/order.html")]
pub struct OrderPage {
    pub c: Chrome,
    pub o: OrderLine,
    pub summary: String,
    /// What a dated order or a reduction does, in words (SPEC 12).
    pub effect: Option<String>,
    pub pending: bool,
    pub may_cancel: bool,
    /// While pending: when it was placed and how long decisions take.
    pub wait_line: Option<String>,
    /// Its messages; the form is shown to contacts.
    pub talk: Conversation,
}

/// The order's page of the signed-in login's account (another account's
/// order is a 404).
pub(crate) async fn order_page(
    who: &SignedIn,
    state: &AppState,
    id: i64,
) -> Result<OrderPage, AppError> {
    let account = who.account.clone().ok_or(AppError::NotFound)?;
    let account_id = account.id;
    let current = account.licenses;
    let today = account.today(state.clock.now());
    let (o, by, decided_by, owned_then, effect, messages, median) = state
        .db(move |conn| {
            let o =
                LicenseOrder::find_in_account(conn, account_id, id)?.ok_or(AppError::NotFound)?;
            let effect = LedgerRow::effect_of(conn, &o, today)?;
            let owned_then =
                AuditEvent::licenses_when_ordered(conn, account_id, id)?.unwrap_or(current);
            let by = login_email(conn, o.ordered_by)?.unwrap_or_default();
            let decided_by = match o.decided_by {
                Some(d) => login_email(conn, d)?.unwrap_or_default(),
                None => String::new(),
            };
            let messages = OrderMessage::of_order(conn, o.id)?;
            let median = if o.status.may_decide() {
                super::messages::median_decision(conn)?
            } else {
                None
            };
            Ok((o, by, decided_by, owned_then, effect, messages, median))
        })
        .await?;
    let t = who.lang.msgs();
    let pending = o.status.may_decide();
    let open = takes_messages(o.status, o.decided_at, crate::models::now_utc());
    let mut line = order_line(&o, who, by, decided_by);
    if o.by_rule {
        line.decided_by = t.by_the_rule.to_string();
        line.note = t.approved_by_rule.to_string();
    }
    Ok(OrderPage {
        c: Chrome::signed_in(who, "orders", &format!("/account/orders/{id}")),
        summary: who.lang.order_summary(owned_then, o.quantity),
        effect: effect.map(|e| who.lang.order_effect(&e)),
        wait_line: pending.then(|| {
            who.lang
                .decisions_take(&line.ordered_at, median, state.settings.order_sla_hours)
        }),
        o: line,
        pending,
        may_cancel: pending && who.login.role.changes_account(),
        talk: Conversation::new(
            messages,
            who,
            open,
            who.login.role.changes_account(),
            format!("/account/orders/{id}/messages"),
        ),
    })
}

/// `GET /account/orders/{id}`: another account's order is a 404.
pub async fn order(
    who: Customer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    ok(&order_page(&who, &state, id).await?)
}

/// `POST /account/orders/{id}/cancel` (contact): 409 once not pending.
pub async fn cancel(
    who: Contact,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account_id = who.account().id;
    let id = path_id(&path)?;
    let login = who.login.clone();
    state
        .op(move |conn, ctx| ops::cancel_order(conn, ctx, &login, None, account_id, id))
        .await??;
    who.session.set_flash(crate::i18n::Flash::OrderCancelled);
    Ok(see_other(&format!("/account/orders/{id}")))
}
