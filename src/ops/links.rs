//! One-time links: "forgot your password", and setting a password
//! through an invitation or a reset.

use crate::db::{write_transaction, DbConnection};
use crate::mail::{notify, MailContext};
use crate::models::login_token::{LoginToken, Purpose};
use crate::models::session::SessionRow;
use crate::models::{now_utc, AuditEvent, Login};

use super::*;

/// "Forgot your password": a reset link to an enabled login with that
/// address, at most 3 an hour; nothing for any other address. The caller
/// answers the same either way.
pub fn request_password_reset(
    conn: &mut DbConnection,
    ctx: &MailContext,
    email: &str,
) -> Result<Option<i64>, OpError> {
    write_transaction(conn, |conn| {
        // Every address costs one committed write, so the answer's timing
        // does not tell a known address from an unknown one.
        crate::models::setting::put(conn, "last_reset_request", &now_utc().to_string())?;
        let Some(login) = Login::find_by_email(conn, email)? else {
            return Ok(None);
        };
        // One reset at a time per login, so 3 an hour holds under racing
        // requests (SQLite's write transaction already serialises them).
        Login::lock_row(conn, login.id)?;
        if notify::password_reset(conn, ctx, &login)? {
            AuditEvent::password_reset_requested(login.id, login.account_id).insert(conn)?;
            return Ok(Some(login.id));
        }
        Ok(None)
    })
}

/// The login a live one-time link of `purpose` belongs to, if it is live.
pub fn login_of_link(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Login>, OpError> {
    match LoginToken::find_live(conn, token, purpose, now_utc())? {
        Some(t) => Ok(Login::find(conn, t.login_id)?.filter(|l| !l.disabled)),
        None => Ok(None),
    }
}

/// Set a password through a one-time link (invitation or reset), using the
/// link up. A reset also ends every session of the login, clears its
/// lock-out and sends `password_changed`. Refused with `LinkGone` when the
/// link is unknown, used, expired, or its login disabled.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
    new_hash: &str,
) -> Result<Login, OpError> {
    write_transaction(conn, |conn| {
        let now = now_utc();
        let link = LoginToken::find_live(conn, token, purpose, now)?.ok_or(OpError::LinkGone)?;
        let login = Login::find(conn, link.login_id)?
            .filter(|l| !l.disabled)
            .ok_or(OpError::LinkGone)?;
        if !LoginToken::use_up(conn, link.id, now)? {
            return Err(OpError::LinkGone);
        }
        // Its other links (more resets, the invitation) end with it.
        LoginToken::revoke_all(conn, login.id, now)?;
        Login::set_password_hash(conn, login.id, new_hash)?;
        Login::record_success(conn, login.id)?;
        SessionRow::delete_for_login(conn, login.id, None)?;
        match purpose {
            Purpose::Invitation => {
                AuditEvent::password_set_by_invitation(login.id, login.account_id).insert(conn)?
            }
            Purpose::PasswordReset => {
                AuditEvent::password_reset(login.id, login.account_id).insert(conn)?;
                notify::password_changed(conn, &login)?;
            }
        }
        Ok(login)
    })
}
