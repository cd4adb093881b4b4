//! `user_versions` (SPEC 11): each user as it stood from `valid_from` to
//! `valid_to` (none for the current version), with who changed it. Every
//! change of a user closes its current version and opens a new one in the
//! same transaction (`ops` does it beside the audit event), stamped by the
//! portal's clock in UTC.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{user_versions, users};
use crate::db::DbConnection;
use crate::domain::counting::{self, CountReason, UserStatus};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = user_versions)]
pub struct UserVersion {
    pub id: i64,
    pub user_id: i64,
    pub account_id: i64,
    pub employee_number: String,
    pub name: String,
    #[diesel(deserialize_as = VersionStatus)]
    pub status: UserStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub valid_from: NaiveDateTime,
    pub valid_to: Option<NaiveDateTime>,
    pub changed_by: String,
    /// The unit the user belonged to (SPEC 14).
    pub unit: Option<String>,
}

/// `user_versions.status` as read: a user's status word, an error naming
/// this column (not `users.status`) when it is not one.
pub struct VersionStatus(UserStatus);

impl<DB> Queryable<diesel::sql_types::Text, DB> for VersionStatus
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromStaticSqlRow<diesel::sql_types::Text, DB>,
{
    type Row = String;

    fn build(word: String) -> diesel::deserialize::Result<VersionStatus> {
        match UserStatus::parse(&word) {
            Some(status) => Ok(VersionStatus(status)),
            None => Err(Box::new(crate::domain::UnknownValue {
                column: "user_versions.status",
                value: word,
            })),
        }
    }
}

impl From<VersionStatus> for UserStatus {
    fn from(read: VersionStatus) -> UserStatus {
        read.0
    }
}

/// Who changed a user, as `user_versions.changed_by` keeps it:
/// `login:EMAIL`, `import:FILE:EMAIL` (or `import:FILE:-` from the command
/// line), `token:PREFIX:NAME`, `system:WHAT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangedBy {
    Login(String),
    Import { file: String, by: Option<String> },
    Token { prefix: String, name: String },
    System(String),
}

impl ChangedBy {
    pub fn stored(&self) -> String {
        match self {
            ChangedBy::Login(email) => format!("login:{email}"),
            ChangedBy::Import { file, by } => {
                format!(
                    "import:{}:{}",
                    file.replace(':', "_"),
                    by.as_deref().unwrap_or("-")
                )
            }
            ChangedBy::Token { prefix, name } => format!("token:{prefix}:{name}"),
            ChangedBy::System(what) => format!("system:{what}"),
        }
    }

    pub fn parse(stored: &str) -> ChangedBy {
        let mut parts = stored.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("login"), Some(email), None) => ChangedBy::Login(email.into()),
            (Some("login"), Some(a), Some(b)) => ChangedBy::Login(format!("{a}:{b}")),
            (Some("import"), Some(file), by) => ChangedBy::Import {
                file: file.into(),
                by: by.filter(|b| *b != "-").map(str::to_string),
            },
            (Some("token"), Some(prefix), name) => ChangedBy::Token {
                prefix: prefix.into(),
                name: name.unwrap_or("").into(),
            },
            (Some("system"), Some(what), _) => ChangedBy::System(what.into()),
            _ => ChangedBy::System(stored.into()),
        }
    }
}

/// SQLite allows 32,766 bound values; ids go in chunks well below.
const CHUNK: usize = 500;

impl UserVersion {
    /// Why this version of the user is or is not counted on `day`.
    pub fn reason(&self, day: NaiveDate) -> CountReason {
        counting::count_reason(self.status, self.start_date, self.end_date, day)
    }

