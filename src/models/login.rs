//! `logins`: the people who sign in (email + password). Not to be confused
//! with `users`, the counted employees of an account.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{accounts, logins};
use crate::db::DbConnection;
use crate::domain::roles::Role;
use crate::i18n::Lang;

/// Failures in a row that lock a login.
pub const LOCKOUT_THRESHOLD: i32 = 10;
/// How long a lock lasts.
pub const LOCKOUT_MINUTES: i64 = 15;

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = logins)]
pub struct Login {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// Never shown, logged or kept in a session.
    pub password_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub account_id: Option<i64>,
    pub disabled: bool,
    pub failed_attempts: i32,
    pub locked_until: Option<NaiveDateTime>,
    /// The language it chose, if it did (a word it does not know is an
    /// error when read, never English in silence).
    #[diesel(deserialize_as = LangColumn)]
    pub language: Option<Lang>,
    pub created_at: NaiveDateTime,
    /// The TOTP secret (base32) while two-step is on; never shown again
    /// after enrolment, never logged.
    pub totp_secret: Option<String>,
    /// The last time step a code of this login was accepted for.
    pub totp_last_step: Option<i64>,
    /// Whether warnings (SPEC 14) come to it by mail: "Warnings by mail"
    /// at /me.
    pub warnings_by_mail: bool,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = logins)]
pub struct NewLogin<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    #[diesel(serialize_as = String)]
    pub role: Role,
    pub account_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// `logins.language` as read: none, or a language the portal speaks; any
/// other word is an error naming the column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LangColumn(pub Option<Lang>);

impl<DB> Queryable<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB> for LangColumn
where
    DB: diesel::backend::Backend,
    Option<String>: diesel::deserialize::FromStaticSqlRow<
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
        DB,
    >,
{
    type Row = Option<String>;

    fn build(row: Option<String>) -> diesel::deserialize::Result<LangColumn> {
        match row {
            None => Ok(LangColumn(None)),
            Some(code) => match Lang::parse(&code) {
                Some(lang) => Ok(LangColumn(Some(lang))),
                None => Err(Box::new(crate::domain::UnknownValue {
                    column: "logins.language",
                    value: code,
                })),
            },
        }
    }
}

impl From<LangColumn> for Option<Lang> {
    fn from(column: LangColumn) -> Option<Lang> {
        column.0
    }
}

