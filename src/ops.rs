//! Operations that change data: each runs in one write transaction and
//! writes its audit event there. The command line and the pages share them.

use diesel::result::Error as DbError;

use crate::db::{is_unique_violation, write_transaction, DbConnection};
use crate::domain::counting::{parse_time_zone, UserStatus};
use crate::domain::import::{parse_users_csv, ImportError, ImportRow};
use crate::domain::orders::{OrderStatus, MAX_LICENSES};
use crate::domain::roles::Role;
use crate::domain::validation::{self, FieldError};
use crate::mail::{notify, MailContext, MailError};
use crate::models::account::NewAccount;
use crate::models::api_token::ApiToken;
use crate::models::idempotency_key::IdempotencyKey;
use crate::models::license_order::NewLicenseOrder;
use crate::models::login::NewLogin;
use crate::models::login_token::{LoginToken, Purpose};
use crate::models::session::SessionRow;
use crate::models::user::NewUser;
use crate::models::user_version::{ChangedBy, UserVersion};
use crate::models::{now_utc, Account, AuditEvent, LicenseOrder, Login, User};

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{field}: {error:?}")]
    Invalid {
        field: &'static str,
        error: FieldError,
    },
    #[error("no account with that id")]
    UnknownAccount,
    #[error("a login with this email already exists")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error("the order is no longer pending")]
    NotPending,
    #[error("the licenses would fall below 0 or exceed the maximum")]
    LicenseBounds,
    #[error("role and account do not fit: contact and viewer need an account, staff have none")]
    RoleAccount,
    #[error("{0}")]
    Import(ImportError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A mail template failed to render (a bug, not the reader's doing).
    #[error(transparent)]
    Mail(MailError),
    /// A one-time link that is unknown, used or expired.
    #[error("the link is unknown, used or expired")]
    LinkGone,
    /// An `Idempotency-Key` sent again with another body.
    #[error("the idempotency key was used with another request body")]
    KeyReused,
    /// A users sync refused: the first bad user, by index from 0.
    #[error("user {index}, field {field}: {problem:?}")]
    Sync {
        index: usize,
        field: &'static str,
        problem: crate::domain::import::Problem,
    },
}

impl From<MailError> for OpError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::Db(e) => OpError::Db(e),
            other => OpError::Mail(other),
        }
    }
}

/// The English message for a refused field, for the command line.
pub fn cli_field_message(field: &'static str, error: FieldError) -> String {
    format!("{field}: {}", crate::i18n::EN.field_error(error))
}

/// A new account, checked.
#[derive(Clone, Debug)]
pub struct AccountInput {
    pub name: String,
    pub licenses: i64,
    pub time_zone: String,
}

impl AccountInput {
    pub fn parse(
        name: &str,
        licenses: &str,
        time_zone: &str,
    ) -> Result<AccountInput, (&'static str, FieldError)> {
        let name = validation::required_text(name, 200).map_err(|e| ("name", e))?;
        let licenses = validation::parse_licenses(licenses).map_err(|e| ("licenses", e))?;
        let tz = parse_time_zone(time_zone).ok_or(("time_zone", FieldError::TimeZone))?;
        Ok(AccountInput {
            name,
            licenses,
            time_zone: tz.name().to_string(),
        })
    }
}

pub fn create_account(
    conn: &mut DbConnection,
    by: Option<i64>,
    input: &AccountInput,
) -> Result<Account, OpError> {
    write_transaction(conn, |conn| {
        let account = Account::insert(
            conn,
            &NewAccount {
                name: &input.name,
                licenses: input.licenses,
                time_zone: &input.time_zone,
                created_at: now_utc(),
            },
        )?;
        AuditEvent::account_created(by, account.id, &account.name, account.licenses)
            .insert(conn)?;
        Ok(account)
    })
}

