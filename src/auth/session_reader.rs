//! The session reads of requests that come at once, folded into shared
//! statements.
//!
//! Every request reads its session row, login and account from the database
//! (SPEC 3: ending a session takes effect at once on every instance). A
//! request hands its row id to one of two reader threads and waits, without
//! a thread, for the answer. A free reader takes the next ask; when four or
//! more are waiting it takes them all (up to 64) and reads them in one
//! statement, and the overview's orders in one more per account, so that
//! under load one statement serves many requests: on PostgreSQL a
//! statement's fixed cost (a round trip, its context switches, the
//! executor's start) is most of what a session read costs. A lone ask gets
//! one statement, with the overview's orders in it. Nothing is kept between
//! statements: each request is answered from a statement that began after
//! it asked.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::session::outlook_of;
use super::session::{settle, Overview, Preload, Preloaded, Read};
use crate::config::Timeouts;
use crate::db::{DbConnection, Pool};
use crate::error::AppError;
use crate::models::session::SessionRow;

/// Reader threads, each with at most one pooled connection at a time
/// (`db::SESSION_READERS` more connections in the pool).
pub const READERS: usize = crate::db::SESSION_READERS as usize;

/// The most ids one statement reads.
const MOST_AT_ONCE: usize = 64;

/// Asks waiting below this are taken one at a time, each by the next free
/// reader: both readers stay busy, and a lone ask costs one statement with
/// its orders. From this many on, one statement serves them all.
const SHARED_FROM: usize = 4;

/// The most asks waiting at once; one more is answered 503.
const MOST_WAITING: usize = 4096;

type Answer = Result<Read, AppError>;

/// One request's question.
struct Ask {
    /// The row id (the SHA-256 of the cookie's key).
    id: String,
    /// The request's clock (the server's, or a test's), for its account's
    /// today; the timeouts are the system clock's, as for every row write.
    now: DateTime<Utc>,
    preload: Option<Preload>,
    reply: tokio::sync::oneshot::Sender<Answer>,
    /// Counts the request in `db_waiting` until a reader takes the ask.
    waiting: Option<crate::state::Waiting>,
}

/// The asks waiting, and whether the readers are to stop.
#[derive(Default)]
struct Queue {
    asks: VecDeque<Ask>,
    closed: bool,
}

/// What the requests and the readers share: one waiting reader is woken
/// per ask (an idle machine wakes one thread, not every reader).
#[derive(Default)]
struct Line {
    queue: Mutex<Queue>,
    ready: Condvar,
}

/// The requests' side: hands ids to the readers. Dropping it stops them.
pub struct SessionReader {
    line: Arc<Line>,
    /// How long a request waits for its answer before it is a 503 (the
    /// pool's own wait).
    wait: Duration,
}

impl Drop for SessionReader {
    fn drop(&mut self) {
        self.line
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .closed = true;
        self.line.ready.notify_all();
    }
}

impl SessionReader {
    /// Start the reader threads on `pool`.
    pub fn start(pool: Pool, timeouts: Timeouts, wait: Duration) -> std::io::Result<SessionReader> {
        let reader = SessionReader {
            line: Arc::default(),
            wait,
        };
        for n in 0..READERS {
            let line = reader.line.clone();
            let pool = pool.clone();
            std::thread::Builder::new()
                .name(format!("session-reader-{n}"))
                .spawn(move || run(&line, &pool, timeouts))?;
        }
        Ok(reader)
    }

    /// Read one request's session.
    pub(super) async fn read(
        &self,
        id: String,
        now: DateTime<Utc>,
        preload: Option<Preload>,
        waiting: crate::state::Waiting,
    ) -> Result<Read, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        {
            let mut queue = self
                .line
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if queue.asks.len() >= MOST_WAITING {
                return Err(AppError::Unavailable(
                    "too many session reads waiting".into(),
                ));
            }
            queue.asks.push_back(Ask {
                id,
                now,
                preload,
                reply,
                waiting: Some(waiting),
            });
        }
        self.line.ready.notify_one();
        match tokio::time::timeout(self.wait, answer).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(AppError::Unavailable("a session reader failed".into())),
            Err(_) => Err(AppError::Unavailable(
                "no session reader answered in time".into(),
            )),
        }
    }
}

