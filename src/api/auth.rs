//! The API's own way in (SPEC 9): a bearer token, never the cookie
//! session. `middleware` guards the `/api/v1` scope: it finds the live
//! token (one query, with the login that made it), counts it against the
//! rate limit, notes its use at most once a minute, and leaves a [`Caller`]
//! for the handlers, which ask it what the request needs.

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest, ResponseError};

use crate::domain::tokens::Need;
use crate::models::api_token::ApiToken;
use crate::models::{Account, Login};
use crate::state::AppState;

use super::problem::ApiError;

/// The token a request came with, its maker, and (for an account token)
/// its account.
#[derive(Debug)]
pub struct Caller {
    pub token: ApiToken,
    pub login: Option<Login>,
    pub account: Option<Account>,
}

impl Caller {
    /// Refuse with 403 unless the token's scope allows `need`.
    fn need(&self, need: Need) -> Result<(), ApiError> {
        if self.token.scope.allows(need) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The account of an account token (403 for a vendor token).
    pub fn own_account(&self) -> Result<&Account, ApiError> {
        self.need(Need::ReadOwnAccount)?;
        self.account.as_ref().ok_or(ApiError::Forbidden)
    }

    /// The one account this token is bound to, if it is.
    pub fn bound_account(&self) -> Option<i64> {
        self.token.account_id
    }

    /// Whether the token reaches the account `id` (a vendor token without
    /// an account reaches every one).
    pub fn reaches(&self, id: i64) -> bool {
        crate::domain::tokens::reaches(self.token.account_id, id)
    }
}

/// The bearer token of a request, if it sent one in the usual form.
fn bearer(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Around `/api/v1`: no live token, 401 with `WWW-Authenticate: Bearer`;
/// over its rate, 429. A session cookie counts for nothing here.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    // A refusal is answered here as a response, so the problem frame
    // around the scope draws it.
    let refuse = |req: ServiceRequest, e: ApiError| Ok(req.into_response(e.error_response()));
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return refuse(req, ApiError::Unauthorized);
    };
    let Some(secret) = bearer(&req) else {
        tracing::info!(peer = %crate::auth::peer_of(req.peer_addr()), "api: refused, no token");
        return refuse(req, ApiError::Unauthorized);
    };
    // Guessing tokens is braked like guessing passwords, per address, on
    // a brake of its own (bad tokens only; sign-in failures do not count
    // here). A valid token is never braked, only held to its own rate: a
    // customer behind the same address as a guesser keeps its sync. A
    // braked address's text that is no token of ours costs no database
    // connection.
    let client = crate::throttle::client_addr(req.request(), &state.settings.trusted_proxies);
    let braked = client.and_then(|a| state.api_throttle.retry_after(a));
    let refuse_bad = |req: ServiceRequest, state: &AppState| {
        if let Some(wait) = braked {
            return refuse(req, ApiError::TooManyRequests(wait.as_secs().max(1)));
        }
        state
            .api_throttle
            .failed_from(crate::throttle::Client(client));
        refuse(req, ApiError::Unauthorized)
    };
    if !crate::models::api_token::plausible(&secret) {
        tracing::info!(peer = %crate::auth::peer_of(req.peer_addr()), "api: refused, not a token");
        return refuse_bad(req, &state);
    }
    let clock_now = state.clock.now();
    let now = clock_now.naive_utc();
    let found = state
        .db(move |conn| {
            let Some((token, login)) = ApiToken::find_live(conn, &secret, now)? else {
                return Ok(None);
            };
            let account = match token.account_id.filter(|_| !token.scope.is_vendor()) {
                Some(id) => {
                    let a = Account::find(conn, id)?.ok_or(crate::error::AppError::NotFound)?;
                    let today = a.today(clock_now);
                    Some(a.as_of(conn, today)?)
                }
                None => None,
            };
            if token.touch_due(now) {
                ApiToken::touch(conn, token.id, now)?;
            }
            Ok(Some(Caller {
                token,
                login,
                account,
            }))
        })
        .await;
    let caller = match found {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            tracing::info!(peer = %crate::auth::peer_of(req.peer_addr()), "api: refused, unknown, revoked or expired token");
            return refuse_bad(req, &state);
        }
        Err(e) => return refuse(req, ApiError::App(e)),
    };
    if let Err(wait) = state.token_limit.hit(caller.token.id) {
        tracing::info!(token_id = caller.token.id, "api: rate limit");
        return refuse(req, ApiError::TooManyRequests(wait));
    }
    req.extensions_mut().insert(Rc::new(caller));
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// What a handler's token must allow, named in its type (`Token<Decide>`):
/// the only way a handler gets its caller, so a new endpoint cannot
/// compile without naming its scope.
pub trait Scope {
    const NEED: Need;
}

macro_rules! scopes {
    ($($(#[$doc:meta])* $name:ident => $need:expr;)*) => {
        $($(#[$doc])* pub struct $name; impl Scope for $name { const NEED: Need = $need; })*
    };
}

scopes! {
    /// Read one's own account (account tokens: `read`, `order`).
    OwnAccount => Need::ReadOwnAccount;
    /// Place or cancel an order of one's own account (`order`).
    PlaceOrders => Need::Order;
    /// Read accounts (vendor tokens: `sync`, `decide`).
    ReadAccounts => Need::ReadAccounts;
    /// Write an account's users (`sync`).
    SyncUsers => Need::Sync;
    /// Read orders (`read`, `order`: its account's; `decide`: those it reaches).
    ReadOrders => Need::ReadOrders;
    /// Approve or reject orders (`decide`).
    Decide => Need::Decide;
    /// Write on an order (`order`: its account's; `decide`: those it reaches).
    WriteMessages => Need::Message;
}

/// The caller of a request whose token allows `S` (403 otherwise).
pub struct Token<S: Scope>(Rc<Caller>, std::marker::PhantomData<S>);

impl<S: Scope> std::ops::Deref for Token<S> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<S: Scope> FromRequest for Token<S> {
    type Error = ApiError;
    type Future = Ready<Result<Token<S>, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = req.extensions().get::<Rc<Caller>>().cloned();
        ready(match caller {
            None => Err(ApiError::Unauthorized),
            Some(c) if c.token.scope.allows(S::NEED) => Ok(Token(c, std::marker::PhantomData)),
            Some(_) => Err(ApiError::Forbidden),
        })
    }
}
