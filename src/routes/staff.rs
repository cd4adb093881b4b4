//! The vendor's staff pages (SPEC 4.3): the order queue and its decisions,
//! accounts and their licenses and logins, the audit log.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::SignedIn;
use crate::domain::orders::OrderStatus;
use crate::domain::validation;
use crate::error::AppError;
use crate::models::account::AccountUsage;
use crate::models::{Account, AuditEvent, LicenseOrder, Login, User};
use crate::ops::{self, AccountInput, LoginInput, OpError};
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
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "staff/queue.html")]
pub struct QueuePage {
    pub c: Chrome,
    pub status: &'static str,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub lines: Vec<QueueLine>,
    pub pending: bool,
    pub error: Option<&'static str>,
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
    who: &SignedIn,
    state: &AppState,
    status: OrderStatus,
    page: i64,
) -> Result<QueuePage, AppError> {
    who.staff()?;
    let now = state.clock.now();
    let (views, usage, total) = state
        .db(move |conn| {
            Ok((
                LicenseOrder::queue(conn, status, Pager::offset(page), Pager::SIZE)?,
                Account::usage_list(conn, now)?,
                LicenseOrder::count_status(conn, status)?,
            ))
        })
        .await?;
    let counted: HashMap<i64, i64> = usage.iter().map(|u| (u.account.id, u.counted)).collect();
    let t = who.lang.msgs();
    let lines = views
        .into_iter()
        .map(|v| QueueLine {
            id: v.order.id,
            account_id: v.order.account_id,
            account_name: v.account_name,
            licenses: v.account_licenses,
            counted: counted.get(&v.order.account_id).copied().unwrap_or(0),
            quantity: v.order.quantity,
            reference: v.order.reference.clone().unwrap_or_default(),
            ordered_by: v.ordered_by,
            ordered_at: v.order.ordered_at.format("%Y-%m-%d %H:%M").to_string(),
            status_text: t.order_status(&v.order.status),
            note: v.order.decision_note.clone().unwrap_or_default(),
            error: None,
        })
        .collect();
    Ok(QueuePage {
        c: Chrome::signed_in(who, "staff-orders", "/staff/orders"),
        status: status.as_str(),
        statuses: OrderStatus::ALL
            .iter()
            .map(|s| (s.as_str(), t.order_status(s.as_str())))
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
    who: SignedIn,
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

/// `POST /staff/orders/{id}/approve`: exactly once; 409 when decided.
pub async fn approve(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    // The note is optional when approving; a bad one is refused, not dropped.
    let note = match form.note.trim() {
        "" => None,
        text => match validation::required_text(text, 500) {
            Ok(note) => Some(note),
            Err(e) => {
                let mut page = queue_page(&who, &state, OrderStatus::Pending, 1).await?;
                page.error = Some(who.lang.msgs().field_error(e));
                return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        },
    };
    let login = who.login.clone();
    let result = state
        .db(
            move |conn| match ops::approve_order(conn, &login, id, note.as_deref()) {
                Err(OpError::LicenseBounds) => Ok(Err(())),
                other => Ok(Ok(other?)),
            },
        )
        .await?;
    if result.is_err() {
        let mut page = queue_page(&who, &state, OrderStatus::Pending, 1).await?;
        page.error = Some(who.lang.msgs().err_license_bounds);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    tracing::info!(order_id = id, login_id = who.login.id, "order approved");
    who.portal_session().set_flash("order_approved");
    Ok(see_other("/staff/orders"))
}

/// `POST /staff/orders/{id}/reject`: a note is required (422 without).
pub async fn reject(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    let note = match validation::required_text(&form.note, 500) {
        Ok(note) => note,
        Err(_) => {
            let mut page = queue_page(&who, &state, OrderStatus::Pending, 1).await?;
            let t = who.lang.msgs();
            for line in page.lines.iter_mut().filter(|l| l.id == id) {
                line.error = Some(t.note_required);
            }
            page.error = Some(t.note_required);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let login = who.login.clone();
    state
        .db(move |conn| Ok(ops::reject_order(conn, &login, id, &note)?))
        .await?;
    who.portal_session().set_flash("order_rejected");
    Ok(see_other("/staff/orders"))
}

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
    who: &SignedIn,
    state: &AppState,
    form: AccountFormState,
) -> Result<AccountsPage, AppError> {
    who.staff()?;
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
pub async fn accounts(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
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
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<NewAccountForm>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let f = form.into_inner();
    match AccountInput::parse(&f.name, &f.licenses, &f.time_zone) {
        Ok(input) => {
            let by = who.login.id;
            let account = state
                .db(move |conn| Ok(ops::create_account(conn, Some(by), &input)?))
                .await?;
            who.portal_session().set_flash("account_created");
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
}

/// The forms of an account page, with what was typed and the errors.
#[derive(Default)]
pub struct AccountForms {
    pub change: String,
    pub reason: String,
    pub change_error: Option<&'static str>,
    pub reason_error: Option<&'static str>,
    pub email: String,
    pub login_name: String,
    pub role: String,
    pub email_error: Option<&'static str>,
    pub role_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    pub import_error: Option<String>,
}

impl AccountForms {
    /// Whether any form of the page was refused.
    pub fn has_errors(&self) -> bool {
        self.change_error.is_some()
            || self.reason_error.is_some()
            || self.email_error.is_some()
            || self.role_error.is_some()
            || self.password_error.is_some()
            || self.import_error.is_some()
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
}

async fn account_page(
    who: &SignedIn,
    state: &AppState,
    id: i64,
    forms: AccountForms,
) -> Result<AccountPage, AppError> {
    who.staff()?;
    let now = state.clock.now();
    let (account, counted, logins) = state
        .db(move |conn| {
            let account = Account::find(conn, id)?.ok_or(AppError::NotFound)?;
            let counted = User::count_counted(conn, id, account.today(now))?;
            let logins = Login::for_account(conn, id)?;
            Ok((account, counted, logins))
        })
        .await?;
    let t = who.lang.msgs();
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
            .map(|l| LoginLine {
                id: l.id,
                email: l.email.clone(),
                name: l.name.clone(),
                role_text: t.role_name(&l.role),
                disabled: l.disabled,
            })
            .collect(),
        forms,
    })
}

/// `GET /staff/accounts/{id}`.
pub async fn account(
    who: SignedIn,
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
}

/// `POST /staff/accounts/{id}/licenses`: a signed change with a reason.
pub async fn adjust(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AdjustForm>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let f = form.into_inner();
    let change = validation::parse_adjustment(&f.change);
    let reason = validation::required_text(&f.reason, 500);
    let mut forms = AccountForms {
        change: f.change.clone(),
        reason: f.reason.clone(),
        role: "contact".into(),
        ..Default::default()
    };
    match (change, reason) {
        (Ok(change), Ok(reason)) => {
            let by = who.login.id;
            let outcome = state
                .db(
                    move |conn| match ops::adjust_licenses(conn, Some(by), id, change, &reason) {
                        Err(OpError::LicenseBounds) => Ok(Err(())),
                        other => Ok(Ok(other?)),
                    },
                )
                .await?;
            if outcome.is_ok() {
                who.portal_session().set_flash("licenses_adjusted");
                return Ok(see_other(&format!("/staff/accounts/{id}")));
            }
            forms.change_error = Some(t.err_license_bounds);
        }
        (change, reason) => {
            forms.change_error = change.err().map(|e| t.field_error(e));
            forms.reason_error = reason.err().map(|e| t.field_error(e));
        }
    }
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Deserialize)]
pub struct NewLoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /staff/accounts/{id}/logins`: a contact or viewer of the account.
pub async fn create_login(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<NewLoginForm>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let f = form.into_inner();
    let mut forms = AccountForms {
        email: f.email.clone(),
        login_name: f.name.clone(),
        role: f.role.clone(),
        ..Default::default()
    };
    let role_ok = matches!(f.role.as_str(), "contact" | "viewer");
    match LoginInput::parse(&f.email, &f.name, &f.role, Some(id), &f.password) {
        Ok(input) if role_ok => {
            let by = who.login.id;
            let created = state
                .db(
                    move |conn| match ops::create_login(conn, Some(by), &input) {
                        Err(OpError::EmailTaken) => Ok(Err(())),
                        other => Ok(Ok(other?)),
                    },
                )
                .await?;
            if created.is_ok() {
                who.portal_session().set_flash("login_created");
                return Ok(see_other(&format!("/staff/accounts/{id}")));
            }
            forms.email_error = Some(t.email_taken);
        }
        Ok(_) => forms.role_error = Some(t.err_role),
        Err((field, e)) => match field {
            "email" => forms.email_error = Some(t.field_error(e)),
            "password" => forms.password_error = Some(t.field_error(e)),
            "name" => forms.email_error = Some(t.field_error(e)),
            _ => forms.role_error = Some(t.err_role),
        },
    }
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

async fn set_disabled(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    let by = who.login.id;
    if id == by {
        return Err(AppError::Forbidden);
    }
    let login = state
        .db(move |conn| Ok(ops::set_login_disabled(conn, Some(by), id, disabled)?))
        .await?;
    who.portal_session().set_flash(if disabled {
        "login_disabled"
    } else {
        "login_enabled"
    });
    Ok(see_other(&match login.account_id {
        Some(a) => format!("/staff/accounts/{a}"),
        None => "/staff/accounts".to_string(),
    }))
}

/// `POST /staff/logins/{id}/disable`: ends the login's sessions at once.
pub async fn disable_login(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(who, state, path, true).await
}

/// `POST /staff/logins/{id}/enable`.
pub async fn enable_login(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(who, state, path, false).await
}

/// `POST /staff/accounts/{id}/import`: a CSV upload with the same rules and
/// messages as `license-portal users import`.
pub async fn import_users(
    who: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let file = crate::auth::csrf::multipart_parts(&content_type, &body)?
        .into_iter()
        .find(|p| p.name == "file" && !p.data.is_empty());
    let problem = match file {
        None => t.import_missing_file.to_string(),
        Some(file) => {
            let by = who.login.id;
            let outcome = state
                .db(
                    move |conn| match ops::import_users(conn, Some(by), id, &file.data) {
                        Err(OpError::Import(e)) => Ok(Err(e.to_string())),
                        other => Ok(Ok(other?)),
                    },
                )
                .await?;
            match outcome {
                Ok(_) => {
                    who.portal_session().set_flash("users_imported");
                    return Ok(see_other(&format!("/staff/accounts/{id}")));
                }
                Err(message) => message,
            }
        }
    };
    let forms = AccountForms {
        role: "contact".into(),
        import_error: Some(problem),
        ..Default::default()
    };
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// An audit event as a row.
pub struct AuditLine {
    pub at: String,
    pub kind: String,
    pub kind_text: &'static str,
    pub account: String,
    pub who: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub events: Vec<AuditLine>,
    pub accounts: Vec<(i64, String)>,
    pub selected: Option<i64>,
    pub pager: Pager,
}

impl AuditPage {
    pub fn is_selected(&self, id: impl crate::routes::pages::AsNumber) -> bool {
        self.selected == Some(id.as_number())
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    account: String,
    #[serde(default)]
    page: Option<String>,
}

/// `GET /staff/audit?account=ID`: newest first.
pub async fn audit(
    who: SignedIn,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    who.staff()?;
    let selected = match q.account.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| AppError::BadRequest)?),
    };
    let page = Pager::parse(q.page.as_deref())?;
    let (events, total, accounts, logins) = state
        .db(move |conn| {
            let (events, total) =
                AuditEvent::list(conn, selected, Pager::offset(page), Pager::SIZE)?;
            let accounts = Account::all(conn)?;
            let mut logins = HashMap::new();
            for e in &events {
                if let Some(id) = e.login_id {
                    if let std::collections::hash_map::Entry::Vacant(v) = logins.entry(id) {
                        v.insert(Login::find(conn, id)?.map(|l| l.email).unwrap_or_default());
                    }
                }
            }
            Ok((events, total, accounts, logins))
        })
        .await?;
    let names: HashMap<i64, String> = accounts.iter().map(|a| (a.id, a.name.clone())).collect();
    let t = who.lang.msgs();
    ok(&AuditPage {
        c: Chrome::signed_in(&who, "audit", "/staff/audit"),
        events: events
            .iter()
            .map(|e| AuditLine {
                at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                kind: e.kind.clone(),
                kind_text: t.audit_kind(&e.kind),
                account: e
                    .account_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_default(),
                who: e
                    .login_id
                    .and_then(|id| logins.get(&id).cloned())
                    .unwrap_or_else(|| t.audit_cli.into()),
                details: e.details.clone(),
            })
            .collect(),
        accounts: accounts.iter().map(|a| (a.id, a.name.clone())).collect(),
        selected,
        pager: Pager::new(who.lang, page, total, |p| match selected {
            Some(a) => format!("/staff/audit?account={a}&page={p}"),
            None => format!("/staff/audit?page={p}"),
        }),
    })
}
