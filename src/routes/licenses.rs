//! The Licenses tab (SPEC 12): the ledger of an account, newest first, and
//! the licenses owned from each day the figure changes, past and future;
//! the ledger as CSV; and the form that asks for fewer licenses.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::{form_token, Contact, Customer};
use crate::domain::ledger::{self, LedgerKind, Period, Span};
use crate::domain::orders::OrderKind;
use crate::domain::report::csv_safe;
use crate::domain::validation;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::models::user::GroupCounts;
use crate::models::User;
use crate::ops::{self, OpError};
use crate::routes::account::{made_by_form, Figures};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::state::AppState;

/// One row of the ledger as the page shows it.
pub struct EntryLine {
    pub from: String,
    pub until: Option<String>,
    pub change: i64,
    pub kind: &'static str,
    pub order_id: Option<i64>,
    pub reference: String,
    pub reason: String,
}

/// The figure from one day on.
pub struct Step {
    pub day: String,
    pub day_text: String,
    pub licenses: i64,
    /// `past`, `today` (the step today's figure comes from) or `future`.
    pub when: &'static str,
}

#[derive(Template)]
#[template(path = "account/licenses.html")]
pub struct LicensesPage {
    pub c: Chrome,
    pub owned: i64,
    pub entries: Vec<EntryLine>,
    pub steps: Vec<Step>,
}

/// The account's rows with their references, and its spans.
async fn ledger_of(
    state: &AppState,
    account_id: i64,
) -> Result<Vec<(LedgerRow, Option<String>)>, AppError> {
    state
        .db(move |conn| Ok(LedgerRow::entries(conn, account_id)?))
        .await
}

fn spans(rows: &[(LedgerRow, Option<String>)]) -> Vec<Span> {
    rows.iter().map(|(r, _)| r.span()).collect()
}

/// `GET /account/licenses` (contact and viewer).
pub async fn page(who: Customer, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let today = account.today(state.clock.now());
    let rows = ledger_of(&state, account.id).await?;
    let timeline = ledger::timeline(&spans(&rows));
    // The step today's figure comes from: the last one on or before today.
    let current = timeline.iter().rposition(|(day, _)| *day <= today);
    let steps = timeline
        .iter()
        .enumerate()
        .map(|(i, (day, licenses))| Step {
            day: day.to_string(),
            day_text: who.lang.long_date(*day),
            licenses: *licenses,
            when: match current {
                Some(c) if i == c => "today",
                Some(c) if i < c => "past",
                _ => "future",
            },
        })
        .collect();
    let entries = rows
        .into_iter()
        .map(|(r, reference)| EntryLine {
            from: r.starts_on.to_string(),
            until: r.ends_on.map(|d| d.to_string()),
            change: r.change,
            kind: r.kind.as_str(),
            order_id: r.order_id,
            reference: reference.unwrap_or_default(),
            reason: r.reason.unwrap_or_default(),
        })
        .collect();
    ok(&LicensesPage {
        c: Chrome::signed_in(&who, "licenses", "/account/licenses"),
        owned: account.licenses,
        entries,
        steps,
    })
}

/// The CSV's header (SPEC 12).
pub const COLUMNS: [&str; 7] = [
    "starts_on",
    "ends_on",
    "change",
    "kind",
    "order_id",
    "reference",
    "reason",
];

/// `GET /account/licenses.csv`: the ledger, newest first (RFC 4180,
/// UTF-8 with a BOM; a cell a spreadsheet would run is defused).
pub async fn csv(who: Customer, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rows = ledger_of(&state, who.account().id).await?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let written = (|| -> Result<Vec<u8>, csv::Error> {
        w.write_record(COLUMNS)?;
        for (r, reference) in &rows {
            let reference = reference.as_deref().unwrap_or("");
            w.write_record([
                r.starts_on.to_string().as_str(),
                r.ends_on
                    .map(|d| d.to_string())
                    .unwrap_or_default()
                    .as_str(),
                r.change.to_string().as_str(),
                r.kind.as_str(),
                r.order_id
                    .map(|id| id.to_string())
                    .unwrap_or_default()
                    .as_str(),
                csv_safe(reference).as_ref(),
                csv_safe(r.reason.as_deref().unwrap_or("")).as_ref(),
            ])?;
        }
        w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
    })();
    let body = written.map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"licenses.csv\"",
        ))
        .body(body))
}

impl EntryLine {
    pub fn is_initial(&self) -> bool {
        self.kind == LedgerKind::Initial.as_str()
    }
}

/// The reduce form's fields as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct ReduceEntry {
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub form_token: String,
    /// "Show the cost": the form again with what it saves, nothing ordered.
    #[serde(default)]
    pub preview: String,
}

#[derive(Template)]
#[template(path = "account/reduce.html")]
pub struct ReducePage {
    pub c: Chrome,
    pub f: Figures,
    pub groups: GroupCounts,
    pub max: i64,
    pub e: ReduceEntry,
    /// Tomorrow: the earliest first day (the date field's `min`).
    pub tomorrow: String,
    pub form_token: String,
    pub quantity_error: Option<String>,
    pub starts_on_error: Option<&'static str>,
    pub reference_error: Option<&'static str>,
    pub form_error: Option<&'static str>,
    /// The first day that would be short, with both figures, in words.
    pub short: Option<String>,
    /// What the reduction saves (SPEC 15), and what the script needs to
    /// work it out as it is typed.
    pub cost: Option<crate::routes::cost::CostView>,
    pub cost_script: Option<crate::routes::cost::CostScript>,
}

