//! `recovery_codes`: a login's one-time codes for when its authenticator is
//! gone (SPEC 8.1). Only their SHA-256 is kept; each works once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::recovery_codes;
use crate::db::DbConnection;

/// Replace a login's codes with new ones (given as hashes).
pub fn replace(
    conn: &mut DbConnection,
    login_id: i64,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    delete_all(conn, login_id)?;
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::login_id.eq(login_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Use a code up; false when it is not one of the login's unused codes.
pub fn use_code(
    conn: &mut DbConnection,
    login_id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::login_id.eq(login_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n >= 1)
}

/// How many unused codes a login has.
pub fn unused(conn: &mut DbConnection, login_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::login_id.eq(login_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

pub fn delete_all(conn: &mut DbConnection, login_id: i64) -> QueryResult<usize> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::login_id.eq(login_id)))
        .execute(conn)
}
