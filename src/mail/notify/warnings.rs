//! Warnings before the licenses run short (SPEC 14): who hears of them,
//! and when each goes out once.

use diesel::prelude::*;

use crate::db::schema::accounts;
use crate::db::DbConnection;
use crate::domain::mail::MailKind;
use crate::i18n::Lang;
use crate::models::{now_utc, Account, User};

use super::super::templates::*;
use super::super::{lang_of, Letter, MailContext, MailError};

/// SPEC 14, after anything that changes counts or licenses and when a day
/// starts: the usage warning when the users counted today come to reach
/// the account's threshold (once; again only after being below it), and
/// the forecast warning for the first day within the look-ahead with more
/// users counted than licenses (once per such first day). Each mark is
/// set by an update that holds only where it still has the value read, so
/// of two instances one writes the mails; with no one to tell nothing is
/// marked (as for `over_licenses`).
pub fn warnings(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
) -> Result<(), MailError> {
    let Some(account) = Account::find(conn, account_id)? else {
        return Ok(());
    };
    let counted = User::count_counted(conn, account.id, account.today(ctx.now))?;
    check(conn, ctx, &account, counted)
}

/// `warnings` for an account read, with its `counted` users today.
pub(super) fn check(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account: &Account,
    counted: i64,
) -> Result<(), MailError> {
    use crate::domain::warnings::{forecast_short, reaches, ShortBecause};
    use crate::models::ledger::LedgerRow;
    let today = account.today(ctx.now);
    let (warned, short_for): (bool, Option<chrono::NaiveDate>) = accounts::table
        .find(account.id)
        .select((accounts::threshold_warned, accounts::short_warned_for))
        .first(conn)?;
    let owned = account.licenses_today(conn, today)?;
    let reached = account
        .threshold_percent
        .is_some_and(|t| reaches(counted, owned, t));
    // Only a drop of licenses ahead can make a later day short (the users
    // counted never rise after today).
    let short = match (account.look_ahead_days > 0, account.licenses_until) {
        (true, Some(_)) => {
            let spans = LedgerRow::spans(conn, account.id)?;
            let first = LedgerRow::first_short(conn, account.id, &spans, today)?;
            forecast_short(&spans, today, account.look_ahead_days, first)
        }
        _ => None,
    };
    let usage_due = reached != warned;
    let short_due = short.is_some_and(|s| short_for != Some(s.short.day));
    if !usage_due && !short_due {
        return Ok(());
    }
    // The enabled contacts who take warnings by mail.
    let contacts = super::enabled_contacts(conn, account.id, true)?;
    let now = now_utc();
    let counted_link = ctx.link("/account/users?filter=counted");
    let order_link = ctx.link("/account/order-licenses");
    let settings_link = ctx.link("/account/alerts");
    if usage_due && (!reached || !contacts.is_empty()) {
        let changed = diesel::update(
            accounts::table
                .find(account.id)
                .filter(accounts::threshold_warned.eq(warned)),
        )
        .set(accounts::threshold_warned.eq(reached))
        .execute(conn)?;
        if changed == 1 && reached {
            let percent = crate::domain::warnings::share_percent(counted, owned);
            for (email, language) in &contacts {
                Letter::render(
                    MailKind::UsageThreshold,
                    email,
                    &UsageThreshold {
                        sv: lang_of(language.0) == Lang::Sv,
                        account: &account.name,
                        threshold: account.threshold_percent.unwrap_or_default(),
                        owned,
                        counted,
                        percent,
                        counted_link: &counted_link,
                        order_link: &order_link,
                        settings_link: &settings_link,
                    },
                )?
                .queue(conn, now)?;
            }
        }
    }
    if let (true, Some(short), false) = (short_due, short, contacts.is_empty()) {
        let changed = diesel::update(
            accounts::table.find(account.id).filter(
                accounts::short_warned_for
                    .is_null()
                    .or(accounts::short_warned_for.ne(short.short.day)),
            ),
        )
        .set(accounts::short_warned_for.eq(short.short.day))
        .execute(conn)?;
        if changed == 1 {
            let (ending, reduced_by) = match short.because {
                ShortBecause::TemporaryEnd { ending } => (ending, 0),
                ShortBecause::Reduction { by } => (0, by),
                ShortBecause::Both { ending, by } => (ending, by),
            };
            for (email, language) in &contacts {
                let lang = lang_of(language.0);
                Letter::render(
                    MailKind::ForecastShort,
                    email,
                    &ForecastShort {
                        sv: lang == Lang::Sv,
                        account: &account.name,
                        day: &lang.long_date(short.short.day),
                        owned: short.short.owned,
                        counted: short.short.counted,
                        ending,
                        reduced_by,
                        counted_link: &counted_link,
                        order_link: &order_link,
                        settings_link: &settings_link,
                    },
                )?
                .queue(conn, now)?;
            }
        }
    }
    Ok(())
}
