//! Accounts (SPEC 4.3): usage of every account, one account's page, and
//! license adjustments; the account's logins are in `logins`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Staff;
use crate::domain::validation;
use crate::error::AppError;
use crate::models::account::AccountUsage;
use crate::models::login_token::LoginToken;
use crate::models::{now_utc, Account, Login, User};
use crate::ops::{self, AccountInput, OpError, Period};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::routes::path_id;
use crate::state::AppState;

/// An account as a row of the accounts list.
pub struct UsageLine {
    pub id: i64,
    pub name: String,
    pub licenses: i64,
    pub counted: i64,
    pub free: i64,
}

impl From<&AccountUsage> for UsageLine {
    fn from(u: &AccountUsage) -> Self {
        UsageLine {
            id: u.account.id,
            name: u.account.name.clone(),
            licenses: u.account.licenses,
            counted: u.counted,
            free: u.free(),
        }
    }
}

/// What was typed into the "create account" form, with its errors.
#[derive(Default)]
pub struct AccountFormState {
    pub name: String,
    pub licenses: String,
    pub time_zone: String,
    pub name_error: Option<&'static str>,
    pub licenses_error: Option<&'static str>,
    pub time_zone_error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "staff/accounts.html")]
pub struct AccountsPage {
    pub c: Chrome,
    pub accounts: Vec<UsageLine>,
    pub form: AccountFormState,
}

async fn accounts_page(
    who: &Staff,
    state: &AppState,
    form: AccountFormState,
) -> Result<AccountsPage, AppError> {
    let now = state.clock.now();
    let usage = state
        .db(move |conn| Ok(Account::usage_list(conn, now)?))
        .await?;
    Ok(AccountsPage {
        c: Chrome::signed_in(who, "accounts", "/staff/accounts"),
        accounts: usage.iter().map(UsageLine::from).collect(),
        form,
    })
}

