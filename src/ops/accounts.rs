//! Accounts: creating one, with its starting licenses.

use crate::db::{write_transaction, DbConnection};
use crate::domain::counting::parse_time_zone;
use crate::domain::validation::{self, FieldError};
use crate::models::account::NewAccount;
use crate::models::{now_utc, Account, AuditEvent};

use super::*;

/// A new account, checked.
#[derive(Clone, Debug)]
pub struct AccountInput {
    pub name: String,
    pub licenses: i64,
    pub time_zone: String,
}

impl AccountInput {
    pub fn parse(
        name: &str,
        licenses: &str,
        time_zone: &str,
    ) -> Result<AccountInput, (&'static str, FieldError)> {
        let name = validation::required_text(name, 200).map_err(|e| ("name", e))?;
        let licenses = validation::parse_licenses(licenses).map_err(|e| ("licenses", e))?;
        let tz = parse_time_zone(time_zone).ok_or(("time_zone", FieldError::TimeZone))?;
        Ok(AccountInput {
            name,
            licenses,
            time_zone: tz.name().to_string(),
        })
    }
}

pub fn create_account(
    conn: &mut DbConnection,
    by: Option<i64>,
    input: &AccountInput,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Account, OpError> {
    write_transaction(conn, |conn| {
        let account = Account::insert(
            conn,
            &NewAccount {
                name: &input.name,
                licenses: input.licenses,
                time_zone: &input.time_zone,
                created_at: now_utc(),
            },
        )?;
        AuditEvent::account_created(by, account.id, &account.name, account.licenses)
            .insert(conn)?;
        super::licenses::initial_row(conn, &account, now)?;
        Ok(account)
    })
}
