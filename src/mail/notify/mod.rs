//! What each change tells whom (SPEC 7's table). Every function here runs
//! inside the caller's write transaction, so a mail is written exactly when
//! its change is.

use diesel::prelude::*;

use crate::db::schema::{accounts, logins};
use crate::db::DbConnection;
use crate::domain::counting::suggested_quantity;
use crate::domain::mail::MailKind;
use crate::domain::orders::OrderStatus;
use crate::domain::roles::Role;
use crate::i18n::Lang;
use crate::models::login::LangColumn;
use crate::models::login_token::{LoginToken, Purpose};
use crate::models::{now_utc, Account, LicenseOrder, Login, User};

mod renewal;
mod warnings;

pub use renewal::{renewal_coming, RENEWAL_NOTICE_DAYS};
pub use warnings::warnings;

use super::templates::*;
use super::{lang_of, Letter, MailContext, MailError};

fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// An invitation with a new one-time link (ending the login's earlier
/// ones). Returns the link, for the command line to print.
pub fn invitation(
    conn: &mut DbConnection,
    ctx: &MailContext,
    login: &Login,
) -> Result<String, MailError> {
    let now = now_utc();
    let (token, expires) = LoginToken::issue(conn, login.id, Purpose::Invitation, now)?;
    let link = ctx.link(&format!("/invitation/{token}"));
    let account = match login.account_id {
        Some(id) => Account::find(conn, id)?.map(|a| a.name),
        None => None,
    };
    let letter = Letter::render(
        MailKind::Invitation,
        &login.email,
        &Invitation {
            sv: lang_of(login.language) == Lang::Sv,
            name: login.display_name(),
            account: account.as_deref(),
            link: &link,
            expires: &when(expires),
            sign_in: &ctx.link("/login"),
        },
    )?;
    letter.queue(conn, now)?;
    Ok(link)
}

/// A reset link for an enabled login, unless it had 3 in the last hour.
/// Returns whether a mail was written.
pub fn password_reset(
    conn: &mut DbConnection,
    ctx: &MailContext,
    login: &Login,
) -> Result<bool, MailError> {
    let now = now_utc();
    if login.disabled
        || LoginToken::resets_since(conn, login.id, now - chrono::Duration::hours(1))? >= 3
    {
        return Ok(false);
    }
    let (token, expires) = LoginToken::issue(conn, login.id, Purpose::PasswordReset, now)?;
    let letter = Letter::render(
        MailKind::PasswordReset,
        &login.email,
        &PasswordReset {
            sv: lang_of(login.language) == Lang::Sv,
            link: &ctx.link(&format!("/reset/{token}")),
            expires: &when(expires),
        },
    )?;
    letter.queue(conn, now)?;
    Ok(true)
}

/// Tell a login its password was changed or reset (a warning with no link:
/// what to do is said in words).
pub fn password_changed(conn: &mut DbConnection, login: &Login) -> Result<(), MailError> {
    let now = now_utc();
    Letter::render(
        MailKind::PasswordChanged,
        &login.email,
        &PasswordChanged {
            sv: lang_of(login.language) == Lang::Sv,
            email: &login.email,
            at: &when(now),
        },
    )?
    .queue(conn, now)?;
    Ok(())
}

/// The order desk: the configured addresses (each in its staff login's
/// language, else English), or every enabled staff login.
fn order_desk(
    conn: &mut DbConnection,
    ctx: &MailContext,
) -> Result<Vec<(String, Lang)>, MailError> {
    let staff: Vec<(String, LangColumn)> = logins::table
        .filter(logins::role.eq(Role::Staff.as_str()))
        .filter(logins::disabled.eq(false))
        .order(logins::id.asc())
        .select((logins::email, logins::language))
        .load(conn)?;
    if ctx.order_desk.is_empty() {
        return Ok(staff
            .into_iter()
            .map(|(email, lang)| (email, lang_of(lang.0)))
            .collect());
    }
    Ok(ctx
        .order_desk
        .iter()
        .map(|address| {
            let lang = staff
                .iter()
                .find(|(email, _)| email.eq_ignore_ascii_case(address))
                .map(|(_, lang)| lang_of(lang.0))
                .unwrap_or(Lang::En);
            (address.clone(), lang)
        })
        .collect())
}

/// What the order desk hears of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeskNews {
    /// Placed; waits for a decision.
    Placed,
    /// Placed and approved at once by the account's rule.
    ApprovedByRule,
    /// A pending order cancelled by its customer.
    Cancelled,
}

