//! The signed-in login, for handlers and scopes.
//!
//! The session middleware leaves the request's [`Identity`] in its
//! extensions. A handler asks for it by the role it needs: [`SignedIn`]
//! (anyone), [`Customer`] (contact or viewer, with their account),
//! [`Contact`] (may change the account) or [`Staff`]. A scope guards all its
//! routes with the same check through [`require`], so a route added to
//! `/account` or `/staff` cannot forget it.

use std::future::{ready, Ready};
use std::ops::Deref;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, ResponseError};

use crate::domain::roles::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::models::{Account, Login};

use super::session::{Identity, Session};

/// What a route needs of the one who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Anyone signed in.
    SignedIn,
    /// A contact or viewer: reads their own account.
    Customer,
    /// A contact: changes their own account.
    Contact,
    /// The vendor's staff.
    Staff,
}

impl Need {
    /// Whether a role meets the need.
    pub fn met_by(self, role: Role) -> bool {
        match self {
            Need::SignedIn => true,
            Need::Customer => role.reads_account(),
            Need::Contact => role.changes_account(),
            Need::Staff => role.is_staff(),
        }
    }
}

/// The client's address for the log.
fn peer(req: &HttpRequest) -> String {
    super::peer_of(req.peer_addr())
}

/// Check a need against the request's identity: sign-in first, then 403.
fn check(req: &HttpRequest, need: Need) -> Result<Rc<Identity>, AppError> {
    let Some(identity) = req.extensions().get::<Rc<Identity>>().cloned() else {
        tracing::info!(peer = %peer(req), route = %crate::auth::route_of(req), "refused: not signed in");
        return Err(AppError::SignInRequired);
    };
    let role = identity.login.role;
    let has_account = identity.account.is_some() || !role.needs_account();
    if !need.met_by(role) || !has_account {
        tracing::warn!(
            login_id = identity.login.id,
            role = %role.as_str(),
            peer = %peer(req),
            route = %crate::auth::route_of(req),
            "refused: role may not"
        );
        return Err(AppError::Forbidden);
    }
    Ok(identity)
}

/// The identity of a request, when it is signed in.
pub fn identity_of(req: &HttpRequest) -> Option<Rc<Identity>> {
    req.extensions().get::<Rc<Identity>>().cloned()
}

async fn require(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    need: Need,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match check(req.request(), need) {
        Ok(_) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(e) => Ok(req.into_response(e.error_response())),
    }
}

/// Scope guard: anyone signed in.
pub async fn require_signed_in(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    require(req, next, Need::SignedIn).await
}

/// Scope guard: a contact or viewer.
pub async fn require_customer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    require(req, next, Need::Customer).await
}

/// Scope guard: staff.
pub async fn require_staff(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    require(req, next, Need::Staff).await
}

/// Anyone signed in, with what every page of theirs shows.
pub struct SignedIn {
    pub login: Login,
    pub account: Option<Account>,
    /// Users counted today on the account (0 for staff).
    pub counted: i64,
    pub lang: Lang,
    pub csrf: String,
    pub session: Session,
    pub flash: Option<crate::i18n::Flash>,
    /// The client's address, for the log.
    pub peer: String,
}

impl SignedIn {
    fn from_req(req: &HttpRequest, need: Need) -> Result<SignedIn, AppError> {
        let identity = check(req, need)?;
        let session = Session::of(req);
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = identity
            .login
            .lang()
            .or_else(|| session.lang())
            .unwrap_or_else(|| Lang::from_accept_language(accept));
        let csrf = session.ensure_csrf();
        let flash = session.take_flash();
        Ok(SignedIn {
            login: identity.login.clone(),
            account: identity.account.clone(),
            counted: identity.counted,
            lang,
            csrf,
            session,
            flash,
            peer: peer(req),
        })
    }

    /// The account of a customer; checked by the extractor that made it.
    fn own_account(&self) -> Result<Account, AppError> {
        self.account.clone().ok_or(AppError::Forbidden)
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Ready<Result<SignedIn, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(SignedIn::from_req(req, Need::SignedIn))
    }
}

