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

impl SessionRow {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<SessionRow>> {
        // A primary-key lookup: at most one row, so no LIMIT is needed.
        let mut rows = crate::on_backend!(conn, |c| sessions::table
            .find(id)
            .select(SessionRow::as_select())
            .load(c))?;
        Ok(rows.pop())
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
