//! `POST /staff/accounts/{id}/agreement`: an account's agreement (SPEC
//! 15): price per license and month, currency, billing, renewal day.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::accounts::{account_page, AccountForms};
use crate::auth::Staff;
use crate::domain::money::Agreement;
use crate::error::AppError;
use crate::models::Account;
use crate::ops::{self, OpError};
use crate::routes::pages::{render, see_other};
use crate::routes::path_id;
use crate::state::AppState;

/// The agreement's fields as the form shows them, with what was wrong.
#[derive(Clone, Debug, Default)]
pub struct AgreementFields {
    pub price: String,
    pub currency: String,
    pub billing: String,
    pub renews_on: String,
    pub price_error: Option<&'static str>,
    pub currency_error: Option<&'static str>,
    pub billing_error: Option<&'static str>,
    pub renews_on_error: Option<&'static str>,
}

impl AgreementFields {
    /// The account's agreement as stored (the price written `89.50`).
    pub fn of(account: &Account) -> AgreementFields {
        AgreementFields {
            price: account
                .price_minor
                .map(|p| format!("{}.{:02}", p / 100, p % 100))
                .unwrap_or_default(),
            currency: account.currency.clone().unwrap_or_default(),
            billing: account.billing.clone().unwrap_or_default(),
            renews_on: account.renews_on.map(|d| d.to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }

    pub fn has_errors(&self) -> bool {
        self.price_error.is_some()
            || self.currency_error.is_some()
            || self.billing_error.is_some()
            || self.renews_on_error.is_some()
    }
}

#[derive(Deserialize)]
pub struct AgreementForm {
    #[serde(default)]
    price: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    billing: String,
    #[serde(default)]
    renews_on: String,
}

/// Set the agreement -> 303 to the account; the page again with 422 and
/// what is allowed, nothing changed.
pub async fn set_agreement(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AgreementForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let f = form.into_inner();
    let now = state.clock.now();
    let account = state
        .db(move |conn| Account::find(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    let today = account.today(now);
    match Agreement::parse(&f.price, &f.currency, &f.billing, &f.renews_on, today) {
        Ok(agreement) => {
            let by = who.login.clone();
            match state
                .op(move |conn, ctx| ops::set_agreement(conn, ctx, &by, id, &agreement))
                .await?
            {
                Ok(()) => {
                    who.session.set_flash(crate::i18n::Flash::AgreementSaved);
                    Ok(see_other(&format!("/staff/accounts/{id}#agreement")))
                }
                Err(OpError::UnknownAccount) => Err(AppError::NotFound),
                Err(e) => Err(e.into()),
            }
        }
        Err(errors) => {
            let t = who.lang.msgs();
            let cut = |s: &str| s.chars().take(40).collect::<String>();
            let mut fields = AgreementFields {
                price: cut(&f.price),
                currency: cut(&f.currency),
                billing: cut(&f.billing),
                renews_on: cut(&f.renews_on),
                ..Default::default()
            };
            for (field, e) in errors {
                let text = Some(t.field_error(e));
                match field {
                    "price" => fields.price_error = text,
                    "currency" => fields.currency_error = text,
                    "billing" => fields.billing_error = text,
                    _ => fields.renews_on_error = text,
                }
            }
            let forms = AccountForms {
                role: "contact".into(),
                agreement: Some(fields),
                ..Default::default()
            };
            let page = account_page(&who, &state, id, forms).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