/// A login's `Debug` leaves the password hash out, so no log can hold it.
impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("account_id", &self.account_id)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// The name to show: the name, else the email.
    pub fn display_name(&self) -> &str {
        if self.name.trim().is_empty() {
            &self.email
        } else {
            &self.name
        }
    }

    /// Inside a write transaction: hold the login's row until it commits
    /// (PostgreSQL's `FOR UPDATE`; SQLite's write transaction holds the
    /// whole database already).
    pub fn lock_row(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        if let DbConnection::Postgres(c) = conn {
            logins::table
                .find(id)
                .select(logins::id)
                .for_update()
                .first::<i64>(c)
                .optional()?;
        }
        Ok(())
    }

    /// The language it chose, if it did.
    pub fn lang(&self) -> Option<crate::i18n::Lang> {
        self.language
    }

    /// Whether two-step sign-in is on.
    pub fn two_step_on(&self) -> bool {
        self.totp_secret.is_some()
    }

    /// Accept a code's time step once: only a step after the last used one
    /// is taken (a conditional update, so it holds across instances).
    pub fn use_step(conn: &mut DbConnection, id: i64, step: i64) -> QueryResult<bool> {
        let n = diesel::update(
            logins::table.find(id).filter(
                logins::totp_last_step
                    .is_null()
                    .or(logins::totp_last_step.lt(step)),
            ),
        )
        .set(logins::totp_last_step.eq(Some(step)))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Turn two-step on with `secret` (the enrolment code's step counts as
    /// used), or off with `None`.
    pub fn set_two_step(
        conn: &mut DbConnection,
        id: i64,
        secret: Option<&str>,
        step: Option<i64>,
    ) -> QueryResult<usize> {
        diesel::update(logins::table.find(id))
            .set((
                logins::totp_secret.eq(secret),
                logins::totp_last_step.eq(step),
            ))
            .execute(conn)
    }

    /// Whether it has set a password (an invited login has none yet).
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }

    pub fn is_locked(&self, now: NaiveDateTime) -> bool {
        matches!(self.locked_until, Some(until) if until > now)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Login>> {
        logins::table
            .find(id)
            .select(Login::as_select())
            .first(conn)
            .optional()
    }

    /// The login and its account (none for staff), in one query: what
    /// every signed-in request reads.
    pub fn find_with_account(
        conn: &mut DbConnection,
        id: i64,
    ) -> QueryResult<Option<(Login, Option<crate::models::Account>)>> {
        // A primary-key lookup: at most one row, so no LIMIT is needed.
        let mut rows = crate::on_backend!(conn, |c| logins::table
            .left_join(accounts::table)
            .filter(logins::id.eq(id))
            .select((
                Login::as_select(),
                Option::<crate::models::Account>::as_select()
            ))
            .load(c))?;
        Ok(rows.pop())
    }

    /// Look up by email, case-insensitively (emails are stored lower-cased).
    /// Text no email can hold (control characters) finds no one.
    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Login>> {
        if email.chars().any(char::is_control) || email.len() > 254 {
            return Ok(None);
        }
        logins::table
            .filter(logins::email.eq(email.trim().to_lowercase()))
            .select(Login::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConnection, new: &NewLogin<'_>) -> QueryResult<Login> {
        let id = diesel::insert_into(logins::table)
            .values(new.clone())
            .returning(logins::id)
            .get_result::<i64>(conn)?;
        Login::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
    }

    pub fn for_account(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<Login>> {
        logins::table
            .filter(logins::account_id.eq(account_id))
            .order(logins::email.asc())
            .select(Login::as_select())
            .load(conn)
    }

    pub fn staff(conn: &mut DbConnection) -> QueryResult<Vec<Login>> {
        logins::table
            .filter(logins::role.eq(Role::Staff.as_str()))
            .order(logins::email.asc())
            .select(Login::as_select())
            .load(conn)
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        logins::table.count().get_result(conn)
    }

    /// Count a failed attempt (a wrong password or code); the tenth in a
    /// row locks the login for 15 minutes. Returns `None` (counting
    /// nothing) while the login is locked, else whether this failure locked
    /// it. Both steps are conditional updates in the caller's write
    /// transaction: the first takes the row, so on either backend parallel
    /// failures queue behind it and each is counted once.
    pub fn count_failure(
        conn: &mut DbConnection,
        id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Option<bool>> {
        let counted = diesel::update(
            logins::table.find(id).filter(
                logins::locked_until
                    .is_null()
                    .or(logins::locked_until.le(now)),
            ),
        )
        .set(logins::failed_attempts.eq(logins::failed_attempts + 1))
        .execute(conn)?;
        if counted == 0 {
            return Ok(None);
        }
        let until = Login::lock_end(now);
        let locked = diesel::update(
            logins::table
                .find(id)
                .filter(logins::failed_attempts.ge(LOCKOUT_THRESHOLD)),
        )
        .set((
            logins::failed_attempts.eq(0),
            logins::locked_until.eq(Some(until)),
        ))
        .execute(conn)?;
        Ok(Some(locked == 1))
    }

    /// When a lock taken at `now` ends.
    pub fn lock_end(now: NaiveDateTime) -> NaiveDateTime {
        now + chrono::Duration::minutes(LOCKOUT_MINUTES)
    }

    /// A right password: the count of failures starts again and any lock ends.
    pub fn record_success(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        diesel::update(logins::table.find(id))
            .set((
                logins::failed_attempts.eq(0),
                logins::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    }

    pub fn set_disabled(conn: &mut DbConnection, id: i64, disabled: bool) -> QueryResult<usize> {
        diesel::update(logins::table.find(id))
            .set(logins::disabled.eq(disabled))
            .execute(conn)
    }

    pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
        diesel::update(logins::table.find(id))
            .set(logins::password_hash.eq(hash))
            .execute(conn)
    }

    pub fn set_warnings_by_mail(conn: &mut DbConnection, id: i64, on: bool) -> QueryResult<usize> {
        diesel::update(logins::table.find(id))
            .set(logins::warnings_by_mail.eq(on))
            .execute(conn)
    }

    pub fn set_language(conn: &mut DbConnection, id: i64, language: &str) -> QueryResult<usize> {
        diesel::update(logins::table.find(id))
            .set(logins::language.eq(Some(language)))
            .execute(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_word_the_portal_does_not_know_is_an_error_naming_its_column() {
        type Column = diesel::sql_types::Nullable<diesel::sql_types::Text>;
        let build = |v: Option<&str>| {
            <LangColumn as Queryable<Column, diesel::sqlite::Sqlite>>::build(v.map(str::to_string))
        };
        assert_eq!(build(None).expect("none"), LangColumn(None));
        assert_eq!(build(Some("sv")).expect("sv"), LangColumn(Some(Lang::Sv)));
        let err = build(Some("de")).expect_err("unknown");
        assert_eq!(err.to_string(), "unknown value \"de\" in logins.language");
    }
}
