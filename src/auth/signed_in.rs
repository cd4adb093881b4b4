//! The signed-in login, for handlers: loaded from the session on each
//! request, refused when the login is gone or disabled.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::{Account, Login};
use crate::state::AppState;

use super::PortalSession;

/// Who is signed in, with their account (contact and viewer) and its figures.
pub struct SignedIn {
    pub login: Login,
    pub account: Option<Account>,
    /// Users counted today on the account (0 for staff).
    pub counted: i64,
    pub lang: Lang,
    pub csrf: String,
    pub session: Session,
    pub flash: Option<String>,
    /// The client's address, for the log.
    pub peer: String,
}

impl SignedIn {
    /// Contact or viewer: their own account. Staff get 403.
    pub fn customer(&self) -> Result<&Account, AppError> {
        match &self.account {
            Some(account) if self.login.role().reads_account() => Ok(account),
            _ => Err(self.refuse()),
        }
    }

    /// Contact only: their own account, to change.
    pub fn contact(&self) -> Result<&Account, AppError> {
        match &self.account {
            Some(account) if self.login.role().changes_account() => Ok(account),
            _ => Err(self.refuse()),
        }
    }

    /// Staff only.
    pub fn staff(&self) -> Result<(), AppError> {
        if self.login.role().is_staff() {
            Ok(())
        } else {
            Err(self.refuse())
        }
    }

    fn refuse(&self) -> AppError {
        tracing::warn!(
            login_id = self.login.id,
            role = %self.login.role,
            peer = %self.peer,
            "refused: role may not"
        );
        AppError::Forbidden
    }

    pub fn portal_session(&self) -> PortalSession<'_> {
        PortalSession(&self.session)
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<SignedIn, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let accept = req
            .headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let peer = super::peer_of(req.peer_addr());
        let path = req.path().to_string();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
            let ps = PortalSession(&session);
            let Some(login_id) = ps.login_id() else {
                tracing::info!(%peer, %path, "refused: not signed in");
                return Err(AppError::SignInRequired);
            };
            // Normally the session store read the login with the session.
            let carried = session
                .get::<super::session_store::Who>(super::WHO)
                .ok()
                .flatten()
                .filter(|(login, _, _)| login.id == login_id);
            let now = state.clock.now();
            let found = match carried {
                Some(who) => Some(who),
                None => {
                    state
                        .db(move |conn| Ok(super::session_store::load_who(conn, login_id, now)?))
                        .await?
                }
            };
            let Some((login, account, counted)) = found.filter(|(l, _, _)| !l.disabled) else {
                tracing::warn!(login_id, %peer, %path, "refused: login gone or disabled; session ended");
                ps.sign_out();
                return Err(AppError::SignInRequired);
            };
            let lang = login
                .language
                .as_deref()
                .and_then(Lang::parse)
                .or_else(|| ps.lang())
                .unwrap_or_else(|| Lang::from_accept_language(accept.as_deref()));
            let csrf = ps.ensure_csrf();
            let flash = ps.take_flash();
            Ok(SignedIn {
                login,
                account,
                counted,
                lang,
                csrf,
                session,
                flash,
                peer,
            })
        })
    }
}
