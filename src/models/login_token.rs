//! `login_tokens`: the one-time links of invitations and password resets
//! (SPEC 7). A token is 32 random bytes, base64url, shown only in the mail;
//! the table keeps its SHA-256, its purpose, login, expiry and use.

use base64::Engine;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::login_tokens;
use crate::db::DbConnection;

pub use crate::domain::links::Purpose;

/// A new token's text: 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the table keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token as we make them (43 base64url characters); anything else is
/// not looked up.
pub fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = login_tokens)]
pub struct LoginToken {
    pub id: i64,
    pub token_hash: String,
    #[diesel(deserialize_as = String)]
    pub purpose: Purpose,
    pub login_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Clone, Insertable)]
#[diesel(table_name = login_tokens)]
struct NewLoginToken<'a> {
    token_hash: &'a str,
    purpose: &'a str,
    login_id: i64,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl LoginToken {
    /// Make a token for a login; returns its text (never stored). A new
    /// invitation ends the login's earlier ones.
    pub fn issue(
        conn: &mut DbConnection,
        login_id: i64,
        purpose: Purpose,
        now: NaiveDateTime,
    ) -> QueryResult<(String, NaiveDateTime)> {
        if purpose == Purpose::Invitation {
            diesel::update(
                login_tokens::table
                    .filter(login_tokens::login_id.eq(login_id))
                    .filter(login_tokens::purpose.eq(purpose.as_str()))
                    .filter(login_tokens::used_at.is_null()),
            )
            .set(login_tokens::used_at.eq(Some(now)))
            .execute(conn)?;
        }
        let token = new_token();
        let expires_at = now + purpose.lifetime();
        diesel::insert_into(login_tokens::table)
            .values(NewLoginToken {
                token_hash: &token_hash(&token),
                purpose: purpose.as_str(),
                login_id,
                created_at: now,
                expires_at,
            })
            .execute(conn)?;
        Ok((token, expires_at))
    }

    /// The unused, unexpired token of this purpose, if the text names one.
    pub fn find_live(
        conn: &mut DbConnection,
        token: &str,
        purpose: Purpose,
        now: NaiveDateTime,
    ) -> QueryResult<Option<LoginToken>> {
        if !plausible(token) {
            return Ok(None);
        }
        login_tokens::table
            .filter(login_tokens::token_hash.eq(token_hash(token)))
            .filter(login_tokens::purpose.eq(purpose.as_str()))
            .filter(login_tokens::used_at.is_null())
            .filter(login_tokens::expires_at.gt(now))
            .select(LoginToken::as_select())
            .first(conn)
            .optional()
    }

    /// Use the token up; false when it was used meanwhile (a second POST
    /// racing the first).
    pub fn use_up(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
        let n = diesel::update(
            login_tokens::table
                .find(id)
                .filter(login_tokens::used_at.is_null()),
        )
        .set(login_tokens::used_at.eq(Some(now)))
        .execute(conn)?;
        Ok(n == 1)
    }

    /// End every live link of a login (its password was set, changed or
    /// reset, or it was disabled): none of them may set a password again.
    pub fn revoke_all(
        conn: &mut DbConnection,
        login_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            login_tokens::table
                .filter(login_tokens::login_id.eq(login_id))
                .filter(login_tokens::used_at.is_null()),
        )
        .set(login_tokens::used_at.eq(Some(now)))
        .execute(conn)
    }

    /// The login's live invitation's expiry, for the staff's account page.
    pub fn invitation_expiry(
        conn: &mut DbConnection,
        login_id: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Option<NaiveDateTime>> {
        login_tokens::table
            .filter(login_tokens::login_id.eq(login_id))
            .filter(login_tokens::purpose.eq(Purpose::Invitation.as_str()))
            .filter(login_tokens::used_at.is_null())
            .filter(login_tokens::expires_at.gt(now))
            .select(diesel::dsl::max(login_tokens::expires_at))
            .first::<Option<NaiveDateTime>>(conn)
    }

    /// Reset links made for a login since `since` (at most 3 an hour).
    pub fn resets_since(
        conn: &mut DbConnection,
        login_id: i64,
        since: NaiveDateTime,
    ) -> QueryResult<i64> {
        login_tokens::table
            .filter(login_tokens::login_id.eq(login_id))
            .filter(login_tokens::purpose.eq(Purpose::PasswordReset.as_str()))
            .filter(login_tokens::created_at.gt(since))
            .count()
            .get_result(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_base64url_characters_and_only_their_hash_is_kept() {
        let t = new_token();
        assert!(plausible(&t), "{t}");
        assert_ne!(new_token(), t);
        assert_eq!(token_hash(&t).len(), 64);
        assert!(!token_hash(&t).contains(&t));
        assert!(!plausible("short"));
        assert!(!plausible(&format!("{}=", &t[..42])));
    }
}