/// A new login, checked (the password is hashed when it is created).
#[derive(Clone)]
pub struct LoginInput {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub account_id: Option<i64>,
    /// None for a login that is invited to choose its own.
    pub password: Option<String>,
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginInput")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl LoginInput {
    pub fn parse(
        email: &str,
        name: &str,
        role: &str,
        account_id: Option<i64>,
        password: Option<&str>,
    ) -> Result<LoginInput, (&'static str, FieldError)> {
        let email = validation::parse_email(email).map_err(|e| ("email", e))?;
        let name = name.trim();
        if name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(("name", FieldError::TooLong));
        }
        let role = Role::parse(role.trim()).ok_or(("role", FieldError::Required))?;
        if role.needs_account() != account_id.is_some() {
            return Err(("account", FieldError::Required));
        }
        if let Some(password) = password {
            validation::check_password(password, &email).map_err(|e| ("password", e))?;
        }
        Ok(LoginInput {
            email,
            name: name.to_string(),
            role,
            account_id,
            password: password.map(str::to_string),
        })
    }
}

/// A new login with the hash of `input.password`, made by the caller
/// through the bounded hasher before the connection was taken.
pub fn create_login(
    conn: &mut DbConnection,
    by: Option<i64>,
    input: &LoginInput,
    password_hash: &str,
) -> Result<Login, OpError> {
    insert_login(conn, by, input, password_hash)
}

/// A new login without a password, and its invitation (SPEC 7): the login
/// sets its password through the link. Returns the login and the link.
pub fn invite_login(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    input: &LoginInput,
) -> Result<(Login, String), OpError> {
    write_transaction(conn, |conn| {
        let login = insert_login(conn, by, input, "")?;
        let link = notify::invitation(conn, ctx, &login)?;
        AuditEvent::invitation_sent(by, login.account_id, login.id, &login.email).insert(conn)?;
        Ok((login, link))
    })
}

/// A new invitation for a login that has not set its password yet; the
/// earlier link stops working. Returns the link.
pub fn reinvite(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    login_id: i64,
) -> Result<(Login, String), OpError> {
    write_transaction(conn, |conn| {
        let login = Login::find(conn, login_id)?.ok_or(OpError::NotFound)?;
        // Only a login still waiting to set its password is invited again;
        // a staff login is invited from the command line.
        if login.has_password() || login.disabled || login.role == Role::Staff {
            return Err(OpError::NotFound);
        }
        let link = notify::invitation(conn, ctx, &login)?;
        AuditEvent::invitation_sent(by, login.account_id, login.id, &login.email).insert(conn)?;
        Ok((login, link))
    })
}

fn insert_login(
    conn: &mut DbConnection,
    by: Option<i64>,
    input: &LoginInput,
    password_hash: &str,
) -> Result<Login, OpError> {
    let result = write_transaction(conn, |conn| {
        if let Some(account_id) = input.account_id {
            Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        }
        if Login::find_by_email(conn, &input.email)?.is_some() {
            return Err(OpError::EmailTaken);
        }
        let login = Login::insert(
            conn,
            &NewLogin {
                email: &input.email,
                name: &input.name,
                password_hash,
                role: input.role,
                account_id: input.account_id,
                created_at: now_utc(),
            },
        )?;
        AuditEvent::login_created(by, login.account_id, login.id, &login.email, login.role)
            .insert(conn)?;
        Ok(login)
    });
    match result {
        Err(OpError::Db(e)) if is_unique_violation(&e) => Err(OpError::EmailTaken),
        other => other,
    }
}

/// Disable (ending every session at once) or enable a login.
pub fn set_login_disabled(
    conn: &mut DbConnection,
    by: Option<i64>,
    login_id: i64,
    disabled: bool,
) -> Result<Login, OpError> {
    write_transaction(conn, |conn| {
        let login = Login::find(conn, login_id)?.ok_or(OpError::NotFound)?;
        Login::set_disabled(conn, login.id, disabled)?;
        if disabled {
            SessionRow::delete_for_login(conn, login.id, None)?;
            LoginToken::revoke_all(conn, login.id, now_utc())?;
        }
        AuditEvent::login_disabled(by, login.account_id, login.id, &login.email, disabled)
            .insert(conn)?;
        Ok(login)
    })
}

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOutcome {
    pub inserted: usize,
    pub updated: usize,
}

