//! `license-portal token create`: a vendor API token (SPEC 9), printed
//! alone on one line; it is never shown again.

use clap::Subcommand;

use crate::db::DatabaseUrl;
use crate::ops::{self, OpError};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a vendor API token; prints it alone on one line.
    Create {
        /// What the token is for, as lists show it.
        #[arg(long)]
        name: String,
        /// `sync` (read accounts, write their users) or `decide` (read and
        /// decide orders).
        #[arg(long)]
        scope: String,
        /// Bind the token to one account; without it, every account.
        #[arg(long)]
        account: Option<i64>,
        /// Days until it expires (1 to 365); without it, never.
        #[arg(long)]
        days: Option<String>,
    },
}

pub fn run(url: &DatabaseUrl, cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Create {
            name,
            scope,
            account,
            days,
        } => {
            let input =
                ops::TokenInput::parse(&name, &scope, account, days.as_deref().unwrap_or(""), true)
                    .map_err(|(field, e)| {
                        anyhow::anyhow!("{}", ops::cli_field_message(field, e))
                    })?;
            let mut conn = super::connect_migrated(url)?;
            match ops::create_api_token(&mut conn, None, &input) {
                Ok((_, secret)) => {
                    crate::cli::output::result(&secret);
                    Ok(())
                }
                Err(OpError::UnknownAccount) => Err(anyhow::anyhow!(
                    "account: no account with id {}",
                    account.unwrap_or(0)
                )),
                Err(e) => Err(e.into()),
            }
        }
    }
}
