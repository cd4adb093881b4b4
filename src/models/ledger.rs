//! `license_ledger` (SPEC 12): the one record of licenses over time. Each
//! change of licenses writes a row in the transaction that makes it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::license_ledger;
use crate::db::DbConnection;
pub use crate::domain::ledger::Shortfall;
use crate::domain::ledger::{Effect, LedgerKind, Span};

pub use crate::domain::ledger::NOTICE_DAYS;

/// What is coming for an account's licenses.
#[derive(Clone, Debug, Default)]
pub struct Outlook {
    /// Each future day the figure changes: (day, before, after).
    pub coming: Vec<(NaiveDate, i64, i64)>,
    /// The first day, at most 14 days after licenses end, that is short.
    pub ending_short: Option<Shortfall>,
    /// The first day after today within the account's look-ahead that is
    /// short, and why (SPEC 14).
    pub short_ahead: Option<crate::domain::warnings::ShortDay>,
}

/// The account's rows as spans, all of them or those ahead of a day.
fn load_spans(
    conn: &mut DbConnection,
    account_id: i64,
    ahead_of: Option<NaiveDate>,
) -> QueryResult<Vec<Span>> {
    let mut query = license_ledger::table
        .filter(license_ledger::account_id.eq(account_id))
        .select((
            license_ledger::change,
            license_ledger::starts_on,
            license_ledger::ends_on,
        ))
        .into_boxed::<crate::db::MultiBackend>();
    if let Some(today) = ahead_of {
        query = query.filter(
            license_ledger::starts_on
                .gt(today)
                .or(license_ledger::ends_on.ge(today)),
        );
    }
    let rows: Vec<(i64, NaiveDate, Option<NaiveDate>)> = query.load(conn)?;
    Ok(rows.into_iter().map(span_of).collect())
}

/// A row's change and days as selected.
fn span_of((change, starts_on, ends_on): (i64, NaiveDate, Option<NaiveDate>)) -> Span {
    Span {
        change,
        starts_on,
        ends_on,
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = license_ledger)]
pub struct LedgerRow {
    pub id: i64,
    pub account_id: i64,
    pub change: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[diesel(deserialize_as = String)]
    pub kind: LedgerKind,
    pub order_id: Option<i64>,
    pub login_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = license_ledger)]
pub struct NewLedgerRow {
    pub account_id: i64,
    pub change: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    #[diesel(serialize_as = String)]
    pub kind: LedgerKind,
    pub order_id: Option<i64>,
    pub login_id: Option<i64>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

impl NewLedgerRow {
    pub fn span(&self) -> Span {
        span_of((self.change, self.starts_on, self.ends_on))
    }
}

impl LedgerRow {
    pub fn span(&self) -> Span {
        span_of((self.change, self.starts_on, self.ends_on))
    }

    pub fn insert(conn: &mut DbConnection, new: &NewLedgerRow) -> QueryResult<()> {
        diesel::insert_into(license_ledger::table)
            .values(new.clone())
            .execute(conn)?;
        Ok(())
    }

