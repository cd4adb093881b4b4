//! The one way a password is checked, for signing in and for every page
//! that asks for the current password again.
//!
//! In order: find the login; count the attempt toward the lock-out before
//! the password is verified (so parallel guesses cannot outrun it); give the
//! database connection back; verify through the bounded [`Hasher`] (a dummy
//! verification for an unknown, disabled or locked login, at the same cost);
//! on success the caller starts the count again once the whole sign-in
//! is complete (`completed`: after the code, where one is asked).

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

/// The first, database half: who it is and whether the attempt may count.
enum Found {
    Unknown,
    Disabled(i64),
    Locked(i64),
    /// Counted; `locks` says whether a wrong password now locks it.
    Reserved {
        login: Login,
        locks: bool,
    },
}

/// Every sign-in makes one committed write before its hash, whoever it is
/// for, so the database's part of the answer time does not tell a known
/// email from an unknown one. A known login's write is its attempt count;
/// this is the others'.
fn same_write(conn: &mut crate::db::DbConnection, now: NaiveDateTime) -> Result<(), AppError> {
    write_transaction(conn, |conn| {
        crate::models::setting::put(conn, "last_refused_sign_in", &now.to_string())
    })?;
    Ok(())
}

fn find_and_reserve(
    conn: &mut crate::db::DbConnection,
    whose: &Whose,
    now: NaiveDateTime,
) -> Result<Found, AppError> {
    let login = match whose {
        Whose::Email(email) => Login::find_by_email(conn, email)?,
        Whose::Login(id) => Login::find(conn, *id)?,
    };
    let Some(login) = login else {
        same_write(conn, now)?;
        return Ok(Found::Unknown);
    };
    if login.disabled {
        same_write(conn, now)?;
        return Ok(Found::Disabled(login.id));
    }
    let reserved = write_transaction(conn, |conn| Login::reserve_attempt(conn, login.id, now))?;
    Ok(match reserved {
        Some(locks) => Found::Reserved { login, locks },
        None => Found::Locked(login.id),
    })
}

/// Check a password. Errors are the database's or a busy hasher's (503).
pub async fn check(state: &AppState, whose: Whose, password: String) -> Result<Checked, AppError> {
    let now = now_utc();
    let found = state
        .db(move |conn| find_and_reserve(conn, &whose, now))
        .await?;
    let (login, locks) = match found {
        Found::Reserved { login, locks } => (login, locks),
        refused => {
            let (why, login) = match refused {
                Found::Disabled(id) => (Refusal::Disabled, Some(id)),
                Found::Locked(id) => (Refusal::Locked, Some(id)),
                _ => (Refusal::UnknownEmail, None),
            };
            // The same cost as a real verification, so the answer's timing
            // tells nothing.
            state.hasher.verify(None, password).await?;
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
    if right {
        // A right password is no failure: its reserved attempt is taken
        // back. The count starts again only when the sign-in is complete
        // (see `completed`), never at the password step alone.
        state
            .db(move |conn| {
                write_transaction(conn, |conn| Login::release_attempt(conn, id, now, locks))?;
                Ok(())
            })
            .await?;
        return Ok(Checked::Accepted(login));
    }
    Ok(Checked::Refused {
        why: Refusal::WrongPassword,
        login: Some(id),
        locked: locks,
    })
}

/// A sign-in is complete (password and, where asked, the code): the count
/// of failures starts again and any lock ends.
pub async fn completed(state: &AppState, login_id: i64) -> Result<(), AppError> {
    state
        .db(move |conn| Ok(Login::record_success(conn, login_id)?))
        .await
}
