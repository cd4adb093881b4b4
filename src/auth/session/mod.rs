//! The session layer: actix-session's middleware, with our store behind
//! its `SessionStore` trait.
//!
//! - **Signed in** (or half signed in, a code still asked): the cookie
//!   holds a random key of 256 bits, signed with a key derived from
//!   `PORTAL_SECRET`; the `sessions` table holds only the key's SHA-256, so
//!   a copy of the database signs no one in. Every request reads its row,
//!   the login with its account and today's count, through the session
//!   reader (`session_reader`, which folds the reads of requests that come
//!   at once into one statement). Logout, a password change and a disabled
//!   login delete rows, so the session ends at once on every instance.
//! - **Before signing in** the state (the CSRF token, the language, a
//!   flash) travels in the session key itself (`p.` and the state in
//!   base64url), inside the same signed cookie: an anonymous GET writes
//!   nothing (SPEC 4), and a form's token is good only with the cookie of
//!   the browser it was given to. A row is written at the first sign-in
//!   that needs one.
//!
//! What actix-session cannot do, and the small wrapper around it does: its
//! store sees only the key, so [`scope`] (outside its middleware) gives the
//! store the request's browser, clock and preload in a task-local, and
//! [`bridge`] (inside it) hands what the read found (the identity, the
//! preloaded orders, the row id) to the request's extensions; [`scope`]
//! also removes a cookie that names no session. A failing store is a
//! middleware error, which `middleware::outer` answers 503: a sign-out whose
//! row could not be deleted keeps its cookie and says so.
//!
//! Timeouts are the server's: a row idle longer than the idle timeout, or
//! older than the absolute one, is gone, and so is a pre-sign-in key older
//! than the absolute one. The idle deadline is refreshed at most once a
//! minute.

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_session::{SessionExt, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::{Account, Login};

mod layer;
mod read;
mod store;

pub use layer::{bridge, scope};
pub(in crate::auth) use read::outlook_of;
pub(in crate::auth) use read::*;
pub use read::{delete_expired, Overview, Preload, Preloaded, Preloads};
pub use store::DbStore;
use store::*;

/// The name of the session cookie (with `__Host-` over https).
pub const COOKIE_NAME: &str = "portal_session";

/// The signed-in login as this request found it: the login (its password
/// hash included, never shown), its account (none for staff) and the users
/// counted today on that account.
#[derive(Clone, Debug)]
pub struct Identity {
    pub login: Login,
    pub account: Option<Account>,
    pub counted: i64,
}

/// The keys of the session's state. Values are JSON, as actix-session
/// keeps them; the row's `state` column is the same map as one JSON object
/// (without `login`, which is the row's own column).
pub(in crate::auth) const K_CSRF: &str = "csrf";
pub(in crate::auth) const K_LANG: &str = "lang";
pub(in crate::auth) const K_FLASH: &str = "flash";
/// Half signed in: the password was right, the code is still asked.
pub(in crate::auth) const K_HALF: &str = "half";
/// A two-step secret offered at enrolment, until it is confirmed.
pub(in crate::auth) const K_ENROL: &str = "enrol";
/// The signed-in login (put there by the store from the row it read).
pub(in crate::auth) const K_LOGIN: &str = "login";

/// A sign-in waiting for its second step. Its wrong codes are counted in
/// the row (`sessions.wrong_codes`), one conditional update each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Half {
    pub login_id: i64,
    /// When the password was right (Unix seconds).
    pub since: i64,
}

/// The id (the key's SHA-256) of the row this request's session read.
#[derive(Clone, Debug)]
pub(in crate::auth) struct RowId(pub(in crate::auth) Rc<str>);

