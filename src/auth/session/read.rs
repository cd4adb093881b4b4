//! What one read of a session row found, what it calls for, and the
//! overview's reads that come with it.

use actix_web::dev::ServiceRequest;
use actix_web::{HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};

use crate::config::Timeouts;
use crate::db::DbConnection;
use crate::error::AppError;
use crate::models::ledger::Outlook;
use crate::models::session::{SessionHead, SessionRow, SignedInRow};
use crate::models::{now_utc, User};
use crate::state::AppState;

#[allow(unused_imports)]
use super::*;

/// What one read found.
pub(in crate::auth) struct Loaded {
    pub(in crate::auth) row: SessionHead,
    pub(in crate::auth) identity: Option<Identity>,
    /// The row named a login that is gone or disabled: it is to be deleted.
    pub(in crate::auth) ended: bool,
    /// What the page's preload read, in the same batch.
    pub(in crate::auth) preloaded: Option<Preloaded>,
}

impl Loaded {
    /// The account (as of its today) of a signed-in (not half signed-in)
    /// customer, with the users counted there today: the only one whose
    /// reads a preload may bring.
    pub(in crate::auth) fn customer(&self) -> Option<(crate::models::Account, i64)> {
        let identity = self.identity.as_ref()?;
        if !identity.login.role.reads_account() {
            return None;
        }
        Some((identity.account.clone()?, identity.counted))
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
    pub(in crate::auth) fn of(req: &ServiceRequest) -> Option<Preload> {
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
    /// The account's orders, newest first, and what is coming for its
    /// licenses.
    Orders {
        account_id: i64,
        orders: Vec<crate::models::LicenseOrder>,
        outlook: Outlook,
    },
}

impl Preloaded {
    /// The orders of `account_id` and its rows ahead that the request's
    /// preload read, if it read them (of that account: a second guard
    /// beside the reader's own).
    pub fn take_overview(req: &HttpRequest, account_id: i64) -> Option<Overview> {
        match req.extensions_mut().remove::<Preloaded>()? {
            Preloaded::Orders {
                account_id: of,
                orders,
                outlook,
            } if of == account_id => Some(Overview { orders, outlook }),
            Preloaded::Orders { .. } => None,
        }
    }
}

/// What the overview reads: the account's orders, newest first, and what
/// is coming for its licenses.
#[derive(Debug, Default)]
pub struct Overview {
    pub orders: Vec<crate::models::LicenseOrder>,
    pub outlook: Outlook,
}

impl Overview {
    /// Read in the session's batch, or through the pool.
    pub fn read(
        conn: &mut DbConnection,
        account: &crate::models::Account,
        counted: i64,
        today: chrono::NaiveDate,
    ) -> diesel::QueryResult<Overview> {
        Ok(Overview {
            orders: crate::models::LicenseOrder::overview_rows(conn, account.id)?,
            outlook: outlook_of(conn, account, counted, today)?,
        })
    }
}

/// What is coming for an account's licenses: nothing is read unless a
/// change is coming (`licenses_until` set). `counted`: the users counted
/// today.
pub(in crate::auth) fn outlook_of(
    conn: &mut DbConnection,
    account: &crate::models::Account,
    counted: i64,
    today: chrono::NaiveDate,
) -> diesel::QueryResult<Outlook> {
    use crate::models::ledger::LedgerRow;
    if account.licenses_until.is_none() {
        return Ok(Outlook::default());
    }
    // The rows ahead come with the account row (read from the ledger only
    // when that text is missing or not what the portal writes), and their
    // changes are swept once per text, figure and day.
    let swept = match account.licenses_ahead.0.as_ref() {
        Some(text) => {
            let stamp = AheadStamp {
                text: text.clone(),
                licenses: account.licenses,
                today,
            };
            AHEAD.get_or_make(account.id, &stamp, || {
                let ahead = crate::domain::ledger::Span::decode(text)?;
                let coming = crate::domain::ledger::coming_from(account.licenses, &ahead, today);
                Some(std::sync::Arc::new((ahead, coming)))
            })
        }
        None => None,
    };
    let (ahead, coming) = match swept {
        Some(swept) => (swept.0.clone(), swept.1.clone()),
        None => {
            let ahead = LedgerRow::spans_ahead(conn, account.id, today)?;
            let coming = crate::domain::ledger::coming_from(account.licenses, &ahead, today);
            (ahead, coming)
        }
    };
    LedgerRow::outlook(
        conn,
        account.id,
        counted,
        &ahead,
        coming,
        today,
        account.look_ahead_days,
    )
}

/// The rows ahead and their coming changes, as swept from one text.
type Swept = std::sync::Arc<(
    Vec<crate::domain::ledger::Span>,
    Vec<(chrono::NaiveDate, i64, i64)>,
)>;

/// What a sweep of an account's rows ahead is made from: the text the
/// account row keeps, today's figure and the day, all read from the
/// database on every request.
#[derive(Clone, PartialEq, Eq)]
struct AheadStamp {
    text: std::sync::Arc<str>,
    licenses: i64,
    today: chrono::NaiveDate,
}

/// The last sweep of each account's rows ahead (`crate::memo`).
static AHEAD: std::sync::LazyLock<crate::memo::Memo<i64, AheadStamp, Swept>> =
    std::sync::LazyLock::new(|| crate::memo::Memo::new(10_000));

/// A write to its row that a read calls for. The request makes it itself,
/// through the pool: a session reader never waits on a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::auth) enum RowWrite {
    /// The row expired or its login is gone or disabled.
    Delete,
    /// Its idle deadline is due to move.
    Touch,
}

/// What one read found, and the write it calls for.
pub(in crate::auth) struct Read {
    /// `None`: no live row.
    pub(in crate::auth) loaded: Option<Loaded>,
    pub(in crate::auth) write: Option<RowWrite>,
}

/// What the row, as read (`found`), means: an expired or ended row is to be
/// deleted, a due idle deadline pushed, and the count is taken again when
/// the account's today is not `day`, the statement's. Blocking; it writes
/// nothing.
pub(in crate::auth) fn settle(
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
    // On the first requests of a day a ledger row starts or ends, the
    // figure is the ledger's until the server's round writes it (SPEC 12).
    let account = match account {
        Some(a) => {
            let today = a.today(today_at);
            Some(a.as_of(conn, today)?)
        }
        None => None,
    };
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
pub(in crate::auth) async fn write_row(
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

/// Delete expired rows (run now and then by the server).
pub fn delete_expired(conn: &mut DbConnection, timeouts: Timeouts) -> diesel::QueryResult<usize> {
    let now = now_utc();
    SessionRow::delete_expired(
        conn,
        timeouts.idle_cutoff(now),
        timeouts.absolute_cutoff(now),
    )
}
