//! Orders: placing (form and API), cancelling, approving and rejecting.

use crate::db::{is_unique_violation, write_transaction, DbConnection};
use crate::domain::ledger::LedgerKind;
use crate::domain::orders::{Clash, Decision, OrderKind, OrderStatus, Rule};
use crate::mail::notify::{self, DeskNews};
use crate::mail::MailContext;
use crate::models::api_token::ApiToken;
use crate::models::idempotency_key::IdempotencyKey;
use crate::models::license_order::NewLicenseOrder;
use crate::models::order_message::OrderMessage;
use crate::models::{now_utc, Account, AuditEvent, LicenseOrder, Login};

use super::*;

/// What an order asks for, checked: its kind, quantity, days and
/// reference (the same from the form and the API).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderInput {
    pub kind: OrderKind,
    pub quantity: i64,
    pub period: Period,
    pub reference: Option<String>,
}

/// Place an order from a submitted form. The same form token returns the
/// order it already made, however often and concurrently it is sent.
pub fn place_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    input: &OrderInput,
    form_token: &str,
) -> Result<LicenseOrder, OpError> {
    let attempt = write_transaction(conn, |conn| {
        if let Some(existing) = LicenseOrder::find_by_form_token(conn, form_token)? {
            return Ok(existing);
        }
        insert_order(conn, ctx, by, None, account_id, input, form_token)
    });
    match attempt {
        // A concurrent submission of the same form won: answer with its order.
        Err(OpError::Db(e)) if is_unique_violation(&e) => {
            LicenseOrder::find_by_form_token(conn, form_token)?.ok_or(OpError::NotFound)
        }
        other => other,
    }
}

/// An order placed through the API with an `Idempotency-Key` (SPEC 9).
#[derive(Clone, Debug)]
pub struct ApiOrder<'a> {
    pub account_id: i64,
    pub input: OrderInput,
    pub key: &'a str,
    /// SHA-256 of the request body, hex.
    pub body_hash: &'a str,
}

/// Place an order through the API. The same key with the same body
/// returns the order it made (`false`: not new); with another body it is
/// refused. One key per token, however concurrently it is sent.
pub fn place_api_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    token: &ApiToken,
    order: &ApiOrder<'_>,
) -> Result<(LicenseOrder, bool), OpError> {
    let earlier = |conn: &mut DbConnection| -> Result<Option<(LicenseOrder, bool)>, OpError> {
        match IdempotencyKey::find(conn, token.id, order.key)? {
            Some(k) if k.body_hash != order.body_hash => Err(OpError::KeyReused),
            Some(k) => Ok(Some((
                LicenseOrder::find(conn, k.order_id)?.ok_or(OpError::NotFound)?,
                false,
            ))),
            None => Ok(None),
        }
    };
    let attempt = write_transaction(conn, |conn| {
        if let Some(found) = earlier(conn)? {
            return Ok(found);
        }
        let form_token = format!("api-{}", crate::models::login_token::new_token());
        let placed = insert_order(
            conn,
            ctx,
            by,
            Some(token),
            order.account_id,
            &order.input,
            &form_token,
        )?;
        IdempotencyKey {
            token_id: token.id,
            idempotency_key: order.key.to_string(),
            body_hash: order.body_hash.to_string(),
            order_id: placed.id,
            created_at: now_utc(),
        }
        .insert(conn)?;
        Ok((placed, true))
    });
    match attempt {
        // A concurrent request with the same key won: answer as a repeat.
        Err(OpError::Db(e)) if is_unique_violation(&e) => earlier(conn)?.ok_or(OpError::NotFound),
        other => other,
    }
}

/// Inside a write transaction: a new pending order, its audit event and
/// the order desk's mail.
pub(super) fn insert_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    via: Option<&ApiToken>,
    account_id: i64,
    input: &OrderInput,
    form_token: &str,
) -> Result<LicenseOrder, OpError> {
    let account = Account::find(conn, account_id)?.ok_or(OpError::NotFound)?;
    let owned = account.licenses;
    // An order the account's rule may approve takes the account's row
    // first: inserting the order takes a share lock on that row (its
    // foreign key), and two such orders each waiting to lock it for the
    // rule would deadlock on PostgreSQL. Only an order that took the lock
    // here is looked at by the rule, so a rule set in the meantime never
    // makes an order lock the row after its insert.
    let may_rule = account.rule().admits(input.kind, input.quantity, 0);
    if may_rule {
        Account::lock_row(conn, account_id)?;
    }
    if input.kind == OrderKind::Reduce {
        if let Some(clash) = super::licenses::reduction_short(conn, account_id, input)? {
            return Err(OpError::TooFew(clash));
        }
    }
    let (quantity, reference) = (input.quantity, input.reference.as_deref());
    // The price as it stands now, and the cost the pages showed (SPEC 15).
    let price = account.price();
    let order = LicenseOrder::insert(
        conn,
        &NewLicenseOrder {
            account_id,
            quantity,
            reference,
            status: OrderStatus::Pending,
            form_token,
            ordered_by: by.id,
            ordered_at: now_utc(),
            kind: input.kind,
            starts_on: input.period.starts_on,
            ends_on: input.period.ends_on,
            price_minor: price.map(|(p, _)| p),
            currency: price.map(|(_, c)| c),
            cost_minor: crate::domain::money::order_cost(
                price.map(|(p, _)| p),
                account.renews_on,
                quantity,
                input.period.starts_on,
                input.period.ends_on,
                account.today(ctx.now),
            ),
        },
    )?;
    AuditEvent::order_placed(by.id, account_id, order.id, quantity, reference, owned)
        .via(via)
        .insert(conn)?;
    if let Some(approved) = may_rule
        .then(|| approve_by_rule(conn, ctx, &order))
        .transpose()?
        .flatten()
    {
        notify::order_placed(conn, ctx, &approved, by, DeskNews::ApprovedByRule)?;
        return Ok(approved);
    }
    notify::order_placed(conn, ctx, &order, by, DeskNews::Placed)?;
    Ok(order)
}

