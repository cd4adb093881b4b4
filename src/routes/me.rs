//! `GET /me`: language, password change and "your sessions" (SPEC 4.4).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::credentials::{self, Checked, Whose};
use crate::auth::SignedIn;
use crate::domain::validation::check_password;
use crate::error::AppError;
use crate::models::now_utc;
use crate::models::session::SessionRow;
use crate::ops;
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::state::AppState;

/// One row of "your sessions".
pub struct SessionLine {
    pub started: String,
    pub last_seen: String,
    pub browser: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "me/show.html")]
pub struct MePage {
    pub c: Chrome,
    pub sessions: Vec<SessionLine>,
    pub password_error: Option<&'static str>,
    /// "Warnings by mail" (SPEC 14), for a contact (the only role they
    /// go to).
    pub warnings: Option<bool>,
    pub warnings_error: Option<&'static str>,
}

async fn page(
    who: &SignedIn,
    state: &AppState,
    password_error: Option<&'static str>,
) -> Result<MePage, AppError> {
    let login_id = who.login.id;
    let timeouts = state.timeouts;
    let current = who.session.row_id();
    let rows = state
        .db(move |conn| {
            let now = now_utc();
            Ok(SessionRow::for_login(
                conn,
                login_id,
                timeouts.idle_cutoff(now),
                timeouts.absolute_cutoff(now),
            )?)
        })
        .await?;
    let sessions = rows
        .into_iter()
        .map(|r| SessionLine {
            started: r.created_at.format("%Y-%m-%d %H:%M").to_string(),
            last_seen: r.last_seen_at.format("%Y-%m-%d %H:%M").to_string(),
            browser: r.user_agent.clone(),
            current: current.as_deref() == Some(r.id.as_str()),
        })
        .collect();
    Ok(MePage {
        c: Chrome::signed_in(who, "me", "/me"),
        sessions,
        password_error,
        warnings: (who.login.role == crate::domain::roles::Role::Contact)
            .then_some(who.login.warnings_by_mail),
        warnings_error: None,
    })
}

pub async fn show(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    ok(&page(&who, &state, None).await?)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    old_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /me/password`: old password required; ends the other sessions.
pub async fn change_password(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let t = who.lang.msgs();
    let PasswordForm {
        old_password,
        new_password,
    } = form.into_inner();
    if let Err(e) = check_password(&new_password, &who.login.email) {
        let p = page(&who, &state, Some(t.field_error(e))).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    // The same guarded check as signing in: a wrong old password counts
    // toward the lock-out, and the attempt that locks the login ends this
    // session.
    match credentials::check(&state, Whose::Login(who.login.id), old_password).await? {
        Checked::Accepted(login) => credentials::completed(&state, login.id).await?,
        Checked::Refused { why, locked, .. } => {
            tracing::warn!(
                login_id = who.login.id,
                peer = %who.peer,
                reason = why.as_str(),
                locked,
                "password change refused: old password"
            );
            if locked {
                who.session.sign_out();
                return Ok(see_other("/login"));
            }
            let p = page(&who, &state, Some(t.wrong_old_password)).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    }
    let hash = state.hasher.hash(new_password).await?;
    let login = who.login.clone();
    let keep = who.session.row_id();
    state
        .op(move |conn, _| ops::change_password(conn, &login, &hash, keep.as_deref()))
        .await??;
    who.session.set_flash(crate::i18n::Flash::PasswordChanged);
    Ok(see_other("/me"))
}

/// `POST /me/sessions/end-others`.
pub async fn end_other_sessions(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let login_id = who.login.id;
    let keep = who.session.row_id().ok_or(AppError::BadRequest)?;
    state
        .db(move |conn| {
            SessionRow::delete_for_login(conn, login_id, Some(&keep))?;
            Ok(())
        })
        .await?;
    who.session
        .set_flash(crate::i18n::Flash::OtherSessionsEnded);
    Ok(see_other("/me"))
}

#[derive(Deserialize)]
pub struct WarningsForm {
    /// `on` or `off`; left out (an unticked checkbox) is `off`.
    #[serde(default)]
    warnings: Option<String>,
}

/// `POST /me/warnings`: a contact turns its warnings by mail on or off ->
/// 303 to /me; another value is 422 with what is allowed, nothing changed.
pub async fn set_warnings(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<WarningsForm>,
) -> Result<HttpResponse, AppError> {
    if who.login.role != crate::domain::roles::Role::Contact {
        return Err(AppError::Forbidden);
    }
    let on = match form.warnings.as_deref().map(str::trim) {
        Some("on") => true,
        None | Some("off") => false,
        Some(_) => {
            let mut p = page(&who, &state, None).await?;
            p.warnings_error = Some(who.lang.msgs().err_on_off);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let login = who.login.clone();
    state
        .op(move |conn, _| ops::set_warnings_by_mail(conn, &login, on))
        .await??;
    who.session.set_flash(crate::i18n::Flash::WarningsSaved);
    Ok(see_other("/me#warnings"))
}
