//! Our server-side session, small enough to read in one sitting.
//!
//! The cookie holds a random key of 256 bits; the `sessions` table holds
//! only its SHA-256, so a copy of the database signs no one in. The
//! middleware reads the row and, for a signed-in session, the login with its
//! account and today's count, through the session reader (which folds the
//! reads of requests that come at once into one statement), and leaves two things in
//! the request's extensions: the [`Session`] handle (CSRF token, language,
//! flash, who is signed in by id) and the [`Identity`] of the signed-in
//! login. Nothing about the login is serialised into the session state.
//!
//! Timeouts are the server's: a row idle longer than the idle timeout, or
//! older than the absolute one, is gone. The idle deadline is refreshed at
//! most once a minute. Logout, a password change and a disabled login delete
//! rows, so the session ends at once on every instance.

use std::cell::RefCell;
use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
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

/// What the `state` column keeps: small, and nothing about the login.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csrf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    flash: Option<String>,
    /// Half signed in: the password was right, the code is still asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    half: Option<Half>,
    /// A two-step secret offered at enrolment, until it is confirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enrol: Option<String>,
}

/// A sign-in waiting for its second step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Half {
    pub login_id: i64,
    /// When the password was right (Unix seconds).
    pub since: i64,
    /// Wrong codes so far.
    pub wrong: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    None,
    /// Save the state (a new row when there is none yet).
    Changed,
    /// A new key and row; the old row is deleted.
    Renewed,
    /// The row is deleted and the cookie removed.
    Purged,
}

#[derive(Debug)]
struct Inner {
    /// The hashed key of the row this request loaded.
    row_id: Option<String>,
    login_id: Option<i64>,
    /// This request's browser: what a new row records.
    user_agent: String,
    state: State,
    change: Change,
}

/// The session of this request. Cheap to clone; every clone is the same
/// session.
#[derive(Clone, Debug)]
pub struct Session(Rc<RefCell<Inner>>);

impl Session {
    fn new(inner: Inner) -> Session {
        Session(Rc::new(RefCell::new(inner)))
    }

    fn changed(&self) {
        let mut inner = self.0.borrow_mut();
        if inner.change == Change::None {
            inner.change = Change::Changed;
        }
    }

    /// The signed-in login's id, when this session is signed in.
    pub fn login_id(&self) -> Option<i64> {
        self.0.borrow().login_id
    }

    pub fn csrf(&self) -> Option<String> {
        self.0.borrow().state.csrf.clone()
    }

    /// The session's CSRF token, starting a pre-sign-in session if needed.
    pub fn ensure_csrf(&self) -> String {
        if let Some(token) = self.csrf() {
            return token;
        }
        let token = super::random_token();
        self.0.borrow_mut().state.csrf = Some(token.clone());
        self.changed();
        token
    }

    /// Sign in: a new session id, a new CSRF token, the login recorded
    /// (the row takes this request's browser).
    pub fn sign_in(&self, login_id: i64, lang: Option<Lang>) {
        let mut inner = self.0.borrow_mut();
        inner.login_id = Some(login_id);
        inner.state = State {
            csrf: Some(super::random_token()),
            lang: lang.map(|l| l.code().to_string()),
            flash: None,
            half: None,
            enrol: None,
        };
        inner.change = Change::Renewed;
    }

    /// The password was right and a code is asked: a new session id, not
    /// signed in yet, for at most five minutes.
    pub fn begin_two_step(&self, login_id: i64, lang: Option<Lang>, now: i64) {
        let mut inner = self.0.borrow_mut();
        inner.login_id = None;
        inner.state = State {
            csrf: Some(super::random_token()),
            lang: lang.map(|l| l.code().to_string()),
            flash: None,
            half: Some(Half {
                login_id,
                since: now,
                wrong: 0,
            }),
            enrol: None,
        };
        inner.change = Change::Renewed;
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
        self.0.borrow().state.half
    }

    /// Count a wrong code; returns how many there have been.
    pub fn half_wrong(&self) -> u8 {
        let wrong = {
            let mut inner = self.0.borrow_mut();
            let Some(half) = inner.state.half.as_mut() else {
                return 0;
            };
            half.wrong = half.wrong.saturating_add(1);
            half.wrong
        };
        self.changed();
        wrong
    }