/// Staff, for the staff pages.
pub struct Staff(SignedIn);

impl Deref for Staff {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

impl FromRequest for Staff {
    type Error = AppError;
    type Future = Ready<Result<Staff, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(SignedIn::from_req(req, Need::Staff).map(Staff))
    }
}

/// Which customers an account extractor takes, as a type.
pub trait CustomerNeed {
    const NEED: Need;
}

/// A contact or viewer (reads).
pub struct Reader;
impl CustomerNeed for Reader {
    const NEED: Need = Need::Customer;
}

/// A contact (may change the account).
pub struct Changer;
impl CustomerNeed for Changer {
    const NEED: Need = Need::Contact;
}

/// A customer signed in, with their own account: every query of the page
/// is scoped to it. `Customer` reads, `Contact` may change.
pub struct OfAccount<N: CustomerNeed> {
    who: SignedIn,
    account: Account,
    _need: std::marker::PhantomData<N>,
}

/// A contact or viewer, with their own account.
pub type Customer = OfAccount<Reader>;
/// A contact, who may change their own account.
pub type Contact = OfAccount<Changer>;

impl<N: CustomerNeed> OfAccount<N> {
    /// The account this login belongs to: every query of the page is
    /// scoped to it.
    pub fn account(&self) -> &Account {
        &self.account
    }
}

impl<N: CustomerNeed> Deref for OfAccount<N> {
    type Target = SignedIn;
    fn deref(&self) -> &SignedIn {
        &self.who
    }
}

impl<N: CustomerNeed> FromRequest for OfAccount<N> {
    type Error = AppError;
    type Future = Ready<Result<OfAccount<N>, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(SignedIn::from_req(req, N::NEED).and_then(|who| {
            let account = who.own_account()?;
            Ok(OfAccount {
                who,
                account,
                _need: std::marker::PhantomData,
            })
        }))
    }
}

/// The second step's gate, on every page scope (SPEC 8.2):
/// - a half-signed-in session (right password, code still asked) reaches
///   only `/login/two-step` and `/logout`, for at most five minutes; any
///   other GET is sent there, any other POST refused;
/// - a signed-in login that must have two-step (`--two-step`) and has not
///   turned it on reaches only `/me/two-step`, `/logout` and `/language`
///   until it has.
///
/// Paths are compared as sent: another spelling is sent on, never let by.
pub async fn two_step_gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(state) = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .cloned()
    else {
        return Ok(
            req.into_response(AppError::Internal(anyhow::anyhow!("no app state")).error_response())
        );
    };
    let session = Session::of(req.request());
    let path = req.path().to_string();
    let reading = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let send_to = |to: &'static str| {
        if reading {
            actix_web::HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish()
        } else {
            AppError::Forbidden.error_response()
        }
    };
    if let Some(half) = session.half() {
        let age = state.clock.now().timestamp() - half.since;
        if !(0..=crate::two_step::HALF_SESSION_SECONDS).contains(&age) {
            session.clear_half();
        } else if path != "/login/two-step" && path != "/logout" {
            return Ok(req.into_response(send_to("/login/two-step")));
        }
    }
    if let Some(identity) = identity_of(req.request()) {
        let must = state.settings.two_step.requires(identity.login.role);
        if must
            && !identity.login.two_step_on()
            && !["/me/two-step", "/logout", "/language"].contains(&path.as_str())
        {
            return Ok(req.into_response(send_to("/me/two-step")));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_need_is_met_by_its_roles_only() {
        let table = [
            (Need::SignedIn, [true, true, true]),
            (Need::Customer, [true, true, false]),
            (Need::Contact, [true, false, false]),
            (Need::Staff, [false, false, true]),
        ];
        for (need, expected) in table {
            let got = [Role::Contact, Role::Viewer, Role::Staff].map(|r| need.met_by(r));
            assert_eq!(got, expected, "{need:?}");
        }
    }
}
