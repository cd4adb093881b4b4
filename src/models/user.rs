//! `users`: an account's WFM employees, who take licenses. They never sign in.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{user_counts, users};
use crate::db::{DbConnection, MultiBackend};
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

/// Which users a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFilter {
    All,
    Counted,
    Group(UserGroup),
}

impl UserFilter {
    pub fn parse(s: &str) -> Option<UserFilter> {
        match s {
            "" | "all" => Some(UserFilter::All),
            "counted" => Some(UserFilter::Counted),
            other => UserGroup::ALL
                .into_iter()
                .find(|g| g.as_str() == other)
                .map(UserFilter::Group),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserFilter::All => "all",
            UserFilter::Counted => "counted",
            UserFilter::Group(g) => g.as_str(),
        }
    }
}

/// Which unit a list keeps to (SPEC 14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UnitFilter {
    /// Every unit and none.
    #[default]
    Any,
    /// The users without a unit.
    NoUnit,
    /// The users of this unit.
    Is(String),
}

/// What a users list asks for: a filter, a unit and a search text (name
/// or employee number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSearch {
    pub filter: UserFilter,
    pub unit: UnitFilter,
    pub q: String,
}

impl UserSearch {
    /// Every user under `filter`.
    pub fn only(filter: UserFilter) -> UserSearch {
        UserSearch {
            filter,
            unit: UnitFilter::Any,
            q: String::new(),
        }
    }
}

/// The counts behind the "before you order" panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub passive: i64,
    pub ended: i64,
    pub ending_soon: i64,
    pub future_start: i64,
}

type BoxedUsers<'a> = users::BoxedQuery<'a, MultiBackend>;

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
            .filter(super::counted::sums_on(day))
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
        let base = user_counts::table.filter(super::counted::sums_on(day));
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
            // are in one statement (a window count), from the index.
            let rows: Vec<(User, i64)> = filtered(account_id, search, day, backend)
                .order((users::name.asc(), users::id.asc()))
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

/// SQLite allows 32,766 bound values in one statement; seven a user.
const SQLITE_ROWS_PER_INSERT: usize = 1_000;

/// Which engine a query is built for: search takes each one's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(conn: &DbConnection) -> Backend {
        match conn {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }
}

/// The users of an account under a search on `day`. The SQL here mirrors
/// `counting::count_reason` and `counting::user_group`; tests check that
/// they agree.
fn filtered<'a>(
    account_id: i64,
    search: &UserSearch,
    day: NaiveDate,
    backend: Backend,
) -> BoxedUsers<'a> {
    let q = search_text(&search.q);
    let mut query = users::table.into_boxed::<MultiBackend>();
    query = match (backend, &q) {
        // SQLite plans a search from the index of the account's users
        // (a probe of the matches for each) unless told otherwise: the
        // account's term is kept out of its indexes (`+`), so the matches
        // drive the query.
        (Backend::Sqlite, Some(_)) => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("+users.account_id = ")
                .bind::<diesel::sql_types::BigInt, _>(account_id),
        ),
        _ => query.filter(users::account_id.eq(account_id)),
    };
    let soon = counting::ending_soon_until(day);
    query = match search.filter {
        UserFilter::All => query,
        UserFilter::Counted => query.filter(super::counted::user_on(day)),
        UserFilter::Group(UserGroup::Passive) => query.filter(users::status.eq("passive")),
        UserFilter::Group(UserGroup::Ended) => query
            .filter(super::counted::user_active())
            .filter(users::end_date.lt(day)),
        UserFilter::Group(UserGroup::EndingSoon) => query
            .filter(super::counted::user_active())
            .filter(users::end_date.ge(day))
            .filter(users::end_date.le(soon)),
        UserFilter::Group(UserGroup::FutureStart) => query
            .filter(super::counted::user_active())
            .filter(users::start_date.gt(day))
            .filter(users::end_date.is_null().or(users::end_date.gt(soon))),
    };
    query = match &search.unit {
        UnitFilter::Any => query,
        UnitFilter::NoUnit => query.filter(users::unit.is_null()),
        UnitFilter::Is(unit) => query.filter(users::unit.eq(unit.clone())),
    };
    if let Some(q) = q {
        query = query.filter(matching(&q, backend));
    }
    query
}

/// The text searched for: trimmed, without control characters; `None`
/// when nothing is left.
fn search_text(q: &str) -> Option<String> {
    let q: String = q.trim().chars().filter(|c| !c.is_control()).collect();
    (!q.is_empty()).then_some(q)
}

type Condition =
    Box<dyn BoxableExpression<users::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// Users whose name or employee number matches `q`, by an index:
///
/// - SQLite: the FTS5 table `users_search`, each word searched the start
///   of a word of the name or the number (a text of no letters or digits
///   finds no one);
/// - PostgreSQL: `ILIKE` anywhere in the name or the number, read through
///   the trigram indexes (`pg_trgm`). Its `C.UTF-8` case folding and a
///   database made with the `C` locale both find "Åsa Öster" from "åsa"
///   and "ÖSTER": the text is also tried as typed and with a capital
///   first letter.
fn matching(q: &str, backend: Backend) -> Condition {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    match backend {
        Backend::Sqlite => match fts_query(q) {
            Some(words) => Box::new(
                sql::<Bool>(
                    "users.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ",
                )
                .bind::<Text, _>(words)
                .sql(")"),
            ),
            None => Box::new(sql::<Bool>("1 = 0")),
        },
        Backend::Postgres => {
            let lowered = q.to_lowercase();
            let mut capital: String = lowered
                .chars()
                .take(1)
                .flat_map(char::to_uppercase)
                .collect();
            capital.push_str(&lowered.chars().skip(1).collect::<String>());
            // ILIKE folds ASCII in every locale: one form is enough then.
            let mut forms = if q.is_ascii() {
                vec![lowered]
            } else {
                vec![lowered, q.to_string(), capital]
            };
            forms.dedup();
            let mut condition: Condition = Box::new(sql::<Bool>("1 = 0"));
            for form in forms {
                let pattern = format!("%{}%", escape_like(&form));
                condition = Box::new(
                    condition.or(sql::<Bool>("(users.name ILIKE ")
                        .bind::<Text, _>(pattern.clone())
                        .sql(" OR users.employee_number ILIKE ")
                        .bind::<Text, _>(pattern)
                        .sql(")")),
                );
            }
            condition
        }
    }
}

/// A search as an FTS5 query: each word quoted (a `"` doubled) and taken
/// as a prefix, all of them required; words of no letter or digit left
/// out (the index keeps none). `None` when no word is left.
pub fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
