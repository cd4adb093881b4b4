//! `license_orders`: a contact's request for more licenses, and its decision.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{accounts, license_orders, logins};
use crate::db::DbConnection;
use crate::domain::orders::{OrderKind, OrderStatus};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = license_orders)]
pub struct LicenseOrder {
    pub id: i64,
    pub account_id: i64,
    pub quantity: i64,
    pub reference: Option<String>,
    #[diesel(deserialize_as = String)]
    pub status: OrderStatus,
    pub form_token: String,
    pub ordered_by: i64,
    pub ordered_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    #[diesel(deserialize_as = String)]
    pub kind: OrderKind,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// Approved by the account's rule when placed (SPEC 13).
    pub by_rule: bool,
    /// The price per license and month, and its currency, as they stood
    /// when the order was placed (SPEC 15; none without a price).
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    /// The cost shown when it was placed, in hundredths.
    pub cost_minor: Option<i64>,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = license_orders)]
pub struct NewLicenseOrder<'a> {
    pub account_id: i64,
    pub quantity: i64,
    pub reference: Option<&'a str>,
    #[diesel(serialize_as = String)]
    pub status: OrderStatus,
    pub form_token: &'a str,
    pub ordered_by: i64,
    pub ordered_at: NaiveDateTime,
    #[diesel(serialize_as = String)]
    pub kind: OrderKind,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub price_minor: Option<i64>,
    pub currency: Option<&'a str>,
    pub cost_minor: Option<i64>,
}

/// An order with the names around it, for pages.
#[derive(Clone, Debug)]
pub struct OrderView {
    pub order: LicenseOrder,
    pub account_name: String,
    pub account_licenses: i64,
    pub ordered_by: String,
    pub decided_by: Option<String>,
}

impl LicenseOrder {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<LicenseOrder>> {
        license_orders::table
            .find(id)
            .select(LicenseOrder::as_select())
            .first(conn)
            .optional()
    }

    /// The order only if it belongs to `account_id`: another account's order
    /// is answered exactly like one that does not exist.
    pub fn find_in_account(
        conn: &mut DbConnection,
        account_id: i64,
        id: i64,
    ) -> QueryResult<Option<LicenseOrder>> {
        license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .filter(license_orders::id.eq(id))
            .select(LicenseOrder::as_select())
            .first(conn)
            .optional()
    }

    /// The order a form token made; text no token can hold finds none.
    pub fn find_by_form_token(
        conn: &mut DbConnection,
        token: &str,
    ) -> QueryResult<Option<LicenseOrder>> {
        if token.is_empty() || token.len() > 200 || token.chars().any(char::is_control) {
            return Ok(None);
        }
        license_orders::table
            .filter(license_orders::form_token.eq(token))
            .select(LicenseOrder::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConnection, new: &NewLicenseOrder<'_>) -> QueryResult<LicenseOrder> {
        let id = diesel::insert_into(license_orders::table)
            .values(new.clone())
            .returning(license_orders::id)
            .get_result::<i64>(conn)?;
        LicenseOrder::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
    }

    /// What the account's pending orders ask for in all.
    pub fn pending_quantity(conn: &mut DbConnection, account_id: i64) -> QueryResult<(i64, i64)> {
        let rows: Vec<i64> = crate::on_backend!(conn, |c| license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .filter(license_orders::status.eq("pending"))
            .select(license_orders::quantity)
            .load(c))?;
        Ok((rows.len() as i64, rows.iter().sum()))
    }

    /// The account's pending orders and its five newest, newest first: what
    /// `overview_of` sums up.
    pub fn overview_rows(
        conn: &mut DbConnection,
        account_id: i64,
    ) -> QueryResult<Vec<LicenseOrder>> {
        diesel::alias!(license_orders as newest: NewestOrders);
        let newest_ids = newest
            .filter(newest.field(license_orders::account_id).eq(account_id))
            .order(newest.field(license_orders::id).desc())
            .select(newest.field(license_orders::id));
        let rows: Vec<LicenseOrder> = crate::on_backend!(conn, |c| license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .filter(
                license_orders::status
                    .eq(OrderStatus::Pending.as_str())
                    .or(crate::db::in_first_five(license_orders::id, newest_ids))
            )
            .order(license_orders::id.desc())
            .select(LicenseOrder::as_select())
            .load(c))?;
        Ok(rows)
    }

    /// The overview's figures of an account's pending and five newest
    /// orders, newest first (as `overview` and the session's statement read
    /// them): how many are pending, what they ask for, and the five newest.
    pub fn overview_of(rows: Vec<LicenseOrder>) -> ((i64, i64), Vec<LicenseOrder>) {
        let pending: Vec<i64> = rows
            .iter()
            .filter(|o| o.status == OrderStatus::Pending)
            .map(|o| o.quantity)
            .collect();
        // Newest first: the five newest of these are the five newest of all.
        let latest: Vec<LicenseOrder> = rows.into_iter().take(5).collect();
        ((pending.len() as i64, pending.iter().sum()), latest)
    }

    /// What pending orders ask for, per account that has any.
    pub fn pending_by_account(
        conn: &mut DbConnection,
    ) -> QueryResult<std::collections::HashMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = license_orders::table
            .filter(license_orders::status.eq(OrderStatus::Pending.as_str()))
            .select((license_orders::account_id, license_orders::quantity))
            .load(conn)?;
        let mut out = std::collections::HashMap::new();
        for (account, quantity) in rows {
            *out.entry(account).or_insert(0) += quantity;
        }
        Ok(out)
    }

