//! The database: one connection enum over SQLite and PostgreSQL, its pool,
//! migrations, and the write transaction every change goes through.
//!
//! The few places where the two backends differ are kept in this module.

pub mod schema;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite connection waits for another writer before it gives up.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 5_000;

/// A connection to either backend; the backend is picked from the URL.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// Run one query on the concrete connection inside the enum. Diesel's
/// derived multi-backend connection does not cache prepared statements, so
/// the queries of every signed-in request go through here: same query text,
/// parsed once per connection. (Those queries also avoid a bound `LIMIT`:
/// SQLite plans with the bound value and so prepares such a statement again
/// at every execution.)
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}

/// The pool every request and command draws from.
pub type Pool = r2d2::Pool<Manager>;
/// One connection taken from the pool.
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Which backend a database URL names, and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (without the `sqlite://` prefix).
    Sqlite(String),
    /// A libpq connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://` and `postgresql://` mean PostgreSQL; `sqlite://path` or a
    /// plain path means a SQLite file.
    pub fn parse(url: &str) -> DatabaseUrl {
        let trimmed = url.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            DatabaseUrl::Postgres(trimmed.to_string())
        } else if let Some(path) = trimmed.strip_prefix("sqlite://") {
            DatabaseUrl::Sqlite(path.to_string())
        } else {
            DatabaseUrl::Sqlite(trimmed.to_string())
        }
    }

    /// The backend's name, for logs and messages.
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// The URL with any password replaced, safe to log.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
            DatabaseUrl::Postgres(url) => redact_password(url),
        }
    }
}

/// A URL with its password replaced by `***`, safe to log.
pub fn redact_password(url: &str) -> String {
    // postgres://user:secret@host/db -> postgres://user:***@host/db
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

/// Why a connection could not be made; keeps the driver's own message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

/// An r2d2 manager that picks the backend from the URL and keeps the real
/// connection error (diesel's derived `establish` hides it).
#[derive(Clone, Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Manager {
        Manager { url }
    }
}

/// Open one connection with the settings every connection of the portal has.
pub fn connect(url: &DatabaseUrl) -> Result<DbConnection, ConnectError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| ConnectError(format!("cannot open SQLite database {path}: {e}")))?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;"
            ))
            .map_err(|e| ConnectError(format!("cannot configure SQLite database {path}: {e}")))?;
            Ok(DbConnection::Sqlite(conn))
        }
        DatabaseUrl::Postgres(url) => {
            let with_timeout = with_connect_timeout(url);
            let conn = PgConnection::establish(&with_timeout).map_err(|e| {
                ConnectError(format!(
                    "cannot connect to PostgreSQL at {}: {}",
                    redact_password(url),
                    e.to_string().trim()
                ))
            })?;
            Ok(DbConnection::Postgres(conn))
        }
    }
}

/// libpq waits for ever on an unresponsive host unless told otherwise.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=5")
    } else {
        format!("{url}?connect_timeout=5")
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        connect(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            DbConnection::Sqlite(c) => c.is_broken(),
            DbConnection::Postgres(c) => c.is_broken(),
        }
    }
}

/// Connections the pool holds beyond `max_size`, for the mail worker and
/// maintenance, which take theirs without waiting in the requests' line
/// (`state::DbGate` lets in `max_size` requests at once).
pub const BACKGROUND_CONNECTIONS: u32 = 2;

/// Connections the pool holds beyond those, one for each thread of
/// `auth::session_reader`.
pub const SESSION_READERS: u32 = 2;

/// Settings of the pool.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a free connection before it gets 503.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    /// Two connections per core, at least 4 and at most 16. Requests wait for a connection
    /// in line (`state::DbGate`), so more connections than the cores can
    /// serve (with PostgreSQL on the same host) only add threads that
    /// compete for them: on two cores a pool of 10 gave `/account` the same
    /// throughput as 4, with a p99 of 14 to 55 ms against 6.
    fn default() -> Self {
        PoolOptions {
            max_size: std::thread::available_parallelism()
                .map(|n| 2 * n.get() as u32)
                .unwrap_or(4)
                .clamp(4, 16),
            connection_timeout: Duration::from_secs(3),
        }
    }
}

/// Prepare the database file (SQLite: WAL, set once before any pool
/// connection exists) and build the pool, failing with the real cause.
pub fn build_pool(url: &DatabaseUrl, options: &PoolOptions) -> Result<Pool, ConnectError> {
    let mut first = connect(url)?;
    if let DbConnection::Sqlite(conn) = &mut first {
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| ConnectError(format!("cannot switch SQLite to WAL: {e}")))?;
    }
    drop(first);
    Ok(build_pool_unchecked(url, options))
}

/// A pool that connects lazily, for a server that must start (and answer
/// `/healthz` with 503) while its database is away. A connection is not
/// pinged when taken (that doubled the round trips of every request): one
/// that broke is found by its first failed query, answered 503, and
/// dropped by the pool, so a PostgreSQL restart costs at most one failed
/// request per pooled connection. A SQLite file never drops its connection.
pub fn build_pool_unchecked(url: &DatabaseUrl, options: &PoolOptions) -> Pool {
    r2d2::Pool::builder()
        .max_size(options.max_size + BACKGROUND_CONNECTIONS + SESSION_READERS)
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(false)
        .build_unchecked(Manager::new(url.clone()))
}

