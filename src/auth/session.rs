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

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::{ready, Ready};
use std::rc::Rc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::session_reader::SessionReader;
use crate::config::Timeouts;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::session::{NewSessionRow, SessionHead, SessionRow, SignedInRow};
use crate::models::{now_utc, Account, Login, User};
use crate::state::AppState;

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
const K_CSRF: &str = "csrf";
const K_LANG: &str = "lang";
const K_FLASH: &str = "flash";
/// Half signed in: the password was right, the code is still asked.
const K_HALF: &str = "half";
/// A two-step secret offered at enrolment, until it is confirmed.
const K_ENROL: &str = "enrol";
/// The signed-in login (put there by the store from the row it read).
const K_LOGIN: &str = "login";

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
struct RowId(Rc<str>);

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
        let token = super::random_token();
        self.put(K_CSRF, &token);
        token
    }

    fn fresh(&self, lang: Option<Lang>) {
        self.inner.clear();
        self.put(K_CSRF, super::random_token());
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
    pub fn set_flash(&self, key: &str) {
        self.put(K_FLASH, key);
    }

    pub fn take_flash(&self) -> Option<String> {
        self.take(K_FLASH)
            .and_then(|v| serde_json::from_str::<String>(&v).ok())
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
fn plausible_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

fn cookie_name(https: bool) -> &'static str {
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

/// The column's object as actix-session's map (each value as JSON text).
fn to_state(stored: serde_json::Map<String, serde_json::Value>) -> HashMap<String, String> {
    stored
        .into_iter()
        .filter(|(k, _)| k != K_LOGIN)
        .map(|(k, v)| (k, v.to_string()))
        .collect()
}

/// The row's column straight into actix-session's map, each value's JSON
/// text as it is stored (what every signed-in request reads: no tree is
/// built). An unreadable column is an empty state.
fn column_state(json: &str) -> HashMap<String, String> {
    serde_json::from_str::<HashMap<&str, &serde_json::value::RawValue>>(json)
        .map(|m| {
            m.into_iter()
                .filter(|(k, _)| *k != K_LOGIN)
                .map(|(k, v)| (k.to_string(), v.get().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// actix-session's map as one JSON object (the login left out).
fn to_stored(state: &HashMap<String, String>) -> serde_json::Map<String, serde_json::Value> {
    state
        .iter()
        .filter(|(k, _)| *k != K_LOGIN)
        .filter_map(|(k, v)| Some((k.clone(), serde_json::from_str(v).ok()?)))
        .collect()
}

/// What a row's `login_id` column holds for a state: the signed-in login,
/// or the one a half sign-in is for (so that ending the login's sessions
/// ends it too).
fn login_column(state: &HashMap<String, String>) -> Option<i64> {
    let login = state
        .get(K_LOGIN)
        .and_then(|v| serde_json::from_str::<i64>(v).ok());
    login.or_else(|| {
        state
            .get(K_HALF)
            .and_then(|v| serde_json::from_str::<Half>(v).ok())
            .map(|h| h.login_id)
    })
}

/// Whether a state needs a row: only a login (or half sign-in) does.
fn needs_row(state: &HashMap<String, String>) -> bool {
    state.contains_key(K_LOGIN) || state.contains_key(K_HALF)
}

/// The prefix of a session key that carries a pre-sign-in state.
const PRE: &str = "p.";

/// A pre-sign-in state with the time it began.
#[derive(Serialize, Deserialize)]
struct PreSignIn {
    /// When it began (Unix seconds).
    t: i64,
    s: serde_json::Map<String, serde_json::Value>,
}

fn pre_key(state: &HashMap<String, String>, began: i64) -> String {
    let json = serde_json::to_vec(&PreSignIn {
        t: began,
        s: to_stored(state),
    })
    .unwrap_or_default();
    format!(
        "{PRE}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

/// The only keys a pre-sign-in state may carry: a key is a client's to
/// keep, so whatever else one holds (a login, a half sign-in, an
/// enrolment secret) is dropped, even under a valid signature.
const PRE_KEYS: [&str; 3] = [K_CSRF, K_LANG, K_FLASH];

/// The state a pre-sign-in key carries, while it is younger than the
/// absolute timeout.
fn read_pre_key(
    encoded: &str,
    timeouts: Timeouts,
    now: DateTime<Utc>,
) -> Option<(i64, HashMap<String, String>)> {
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    let pre: PreSignIn = serde_json::from_slice(&json).ok()?;
    let began = DateTime::<Utc>::from_timestamp(pre.t, 0)?.naive_utc();
    let mut state = to_state(pre.s);
    state.retain(|k, _| PRE_KEYS.contains(&k.as_str()));
    (began > timeouts.absolute_cutoff(now.naive_utc())).then_some((pre.t, state))
}

/// What the store may know of the request (actix-session hands it only
/// the key): set by [`scope`], read by the store, emptied by [`bridge`].
struct Request {
    state: web::Data<AppState>,
    reader: web::Data<SessionReader>,
    /// The browser, for a new row (cut to 200 characters then).
    user_agent: Option<actix_web::http::header::HeaderValue>,
    preload: Option<Preload>,
    /// A GET or HEAD: a session that cannot be saved is a 503. After
    /// another method the handler's change may be committed, so a state
    /// that could not be saved is logged and the answer stands (a sign-out
    /// or a sign-in is never of this kind: they purge or renew).
    safe: bool,
    /// When a pre-sign-in key began, for the key that replaces it.
    began: Cell<Option<i64>>,
    /// A cookie's session was found (else a cookie sent is stale).
    live: Cell<bool>,
    /// The store's read was asked (a cookie whose signature failed is not
    /// read: it may be another instance's, and is left alone).
    read: Cell<bool>,
    /// This request changed something that must be saved (see `safe`).
    must_save: Cell<bool>,
    found: RefCell<Option<Found>>,
}

/// What a read found, for the request's extensions.
struct Found {
    row: String,
    identity: Option<Identity>,
    preloaded: Option<Preloaded>,
}

tokio::task_local! {
    static REQUEST: Rc<Request>;
}

fn request() -> Result<Rc<Request>, anyhow::Error> {
    REQUEST
        .try_with(Rc::clone)
        .map_err(|_| anyhow::anyhow!("the session store was used outside its scope"))
}

/// Our store: rows in our database for signed-in sessions, the key itself
/// for pre-sign-in ones.
pub struct DbStore;

impl DbStore {
    async fn new_row(
        req: &Request,
        state: &HashMap<String, String>,
    ) -> Result<String, anyhow::Error> {
        let key = super::random_token();
        let id = row_id(&key);
        let login_id = login_column(state);
        let json = serde_json::Value::Object(to_stored(state)).to_string();
        let user_agent: String = req
            .user_agent
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        req.state
            .db(move |conn| {
                let now = now_utc();
                SessionRow::insert(
                    conn,
                    &NewSessionRow {
                        id: &id,
                        login_id,
                        state: &json,
                        user_agent: &user_agent,
                        created_at: now,
                        last_seen_at: now,
                    },
                )?;
                Ok(())
            })
            .await?;
        Ok(key)
    }

    async fn save_state(
        req: &Request,
        state: &HashMap<String, String>,
    ) -> Result<String, anyhow::Error> {
        if needs_row(state) {
            return DbStore::new_row(req, state).await;
        }
        let began = req
            .began
            .get()
            .unwrap_or_else(|| req.state.clock.now().timestamp());
        Ok(pre_key(state, began))
    }
}

fn session_key(key: String) -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(key).map_err(|e| anyhow::anyhow!("{e}"))
}

impl SessionStore for DbStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let req = request().map_err(LoadError::Other)?;
        req.read.set(true);
        let key = key.as_ref();
        if let Some(encoded) = key.strip_prefix(PRE) {
            let now = req.state.clock.now();
            let Some((began, state)) = read_pre_key(encoded, req.state.timeouts, now) else {
                return Ok(None);
            };
            req.began.set(Some(began));
            req.live.set(true);
            return Ok(Some(state));
        }
        if !plausible_key(key) {
            return Ok(None);
        }
        let id = row_id(key);
        let waiting = crate::state::Waiting::new(&req.state.db_waiting);
        let read = req
            .reader
            .read(id.clone(), req.state.clock.now(), req.preload, waiting)
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!(e)))?;
        // The answer stands without the write: a deadline not pushed is
        // pushed by the next request, a row not deleted is found ended
        // again (or swept) by the next.
        if let Some(write) = read.write {
            if let Err(e) = write_row(&req.state, &id, write, req.state.timeouts).await {
                tracing::warn!(error = %e, ?write, "a session row could not be written");
            }
        }
        let Some(loaded) = read.loaded else {
            return Ok(None);
        };
        if loaded.ended {
            tracing::warn!(
                login_id = ?loaded.row.login_id,
                "refused: login gone or disabled; session ended"
            );
            return Ok(None);
        }
        let mut state = column_state(&loaded.row.state);
        if let Some(identity) = &loaded.identity {
            state.insert(K_LOGIN.into(), identity.login.id.to_string());
        }
        req.live.set(true);
        *req.found.borrow_mut() = Some(Found {
            row: id,
            identity: loaded.identity,
            preloaded: loaded.preloaded,
        });
        Ok(Some(state))
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let req = request().map_err(SaveError::Other)?;
        let key = DbStore::save_state(&req, &state)
            .await
            .map_err(SaveError::Other)?;
        session_key(key).map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let req = request().map_err(UpdateError::Other)?;
        let old: &str = key.as_ref();
        if old.starts_with(PRE) || !plausible_key(old) {
            // A row is made only by a sign-in, which renews the session
            // (`save`), never by a change to a pre-sign-in state.
            if needs_row(&state) {
                return Err(UpdateError::Other(anyhow::anyhow!(
                    "a pre-sign-in session cannot become a signed-in one without renewal"
                )));
            }
            let key = DbStore::save_state(&req, &state)
                .await
                .map_err(UpdateError::Other)?;
            return session_key(key).map_err(UpdateError::Other);
        }
        let id = row_id(old);
        let (written, next) = if needs_row(&state) {
            // A row deleted meanwhile (logout elsewhere, a password change,
            // a disabled login) stays deleted: the next request starts
            // afresh.
            let login_id = login_column(&state);
            let json = serde_json::Value::Object(to_stored(&state)).to_string();
            let written = req
                .state
                .db(move |conn| {
                    SessionRow::update_state(conn, &id, login_id, &json, now_utc())?;
                    Ok(())
                })
                .await;
            (written, None)
        } else {
            // Neither signed in nor half (a half sign-in ran out): the row
            // goes, the state travels in the key.
            let began = req.state.clock.now().timestamp();
            req.began.set(Some(began));
            let written = req
                .state
                .db(move |conn| {
                    SessionRow::delete(conn, &id)?;
                    Ok(())
                })
                .await;
            (written, Some(pre_key(&state, began)))
        };
        match (written, next) {
            (Ok(()), None) => Ok(key),
            (Ok(()), Some(next)) => session_key(next).map_err(UpdateError::Other),
            (Err(e), _) if !req.safe && !req.must_save.get() => {
                tracing::warn!(error = %e, "the session could not be saved");
                Ok(key)
            }
            (Err(e), _) => Err(UpdateError::Other(anyhow::Error::new(e))),
        }
    }

    async fn update_ttl(
        &self,
        _key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        // Idle deadlines are pushed by the read (at most once a minute).
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let key: &str = key.as_ref();
        if key.starts_with(PRE) || !plausible_key(key) {
            return Ok(());
        }
        let req = request()?;
        let id = row_id(key);
        req.state
            .db(move |conn| {
                SessionRow::delete(conn, &id)?;
                Ok(())
            })
            .await?;
        Ok(())
    }
}

/// What one read found.
pub(super) struct Loaded {
    row: SessionHead,
    pub(super) identity: Option<Identity>,
    /// The row named a login that is gone or disabled: it is to be deleted.
    pub(super) ended: bool,
    /// What the page's preload read, in the same batch.
    pub(super) preloaded: Option<Preloaded>,
}

impl Loaded {
    /// The account of a signed-in (not half signed-in) customer: the only
    /// one whose reads a preload may bring.
    pub(super) fn customer_account(&self) -> Option<i64> {
        let identity = self.identity.as_ref()?;
        if !identity.login.role.reads_account() {
            return None;
        }
        identity.account.as_ref().map(|a| a.id)
    }
}

/// What a page reads with the session, in the session reader's batch, so
/// that the page costs no trip to the pool of its own (`Preloads` names the
/// pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preload {
    /// The account's pending orders and its five newest (the overview).
    Orders,
}

/// The pages whose reads come with the session: a GET of exactly one of
/// these paths. The URL tree (`routes::config`) gives them as app data.
#[derive(Clone, Copy, Debug)]
pub struct Preloads(pub &'static [(&'static str, Preload)]);

impl Preloads {
    fn of(req: &ServiceRequest) -> Option<Preload> {
        let Preloads(pages) = req.app_data::<Preloads>()?;
        pages
            .iter()
            .find(|(path, _)| *path == req.path())
            .map(|(_, preload)| *preload)
    }
}

/// What the preload read, left in the request for its handler. It is read
/// only for a signed-in customer, and only of their own account.
#[derive(Debug)]
pub enum Preloaded {
    /// The account's orders, newest first.
    Orders {
        account_id: i64,
        orders: Vec<crate::models::LicenseOrder>,
    },
}

impl Preloaded {
    /// The orders of `account_id` the request's preload read, if it read
    /// them (of that account: a second guard beside the reader's own).
    pub fn take_orders(
        req: &HttpRequest,
        account_id: i64,
    ) -> Option<Vec<crate::models::LicenseOrder>> {
        match req.extensions_mut().remove::<Preloaded>()? {
            Preloaded::Orders {
                account_id: of,
                orders,
            } if of == account_id => Some(orders),
            Preloaded::Orders { .. } => None,
        }
    }
}

/// A write to its row that a read calls for. The request makes it itself,
/// through the pool: a session reader never waits on a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RowWrite {
    /// The row expired or its login is gone or disabled.
    Delete,
    /// Its idle deadline is due to move.
    Touch,
}

