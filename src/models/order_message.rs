//! `order_messages`: a word on an order, from its customer or the vendor
//! (SPEC 13). Plain text, kept as written; pages show it escaped.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{logins, order_messages};
use crate::db::DbConnection;
use crate::domain::roles::Role;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = order_messages)]
pub struct OrderMessage {
    pub id: i64,
    pub order_id: i64,
    pub login_id: Option<i64>,
    pub at: NaiveDateTime,
    pub body: String,
}

#[derive(Insertable)]
#[diesel(table_name = order_messages)]
struct NewOrderMessage<'a> {
    order_id: i64,
    login_id: Option<i64>,
    at: NaiveDateTime,
    body: &'a str,
}

/// A message with who wrote it: their email and whether they are staff
/// (a message with no login is the vendor's, from a command-line token).
#[derive(Clone, Debug)]
pub struct MessageView {
    pub message: OrderMessage,
    pub from: Option<String>,
    pub from_vendor: bool,
}

/// Who wrote last on a pending order (the queue's mark).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastWord {
    /// The vendor wrote last: waiting for the customer.
    Vendor,
    /// The customer wrote after the vendor: answered.
    Answered,
}

impl OrderMessage {
    pub fn insert(
        conn: &mut DbConnection,
        order_id: i64,
        login_id: Option<i64>,
        at: NaiveDateTime,
        body: &str,
    ) -> QueryResult<OrderMessage> {
        crate::on_backend!(conn, |c| diesel::insert_into(order_messages::table)
            .values(&NewOrderMessage {
                order_id,
                login_id,
                at,
                body,
            })
            .returning(OrderMessage::as_returning())
            .get_result(c))
    }

    /// An order's messages, oldest first, with who wrote each.
    pub fn of_order(conn: &mut DbConnection, order_id: i64) -> QueryResult<Vec<MessageView>> {
        let rows: Vec<(OrderMessage, Option<(String, String)>)> = order_messages::table
            .left_join(logins::table)
            .filter(order_messages::order_id.eq(order_id))
            .order(order_messages::id.asc())
            .select((
                OrderMessage::as_select(),
                (logins::email, logins::role).nullable(),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(message, login)| MessageView {
                from_vendor: login
                    .as_ref()
                    .is_none_or(|(_, role)| role == Role::Staff.as_str()),
                from: login.map(|(email, _)| email),
                message,
            })
            .collect())
    }

    /// The logins of the account's side who wrote on an order.
    pub fn customer_writers(conn: &mut DbConnection, order_id: i64) -> QueryResult<Vec<i64>> {
        order_messages::table
            .inner_join(logins::table)
            .filter(order_messages::order_id.eq(order_id))
            .filter(logins::role.ne(Role::Staff.as_str()))
            .select(logins::id)
            .distinct()
            .load(conn)
    }

    /// For each of `order_ids` with messages, who wrote last: the queue's
    /// marks, one query for a page of orders.
    pub fn last_words(
        conn: &mut DbConnection,
        order_ids: &[i64],
    ) -> QueryResult<HashMap<i64, LastWord>> {
        if order_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, Option<String>)> = order_messages::table
            .left_join(logins::table)
            .filter(order_messages::order_id.eq_any(order_ids.to_vec()))
            .order((order_messages::order_id.asc(), order_messages::id.asc()))
            .select((order_messages::order_id, logins::role.nullable()))
            .load(conn)?;
        let mut last: HashMap<i64, (bool, bool)> = HashMap::new();
        // Per order: whether the vendor has written, and whether the last
        // word is the vendor's.
        for (order_id, role) in rows {
            let vendor = role.as_deref().is_none_or(|r| r == Role::Staff.as_str());
            let entry = last.entry(order_id).or_insert((false, false));
            entry.0 |= vendor;
            entry.1 = vendor;
        }
        Ok(last
            .into_iter()
            .filter_map(
                |(id, (vendor_wrote, vendor_last))| match (vendor_wrote, vendor_last) {
                    (true, true) => Some((id, LastWord::Vendor)),
                    (true, false) => Some((id, LastWord::Answered)),
                    (false, _) => None,
                },
            )
            .collect())
    }
}