    /// One page of orders, newest first, of one account or of all, of one
    /// status or any, each with the email of the login that ordered; and
    /// how many there are.
    pub fn page_any(
        conn: &mut DbConnection,
        account_id: Option<i64>,
        status: Option<OrderStatus>,
        offset: i64,
        limit: i64,
    ) -> QueryResult<(Vec<(LicenseOrder, String)>, i64)> {
        let filtered = || {
            let mut q = license_orders::table
                .inner_join(logins::table.on(logins::id.eq(license_orders::ordered_by)))
                .into_boxed::<crate::db::MultiBackend>();
            if let Some(id) = account_id {
                q = q.filter(license_orders::account_id.eq(id));
            }
            if let Some(status) = status {
                q = q.filter(license_orders::status.eq(status.as_str()));
            }
            q
        };
        let total = filtered().count().get_result(conn)?;
        let rows = filtered()
            .order(license_orders::id.desc())
            .offset(offset)
            .limit(limit)
            .select((LicenseOrder::as_select(), logins::email))
            .load(conn)?;
        Ok((rows, total))
    }

    /// Orders of one status across accounts, with names: pending oldest
    /// first, decided newest first.
    pub fn queue(
        conn: &mut DbConnection,
        status: OrderStatus,
        offset: i64,
        limit: i64,
    ) -> QueryResult<Vec<OrderView>> {
        let base = license_orders::table
            .inner_join(accounts::table)
            .inner_join(logins::table.on(logins::id.eq(license_orders::ordered_by)))
            .filter(license_orders::status.eq(status.as_str()))
            .select((
                LicenseOrder::as_select(),
                accounts::name,
                accounts::licenses,
                logins::email,
            ))
            .offset(offset)
            .limit(limit);
        let rows: Vec<(LicenseOrder, String, i64, String)> = if status == OrderStatus::Pending {
            base.order((license_orders::ordered_at.asc(), license_orders::id.asc()))
                .load(conn)?
        } else {
            base.order((license_orders::decided_at.desc(), license_orders::id.desc()))
                .load(conn)?
        };
        Ok(rows
            .into_iter()
            .map(
                |(order, account_name, account_licenses, ordered_by)| OrderView {
                    order,
                    account_name,
                    account_licenses,
                    ordered_by,
                    decided_by: None,
                },
            )
            .collect())
    }

    /// How many orders have this status.
    pub fn count_status(conn: &mut DbConnection, status: OrderStatus) -> QueryResult<i64> {
        license_orders::table
            .filter(license_orders::status.eq(status.as_str()))
            .count()
            .get_result(conn)
    }

