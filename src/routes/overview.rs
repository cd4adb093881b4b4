//! The customer's overview (`GET /account`, SPEC 4.2 and 12): the three
//! figures, what is coming for the licenses, and the latest orders.

use std::sync::{Arc, LazyLock};

use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;

use super::account::{order_line, Figures, OrderLine};
use crate::auth::session::{Overview, Preloaded};
use crate::auth::Customer;
use crate::domain::warnings::reaches;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::memo::Memo;
use crate::models::LicenseOrder;
use crate::routes::pages::{ok, Chrome};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account/overview.html")]
pub struct OverviewPage {
    pub c: Chrome,
    pub f: Figures,
    pub pending_count: i64,
    pub pending_quantity: i64,
    pub latest: Vec<OrderLine>,
    /// Each future day the licenses owned change (SPEC 12).
    pub coming: Arc<[ComingLine]>,
    /// How many more are coming than listed (all are on the Licenses tab).
    pub coming_more: usize,
    /// Temporary licenses ending soon and leaving too few, in words.
    pub ending: Option<String>,
    /// The users counted reach the threshold (`#notice-usage-threshold`).
    pub usage_notice: Option<String>,
    /// A day within the look-ahead short of licenses (`#notice-forecast-short`).
    pub short_notice: Option<String>,
}

/// How many coming changes the overview lists: the next ones; the
/// Licenses tab lists them all.
pub const OVERVIEW_COMING: usize = 5;

/// A coming change of the licenses owned.
pub struct ComingLine {
    /// `YYYY-MM-DD`, for `data-day`.
    pub day: String,
    pub day_text: String,
    /// The figures as the reader's language writes them.
    pub before: String,
    pub after_text: String,
    pub after: i64,
}

pub async fn overview(
    req: HttpRequest,
    who: Customer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let today = account.today(state.clock.now());
    // Read with the session (`session::Preloads`), or here.
    let read = match Preloaded::take_overview(&req, account.id) {
        Some(read) => read,
        None => {
            let acct = account.clone();
            let counted = who.counted;
            state
                .db(move |conn| Ok(Overview::read(conn, &acct, counted, today)?))
                .await?
        }
    };
    let (pending, orders) = LicenseOrder::overview_of(read.orders);
    let latest = orders
        .iter()
        .map(|o| order_line(o, &who, String::new(), String::new()))
        .collect();
    let outlook = read.outlook;
    ok(&OverviewPage {
        c: Chrome::signed_in(&who, "overview", "/account"),
        f: Figures::of(&account, who.counted),
        pending_count: pending.0,
        pending_quantity: pending.1,
        latest,
        coming_more: outlook.coming.len().saturating_sub(OVERVIEW_COMING),
        coming: coming_lines(
            account.id,
            who.lang,
            &outlook.coming[..outlook.coming.len().min(OVERVIEW_COMING)],
        ),
        ending: outlook.ending_short.map(|s| who.lang.ending_notice(&s)),
        usage_notice: account
            .threshold_percent
            .filter(|&t| reaches(who.counted, account.licenses, t))
            .map(|t| who.lang.usage_notice(who.counted, account.licenses, t)),
        short_notice: outlook.short_ahead.map(|s| who.lang.short_notice(&s)),
    })
}

/// The overview's coming lines as last written for an account in a
/// language, kept with the changes they were written from (`crate::memo`),
/// so that each request does not format the same days and numbers again.
static COMING_LINES: LazyLock<LinesMemo> = LazyLock::new(|| Memo::new(10_000));

type Change = (NaiveDate, i64, i64);

/// Lines by account and language, kept with the changes written.
type LinesMemo = Memo<(i64, Lang), Vec<Change>, Arc<[ComingLine]>>;

fn coming_lines(account_id: i64, lang: Lang, shown: &[Change]) -> Arc<[ComingLine]> {
    let write = || {
        shown
            .iter()
            .map(|&(day, before, after)| ComingLine {
                day: day.to_string(),
                day_text: lang.long_date(day),
                before: lang.num(before),
                after_text: lang.num(after),
                after,
            })
            .collect::<Arc<[ComingLine]>>()
    };
    COMING_LINES
        .get_or_make((account_id, lang), shown, || Some(write()))
        .unwrap_or_else(write)
}
