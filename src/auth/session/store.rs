//! The store behind actix-session's `SessionStore` trait: rows for
//! signed-in sessions, the key itself for pre-sign-in ones, and the
//! task-local through which the store knows its request.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::web;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::session_reader::SessionReader;
use crate::config::Timeouts;
use crate::models::now_utc;
use crate::models::session::{NewSessionRow, SessionRow};
use crate::state::AppState;

#[allow(unused_imports)]
use super::*;

/// A stored state (a row's column, or a pre-sign-in key's) straight into
/// actix-session's map, each value's JSON text as it is stored (what every
/// signed-in request reads: no tree is built). An unreadable one is an
/// empty state.
pub(in crate::auth) fn column_state(json: &str) -> HashMap<String, String> {
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
pub(in crate::auth) fn to_stored(
    state: &HashMap<String, String>,
) -> serde_json::Map<String, serde_json::Value> {
    state
        .iter()
        .filter(|(k, _)| *k != K_LOGIN)
        .filter_map(|(k, v)| Some((k.clone(), serde_json::from_str(v).ok()?)))
        .collect()
}

/// What a row's `login_id` column holds for a state: the signed-in login,
/// or the one a half sign-in is for (so that ending the login's sessions
/// ends it too).
pub(in crate::auth) fn login_column(state: &HashMap<String, String>) -> Option<i64> {
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
pub(in crate::auth) fn needs_row(state: &HashMap<String, String>) -> bool {
    state.contains_key(K_LOGIN) || state.contains_key(K_HALF)
}

/// The prefix of a session key that carries a pre-sign-in state.
pub(in crate::auth) const PRE: &str = "p.";

/// A pre-sign-in state with the time it began; the state is the same
/// object a row's column holds.
#[derive(Serialize, Deserialize)]
pub(in crate::auth) struct PreSignIn {
    /// When it began (Unix seconds).
    t: i64,
    s: Box<serde_json::value::RawValue>,
}

pub(in crate::auth) fn pre_key(state: &HashMap<String, String>, began: i64) -> String {
    let json = serde_json::value::to_raw_value(&to_stored(state))
        .and_then(|s| serde_json::to_vec(&PreSignIn { t: began, s }))
        .unwrap_or_default();
    format!(
        "{PRE}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

/// The only keys a pre-sign-in state may carry: a key is a client's to
/// keep, so whatever else one holds (a login, a half sign-in, an
/// enrolment secret) is dropped, even under a valid signature.
pub(in crate::auth) const PRE_KEYS: [&str; 3] = [K_CSRF, K_LANG, K_FLASH];

/// The state a pre-sign-in key carries, while it is younger than the
/// absolute timeout.
pub(in crate::auth) fn read_pre_key(
    encoded: &str,
    timeouts: Timeouts,
    now: DateTime<Utc>,
) -> Option<(i64, HashMap<String, String>)> {
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded)
        .ok()?;
    let pre: PreSignIn = serde_json::from_slice(&json).ok()?;
    let began = DateTime::<Utc>::from_timestamp(pre.t, 0)?.naive_utc();
    let mut state = column_state(pre.s.get());
    state.retain(|k, _| PRE_KEYS.contains(&k.as_str()));
    (began > timeouts.absolute_cutoff(now.naive_utc())).then_some((pre.t, state))
}

/// What the store may know of the request (actix-session hands it only
/// the key): set by [`scope`], read by the store, emptied by [`bridge`].
pub(in crate::auth) struct Request {
    pub(in crate::auth) state: web::Data<AppState>,
    pub(in crate::auth) reader: web::Data<SessionReader>,
    /// The browser, for a new row (cut to 200 characters then).
    pub(in crate::auth) user_agent: Option<actix_web::http::header::HeaderValue>,
    pub(in crate::auth) preload: Option<Preload>,
    /// A GET or HEAD: a session that cannot be saved is a 503. After
    /// another method the handler's change may be committed, so a state
    /// that could not be saved is logged and the answer stands (a sign-out
    /// or a sign-in is never of this kind: they purge or renew).
    pub(in crate::auth) safe: bool,
    /// When a pre-sign-in key began, for the key that replaces it.
    pub(in crate::auth) began: Cell<Option<i64>>,
    /// A cookie's session was found (else a cookie sent is stale).
    pub(in crate::auth) live: Cell<bool>,
    /// The store's read was asked (a cookie whose signature failed is not
    /// read: it may be another instance's, and is left alone).
    pub(in crate::auth) read: Cell<bool>,
    /// This request changed something that must be saved (see `safe`).
    pub(in crate::auth) must_save: Cell<bool>,
    pub(in crate::auth) found: RefCell<Option<Found>>,
}

/// What a read found, for the request's extensions.
pub(in crate::auth) struct Found {
    pub(in crate::auth) row: String,
    pub(in crate::auth) identity: Option<Identity>,
    pub(in crate::auth) preloaded: Option<Preloaded>,
}

tokio::task_local! {
    pub(in crate::auth) static REQUEST: Rc<Request>;
}

pub(in crate::auth) fn request() -> Result<Rc<Request>, anyhow::Error> {
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
        let key = crate::auth::random_token();
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

pub(in crate::auth) fn session_key(key: String) -> Result<SessionKey, anyhow::Error> {
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