/// What one read found, and the write it calls for.
pub(super) struct Read {
    /// `None`: no live row.
    pub(super) loaded: Option<Loaded>,
    pub(super) write: Option<RowWrite>,
}

/// What the row, as read (`found`), means: an expired or ended row is to be
/// deleted, a due idle deadline pushed, and the count is taken again when
/// the account's today is not `day`, the statement's. Blocking; it writes
/// nothing.
pub(super) fn settle(
    conn: &mut DbConnection,
    found: Option<SignedInRow>,
    timeouts: Timeouts,
    today_at: DateTime<Utc>,
    day: chrono::NaiveDate,
) -> diesel::QueryResult<Read> {
    let now = now_utc();
    let Some(SignedInRow {
        row,
        login,
        account,
        counted_on_day,
    }) = found
    else {
        return Ok(Read {
            loaded: None,
            write: None,
        });
    };
    if row.last_seen_at <= timeouts.idle_cutoff(now)
        || row.created_at <= timeouts.absolute_cutoff(now)
    {
        return Ok(Read {
            loaded: None,
            write: Some(RowWrite::Delete),
        });
    }
    let touch = (now - row.last_seen_at >= timeouts.touch_interval()).then_some(RowWrite::Touch);
    if row.login_id.is_none() {
        return Ok(Read {
            loaded: Some(Loaded {
                row,
                identity: None,
                ended: false,
                preloaded: None,
            }),
            write: touch,
        });
    }
    // A half-signed-in session names its login in the column too, so that
    // what ends the login's sessions ends it; it is not signed in.
    let half = column_state(&row.state).contains_key(K_HALF);
    // The count came with the row for the statement's day; an account
    // whose today is another date is counted again.
    let identity = match login {
        Some(login) => {
            let counted = match &account {
                Some(a) => {
                    let today = a.today(today_at);
                    if today == day {
                        counted_on_day
                    } else {
                        User::count_counted(conn, a.id, today)?
                    }
                }
                None => 0,
            };
            Some(Identity {
                login,
                account,
                counted,
            })
        }
        None => None,
    };
    match identity {
        Some(identity) if !identity.login.disabled => Ok(Read {
            loaded: Some(Loaded {
                row,
                identity: (!half).then_some(identity),
                ended: false,
                preloaded: None,
            }),
            write: touch,
        }),
        _ => Ok(Read {
            loaded: Some(Loaded {
                row,
                identity: None,
                ended: true,
                preloaded: None,
            }),
            write: Some(RowWrite::Delete),
        }),
    }
}

