//! API tokens: a new one, checked, and making it.

use crate::db::{write_transaction, DbConnection};
use crate::domain::validation::{self, FieldError};
use crate::models::api_token::ApiToken;
use crate::models::{now_utc, Account, AuditEvent};

use super::*;

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
