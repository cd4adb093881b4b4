//! `outbox`: every mail, written in the same transaction as the change it
//! reports and sent afterwards by the mail worker (SPEC 7).
//!
//! A worker claims a due mail with a conditional update that pushes its
//! next attempt past the lease: of several instances racing for one row,
//! exactly one update matches. A crash mid-send lets the lease run out, so
//! the mail is tried again (a duplicate is possible only then).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::DbConnection;
use crate::domain::mail::{MailKind, MailStatus, MAX_ATTEMPTS};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxMail {
    pub id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: MailKind,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    #[diesel(deserialize_as = String)]
    pub status: MailStatus,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxMail<'a> {
    pub kind: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

impl OutboxMail {
    pub fn insert(conn: &mut DbConnection, new: &NewOutboxMail<'_>) -> QueryResult<i64> {
        diesel::insert_into(outbox::table)
            .values(new.clone())
            .returning(outbox::id)
            .get_result(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OutboxMail>> {
        outbox::table
            .find(id)
            .select(OutboxMail::as_select())
            .first(conn)
            .optional()
    }

    /// The ids of pending mails due at `now`, oldest first.
    pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
        outbox::table
            .filter(outbox::status.eq(MailStatus::Pending.as_str()))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::id.asc())
            .limit(limit)
            .select(outbox::id)
            .load(conn)
    }

    /// Take a due mail for sending until `lease_until`; false when another
    /// worker took it first or it is no longer due.
    pub fn claim(
        conn: &mut DbConnection,
        id: i64,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
    ) -> QueryResult<bool> {
        let n = diesel::update(
            outbox::table
                .find(id)
                .filter(outbox::status.eq(MailStatus::Pending.as_str()))
                .filter(outbox::next_attempt_at.le(now)),
        )
        .set(outbox::next_attempt_at.eq(lease_until))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Sent: recorded with the body as it may be kept; only by the worker
    /// whose lease it still is (`lease`: the claim's `lease_until`).
    pub fn mark_sent(
        conn: &mut DbConnection,
        id: i64,
        lease: NaiveDateTime,
        at: NaiveDateTime,
        kept_body: &str,
    ) -> QueryResult<usize> {
        diesel::update(
            outbox::table
                .find(id)
                .filter(outbox::next_attempt_at.eq(lease))
                .filter(outbox::status.eq(MailStatus::Pending.as_str())),
        )
        .set((
            outbox::status.eq(MailStatus::Sent.as_str()),
            outbox::sent_at.eq(Some(at)),
            outbox::body.eq(kept_body),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
    }

    /// A failed try: again at `next`, or `failed` after the last one; only
    /// by the worker whose lease it still is.
    pub fn mark_attempt_failed(
        conn: &mut DbConnection,
        mail: &OutboxMail,
        error: &str,
        next: NaiveDateTime,
    ) -> QueryResult<usize> {
        let attempts = mail.attempts + 1;
        let status = if attempts >= MAX_ATTEMPTS {
            MailStatus::Failed
        } else {
            MailStatus::Pending
        };
        let error: String = error.chars().take(500).collect();
        diesel::update(
            outbox::table
                .find(mail.id)
                .filter(outbox::next_attempt_at.eq(mail.next_attempt_at))
                .filter(outbox::status.eq(MailStatus::Pending.as_str())),
        )
        .set((
            outbox::attempts.eq(attempts),
            outbox::status.eq(status.as_str()),
            outbox::next_attempt_at.eq(next),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
    }

    /// Staff send a failed mail again: pending, due now, tries from zero.
    pub fn retry(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
        let n = diesel::update(
            outbox::table
                .find(id)
                .filter(outbox::status.eq(MailStatus::Failed.as_str())),
        )
        .set((
            outbox::status.eq(MailStatus::Pending.as_str()),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Mails waiting or failed, for the staff page: failed first, then by age.
    pub fn unsent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<OutboxMail>> {
        outbox::table
            .filter(outbox::status.ne(MailStatus::Sent.as_str()))
            .order((outbox::status.asc(), outbox::id.asc()))
            .limit(limit)
            .select(OutboxMail::as_select())
            .load(conn)
    }

    /// How many mails have this status.
    pub fn count_status(conn: &mut DbConnection, status: MailStatus) -> QueryResult<i64> {
        outbox::table
            .filter(outbox::status.eq(status.as_str()))
            .count()
            .get_result(conn)
    }

    /// Every mail sent to an address, newest last (tests and the demo).
    pub fn to(conn: &mut DbConnection, address: &str) -> QueryResult<Vec<OutboxMail>> {
        outbox::table
            .filter(outbox::to_address.eq(address))
            .order(outbox::id.asc())
            .select(OutboxMail::as_select())
            .load(conn)
    }
}