/// Make the write a read called for.
async fn write_row(
    state: &AppState,
    id: &str,
    write: RowWrite,
    timeouts: Timeouts,
) -> Result<(), AppError> {
    let id = id.to_string();
    state
        .db(move |conn| {
            match write {
                RowWrite::Delete => SessionRow::delete(conn, &id)?,
                RowWrite::Touch => {
                    let now = now_utc();
                    SessionRow::touch(conn, &id, now, now - timeouts.touch_interval())?
                }
            };
            Ok(())
        })
        .await
}

/// Outside actix-session's middleware: gives the store what it may know
/// of the request, and removes a cookie that names no session.
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let reader = req
        .app_data::<web::Data<SessionReader>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no session reader")))?;
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .cloned();
    let safe = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let preload = safe.then(|| Preloads::of(&req)).flatten();
    let name = cookie_name(state.settings.is_https());
    let had_cookie = req.cookie(name).is_some();
    let https = state.settings.is_https();
    let request = Rc::new(Request {
        state,
        reader,
        user_agent,
        preload,
        safe,
        began: Cell::new(None),
        live: Cell::new(false),
        read: Cell::new(false),
        must_save: Cell::new(false),
        found: RefCell::new(None),
    });
    let mut res = REQUEST
        .scope(request.clone(), next.call(req))
        .await?
        .map_into_boxed_body();
    let stale =
        had_cookie && !request.live.get() && !res.response().cookies().any(|c| c.name() == name);
    if stale {
        let mut gone = Cookie::build(name, "")
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(SameSite::Lax)
            .finish();
        gone.make_removal();
        let _ = res.response_mut().add_cookie(&gone);
    }
    Ok(res)
}

