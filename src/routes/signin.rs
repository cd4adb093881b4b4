//! Sign-in, sign-out, the home redirect and the language switch (SPEC 4.1).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::credentials::{self, Checked, Whose};
use crate::auth::{Session, SignedIn};
use crate::db::write_transaction;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::{AuditEvent, Login};
use crate::routes::pages::{ok, render, see_other, Chrome};
use crate::state::AppState;
use crate::throttle::Client;

#[derive(Template)]
#[template(path = "signin/login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub failed: bool,
}

/// The language of a page without a signed-in login: the session's choice,
/// else the browser's.
pub fn request_lang(req: &HttpRequest, session: &Session) -> Lang {
    session.lang().unwrap_or_else(|| {
        Lang::from_accept_language(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    })
}

fn peer(req: &HttpRequest) -> String {
    crate::auth::peer_of(req.peer_addr())
}

/// The client's address (behind a trusted proxy, the one it names), for the
/// log and the per-address brake; 429 while that address is braked.
pub fn braked(req: &HttpRequest, state: &AppState) -> Result<Client, AppError> {
    let addr = crate::throttle::client_addr(req, &state.settings.trusted_proxies);
    if let Some(addr) = addr {
        if let Some(wait) = state.throttle.retry_after(addr) {
            tracing::warn!(client = %addr, route = %crate::auth::route_of(req), "refused: too many failures from this address");
            return Err(AppError::TooManyRequests(wait.as_secs().max(1)));
        }
    }
    Ok(Client(addr))
}

/// `GET /`: each role's home.
pub async fn home(who: SignedIn) -> HttpResponse {
    see_other(who.login.role.home())
}

/// `GET /login`: the form, in a pre-sign-in session whose token protects it.
pub async fn login_form(req: HttpRequest, session: Session) -> Result<HttpResponse, AppError> {
    if session.login_id().is_some() {
        return Ok(see_other("/"));
    }
    let csrf = session.ensure_csrf();
    let lang = request_lang(&req, &session);
    ok(&LoginPage {
        c: Chrome::anonymous(lang, csrf, "/login"),
        failed: false,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `POST /login`.
pub async fn login_submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let peer = braked(&req, &state)?;
    let LoginForm { email, password } = form.into_inner();
    let email = email.trim().to_lowercase();
    let checked = credentials::check(&state, Whose::Email(email.clone()), password).await?;
    match checked {
        Checked::Accepted(login) => {
            tracing::info!(login_id = login.id, %email, %peer, "sign-in succeeded");
            // With two-step on, the count of failures starts again only
            // when the code is right too.
            if !login.two_step_on() {
                credentials::completed(&state, login.id).await?;
            }
            if session.sign_in_or_ask_code(&login, state.clock.now().timestamp()) {
                return Ok(see_other("/login/two-step"));
            }
            Ok(see_other("/"))
        }
        Checked::Refused { why, login, locked } => {
            crate::telemetry::failed_sign_in(
                locked && why == crate::auth::credentials::Refusal::WrongPassword,
            );
            state.throttle.failed_from(peer);
            let reason = why.as_str();
            // An unknown "email" is often a password typed in the wrong
            // field: the log gets a hash of it, never the text.
            match login {
                Some(login_id) => tracing::warn!(login_id, %email, %peer, reason, "sign-in failed"),
                None => {
                    tracing::warn!(email_hash = %short_hash(&state.form_key, &email), %peer, reason, "sign-in failed")
                }
            }
            let lang = request_lang(&req, &session);
            render(
                StatusCode::UNAUTHORIZED,
                &LoginPage {
                    c: Chrome::anonymous(lang, session.ensure_csrf(), "/login"),
                    failed: true,
                },
            )
        }
    }
}

/// `POST /logout`: the session row is deleted; its cookie signs no one in.
pub async fn logout(req: HttpRequest, session: Session) -> HttpResponse {
    if let Some(login_id) = session.login_id() {
        tracing::info!(login_id, peer = %peer(&req), "signed out");
    }
    session.sign_out();
    see_other("/login")
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /language`: switch language; remembered for a signed-in login.
pub async fn set_language(
    session: Session,
    state: web::Data<AppState>,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let lang = Lang::parse(&form.lang).ok_or(AppError::BadRequest)?;
    session.set_lang(lang);
    if let Some(login_id) = session.login_id() {
        state
            .db(move |conn| {
                write_transaction(conn, |conn| {
                    let Some(login) = Login::find(conn, login_id)? else {
                        return Ok(());
                    };
                    if login.language != Some(lang) {
                        Login::set_language(conn, login_id, lang.code())?;
                        AuditEvent::language_changed(login_id, login.account_id, lang.code())
                            .insert(conn)?;
                    }
                    Ok::<_, diesel::result::Error>(())
                })?;
                Ok(())
            })
            .await?;
    }
    Ok(see_other(safe_back(&form.back)))
}

/// A local path to return to, never another site: `/` and then only
/// letters, digits and `/?&=%._~-` (no `//`, backslash or control character).
pub fn safe_back(back: &str) -> &str {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "/?&=%._~-".contains(c);
    if back.starts_with('/')
        && !back.starts_with("//")
        && back.len() <= 500
        && back.chars().all(allowed)
    {
        back
    } else {
        "/"
    }
}

/// A short keyed hash of what was typed as an email, for the log: it ties
/// repeated attempts together, and without the server's key no dictionary
/// turns it back into the text (often a password in the wrong field).
fn short_hash(key: &[u8], text: &str) -> String {
    use hmac::{Hmac, Mac};
    match <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(b"log-email:");
            mac.update(text.as_bytes());
            hex::encode(&mac.finalize().into_bytes()[..6])
        }
        Err(_) => String::from("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_back("/account/users?filter=counted&page=2"),
            "/account/users?filter=counted&page=2"
        );
        for bad in [
            "//evil.example/",
            "/\t/evil.example",
            "https://evil.example",
            "/a\r\nSet-Cookie: x",
            "/\\evil",
            "",
        ] {
            assert_eq!(safe_back(bad), "/", "{bad:?}");
        }
    }
}
