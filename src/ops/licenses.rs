//! Licenses: a staff adjustment, and the bounded change every license
//! change goes through.

use crate::db::{write_transaction, DbConnection};
use crate::domain::orders::MAX_LICENSES;
use crate::mail::{notify, MailContext};
use crate::models::{Account, AuditEvent};

use super::*;

/// Staff adjust an account's licenses by a signed change, with a reason.
pub fn adjust_licenses(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    account_id: i64,
    change: i64,
    reason: &str,
) -> Result<(i64, i64), OpError> {
    write_transaction(conn, |conn| {
        let (before, after) = change_licenses(conn, account_id, change)?;
        AuditEvent::licenses_adjusted(by, account_id, change, before, after, reason)
            .insert(conn)?;
        notify::over_licenses(conn, ctx, account_id)?;
        Ok((before, after))
    })
}

/// Inside a write transaction: add `change` to the licenses, within bounds.
/// Returns (before, after).
pub(super) fn change_licenses(
    conn: &mut DbConnection,
    account_id: i64,
    change: i64,
) -> Result<(i64, i64), OpError> {
    if !Account::add_licenses(conn, account_id, change, MAX_LICENSES)? {
        Account::find(conn, account_id)?.ok_or(OpError::NotFound)?;
        return Err(OpError::LicenseBounds);
    }
    let after = Account::find(conn, account_id)?
        .ok_or(OpError::NotFound)?
        .licenses;
    Ok((after - change, after))
}
