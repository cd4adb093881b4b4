//! `accounts`: a customer account and the licenses it owns.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;

use crate::db::schema::accounts;
use crate::db::DbConnection;
use crate::domain::counting::{self, DEFAULT_TIME_ZONE};
use crate::models::User;

#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub licenses: i64,
    pub time_zone: String,
    pub created_at: NaiveDateTime,
    /// The last day `licenses` holds (null: no change is coming).
    #[serde(default)]
    pub licenses_until: Option<chrono::NaiveDate>,
    /// The ledger rows ahead when it was written (JSON), while a change is
    /// coming: what the overview lists, with no query of its own.
    #[serde(skip)]
    #[diesel(deserialize_as = Option<String>)]
    pub licenses_ahead: AheadText,
    /// The approval rule (SPEC 13): orders adding at most this many are
    /// approved when placed (0: no rule).
    #[serde(default)]
    pub rule_max_quantity: i64,
    /// ... while the rule's approvals of the 30 days before add up to at
    /// most this many (0: no rule).
    #[serde(default)]
    pub rule_max_per_30_days: i64,
    /// The usage warning's threshold in percent (SPEC 14; null: off).
    #[serde(default)]
    pub threshold_percent: Option<i32>,
    /// How many days ahead the forecast warning looks (0: off).
    #[serde(default = "default_look_ahead")]
    pub look_ahead_days: i32,
    /// The agreement (SPEC 15): the price per license and month in
    /// hundredths (null: no prices anywhere), its currency, billing and
    /// the next renewal day.
    #[serde(default)]
    pub price_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub billing: Option<String>,
    #[serde(default)]
    pub renews_on: Option<chrono::NaiveDate>,
}

fn default_look_ahead() -> i32 {
    crate::domain::warnings::DEFAULT_LOOK_AHEAD_DAYS
}

/// `accounts.licenses_ahead` as read, shared rather than copied: an
/// account is cloned several times a request, and this text is the
/// longest part of it (a kept account without it reads the ledger).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AheadText(pub Option<std::sync::Arc<str>>);

impl From<Option<String>> for AheadText {
    fn from(text: Option<String>) -> AheadText {
        AheadText(text.map(Into::into))
    }
}