/// The session of this request: actix-session's, with typed accessors.
/// Cheap to clone; every clone is the same session.
#[derive(Clone)]
pub struct Session {
    inner: actix_session::Session,
    row: Option<Rc<str>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.inner.get(key).ok().flatten()
    }

    fn put<T: Serialize>(&self, key: &str, value: T) {
        if let Err(e) = self.inner.insert(key, value) {
            tracing::warn!(error = %e, key, "a session value could not be kept");
        }
    }

    /// Remove a key, marking the session changed only when it was there.
    fn take(&self, key: &str) -> Option<String> {
        if !self.inner.contains_key(key) {
            return None;
        }
        self.inner.remove(key)
    }

    /// The signed-in login's id, when this session is signed in.
    pub fn login_id(&self) -> Option<i64> {
        self.get(K_LOGIN)
    }

    pub fn csrf(&self) -> Option<String> {
        self.get(K_CSRF)
    }

    /// The session's CSRF token, starting a pre-sign-in session if needed.
    pub fn ensure_csrf(&self) -> String {
        if let Some(token) = self.csrf() {
            return token;
        }
        let token = crate::auth::random_token();
        self.put(K_CSRF, &token);
        token
    }

    fn fresh(&self, lang: Option<Lang>) {
        self.inner.clear();
        self.put(K_CSRF, crate::auth::random_token());
        if let Some(lang) = lang {
            self.put(K_LANG, lang.code());
        }
        self.inner.renew();
    }

    /// Sign in: a new session id, a new CSRF token, the login recorded
    /// (the row takes this request's browser).
    pub fn sign_in(&self, login_id: i64, lang: Option<Lang>) {
        self.fresh(lang);
        self.put(K_LOGIN, login_id);
    }

    /// The password was right and a code is asked: a new session id, not
    /// signed in yet, for at most five minutes.
    pub fn begin_two_step(&self, login_id: i64, lang: Option<Lang>, now: i64) {
        self.fresh(lang);
        self.put(
            K_HALF,
            Half {
                login_id,
                since: now,
            },
        );
    }

    /// The password (or a link) was right: sign the login in, or, when it
    /// has two-step on, start the half sign-in that asks for its code.
    /// Returns whether the code is asked.
    pub fn sign_in_or_ask_code(&self, login: &Login, now: i64) -> bool {
        if login.two_step_on() {
            self.begin_two_step(login.id, login.lang(), now);
            true
        } else {
            self.sign_in(login.id, login.lang());
            false
        }
    }

    /// The half sign-in, while it lasts.
    pub fn half(&self) -> Option<Half> {
        self.get(K_HALF)
    }

    /// Forget a half sign-in that has run out.
    pub fn clear_half(&self) {
        self.take(K_HALF);
    }

    /// The secret offered at enrolment, if one is.
    pub fn enrol_secret(&self) -> Option<String> {
        self.get(K_ENROL)
    }

    pub fn set_enrol_secret(&self, secret: Option<String>) {
        // A secret offered or taken back must be kept: a failure to save it
        // is a 503 whatever the method.
        let _ = REQUEST.try_with(|r| r.must_save.set(true));
        match secret {
            Some(secret) => self.put(K_ENROL, secret),
            None => {
                self.take(K_ENROL);
            }
        }
    }

    /// End the session: its row is deleted, its cookie removed (or, when
    /// the row cannot be deleted, the answer is 503 and the cookie kept).
    pub fn sign_out(&self) {
        self.inner.purge();
    }

    pub fn lang(&self) -> Option<Lang> {
        self.get::<String>(K_LANG).as_deref().and_then(Lang::parse)
    }

    pub fn set_lang(&self, lang: Lang) {
        if self.lang() != Some(lang) {
            self.put(K_LANG, lang.code());
        }
    }

    /// The id of this session's row, when it has one.
    pub fn row_id(&self) -> Option<String> {
        self.row.as_deref().map(str::to_string)
    }

    /// A one-time message for the next page.
    pub fn set_flash(&self, flash: crate::i18n::Flash) {
        self.put(K_FLASH, flash.as_str());
    }

    /// The one-time message, once. A word this version does not know (a
    /// session from another version) is dropped with a warning.
    pub fn take_flash(&self) -> Option<crate::i18n::Flash> {
        let word = self
            .take(K_FLASH)
            .and_then(|v| serde_json::from_str::<String>(&v).ok())?;
        let flash = crate::i18n::Flash::parse(&word);
        if flash.is_none() {
            tracing::warn!(flash = %word.chars().take(40).collect::<String>(), "an unknown flash in a session was dropped");
        }
        flash
    }

    /// The session of a request (an empty one outside the middleware).
    pub fn of(req: &HttpRequest) -> Session {
        Session {
            inner: req.get_session(),
            row: req.extensions().get::<RowId>().map(|r| Rc::clone(&r.0)),
        }
    }
}

impl FromRequest for Session {
    type Error = AppError;
    type Future = Ready<Result<Session, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Session::of(req)))
    }
}

/// The row id for a cookie's key: its SHA-256.
pub fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A key as we make them (64 hex digits); anything else is not looked up.
pub(in crate::auth) fn plausible_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(in crate::auth) fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-portal_session"
    } else {
        COOKIE_NAME
    }
}

/// actix-session's middleware over our store: the cookie signed with
/// `key` (derived from `PORTAL_SECRET`), `HttpOnly`, `SameSite=Lax`, `Path=/`,
/// no `Domain`, and over https `Secure` with the `__Host-` prefix; a
/// browser-session cookie whose lifetime the server decides (rows and
/// pre-sign-in keys expire by `Timeouts`).
pub fn layer(key: Key, https: bool) -> SessionMiddleware<DbStore> {
    SessionMiddleware::builder(DbStore, key)
        .cookie_name(cookie_name(https).to_string())
        .cookie_secure(https)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".into())
        .cookie_domain(None)
        .cookie_content_security(actix_session::config::CookieContentSecurity::Signed)
        .session_lifecycle(actix_session::config::BrowserSession::default())
        .build()
}

/// The language of the request's session, as it stood when the handler
/// was done (for the error page, drawn outside the session layer).
#[derive(Clone, Copy, Debug)]
pub struct SessionLang(pub Lang);

impl SessionLang {
    pub fn of(req: &HttpRequest) -> Option<Lang> {
        req.extensions().get::<SessionLang>().map(|l| l.0)
    }
}

/// The cookie's signing key, derived from the portal's secret
/// (`PORTAL_SECRET`, else the one kept in the database).
pub fn cookie_key(secret: &str) -> Key {
    use hmac::{Hmac, Mac};
    let derived = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(b"session-cookie");
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Sha256::digest(secret.as_bytes()).to_vec(),
    };
    Key::derive_from(&derived)
}
