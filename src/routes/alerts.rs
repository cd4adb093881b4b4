//! `GET /account/alerts` (a contact sets, a viewer reads) and
//! `POST /account/alerts`: the account's warnings (SPEC 14).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Contact, Customer, SignedIn};
use crate::domain::warnings::{Alerts, MAX_LOOK_AHEAD_DAYS};
use crate::error::AppError;
use crate::ops::{self, OpError};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account/alerts.html")]
pub struct AlertsPage {
    pub c: Chrome,
    pub may_change: bool,
    /// The fields as shown: the account's, or as typed when refused.
    pub threshold_percent: String,
    pub look_ahead_days: String,
    pub threshold_error: Option<&'static str>,
    pub look_ahead_error: Option<&'static str>,
    pub max_look_ahead: i64,
    /// Whether this login takes warnings by mail.
    pub by_mail: bool,
}

impl AlertsPage {
    fn of(who: &SignedIn, alerts: Alerts, may_change: bool) -> AlertsPage {
        AlertsPage {
            c: Chrome::signed_in(who, "alerts", "/account/alerts"),
            may_change,
            threshold_percent: alerts
                .threshold_percent
                .map(|t| t.to_string())
                .unwrap_or_default(),
            look_ahead_days: alerts.look_ahead_days.to_string(),
            threshold_error: None,
            look_ahead_error: None,
            max_look_ahead: MAX_LOOK_AHEAD_DAYS,
            by_mail: who.login.warnings_by_mail,
        }
    }
}

/// `GET /account/alerts`.
pub async fn show(who: Customer) -> Result<HttpResponse, AppError> {
    let may_change = who.login.role.changes_account();
    ok(&AlertsPage::of(&who, who.account().alerts(), may_change))
}

#[derive(Deserialize)]
pub struct AlertsForm {
    #[serde(default)]
    threshold_percent: String,
    #[serde(default)]
    look_ahead_days: String,
}

/// `POST /account/alerts` -> 303 back; the form again with 422 and what
/// is allowed, nothing changed.
pub async fn save(
    who: Contact,
    state: web::Data<AppState>,
    form: web::Form<AlertsForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    let account_id = who.account().id;
    match Alerts::parse(&f.threshold_percent, &f.look_ahead_days) {
        Ok(alerts) => {
            let login = who.login.clone();
            match state
                .op(move |conn, ctx| ops::set_alerts(conn, ctx, &login, account_id, alerts))
                .await?
            {
                Ok(()) => {
                    who.session.set_flash(crate::i18n::Flash::AlertsSaved);
                    Ok(see_other("/account/alerts"))
                }
                Err(OpError::UnknownAccount) => Err(AppError::NotFound),
                Err(e) => Err(e.into()),
            }
        }
        Err(errors) => {
            let t = who.lang.msgs();
            let mut page = AlertsPage::of(&who, who.account().alerts(), true);
            page.threshold_percent = f.threshold_percent.chars().take(20).collect();
            page.look_ahead_days = f.look_ahead_days.chars().take(20).collect();
            for (field, e) in errors {
                match field {
                    "threshold_percent" => page.threshold_error = Some(t.field_error(e)),
                    _ => page.look_ahead_error = Some(t.field_error(e)),
                }
            }
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