/// Upsert users by employee number from CSV bytes: all rows or none. The
/// writes take the users sync's bulk path (`bulk_upsert`), on both
/// backends.
pub fn import_users(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    account_id: i64,
    file: &str,
    data: &[u8],
) -> Result<ImportOutcome, OpError> {
    let rows = parse_users_csv(data).map_err(OpError::Import)?;
    let outcome = write_transaction(conn, |conn| {
        Account::lock_users(conn, account_id)?;
        Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        let email = match by {
            Some(id) => Login::find(conn, id)?.map(|l| l.email),
            None => None,
        };
        let who = ChangedBy::Import {
            file: file.to_string(),
            by: email,
        };
        let outcome = bulk_upsert(conn, ctx, account_id, &rows, &who)?;
        // An unchanged user counts as updated, as it always has here.
        let outcome = ImportOutcome {
            inserted: outcome.created,
            updated: outcome.updated + outcome.unchanged,
        };
        AuditEvent::users_imported(by, account_id, outcome.inserted, outcome.updated)
            .insert(conn)?;
        notify::over_licenses(conn, ctx, account_id)?;
        Ok::<_, OpError>(outcome)
    })?;
    after_bulk(conn, outcome.inserted + outcome.updated);
    Ok(outcome)
}

/// Rows written at once from which the planner's statistics are brought
/// up to date at once (`after_bulk`).
const ANALYZE_FROM: usize = 1_000;

/// After a bulk write of users, committed: on PostgreSQL the statistics of
/// the tables it changed are taken again, so the first report after a big
/// import is planned as well as the tenth (autovacuum would do it only
/// later). A failure is logged: the write stands.
fn after_bulk(conn: &mut DbConnection, rows: usize) {
    if rows < ANALYZE_FROM {
        return;
    }
    if let Err(e) = User::refresh_statistics(conn) {
        tracing::warn!(error = %e, "the statistics after a bulk write of users could not be taken");
    }
}

/// Insert the new users and update the changed ones of an account, in bulk
/// (inside the caller's transaction, which holds the account's users), with
/// their history. Shared by the CSV import and the users sync.
fn bulk_upsert(
    conn: &mut DbConnection,
    ctx: &MailContext,
    account_id: i64,
    rows: &[ImportRow],
    who: &ChangedBy,
) -> Result<SyncOutcome, OpError> {
    use std::collections::HashMap;
    let existing: HashMap<String, crate::models::user::SyncRow> =
        User::all_for_sync(conn, account_id)?
            .into_iter()
            .map(|row| (row.1.clone(), row))
            .collect();
    let mut outcome = SyncOutcome::default();
    let mut inserts = Vec::new();
    let mut updates = Vec::new();
    for row in rows {
        let new = NewUser {
            account_id,
            employee_number: &row.employee_number,
            name: &row.name,
            status: row.status,
            start_date: row.start_date,
            end_date: row.end_date,
        };
        match existing.get(&row.employee_number) {
            None => inserts.push(new),
            Some((id, _, name, status, start, end)) => {
                if *name == row.name
                    && status == row.status.as_str()
                    && *start == row.start_date
                    && *end == row.end_date
                {
                    outcome.unchanged += 1;
                } else {
                    updates.push((*id, new));
                }
            }
        }
    }
    outcome.created = inserts.len();
    outcome.updated = updates.len();
    let updates: Vec<(i64, &NewUser<'_>)> = updates.iter().map(|(id, u)| (*id, u)).collect();
    User::in_bulk(conn, account_id, |conn| {
        User::write_sync(conn, account_id, &inserts, &updates)
    })?;
    let changed: Vec<i64> = updates.iter().map(|(id, _)| *id).collect();
    UserVersion::changed(conn, account_id, &changed, ctx.now.naive_utc(), who, true)?;
    Ok(outcome)
}

/// Place an order from a submitted form. The same form token returns the
/// order it already made, however often and concurrently it is sent.
pub fn place_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    quantity: i64,
    reference: Option<&str>,
    form_token: &str,
) -> Result<LicenseOrder, OpError> {
    let attempt = write_transaction(conn, |conn| {
        if let Some(existing) = LicenseOrder::find_by_form_token(conn, form_token)? {
            return Ok(existing);
        }
        insert_order(
            conn, ctx, by, None, account_id, quantity, reference, form_token,
        )
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
    pub quantity: i64,
    pub reference: Option<&'a str>,
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
            order.quantity,
            order.reference,
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
#[allow(clippy::too_many_arguments)]
fn insert_order(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    via: Option<&ApiToken>,
    account_id: i64,
    quantity: i64,
    reference: Option<&str>,
    form_token: &str,
) -> Result<LicenseOrder, OpError> {
    let owned = Account::find(conn, account_id)?
        .ok_or(OpError::NotFound)?
        .licenses;
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
        },
    )?;
    AuditEvent::order_placed(by.id, account_id, order.id, quantity, reference, owned)
        .via(via)
        .insert(conn)?;
    notify::order_placed(conn, ctx, &order, by, false)?;
    Ok(order)
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
        notify::order_placed(conn, ctx, &order, by, true)?;
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
        match self.token.and_then(|t| t.account_id) {
            Some(account) if account != order.account_id => Err(OpError::NotFound),
            _ => Ok(order),
        }
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
        let order = by.find_order(conn, order_id)?;
        if !LicenseOrder::decide(
            conn,
            order.id,
            OrderStatus::Approved,
            by.login_id(),
            now_utc(),
            note,
        )? {
            return Err(OpError::NotPending);
        }
        let (before, after) = change_licenses(conn, order.account_id, order.quantity)?;
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
        notify::over_licenses(conn, ctx, order.account_id)?;
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
        let order = by.find_order(conn, order_id)?;
        if !LicenseOrder::decide(
            conn,
            order.id,
            OrderStatus::Rejected,
            by.login_id(),
            now_utc(),
            Some(note),
        )? {
            return Err(OpError::NotPending);
        }
        AuditEvent::order_rejected(by.login_id(), order.account_id, order.id, note)
            .via(by.token)
            .insert(conn)?;
        notify::order_decided(conn, ctx, &order, OrderStatus::Rejected, Some(note))?;
        LicenseOrder::find(conn, order.id)?.ok_or(OpError::NotFound)
    })
}