/// Tell the order desk of a new (or a cancelled) order.
pub fn order_placed(
    conn: &mut DbConnection,
    ctx: &MailContext,
    order: &LicenseOrder,
    by: &Login,
    news: DeskNews,
) -> Result<(), MailError> {
    let cancelled = news == DeskNews::Cancelled;
    let now = now_utc();
    let account = Account::find(conn, order.account_id)?
        .map(|a| a.name)
        .unwrap_or_default();
    let kind = if cancelled {
        MailKind::OrderCancelled
    } else {
        MailKind::OrderPlaced
    };
    let link = match news {
        DeskNews::ApprovedByRule => ctx.link(&format!("/staff/orders/{}", order.id)),
        _ => ctx.link("/staff/orders"),
    };
    for (address, lang) in order_desk(conn, ctx)? {
        Letter::render(
            kind,
            &address,
            &OrderPlaced {
                sv: lang == Lang::Sv,
                cancelled,
                by_rule: news == DeskNews::ApprovedByRule,
                order_id: order.id,
                account: &account,
                quantity: order.quantity,
                reference: order.reference.as_deref().unwrap_or(""),
                by: by.display_name(),
                link: &link,
            },
        )?
        .queue(conn, now)?;
    }
    Ok(())
}

/// Tell the contact who ordered how it was decided.
pub fn order_decided(
    conn: &mut DbConnection,
    ctx: &MailContext,
    order: &LicenseOrder,
    decision: OrderStatus,
    note: Option<&str>,
) -> Result<(), MailError> {
    let now = now_utc();
    let Some(contact) = Login::find(conn, order.ordered_by)? else {
        return Ok(());
    };
    if contact.disabled {
        return Ok(());
    }
    let licenses = Account::find(conn, order.account_id)?
        .map(|a| a.licenses)
        .unwrap_or_default();
    Letter::render(
        MailKind::OrderDecided,
        &contact.email,
        &OrderDecided {
            sv: lang_of(contact.language) == Lang::Sv,
            approved: decision == OrderStatus::Approved,
            by_rule: order.by_rule,
            order_id: order.id,
            quantity: order.quantity,
            reference: order.reference.as_deref().unwrap_or(""),
            note: note.unwrap_or(""),
            licenses,
            link: &ctx.link(&format!("/account/orders/{}", order.id)),
        },
    )?
    .queue(conn, now)?;
    Ok(())
}

/// A message on an order: a customer's to the order desk; the vendor's
/// to the contact who ordered and every contact who wrote on the order
/// (enabled ones, each once).
pub fn order_message(
    conn: &mut DbConnection,
    ctx: &MailContext,
    order: &LicenseOrder,
    from: &str,
    body: &str,
    to_vendor: bool,
) -> Result<(), MailError> {
    let now = now_utc();
    let account = Account::find(conn, order.account_id)?
        .map(|a| a.name)
        .unwrap_or_default();
    let mut to: Vec<(String, Lang)> = Vec::new();
    let link = if to_vendor {
        to = order_desk(conn, ctx)?;
        ctx.link(&format!("/staff/orders/{}", order.id))
    } else {
        let mut ids = vec![order.ordered_by];
        ids.extend(crate::models::order_message::OrderMessage::customer_writers(conn, order.id)?);
        let found: Vec<(i64, String, LangColumn)> = logins::table
            .filter(logins::id.eq_any(ids))
            .filter(logins::disabled.eq(false))
            .filter(logins::role.eq(Role::Contact.as_str()))
            .filter(logins::account_id.eq(order.account_id))
            .order(logins::id.asc())
            .select((logins::id, logins::email, logins::language))
            .load(conn)?;
        for (_, email, lang) in found {
            to.push((email, lang_of(lang.0)));
        }
        ctx.link(&format!("/account/orders/{}", order.id))
    };
    for (address, lang) in to {
        Letter::render(
            crate::domain::mail::MailKind::OrderMessage,
            &address,
            &OrderMessageMail {
                sv: lang == Lang::Sv,
                to_vendor,
                order_id: order.id,
                account: &account,
                from,
                body,
                link: &link,
            },
        )?
        .queue(conn, now)?;
    }
    Ok(())
}

/// When the account's `counted` users today have come to exceed its
/// licenses, tell every enabled contact, once; the mark clears when it is
/// back within, so the next crossing tells them again.
fn over_licenses(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account: &Account,
    counted: i64,
) -> Result<(), MailError> {
    let over = counted > account.licenses;
    let marked: bool = accounts::table
        .find(account.id)
        .select(accounts::over_licenses_notified)
        .first(conn)?;
    if over == marked {
        return Ok(());
    }
    let contacts = contacts_of(conn, account.id)?;
    // With no one to tell, nothing is marked: a contact added later hears
    // of it at the next change.
    if over && contacts.is_empty() {
        return Ok(());
    }
    // The mark changes only where it still has the value read, so of two
    // racing changes one writes the mails.
    let changed = diesel::update(
        accounts::table
            .find(account.id)
            .filter(accounts::over_licenses_notified.eq(marked)),
    )
    .set(accounts::over_licenses_notified.eq(over))
    .execute(conn)?;
    if changed == 0 || !over {
        return Ok(());
    }
    let now = now_utc();
    let (_, pending) = LicenseOrder::pending_quantity(conn, account.id)?;
    let suggested = suggested_quantity(account.licenses, counted, pending);
    let link = match suggested {
        Some(n) => ctx.link(&format!("/account/order-licenses?quantity={n}")),
        None => ctx.link("/account/orders"),
    };
    for (email, language) in contacts {
        Letter::render(
            MailKind::OverLicenses,
            &email,
            &OverLicenses {
                sv: lang_of(language.0) == Lang::Sv,
                account: &account.name,
                owned: account.licenses,
                counted,
                suggested,
                link: &link,
            },
        )?
        .queue(conn, now)?;
    }
    Ok(())
}

