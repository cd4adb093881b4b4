//! Users: the CSV import and the API's users sync (one bulk path), and a
//! contact's change of one user.

use crate::db::{write_transaction, DbConnection};
use crate::domain::counting::UserStatus;
use crate::domain::import::{parse_users_csv, ImportRow};
use crate::domain::validation::FieldError;
use crate::mail::{notify, MailContext};
use crate::models::api_token::ApiToken;
use crate::models::user::NewUser;
use crate::models::user_version::{ChangedBy, UserVersion};
use crate::models::{Account, AuditEvent, Login, User};

use super::*;

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOutcome {
    pub inserted: usize,
    pub updated: usize,
}

/// Upsert users by employee number from CSV bytes: all rows or none. The
/// writes take the users sync's bulk path (`bulk_upsert`), on both
/// backends.
pub fn import_users(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    account_id: i64,
    file: &str,
    data: &[u8],
) -> Result<ImportOutcome, OpError> {
    let rows = parse_users_csv(data).map_err(OpError::Import)?;
    let outcome = write_transaction(conn, |conn| {
        Account::lock_row(conn, account_id)?;
        Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        let email = match by {
            Some(id) => Login::find(conn, id)?.map(|l| l.email),
            None => None,
        };
        let who = ChangedBy::Import {
            file: file.to_string(),
            by: email,
        };
        let outcome = bulk_upsert(conn, ctx, account_id, &rows, &who)?;
        // An unchanged user counts as updated, as it always has here.
        let outcome = ImportOutcome {
            inserted: outcome.created,
            updated: outcome.updated + outcome.unchanged,
        };
        AuditEvent::users_imported(by, account_id, outcome.inserted, outcome.updated)
            .insert(conn)?;
        notify::figures_changed(conn, ctx, account_id)?;
        Ok::<_, OpError>(outcome)
    })?;
    after_bulk(conn, outcome.inserted + outcome.updated);
    Ok(outcome)
}

/// Rows written at once from which the planner's statistics are brought
/// up to date at once (`after_bulk`).
const ANALYZE_FROM: usize = 1_000;

/// After a bulk write of users, committed: on PostgreSQL the statistics of
/// the tables it changed are taken again, so the first report after a big
/// import is planned as well as the tenth (autovacuum would do it only
/// later). A failure is logged: the write stands.
fn after_bulk(conn: &mut DbConnection, rows: usize) {
    if rows < ANALYZE_FROM {
        return;
    }
    if let Err(e) = User::refresh_statistics(conn) {
        tracing::warn!(error = %e, "the statistics after a bulk write of users could not be taken");
    }
}

/// Insert the new users and update the changed ones of an account, in bulk
/// (inside the caller's transaction, which holds the account's users), with
/// their history. Shared by the CSV import and the users sync.
fn bulk_upsert(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
    rows: &[ImportRow],
    who: &ChangedBy,
) -> Result<SyncOutcome, OpError> {
    use std::collections::HashMap;
    let existing: HashMap<String, crate::models::user::SyncRow> =
        User::all_for_sync(conn, account_id)?
            .into_iter()
            .map(|row| (row.1.clone(), row))
            .collect();
    let mut outcome = SyncOutcome::default();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for row in rows {
        let found = existing.get(&row.employee_number);
        // A row without a unit leaves the user's as it is (none for a new user).
        let unit = match (&row.unit, found) {
            (Some(unit), _) => unit.as_deref(),
            (None, Some(old)) => old.6.as_deref(),
            (None, None) => None,
        };
        let new = NewUser {
            account_id,
            employee_number: &row.employee_number,
            name: &row.name,
            status: row.status,
            start_date: row.start_date,
            end_date: row.end_date,
            unit,
        };
        match found {
            None => inserts.push(new),
            Some((id, _, name, status, start, end, old_unit)) => {
                if *name == row.name
                    && status == row.status.as_str()
                    && *start == row.start_date
                    && *end == row.end_date
                    && old_unit.as_deref() == unit
                {
                    outcome.unchanged += 1;
                } else {
                    updates.push((*id, new));
                }
            }
        }
    }
    outcome.created = inserts.len();
    outcome.updated = updates.len();
    let updates: Vec<(i64, &NewUser<'_>)> = updates.iter().map(|(id, u)| (*id, u)).collect();
    User::in_bulk(conn, account_id, |conn| {
        User::write_sync(conn, account_id, &inserts, &updates)
    })?;
    let changed: Vec<i64> = updates.iter().map(|(id, _)| *id).collect();
    UserVersion::changed(conn, account_id, &changed, ctx.now.naive_utc(), who, true)?;
    Ok(outcome)
}

/// A contact sets a user passive or active and sets or clears the end date.
pub fn change_user(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    user_id: i64,
    status: UserStatus,
    end_date: Option<chrono::NaiveDate>,
) -> Result<User, OpError> {
    write_transaction(conn, |conn| {
        Account::lock_row(conn, account_id)?;
        let user = User::find_in_account(conn, account_id, user_id)?.ok_or(OpError::NotFound)?;
        if matches!(end_date, Some(end) if end < user.start_date) {
            return Err(OpError::Invalid {
                field: "end_date",
                error: FieldError::Date,
            });
        }
        User::set_status_and_end(conn, user.id, status, end_date)?;
        UserVersion::changed(
            conn,
            account_id,
            &[user.id],
            ctx.now.naive_utc(),
            &ChangedBy::Login(by.email.clone()),
            false,
        )?;
        AuditEvent::user_changed(
            by.id,
            account_id,
            user.id,
            &user.employee_number,
            status.as_str(),
            end_date,
        )
        .insert(conn)?;
        notify::figures_changed(conn, ctx, account_id)?;
        Ok(user)
    })
}

/// What a users sync did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SyncOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The API's users sync (SPEC 9): the rules of the CSV import (upsert by
/// employee number, all or none), checked before anything is written;
/// users the sync does not name are left as they are. The writes go in
/// bulk, in one transaction with the audit event.
pub fn sync_users(
    conn: &mut DbConnection,
    ctx: &MailContext,
    token: &ApiToken,
    account_id: i64,
    rows: &[ImportRow],
) -> Result<SyncOutcome, OpError> {
    if rows.is_empty() {
        return Err(OpError::Sync {
            index: 0,
            field: "users",
            problem: crate::domain::import::Problem::NoUsers,
        });
    }
    let outcome = write_transaction(conn, |conn| {
        Account::lock_row(conn, account_id)?;
        Account::find(conn, account_id)?.ok_or(OpError::NotFound)?;
        let who = ChangedBy::Token {
            prefix: token.prefix.clone(),
            name: token.name.clone(),
        };
        let outcome = bulk_upsert(conn, ctx, account_id, rows, &who)?;
        AuditEvent::users_synced(
            token.created_by,
            account_id,
            outcome.created,
            outcome.updated,
            outcome.unchanged,
        )
        .via(Some(token))
        .insert(conn)?;
        notify::figures_changed(conn, ctx, account_id)?;
        Ok::<_, OpError>(outcome)
    })?;
    after_bulk(conn, outcome.created + outcome.updated);
    Ok(outcome)
}