/// `GET /staff/accounts`: every account's usage, over-licensed first.
pub async fn accounts(who: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let form = AccountFormState {
        time_zone: crate::domain::counting::DEFAULT_TIME_ZONE.into(),
        ..Default::default()
    };
    ok(&accounts_page(&who, &state, form).await?)
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    licenses: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /staff/accounts`: create an account.
pub async fn create_account(
    who: Staff,
    state: web::Data<AppState>,
    form: web::Form<NewAccountForm>,
) -> Result<HttpResponse, AppError> {
    let f = form.into_inner();
    match AccountInput::parse(&f.name, &f.licenses, &f.time_zone) {
        Ok(input) => {
            let by = who.login.id;
            let now = state.clock.now();
            let account = state
                .db(move |conn| Ok(ops::create_account(conn, Some(by), &input, now)?))
                .await?;
            who.session.set_flash(crate::i18n::Flash::AccountCreated);
            Ok(see_other(&format!("/staff/accounts/{}", account.id)))
        }
        Err((field, e)) => {
            let t = who.lang.msgs();
            let mut form = AccountFormState {
                name: f.name,
                licenses: f.licenses,
                time_zone: f.time_zone,
                ..Default::default()
            };
            match field {
                "name" => form.name_error = Some(t.field_error(e)),
                "licenses" => form.licenses_error = Some(t.field_error(e)),
                _ => form.time_zone_error = Some(t.field_error(e)),
            }
            let page = accounts_page(&who, &state, form).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// A login as a row of an account page.
pub struct LoginLine {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role_text: &'static str,
    pub disabled: bool,
    /// invited (with until when), active, locked or disabled.
    pub state_text: String,
    /// Whether it has not set a password yet (a new invitation may go).
    pub invited: bool,
    pub two_step: bool,
    pub two_step_text: &'static str,
}

/// The forms of an account page, with what was typed and the errors.
#[derive(Default)]
pub struct AccountForms {
    pub change: String,
    pub reason: String,
    pub change_error: Option<&'static str>,
    pub reason_error: Option<&'static str>,
    pub starts_on: String,
    pub ends_on: String,
    pub period_error: Option<&'static str>,
    pub email: String,
    pub login_name: String,
    pub role: String,
    pub email_error: Option<&'static str>,
    pub role_error: Option<&'static str>,
    pub import_error: Option<String>,
    /// The approval rule's form (SPEC 13); empty: the account's own.
    pub rule_quantity: Option<String>,
    pub rule_per: Option<String>,
    pub rule_quantity_error: Option<String>,
    pub rule_per_error: Option<&'static str>,
    /// The agreement's form as typed, when refused (SPEC 15).
    pub agreement: Option<super::agreement::AgreementFields>,
}

impl AccountForms {
    /// Whether any form of the page was refused.
    pub fn has_errors(&self) -> bool {
        self.change_error.is_some()
            || self.reason_error.is_some()
            || self.period_error.is_some()
            || self.email_error.is_some()
            || self.role_error.is_some()
            || self.import_error.is_some()
            || self.rule_quantity_error.is_some()
            || self.agreement.as_ref().is_some_and(|a| a.has_errors())
            || self.rule_per_error.is_some()
    }
}

#[derive(Template)]
#[template(path = "staff/account.html")]
pub struct AccountPage {
    pub c: Chrome,
    pub id: i64,
    pub name: String,
    pub time_zone: String,
    pub licenses: i64,
    pub counted: i64,
    pub free: i64,
    pub logins: Vec<LoginLine>,
    pub forms: AccountForms,
    pub rule_state: String,
    pub rule_quantity: String,
    pub rule_per: String,
    pub agreement: super::agreement::AgreementFields,
}

pub(super) async fn account_page(
    who: &Staff,
    state: &AppState,
    id: i64,
    forms: AccountForms,
) -> Result<AccountPage, AppError> {
    let now = state.clock.now();
    let (account, counted, logins) = state
        .db(move |conn| {
            let account = Account::find(conn, id)?.ok_or(AppError::NotFound)?;
            let counted = User::count_counted(conn, id, account.today(now))?;
            let mut logins = Vec::new();
            for login in Login::for_account(conn, id)? {
                let invited_until = if login.has_password() {
                    None
                } else {
                    Some(LoginToken::invitation_expiry(conn, login.id, now_utc())?)
                };
                logins.push((login, invited_until));
            }
            Ok((account, counted, logins))
        })
        .await?;
    let t = who.lang.msgs();
    let now_naive = now_utc();
    Ok(AccountPage {
        c: Chrome::signed_in(who, "accounts", &format!("/staff/accounts/{id}")),
        id,
        name: account.name.clone(),
        time_zone: account.time_zone.clone(),
        licenses: account.licenses,
        counted,
        free: crate::domain::counting::free_licenses(account.licenses, counted),
        logins: logins
            .iter()
            .map(|(l, invited_until)| LoginLine {
                id: l.id,
                email: l.email.clone(),
                name: l.name.clone(),
                role_text: t.role_name(l.role),
                disabled: l.disabled,
                state_text: match invited_until {
                    _ if l.disabled => t.disabled.to_string(),
                    Some(Some(until)) => {
                        format!(
                            "{} {} UTC",
                            t.state_invited_until,
                            until.format("%Y-%m-%d %H:%M")
                        )
                    }
                    Some(None) => t.state_invitation_expired.to_string(),
                    None if l.is_locked(now_naive) => t.state_locked.to_string(),
                    None => t.state_active.to_string(),
                },
                invited: invited_until.is_some(),
                two_step: l.two_step_on(),
                two_step_text: if l.two_step_on() {
                    t.state_two_step_on
                } else {
                    t.state_two_step_off
                },
            })
            .collect(),
        rule_state: who.lang.rule_state(account.rule()),
        rule_quantity: forms
            .rule_quantity
            .clone()
            .unwrap_or_else(|| account.rule_max_quantity.to_string()),
        rule_per: forms
            .rule_per
            .clone()
            .unwrap_or_else(|| account.rule_max_per_30_days.to_string()),
        agreement: (forms.agreement.clone())
            .unwrap_or_else(|| super::agreement::AgreementFields::of(&account)),
        forms,
    })
}

/// `GET /staff/accounts/{id}`.
pub async fn account(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let forms = AccountForms {
        role: "contact".into(),
        ..Default::default()
    };
    ok(&account_page(&who, &state, id, forms).await?)
}

#[derive(Deserialize)]
pub struct AdjustForm {
    #[serde(default)]
    change: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
}

/// `POST /staff/accounts/{id}/licenses`: a signed change with a reason.
pub async fn adjust(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let f = form.into_inner();
    let change = validation::parse_adjustment(&f.change);
    let reason = validation::required_text(&f.reason, 500);
    let today = state
        .db(move |conn| Account::find(conn, id)?.ok_or(AppError::NotFound))
        .await?
        .today(state.clock.now());
    let period = Period::parse_add(&f.starts_on, &f.ends_on, today);
    let mut forms = AccountForms {
        change: f.change.clone(),
        reason: f.reason.clone(),
        starts_on: f.starts_on.clone(),
        ends_on: f.ends_on.clone(),
        role: "contact".into(),
        ..Default::default()
    };
    match (change, reason, period) {
        (Ok(change), Ok(reason), Ok(period)) => {
            let by = who.login.id;
            match state
                .op(move |conn, ctx| {
                    ops::adjust_licenses(conn, ctx, Some(by), id, change, period, &reason)
                })
                .await?
            {
                Ok(_) => {
                    who.session.set_flash(crate::i18n::Flash::LicensesAdjusted);
                    return Ok(see_other(&format!("/staff/accounts/{id}")));
                }
                Err(OpError::LicenseBounds) => forms.change_error = Some(t.err_license_bounds),
                Err(refused) => return Err(refused.into()),
            }
        }
        (change, reason, period) => {
            forms.change_error = change.err().map(|e| t.field_error(e));
            forms.reason_error = reason.err().map(|e| t.field_error(e));
            forms.period_error = period.err().map(|(_, e)| t.field_error(e));
        }
    }
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
