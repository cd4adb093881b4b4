//! The one way a password is checked, for signing in and for every page
//! that asks for the current password again.
//!
//! In order: find the login (no write); give the database connection
//! back; verify through the bounded [`Hasher`] (a dummy verification for an
//! unknown, disabled or locked login, at the same cost); then one write:
//! a wrong password counts one failure toward the lock-out, a refusal of
//! another kind writes the same amount, and a right password is accepted
//! only when no lock was taken while it was hashed. Only failures count
//! (SPEC 8.3): right passwords never lock a login, however many arrive at
//! once. On success the caller starts the count again once the whole
//! sign-in is complete (`completed`: after the code, where one is asked).
//!
//! Guesses in flight when the tenth failure locks the login are still
//! verified, but none of them is accepted: their number is bounded by the
//! hasher (`--hash-concurrency` running, each waiting at most 5 s) and the
//! per-address brake.

use chrono::NaiveDateTime;

use crate::db::write_transaction;
use crate::error::AppError;
use crate::models::{now_utc, Login};
use crate::state::AppState;

/// Which login a password is checked for.
pub enum Whose {
    /// Typed into the sign-in form.
    Email(String),
    /// The signed-in login, asked again.
    Login(i64),
}

/// Why a password was refused; only the log sees it, the reader gets one
/// generic message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    UnknownEmail,
    Disabled,
    Locked,
    WrongPassword,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::UnknownEmail => "unknown email",
            Refusal::Disabled => "disabled login",
            Refusal::Locked => "locked login",
            Refusal::WrongPassword => "wrong password",
        }
    }
}

/// What checking a password found.
#[derive(Debug)]
pub enum Checked {
    /// The right password of an enabled login that is not locked.
    Accepted(Login),
    /// Refused; `login` names the login when there is one, and `locked`
    /// says whether it is locked now (this attempt may have locked it).
    Refused {
        why: Refusal,
        login: Option<i64>,
        locked: bool,
    },
}

/// The first, database half: who it is.
enum Found {
    Unknown,
    Disabled(i64),
    Locked(i64),
    Open(Login),
}

/// Every refusal makes one committed write after its hash, whoever it is
/// for, so the database's part of the answer time does not tell a known
/// email from an unknown one. A wrong password's write is its failure
/// count; this is the others'.
fn same_write(conn: &mut crate::db::DbConnection, now: NaiveDateTime) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        crate::models::setting::put(conn, "last_refused_sign_in", &now.to_string())
    })?;
    Ok(())
}

fn find(
    conn: &mut crate::db::DbConnection,
    whose: &Whose,
    now: NaiveDateTime,
) -> Result<Found, AppError> {
    let login = match whose {
        Whose::Email(email) => Login::find_by_email(conn, email)?,
        Whose::Login(id) => Login::find(conn, *id)?,
    };
    Ok(match login {
        None => Found::Unknown,
        Some(login) if login.disabled => Found::Disabled(login.id),
        Some(login) if login.is_locked(now) => Found::Locked(login.id),
        Some(login) => Found::Open(login),
    })
}

/// Check a password. Errors are the database's or a busy hasher's (503).
pub async fn check(state: &AppState, whose: Whose, password: String) -> Result<Checked, AppError> {
    let now = now_utc();
    let found = state.db(move |conn| find(conn, &whose, now)).await?;
    let login = match found {
        Found::Open(login) => login,
        refused => {
            let (why, login) = match refused {
                Found::Disabled(id) => (Refusal::Disabled, Some(id)),
                Found::Locked(id) => (Refusal::Locked, Some(id)),
                _ => (Refusal::UnknownEmail, None),
            };
            // The same cost as a real verification, so the answer's timing
            // tells nothing.
            state.hasher.verify(None, password).await?;
            state.db(move |conn| same_write(conn, now)).await?;
            return Ok(Checked::Refused {
                why,
                login,
                locked: why == Refusal::Locked,
            });
        }
    };
    let right = state
        .hasher
        .verify(Some(login.password_hash.clone()), password)
        .await?;
    let id = login.id;
    let now = now_utc();
    if right {
        // A right password is no failure and counts nothing; it is taken
        // only when no lock came while it was hashed. The count starts
        // again only when the sign-in is complete (see `completed`).
        let locked = state
            .db(move |conn| Ok(Login::find(conn, id)?.is_none_or(|l| l.is_locked(now))))
            .await?;
        if locked {
            return Ok(Checked::Refused {
                why: Refusal::Locked,
                login: Some(id),
                locked: true,
            });
        }
        return Ok(Checked::Accepted(login));
    }
    let counted = state
        .db(move |conn| {
            Ok(write_transaction(conn, |conn| {
                Login::count_failure(conn, id, now)
            })?)
        })
        .await?;
    Ok(match counted {
        Some(locks) => Checked::Refused {
            why: Refusal::WrongPassword,
            login: Some(id),
            locked: locks,
        },
        // Locked by other failures while this one was hashed.
        None => Checked::Refused {
            why: Refusal::Locked,
            login: Some(id),
            locked: true,
        },
    })
}

/// A sign-in is complete (password and, where asked, the code): the count
/// of failures starts again and any lock ends.
pub async fn completed(state: &AppState, login_id: i64) -> Result<(), AppError> {
    state
        .db(move |conn| Ok(Login::record_success(conn, login_id)?))
        .await
}