impl AheadText {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[derive(Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub name: &'a str,
    pub licenses: i64,
    pub time_zone: &'a str,
    pub created_at: NaiveDateTime,
}

/// An account with its figures, for lists.
#[derive(Clone, Debug)]
pub struct AccountUsage {
    pub account: Account,
    pub counted: i64,
}

impl AccountUsage {
    pub fn free(&self) -> i64 {
        counting::free_licenses(self.account.licenses, self.counted)
    }
}

impl Account {
    /// The account's time zone (the default if the stored name is unknown).
    pub fn tz(&self) -> Tz {
        counting::parse_time_zone(&self.time_zone)
            .or_else(|| counting::parse_time_zone(DEFAULT_TIME_ZONE))
            .unwrap_or(chrono_tz::UTC)
    }

    /// "Today" for this account.
    pub fn today(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        counting::today_in(self.tz(), now)
    }

    /// The account's approval rule (SPEC 13).
    pub fn rule(&self) -> crate::domain::orders::Rule {
        crate::domain::orders::Rule {
            max_quantity: self.rule_max_quantity,
            max_per_30_days: self.rule_max_per_30_days,
        }
    }

    pub fn set_rule(
        conn: &mut DbConnection,
        id: i64,
        rule: crate::domain::orders::Rule,
    ) -> QueryResult<bool> {
        let changed = diesel::update(accounts::table.find(id))
            .set((
                accounts::rule_max_quantity.eq(rule.max_quantity),
                accounts::rule_max_per_30_days.eq(rule.max_per_30_days),
            ))
            .execute(conn)?;
        Ok(changed == 1)
    }

    /// The account's warnings as set (SPEC 14).
    pub fn alerts(&self) -> crate::domain::warnings::Alerts {
        crate::domain::warnings::Alerts {
            threshold_percent: self.threshold_percent,
            look_ahead_days: self.look_ahead_days,
        }
    }

    /// Set the account's warnings. The marks stay: a threshold lowered
    /// below a share already told of tells nothing new (the share has not
    /// crossed it again), one raised above it clears its mark at the next
    /// check; a longer look-ahead tells of a first short day not yet told.
    /// Saving the same settings again sends nothing.
    pub fn set_alerts(
        conn: &mut DbConnection,
        id: i64,
        alerts: crate::domain::warnings::Alerts,
    ) -> QueryResult<bool> {
        let changed = diesel::update(accounts::table.find(id))
            .set((
                accounts::threshold_percent.eq(alerts.threshold_percent),
                accounts::look_ahead_days.eq(alerts.look_ahead_days),
            ))
            .execute(conn)?;
        Ok(changed == 1)
    }

    /// The account's agreement as stored (SPEC 15).
    pub fn agreement(&self) -> crate::domain::money::Agreement {
        crate::domain::money::Agreement {
            price_minor: self.price_minor,
            currency: self.currency.clone(),
            billing: self.billing.clone(),
            renews_on: self.renews_on,
        }
    }

    /// The account's price and currency, when it has prices.
    pub fn price(&self) -> Option<(i64, &str)> {
        Some((self.price_minor?, self.currency.as_deref()?))
    }

    pub fn set_agreement(
        conn: &mut DbConnection,
        id: i64,
        a: &crate::domain::money::Agreement,
    ) -> QueryResult<bool> {
        let changed = diesel::update(accounts::table.find(id))
            .set((
                accounts::price_minor.eq(a.price_minor),
                accounts::currency.eq(&a.currency),
                accounts::billing.eq(&a.billing),
                accounts::renews_on.eq(a.renews_on),
            ))
            .execute(conn)?;
        Ok(changed == 1)
    }

    /// Inside a write transaction: hold the account's row until it commits,
    /// so that every change of its users, and every change of its licenses,
    /// runs one at a time (PostgreSQL's `FOR UPDATE`; SQLite's write
    /// transaction holds the whole database already). The users sync
    /// rewrites the account's `user_counts` and must not interleave with the
    /// triggers of another writer; a ledger change reads the rows it checks.
    pub fn lock_row(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        if let DbConnection::Postgres(c) = conn {
            accounts::table
                .find(id)
                .select(accounts::id)
                .for_update()
                .first::<i64>(c)
                .optional()?;
        }
        Ok(())
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Account>> {
        accounts::table
            .find(id)
            .select(Account::as_select())
            .first(conn)
            .optional()
    }

    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Account>> {
        accounts::table
            .order(accounts::name.asc())
            .select(Account::as_select())
            .load(conn)
    }

    pub fn insert(conn: &mut DbConnection, new: &NewAccount<'_>) -> QueryResult<Account> {
        let id = diesel::insert_into(accounts::table)
            .values(new)
            .returning(accounts::id)
            .get_result::<i64>(conn)?;
        Account::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
    }

    /// Keep today's figure and the last day it holds (SPEC 12): written in
    /// the transaction of every ledger change and when a day turns.
    pub fn set_licenses(
        conn: &mut DbConnection,
        id: i64,
        licenses: i64,
        until: Option<chrono::NaiveDate>,
        ahead: &[crate::domain::ledger::Span],
    ) -> QueryResult<()> {
        let ahead = until.map(|_| crate::domain::ledger::Span::encode(ahead));
        diesel::update(accounts::table.find(id))
            .set((
                accounts::licenses.eq(licenses),
                accounts::licenses_until.eq(until),
                accounts::licenses_ahead.eq(ahead),
            ))
            .execute(conn)?;
        Ok(())
    }

    /// Whether the stored figure is not today's: a ledger row started or
    /// ended since it was written.
    pub fn licenses_stale(&self, today: chrono::NaiveDate) -> bool {
        self.licenses_until.is_some_and(|until| until < today)
    }

    /// The ledger's figure for `today` over the account's rows: the stored
    /// figure for a day before its first row (a snapshot's day).
    pub fn ledger_figure(
        &self,
        spans: &[crate::domain::ledger::Span],
        today: chrono::NaiveDate,
    ) -> i64 {
        crate::domain::ledger::owned_on_recorded(spans, today).unwrap_or(self.licenses)
    }

    /// Today's figure of licenses: the stored one, or, on the first
    /// requests of a day a row starts or ends (before the server's round
    /// writes it), the ledger's. Reads only, and only then.
    pub fn licenses_today(
        &self,
        conn: &mut DbConnection,
        today: chrono::NaiveDate,
    ) -> QueryResult<i64> {
        if !self.licenses_stale(today) {
            return Ok(self.licenses);
        }
        let spans = super::ledger::LedgerRow::spans(conn, self.id)?;
        Ok(self.ledger_figure(&spans, today))
    }

    /// The account with today's figure of licenses (`licenses_today`).
    pub fn as_of(
        mut self,
        conn: &mut DbConnection,
        today: chrono::NaiveDate,
    ) -> QueryResult<Account> {
        self.licenses = self.licenses_today(conn, today)?;
        Ok(self)
    }

    /// Accounts whose figure may be stale on `utc_day` (no zone is more
    /// than a day ahead of UTC): the few with a change coming.
    pub fn with_change_due(
        conn: &mut DbConnection,
        utc_day: chrono::NaiveDate,
    ) -> QueryResult<Vec<Account>> {
        accounts::table
            .filter(accounts::licenses_until.le(utc_day))
            .select(Account::as_select())
            .load(conn)
    }

    /// Every account with its users counted on its own "today", over-licensed
    /// first, then by name. One aggregate over the per-end-date counts for
    /// each distinct "today" (accounts in most zones share one).
    pub fn usage_list(
        conn: &mut DbConnection,
        now: chrono::DateTime<chrono::Utc>,
    ) -> QueryResult<Vec<AccountUsage>> {
        let all = Account::all(conn)?;
        let mut by_day: std::collections::BTreeMap<chrono::NaiveDate, Vec<i64>> =
            Default::default();
        for a in &all {
            by_day.entry(a.today(now)).or_default().push(a.id);
        }
        let single = by_day.len() == 1;
        let mut counts = std::collections::HashMap::new();
        for (day, ids) in &by_day {
            let filter = if single { None } else { Some(ids.as_slice()) };
            counts.extend(User::count_counted_all(conn, *day, filter)?);
        }
        let mut out: Vec<AccountUsage> = all
            .into_iter()
            .map(|account| {
                let counted = counts.get(&account.id).copied().unwrap_or(0);
                AccountUsage { account, counted }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.free() >= 0)
                .cmp(&(b.free() >= 0))
                .then(a.free().cmp(&b.free()))
                .then(a.account.name.cmp(&b.account.name))
        });
        Ok(out)
    }
}
