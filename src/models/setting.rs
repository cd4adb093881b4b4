//! `portal_settings`: small values the portal keeps for itself (the
//! generated session secret).

use diesel::prelude::*;

use crate::db::schema::portal_settings;
use crate::db::{write_transaction, DbConnection};

/// The value under `name`, creating it with `make()` if it is not there yet.
/// Several instances starting at once agree on the first value written.
pub fn get_or_create(
    conn: &mut DbConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(value) = get(conn, name)? {
        return Ok(value);
    }
    let value = make();
    let inserted = write_transaction(conn, |conn| {
        if get(conn, name)?.is_none() {
            diesel::insert_into(portal_settings::table)
                .values((
                    portal_settings::name.eq(name),
                    portal_settings::value.eq(&value),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    });
    match inserted {
        Ok(()) => {}
        // Another instance won the race: read what it wrote.
        Err(e) if crate::db::is_unique_violation(&e) => {}
        Err(e) => return Err(e),
    }
    get(conn, name)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    portal_settings::table
        .find(name)
        .select(portal_settings::value)
        .first(conn)
        .optional()
}

/// Write `value` under `name`, whatever was there: a real write, committed
/// like any other.
pub fn put(conn: &mut DbConnection, name: &str, value: &str) -> QueryResult<()> {
    let row = (
        portal_settings::name.eq(name),
        portal_settings::value.eq(value),
    );
    // The upsert is spelled the same on both backends; diesel's
    // multi-backend connection has no ON CONFLICT, the concrete ones do.
    crate::on_backend!(conn, |c| diesel::insert_into(portal_settings::table)
        .values(row)
        .on_conflict(portal_settings::name)
        .do_update()
        .set(portal_settings::value.eq(value))
        .execute(c))?;
    Ok(())
}