    /// Forget a half sign-in that has run out.
    pub fn clear_half(&self) {
        self.0.borrow_mut().state.half = None;
        self.changed();
    }

    /// The secret offered at enrolment, if one is.
    pub fn enrol_secret(&self) -> Option<String> {
        self.0.borrow().state.enrol.clone()
    }

    pub fn set_enrol_secret(&self, secret: Option<String>) {
        self.0.borrow_mut().state.enrol = secret;
        self.changed();
    }

    /// End the session: its row is deleted, its cookie removed.
    pub fn sign_out(&self) {
        let mut inner = self.0.borrow_mut();
        inner.login_id = None;
        inner.state = State::default();
        inner.change = Change::Purged;
    }

    pub fn lang(&self) -> Option<Lang> {
        self.0.borrow().state.lang.as_deref().and_then(Lang::parse)
    }

    pub fn set_lang(&self, lang: Lang) {
        if self.lang() != Some(lang) {
            self.0.borrow_mut().state.lang = Some(lang.code().to_string());
            self.changed();
        }
    }

    /// The id of this session's row, when it has one.
    pub fn row_id(&self) -> Option<String> {
        self.0.borrow().row_id.clone()
    }

    /// A one-time message for the next page.
    pub fn set_flash(&self, key: &str) {
        self.0.borrow_mut().state.flash = Some(key.to_string());
        self.changed();
    }

    pub fn take_flash(&self) -> Option<String> {
        let flash = self.0.borrow_mut().state.flash.take();
        if flash.is_some() {
            self.changed();
        }
        flash
    }

    /// The session of a request; an empty one outside the middleware.
    pub fn of(req: &HttpRequest) -> Session {
        req.extensions()
            .get::<Session>()
            .cloned()
            .unwrap_or_else(|| Session::new(empty(String::new())))
    }
}

impl FromRequest for Session {
    type Error = AppError;
    type Future = Ready<Result<Session, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Session::of(req)))
    }
}