/// Apply every migration not yet applied; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .len(),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .len(),
    };
    Ok(applied)
}

/// Apply the migrations not yet applied that come before the one whose
/// name starts with `stop_at` (e.g. `2026-12-05-000008`); returns how many
/// ran. For tests of a migration's data step: rows written between the two
/// calls are what an older portal left.
pub fn run_migrations_before(conn: &mut DbConnection, stop_at: &str) -> anyhow::Result<usize> {
    fn before<Db: diesel::backend::Backend>(
        c: &mut impl MigrationHarness<Db>,
        source: EmbeddedMigrations,
        stop_at: &str,
    ) -> anyhow::Result<usize> {
        let pending = c
            .pending_migrations(source)
            .map_err(|e| anyhow::anyhow!("migrations: {e}"))?;
        let mut ran = 0;
        for m in pending.iter() {
            if m.name().to_string().starts_with(stop_at) {
                break;
            }
            c.run_migration(m)
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
            ran += 1;
        }
        Ok(ran)
    }
    match conn {
        DbConnection::Sqlite(c) => before(c, SQLITE_MIGRATIONS, stop_at),
        DbConnection::Postgres(c) => before(c, POSTGRES_MIGRATIONS, stop_at),
    }
}

/// Run `f` in a transaction that may write. On SQLite it starts with
/// `BEGIN IMMEDIATE`, so concurrent writers queue on the busy timeout instead
/// of failing with "database is locked" when a read turns into a write.
/// Commits when `f` returns `Ok`, rolls back otherwise. Inside another
/// transaction it runs in a savepoint of that one.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let depth =
        match conn {
            DbConnection::Sqlite(c) => <AnsiTransactionManager as TransactionManager<
                SqliteConnection,
            >>::transaction_manager_status_mut(c)
            .transaction_depth()?,
            DbConnection::Postgres(c) => <AnsiTransactionManager as TransactionManager<
                PgConnection,
            >>::transaction_manager_status_mut(c)
            .transaction_depth()?,
        };
    if depth.is_some() {
        return conn.transaction(f);
    }
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let outcome = f(conn);
    match outcome {
        Ok(value) => {
            let committed = match conn {
                DbConnection::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
                DbConnection::Postgres(c) => AnsiTransactionManager::commit_transaction(c),
            };
            match committed {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = rollback(conn);
                    Err(e.into())
                }
            }
        }
        Err(e) => {
            rollback(conn)?;
            Err(e)
        }
    }
}

fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
        DbConnection::Postgres(c) => AnsiTransactionManager::rollback_transaction(c),
    }
}

/// True when the error means the database is away or too busy, rather than
/// that the request was wrong: the answer is 503, not 500.
pub fn is_unavailable(err: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match err {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
        | Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message().to_ascii_lowercase();
            message.contains("database is locked")
                || message.contains("database is busy")
                || message.contains("deadlock detected")
                || message.contains("terminating connection")
        }
        _ => false,
    }
}

/// True when the error is a unique-constraint violation (on either backend).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db"),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db"),
            DatabaseUrl::Postgres("postgresql://h/db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/p.db"),
            DatabaseUrl::Sqlite("data/p.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("license-portal.db"),
            DatabaseUrl::Sqlite("license-portal.db".into())
        );
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_password("postgres://me:s3cret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(redact_password("postgres://me@db/x"), "postgres://me@db/x");
    }
}

/// `column IN (subquery LIMIT 5)`, with the 5 written into the statement.
/// Diesel's `.limit()` always binds its value, and SQLite plans a subquery's
/// `ORDER BY ... LIMIT ?` with the bound value, so it prepared such a
/// statement again at every execution: the overview's five newest orders
/// (`LicenseOrder::overview_rows`), read with the session, took `/account`
/// on SQLite from 27,000 requests/s to 5,000.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct InFirstFive<C, S> {
    column: C,
    subquery: S,
}

/// `column IN (subquery LIMIT 5)`: see [`InFirstFive`].
pub fn in_first_five<C, S>(column: C, subquery: S) -> InFirstFive<C, S> {
    InFirstFive { column, subquery }
}

impl<C: diesel::Expression, S> diesel::Expression for InFirstFive<C, S> {
    type SqlType = diesel::sql_types::Bool;
}

impl<C, S, DB> diesel::query_builder::QueryFragment<DB> for InFirstFive<C, S>
where
    DB: diesel::backend::Backend,
    C: diesel::query_builder::QueryFragment<DB>,
    S: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> diesel::QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (");
        self.subquery.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT 5)");
        Ok(())
    }
}

impl<C, S, QS> diesel::expression::AppearsOnTable<QS> for InFirstFive<C, S> where
    C: diesel::expression::AppearsOnTable<QS>
{
}

impl<C, S, QS> diesel::expression::SelectableExpression<QS> for InFirstFive<C, S> where
    C: diesel::expression::SelectableExpression<QS>
{
}

impl<C, S, GB> diesel::expression::ValidGrouping<GB> for InFirstFive<C, S>
where
    C: diesel::expression::ValidGrouping<GB>,
{
    type IsAggregate = C::IsAggregate;
}
