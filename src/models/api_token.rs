//! `api_tokens`: the bearer tokens of the JSON API (SPEC 9). A token is
//! `lp_` and 40 random base62 characters, shown once when made; the table
//! keeps its SHA-256, its first 8 characters, name, scope, account (none
//! for a vendor token that spans every account), maker, expiry,
//! revocation and last use.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::{api_tokens, logins};
use crate::db::DbConnection;
use crate::domain::tokens::TokenScope;
use crate::models::Login;

/// What every token starts with.
pub const TOKEN_START: &str = "lp_";
/// How many random base62 characters follow it.
const RANDOM_CHARS: usize = 40;
/// How many leading characters a list shows.
const PREFIX_CHARS: usize = 8;
/// `last_used_at` is written at most this often per token.
const TOUCH_SECONDS: i64 = 60;

/// A new token's text.
pub fn new_secret() -> String {
    use rand::distributions::{Alphanumeric, DistString};
    format!(
        "{TOKEN_START}{}",
        Alphanumeric.sample_string(&mut rand::rngs::OsRng, RANDOM_CHARS)
    )
}

/// What the table keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token as we make them; anything else is not looked up.
pub fn plausible(token: &str) -> bool {
    token.len() == TOKEN_START.len() + RANDOM_CHARS
        && token.starts_with(TOKEN_START)
        && token[TOKEN_START.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub prefix: String,
    pub name: String,
    #[diesel(deserialize_as = String)]
    pub scope: TokenScope,
    pub account_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub token_hash: &'a str,
    pub prefix: &'a str,
    pub name: &'a str,
    #[diesel(serialize_as = String)]
    pub scope: TokenScope,
    pub account_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

impl ApiToken {
    /// Whether it still opens the API at `now` (its maker aside).
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| at > now)
    }

    /// The first characters of a token's text, as lists show them.
    pub fn prefix_of(secret: &str) -> &str {
        &secret[..PREFIX_CHARS.min(secret.len())]
    }

    pub fn insert(conn: &mut DbConnection, new: &NewApiToken<'_>) -> QueryResult<ApiToken> {
        let id = diesel::insert_into(api_tokens::table)
            .values(new.clone())
            .returning(api_tokens::id)
            .get_result::<i64>(conn)?;
        ApiToken::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
    }

    /// The live token with this text, with the login that made it (when a
    /// login did): a token of a disabled login opens nothing. One query.
    pub fn find_live(
        conn: &mut DbConnection,
        secret: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<(ApiToken, Option<Login>)>> {
        if !plausible(secret) {
            return Ok(None);
        }
        let hash = token_hash(secret);
        let found = crate::on_backend!(conn, |c| api_tokens::table
            .left_join(logins::table.on(logins::id.nullable().eq(api_tokens::created_by)))
            .filter(api_tokens::token_hash.eq(&hash))
            .filter(api_tokens::revoked_at.is_null())
            .select((ApiToken::as_select(), Option::<Login>::as_select()))
            .first::<(ApiToken, Option<Login>)>(c)
            .optional())?;
        Ok(found.filter(|(token, maker)| {
            token.is_live(now)
                && match (token.created_by, maker) {
                    (None, _) => true,
                    (Some(_), Some(login)) => !login.disabled,
                    (Some(_), None) => false,
                }
        }))
    }

    /// Note a use: at most once a minute per token, so a busy token costs
    /// no write per request.
    pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<()> {
        let before = now - chrono::Duration::seconds(TOUCH_SECONDS);
        crate::on_backend!(conn, |c| diesel::update(
            api_tokens::table.find(id).filter(
                api_tokens::last_used_at
                    .is_null()
                    .or(api_tokens::last_used_at.lt(before))
            )
        )
        .set(api_tokens::last_used_at.eq(Some(now)))
        .execute(c))?;
        Ok(())
    }

    /// Whether `last_used_at` is due for a write at `now`.
    pub fn touch_due(&self, now: NaiveDateTime) -> bool {
        self.last_used_at
            .is_none_or(|at| at < now - chrono::Duration::seconds(TOUCH_SECONDS))
    }

    /// An account's tokens, newest first.
    pub fn for_account(conn: &mut DbConnection, account_id: i64) -> QueryResult<Vec<ApiToken>> {
        api_tokens::table
            .filter(api_tokens::account_id.eq(account_id))
            .filter(api_tokens::scope.eq_any(TokenScope::ACCOUNT.map(|s| s.as_str())))
            .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
            .select(ApiToken::as_select())
            .load(conn)
    }

    /// The vendor's tokens, newest first.
    pub fn vendor(conn: &mut DbConnection) -> QueryResult<Vec<ApiToken>> {
        api_tokens::table
            .filter(api_tokens::scope.eq_any(TokenScope::VENDOR.map(|s| s.as_str())))
            .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
            .select(ApiToken::as_select())
            .load(conn)
    }

    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ApiToken>> {
        api_tokens::table
            .find(id)
            .select(ApiToken::as_select())
            .first(conn)
            .optional()
    }

    /// Revoke a token not revoked yet; false when it already was.
    pub fn revoke(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
        let n = diesel::update(
            api_tokens::table
                .find(id)
                .filter(api_tokens::revoked_at.is_null()),
        )
        .set(api_tokens::revoked_at.eq(Some(now)))
        .execute(conn)?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_is_lp_and_40_base62_characters_each_one_new() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(plausible(&a), "{a}");
        assert_eq!(ApiToken::prefix_of(&a).len(), 8);
        assert!(ApiToken::prefix_of(&a).starts_with("lp_"));
        assert!(!plausible("lp_short"));
        assert!(!plausible(&a.replace("lp_", "xx_")));
        assert!(!plausible(&format!("{}-", &a[..a.len() - 1])));
    }
}