/// Inside actix-session's middleware: what the store's read found goes to
/// the request's extensions (the identity the role extractors take, the
/// preloaded orders, the row id).
pub async fn bridge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let found = REQUEST
        .try_with(|r| r.found.borrow_mut().take())
        .ok()
        .flatten();
    if let Some(found) = found {
        req.extensions_mut().insert(RowId(found.row.into()));
        if let Some(identity) = found.identity {
            req.extensions_mut().insert(Rc::new(identity));
        }
        if let Some(preloaded) = found.preloaded {
            req.extensions_mut().insert(preloaded);
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    // actix-session takes the state when the response passes it: the
    // error page drawn outside it learns the session's language here.
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        if let Some(lang) = Session::of(res.request()).lang() {
            res.request().extensions_mut().insert(SessionLang(lang));
        }
    }
    Ok(res)
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

/// Delete expired rows (run now and then by the server).
pub fn delete_expired(conn: &mut DbConnection, timeouts: Timeouts) -> diesel::QueryResult<usize> {
    let now = now_utc();
    SessionRow::delete_expired(
        conn,
        timeouts.idle_cutoff(now),
        timeouts.absolute_cutoff(now),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_our_shape_are_looked_up() {
        assert!(plausible_key(&crate::auth::random_token()));
        assert!(!plausible_key(""));
        assert!(!plausible_key(&"g".repeat(64)));
        assert!(!plausible_key(&"a".repeat(65)));
    }

    fn state_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_stored_state_holds_no_login() {
        let state = state_of(&[(K_CSRF, "\"t\""), (K_LANG, "\"sv\""), (K_LOGIN, "7")]);
        let json = serde_json::Value::Object(to_stored(&state)).to_string();
        assert_eq!(json, r#"{"csrf":"t","lang":"sv"}"#);
        let back = column_state(r#"{"csrf":"t","login":9}"#);
        assert_eq!(back.get(K_CSRF).map(String::as_str), Some("\"t\""));
        assert!(
            !back.contains_key(K_LOGIN),
            "a login is never read from the state"
        );
        assert_eq!(login_column(&state), Some(7));
    }

    #[test]
    fn only_a_login_or_a_half_sign_in_needs_a_row() {
        assert!(!needs_row(&state_of(&[
            (K_CSRF, "\"t\""),
            (K_FLASH, "\"x\"")
        ])));
        assert!(needs_row(&state_of(&[(K_LOGIN, "3")])));
        let half = serde_json::to_string(&Half {
            login_id: 4,
            since: 1,
        })
        .expect("json");
        let state = state_of(&[(K_HALF, half.as_str())]);
        assert!(needs_row(&state));
        assert_eq!(login_column(&state), Some(4));
    }

    #[test]
    fn a_pre_sign_in_key_carries_its_state_until_the_absolute_timeout() {
        let timeouts = Timeouts {
            idle: std::time::Duration::from_secs(30 * 60),
            absolute: std::time::Duration::from_secs(12 * 3600),
        };
        let now = Utc::now();
        let state = state_of(&[(K_CSRF, "\"abc\""), (K_LANG, "\"sv\"")]);
        let key = pre_key(&state, now.timestamp());
        let encoded = key.strip_prefix(PRE).expect("prefix");
        let (began, back) = read_pre_key(encoded, timeouts, now).expect("read");
        assert_eq!(began, now.timestamp());
        assert_eq!(back, state);
        let late = now + chrono::Duration::hours(13);
        assert!(read_pre_key(encoded, timeouts, late).is_none(), "expired");
        assert!(read_pre_key("not base64!", timeouts, now).is_none());
        // A key can never be taken for a row's: it is not 64 hex digits.
        assert!(!plausible_key(&key));
    }
}
