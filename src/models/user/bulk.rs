//! The bulk writes of users: the API's users sync and the CSV import.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::{NewUser, User};
use crate::db::schema::users;
use crate::db::DbConnection;

/// A user as the sync compares it: (id, employee number, name, status,
/// start date, end date, unit).
pub type SyncRow = (
    i64,
    String,
    String,
    String,
    NaiveDate,
    Option<NaiveDate>,
    Option<String>,
);

/// The bulk writes of the API's users sync (SPEC 9): 100,000 users in one
/// request. On PostgreSQL each is one statement over arrays (one round
/// trip); on SQLite, in process, prepared statements in a loop cost less
/// than building one huge statement.
impl User {
    /// Every user of an account, for comparing with a sync.
    pub fn all_for_sync(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<SyncRow>> {
        crate::on_backend!(conn, |c| users::table
            .filter(users::account_id.eq(account_id))
            .select((
                users::id,
                users::employee_number,
                users::name,
                users::status,
                users::start_date,
                users::end_date,
                users::unit,
            ))
            .load::<SyncRow>(c))
    }

    /// Write a sync's new and changed users of one account, inside
    /// `User::in_bulk`.
    pub fn write_sync(
        conn: &mut DbConnection,
        account_id: i64,
        inserts: &[NewUser<'_>],
        updates: &[(i64, &NewUser<'_>)],
    ) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Date, Nullable, Text};
        match conn {
            DbConnection::Sqlite(c) => {
                for chunk in inserts.chunks(SQLITE_ROWS_PER_INSERT) {
                    diesel::insert_into(users::table)
                        .values(chunk.to_vec())
                        .execute(c)?;
                }
                for (id, u) in updates {
                    diesel::update(users::table.find(*id))
                        .set((
                            users::name.eq(u.name),
                            users::status.eq(u.status.as_str()),
                            users::start_date.eq(u.start_date),
                            users::end_date.eq(u.end_date),
                            users::unit.eq(u.unit),
                        ))
                        .execute(c)?;
                }
            }
            DbConnection::Postgres(c) => {
                if !inserts.is_empty() {
                    diesel::sql_query(
                        "INSERT INTO users (account_id, employee_number, name, status, start_date, end_date, unit) \
                         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::date[], $6::date[], $7::text[])",
                    )
                    .bind::<BigInt, _>(account_id)
                    .bind::<Array<Text>, _>(inserts.iter().map(|u| u.employee_number).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(inserts.iter().map(|u| u.name).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(inserts.iter().map(|u| u.status.as_str()).collect::<Vec<_>>())
                    .bind::<Array<Date>, _>(inserts.iter().map(|u| u.start_date).collect::<Vec<_>>())
                    .bind::<Array<Nullable<Date>>, _>(inserts.iter().map(|u| u.end_date).collect::<Vec<_>>())
                    .bind::<Array<Nullable<Text>>, _>(inserts.iter().map(|u| u.unit).collect::<Vec<_>>())
                    .execute(c)?;
                }
                if !updates.is_empty() {
                    diesel::sql_query(
                        "UPDATE users SET name = v.name, status = v.status, start_date = v.start_date, end_date = v.end_date, unit = v.unit \
                         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::date[], $6::text[]) \
                           AS v(id, name, status, start_date, end_date, unit) \
                         WHERE users.id = v.id AND users.account_id = $7",
                    )
                    .bind::<Array<BigInt>, _>(updates.iter().map(|(id, _)| *id).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(updates.iter().map(|(_, u)| u.name).collect::<Vec<_>>())
                    .bind::<Array<Text>, _>(updates.iter().map(|(_, u)| u.status.as_str()).collect::<Vec<_>>())
                    .bind::<Array<Date>, _>(updates.iter().map(|(_, u)| u.start_date).collect::<Vec<_>>())
                    .bind::<Array<Nullable<Date>>, _>(updates.iter().map(|(_, u)| u.end_date).collect::<Vec<_>>())
                    .bind::<Array<Nullable<Text>>, _>(updates.iter().map(|(_, u)| u.unit).collect::<Vec<_>>())
                    .bind::<BigInt, _>(account_id)
                    .execute(c)?;
                }
            }
        }
        Ok(())
    }
}

impl User {
    /// Run `f`, a bulk write of one account's users inside the caller's
    /// transaction (which holds them: `Account::lock_row`). On PostgreSQL
    /// the per-row count triggers stand aside (`portal.bulk_users`, for this
    /// transaction only) and the account's `user_counts` are recounted once
    /// at the end: one counter row updated 100,000 times in one transaction
    /// is quadratic there. SQLite's triggers are cheap, and keep counting.
    pub fn in_bulk<T, E: From<diesel::result::Error>>(
        conn: &mut DbConnection,
        account_id: i64,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E> {
        use diesel::sql_types::BigInt;
        let DbConnection::Postgres(c) = conn else {
            return f(conn);
        };
        diesel::sql_query("SELECT set_config('portal.bulk_users', 'on', true)").execute(c)?;
        let out = f(conn)?;
        let DbConnection::Postgres(c) = conn else {
            return Ok(out);
        };
        // The same sums the triggers keep (see migrations/*_user_counts).
        diesel::sql_query("DELETE FROM user_counts WHERE account_id = $1")
            .bind::<BigInt, _>(account_id)
            .execute(c)?;
        diesel::sql_query(
            "INSERT INTO user_counts (account_id, end_date, active_users) \
             SELECT account_id, coalesce(end_date, DATE '9999-12-31'), count(*) FROM users \
             WHERE account_id = $1 AND status = 'active' \
             GROUP BY account_id, coalesce(end_date, DATE '9999-12-31')",
        )
        .bind::<BigInt, _>(account_id)
        .execute(c)?;
        diesel::sql_query("DELETE FROM unit_counts WHERE account_id = $1")
            .bind::<BigInt, _>(account_id)
            .execute(c)?;
        diesel::sql_query(
            "INSERT INTO unit_counts (account_id, unit, end_date, active_users) \
             SELECT account_id, coalesce(unit, ''), coalesce(end_date, DATE '9999-12-31'), count(*) FROM users \
             WHERE account_id = $1 AND status = 'active' \
             GROUP BY account_id, coalesce(unit, ''), coalesce(end_date, DATE '9999-12-31')",
        )
        .bind::<BigInt, _>(account_id)
        .execute(c)?;
        diesel::sql_query("SELECT set_config('portal.bulk_users', 'off', true)").execute(c)?;
        Ok(out)
    }
}

impl User {
    /// Take the planner's statistics of the users' tables again (after a
    /// bulk write, committed). PostgreSQL only: SQLite plans these reads
    /// by its indexes alone.
    pub fn refresh_statistics(conn: &mut DbConnection) -> QueryResult<()> {
        if let DbConnection::Postgres(c) = conn {
            diesel::sql_query("ANALYZE users, user_versions, user_counts").execute(c)?;
        }
        Ok(())
    }
}

/// SQLite allows 32,766 bound values in one statement; seven a user. Each
/// statement also writes the search index's pending entries once.
const SQLITE_ROWS_PER_INSERT: usize = 4_000;
