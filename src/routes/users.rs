//! `GET /account/users`: the account's users, filtered, searched, 50 a page,
//! each with the reason it is or is not counted; a contact changes status
//! and end date with `POST /account/users/{id}`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Contact, Customer, SignedIn};
use crate::domain::counting::UserStatus;
use crate::domain::validation::{self, FieldError};
use crate::error::AppError;
use crate::models::user::{UnitFilter, UserFilter, UserSearch};
use crate::models::{Account, User};
use crate::ops::{self, OpError};
use crate::routes::pages::{ok, render, see_other, Chrome, Pager};
use crate::routes::path_id;
use crate::routes::signin::safe_back;
use crate::state::AppState;

pub struct UserLine {
    pub id: i64,
    pub employee_number: String,
    pub name: String,
    pub status: String,
    pub status_text: &'static str,
    pub start_date: String,
    pub end_date: String,
    pub unit: String,
    pub reason: String,
    pub counted: bool,
    pub error: Option<&'static str>,
}

impl UserLine {
    pub fn of(u: &User, who: &SignedIn, day: chrono::NaiveDate) -> UserLine {
        let t = who.lang.msgs();
        let reason = u.reason(day);
        UserLine {
            id: u.id,
            employee_number: u.employee_number.clone(),
            name: u.name.clone(),
            status: u.status.to_string(),
            status_text: match u.status {
                UserStatus::Active => t.user_status_active,
                UserStatus::Passive => t.user_status_passive,
            },
            start_date: u.start_date.to_string(),
            end_date: u.end_date.map(|d| d.to_string()).unwrap_or_default(),
            unit: u.unit.clone().unwrap_or_default(),
            reason: who.lang.reason(reason),
            counted: reason.is_counted(),
            error: None,
        }
    }
}

