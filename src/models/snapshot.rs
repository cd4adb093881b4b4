//! `active_user_snapshots`: one row per account and day (in the account's
//! time zone), the history behind the report charts.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::active_user_snapshots;
use crate::db::DbConnection;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = active_user_snapshots)]
pub struct Snapshot {
    pub account_id: i64,
    pub day: NaiveDate,
    pub active_users: i64,
    pub licenses: i64,
}

impl Snapshot {
    /// Record a day's figures unless that day already has a row; racing
    /// instances leave exactly one. Returns whether this call wrote it.
    /// The one backend-specific insert of the portal.
    pub fn record(conn: &mut DbConnection, row: &Snapshot) -> QueryResult<bool> {
        let written = match conn {
            DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(active_user_snapshots::table)
                .values(row)
                .execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(active_user_snapshots::table)
                .values(row)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        Ok(written == 1)
    }

    /// Rewrite a recorded day's count (its end-of-day figure from history).
    pub fn set_count(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
        active_users: i64,
    ) -> QueryResult<usize> {
        diesel::update(active_user_snapshots::table.find((account_id, day)))
            .set(active_user_snapshots::active_users.eq(active_users))
            .execute(conn)
    }

    /// The latest recorded day before `day`, if any.
    pub fn latest_before(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Option<NaiveDate>> {
        active_user_snapshots::table
            .filter(active_user_snapshots::account_id.eq(account_id))
            .filter(active_user_snapshots::day.lt(day))
            .select(diesel::dsl::max(active_user_snapshots::day))
            .first(conn)
    }

    pub fn find(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Option<Snapshot>> {
        active_user_snapshots::table
            .find((account_id, day))
            .select(Snapshot::as_select())
            .first(conn)
            .optional()
    }

    /// The recorded days from `from` on, oldest first.
    pub fn history(
        conn: &mut DbConnection,
        account_id: i64,
        from: NaiveDate,
    ) -> QueryResult<Vec<Snapshot>> {
        active_user_snapshots::table
            .filter(active_user_snapshots::account_id.eq(account_id))
            .filter(active_user_snapshots::day.ge(from))
            .order(active_user_snapshots::day.asc())
            .select(Snapshot::as_select())
            .load(conn)
    }

    pub fn count_for(conn: &mut DbConnection, account_id: i64, day: NaiveDate) -> QueryResult<i64> {
        active_user_snapshots::table
            .filter(active_user_snapshots::account_id.eq(account_id))
            .filter(active_user_snapshots::day.eq(day))
            .count()
            .get_result(conn)
    }
}
