//! `GET /account/agreement` (SPEC 15): the account's agreement as the
//! customer reads it: billing, the renewal day, the price per license, the
//! licenses owned today and their monthly cost, and each coming change of
//! the licenses with the monthly cost from it.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Customer;
use crate::domain::ledger;
use crate::domain::money::monthly_minor;
use crate::error::AppError;
use crate::models::ledger::LedgerRow;
use crate::routes::pages::{ok, Chrome};
use crate::state::AppState;

/// A coming change of the licenses and the monthly cost from it.
pub struct CostChange {
    pub day: String,
    pub day_text: String,
    pub licenses: i64,
    pub monthly: i64,
    pub monthly_text: String,
}

#[derive(Template)]
#[template(path = "account/agreement.html")]
pub struct AgreementPage {
    pub c: Chrome,
    /// `None`: the account has no prices.
    pub priced: Option<Priced>,
    pub billing: Option<&'static str>,
    pub renews_on: Option<(String, String)>,
    pub owned: i64,
}

/// The money lines of the page.
pub struct Priced {
    pub price_text: String,
    pub monthly: i64,
    pub monthly_text: String,
    pub coming: Vec<CostChange>,
}

/// `GET /account/agreement`.
pub async fn page(who: Customer, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let today = account.today(state.clock.now());
    let id = account.id;
    let spans = state
        .db(move |conn| Ok(LedgerRow::spans(conn, id)?))
        .await?;
    let owned = account.licenses;
    let t = who.lang.msgs();
    let priced = account.price().map(|(price, currency)| {
        let monthly = monthly_minor(price, owned);
        Priced {
            price_text: who.lang.money(price, currency),
            monthly,
            monthly_text: who.lang.money(monthly, currency),
            coming: ledger::coming(&spans, today)
                .into_iter()
                .map(|(day, _, after)| {
                    let monthly = monthly_minor(price, after);
                    CostChange {
                        day: day.to_string(),
                        day_text: who.lang.long_date(day),
                        licenses: after,
                        monthly,
                        monthly_text: who.lang.money(monthly, currency),
                    }
                })
                .collect(),
        }
    });
    ok(&AgreementPage {
        c: Chrome::signed_in(&who, "agreement", "/account/agreement"),
        priced,
        billing: match account.billing.as_deref() {
            Some("monthly") => Some(t.billing_monthly),
            Some("annual") => Some(t.billing_annual),
            _ => None,
        },
        renews_on: account
            .renews_on
            .map(|d| (d.to_string(), who.lang.long_date(d))),
        owned,
    })
}