    /// The account's rows, newest first (by first day, then by when made).
    pub fn of_account(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<LedgerRow>> {
        license_ledger::table
            .filter(license_ledger::account_id.eq(account_id))
            .order((license_ledger::starts_on.desc(), license_ledger::id.desc()))
            .select(LedgerRow::as_select())
            .load(conn)
    }

    /// The account's rows, newest first, each with its order's reference.
    pub fn entries(
        conn: &mut DbConnection,
        account_id: i64,
    ) -> QueryResult<Vec<(LedgerRow, Option<String>)>> {
        use crate::db::schema::license_orders;
        license_ledger::table
            .left_join(
                license_orders::table
                    .on(license_orders::id.nullable().eq(license_ledger::order_id)),
            )
            .filter(license_ledger::account_id.eq(account_id))
            .order((license_ledger::starts_on.desc(), license_ledger::id.desc()))
            .select((LedgerRow::as_select(), license_orders::reference.nullable()))
            .load::<(LedgerRow, Option<String>)>(conn)
    }

    /// The account's rows as spans: all the ledger rule needs.
    pub fn spans(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<Span>> {
        load_spans(conn, account_id, None)
    }

    /// The account's rows that start after `today` or end on it or later:
    /// the only ones a coming change comes from.
    pub fn spans_ahead(
        conn: &mut DbConnection,
        account_id: i64,
        today: NaiveDate,
    ) -> QueryResult<Vec<Span>> {
        load_spans(conn, account_id, Some(today))
    }

    /// Licenses owned on `day`, from one query over the account's rows:
    /// `None` for a day before its first row (a snapshot answers for it).
    pub fn owned_on(
        conn: &mut DbConnection,
        account_id: i64,
        day: NaiveDate,
    ) -> QueryResult<Option<i64>> {
        let spans = LedgerRow::spans(conn, account_id)?;
        Ok(crate::domain::ledger::owned_on_recorded(&spans, day))
    }

    /// What an order does, in figures (`None` for an addition for good
    /// from approval, whose page says it in the order's own summary, and
    /// for an order that was never approved).
    pub fn effect_of(
        conn: &mut DbConnection,
        order: &crate::models::LicenseOrder,
        today: NaiveDate,
    ) -> QueryResult<Option<Effect>> {
        use crate::domain::orders::{OrderKind, OrderStatus};
        if order.kind == OrderKind::Add && order.starts_on.is_none() && order.ends_on.is_none() {
            return Ok(None);
        }
        let (span, counted_in) = match order.status {
            OrderStatus::Approved => match LedgerRow::of_order(conn, order.id)? {
                Some(row) => (
                    Span {
                        change: row.change,
                        starts_on: row.starts_on,
                        ends_on: row.ends_on,
                    },
                    true,
                ),
                None => return Ok(None),
            },
            OrderStatus::Pending => (
                Span {
                    change: order.kind.change(order.quantity),
                    starts_on: order.starts_on.map_or(today, |d| d.max(today)),
                    ends_on: order.ends_on,
                },
                false,
            ),
            OrderStatus::Rejected | OrderStatus::Cancelled => return Ok(None),
        };
        let spans = LedgerRow::spans(conn, order.account_id)?;
        Ok(Some(Effect::of(
            &spans,
            span,
            order.kind,
            order.quantity,
            counted_in,
        )))
    }

    /// The first day from `from` on whose licenses owned (over `spans`)
    /// fall below the users counted then as forecast now (or below 0),
    /// with both figures (`domain::ledger::first_short`): two queries,
    /// however many days the licenses change on.
    pub fn first_short(
        conn: &mut DbConnection,
        account_id: i64,
        spans: &[Span],
        from: NaiveDate,
    ) -> QueryResult<Option<Shortfall>> {
        let last = crate::domain::ledger::figures_from(spans, from)
            .last()
            .map_or(from, |&(day, _)| day);
        let counted = crate::models::User::count_counted(conn, account_id, from)?;
        let ends = crate::models::User::end_dates_between(conn, account_id, from, last)?;
        Ok(crate::domain::ledger::first_short(
            spans, from, counted, &ends,
        ))
    }

    /// What is coming for an account: `coming`, the changes swept from its
    /// rows `ahead` (`domain::ledger::coming_from`), and the first drop
    /// within the notice period that leaves fewer licenses than the users
    /// counted then as forecast now. The forecast never
    /// rises after today (`domain::report::counted_on`), so a count is
    /// read only for a drop below `counted_today`, which is rare.
    pub fn outlook(
        conn: &mut DbConnection,
        account_id: i64,
        counted_today: i64,
        ahead: &[Span],
        coming: Vec<(NaiveDate, i64, i64)>,
        today: NaiveDate,
        look_ahead: i32,
    ) -> QueryResult<Outlook> {
        let mut counts: Vec<(NaiveDate, i64)> = Vec::new();
        let mut count_on = |conn: &mut DbConnection, day: NaiveDate| -> QueryResult<i64> {
            if let Some(&(_, n)) = counts.iter().find(|(d, _)| *d == day) {
                return Ok(n);
            }
            let n = crate::models::User::count_counted(conn, account_id, day)?;
            counts.push((day, n));
            Ok(n)
        };
        let mut ending_short = None;
        for (day, owned) in
            crate::domain::ledger::endings_within(&coming, ahead, today, NOTICE_DAYS)
        {
            if owned >= counted_today {
                continue;
            }
            let counted = count_on(conn, day)?;
            if owned < counted {
                ending_short = Some(Shortfall {
                    day,
                    owned,
                    counted,
                });
                break;
            }
        }
        let mut first = None;
        for &(day, _, owned) in coming
            .iter()
            .take_while(|(day, _, _)| (*day - today).num_days() <= i64::from(look_ahead))
        {
            if owned >= counted_today && owned >= 0 {
                continue;
            }
            let counted = count_on(conn, day)?;
            if owned < counted || owned < 0 {
                first = Some(Shortfall {
                    day,
                    owned,
                    counted,
                });
                break;
            }
        }
        let short_ahead = crate::domain::warnings::forecast_short(ahead, today, look_ahead, first);
        Ok(Outlook {
            coming,
            ending_short,
            short_ahead,
        })
    }

    /// The row of an approved order, if written.
    pub fn of_order(conn: &mut DbConnection, order_id: i64) -> QueryResult<Option<LedgerRow>> {
        license_ledger::table
            .filter(license_ledger::order_id.eq(order_id))
            .select(LedgerRow::as_select())
            .first(conn)
            .optional()
    }
}