/// Staff adjust an account's licenses by a signed change, with a reason.
pub fn adjust_licenses(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: Option<i64>,
    account_id: i64,
    change: i64,
    reason: &str,
) -> Result<(i64, i64), OpError> {
    write_transaction(conn, |conn| {
        let (before, after) = change_licenses(conn, account_id, change)?;
        AuditEvent::licenses_adjusted(by, account_id, change, before, after, reason)
            .insert(conn)?;
        notify::over_licenses(conn, ctx, account_id)?;
        Ok((before, after))
    })
}

/// Inside a write transaction: add `change` to the licenses, within bounds.
/// Returns (before, after).
fn change_licenses(
    conn: &mut DbConnection,
    account_id: i64,
    change: i64,
) -> Result<(i64, i64), OpError> {
    if !Account::add_licenses(conn, account_id, change, MAX_LICENSES)? {
        Account::find(conn, account_id)?.ok_or(OpError::NotFound)?;
        return Err(OpError::LicenseBounds);
    }
    let after = Account::find(conn, account_id)?
        .ok_or(OpError::NotFound)?
        .licenses;
    Ok((after - change, after))
}

/// A contact sets a user passive or active and sets or clears the end date.
pub fn change_user(
    conn: &mut DbConnection,
    ctx: &MailContext,
    by: &Login,
    account_id: i64,
    user_id: i64,
    status: UserStatus,
    end_date: Option<chrono::NaiveDate>,
) -> Result<User, OpError> {
    write_transaction(conn, |conn| {
        Account::lock_users(conn, account_id)?;
        let user = User::find_in_account(conn, account_id, user_id)?.ok_or(OpError::NotFound)?;
        if matches!(end_date, Some(end) if end < user.start_date) {
            return Err(OpError::Invalid {
                field: "end_date",
                error: FieldError::Date,
            });
        }
        User::set_status_and_end(conn, user.id, status, end_date)?;
        UserVersion::changed(
            conn,
            account_id,
            &[user.id],
            ctx.now.naive_utc(),
            &ChangedBy::Login(by.email.clone()),
            false,
        )?;
        AuditEvent::user_changed(
            by.id,
            account_id,
            user.id,
            &user.employee_number,
            status.as_str(),
            end_date,
        )
        .insert(conn)?;
        notify::over_licenses(conn, ctx, account_id)?;
        Ok(user)
    })
}

/// Change a login's own password and end its other sessions.
pub fn change_password(
    conn: &mut DbConnection,
    login: &Login,
    new_hash: &str,
    keep_session: Option<&str>,
) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        Login::set_password_hash(conn, login.id, new_hash)?;
        SessionRow::delete_for_login(conn, login.id, keep_session)?;
        LoginToken::revoke_all(conn, login.id, now_utc())?;
        AuditEvent::password_changed(login.id, login.account_id).insert(conn)?;
        notify::password_changed(conn, login)?;
        Ok(())
    })
}