/// A filter tab.
pub struct FilterTab {
    pub code: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account/users.html")]
pub struct UsersPage {
    pub c: Chrome,
    pub tabs: Vec<FilterTab>,
    pub filter: &'static str,
    pub q: String,
    /// The unit kept to, as the form shows it ("" for any).
    pub unit: String,
    /// Whether the list keeps to the users without a unit.
    pub no_unit: bool,
    /// The list's address without a unit, when it keeps to one.
    pub all_units: Option<String>,
    pub rows: Vec<UserLine>,
    pub total: i64,
    pub pager: Pager,
    pub may_change: bool,
    /// Where a change returns to.
    pub here: String,
    pub error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    no_unit: String,
    #[serde(default)]
    page: Option<String>,
}

/// The users list's address for a search and a page.
pub fn users_url(search: &UserSearch, page: i64) -> String {
    let mut url = format!("/account/users?filter={}", search.filter.as_str());
    if !search.q.is_empty() {
        url.push_str("&q=");
        url.push_str(&percent_encode(&search.q));
    }
    match &search.unit {
        UnitFilter::Any => {}
        UnitFilter::NoUnit => url.push_str("&no_unit=1"),
        UnitFilter::Is(unit) => {
            url.push_str("&unit=");
            url.push_str(&percent_encode(unit));
        }
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

/// Encode a query value (letters, digits and `-._~` stay).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn users_page(
    who: &SignedIn,
    account: &Account,
    state: &AppState,
    search: UserSearch,
    page: i64,
) -> Result<UsersPage, AppError> {
    let account = account.clone();
    let t = who.lang.msgs();
    let day = account.today(state.clock.now());
    let account_id = account.id;
    let query = search.clone();
    let page = page.max(1);
    let (users, total) = state
        .db(move |conn| {
            Ok(User::page(
                conn,
                account_id,
                &query,
                day,
                Pager::offset(page),
                Pager::SIZE,
            )?)
        })
        .await?;
    let filter = search.filter;
    let tabs = [
        ("all", t.filter_all),
        ("counted", t.filter_counted),
        ("passive", t.filter_passive),
        ("ended", t.filter_ended),
        ("ending-soon", t.filter_ending_soon),
        ("future-start", t.filter_future_start),
    ]
    .into_iter()
    .map(|(code, label)| FilterTab {
        code,
        label,
        current: code == filter.as_str(),
    })
    .collect();
    let here = users_url(&search, page);
    let all_units = (search.unit != UnitFilter::Any).then(|| {
        users_url(
            &UserSearch {
                unit: UnitFilter::Any,
                ..search.clone()
            },
            1,
        )
    });
    Ok(UsersPage {
        c: Chrome::signed_in(who, "users", &here),
        tabs,
        filter: filter.as_str(),
        rows: users.iter().map(|u| UserLine::of(u, who, day)).collect(),
        total,
        pager: Pager::of_users(who.lang, page, total, |p| users_url(&search, p)),
        may_change: who.login.role.changes_account(),
        here,
        unit: match &search.unit {
            UnitFilter::Is(unit) => unit.clone(),
            _ => String::new(),
        },
        no_unit: search.unit == UnitFilter::NoUnit,
        all_units,
        q: search.q,
        error: None,
    })
}

/// `GET /account/users?filter=&q=&unit=&no_unit=&page=`.
pub async fn list(
    who: Customer,
    state: web::Data<AppState>,
    query: web::Query<UsersQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = UserFilter::parse(query.filter.trim()).ok_or(AppError::BadRequest)?;
    let page = Pager::parse(query.page.as_deref())?;
    let q: String = query.q.trim().chars().take(100).collect();
    let unit = match (query.no_unit.as_str(), validation::parse_unit(&query.unit)) {
        ("" | "0", Ok(None)) => UnitFilter::Any,
        ("" | "0", Ok(Some(unit))) => UnitFilter::Is(unit),
        ("1", Ok(None)) => UnitFilter::NoUnit,
        // A unit typed on the "no unit" list's form is what was asked.
        ("1", Ok(Some(unit))) => UnitFilter::Is(unit),
        _ => return Err(AppError::BadRequest),
    };
    let search = UserSearch { filter, unit, q };
    ok(&users_page(&who, who.account(), &state, search, page).await?)
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    end_date: String,
    #[serde(default)]
    back: String,
}

/// `POST /account/users/{id}` (contact): status and end date.
pub async fn change(
    who: Contact,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    let account_id = who.account().id;
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let f = form.into_inner();
    let status = UserStatus::parse(f.status.trim());
    let end_date = validation::parse_optional_date(&f.end_date);
    let problem = match (status, end_date) {
        (Some(status), Ok(end_date)) => {
            let login = who.login.clone();
            match state
                .op(move |conn, ctx| {
                    ops::change_user(conn, ctx, &login, account_id, id, status, end_date)
                })
                .await?
            {
                Ok(_) => {
                    who.session.set_flash(crate::i18n::Flash::UserSaved);
                    let back = safe_back(&f.back);
                    let back = if back.starts_with("/account/users") {
                        back
                    } else {
                        "/account/users"
                    };
                    return Ok(see_other(back));
                }
                Err(OpError::Invalid {
                    error: FieldError::Date,
                    ..
                }) => t.err_end_before_start,
                Err(OpError::Invalid { error, .. }) => t.field_error(error),
                Err(refused) => return Err(refused.into()),
            }
        }
        (None, _) => t.err_required,
        (_, Err(e)) => t.field_error(e),
    };
    // Show the user again with the message beside it.
    let number = state
        .db(move |conn| Ok(User::find_in_account(conn, account_id, id)?))
        .await?
        .ok_or(AppError::NotFound)?
        .employee_number;
    let search = UserSearch {
        q: number,
        ..UserSearch::only(UserFilter::All)
    };
    let mut page = users_page(&who, who.account(), &state, search, 1).await?;
    for row in page.rows.iter_mut().filter(|r| r.id == id) {
        row.error = Some(problem);
    }
    page.error = Some(problem);
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