impl ReducePage {
    pub fn has_errors(&self) -> bool {
        self.quantity_error.is_some()
            || self.starts_on_error.is_some()
            || self.reference_error.is_some()
            || self.form_error.is_some()
            || self.short.is_some()
    }
}

async fn reduce_page(
    who: &Contact,
    state: &AppState,
    mut e: ReduceEntry,
) -> Result<ReducePage, AppError> {
    let account = who.account().clone();
    let account_id = account.id;
    let now = state.clock.now();
    let today = account.today(now);
    if e.starts_on.trim().is_empty() {
        e.starts_on = ledger::first_of_next_month(today).to_string();
    }
    let groups = state
        .db(move |conn| Ok(User::group_counts(conn, account_id, today)?))
        .await?;
    Ok(ReducePage {
        c: Chrome::signed_in(who, "order", "/account/reduce-licenses"),
        f: Figures::of(&account, who.counted),
        groups,
        max: state.settings.max_order_quantity,
        tomorrow: today.succ_opt().unwrap_or(today).to_string(),
        form_token: form_token::issue(&state.form_key, account_id, now.timestamp()),
        quantity_error: None,
        starts_on_error: None,
        reference_error: None,
        form_error: None,
        short: None,
        cost_script: crate::routes::cost::CostScript::of(
            who.lang,
            &account,
            OrderKind::Reduce,
            state.settings.max_order_quantity,
            today,
        ),
        cost: crate::routes::cost::CostView::of(
            who.lang,
            &account,
            OrderKind::Reduce,
            (&e.quantity, &e.starts_on, ""),
            state.settings.max_order_quantity,
            today,
        ),
        e,
    })
}

/// `GET /account/reduce-licenses` (contact): fewer licenses from a day.
pub async fn reduce_form(
    who: Contact,
    state: web::Data<AppState>,
    q: web::Query<ReducePrefill>,
) -> Result<HttpResponse, AppError> {
    // Filled in as typed (a few characters at most), to show the saving.
    let cut =
        |s: &Option<String>, n: usize| s.as_deref().unwrap_or("").trim().chars().take(n).collect();
    let entry = ReduceEntry {
        // A quantity that could be ordered, else none.
        quantity: q
            .quantity
            .as_deref()
            .and_then(|n| validation::parse_quantity(n, state.settings.max_order_quantity).ok())
            .map(|n| n.to_string())
            .unwrap_or_default(),
        starts_on: cut(&q.starts_on, 10),
        ..Default::default()
    };
    ok(&reduce_page(&who, &state, entry).await?)
}

/// What a link may fill in on the Reduce page (SPEC 15: its saving shown;
/// the renewal mail links here with the suggested reduction).
#[derive(serde::Deserialize)]
pub struct ReducePrefill {
    #[serde(default)]
    quantity: Option<String>,
    #[serde(default)]
    starts_on: Option<String>,
}

/// `POST /account/reduce-licenses`: a pending order of kind `reduce`, or
/// the form again with 422 naming the first day that would be short.
pub async fn reduce_submit(
    who: Contact,
    state: web::Data<AppState>,
    form: web::Form<ReduceEntry>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let entry = form.into_inner();
    if let Some(made) = made_by_form(&state, account.id, &entry.form_token).await? {
        return Ok(made);
    }
    if entry.preview == "1" {
        // What it saves; nothing is ordered.
        let form_token = entry.form_token.clone();
        let mut page = reduce_page(&who, &state, entry).await?;
        page.form_token = form_token;
        return ok(&page);
    }
    let t = who.lang.msgs();
    let now = state.clock.now();
    let token_ok = form_token::verify(
        &state.form_key,
        &entry.form_token,
        account.id,
        now.timestamp(),
    );
    let quantity = validation::parse_quantity(&entry.quantity, state.settings.max_order_quantity);
    let reference = validation::parse_reference(&entry.reference);
    let period = Period::parse_reduce(&entry.starts_on, "", account.today(now));
    let short = match (token_ok, quantity, reference, period) {
        (true, Ok(quantity), Ok(reference), Ok(period)) => {
            let (login, account_id) = (who.login.clone(), account.id);
            let input = ops::OrderInput {
                kind: OrderKind::Reduce,
                quantity,
                period,
                reference,
            };
            let token = entry.form_token.clone();
            let placed = state
                .op(move |conn, ctx| {
                    ops::place_order(conn, ctx, &login, account_id, &input, &token)
                })
                .await?;
            match placed {
                Ok(order) => {
                    who.session.set_flash(crate::i18n::Flash::OrderPlaced);
                    return Ok(see_other(&format!("/account/orders/{}", order.id)));
                }
                Err(OpError::TooFew(clash)) => Some(who.lang.clash(clash)),
                Err(refused) => return Err(refused.into()),
            }
        }
        (token_ok, q, r, p) => {
            let mut page = reduce_page(&who, &state, entry).await?;
            page.form_error = (!token_ok).then_some(t.form_expired);
            page.quantity_error = q
                .err()
                .map(|_| who.lang.quantity_rule(state.settings.max_order_quantity));
            page.reference_error = r.err().map(|e| t.field_error(e));
            page.starts_on_error = p.err().map(|(_, e)| t.field_error(e));
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut page = reduce_page(&who, &state, entry).await?;
    page.short = short;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
