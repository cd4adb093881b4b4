//! The command line (SPEC section 5): one file per subcommand.

pub mod account;
pub mod backup;
pub mod login;
pub mod migrate;
pub mod output;
pub mod serve;
pub mod token;
pub mod users;
pub mod verify;

use clap::{Parser, Subcommand};

use crate::db::{self, DatabaseUrl, DbConnection};

/// The license portal: serve it, or manage its data from the shell.
#[derive(Debug, Parser)]
#[command(name = "license-portal", version, about)]
pub struct Cli {
    /// Database: a SQLite file path, `sqlite://path`, or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "license-portal.db",
        global = false
    )]
    pub database: String,

    /// How every line is written: `text`, or `json` (one JSON object a line,
    /// on both streams).
    #[arg(long, env = "PORTAL_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: output::LogFormat,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve the portal (the default).
    Serve(serve::Opts),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage customer accounts.
    #[command(subcommand)]
    Account(account::Command),
    /// Manage the logins that sign in.
    #[command(subcommand)]
    Login(login::Command),
    /// Manage the vendor's API tokens.
    #[command(subcommand)]
    Token(token::Command),
    /// Manage an account's users (the counted employees).
    #[command(subcommand)]
    Users(users::Command),
    /// Write a consistent copy of a SQLite database to FILE (safe while
    /// the server runs); refuses an existing FILE.
    Backup { file: std::path::PathBuf },
    /// Check, read-only, that the database agrees with itself; prints each
    /// disagreement and exits 1 if there is one.
    Verify,
}

/// Run what the command line asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let url = DatabaseUrl::parse(&cli.database);
    match cli.command {
        None => serve::run(url, serve::Opts::from_env_defaults()),
        Some(Command::Serve(opts)) => serve::run(url, opts),
        Some(Command::Migrate) => migrate::run(&url),
        Some(Command::Account(cmd)) => account::run(&url, cmd),
        Some(Command::Login(cmd)) => login::run(&url, cmd),
        Some(Command::Users(cmd)) => users::run(&url, cmd),
        Some(Command::Token(cmd)) => token::run(&url, cmd),
        Some(Command::Backup { file }) => backup::run(&url, &file),
        Some(Command::Verify) => {
            if verify::run(&url)? {
                Ok(())
            } else {
                Err(anyhow::anyhow!("the database disagrees with itself"))
            }
        }
    }
}

/// One connection with migrations applied, for the data commands.
pub(crate) fn connect_migrated(url: &DatabaseUrl) -> anyhow::Result<DbConnection> {
    let mut conn = db::connect(url)?;
    if let DbConnection::Sqlite(_) = conn {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