/// Inside the placing transaction, with the account's row locked by
/// `insert_order` before the order's insert: approve the new order at once
/// when the account's rule admits it (SPEC 13). The rule and its 30 days
/// are read under that lock (on SQLite the write transaction holds the one
/// write lock), so orders placed at the same moment never together pass
/// the ceiling. An approval the licenses' bounds refuse
/// leaves the order pending, for staff.
fn approve_by_rule(
    conn: &mut DbConnection,
    ctx: &MailContext,
    order: &LicenseOrder,
) -> Result<Option<LicenseOrder>, OpError> {
    let account = Account::find(conn, order.account_id)?.ok_or(OpError::NotFound)?;
    let rule: Rule = account.rule();
    let now = now_utc();
    let since = now - chrono::Duration::days(crate::domain::orders::RULE_WINDOW_DAYS);
    let before = LicenseOrder::approved_by_rule_since(conn, account.id, since)?;
    if !rule.admits(order.kind, order.quantity, before) {
        return Ok(None);
    }
    let attempt = write_transaction(conn, |conn| {
        if !LicenseOrder::decide_by_rule(conn, order.id, now)? {
            return Err(OpError::NotPending);
        }
        let (before, after) = super::licenses::write_row(conn, ctx.now, entry_of(order, None))?;
        AuditEvent::order_auto_approved(order.account_id, order.id, order.quantity, before, after)
            .insert(conn)?;
        let approved = LicenseOrder::find(conn, order.id)?.ok_or(OpError::NotFound)?;
        notify::order_decided(conn, ctx, &approved, OrderStatus::Approved, None)?;
        notify::figures_changed(conn, ctx, order.account_id)?;
        notify::licenses_ending(conn, ctx, order.account_id)?;
        Ok(approved)
    });
    match attempt {
        Ok(approved) => Ok(Some(approved)),
        Err(OpError::LicenseBounds | OpError::Clash(_) | OpError::NotPending) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The ledger row an approved order writes (a reduction keeps its users
/// counted: its check was made against them).
fn entry_of(order: &LicenseOrder, login_id: Option<i64>) -> super::licenses::Entry {
    super::licenses::Entry {
        account_id: order.account_id,
        change: order.kind.change(order.quantity),
        period: Period {
            starts_on: order.starts_on,
            ends_on: order.ends_on,
        },
        kind: LedgerKind::Order,
        order_id: Some(order.id),
        login_id,
        reason: None,
        keep_counted: order.kind == OrderKind::Reduce,
    }
}

/// Staff set an account's approval rule (audited, with the rule before).
pub fn set_rule(
    conn: &mut DbConnection,
    by: &Login,
    account_id: i64,
    rule: Rule,
) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        let account = Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        Account::set_rule(conn, account_id, rule)?;
        AuditEvent::rule_changed(by.id, account_id, account.rule(), rule).insert(conn)?;
        Ok(())
    })
}

