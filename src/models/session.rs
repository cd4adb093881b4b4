//! `sessions`: server-side session rows. The cookie holds a random key; the
//! table holds only its SHA-256, so a copy of the database signs no one in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::sessions;
use crate::db::DbConnection;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub login_id: Option<i64>,
    pub state: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSessionRow<'a> {
    pub id: &'a str,
    pub login_id: Option<i64>,
    pub state: &'a str,
    pub user_agent: &'a str,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
}

/// A session row with the login it names, that login's account, and the
/// users counted on the account on the UTC date (most often the account's
/// "today" too; the caller asks again when it is not).
pub type SignedInRow = (
    SessionRow,
    Option<crate::models::Login>,
    Option<crate::models::Account>,
    i64,
);

/// What the statement of `find_signed_in` reads.
type LoadedRow = (
    SessionRow,
    Option<crate::models::Login>,
    Option<crate::models::Account>,
    Option<i64>,
);

impl SessionRow {
    /// The row, its login, the login's account and its counts, in one
    /// statement: what every signed-in request reads (SPEC 3 keeps the
    /// session in the database, read on every request).
    pub fn find_signed_in(
        conn: &mut DbConnection,
        id: &str,
        utc_day: chrono::NaiveDate,
    ) -> QueryResult<Option<SignedInRow>> {
        use crate::db::schema::{accounts, logins, user_counts};
        // The SQL form of `User::count_counted` (see `user_counts`), as a
        // subquery of the diesel DSL: a literal would keep the statement
        // out of the prepared-statement cache, planned again every request.
        let counted = user_counts::table
            .filter(user_counts::account_id.eq(accounts::id))
            .filter(user_counts::end_date.ge(utc_day))
            .select(diesel::dsl::sum(user_counts::active_users))
            .single_value();
        // A primary-key lookup: at most one row, so no LIMIT is needed.
        let mut rows: Vec<LoadedRow> = crate::on_backend!(conn, |c| sessions::table
            .left_join(logins::table.on(logins::id.nullable().eq(sessions::login_id)))
            .left_join(accounts::table.on(accounts::id.nullable().eq(logins::account_id)))
            .filter(sessions::id.eq(id))
            .select((
                SessionRow::as_select(),
                Option::<crate::models::Login>::as_select(),
                Option::<crate::models::Account>::as_select(),
                counted,
            ))
            .load(c))?;
        Ok(rows
            .pop()
            .map(|(row, login, account, n)| (row, login, account, n.unwrap_or(0))))
    }

    pub fn insert(conn: &mut DbConnection, new: &NewSessionRow<'_>) -> QueryResult<usize> {
        diesel::insert_into(sessions::table)
            .values(new)
            .execute(conn)
    }

    /// Replace the state of a session that still exists; 0 when it is gone.
    pub fn update_state(
        conn: &mut DbConnection,
        id: &str,
        login_id: Option<i64>,
        state: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(sessions::table.find(id))
            .set((
                sessions::login_id.eq(login_id),
                sessions::state.eq(state),
                sessions::last_seen_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(sessions::table.find(id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)
    }

    pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
        diesel::delete(sessions::table.find(id)).execute(conn)
    }

    /// End every session of a login (disabled), or every one but `keep`.
    pub fn delete_for_login(
        conn: &mut DbConnection,
        login_id: i64,
        keep: Option<&str>,
    ) -> QueryResult<usize> {
        match keep {
            Some(keep) => diesel::delete(
                sessions::table
                    .filter(sessions::login_id.eq(login_id))
                    .filter(sessions::id.ne(keep)),
            )
            .execute(conn),
            None => diesel::delete(sessions::table.filter(sessions::login_id.eq(login_id)))
                .execute(conn),
        }
    }

    /// The login's live sessions, most recently seen first.
    pub fn for_login(
        conn: &mut DbConnection,
        login_id: i64,
        idle_since: NaiveDateTime,
        created_since: NaiveDateTime,
    ) -> QueryResult<Vec<SessionRow>> {
        sessions::table
            .filter(sessions::login_id.eq(login_id))
            .filter(sessions::last_seen_at.gt(idle_since))
            .filter(sessions::created_at.gt(created_since))
            .order(sessions::last_seen_at.desc())
            .select(SessionRow::as_select())
            .load(conn)
    }

    /// Remove rows past the idle or absolute timeout.
    pub fn delete_expired(
        conn: &mut DbConnection,
        idle_since: NaiveDateTime,
        created_since: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::delete(
            sessions::table.filter(
                sessions::last_seen_at
                    .le(idle_since)
                    .or(sessions::created_at.le(created_since)),
            ),
        )
        .execute(conn)
    }
}
