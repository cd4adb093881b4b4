//! An account's settings: its warnings (SPEC 14) and a login's "Warnings
//! by mail", its agreement (SPEC 15).

use crate::db::{write_transaction, DbConnection};
use crate::mail::{notify, MailContext};
use crate::models::{Account, AuditEvent, Login};

use super::*;

/// A contact sets the account's warnings (SPEC 14), audited; the checks
/// run at once under the new setting.
pub fn set_alerts(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    alerts: crate::domain::warnings::Alerts,
) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        Account::lock_row(conn, account_id)?;
        let account = Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        Account::set_alerts(conn, account_id, alerts)?;
        AuditEvent::alerts_changed(by.id, account_id, account.alerts(), alerts).insert(conn)?;
        notify::warnings(conn, ctx, account_id)?;
        Ok(())
    })
}

/// A login turns its warnings by mail on or off (`/me`), audited.
pub fn set_warnings_by_mail(conn: &mut DbConnection, by: &Login, on: bool) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        Login::set_warnings_by_mail(conn, by.id, on)?;
        AuditEvent::warnings_by_mail_changed(by.id, by.account_id, on).insert(conn)?;
        Ok(())
    })
}

/// Staff set an account's agreement (SPEC 15), audited; a renewal within
/// 60 days is told at once.
pub fn set_agreement(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    agreement: &crate::domain::money::Agreement,
) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        let account = Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        Account::set_agreement(conn, account_id, agreement)?;
        AuditEvent::agreement_changed(by.id, account_id, &account.agreement(), agreement)
            .insert(conn)?;
        notify::renewal_coming(conn, ctx, account_id)?;
        Ok(())
    })
}
