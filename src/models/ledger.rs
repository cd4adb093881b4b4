//! `license_ledger` (SPEC 12): the one record of licenses over time. Each
//! change of licenses writes a row in the transaction that makes it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::license_ledger;
use crate::db::DbConnection;
use crate::domain::ledger::{LedgerKind, Span};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = license_ledger)]
pub struct LedgerRow {
    pub id: i64,
    pub account_id: i64,
    pub change: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[diesel(deserialize_as = String)]
    pub kind: LedgerKind,
    pub order_id: Option<i64>,
    pub login_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = license_ledger)]
pub struct NewLedgerRow {
    pub account_id: i64,
    pub change: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[diesel(serialize_as = String)]
    pub kind: LedgerKind,
    pub order_id: Option<i64>,
    pub login_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

impl NewLedgerRow {
    pub fn span(&self) -> Span {
        Span {
            change: self.change,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        }
    }
}

impl LedgerRow {
    pub fn insert(conn: &mut DbConnection, new: &NewLedgerRow) -> QueryResult<()> {
        diesel::insert_into(license_ledger::table)
            .values(new.clone())
            .execute(conn)?;
        Ok(())
    }

    /// The account's rows, newest first (by first day, then by when made).
    pub fn of_account(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<LedgerRow>> {
        license_ledger::table
            .filter(license_ledger::account_id.eq(account_id))
            .order((license_ledger::starts_on.desc(), license_ledger::id.desc()))
            .select(LedgerRow::as_select())
            .load(conn)
    }

    /// The account's rows as spans: all the ledger rule needs.
    pub fn spans(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<Span>> {
        let rows: Vec<(i64, NaiveDate, Option<NaiveDate>)> = license_ledger::table
            .filter(license_ledger::account_id.eq(account_id))
            .select((
                license_ledger::change,
                license_ledger::starts_on,
                license_ledger::ends_on,
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(change, starts_on, ends_on)| Span {
                change,
                starts_on,
                ends_on,
            })
            .collect())
    }

    /// Licenses owned on `day`, from one query over the account's rows:
    /// `None` for a day before its first row (a snapshot answers for it).
    pub fn owned_on(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Option<i64>> {
        let spans = LedgerRow::spans(conn, account_id)?;
        Ok(crate::domain::ledger::owned_on_recorded(&spans, day))
    }

    /// The row of an approved order, if written.
    pub fn of_order(conn: &mut DbConnection, order_id: i64) -> QueryResult<Option<LedgerRow>> {
        license_ledger::table
            .filter(license_ledger::order_id.eq(order_id))
            .select(LedgerRow::as_select())
            .first(conn)
            .optional()
    }
}
