//! `license-portal migrate`: apply pending migrations.

use anyhow::Context;

use crate::db::{self, DatabaseUrl};

pub fn run(url: &DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = db::connect(url).context("cannot reach the database")?;
    let applied = db::run_migrations(&mut conn)?;
    crate::cli::output::note(format!(
        "{applied} migration(s) applied to {} ({})",
        url.redacted(),
        url.backend()
    ));
    Ok(())
}
