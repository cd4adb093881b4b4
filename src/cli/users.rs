//! `license-portal users import --account ID FILE.csv`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::db::DatabaseUrl;
use crate::mail::MailContext;
use crate::ops;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upsert users from a CSV file by employee number, all rows or none.
    Import {
        #[arg(long)]
        account: i64,
        file: PathBuf,
    },
}

pub fn run(url: &DatabaseUrl, cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Import { account, file } => {
            let data =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let mut conn = super::connect_migrated(url)?;
            let outcome = ops::import_users(
                &mut conn,
                &MailContext::from_env(),
                None,
                account,
                &file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                &data,
            )
            .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e))?;
            crate::cli::output::note(format!(
                "{} user(s) added, {} updated in account {}",
                outcome.inserted, outcome.updated, account
            ));
            Ok(())
        }
    }
}
