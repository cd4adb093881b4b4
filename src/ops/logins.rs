//! Logins: creating and inviting them, disabling and enabling, and a
//! login's own password change.

use crate::db::{is_unique_violation, write_transaction, DbConnection};
use crate::domain::roles::Role;
use crate::domain::validation::{self, FieldError};
use crate::mail::{notify, MailContext};
use crate::models::login::NewLogin;
use crate::models::login_token::LoginToken;
use crate::models::session::SessionRow;
use crate::models::{now_utc, Account, AuditEvent, Login};

use super::*;

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

pub(super) fn insert_login(
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
