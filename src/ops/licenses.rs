//! Licenses over time (SPEC 12): a staff adjustment, the one path every
//! change of licenses takes into the ledger, and the day turning.

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{write_transaction, DbConnection};
pub use crate::domain::ledger::Period;
use crate::domain::ledger::{self, LedgerKind, Span};
use crate::domain::orders::{Clash, MAX_LICENSES};
use crate::mail::{notify, MailContext};
use crate::models::ledger::{LedgerRow, NewLedgerRow};
use crate::models::{now_utc, Account, AuditEvent};

use super::*;

/// Staff adjust an account's licenses by a signed change, with a reason,
/// for good or for a period. Never below 0 on any day (staff may go below
/// the users counted).
pub fn adjust_licenses(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    account_id: i64,
    change: i64,
    period: Period,
    reason: &str,
) -> Result<(i64, i64), OpError> {
    write_transaction(conn, |conn| {
        let (before, after) = write_row(
            conn,
            ctx.now,
            Entry {
                account_id,
                change,
                period,
                kind: LedgerKind::Adjustment,
                order_id: None,
                login_id: by,
                reason: Some(reason.to_string()),
                keep_counted: false,
            },
        )?;
        AuditEvent::licenses_adjusted(by, account_id, change, before, after, reason)
            .insert(conn)?;
        notify::figures_changed(conn, ctx, account_id)?;
        notify::licenses_ending(conn, ctx, account_id)?;
        Ok((before, after))
    })
}

/// A change about to enter the ledger.
pub(super) struct Entry {
    pub account_id: i64,
    pub change: i64,
    pub period: Period,
    pub kind: LedgerKind,
    pub order_id: Option<i64>,
    pub login_id: Option<i64>,
    pub reason: Option<String>,
    /// A reduction: refused when, on any day from its first on, fewer
    /// licenses would be owned than users counted as forecast now.
    pub keep_counted: bool,
}

/// Whether a reduction, as asked, would leave some day from its first on
/// with fewer licenses than users counted then as forecast now: the check
/// when it is placed (the same check runs again at approval).
pub(super) fn reduction_short(
    conn: &mut DbConnection,
    account_id: i64,
    input: &super::OrderInput,
) -> Result<Option<Clash>, OpError> {
    let Some(starts_on) = input.period.starts_on else {
        return Ok(None);
    };
    let mut spans = LedgerRow::spans(conn, account_id)?;
    spans.push(Span {
        change: -input.quantity,
        starts_on,
        ends_on: None,
    });
    Ok(LedgerRow::first_short(conn, account_id, &spans, starts_on)?.map(Clash::Short))
}

/// Inside a write transaction: write one ledger row, refused when any day
/// from today on would own fewer than 0 or more than the maximum, and keep
/// `accounts.licenses` today's figure. Returns today's figure before and
/// after. A period that starts before today starts today.
pub(super) fn write_row(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    entry: Entry,
) -> Result<(i64, i64), OpError> {
    Account::lock_row(conn, entry.account_id)?;
    let account = Account::find(conn, entry.account_id)?.ok_or(OpError::NotFound)?;
    let today = account.today(now);
    let mut spans = LedgerRow::spans(conn, account.id)?;
    let before = account.ledger_figure(&spans, today);
    let starts_on = entry.period.starts_on.map_or(today, |d| d.max(today));
    if entry.period.ends_on.is_some_and(|end| end < starts_on) {
        return Err(OpError::Clash(Clash::PeriodPassed));
    }
    if entry.change == 0 {
        return Err(OpError::LicenseBounds);
    }
    let row = NewLedgerRow {
        account_id: account.id,
        change: entry.change,
        starts_on,
        ends_on: entry.period.ends_on,
        kind: entry.kind,
        order_id: entry.order_id,
        login_id: entry.login_id,
        reason: entry.reason,
        created_at: now_utc(),
    };
    spans.push(row.span());
    if entry.keep_counted {
        if let Some(short) = LedgerRow::first_short(conn, account.id, &spans, starts_on)? {
            return Err(OpError::Clash(Clash::Short(short)));
        }
    }
    if ledger::first_out_of_bounds(&spans, today, 0, MAX_LICENSES).is_some() {
        return Err(OpError::LicenseBounds);
    }
    LedgerRow::insert(conn, &row)?;
    let after = settle(conn, &account, &spans, today)?;
    Ok((before, after))
}

/// Write today's figure and the last day it holds; returns the figure.
fn settle(
    conn: &mut DbConnection,
    account: &Account,
    spans: &[Span],
    today: NaiveDate,
) -> Result<i64, OpError> {
    let figure = account.ledger_figure(spans, today);
    let ahead: Vec<Span> = spans
        .iter()
        .filter(|s| s.ahead_of(today))
        .copied()
        .collect();
    Account::set_licenses(
        conn,
        account.id,
        figure,
        ledger::holds_until(spans, today),
        &ahead,
    )?;
    Ok(figure)
}

/// The account's starting licenses, from its creation day.
pub(super) fn initial_row(
    conn: &mut DbConnection,
    account: &Account,
    now: DateTime<Utc>,
) -> Result<(), OpError> {
    if account.licenses == 0 {
        return Ok(());
    }
    let today = account.today(now);
    LedgerRow::insert(
        conn,
        &NewLedgerRow {
            account_id: account.id,
            change: account.licenses,
            starts_on: today,
            ends_on: None,
            kind: LedgerKind::Initial,
            order_id: None,
            login_id: None,
            reason: None,
            created_at: now_utc(),
        },
    )?;
    Ok(())
}

/// A day has turned: write today's figure for every account whose ledger
/// changed with it, and mail the contacts of any that so came to own fewer
/// licenses than the users counted. How many accounts changed.
pub fn roll_days(conn: &mut DbConnection, ctx: &MailContext) -> Result<usize, OpError> {
    let mut rolled = 0;
    for account in Account::with_change_due(conn, ctx.now.date_naive())? {
        if !account.licenses_stale(account.today(ctx.now)) {
            continue;
        }
        rolled += write_transaction(conn, |conn| {
            Account::lock_row(conn, account.id)?;
            let Some(account) = Account::find(conn, account.id)? else {
                return Ok::<_, OpError>(0);
            };
            let today = account.today(ctx.now);
            if !account.licenses_stale(today) {
                return Ok(0);
            }
            let spans = LedgerRow::spans(conn, account.id)?;
            settle(conn, &account, &spans, today)?;
            notify::figures_changed(conn, ctx, account.id)?;
            Ok(1)
        })?;
    }
    Ok(rolled)
}