/// The enabled contacts of an account, with their languages.
fn contacts_of(
    conn: &mut DbConnection,
    account_id: i64,
) -> Result<Vec<(String, LangColumn)>, MailError> {
    enabled_contacts(conn, account_id, false)
}

/// The enabled contacts of an account, with their languages; with
/// `warned_only`, those who take warnings by mail (SPEC 14, at /me).
fn enabled_contacts(
    conn: &mut DbConnection,
    account_id: i64,
    warned_only: bool,
) -> Result<Vec<(String, LangColumn)>, MailError> {
    let mut query = logins::table
        .filter(logins::account_id.eq(account_id))
        .filter(logins::role.eq(Role::Contact.as_str()))
        .filter(logins::disabled.eq(false))
        .into_boxed::<crate::db::MultiBackend>();
    if warned_only {
        query = query.filter(logins::warnings_by_mail.eq(true));
    }
    Ok(query
        .order(logins::id.asc())
        .select((logins::email, logins::language))
        .load(conn)?)
}

/// SPEC 12: temporary licenses end within 14 days. For each of the
/// account's rows that add licenses until a day from today to 14 days
/// ahead, and whose mail has not gone out, tell every enabled contact
/// once: how many end on which day, the licenses owned the day after,
/// and the users counted then as forecast now. Runs after each change
/// of licenses and in the server's rounds.
pub fn licenses_ending(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
) -> Result<(), MailError> {
    use crate::db::schema::license_ledger;
    use crate::models::ledger::{LedgerRow, NOTICE_DAYS};
    let Some(account) = Account::find(conn, account_id)? else {
        return Ok(());
    };
    let today = account.today(ctx.now);
    let due: Vec<(i64, i64, chrono::NaiveDate)> = license_ledger::table
        .filter(license_ledger::account_id.eq(account.id))
        .filter(license_ledger::change.gt(0))
        .filter(license_ledger::ending_mailed_at.is_null())
        .filter(license_ledger::ends_on.ge(today))
        .filter(license_ledger::ends_on.le(today + chrono::Duration::days(NOTICE_DAYS)))
        .select((
            license_ledger::id,
            license_ledger::change,
            license_ledger::ends_on.assume_not_null(),
        ))
        .load(conn)?;
    if due.is_empty() {
        return Ok(());
    }
    let contacts = contacts_of(conn, account.id)?;
    // With no one to tell, nothing is marked (as for over_licenses).
    if contacts.is_empty() {
        return Ok(());
    }
    let spans = LedgerRow::spans(conn, account.id)?;
    let now = now_utc();
    for (id, ending, last_day) in due {
        // Marked only where still unmarked: of two racing rounds one mails.
        let marked = diesel::update(
            license_ledger::table
                .find(id)
                .filter(license_ledger::ending_mailed_at.is_null()),
        )
        .set(license_ledger::ending_mailed_at.eq(now))
        .execute(conn)?;
        if marked == 0 {
            continue;
        }
        let day_after = last_day.succ_opt().unwrap_or(last_day);
        let owned = crate::domain::ledger::owned_on(&spans, day_after);
        let counted = User::count_counted(conn, account.id, day_after)?;
        for (email, language) in &contacts {
            let lang = lang_of(language.0);
            Letter::render(
                MailKind::LicensesEnding,
                email,
                &LicensesEnding {
                    sv: lang == Lang::Sv,
                    account: &account.name,
                    ending,
                    last_day: &lang.long_date(last_day),
                    day_after: &lang.long_date(day_after),
                    owned,
                    counted,
                    counted_link: &ctx.link("/account/users?filter=counted"),
                    order_link: &ctx.link("/account/order-licenses"),
                },
            )?
            .queue(conn, now)?;
        }
    }
    Ok(())
}

/// After anything that changes counts or licenses: over the licenses
/// (`over_licenses`) and the warnings before it (`warnings`), from one
/// reading of the account and of its users counted today.
pub fn figures_changed(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
) -> Result<(), MailError> {
    let Some(account) = Account::find(conn, account_id)? else {
        return Ok(());
    };
    let counted = User::count_counted(conn, account.id, account.today(ctx.now))?;
    over_licenses(conn, ctx, &account, counted)?;
    warnings::check(conn, ctx, &account, counted)
}
