//! The database-backed session store behind actix-session. Rows live in the
//! same database as everything else, so logout, a password change and a
//! disabled login end a session at once on every instance.
//!
//! Timeouts are the server's: a row idle longer than the idle timeout, or
//! older than the absolute one, is gone. The idle deadline is refreshed at
//! most once a minute, not on every request.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::db::Pool;
use crate::models::now_utc;
use crate::models::session::{NewSessionRow, SessionRow};

use super::{ROW_ID, STATE_LOGIN_ID, STATE_USER_AGENT, WHO};
use crate::models::{Login, User};
use crate::state::Clock;

/// Session timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Timeouts {
    /// How often the idle deadline is pushed forward: once a minute, or more
    /// often when the idle timeout itself is short (tests).
    fn touch_interval(&self) -> chrono::Duration {
        let quarter = self.idle / 4;
        chrono::Duration::from_std(quarter.min(Duration::from_secs(60)))
            .unwrap_or(chrono::Duration::seconds(60))
    }

    /// Rows last seen at or before this are idle-expired.
    pub fn idle_cutoff(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - chrono::Duration::from_std(self.idle).unwrap_or(chrono::Duration::minutes(30))
    }

    /// Rows created at or before this are past the absolute timeout.
    pub fn absolute_cutoff(&self, now: NaiveDateTime) -> NaiveDateTime {
        now - chrono::Duration::from_std(self.absolute).unwrap_or(chrono::Duration::hours(12))
    }
}

/// The store.
#[derive(Clone)]
pub struct DbSessionStore {
    pool: Pool,
    timeouts: Timeouts,
    clock: Clock,
}

impl DbSessionStore {
    pub fn new(pool: Pool, timeouts: Timeouts, clock: Clock) -> DbSessionStore {
        DbSessionStore {
            pool,
            timeouts,
            clock,
        }
    }
}

/// Who a session belongs to, as the store read it with the session: the
/// login (without its password hash), its account and the users counted
/// today on that account.
pub type Who = (Login, Option<crate::models::Account>, i64);

/// Read who a login is: the login, its account and the users counted on the
/// account's "today" at `now`. `None` when the login is gone.
pub fn load_who(
    conn: &mut crate::db::DbConnection,
    login_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> diesel::QueryResult<Option<Who>> {
    let Some((login, account)) = Login::find_with_account(conn, login_id)? else {
        return Ok(None);
    };
    let counted = match &account {
        Some(a) => User::count_counted(conn, a.id, a.today(now))?,
        None => 0,
    };
    Ok(Some((login, account, counted)))
}

/// The row id for a cookie's key: its SHA-256, so the table alone signs no
/// one in.
pub fn row_id(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The columns copied out of the state, and the state without `_row`.
fn split_state(mut state: HashMap<String, String>) -> (Option<i64>, String, String) {
    state.remove(ROW_ID);
    state.remove(WHO);
    let login_id = state
        .get(STATE_LOGIN_ID)
        .and_then(|v| serde_json::from_str::<i64>(v).ok());
    let user_agent = state
        .get(STATE_USER_AGENT)
        .and_then(|v| serde_json::from_str::<String>(v).ok())
        .unwrap_or_default();
    let json = serde_json::to_string(&state).unwrap_or_else(|_| "{}".into());
    (login_id, user_agent, json)
}

async fn blocking<T, F>(pool: &Pool, f: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut crate::db::DbConnection) -> anyhow::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| anyhow::anyhow!("session store: {e}"))?
}

impl SessionStore for DbSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let id = row_id(session_key.as_ref());
        let timeouts = self.timeouts;
        let now_for_today = self.clock.now();
        let found = blocking(&self.pool, move |conn| {
            let now = now_utc();
            let Some(row) = SessionRow::find(conn, &id)? else {
                return Ok(None);
            };
            if row.last_seen_at <= timeouts.idle_cutoff(now)
                || row.created_at <= timeouts.absolute_cutoff(now)
            {
                SessionRow::delete(conn, &id)?;
                return Ok(None);
            }
            if now - row.last_seen_at >= timeouts.touch_interval() {
                SessionRow::touch(conn, &id, now)?;
            }
            // The signed-in login comes with the session: one database call
            // per request for both.
            let who = match row.login_id {
                Some(login_id) => load_who(conn, login_id, now_for_today)?,
                None => None,
            };
            Ok(Some((row, who)))
        })
        .await
        .map_err(LoadError::Other)?;
        let Some((row, who)) = found else {
            return Ok(None);
        };
        let mut state: HashMap<String, String> =
            serde_json::from_str(&row.state).map_err(|e| LoadError::Deserialization(e.into()))?;
        // Only what this load read may stand under these keys.
        state.remove(WHO);
        state.insert(
            ROW_ID.into(),
            serde_json::to_string(&row.id).unwrap_or_default(),
        );
        if let Some(who) = who {
            if let Ok(json) = serde_json::to_string(&who) {
                state.insert(WHO.into(), json);
            }
        }
        Ok(Some(state))
    }

    async fn save(
        &self,
        session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = super::random_token();
        let id = row_id(&key);
        let (login_id, user_agent, json) = split_state(session_state);
        blocking(&self.pool, move |conn| {
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
        .await
        .map_err(SaveError::Other)?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: HashMap<String, String>,
        _ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let id = row_id(session_key.as_ref());
        let (login_id, user_agent, json) = split_state(session_state);
        // A row deleted meanwhile (logout elsewhere, disabled login) stays
        // deleted: the next request starts afresh.
        blocking(&self.pool, move |conn| {
            SessionRow::update_state(conn, &id, login_id, &json, &user_agent, now_utc())?;
            Ok(())
        })
        .await
        .map_err(UpdateError::Other)?;
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        _session_key: &SessionKey,
        _ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        // The idle deadline is refreshed by `load`, at most once a minute.
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let id = row_id(session_key.as_ref());
        blocking(&self.pool, move |conn| {
            SessionRow::delete(conn, &id)?;
            Ok(())
        })
        .await
    }
}

/// Delete expired rows (run now and then by the server).
pub fn delete_expired(
    conn: &mut crate::db::DbConnection,
    timeouts: Timeouts,
) -> diesel::QueryResult<usize> {
    let now = now_utc();
    SessionRow::delete_expired(
        conn,
        timeouts.idle_cutoff(now),
        timeouts.absolute_cutoff(now),
    )
}