/// The next asks: one, or when `SHARED_FROM` or more wait, every one up to
/// `MOST_AT_ONCE`; `None` once the readers are to stop. A poisoned lock is
/// taken all the same: no section under it leaves the queue half-changed.
fn next_batch(line: &Line) -> Option<Vec<Ask>> {
    let mut queue = line.queue.lock().unwrap_or_else(PoisonError::into_inner);
    loop {
        if queue.closed {
            return None;
        }
        if !queue.asks.is_empty() {
            let n = match queue.asks.len() {
                few if few < SHARED_FROM => 1,
                many => many.min(MOST_AT_ONCE),
            };
            let mut batch: Vec<Ask> = queue.asks.drain(..n).collect();
            for ask in &mut batch {
                ask.waiting = None;
            }
            return Some(batch);
        }
        queue = line
            .ready
            .wait(queue)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// A reader: take the asks waiting, answer them, again.
fn run(line: &Line, pool: &Pool, timeouts: Timeouts) {
    while let Some(batch) = next_batch(line) {
        // A request that went away (its client hung up, its wait ran out)
        // needs no answer.
        let batch: Vec<Ask> = batch.into_iter().filter(|a| !a.reply.is_closed()).collect();
        if batch.is_empty() {
            continue;
        }
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let mut conn = pool.get().map_err(AppError::from)?;
            read_all(&mut conn, &batch, timeouts).map_err(AppError::from)
        }));
        match outcome {
            Ok(Ok(answers)) => {
                for (ask, answer) in batch.into_iter().zip(answers) {
                    let _ = ask.reply.send(answer);
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, asks = batch.len(), "sessions could not be read");
                for ask in batch {
                    let _ = ask.reply.send(Err(same_kind(&e)));
                }
            }
            // Dropping the replies answers each request with a 503; the
            // thread goes on with the next batch.
            Err(_) => tracing::error!("a session reader panicked"),
        }
    }
}

/// The same failure for another request: unavailable stays unavailable.
fn same_kind(e: &AppError) -> AppError {
    match e {
        AppError::Unavailable(why) => AppError::Unavailable(why.clone()),
        other => AppError::Internal(anyhow::anyhow!("the session read failed: {other}")),
    }
}

/// Answer a batch, in its order: the rows in one statement (its failure
/// fails them all), then what each row means (a count on another day), then
/// the overview's orders once per account asking (a failure there fails
/// only the asks it answers).
fn read_all(
    conn: &mut DbConnection,
    batch: &[Ask],
    timeouts: Timeouts,
) -> diesel::QueryResult<Vec<Answer>> {
    let day = batch[0].now.date_naive();
    if let [ask] = batch {
        return Ok(vec![read_one(conn, ask, timeouts, day)?]);
    }
    let ids: Vec<String> = batch.iter().map(|a| a.id.clone()).collect();
    let found = SessionRow::find_signed_in(conn, &ids, day)?;
    // An id asked twice at once (two requests of one session) has one row:
    // each ask gets its own copy.
    let mut answers: Vec<Answer> = batch
        .iter()
        .map(|ask| {
            let row = found.get(&ask.id).cloned();
            settle(conn, row, timeouts, ask.now, day).map_err(AppError::from)
        })
        .collect();
    let mut orders: HashMap<i64, Result<Overview, AppError>> = HashMap::new();
    for (ask, answer) in batch.iter().zip(answers.iter_mut()) {
        if ask.preload != Some(Preload::Orders) {
            continue;
        }
        let Ok(Read {
            loaded: Some(loaded),
            ..
        }) = answer
        else {
            continue;
        };
        let Some((account, counted)) = loaded.customer() else {
            continue;
        };
        let today = account.today(ask.now);
        let read = orders.entry(account.id).or_insert_with(|| {
            Overview::read(conn, &account, counted, today).map_err(AppError::from)
        });
        match read {
            Ok(read) => {
                loaded.preloaded = Some(Preloaded::Orders {
                    account_id: account.id,
                    orders: read.orders.clone(),
                    outlook: read.outlook.clone(),
                })
            }
            Err(e) => *answer = Err(same_kind(e)),
        }
    }
    Ok(answers)
}

