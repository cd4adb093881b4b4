//! Who is signed in: passwords, server-side sessions, CSRF tokens, and the
//! extractor that hands handlers the signed-in login.

pub mod csrf;
pub mod form_token;
pub mod password;
pub mod session_store;
pub mod signed_in;

use actix_session::Session;

use crate::i18n::Lang;

pub use signed_in::SignedIn;

/// Session state keys.
const LOGIN_ID: &str = "login_id";
const CSRF: &str = "csrf";
const USER_AGENT: &str = "ua";
const LANG: &str = "lang";
const FLASH: &str = "flash";
/// Put there by the store on load: the row's id, never stored.
pub(crate) const ROW_ID: &str = "_row";
/// Put there by the store on load: the signed-in login, its account and
/// today's count, read in the same database call as the session; never stored.
pub(crate) const WHO: &str = "_who";
/// Keys the store copies into columns.
pub(crate) const STATE_LOGIN_ID: &str = LOGIN_ID;
pub(crate) const STATE_USER_AGENT: &str = USER_AGENT;

/// The client's address for the log: the socket's, never a header the
/// client could write.
pub fn peer_of(addr: Option<std::net::SocketAddr>) -> String {
    addr.map(|a| a.ip().to_string())
        .unwrap_or_else(|| "-".into())
}

/// A random token of 32 bytes, hex-encoded.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Typed access to the session state.
pub struct PortalSession<'a>(pub &'a Session);

impl PortalSession<'_> {
    pub fn login_id(&self) -> Option<i64> {
        self.0.get::<i64>(LOGIN_ID).ok().flatten()
    }

    pub fn csrf(&self) -> Option<String> {
        self.0.get::<String>(CSRF).ok().flatten()
    }

    /// The session's CSRF token, starting a pre-sign-in session if needed.
    pub fn ensure_csrf(&self) -> String {
        match self.csrf() {
            Some(token) => token,
            None => {
                let token = random_token();
                let _ = self.0.insert(CSRF, &token);
                token
            }
        }
    }

    /// Sign in: a new session id, a new CSRF token, the login recorded.
    pub fn sign_in(&self, login_id: i64, user_agent: &str, lang: Option<Lang>) {
        self.0.renew();
        self.0.clear();
        let _ = self.0.insert(LOGIN_ID, login_id);
        let _ = self.0.insert(CSRF, random_token());
        let ua: String = user_agent.chars().take(200).collect();
        let _ = self.0.insert(USER_AGENT, ua);
        if let Some(lang) = lang {
            let _ = self.0.insert(LANG, lang.code());
        }
    }

    pub fn sign_out(&self) {
        self.0.purge();
    }

    pub fn lang(&self) -> Option<Lang> {
        self.0
            .get::<String>(LANG)
            .ok()
            .flatten()
            .and_then(|code| Lang::parse(&code))
    }

    pub fn set_lang(&self, lang: Lang) {
        let _ = self.0.insert(LANG, lang.code());
    }

    /// The id of this session's row, when it has one.
    pub fn row_id(&self) -> Option<String> {
        self.0.get::<String>(ROW_ID).ok().flatten()
    }

    /// A one-time message for the next page.
    pub fn set_flash(&self, key: &str) {
        let _ = self.0.insert(FLASH, key);
    }

    pub fn take_flash(&self) -> Option<String> {
        let flash = self.0.get::<String>(FLASH).ok().flatten();
        if flash.is_some() {
            self.0.remove(FLASH);
        }
        flash
    }
}