fn empty(user_agent: String) -> Inner {
    Inner {
        row_id: None,
        login_id: None,
        user_agent,
        state: State::default(),
        change: Change::None,
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

fn cookie_name(state: &AppState) -> String {
    if state.settings.is_https() {
        format!("__Host-{COOKIE_NAME}")
    } else {
        COOKIE_NAME.to_string()
    }
}

fn cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(cookie_name(state), value)
        .path("/")
        .http_only(true)
        .secure(state.settings.is_https())
        .same_site(SameSite::Lax)
        .finish()
}

/// What one read found.
pub(super) struct Loaded {
    row: SessionHead,
    /// The row's state, as read.
    state: State,
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
    let state: State = serde_json::from_str(&row.state).unwrap_or_default();
    if row.login_id.is_none() {
        return Ok(Read {
            loaded: Some(Loaded {
                row,
                state,
                identity: None,
                ended: false,
                preloaded: None,
            }),
            write: touch,
        });
    }
    // A half-signed-in session names its login in the column too, so that
    // what ends the login's sessions ends it; it is not signed in.
    let half = state.half.is_some();
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
                state,
                identity: (!half).then_some(identity),
                ended: false,
                preloaded: None,
            }),
            write: touch,
        }),
        _ => Ok(Read {
            loaded: Some(Loaded {
                row,
                state,
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

/// The middleware: load before the handler, save after it.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    let key = req
        .cookie(&cookie_name(&state))
        .map(|c| c.value().to_string())
        .filter(|k| plausible_key(k));
    let had_cookie = key.is_some();
    let safe_method = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let preload = safe_method.then(|| Preloads::of(&req)).flatten();
    let loaded = match key {
        Some(key) => {
            let id = row_id(&key);
            let reader = req
                .app_data::<web::Data<SessionReader>>()
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no session reader")))?;
            let waiting = crate::state::Waiting::new(&state.db_waiting);
            let read = reader
                .read(id.clone(), state.clock.now(), preload, waiting)
                .await?;
            // The answer stands without the write: a deadline not pushed is
            // pushed by the next request, a row not deleted is found ended
            // again (or swept) by the next.
            if let Some(write) = read.write {
                if let Err(e) = write_row(&state, &id, write, state.timeouts).await {
                    tracing::warn!(error = %e, ?write, "a session row could not be written");
                }
            }
            read.loaded.map(|loaded| (id, loaded))
        }
        None => None,
    };
    let (inner, identity, preloaded) = match loaded {
        Some((
            id,
            Loaded {
                state: saved,
                identity,
                ended: false,
                preloaded,
                ..
            },
        )) => {
            let inner = Inner {
                row_id: Some(id),
                login_id: identity.as_ref().map(|i| i.login.id),
                user_agent: user_agent.clone(),
                state: saved,
                change: Change::None,
            };
            (inner, identity, preloaded)
        }
        Some((_, Loaded { row, .. })) => {
            tracing::warn!(
                login_id = ?row.login_id,
                peer = %super::peer_of(req.peer_addr()),
                route = %crate::auth::route_of(req.request()),
                "refused: login gone or disabled; session ended"
            );
            // Its row is already deleted: the request goes on as one
            // without a session (a token it is given starts a new one).
            (empty(user_agent.clone()), None, None)
        }
        None => (empty(user_agent.clone()), None, None),
    };
    let loaded_row = inner.row_id.clone();
    let session = Session::new(inner);
    req.extensions_mut().insert(session.clone());
    if let Some(identity) = identity {
        req.extensions_mut().insert(Rc::new(identity));
    }
    if let Some(preloaded) = preloaded {
        req.extensions_mut().insert(preloaded);
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    let (change, row, login_id, ua, json) = {
        let inner = session.0.borrow();
        let json = serde_json::to_string(&inner.state).unwrap_or_else(|_| "{}".into());
        let ua = inner.user_agent.clone();
        let column = inner
            .login_id
            .or_else(|| inner.state.half.map(|h| h.login_id));
        (inner.change, inner.row_id.clone(), column, ua, json)
    };
    // After a POST the handler's change may be committed (an order placed):
    // a failure to save the session is logged and that answer stands. A page
    // whose session cannot be saved (its form's token would not be kept) is
    // a 503. Without a new key, a cookie the server no longer knows is
    // removed.
    let new_key = match save(&state, change, row, login_id, ua, json).await {
        Ok(key) => key,
        Err(e) if safe_method => return Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "the session could not be saved");
            None
        }
    };
    let stale =
        had_cookie && (change == Change::Purged || (loaded_row.is_none() && new_key.is_none()));
    match new_key {
        Some(key) => {
            let _ = res.response_mut().add_cookie(&cookie(&state, key));
        }
        None if stale => {
            let mut gone = cookie(&state, String::new());
            gone.make_removal();
            let _ = res.response_mut().add_cookie(&gone);
        }
        None => {}
    }
    Ok(res)
}

/// Write what the request changed; returns a new key when the cookie must
/// change.
async fn save(
    state: &AppState,
    change: Change,
    row: Option<String>,
    login_id: Option<i64>,
    user_agent: String,
    json: String,
) -> Result<Option<String>, AppError> {
    match (change, row) {
        (Change::None, _) => Ok(None),
        (Change::Purged, None) => Ok(None),
        (Change::Purged, Some(id)) => {
            state
                .db(move |conn| {
                    SessionRow::delete(conn, &id)?;
                    Ok(None)
                })
                .await
        }
        // A row deleted meanwhile (logout elsewhere, a password change, a
        // disabled login) stays deleted: the next request starts afresh.
        (Change::Changed, Some(id)) => {
            state
                .db(move |conn| {
                    SessionRow::update_state(conn, &id, login_id, &json, now_utc())?;
                    Ok(None)
                })
                .await
        }
        (Change::Changed | Change::Renewed, old) => {
            let key = super::random_token();
            let id = row_id(&key);
            state
                .db(move |conn| {
                    crate::db::write_transaction(conn, |conn| {
                        if let Some(old) = &old {
                            SessionRow::delete(conn, old)?;
                        }
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
                        )
                    })?;
                    Ok(())
                })
                .await?;
            Ok(Some(key))
        }
    }
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

    #[test]
    fn the_stored_state_holds_no_login() {
        let json = serde_json::to_string(&State {
            csrf: Some("t".into()),
            lang: Some("sv".into()),
            ..State::default()
        })
        .expect("json");
        assert_eq!(json, r#"{"csrf":"t","lang":"sv"}"#);
        let back: State = serde_json::from_str(r#"{"csrf":"t","_who":"x"}"#).expect("parse");
        assert_eq!(back.csrf.as_deref(), Some("t"));
    }
}
