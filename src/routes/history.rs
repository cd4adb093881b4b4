//! History (SPEC 11): `/account/users/{id}`, one user and each change of
//! it, when and by whom; `/account/reports/changes?from&to`, who started
//! or stopped being counted between the ends of two days, and why.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Deserialize;

use crate::auth::{Customer, SignedIn};
use crate::domain::counting::end_of_day;
use crate::domain::history::{net_change, Stood, Why};
use crate::domain::validation;
use crate::error::AppError;
use crate::models::user_version::{ChangedBy, UserVersion};
use crate::models::{Account, User};
use crate::routes::pages::{ok, render, Chrome};
use crate::routes::path_id;
use crate::routes::users::UserLine;
use crate::state::AppState;

/// A time of the history, in the account's time zone.
fn local(account: &Account, at: NaiveDateTime) -> String {
    at.and_utc()
        .with_timezone(&account.tz())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Who changed a user, in the reader's words.
fn by_text(who: &SignedIn, stored: &str) -> String {
    let t = who.lang.msgs();
    match ChangedBy::parse(stored) {
        ChangedBy::Login(email) => email,
        ChangedBy::Import { file, by } => match by {
            Some(by) => format!("{} {file} ({by})", t.history_import),
            None => format!("{} {file}", t.history_import),
        },
        ChangedBy::Token { prefix, name } => format!("{} {prefix} ({name})", t.history_token),
        ChangedBy::System(what) if what == "history began" => t.history_began.to_string(),
        ChangedBy::System(what) => format!("{} ({what})", t.history_system),
    }
}

/// A version as a row of a user's history.
pub struct VersionLine {
    pub from: String,
    pub to: String,
    pub by: String,
    pub name: String,
    pub status_text: &'static str,
    pub start_date: String,
    pub end_date: String,
}

#[derive(Template)]
#[template(path = "account/user.html")]
pub struct UserPage {
    pub c: Chrome,
    pub user: UserLine,
    pub versions: Vec<VersionLine>,
    /// A contact changes the user here too (the users list's form, which
    /// a phone's list leaves out).
    pub may_change: bool,
}

/// `GET /account/users/{id}`: another account's user is not found.
pub async fn user_page(
    who: Customer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let id = path_id(&path)?;
    let account_id = account.id;
    let (user, versions) = state
        .db(move |conn| {
            let user = User::find_in_account(conn, account_id, id)?.ok_or(AppError::NotFound)?;
            let versions = UserVersion::of_user(conn, &user)?;
            Ok((user, versions))
        })
        .await?;
    let today = account.today(state.clock.now());
    let t = who.lang.msgs();
    let versions = versions
        .iter()
        .rev()
        .map(|v| VersionLine {
            from: local(&account, v.valid_from),
            to: v
                .valid_to
                .map(|at| local(&account, at))
                .unwrap_or_else(|| t.history_current.to_string()),
            by: by_text(&who, &v.changed_by),
            name: v.name.clone(),
            status_text: match v.status {
                crate::domain::counting::UserStatus::Active => t.user_status_active,
                crate::domain::counting::UserStatus::Passive => t.user_status_passive,
            },
            start_date: v.start_date.to_string(),
            end_date: v.end_date.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    ok(&UserPage {
        c: Chrome::signed_in(&who, "users", "/account/users"),
        user: UserLine::of(&user, &who, today),
        versions,
        may_change: who.login.role.changes_account(),
    })
}

#[derive(Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// One user whose counting changed.
pub struct ChangeLine {
    pub id: i64,
    pub employee_number: String,
    pub name: String,
    pub why: &'static str,
    pub why_code: &'static str,
    pub when: String,
}

#[derive(Template)]
#[template(path = "account/changes.html")]
pub struct ChangesPage {
    pub c: Chrome,
    pub from: String,
    pub to: String,
    pub from_count: Option<i64>,
    pub to_count: Option<i64>,
    pub started: Vec<ChangeLine>,
    pub stopped: Vec<ChangeLine>,
    pub error: Option<&'static str>,
}

fn why_text(who: &SignedIn, why: Why) -> &'static str {
    let t = who.lang.msgs();
    match why {
        Why::Added => t.why_added,
        Why::SetActive => t.why_set_active,
        Why::EndDateMoved => t.why_end_date_moved,
        Why::SetPassive => t.why_set_passive,
        Why::EndDatePassed(_) => t.why_end_date_passed,
        Why::EndDateSet => t.why_end_date_set,
    }
}

fn stood(v: &UserVersion) -> Stood {
    Stood {
        status: v.status,
        start_date: v.start_date,
        end_date: v.end_date,
    }
}

/// `GET /account/reports/changes?from=&to=` (default: the last 30 days).
pub async fn changes(
    who: Customer,
    state: web::Data<AppState>,
    q: web::Query<ChangesQuery>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let now = state.clock.now();
    let today = account.today(now);
    let day = |raw: Option<&str>, default: NaiveDate| match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some(text) => validation::parse_date(text).map_err(|_| AppError::BadRequest),
    };
    let to = day(q.to.as_deref(), today)?;
    let from = day(q.from.as_deref(), to - chrono::Duration::days(30))?;
    let t = who.lang.msgs();
    let mut page = ChangesPage {
        c: Chrome::signed_in(&who, "reports", "/account/reports/changes"),
        from: from.to_string(),
        to: to.to_string(),
        from_count: None,
        to_count: None,
        started: Vec::new(),
        stopped: Vec::new(),
        error: None,
    };
    if from > to {
        page.error = Some(t.changes_bad_range);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    // The end of a day, or now for a day not yet ended.
    let end = |d: NaiveDate| {
        end_of_day(account.tz(), d)
            .min(now + chrono::Duration::microseconds(1))
            .naive_utc()
    };
    let (t_from, t_to) = (end(from), end(to));
    let account_id = account.id;
    let found = state
        .db(move |conn| {
            if !UserVersion::covers(conn, account_id, t_from)? {
                return Ok(None);
            }
            Ok(Some((
                UserVersion::valid_before(conn, account_id, t_from)?,
                UserVersion::valid_before(conn, account_id, t_to)?,
            )))
        })
        .await?;
    let Some((at_from, at_to)) = found else {
        page.error = Some(t.report_no_record);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let before: HashMap<i64, &UserVersion> = at_from.iter().map(|v| (v.user_id, v)).collect();
    page.from_count = Some(at_from.iter().filter(|v| stood(v).counted(from)).count() as i64);
    page.to_count = Some(at_to.iter().filter(|v| stood(v).counted(to)).count() as i64);
    for v in &at_to {
        let was = before.get(&v.user_id).map(|f| stood(f));
        let Some((started, why)) = net_change(was.as_ref(), Some(&stood(v)), from, to) else {
            continue;
        };
        let when = match why {
            Why::EndDatePassed(end) => end.succ_opt().unwrap_or(end).to_string(),
            _ => local(&account, v.valid_from),
        };
        let line = ChangeLine {
            id: v.user_id,
            employee_number: v.employee_number.clone(),
            name: v.name.clone(),
            why: why_text(&who, why),
            why_code: why.code(),
            when,
        };
        if started {
            page.started.push(line);
        } else {
            page.stopped.push(line);
        }
    }
    for list in [&mut page.started, &mut page.stopped] {
        list.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
    }
    ok(&page)
}
