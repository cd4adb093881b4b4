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

    /// A clock that says what its hand is set to, and the hand: for tests
    /// and benchmarks in which days pass.
    pub fn movable(at: DateTime<Utc>) -> (Clock, Arc<std::sync::Mutex<DateTime<Utc>>>) {
        let hand = Arc::new(std::sync::Mutex::new(at));
        let read = hand.clone();
        let clock = Clock(Arc::new(move || {
            *read
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }));
        (clock, hand)
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
    /// The per-address brake on bad API tokens (its own count).
    pub api_throttle: Throttle,
    /// The API's per-token rate limit.
    pub token_limit: crate::throttle::TokenLimit,
    /// Requests waiting for a database connection (or a session reader)
    /// now.
    pub db_waiting: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// One permit per pooled connection: see `db`.
    pub db_gate: DbGate,
}

/// One request waiting for a connection (or for a session reader to take
/// its ask), for `db_waiting`.
pub struct Waiting(Arc<std::sync::atomic::AtomicUsize>);

impl Waiting {
    pub fn new(count: &Arc<std::sync::atomic::AtomicUsize>) -> Waiting {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Waiting(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The queue in front of the pool. A request waits here, in the order it
/// came and without a thread, until a connection is free; only then does it
/// take a blocking thread. Without it every waiting request held a thread
/// parked on the pool, and the pool woke them in no order: on two cores the
/// slowest of `/account` took 65 ms where the median took 2.
#[derive(Clone)]
pub struct DbGate {
    permits: Arc<tokio::sync::Semaphore>,
    wait: std::time::Duration,
}

impl DbGate {
    /// As many permits as the pool has connections; a request waits at most
    /// `wait` (the pool's own timeout) before it is answered 503.
    pub fn new(connections: u32, wait: std::time::Duration) -> DbGate {
        DbGate {
            permits: Arc::new(tokio::sync::Semaphore::new(connections.max(1) as usize)),
            wait,
        }
    }

    /// Wait in line for a connection's permit; `Unavailable` after `wait`.
    pub async fn enter(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        match tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Unavailable(
                "no database connection came free in time".into(),
            )),
        }
    }
}

impl AppState {
    /// Run blocking database work off the async threads.
    pub async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut PooledConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        // Counted from here until the pool hands a connection over, also
        // when the request is dropped while it waits in line.
        let waiting = Waiting::new(&self.db_waiting);
        let permit = self.db_gate.enter().await?;
        actix_web::web::block(move || {
            let conn = pool.get();
            drop(waiting);
            let result = f(&mut conn?);
            drop(permit);
            result
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_gate_lets_requests_in_the_order_they_came_and_refuses_after_its_wait() {
        let gate = DbGate::new(1, Duration::from_millis(300));
        let first = gate.enter().await.expect("a free permit");
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..3 {
            let (gate, order) = (gate.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let permit = gate.enter().await.expect("its turn");
                order.lock().expect("lock").push(i);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drop(permit);
            }));
            // Each one is in line before the next comes.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        drop(first);
        for w in waiting {
            w.await.expect("task");
        }
        assert_eq!(*order.lock().expect("lock"), vec![0, 1, 2]);

        let held = gate.enter().await.expect("free again");
        let started = std::time::Instant::now();
        let refused = gate.enter().await;
        assert!(matches!(refused, Err(AppError::Unavailable(_))));
        assert!(started.elapsed() >= Duration::from_millis(290));
        drop(held);
        assert!(gate.enter().await.is_ok());
    }
}
