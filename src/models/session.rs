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

/// What a request reads of its own session row (it knows the id).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionHead {
    pub login_id: Option<i64>,
    pub state: String,
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

/// A session row with the login it names, that login's account and the
/// users counted on the account on the statement's day (most often the
/// account's "today" too; the caller asks again when it is not).
#[derive(Clone)]
pub struct SignedInRow {
    pub row: SessionHead,
    pub login: Option<crate::models::Login>,
    pub account: Option<crate::models::Account>,
    pub counted_on_day: i64,
}

/// What the statement of `find_signed_in` reads: one row per session found.
type LoadedRow = (
    String,
    SessionHead,
    Option<crate::models::Login>,
    Option<crate::models::Account>,
    Option<i64>,
);

/// What the statement of `find_one_signed_in` reads: one row per order it
/// joined, or one row without an order.
type OneRow = (
    SessionHead,
    Option<crate::models::Login>,
    Option<crate::models::Account>,
    Option<i64>,
    Option<crate::models::LicenseOrder>,
);

impl SessionRow {
    /// The rows of the given ids (those of requests that came at once:
    /// `auth::session_reader`), each with its login, that
    /// login's account and the users counted on `day`, in one statement:
    /// what every signed-in request reads (SPEC 3 keeps the session in the
    /// database, read on every request). Keyed by row id; an id without a
    /// row is absent. Each row's login and account are joined through that
    /// row alone.
    pub fn find_signed_in(
        conn: &mut DbConnection,
        ids: &[String],
        day: chrono::NaiveDate,
    ) -> QueryResult<std::collections::HashMap<String, SignedInRow>> {
        use crate::db::schema::{accounts, logins, user_counts};
        // The rule's SQL over `user_counts` (`counted::sums_on`), bound to
        // each row's own login.
        let counted = user_counts::table
            .filter(user_counts::account_id.nullable().eq(logins::account_id))
            .filter(super::counted::sums_on(day))
            .select(diesel::dsl::sum(user_counts::active_users))
            .single_value();
        let rows: Vec<LoadedRow> = crate::on_backend!(conn, |c| sessions::table
            .left_join(logins::table.on(logins::id.nullable().eq(sessions::login_id)))
            .left_join(accounts::table.on(accounts::id.nullable().eq(logins::account_id)))
            .filter(sessions::id.eq_any(ids))
            .select((
                sessions::id,
                SessionHead::as_select(),
                Option::<crate::models::Login>::as_select(),
                Option::<crate::models::Account>::as_select(),
                counted,
            ))
            .load(c))?;
        Ok(rows
            .into_iter()
            .map(|(id, row, login, account, counted)| {
                let found = SignedInRow {
                    row,
                    login,
                    account,
                    counted_on_day: counted.unwrap_or(0),
                };
                (id, found)
            })
            .collect())
    }