/// A batch of one: the row, and the overview's orders when asked, in one
/// statement.
fn read_one(
    conn: &mut DbConnection,
    ask: &Ask,
    timeouts: Timeouts,
    day: chrono::NaiveDate,
) -> diesel::QueryResult<Answer> {
    let with_orders = ask.preload == Some(Preload::Orders);
    let (found, orders) = match SessionRow::find_one_signed_in(conn, &ask.id, day, with_orders)? {
        Some((found, orders)) => (Some(found), orders),
        None => (None, Vec::new()),
    };
    let mut read = match settle(conn, found, timeouts, ask.now, day) {
        Ok(read) => read,
        Err(e) => return Ok(Err(e.into())),
    };
    // The statement joined the orders through the login's own account:
    // they go only to a signed-in customer of it.
    if let Some(loaded) = read.loaded.as_mut().filter(|_| with_orders) {
        if let Some((account, counted)) = loaded.customer() {
            let outlook = match outlook_of(conn, &account, counted, account.today(ask.now)) {
                Ok(outlook) => outlook,
                Err(e) => return Ok(Err(e.into())),
            };
            loaded.preloaded = Some(Preloaded::Orders {
                account_id: account.id,
                orders,
                outlook,
            });
        }
    }
    Ok(Ok(read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::session::RowWrite;
    use crate::db::DatabaseUrl;
    use crate::models::session::NewSessionRow;
    use crate::models::{now_utc, Login};
    use crate::ops::{self, AccountInput, LoginInput};

    const PASSWORD: &str = "a long and unusual sentence";

    fn login(conn: &mut DbConnection, email: &str, role: &str, account: Option<i64>) -> Login {
        let input = LoginInput::parse(email, "", role, account, Some(PASSWORD)).expect("input");
        let login = ops::create_login(conn, None, &input, "not a hash").expect("login");
        let now = now_utc();
        let row = NewSessionRow {
            id: email,
            login_id: Some(login.id),
            state: "{}",
            user_agent: "",
            created_at: now,
            last_seen_at: now,
        };
        SessionRow::insert(conn, &row).expect("session");
        login
    }

    fn ask(id: &str, preload: Option<Preload>) -> Ask {
        let (reply, _) = tokio::sync::oneshot::channel();
        Ask {
            id: id.into(),
            now: Utc::now(),
            preload,
            reply,
            waiting: None,
        }
    }

    #[test]
    fn one_shared_statement_answers_each_ask_from_its_own_row_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let url = DatabaseUrl::Sqlite(dir.path().join("t.db").to_string_lossy().into_owned());
        let mut conn = crate::db::connect(&url).expect("connect");
        crate::db::run_migrations(&mut conn).expect("migrations");
        let account = |conn: &mut DbConnection, name: &str, licenses: &str| {
            let input = AccountInput::parse(name, licenses, "Europe/Stockholm").expect("input");
            ops::create_account(conn, None, &input, chrono::Utc::now()).expect("account")
        };
        let a = account(&mut conn, "A", "7");
        let b = account(&mut conn, "B", "9");
        let la = login(&mut conn, "a@a.example", "contact", Some(a.id));
        let lb = login(&mut conn, "b@b.example", "viewer", Some(b.id));
        let ls = login(&mut conn, "s@vendor.example", "staff", None);
        let ld = login(&mut conn, "d@a.example", "contact", Some(a.id));
        Login::set_disabled(&mut conn, ld.id, true).expect("disable");
        let ctx = crate::mail::MailContext::from_env();
        let order = ops::place_order(
            &mut conn,
            &ctx,
            &la,
            a.id,
            &ops::OrderInput {
                quantity: 3,
                ..Default::default()
            },
            "form-a",
        )
        .expect("order");
        let o = Some(Preload::Orders);
        let batch = [
            ask("a@a.example", o),
            ask("b@b.example", o),
            ask("a@a.example", None),
            ask("nobody", o),
            ask("s@vendor.example", o),
            ask("d@a.example", o),
            ask("b@b.example", None),
        ];
        let timeouts = Timeouts {
            idle: Duration::from_secs(1800),
            absolute: Duration::from_secs(43200),
        };
        let answers = read_all(&mut conn, &batch, timeouts).expect("read");
        assert_eq!(answers.len(), batch.len());
        let who = |i: usize| {
            let read = answers[i].as_ref().expect("answered");
            let loaded = read.loaded.as_ref();
            let identity = loaded.and_then(|l| l.identity.as_ref());
            let orders = loaded.and_then(|l| l.preloaded.as_ref()).map(|p| match p {
                Preloaded::Orders {
                    account_id, orders, ..
                } => (*account_id, orders.iter().map(|o| o.id).collect::<Vec<_>>()),
            });
            (
                identity.map(|i| (i.login.id, i.account.as_ref().map(|a| a.licenses))),
                orders,
                loaded.is_some_and(|l| l.ended),
                read.write,
            )
        };
        assert_eq!(
            who(0),
            (
                Some((la.id, Some(7))),
                Some((a.id, vec![order.id])),
                false,
                None
            )
        );
        assert_eq!(
            who(1),
            (Some((lb.id, Some(9))), Some((b.id, vec![])), false, None)
        );
        assert_eq!(who(2), (Some((la.id, Some(7))), None, false, None));
        assert_eq!(who(3), (None, None, false, None));
        assert_eq!(who(4), (Some((ls.id, None)), None, false, None));
        assert_eq!(who(5), (None, None, true, Some(RowWrite::Delete)));
        assert_eq!(who(6), (Some((lb.id, Some(9))), None, false, None));
    }
}
