//! Two-step sign-in (SPEC 8): the code after the password at
//! `/login/two-step`, and a login's own settings at `/me/two-step`
//! (enrolment with a QR code, recovery codes, turning it off).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::credentials::{self, Checked, Whose};
use crate::auth::{Session, SignedIn};
use crate::error::AppError;
use crate::models::session::SessionRow;
use crate::models::{recovery_code, Login};
use crate::ops::{self, CodeCheck};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::routes::signin::{braked, request_lang};
use crate::state::AppState;
use crate::two_step::{self, MAX_WRONG_CODES};

#[derive(Template)]
#[template(path = "signin/two_step.html")]
pub struct CodePage {
    pub c: Chrome,
    pub failed: bool,
}

fn code_page(
    req: &HttpRequest,
    session: &Session,
    status: StatusCode,
    failed: bool,
) -> Result<HttpResponse, AppError> {
    let lang = request_lang(req, session);
    render(
        status,
        &CodePage {
            c: Chrome::anonymous(lang, session.ensure_csrf(), "/login/two-step"),
            failed,
        },
    )
}

/// `GET /login/two-step`: the code form, while half signed in.
pub async fn code_form(req: HttpRequest, session: Session) -> Result<HttpResponse, AppError> {
    if session.half().is_none() {
        return Ok(see_other("/login"));
    }
    code_page(&req, &session, StatusCode::OK, false)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

fn unix_now(state: &AppState) -> u64 {
    u64::try_from(state.clock.now().timestamp()).unwrap_or(0)
}

/// `POST /login/two-step`: a right code (or unused recovery code) signs in
/// with a new session id; a wrong one is 401 and counts toward the
/// lock-out; the fifth ends the half session.
pub async fn code_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(half) = session.half() else {
        return Ok(see_other("/login"));
    };
    let client = braked(&req, &state)?;
    let login_id = half.login_id;
    // Counted in the row before it is looked at: however many codes arrive
    // at once, at most five of a half sign-in are ever checked.
    let counted = match session.row_id() {
        Some(id) => {
            state
                .db(move |conn| {
                    Ok(SessionRow::count_code(
                        conn,
                        &id,
                        i32::from(MAX_WRONG_CODES),
                    )?)
                })
                .await?
        }
        None => None,
    };
    let Some(counted) = counted else {
        tracing::warn!(login_id, %client, "half sign-in ended after too many wrong codes");
        session.sign_out();
        return Ok(see_other("/login"));
    };
    let login = state
        .db(move |conn| Ok(Login::find(conn, login_id)?))
        .await?
        .filter(|l| !l.disabled && l.two_step_on());
    // The lock-out is checked and the attempt counted inside check_code,
    // under the login's row lock.
    let outcome = match &login {
        Some(login) => {
            let l = login.clone();
            let code = form.into_inner().code;
            let unix = unix_now(&state);
            state
                .op(move |conn, _| ops::check_code(conn, &l, &code, unix))
                .await??
        }
        None => CodeCheck::Wrong,
    };
    match (outcome, login) {
        (CodeCheck::Right | CodeCheck::Recovery, Some(login)) => {
            // The half sign-in ends here, unless wrong codes sent beside this
            // one ended it first: then this code signs no one in.
            let row = session.row_id();
            let open = match row {
                Some(id) => {
                    state
                        .db(move |conn| Ok(SessionRow::end_half(conn, &id)?))
                        .await?
                }
                None => false,
            };
            if !open {
                tracing::warn!(login_id, %client, "refused: a right code for a half sign-in already ended");
                session.sign_out();
                return Ok(see_other("/login"));
            }
            tracing::info!(login_id, %client, recovery = outcome == CodeCheck::Recovery, "sign-in succeeded with the second step");
            session.sign_in(login.id, login.lang());
            Ok(see_other("/"))
        }
        (outcome, _) => {
            if outcome == CodeCheck::Replay {
                tracing::warn!(login_id, %client, "refused: a used two-step code again (replay)");
            } else {
                tracing::warn!(login_id, %client, "sign-in failed: wrong two-step code");
            }
            state.throttle.failed_from(client);
            crate::telemetry::failed_sign_in(outcome == CodeCheck::WrongAndLocked);
            if counted >= i32::from(MAX_WRONG_CODES) {
                tracing::warn!(login_id, %client, "half sign-in ended after too many wrong codes");
                session.sign_out();
                return Ok(see_other("/login"));
            }
            code_page(&req, &session, StatusCode::UNAUTHORIZED, true)
        }
    }
}

#[derive(Template)]
#[template(path = "me/two_step.html")]
pub struct SettingsPage {
    pub c: Chrome,
    pub on: bool,
    pub required: bool,
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
    pub error: Option<&'static str>,
    pub recovery_codes: Option<Vec<String>>,
    pub recovery_left: i64,
}

