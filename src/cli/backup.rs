//! `license-portal backup FILE` (SPEC 10): a consistent copy of a SQLite
//! database, safe while the server runs and writes (`VACUUM INTO` reads one
//! snapshot). It refuses an existing FILE, and on PostgreSQL it refuses and
//! names `pg_dump`.

use std::path::Path;

use anyhow::Context;
use diesel::sql_types::Text;
use diesel::RunQueryDsl;

use crate::db::{DatabaseUrl, DbConnection};

pub fn run(url: &DatabaseUrl, file: &Path) -> anyhow::Result<()> {
    if let DatabaseUrl::Postgres(_) = url {
        anyhow::bail!(
            "backup copies a SQLite database; for PostgreSQL use its own tool, for example: \
             pg_dump --format=custom --file={} DATABASE_URL",
            file.display()
        );
    }
    if file.exists() {
        anyhow::bail!(
            "{} already exists; backup never overwrites a file, name a new one",
            file.display()
        );
    }
    let mut conn = super::connect_migrated(url)?;
    let DbConnection::Sqlite(c) = &mut conn else {
        anyhow::bail!("backup copies a SQLite database");
    };
    let target = file.to_string_lossy().into_owned();
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(&target)
        .execute(c)
        .with_context(|| format!("cannot write the backup to {}", file.display()))?;
    crate::cli::output::note(format!(
        "backup written to {} (a consistent copy; restore by stopping the portal and putting it in the database's place)",
        file.display()
    ));
    Ok(())
}