/// "Forgot your password": a reset link to an enabled login with that
/// address, at most 3 an hour; nothing for any other address. The caller
/// answers the same either way.
pub fn request_password_reset(
    conn: &mut DbConnection,
    ctx: &MailContext,
    email: &str,
) -> Result<Option<i64>, OpError> {
    write_transaction(conn, |conn| {
        // Every address costs one committed write, so the answer's timing
        // does not tell a known address from an unknown one.
        crate::models::setting::put(conn, "last_reset_request", &now_utc().to_string())?;
        let Some(login) = Login::find_by_email(conn, email)? else {
            return Ok(None);
        };
        // One reset at a time per login, so 3 an hour holds under racing
        // requests (SQLite's write transaction already serialises them).
        Login::lock_row(conn, login.id)?;
        if notify::password_reset(conn, ctx, &login)? {
            AuditEvent::password_reset_requested(login.id, login.account_id).insert(conn)?;
            return Ok(Some(login.id));
        }
        Ok(None)
    })
}

/// The login a live one-time link of `purpose` belongs to, if it is live.
pub fn login_of_link(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
) -> Result<Option<Login>, OpError> {
    match LoginToken::find_live(conn, token, purpose, now_utc())? {
        Some(t) => Ok(Login::find(conn, t.login_id)?.filter(|l| !l.disabled)),
        None => Ok(None),
    }
}

/// Set a password through a one-time link (invitation or reset), using the
/// link up. A reset also ends every session of the login, clears its
/// lock-out and sends `password_changed`. Refused with `LinkGone` when the
/// link is unknown, used, expired, or its login disabled.
pub fn set_password_by_link(
    conn: &mut DbConnection,
    token: &str,
    purpose: Purpose,
    new_hash: &str,
) -> Result<Login, OpError> {
    write_transaction(conn, |conn| {
        let now = now_utc();
        let link = LoginToken::find_live(conn, token, purpose, now)?.ok_or(OpError::LinkGone)?;
        let login = Login::find(conn, link.login_id)?
            .filter(|l| !l.disabled)
            .ok_or(OpError::LinkGone)?;
        if !LoginToken::use_up(conn, link.id, now)? {
            return Err(OpError::LinkGone);
        }
        // Its other links (more resets, the invitation) end with it.
        LoginToken::revoke_all(conn, login.id, now)?;
        Login::set_password_hash(conn, login.id, new_hash)?;
        Login::record_success(conn, login.id)?;
        SessionRow::delete_for_login(conn, login.id, None)?;
        match purpose {
            Purpose::Invitation => {
                AuditEvent::password_set_by_invitation(login.id, login.account_id).insert(conn)?
            }
            Purpose::PasswordReset => {
                AuditEvent::password_reset(login.id, login.account_id).insert(conn)?;
                notify::password_changed(conn, &login)?;
            }
        }
        Ok(login)
    })
}

/// Turn two-step on with a confirmed secret; the enrolment code's step
/// counts as used. Returns the recovery codes to show once.
pub fn enable_two_step(
    conn: &mut DbConnection,
    login: &Login,
    secret: &str,
    step: i64,
) -> Result<Vec<String>, OpError> {
    write_transaction(conn, |conn| {
        Login::set_two_step(conn, login.id, Some(secret), Some(step))?;
        let codes = store_recovery_codes(conn, login.id)?;
        AuditEvent::two_step("two_step_on", Some(login.id), login.account_id, login.id)
            .insert(conn)?;
        Ok(codes)
    })
}

/// New recovery codes; the old ones stop working. Returns them to show once.
pub fn renew_recovery_codes(
    conn: &mut DbConnection,
    login: &Login,
) -> Result<Vec<String>, OpError> {
    write_transaction(conn, |conn| {
        let codes = store_recovery_codes(conn, login.id)?;
        AuditEvent::two_step(
            "recovery_codes_renewed",
            Some(login.id),
            login.account_id,
            login.id,
        )
        .insert(conn)?;
        Ok(codes)
    })
}

