//! The agreement's renewal coming (SPEC 15): who hears of it, and when it
//! goes out once per renewal day.

use diesel::prelude::*;

use crate::db::schema::accounts;
use crate::db::DbConnection;
use crate::domain::mail::MailKind;
use crate::i18n::Lang;
use crate::models::{now_utc, Account, User};

use super::super::templates::*;
use super::super::{lang_of, Letter, MailContext, MailError};
use super::contacts_of;

/// How many days before the renewal its mail goes (SPEC 15).
pub const RENEWAL_NOTICE_DAYS: i64 = 60;

/// SPEC 15: from 60 days before the agreement renews, tell every enabled
/// contact once per renewal day: the licenses owned and the users counted
/// now, the users counted on the renewal day as forecast, and, when fewer
/// licenses would do, a link to reduce them from that day. The mark is set
/// by an update that holds only where it still has the value read (one
/// instance sends); with no one to tell, nothing is marked.
pub fn renewal_coming(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
) -> Result<(), MailError> {
    use crate::models::ledger::LedgerRow;
    let Some(account) = Account::find(conn, account_id)? else {
        return Ok(());
    };
    let Some(renews_on) = account.renews_on else {
        return Ok(());
    };
    let today = account.today(ctx.now);
    if renews_on <= today || (renews_on - today).num_days() > RENEWAL_NOTICE_DAYS {
        return Ok(());
    }
    let mailed: Option<chrono::NaiveDate> = accounts::table
        .find(account.id)
        .select(accounts::renewal_mailed_for)
        .first(conn)?;
    if mailed == Some(renews_on) {
        return Ok(());
    }
    let contacts = contacts_of(conn, account.id)?;
    if contacts.is_empty() {
        return Ok(());
    }
    // Only while the renewal day is still the one read (staff may have
    // set another meanwhile, and told of it themselves).
    let changed = diesel::update(
        accounts::table
            .find(account.id)
            .filter(accounts::renews_on.eq(renews_on))
            .filter(
                accounts::renewal_mailed_for
                    .is_null()
                    .or(accounts::renewal_mailed_for.ne(renews_on)),
            ),
    )
    .set(accounts::renewal_mailed_for.eq(renews_on))
    .execute(conn)?;
    if changed == 0 {
        return Ok(());
    }
    let owned = account.licenses_today(conn, today)?;
    let counted = User::count_counted(conn, account.id, today)?;
    let forecast = User::count_counted(conn, account.id, renews_on)?;
    let spans = LedgerRow::spans(conn, account.id)?;
    let owned_then = crate::domain::ledger::owned_on(&spans, renews_on);
    let fewer = (owned_then - forecast).max(0);
    let reduce_link = ctx.link(&format!(
        "/account/reduce-licenses?quantity={fewer}&starts_on={renews_on}"
    ));
    let agreement_link = ctx.link("/account/agreement");
    let now = now_utc();
    for (email, language) in contacts {
        let lang = lang_of(language.0);
        Letter::render(
            MailKind::RenewalComing,
            &email,
            &RenewalComing {
                sv: lang == Lang::Sv,
                account: &account.name,
                renews_on: &lang.long_date(renews_on),
                owned,
                counted,
                forecast,
                fewer,
                reduce_link: &reduce_link,
                agreement_link: &agreement_link,
            },
        )?
        .queue(conn, now)?;
    }
    Ok(())
}