/// Who writes a message on an order.
#[derive(Clone, Copy, Debug)]
pub enum Writer<'a> {
    /// A contact of the order's account (the pages, or an `order` token).
    Customer { login: &'a Login, account_id: i64 },
    /// Staff on the pages, or a vendor `decide` token.
    Vendor(Decider<'a>),
}

/// Write a message on an order the writer reaches (another account's is
/// not found): while it is pending and up to 30 days after its decision,
/// else `Clash::MessagesClosed` and nothing stored. Mails the other side.
pub fn post_message(
    conn: &mut DbConnection,
    ctx: &MailContext,
    writer: Writer<'_>,
    order_id: i64,
    body: &str,
) -> Result<OrderMessage, OpError> {
    write_transaction(conn, |conn| {
        let (order, login) = match writer {
            Writer::Customer { login, account_id } => (
                LicenseOrder::find_in_account(conn, account_id, order_id)?
                    .ok_or(OpError::NotFound)?,
                Some(login),
            ),
            Writer::Vendor(by) => (by.find_order(conn, order_id)?, by.login),
        };
        let now = now_utc();
        if !crate::domain::orders::takes_messages(order.status, order.decided_at, now) {
            return Err(OpError::Clash(Clash::MessagesClosed));
        }
        let message = OrderMessage::insert(conn, order.id, login.map(|l| l.id), now, body)?;
        let from = login.map(|l| l.display_name()).unwrap_or("");
        let to_vendor = matches!(writer, Writer::Customer { .. });
        notify::order_message(conn, ctx, &order, from, body, to_vendor)?;
        Ok(message)
    })
}

/// A contact cancels a pending order of their account.
pub fn cancel_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    via: Option<&ApiToken>,
    account_id: i64,
    order_id: i64,
) -> Result<LicenseOrder, OpError> {
    write_transaction(conn, |conn| {
        let order =
            LicenseOrder::find_in_account(conn, account_id, order_id)?.ok_or(OpError::NotFound)?;
        if !LicenseOrder::decide(
            conn,
            order.id,
            OrderStatus::Cancelled,
            Some(by.id),
            now_utc(),
            None,
        )? {
            return Err(OpError::NotPending);
        }
        AuditEvent::order_cancelled(by.id, account_id, order.id)
            .via(via)
            .insert(conn)?;
        notify::order_placed(conn, ctx, &order, by, DeskNews::Cancelled)?;
        LicenseOrder::find(conn, order.id)?.ok_or(OpError::NotFound)
    })
}

/// Who decides an order: a staff login on the pages, or a vendor `decide`
/// token (made by a staff login, or by the command line with none), which
/// reaches only its one account's orders when it has one.
#[derive(Clone, Copy, Debug)]
pub struct Decider<'a> {
    pub login: Option<&'a Login>,
    pub token: Option<&'a ApiToken>,
}

impl<'a> Decider<'a> {
    /// Staff on the pages.
    pub fn staff(login: &'a Login) -> Decider<'a> {
        Decider {
            login: Some(login),
            token: None,
        }
    }

    fn login_id(&self) -> Option<i64> {
        self.login.map(|l| l.id)
    }

    /// The order, if this decider reaches it (another account's is not found).
    fn find_order(&self, conn: &mut DbConnection, id: i64) -> Result<LicenseOrder, OpError> {
        let order = LicenseOrder::find(conn, id)?.ok_or(OpError::NotFound)?;
        let bound = self.token.and_then(|t| t.account_id);
        if crate::domain::tokens::reaches(bound, order.account_id) {
            Ok(order)
        } else {
            Err(OpError::NotFound)
        }
    }
}

/// Decide a pending order this decider reaches, at most once whatever runs
/// at the same time (a conditional update): the one path of approvals and
/// rejections, from the pages and the API.
fn decide(
    conn: &mut DbConnection,
    by: Decider<'_>,
    order_id: i64,
    status: OrderStatus,
    note: Option<&str>,
) -> Result<LicenseOrder, OpError> {
    let order = by.find_order(conn, order_id)?;
    if !LicenseOrder::decide(conn, order.id, status, by.login_id(), now_utc(), note)? {
        return Err(OpError::NotPending);
    }
    Ok(order)
}

/// Decide a pending order as `decision` says: the one entry of the pages
/// and the API.
pub fn decide_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Decider<'_>,
    order_id: i64,
    decision: &Decision,
) -> Result<LicenseOrder, OpError> {
    match decision {
        Decision::Approve(note) => approve_order(conn, ctx, by, order_id, note.as_deref()),
        Decision::Reject(note) => reject_order(conn, ctx, by, order_id, note),
    }
}

/// Staff approve a pending order: at most once, raising the licenses in the
/// same transaction.
pub fn approve_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Decider<'_>,
    order_id: i64,
    note: Option<&str>,
) -> Result<LicenseOrder, OpError> {
    write_transaction(conn, |conn| {
        let order = decide(conn, by, order_id, OrderStatus::Approved, note)?;
        let (before, after) =
            super::licenses::write_row(conn, ctx.now, entry_of(&order, by.login_id()))?;
        AuditEvent::order_approved(
            by.login_id(),
            order.account_id,
            order.id,
            order.quantity,
            before,
            after,
            note,
        )
        .via(by.token)
        .insert(conn)?;
        notify::order_decided(conn, ctx, &order, OrderStatus::Approved, note)?;
        notify::figures_changed(conn, ctx, order.account_id)?;
        notify::licenses_ending(conn, ctx, order.account_id)?;
        LicenseOrder::find(conn, order.id)?.ok_or(OpError::NotFound)
    })
}

/// Staff reject a pending order with a note.
pub fn reject_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Decider<'_>,
    order_id: i64,
    note: &str,
) -> Result<LicenseOrder, OpError> {
    write_transaction(conn, |conn| {
        let order = decide(conn, by, order_id, OrderStatus::Rejected, Some(note))?;
        AuditEvent::order_rejected(by.login_id(), order.account_id, order.id, note)
            .via(by.token)
            .insert(conn)?;
        notify::order_decided(conn, ctx, &order, OrderStatus::Rejected, Some(note))?;
        LicenseOrder::find(conn, order.id)?.ok_or(OpError::NotFound)
    })
}