    /// One page of the account's orders, newest first, and how many there are.
    pub fn page_for_account(
        conn: &mut DbConnection,
        account_id: i64,
        offset: i64,
        limit: i64,
    ) -> QueryResult<(Vec<LicenseOrder>, i64)> {
        let total = license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let rows = license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .order(license_orders::id.desc())
            .offset(offset)
            .limit(limit)
            .select(LicenseOrder::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    /// Move a pending order to `to`, recording who and why. Returns false
    /// (and changes nothing) when the order is no longer pending: the
    /// condition on the status makes a decision happen at most once.
    pub fn decide(
        conn: &mut DbConnection,
        id: i64,
        to: OrderStatus,
        by: Option<i64>,
        at: NaiveDateTime,
        note: Option<&str>,
    ) -> QueryResult<bool> {
        let changed = diesel::update(
            license_orders::table
                .find(id)
                .filter(license_orders::status.eq(OrderStatus::Pending.as_str())),
        )
        .set((
            license_orders::status.eq(to.as_str()),
            license_orders::decided_by.eq(by),
            license_orders::decided_at.eq(Some(at)),
            license_orders::decision_note.eq(note),
        ))
        .execute(conn)?;
        Ok(changed == 1)
    }
}

impl LicenseOrder {
    /// Approve a pending order by its account's rule: at most once.
    pub fn decide_by_rule(
        conn: &mut DbConnection,
        id: i64,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        let changed = diesel::update(
            license_orders::table
                .find(id)
                .filter(license_orders::status.eq(OrderStatus::Pending.as_str())),
        )
        .set((
            license_orders::status.eq(OrderStatus::Approved.as_str()),
            license_orders::decided_by.eq(None::<i64>),
            license_orders::decided_at.eq(Some(at)),
            license_orders::by_rule.eq(true),
        ))
        .execute(conn)?;
        Ok(changed == 1)
    }

    /// The licenses the account's rule approved after `since`.
    pub fn approved_by_rule_since(
        conn: &mut DbConnection,
        account_id: i64,
        since: NaiveDateTime,
    ) -> QueryResult<i64> {
        // Few rows (the rule's own approvals of 30 days), summed here: a
        // SQL sum of BIGINT is NUMERIC on PostgreSQL.
        let rows: Vec<i64> = license_orders::table
            .filter(license_orders::account_id.eq(account_id))
            .filter(license_orders::by_rule.eq(true))
            .filter(license_orders::decided_at.gt(since))
            .select(license_orders::quantity)
            .load(conn)?;
        Ok(rows.iter().sum())
    }

    /// Seconds from placing to deciding of the orders staff (or a token)
    /// approved or rejected after `since`; rule approvals left out.
    pub fn decision_seconds_since(
        conn: &mut DbConnection,
        since: NaiveDateTime,
    ) -> QueryResult<Vec<i64>> {
        let rows: Vec<(NaiveDateTime, Option<NaiveDateTime>)> = license_orders::table
            .filter(license_orders::decided_at.gt(since))
            .filter(license_orders::by_rule.eq(false))
            .filter(license_orders::status.eq_any([
                OrderStatus::Approved.as_str(),
                OrderStatus::Rejected.as_str(),
            ]))
            .select((license_orders::ordered_at, license_orders::decided_at))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter_map(|(placed, decided)| decided.map(|d| (d - placed).num_seconds().max(0)))
            .collect())
    }

    /// When the oldest pending order was placed.
    pub fn oldest_pending(conn: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
        license_orders::table
            .filter(license_orders::status.eq(OrderStatus::Pending.as_str()))
            .select(diesel::dsl::min(license_orders::ordered_at))
            .first(conn)
    }
}

/// The email of a login by id, for showing who ordered or decided.
pub fn login_email(conn: &mut DbConnection, id: i64) -> QueryResult<Option<String>> {
    logins::table
        .find(id)
        .select(logins::email)
        .first(conn)
        .optional()
}
