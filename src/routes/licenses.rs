//! The Licenses tab (SPEC 12): the ledger of an account, newest first, and
//! the licenses owned from each day the figure changes, past and future;
//! the ledger as CSV.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Customer;
use crate::domain::ledger::{self, LedgerKind, Span};
use crate::domain::report::csv_safe;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::routes::pages::{ok, Chrome};
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