fn store_recovery_codes(conn: &mut DbConnection, login_id: i64) -> Result<Vec<String>, OpError> {
    use crate::two_step::{new_recovery_codes, recovery_hash};
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().filter_map(|c| recovery_hash(c)).collect();
    crate::models::recovery_code::replace(conn, login_id, &hashes, now_utc())?;
    Ok(codes)
}

/// Turn a login's own two-step off (the caller checked password and code
/// and that its role may be without it).
pub fn disable_two_step(conn: &mut DbConnection, login: &Login) -> Result<(), OpError> {
    write_transaction(conn, |conn| {
        Login::set_two_step(conn, login.id, None, None)?;
        crate::models::recovery_code::delete_all(conn, login.id)?;
        AuditEvent::two_step("two_step_off", Some(login.id), login.account_id, login.id)
            .insert(conn)?;
        Ok(())
    })
}

/// Staff or the command line reset another login's two-step: off, its
/// recovery codes gone, every session ended; it enrols again at its next
/// sign-in where its role must have it.
pub fn reset_two_step(
    conn: &mut DbConnection,
    by: Option<i64>,
    login_id: i64,
) -> Result<Login, OpError> {
    write_transaction(conn, |conn| {
        let login = Login::find(conn, login_id)?.ok_or(OpError::NotFound)?;
        Login::set_two_step(conn, login.id, None, None)?;
        crate::models::recovery_code::delete_all(conn, login.id)?;
        SessionRow::delete_for_login(conn, login.id, None)?;
        AuditEvent::two_step("two_step_reset", by, login.account_id, login.id).insert(conn)?;
        Ok(login)
    })
}

/// What a second-step code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// A code from the authenticator, for a step not used before.
    Right,
    /// An unused recovery code, now used up.
    Recovery,
    /// A code for a step this login already used (refused, audited).
    Replay,
    Wrong,
    /// A wrong code that locked the login.
    WrongAndLocked,
    /// The login is locked: no code is looked at.
    Locked,
}

/// Check a login's second-step code at `unix_seconds`: a TOTP (each time
/// step accepted once, across instances) or an unused recovery code.
///
/// The attempt is counted toward the login's lock-out in the one
/// transaction that holds the login's row and looks at the code: however
/// many codes arrive at once, at most the lock-out's number are ever
/// checked. A right code starts the count again in that transaction, so
/// only wrong codes stay counted.
pub fn check_code(
    conn: &mut DbConnection,
    login: &Login,
    code: &str,
    unix_seconds: u64,
) -> Result<CodeCheck, OpError> {
    use crate::two_step::{code_step, recovery_hash};
    write_transaction(conn, |conn| {
        Login::lock_row(conn, login.id)?;
        let now = now_utc();
        let Some(current) = Login::find(conn, login.id)? else {
            return Ok(CodeCheck::Wrong);
        };
        let Some(secret) = current.totp_secret.clone() else {
            return Ok(CodeCheck::Wrong);
        };
        if current.disabled {
            return Ok(CodeCheck::Locked);
        }
        let Some(locks) = Login::count_failure(conn, login.id, now)? else {
            return Ok(CodeCheck::Locked);
        };
        if let Some(step) = code_step(&secret, code, unix_seconds) {
            if Login::use_step(conn, login.id, step)? {
                Login::record_success(conn, login.id)?;
                return Ok(CodeCheck::Right);
            }
            AuditEvent::two_step(
                "two_step_replay_refused",
                Some(login.id),
                login.account_id,
                login.id,
            )
            .insert(conn)?;
            return Ok(CodeCheck::Replay);
        }
        if let Some(hash) = recovery_hash(code) {
            if crate::models::recovery_code::use_code(conn, login.id, &hash, now_utc())? {
                Login::record_success(conn, login.id)?;
                AuditEvent::two_step(
                    "recovery_code_used",
                    Some(login.id),
                    login.account_id,
                    login.id,
                )
                .insert(conn)?;
                return Ok(CodeCheck::Recovery);
            }
        }
        Ok(if locks {
            CodeCheck::WrongAndLocked
        } else {
            CodeCheck::Wrong
        })
    })
}

