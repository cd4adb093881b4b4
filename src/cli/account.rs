//! `license-portal account create`.

use clap::Subcommand;

use crate::db::DatabaseUrl;
use crate::domain::counting::DEFAULT_TIME_ZONE;
use crate::ops;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an account; prints its id alone on one line.
    Create {
        #[arg(long)]
        name: String,
        /// Licenses owned, 0 or more.
        #[arg(long, allow_hyphen_values = true)]
        licenses: String,
        /// IANA time zone name.
        #[arg(long, default_value = DEFAULT_TIME_ZONE)]
        time_zone: String,
    },
}

pub fn run(url: &DatabaseUrl, cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Create {
            name,
            licenses,
            time_zone,
        } => {
            let input = ops::AccountInput::parse(&name, &licenses, &time_zone)
                .map_err(|(field, e)| anyhow::anyhow!("{}", ops::cli_field_message(field, e)))?;
            let mut conn = super::connect_migrated(url)?;
            let account = ops::create_account(&mut conn, None, &input, chrono::Utc::now())?;
            crate::cli::output::result(account.id);
            Ok(())
        }
    }
}
