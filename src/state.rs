//! What every handler shares: the pool, the settings, the clock, the key
//! that signs form tokens and the bounded password hasher.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::config::{Settings, Timeouts};
use crate::db::{Pool, PooledConn};
use crate::error::AppError;
use crate::mail::worker::Wake;
use crate::mail::MailContext;
use crate::ops::OpError;
use crate::password::Hasher;
use crate::throttle::Throttle;

/// The current time, injectable so tests can pin "today".
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that always says `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock(Arc::new(move || at))
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub clock: Clock,
    /// HMAC key for order form tokens.
    pub form_key: Vec<u8>,
    pub timeouts: Timeouts,
    /// Every password hash of the server runs through this bound.
    pub hasher: Hasher,
    /// Where links in mails point.
    pub base_url: String,
    /// Wakes the mail worker after a change wrote mail.
    pub mail_wake: Wake,
    /// The per-address brake on sign-in guessing.
    pub throttle: Throttle,
    /// The API's per-token rate limit.
    pub token_limit: crate::throttle::TokenLimit,
    /// Requests waiting for a database connection now.
    pub db_waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl AppState {
    /// Run blocking database work off the async threads.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PooledConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let waiting = self.db_waiting.clone();
        actix_web::web::block(move || {
            use std::sync::atomic::Ordering;
            waiting.fetch_add(1, Ordering::Relaxed);
            let conn = pool.get();
            waiting.fetch_sub(1, Ordering::Relaxed);
            f(&mut conn?)
        })
        .await?
    }

    /// Run an operation of `ops`: a refusal comes back for the handler to
    /// show (a form re-rendered with 422, say); a database failure is an
    /// `AppError` at once. The mail worker is woken after it, for the mail
    /// the operation may have written.
    pub async fn op<T, F>(&self, f: F) -> Result<Result<T, OpError>, AppError>
    where
        F: FnOnce(&mut PooledConn, &MailContext) -> Result<T, OpError> + Send + 'static,
        T: Send + 'static,
    {
        let ctx = self.mail_ctx();
        let outcome = self
            .db(move |conn| match f(conn, &ctx) {
                Err(OpError::Db(e)) => Err(e.into()),
                Err(OpError::Mail(e)) => Err(AppError::Internal(e.into())),
                other => Ok(other),
            })
            .await;
        self.mail_wake.wake();
        outcome
    }

    /// Requests waiting for a database connection now.
    pub fn db_waiting(&self) -> usize {
        self.db_waiting.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What the changes that write mail need: links, the order desk, now.
    pub fn mail_ctx(&self) -> MailContext {
        MailContext {
            base_url: self.base_url.clone(),
            order_desk: self.settings.mail.order_desk.clone(),
            now: self.clock.now(),
        }
    }
}
