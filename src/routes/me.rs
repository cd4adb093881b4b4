//! `GET /me`: language, password change and "your sessions" (SPEC 4.4).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::password::{hash_password, verify_password};
use crate::auth::SignedIn;
use crate::domain::validation::check_password;
use crate::error::AppError;
use crate::models::session::SessionRow;
use crate::models::{now_utc, Login};
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
}

async fn page(
    who: &SignedIn,
    state: &AppState,
    password_error: Option<&'static str>,
) -> Result<MePage, AppError> {
    let login_id = who.login.id;
    let timeouts = state.timeouts;
    let current = who.portal_session().row_id();
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
    if let Err(e) = check_password(&new_password) {
        let p = page(&who, &state, Some(t.field_error(e))).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let login = who.login.clone();
    let keep = who.portal_session().row_id();
    let changed = state
        .db(move |conn| {
            // The session carries no password hash: read the current one.
            let current = Login::find(conn, login.id)?.ok_or(AppError::NotFound)?;
            if !verify_password(&current.password_hash, &old_password) {
                return Ok(false);
            }
            let hash = hash_password(&new_password)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            ops::change_password(conn, &login, &hash, keep.as_deref())?;
            Ok(true)
        })
        .await?;
    if !changed {
        let p = page(&who, &state, Some(t.wrong_old_password)).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    who.portal_session().set_flash("password_changed");
    Ok(see_other("/me"))
}

/// `POST /me/sessions/end-others`.
pub async fn end_other_sessions(
    who: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let login_id = who.login.id;
    let keep = who.portal_session().row_id().ok_or(AppError::BadRequest)?;
    state
        .db(move |conn| {
            SessionRow::delete_for_login(conn, login_id, Some(&keep))?;
            Ok(())
        })
        .await?;
    who.portal_session().set_flash("other_sessions_ended");
    Ok(see_other("/me"))
}