    /// Close the current versions of these users at `at` (on PostgreSQL in
    /// one statement over an array: a sync closes 100,000 at once).
    pub fn close(conn: &mut DbConnection, user_ids: &[i64], at: NaiveDateTime) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Timestamp};
        match conn {
            DbConnection::Postgres(c) => {
                if !user_ids.is_empty() {
                    diesel::sql_query(
                        "UPDATE user_versions SET valid_to = $1 WHERE user_id = ANY($2) AND valid_to IS NULL",
                    )
                    .bind::<Timestamp, _>(at)
                    .bind::<Array<BigInt>, _>(user_ids)
                    .execute(c)?;
                }
            }
            DbConnection::Sqlite(c) => {
                for chunk in user_ids.chunks(CHUNK) {
                    diesel::update(
                        user_versions::table
                            .filter(user_versions::user_id.eq_any(chunk))
                            .filter(user_versions::valid_to.is_null()),
                    )
                    .set(user_versions::valid_to.eq(Some(at)))
                    .execute(c)?;
                }
            }
        }
        Ok(())
    }

    /// Open a version, from the row as it is now, for every user of the
    /// account that has no current one (the new and the just closed).
    pub fn open_missing(
        conn: &mut DbConnection,
        account_id: i64,
        at: NaiveDateTime,
        by: &ChangedBy,
    ) -> QueryResult<usize> {
        let by = by.stored();
        let sql = "INSERT INTO user_versions (user_id, account_id, employee_number, name, status, start_date, end_date, unit, valid_from, valid_to, changed_by) \
             SELECT u.id, u.account_id, u.employee_number, u.name, u.status, u.start_date, u.end_date, u.unit, $1, NULL, $2 FROM users u \
             WHERE u.account_id = $3 AND NOT EXISTS (SELECT 1 FROM user_versions v WHERE v.user_id = u.id AND v.valid_to IS NULL)";
        use diesel::sql_types::{BigInt, Text, Timestamp};
        match conn {
            DbConnection::Sqlite(c) => diesel::sql_query(sql.replace('$', "?"))
                .bind::<Timestamp, _>(at)
                .bind::<Text, _>(&by)
                .bind::<BigInt, _>(account_id)
                .execute(c),
            DbConnection::Postgres(c) => diesel::sql_query(sql)
                .bind::<Timestamp, _>(at)
                .bind::<Text, _>(&by)
                .bind::<BigInt, _>(account_id)
                .execute(c),
        }
    }

    /// Users' changes: close their versions and open new ones from their
    /// rows now; with `new_users`, also open the first version of every
    /// user of the account that has none (an import, a sync). `at` is the
    /// portal's clock, but never before the versions it closes began (a
    /// writer that took its time before waiting for the account's lock, or
    /// a clock behind another instance's), so versions never overlap.
    pub fn changed(
        conn: &mut DbConnection,
        account_id: i64,
        user_ids: &[i64],
        at: NaiveDateTime,
        by: &ChangedBy,
        new_users: bool,
    ) -> QueryResult<()> {
        // The latest start among the versions to close: for a bulk change
        // the account's latest (one indexed lookup), else these users'.
        let latest: Option<NaiveDateTime> = if new_users {
            user_versions::table
                .filter(user_versions::account_id.eq(account_id))
                .select(diesel::dsl::max(user_versions::valid_from))
                .first(conn)?
        } else {
            let mut latest = None;
            for chunk in user_ids.chunks(CHUNK) {
                let l: Option<NaiveDateTime> = user_versions::table
                    .filter(user_versions::user_id.eq_any(chunk))
                    .filter(user_versions::valid_to.is_null())
                    .select(diesel::dsl::max(user_versions::valid_from))
                    .first(conn)?;
                latest = latest.max(l);
            }
            latest
        };
        let at = latest.map_or(at, |l| at.max(l));
        UserVersion::close(conn, user_ids, at)?;
        if new_users {
            UserVersion::open_missing(conn, account_id, at, by)?;
        } else {
            UserVersion::open_for(conn, user_ids, at, by)?;
        }
        Ok(())
    }

    /// Open a version of each of these users from its row now.
    fn open_for(
        conn: &mut DbConnection,
        user_ids: &[i64],
        at: NaiveDateTime,
        by: &ChangedBy,
    ) -> QueryResult<()> {
        let by = by.stored();
        for chunk in user_ids.chunks(CHUNK) {
            let rows: Vec<crate::models::User> = users::table
                .filter(users::id.eq_any(chunk))
                .select(crate::models::User::as_select())
                .load(conn)?;
            for u in rows {
                diesel::insert_into(user_versions::table)
                    .values((
                        user_versions::user_id.eq(u.id),
                        user_versions::account_id.eq(u.account_id),
                        user_versions::employee_number.eq(&u.employee_number),
                        user_versions::name.eq(&u.name),
                        user_versions::status.eq(u.status.as_str()),
                        user_versions::start_date.eq(u.start_date),
                        user_versions::end_date.eq(u.end_date),
                        user_versions::unit.eq(&u.unit),
                        user_versions::valid_from.eq(at),
                        user_versions::changed_by.eq(&by),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }

    /// Every version of the account valid just before `at` (the end of a
    /// day: a change at `at` itself belongs to the next day).
    pub fn valid_before(
        conn: &mut DbConnection,
        account_id: i64,
        at: NaiveDateTime,
    ) -> QueryResult<Vec<UserVersion>> {
        crate::on_backend!(conn, |c| user_versions::table
            .filter(user_versions::account_id.eq(account_id))
            .filter(user_versions::valid_from.lt(at))
            .filter(
                user_versions::valid_to
                    .is_null()
                    .or(user_versions::valid_to.ge(at))
            )
            .select(UserVersion::as_select())
            .load(c))
    }

    /// The next `limit` versions valid just before `at`, by employee number
    /// after `after`: keyset pages for streaming a past day's CSV.
    pub fn valid_before_after(
        conn: &mut DbConnection,
        account_id: i64,
        at: NaiveDateTime,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<UserVersion>> {
        let mut q = user_versions::table
            .filter(user_versions::account_id.eq(account_id))
            .filter(user_versions::valid_from.lt(at))
            .filter(
                user_versions::valid_to
                    .is_null()
                    .or(user_versions::valid_to.ge(at)),
            )
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(after) = after {
            q = q.filter(user_versions::employee_number.gt(after.to_string()));
        }
        q.order(user_versions::employee_number.asc())
            .limit(limit)
            .select(UserVersion::as_select())
            .load(conn)
    }

    /// The user as this version has it (its id is the user's).
    pub fn as_user(&self) -> crate::models::User {
        crate::models::User {
            id: self.user_id,
            account_id: self.account_id,
            employee_number: self.employee_number.clone(),
            name: self.name.clone(),
            status: self.status,
            start_date: self.start_date,
            end_date: self.end_date,
            unit: self.unit.clone(),
        }
    }

    /// Whether the account's history reaches back to before `at`.
    pub fn covers(
        conn: &mut DbConnection,
        account_id: i64,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        Ok(UserVersion::first_at(conn, account_id)?.is_some_and(|first| first < at))
    }

    /// The users counted on `day` as they stood at its end (`end`), with
    /// the rule of `domain::counting` applied to that day, by name; `None`
    /// when the history does not reach that far back.
    pub fn counted_at_end_of(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
        end: NaiveDateTime,
    ) -> QueryResult<Option<Vec<crate::models::User>>> {
        if !UserVersion::covers(conn, account_id, end)? {
            return Ok(None);
        }
        let mut counted: Vec<crate::models::User> =
            UserVersion::valid_before(conn, account_id, end)?
                .iter()
                .filter(|v| v.reason(day).is_counted())
                .map(UserVersion::as_user)
                .collect();
        counted.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
        Ok(Some(counted))
    }

    /// When the account's history begins: its first version.
    pub fn first_at(
        conn: &mut DbConnection,
        account_id: i64,
    ) -> QueryResult<Option<NaiveDateTime>> {
        user_versions::table
            .filter(user_versions::account_id.eq(account_id))
            .select(diesel::dsl::min(user_versions::valid_from))
            .first(conn)
    }

    /// One user's versions, oldest first (found by account and employee
    /// number, which a user keeps for good, through their index).
    pub fn of_user(
        conn: &mut DbConnection,
        user: &crate::models::User,
    ) -> QueryResult<Vec<UserVersion>> {
        user_versions::table
            .filter(user_versions::account_id.eq(user.account_id))
            .filter(user_versions::employee_number.eq(&user.employee_number))
            .filter(user_versions::user_id.eq(user.id))
            .order((user_versions::valid_from.asc(), user_versions::id.asc()))
            .select(UserVersion::as_select())
            .load(conn)
    }

    /// Users whose current version disagrees with their row, or who have
    /// none or more than one (for `verify`): (user id, employee number).
    pub fn disagreements(conn: &mut DbConnection) -> QueryResult<Vec<(i64, String)>> {
        type Row = (
            i64,
            String,
            String,
            String,
            NaiveDate,
            Option<NaiveDate>,
            Option<String>,
        );
        let rows: Vec<Row> = users::table
            .select((
                users::id,
                users::employee_number,
                users::name,
                users::status,
                users::start_date,
                users::end_date,
                users::unit,
            ))
            .load(conn)?;
        let current: Vec<Row> = user_versions::table
            .filter(user_versions::valid_to.is_null())
            .select((
                user_versions::user_id,
                user_versions::employee_number,
                user_versions::name,
                user_versions::status,
                user_versions::start_date,
                user_versions::end_date,
                user_versions::unit,
            ))
            .load(conn)?;
        let mut by_user: std::collections::HashMap<i64, Vec<_>> = Default::default();
        for v in current {
            by_user.entry(v.0).or_default().push(v);
        }
        Ok(rows
            .into_iter()
            .filter(|u| match by_user.get(&u.0).map(Vec::as_slice) {
                Some([v]) => v != u,
                _ => true,
            })
            .map(|u| (u.0, u.1))
            .collect())
    }
}
