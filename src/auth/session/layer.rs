//! The two small middlewares around actix-session's (see the module
//! above): `scope` outside it, `bridge` inside.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};

use crate::auth::session_reader::SessionReader;
use crate::error::AppError;
use crate::state::AppState;

#[allow(unused_imports)]
use super::*;

/// Outside actix-session's middleware: gives the store what it may know
/// of the request, and removes a cookie that names no session.
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no app state")))?;
    let reader = req
        .app_data::<web::Data<SessionReader>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no session reader")))?;
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .cloned();
    let safe = matches!(
        *req.method(),
        actix_web::http::Method::GET | actix_web::http::Method::HEAD
    );
    let preload = safe.then(|| Preloads::of(&req)).flatten();
    let name = cookie_name(state.settings.is_https());
    let had_cookie = req.cookie(name).is_some();
    let https = state.settings.is_https();
    let request = Rc::new(Request {
        state,
        reader,
        user_agent,
        preload,
        safe,
        began: Cell::new(None),
        live: Cell::new(false),
        read: Cell::new(false),
        must_save: Cell::new(false),
        found: RefCell::new(None),
    });
    let mut res = REQUEST
        .scope(request.clone(), next.call(req))
        .await?
        .map_into_boxed_body();
    let stale =
        had_cookie && !request.live.get() && !res.response().cookies().any(|c| c.name() == name);
    if stale {
        let mut gone = Cookie::build(name, "")
            .path("/")
            .http_only(true)
            .secure(https)
            .same_site(SameSite::Lax)
            .finish();
        gone.make_removal();
        let _ = res.response_mut().add_cookie(&gone);
    }
    Ok(res)
}

/// Inside actix-session's middleware: what the store's read found goes to
/// the request's extensions (the identity the role extractors take, the
/// preloaded orders, the row id).
pub async fn bridge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let found = REQUEST
        .try_with(|r| r.found.borrow_mut().take())
        .ok()
        .flatten();
    if let Some(found) = found {
        req.extensions_mut().insert(RowId(found.row.into()));
        if let Some(identity) = found.identity {
            req.extensions_mut().insert(Rc::new(identity));
        }
        if let Some(preloaded) = found.preloaded {
            req.extensions_mut().insert(preloaded);
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    // actix-session takes the state when the response passes it: the
    // error page drawn outside it learns the session's language here.
    let status = res.status();
    if status.is_client_error() || status.is_server_error() {
        if let Some(lang) = Session::of(res.request()).lang() {
            res.request().extensions_mut().insert(SessionLang(lang));
        }
    }
    Ok(res)
}