/// What a users sync did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SyncOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// The API's users sync (SPEC 9): the rules of the CSV import (upsert by
/// employee number, all or none), checked before anything is written;
/// users the sync does not name are left as they are. The writes go in
/// bulk, in one transaction with the audit event.
pub fn sync_users(
    conn: &mut DbConnection,
    ctx: &MailContext,
    token: &ApiToken,
    account_id: i64,
    rows: &[ImportRow],
) -> Result<SyncOutcome, OpError> {
    if rows.is_empty() {
        return Err(OpError::Sync {
            index: 0,
            field: "users",
            problem: crate::domain::import::Problem::NoUsers,
        });
    }
    let outcome = write_transaction(conn, |conn| {
        Account::lock_users(conn, account_id)?;
        Account::find(conn, account_id)?.ok_or(OpError::NotFound)?;
        let who = ChangedBy::Token {
            prefix: token.prefix.clone(),
            name: token.name.clone(),
        };
        let outcome = bulk_upsert(conn, ctx, account_id, rows, &who)?;
        AuditEvent::users_synced(
            token.created_by,
            account_id,
            outcome.created,
            outcome.updated,
            outcome.unchanged,
        )
        .via(Some(token))
        .insert(conn)?;
        notify::over_licenses(conn, ctx, account_id)?;
        Ok::<_, OpError>(outcome)
    })?;
    after_bulk(conn, outcome.created + outcome.updated);
    Ok(outcome)
}

/// A new API token, checked.
#[derive(Clone, Debug)]
pub struct TokenInput {
    pub name: String,
    pub scope: crate::domain::tokens::TokenScope,
    pub account_id: Option<i64>,
    pub days: Option<i64>,
}

impl TokenInput {
    /// Check a token's fields. `vendor` says which scopes may be chosen:
    /// staff make vendor tokens (`sync`, `decide`), contacts account
    /// tokens (`read`, `order`), which always have an account.
    pub fn parse(
        name: &str,
        scope: &str,
        account_id: Option<i64>,
        days: &str,
        vendor: bool,
    ) -> Result<TokenInput, (&'static str, FieldError)> {
        use crate::domain::tokens::{self, TokenScope};
        let name =
            validation::required_text(name, tokens::MAX_NAME_CHARS).map_err(|e| ("name", e))?;
        let scope = TokenScope::parse(scope.trim())
            .filter(|s| s.is_vendor() == vendor)
            .ok_or(("scope", FieldError::Scope))?;
        if !vendor && account_id.is_none() {
            return Err(("account", FieldError::Required));
        }
        let days = tokens::parse_days(days).map_err(|e| ("days", e))?;
        Ok(TokenInput {
            name,
            scope,
            account_id,
            days,
        })
    }
}

/// Make an API token; returns it and its text, to show once.
pub fn create_api_token(
    conn: &mut DbConnection,
    by: Option<i64>,
    input: &TokenInput,
) -> Result<(ApiToken, String), OpError> {
    use crate::models::api_token::{new_secret, token_hash, NewApiToken};
    write_transaction(conn, |conn| {
        if let Some(account_id) = input.account_id {
            Account::find(conn, account_id)?.ok_or(OpError::UnknownAccount)?;
        }
        let secret = new_secret();
        let now = now_utc();
        let token = ApiToken::insert(
            conn,
            &NewApiToken {
                token_hash: &token_hash(&secret),
                prefix: ApiToken::prefix_of(&secret),
                name: &input.name,
                scope: input.scope,
                account_id: input.account_id,
                created_by: by,
                created_at: now,
                expires_at: input.days.map(|d| now + chrono::Duration::days(d)),
            },
        )?;
        AuditEvent::api_token_created(by, &token).insert(conn)?;
        Ok((token, secret))
    })
}

/// Revoke a token: a contact one of its account's (`account` set), staff
/// one of the vendor's (`account` none); any other is not found. Revoking
/// a revoked token changes nothing.
pub fn revoke_api_token(
    conn: &mut DbConnection,
    by: Option<i64>,
    token_id: i64,
    account: Option<i64>,
) -> Result<ApiToken, OpError> {
    write_transaction(conn, |conn| {
        let token = ApiToken::find(conn, token_id)?
            .filter(|t| match account {
                Some(a) => t.account_id == Some(a) && !t.scope.is_vendor(),
                None => t.scope.is_vendor(),
            })
            .ok_or(OpError::NotFound)?;
        if ApiToken::revoke(conn, token.id, now_utc())? {
            AuditEvent::api_token_revoked(by, &token).insert(conn)?;
        }
        Ok(token)
    })
}
