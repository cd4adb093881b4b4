//! The ways in without a password (SPEC 7): "Forgot your password?" at
//! `/login/reset`, and the one-time links `/invitation/{token}` and
//! `/reset/{token}` that set a password and sign in. Showing a link's form
//! does not use it up; an unknown, used or expired link answers 410.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Session;
use crate::domain::validation::check_password;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::login_token::Purpose;
use crate::models::Login;
use crate::ops::{self, OpError};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::routes::signin::request_lang;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "signin/reset_request.html")]
pub struct ResetRequestPage {
    pub c: Chrome,
    pub sent: bool,
}

/// `GET /login/reset`.
pub async fn reset_form(req: HttpRequest, session: Session) -> Result<HttpResponse, AppError> {
    let lang = request_lang(&req, &session);
    ok(&ResetRequestPage {
        c: Chrome::anonymous(lang, session.ensure_csrf(), "/login/reset"),
        sent: false,
    })
}

#[derive(Deserialize)]
pub struct ResetRequest {
    #[serde(default)]
    email: String,
}

/// `POST /login/reset`: the same page and message for every address; a
/// mail only to an enabled login, at most 3 an hour.
pub async fn reset_request(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<ResetRequest>,
) -> Result<HttpResponse, AppError> {
    let peer = crate::routes::signin::braked(&req, &state)?;
    // Every reset request counts toward the brake.
    state.throttle.failed_from(peer);
    let email = form.into_inner().email.trim().to_lowercase();
    let lookup = email.clone();
    let sent = state
        .op(move |conn, ctx| ops::request_password_reset(conn, ctx, &lookup))
        .await?;
    match sent {
        Ok(Some(login_id)) => tracing::info!(login_id, %peer, "password reset link sent"),
        Ok(None) => {
            tracing::info!(%peer, "password reset asked: no mail (unknown, disabled or too many)")
        }
        Err(refused) => return Err(refused.into()),
    }
    let lang = request_lang(&req, &session);
    ok(&ResetRequestPage {
        c: Chrome::anonymous(lang, session.ensure_csrf(), "/login/reset"),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "signin/set_password.html")]
pub struct SetPasswordPage {
    pub c: Chrome,
    pub action: String,
    pub email: String,
    pub error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "signin/link_gone.html")]
pub struct LinkGonePage {
    pub c: Chrome,
}

fn gone(req: &HttpRequest, session: &Session) -> Result<HttpResponse, AppError> {
    let lang = request_lang(req, session);
    tracing::info!(peer = %crate::auth::peer_of(req.peer_addr()), "refused: link unknown, used or expired");
    render(
        StatusCode::GONE,
        &LinkGonePage {
            c: Chrome::anonymous(lang, session.ensure_csrf(), "/login"),
        },
    )
}

/// Which link a route serves: its resource says so (`routes::config`).
fn purpose_of(req: &HttpRequest) -> Result<Purpose, AppError> {
    req.app_data::<Purpose>()
        .copied()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a link route without its purpose")))
}

/// A link's form, with what was wrong with the last try, if anything (422
/// then), in its login's language, else the request's.
fn form_page(
    req: &HttpRequest,
    session: &Session,
    login: &Login,
    purpose: Purpose,
    token: &str,
    error: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let lang = link_lang(req, session, login);
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let action = path_of(purpose, token);
    render(
        status,
        &SetPasswordPage {
            c: Chrome::anonymous(lang, session.ensure_csrf(), &action),
            action,
            email: login.email.clone(),
            error,
        },
    )
}

/// The language of a link's pages: its login's choice, else the request's.
fn link_lang(req: &HttpRequest, session: &Session, login: &Login) -> Lang {
    login.lang().unwrap_or_else(|| request_lang(req, session))
}

/// The path a link's form posts to.
fn path_of(purpose: Purpose, token: &str) -> String {
    match purpose {
        Purpose::Invitation => format!("/invitation/{token}"),
        Purpose::PasswordReset => format!("/reset/{token}"),
    }
}

/// `GET /invitation/{token}` and `GET /reset/{token}`: the form, when the
/// link is live (showing it does not use it up).
pub async fn link_form(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let purpose = purpose_of(&req)?;
    let token = token.into_inner();
    let lookup = token.clone();
    let login = state
        .op(move |conn, _| ops::login_of_link(conn, &lookup, purpose))
        .await??;
    let Some(login) = login else {
        return gone(&req, &session);
    };
    form_page(&req, &session, &login, purpose, &token, None)
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /invitation/{token}` (the first password) and `POST /reset/{token}`
/// (a new one: every session of the login ends and its lock-out is
/// cleared): set it, use the link up, sign in.
pub async fn link_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    token: web::Path<String>,
    form: web::Form<SetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let purpose = purpose_of(&req)?;
    let token = token.into_inner();
    let form = form.into_inner();
    let lookup = token.clone();
    let Some(login) = state
        .op(move |conn, _| ops::login_of_link(conn, &lookup, purpose))
        .await??
    else {
        return gone(&req, &session);
    };
    let t = link_lang(&req, &session, &login).msgs();
    let problem = match check_password(&form.password, &login.email) {
        Err(e) => Some(t.field_error(e)),
        Ok(()) if form.password != form.password_confirm => Some(t.err_password_mismatch),
        Ok(()) => None,
    };
    if problem.is_some() {
        return form_page(&req, &session, &login, purpose, &token, problem);
    }
    let hash = state.hasher.hash(form.password).await?;
    let set = state
        .op(move |conn, _| ops::set_password_by_link(conn, &token, purpose, &hash))
        .await?;
    let login = match set {
        Ok(login) => login,
        Err(OpError::LinkGone) => return gone(&req, &session),
        Err(refused) => return Err(refused.into()),
    };
    tracing::info!(
        login_id = login.id,
        peer = %crate::auth::peer_of(req.peer_addr()),
        purpose = purpose.as_str(),
        "password set through a link; signed in"
    );
    // A link never skips the second step: `/` sends a half sign-in to it.
    session.sign_in_or_ask_code(&login, state.clock.now().timestamp());
    Ok(see_other("/"))
}
