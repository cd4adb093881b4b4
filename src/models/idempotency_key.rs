//! `api_idempotency_keys`: the `Idempotency-Key` of each order placed
//! through the API, per token, with the SHA-256 of the request body, so the
//! same key with the same body answers with the same order and with
//! another body is refused. Kept for `KEEP_HOURS` at least.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::api_idempotency_keys;
use crate::db::DbConnection;

/// Keys older than this are forgotten by the daily maintenance.
pub const KEEP_HOURS: i64 = 48;

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_idempotency_keys)]
pub struct IdempotencyKey {
    pub token_id: i64,
    pub idempotency_key: String,
    pub body_hash: String,
    pub order_id: i64,
    pub created_at: NaiveDateTime,
}

impl IdempotencyKey {
    pub fn find(
        conn: &mut DbConnection,
        token_id: i64,
        key: &str,
    ) -> QueryResult<Option<IdempotencyKey>> {
        api_idempotency_keys::table
            .find((token_id, key))
            .select(IdempotencyKey::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(api_idempotency_keys::table)
            .values(self.clone())
            .execute(conn)?;
        Ok(())
    }

    /// Forget keys made before `before`.
    pub fn purge(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(
            api_idempotency_keys::table.filter(api_idempotency_keys::created_at.lt(before)),
        )
        .execute(conn)
    }
}
