//! `users`: an account's WFM employees, who take licenses. They never sign in.
//! Their lists and search are in `search`, the sync's bulk writes in `bulk`.

mod bulk;
mod search;

pub use bulk::SyncRow;
use search::{filtered, search_text};
pub use search::{fts_query, Backend, UnitFilter, UserFilter, UserSearch};

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{user_counts, users};
use crate::db::DbConnection;
use crate::domain::counting::{self, CountReason, UserGroup, UserStatus};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub account_id: i64,
    pub employee_number: String,
    pub name: String,
    #[diesel(deserialize_as = String)]
    pub status: UserStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// The unit (store, site, department) it belongs to (SPEC 14).
    pub unit: Option<String>,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub account_id: i64,
    pub employee_number: &'a str,
    pub name: &'a str,
    #[diesel(serialize_as = String)]
    pub status: UserStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub unit: Option<&'a str>,
}

/// The counts behind the "before you order" panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub passive: i64,
    pub ended: i64,
    pub ending_soon: i64,
    pub future_start: i64,
}

impl User {
    /// Why this user is or is not counted on `day`.
    pub fn reason(&self, day: NaiveDate) -> CountReason {
        counting::count_reason(self.status, self.start_date, self.end_date, day)
    }

    /// The users counted on `day`: the rule's SQL over the per-end-date
    /// counts the triggers keep (`counted::sums_on`).
    pub fn count_counted(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<i64> {
        let total: Option<i64> = crate::on_backend!(conn, |c| user_counts::table
            .filter(user_counts::account_id.eq(account_id))
            .filter(crate::models::counted::sums_on(day))
            .select(diesel::dsl::sum(user_counts::active_users))
            .get_result(c))?;
        Ok(total.unwrap_or(0))
    }

    /// Users counted on `day` for every account, one row per account that
    /// has any (accounts sharing `day` as "today").
    pub fn count_counted_all(
        conn: &mut DbConnection,
        day: NaiveDate,
        accounts: Option<&[i64]>,
    ) -> QueryResult<Vec<(i64, i64)>> {
        let base = user_counts::table.filter(crate::models::counted::sums_on(day));
        let sum = diesel::dsl::sum(user_counts::active_users);
        let rows: Vec<(i64, Option<i64>)> = match accounts {
            Some(ids) => base
                .filter(user_counts::account_id.eq_any(ids.to_vec()))
                .group_by(user_counts::account_id)
                .select((user_counts::account_id, sum))
                .load(conn)?,
            None => base
                .group_by(user_counts::account_id)
                .select((user_counts::account_id, sum))
                .load(conn)?,
        };
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, n.unwrap_or(0)))
            .collect())
    }

    /// How many users fall in each "before you order" group on `day`,
    /// each from an index or the sums the triggers keep, never a scan of
    /// the users: the ended and the ending soon from `user_counts`, the
    /// passive and the future starters by `users_counting` and
    /// `users_by_start` (the latter few, as they start within months).
    pub fn group_counts(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<GroupCounts> {
        let soon = counting::ending_soon_until(day);
        // The users ending before `day` (ended) or from it to `soon`.
        let sum_ends = |conn: &mut DbConnection, from: Option<NaiveDate>, to: NaiveDate| {
            crate::on_backend!(conn, |c| {
                let mut q = user_counts::table
                    .filter(user_counts::account_id.eq(account_id))
                    .filter(user_counts::end_date.le(to))
                    .into_boxed();
                if let Some(from) = from {
                    q = q.filter(user_counts::end_date.ge(from));
                }
                q.select(diesel::dsl::sum(user_counts::active_users))
                    .get_result::<Option<i64>>(c)
            })
            .map(Option::unwrap_or_default)
        };
        let ended = match day.pred_opt() {
            Some(before) => sum_ends(conn, None, before)?,
            None => 0,
        };
        let ending_soon = sum_ends(conn, Some(day), soon)?;
        let passive = users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::status.eq(UserStatus::Passive.as_str()))
            .count()
            .get_result(conn)?;
        let future_start = filtered(
            account_id,
            &UserSearch::only(UserFilter::Group(UserGroup::FutureStart)),
            day,
            Backend::of(conn),
        )
        .count()
        .get_result(conn)?;
        Ok(GroupCounts {
            passive,
            ended,
            ending_soon,
            future_start,
        })
    }

    /// Users counted on `day` in each unit (`None`: no unit), from the
    /// sums the triggers keep in `unit_counts`: units with none counted
    /// are left out.
    pub fn counted_by_unit(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Vec<(Option<String>, i64)>> {
        use crate::db::schema::unit_counts;
        let rows: Vec<(String, Option<i64>)> = crate::on_backend!(conn, |c| unit_counts::table
            .filter(unit_counts::account_id.eq(account_id))
            .filter(unit_counts::end_date.ge(day))
            .group_by(unit_counts::unit)
            .select((
                unit_counts::unit,
                diesel::dsl::sum(unit_counts::active_users)
            ))
            .load(c))?;
        Ok(rows
            .into_iter()
            .filter_map(|(unit, n)| {
                let n = n.unwrap_or(0);
                (n > 0).then(|| ((!unit.is_empty()).then_some(unit), n))
            })
            .collect())
    }

    /// One page of the account's users under a filter and a search text.
    pub fn page(
        conn: &mut DbConnection,
        account_id: i64,
        search: &UserSearch,
        day: NaiveDate,
        offset: i64,
        limit: i64,
    ) -> QueryResult<(Vec<User>, i64)> {
        let backend = Backend::of(conn);
        if search_text(&search.q).is_some() {
            // A search reads its matches once: the page and how many there
            // are in one statement (a window count), from the index. Its
            // order is by name all the same, but written so that no index
            // gives it: PostgreSQL would otherwise at times walk the
            // account's users by name (users_by_name) to skip the sort, a
            // read of every user (1.4 s at 1,000,000 against 20 ms).
            let by_name = diesel::dsl::sql::<diesel::sql_types::Text>("users.name || ''");
            let rows: Vec<(User, i64)> = filtered(account_id, search, day, backend)
                .order((by_name.asc(), users::id.asc()))
                .offset(offset)
                .limit(limit)
                .select((
                    User::as_select(),
                    diesel::dsl::sql::<diesel::sql_types::BigInt>("count(*) OVER ()"),
                ))
                .load(conn)?;
            let total = match rows.first() {
                Some((_, n)) => *n,
                None if offset == 0 => 0,
                None => filtered(account_id, search, day, backend)
                    .count()
                    .get_result(conn)?,
            };
            return Ok((rows.into_iter().map(|(u, _)| u).collect(), total));
        }
        let total: i64 = filtered(account_id, search, day, backend)
            .count()
            .get_result(conn)?;
        let rows = filtered(account_id, search, day, backend)
            .order((users::name.asc(), users::id.asc()))
            .offset(offset)
            .limit(limit)
            .select(User::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    /// Every counted user on `day`, by employee number (for the report).
    pub fn counted_on(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Vec<User>> {
        let counted = UserSearch::only(UserFilter::Counted);
        filtered(account_id, &counted, day, Backend::of(conn))
            .order(users::employee_number.asc())
            .select(User::as_select())
            .load(conn)
    }

    /// The next `limit` users counted on `day` after `after` by employee
    /// number: keyset pages for streaming the CSV without loading it all.
    pub fn counted_after(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<User>> {
        let counted = UserSearch::only(UserFilter::Counted);
        let mut query = filtered(account_id, &counted, day, Backend::of(conn));
        if let Some(after) = after {
            query = query.filter(users::employee_number.gt(after.to_string()));
        }
        query
            .order(users::employee_number.asc())
            .limit(limit)
            .select(User::as_select())
            .load(conn)
    }

    /// How many counted users have each end date from `from` to `to`: what
    /// the forecast subtracts day by day.
    pub fn end_dates_between(
        conn: &mut DbConnection,
        account_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> QueryResult<Vec<(NaiveDate, i64)>> {
        user_counts::table
            .filter(user_counts::account_id.eq(account_id))
            .filter(user_counts::end_date.ge(from))
            .filter(user_counts::end_date.le(to))
            .filter(user_counts::active_users.gt(0))
            .order(user_counts::end_date.asc())
            .select((user_counts::end_date, user_counts::active_users))
            .load::<(NaiveDate, i32)>(conn)
            .map(|rows| rows.into_iter().map(|(d, n)| (d, i64::from(n))).collect())
    }

    pub fn find_in_account(
        conn: &mut DbConnection,
        account_id: i64,
        id: i64,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::id.eq(id))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_number(
        conn: &mut DbConnection,
        account_id: i64,
        number: &str,
    ) -> QueryResult<Option<User>> {
        users::table
            .filter(users::account_id.eq(account_id))
            .filter(users::employee_number.eq(number))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<usize> {
        diesel::insert_into(users::table)
            .values(new.clone())
            .execute(conn)
    }

    pub fn set_status_and_end(
        conn: &mut DbConnection,
        id: i64,
        status: UserStatus,
        end_date: Option<NaiveDate>,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::status.eq(status.as_str()),
                users::end_date.eq(end_date),
            ))
            .execute(conn)
    }
}
