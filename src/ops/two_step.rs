//! Two-step sign-in: turning it on and off, recovery codes, resets by
//! staff, and checking a code.

use crate::db::{write_transaction, DbConnection};
use crate::models::session::SessionRow;
use crate::models::{now_utc, AuditEvent, Login};

use super::*;

/// Turn two-step on with a confirmed secret; the enrolment code's step
/// counts as used. Returns the recovery codes to show once.
pub fn enable_two_step(
    conn: &mut DbConnection,
    login: &Login,
    secret: &str,
    step: i64,
) -> Result<Vec<String>, OpError> {
    write_transaction(conn, |conn| {
        Login::set_two_step(conn, login.id, Some(secret), Some(step))?;
        let codes = store_recovery_codes(conn, login.id)?;
        AuditEvent::two_step(
            crate::domain::audit::AuditKind::TwoStepOn,
            Some(login.id),
            login.account_id,
            login.id,
        )
        .insert(conn)?;
        Ok(codes)
    })
}

/// New recovery codes; the old ones stop working. Returns them to show once.
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    login: &Login,
) -> Result<Vec<String>, OpError> {
    write_transaction(conn, |conn| {
        let codes = store_recovery_codes(conn, login.id)?;
        AuditEvent::two_step(
            crate::domain::audit::AuditKind::RecoveryCodesRenewed,
            Some(login.id),
            login.account_id,
            login.id,
        )
        .insert(conn)?;
        Ok(codes)
    })
}

pub(super) fn store_recovery_codes(
    conn: &mut DbConnection,
    login_id: i64,
) -> Result<Vec<String>, OpError> {
    use crate::two_step::{new_recovery_codes, recovery_hash};
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().filter_map(|c| recovery_hash(c)).collect();
    crate::models::recovery_code::replace(conn, login_id, &hashes, now_utc())?;
    Ok(codes)
}

/// Turn a login's own two-step off (the caller checked password and code
/// and that its role may be without it).
pub fn disable_two_step(conn: &mut DbConnection, login: &Login) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        Login::set_two_step(conn, login.id, None, None)?;
        crate::models::recovery_code::delete_all(conn, login.id)?;
        AuditEvent::two_step(
            crate::domain::audit::AuditKind::TwoStepOff,
            Some(login.id),
            login.account_id,
            login.id,
        )
        .insert(conn)?;
        Ok(())
    })
}

/// Staff or the command line reset another login's two-step: off, its
/// recovery codes gone, every session ended; it enrols again at its next
/// sign-in where its role must have it.
pub fn reset_two_step(
    conn: &mut DbConnection,
    by: Option<i64>,
    login_id: i64,
) -> Result<Login, OpError> {
    write_transaction(conn, |conn| {
        let login = Login::find(conn, login_id)?.ok_or(OpError::NotFound)?;
        Login::set_two_step(conn, login.id, None, None)?;
        crate::models::recovery_code::delete_all(conn, login.id)?;
        SessionRow::delete_for_login(conn, login.id, None)?;
        AuditEvent::two_step(
            crate::domain::audit::AuditKind::TwoStepReset,
            by,
            login.account_id,
            login.id,
        )
        .insert(conn)?;
        Ok(login)
    })
}

/// What a second-step code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// A code from the authenticator, for a step not used before.
    Right,
    /// An unused recovery code, now used up.
    Recovery,
    /// A code for a step this login already used (refused, audited).
    Replay,
    Wrong,
    /// A wrong code that locked the login.
    WrongAndLocked,
    /// The login is locked: no code is looked at.
    Locked,
}

/// Check a login's second-step code at `unix_seconds`: a TOTP (each time
/// step accepted once, across instances) or an unused recovery code.
///
/// The attempt is counted toward the login's lock-out in the one
/// transaction that holds the login's row and looks at the code: however
/// many codes arrive at once, at most the lock-out's number are ever
/// checked. A right code starts the count again in that transaction, so
/// only wrong codes stay counted.
pub fn check_code(
    conn: &mut DbConnection,
    login: &Login,
    code: &str,
    unix_seconds: u64,
) -> Result<CodeCheck, OpError> {
    use crate::two_step::{code_step, recovery_hash};
    write_transaction(conn, |conn| {
        Login::lock_row(conn, login.id)?;
        let now = now_utc();
        let Some(current) = Login::find(conn, login.id)? else {
            return Ok(CodeCheck::Wrong);
        };
        let Some(secret) = current.totp_secret.clone() else {
            return Ok(CodeCheck::Wrong);
        };
        if current.disabled {
            return Ok(CodeCheck::Locked);
        }
        let Some(locks) = Login::count_failure(conn, login.id, now)? else {
            return Ok(CodeCheck::Locked);
        };
        if let Some(step) = code_step(&secret, code, unix_seconds) {
            if Login::use_step(conn, login.id, step)? {
                Login::record_success(conn, login.id)?;
                return Ok(CodeCheck::Right);
            }
            AuditEvent::two_step(
                crate::domain::audit::AuditKind::TwoStepReplayRefused,
                Some(login.id),
                login.account_id,
                login.id,
            )
            .insert(conn)?;
            return Ok(CodeCheck::Replay);
        }
        if let Some(hash) = recovery_hash(code) {
            if crate::models::recovery_code::use_code(conn, login.id, &hash, now_utc())? {
                Login::record_success(conn, login.id)?;
                AuditEvent::two_step(
                    crate::domain::audit::AuditKind::RecoveryCodeUsed,
                    Some(login.id),
                    login.account_id,
                    login.id,
                )
                .insert(conn)?;
                return Ok(CodeCheck::Recovery);
            }
        }
        Ok(if locks {
            CodeCheck::WrongAndLocked
        } else {
            CodeCheck::Wrong
        })
    })
}