    /// One row, as `find_signed_in` reads it, and when `with_orders` the
    /// account's pending and five newest orders (newest first), in one
    /// statement: a request that comes alone (the session reader's batch of
    /// one) costs one trip to the database, the overview's too.
    pub fn find_one_signed_in(
        conn: &mut DbConnection,
        id: &str,
        day: chrono::NaiveDate,
        with_orders: bool,
    ) -> QueryResult<Option<(SignedInRow, Vec<crate::models::LicenseOrder>)>> {
        use crate::db::schema::{accounts, license_orders, logins, user_counts};
        use crate::domain::orders::OrderStatus;
        use diesel::sql_types::Bool;
        // The account of the session's login, as a subquery bound to the
        // session's id alone: PostgreSQL runs the subqueries that use it
        // once per statement, not once per row.
        diesel::alias!(sessions as this_session: ThisSession, logins as its_login: ItsLogin);
        let account_id = || {
            this_session
                .inner_join(
                    its_login.on(its_login
                        .field(logins::id)
                        .nullable()
                        .eq(this_session.field(sessions::login_id))),
                )
                .filter(this_session.field(sessions::id).eq(id))
                .select(its_login.field(logins::account_id))
                .single_value()
        };
        // The SQL form of `User::count_counted` (see `user_counts`), as a
        // subquery of the diesel DSL: a literal would keep the statement
        // out of the prepared-statement cache, planned again every request.
        let counted = user_counts::table
            .filter(user_counts::account_id.nullable().eq(account_id()))
            .filter(super::counted::sums_on(day))
            .select(diesel::dsl::sum(user_counts::active_users))
            .single_value();
        // The overview's orders (`LicenseOrder::overview`): the pending ones
        // and the five newest, of the login's own account only.
        diesel::alias!(license_orders as newest: NewestOrders);
        let newest_ids = newest
            .filter(
                newest
                    .field(license_orders::account_id)
                    .nullable()
                    .eq(account_id()),
            )
            .order(newest.field(license_orders::id).desc())
            .select(newest.field(license_orders::id));
        let orders_on = license_orders::account_id
            .nullable()
            .eq(accounts::id.nullable())
            .and(with_orders.into_sql::<Bool>())
            .and(
                license_orders::status
                    .eq(OrderStatus::Pending.as_str())
                    .or(crate::db::in_first_five(license_orders::id, newest_ids)),
            );
        let rows: Vec<OneRow> = crate::on_backend!(conn, |c| sessions::table
            .left_join(logins::table.on(logins::id.nullable().eq(sessions::login_id)))
            .left_join(accounts::table.on(accounts::id.nullable().eq(logins::account_id)))
            .left_join(license_orders::table.on(orders_on))
            .filter(sessions::id.eq(id))
            .select((
                SessionHead::as_select(),
                Option::<crate::models::Login>::as_select(),
                Option::<crate::models::Account>::as_select(),
                counted,
                Option::<crate::models::LicenseOrder>::as_select(),
            ))
            .load(c))?;
        let mut rows = rows.into_iter();
        let Some((row, login, account, counted, first)) = rows.next() else {
            return Ok(None);
        };
        // Newest first, sorted here: a sort in the statement is one more
        // step for PostgreSQL on every request.
        let mut orders: Vec<crate::models::LicenseOrder> =
            first.into_iter().chain(rows.filter_map(|r| r.4)).collect();
        orders.sort_unstable_by_key(|o| std::cmp::Reverse(o.id));
        let found = SignedInRow {
            row,
            login,
            account,
            counted_on_day: counted.unwrap_or(0),
        };
        Ok(Some((found, orders)))
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

    /// Push the idle deadline forward, unless a request of the same session
    /// just did (`seen_before`: the last time that still calls for it).
    /// Every request of a busy session finds it due at the same moment:
    /// the condition makes one of them write, and on PostgreSQL, outside a
    /// transaction, the write does not wait for the disk (a deadline lost
    /// in a crash only ends the session a minute early), so the others wait
    /// for no flush.
    pub fn touch(
        conn: &mut DbConnection,
        id: &str,
        now: NaiveDateTime,
        seen_before: NaiveDateTime,
    ) -> QueryResult<usize> {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let update = diesel::update(
            sessions::table
                .filter(sessions::id.eq(id))
                .filter(sessions::last_seen_at.le(seen_before)),
        )
        .set(sessions::last_seen_at.eq(now));
        match conn {
            DbConnection::Sqlite(c) => update.execute(c),
            DbConnection::Postgres(c) => {
                let depth = <AnsiTransactionManager as TransactionManager<
                    diesel::PgConnection,
                >>::transaction_manager_status_mut(c)
                .transaction_depth()?;
                if depth.is_some() {
                    // SET LOCAL would last to the outer commit: not here.
                    return update.execute(c);
                }
                c.transaction(|c| {
                    diesel::sql_query("SET LOCAL synchronous_commit TO off").execute(c)?;
                    update.execute(c)
                })
            }
        }
    }

    /// Count a two-step code of a half sign-in before it is looked at,
    /// while fewer than `most` were: returns how many there have been with
    /// this one, or `None` when the row is gone or had `most` already. One
    /// conditional update in a write transaction, so however many codes
    /// arrive at once, at most `most` are ever looked at.
    pub fn count_code(conn: &mut DbConnection, id: &str, most: i32) -> QueryResult<Option<i32>> {
        crate::db::write_transaction(conn, |conn| {
            let counted = diesel::update(
                sessions::table
                    .filter(sessions::id.eq(id))
                    .filter(sessions::wrong_codes.lt(most)),
            )
            .set(sessions::wrong_codes.eq(sessions::wrong_codes + 1))
            .execute(conn)?;
            if counted == 0 {
                return Ok(None);
            }
            sessions::table
                .find(id)
                .select(sessions::wrong_codes)
                .first(conn)
                .optional()
        })
    }

    /// End a half sign-in whose code was right: whether its row was still
    /// there (wrong codes beside it may have ended it).
    pub fn end_half(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
        Ok(diesel::delete(sessions::table.find(id)).execute(conn)? == 1)
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