async fn settings_page(
    who: &SignedIn,
    state: &AppState,
    error: Option<&'static str>,
    recovery_codes: Option<Vec<String>>,
) -> Result<SettingsPage, AppError> {
    let login_id = who.login.id;
    // What the database says now (the request's identity may predate a
    // change this request made).
    let login = state
        .db(move |conn| Ok(Login::find(conn, login_id)?))
        .await?
        .ok_or(AppError::SignInRequired)?;
    let required = state.settings.two_step.requires(login.role);
    let (secret, uri, qr_svg) = if login.two_step_on() {
        (String::new(), String::new(), String::new())
    } else {
        // A new secret, kept in the session until a code confirms it.
        let secret = who.session.enrol_secret().unwrap_or_else(|| {
            let s = two_step::new_secret();
            who.session.set_enrol_secret(Some(s.clone()));
            s
        });
        let uri = two_step::otpauth_uri(&secret, &login.email).unwrap_or_default();
        let svg = two_step::qr_svg(&uri).unwrap_or_default();
        (secret, uri, svg)
    };
    let recovery_left = state
        .db(move |conn| Ok(recovery_code::unused(conn, login_id)?))
        .await?;
    Ok(SettingsPage {
        c: Chrome::signed_in(who, "me", "/me/two-step"),
        on: login.two_step_on(),
        required,
        secret,
        uri,
        qr_svg,
        error,
        recovery_codes,
        recovery_left,
    })
}

/// `GET /me/two-step`.
pub async fn settings(who: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    ok(&settings_page(&who, &state, None, None).await?)
}

/// `POST /me/two-step`: the code of the offered secret turns two-step on
/// and shows 10 recovery codes once; a wrong one shows the same secret
/// again with 422.
pub async fn enrol(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let t = who.lang.msgs();
    if who.login.two_step_on() {
        return Ok(see_other("/me/two-step"));
    }
    let Some(secret) = who.session.enrol_secret() else {
        return Ok(see_other("/me/two-step"));
    };
    let Some(step) = two_step::code_step(&secret, &form.code, unix_now(&state)) else {
        let page = settings_page(&who, &state, Some(t.two_step_wrong_code), None).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let login = who.login.clone();
    let kept = secret.clone();
    let codes = state
        .op(move |conn, _| ops::enable_two_step(conn, &login, &kept, step))
        .await??;
    who.session.set_enrol_secret(None);
    tracing::info!(login_id = who.login.id, "two-step turned on");
    ok(&settings_page(&who, &state, None, Some(codes)).await?)
}

/// `POST /me/two-step/recovery-codes`: with a right code, 10 new recovery
/// codes, shown once; the old ones stop working.
pub async fn renew_codes(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let t = who.lang.msgs();
    let login = who.login.clone();
    let code = form.into_inner().code;
    let unix = unix_now(&state);
    let checked = state
        .op(move |conn, _| ops::check_code(conn, &login, &code, unix))
        .await??;
    if !matches!(checked, CodeCheck::Right | CodeCheck::Recovery) {
        let page = settings_page(&who, &state, Some(t.two_step_wrong_code), None).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let login = who.login.clone();
    let codes = state
        .op(move |conn, _| ops::renew_recovery_codes(conn, &login))
        .await??;
    ok(&settings_page(&who, &state, None, Some(codes)).await?)
}

#[derive(Deserialize)]
pub struct OffForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// `POST /me/two-step/off`: password and code; refused (403) for a login
/// whose role must have two-step.
pub async fn turn_off(
    who: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<OffForm>,
) -> Result<HttpResponse, AppError> {
    if state.settings.two_step.requires(who.login.role) {
        return Err(AppError::Forbidden);
    }
    let t = who.lang.msgs();
    let OffForm { password, code } = form.into_inner();
    // The count starts again only when the code is right too (check_code
    // does that), never on the password alone.
    let password_ok = match credentials::check(&state, Whose::Login(who.login.id), password).await?
    {
        Checked::Accepted(_) => true,
        Checked::Refused { locked, .. } => {
            if locked {
                who.session.sign_out();
                return Ok(see_other("/login"));
            }
            false
        }
    };
    let login = who.login.clone();
    let unix = unix_now(&state);
    let code_ok = password_ok
        && matches!(
            state
                .op(move |conn, _| ops::check_code(conn, &login, &code, unix))
                .await??,
            CodeCheck::Right | CodeCheck::Recovery
        );
    if !code_ok {
        let message = if password_ok {
            t.two_step_wrong_code
        } else {
            t.wrong_old_password
        };
        let page = settings_page(&who, &state, Some(message), None).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let login = who.login.clone();
    state
        .op(move |conn, _| ops::disable_two_step(conn, &login))
        .await??;
    who.session.set_flash(crate::i18n::Flash::TwoStepDisabled);
    Ok(see_other("/me/two-step"))
}
