//! The API tokens' pages (SPEC 9): a contact's account tokens at
//! `/account/api-tokens` (a viewer sees the list only), the vendor's at
//! `/staff/api-tokens` (only staff with two-step on make them). A new
//! token is shown once, on the page its form answers with.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::{Contact, Customer, SignedIn, Staff};
use crate::error::AppError;
use crate::models::api_token::ApiToken;
use crate::models::now_utc;
use crate::ops::{self, OpError, TokenInput};
use crate::routes::pages::{render, see_other, Chrome};
use crate::routes::path_id;
use crate::state::AppState;

/// A token as a row of the list.
pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scope: &'static str,
    pub account: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub live: bool,
    pub state_text: &'static str,
}

fn line(who: &SignedIn, t: &ApiToken) -> TokenLine {
    let m = who.lang.msgs();
    let now = now_utc();
    let when = |at: Option<chrono::NaiveDateTime>, none: &'static str| {
        at.map(|a| a.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| none.to_string())
    };
    TokenLine {
        id: t.id,
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        scope: t.scope.as_str(),
        account: t
            .account_id
            .map(|a| a.to_string())
            .unwrap_or_else(|| m.tokens_every_account.to_string()),
        created: when(Some(t.created_at), ""),
        last_used: when(t.last_used_at, m.tokens_never),
        expires: when(t.expires_at, m.tokens_no_expiry),
        live: t.is_live(now),
        state_text: if t.revoked_at.is_some() {
            m.tokens_revoked
        } else if t.is_live(now) {
            m.tokens_live
        } else {
            m.tokens_expired
        },
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub struct TokensPage {
    pub c: Chrome,
    /// `/account/api-tokens` or `/staff/api-tokens`.
    pub base: &'static str,
    pub vendor: bool,
    /// May make and revoke tokens here.
    pub may_change: bool,
    pub tokens: Vec<TokenLine>,
    /// The token just made, shown this once.
    pub new_token: Option<String>,
    pub error: Option<&'static str>,
    pub error_field: &'static str,
    pub name: String,
    pub scope: String,
    pub account: String,
    pub days: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    days: String,
}

/// The page of one side, with the list read now.
async fn page(
    who: &SignedIn,
    state: &AppState,
    vendor: bool,
    may_change: bool,
) -> Result<TokensPage, AppError> {
    let account = who.account.as_ref().map(|a| a.id);
    let tokens = state
        .db(move |conn| match account {
            Some(id) if !vendor => Ok(ApiToken::for_account(conn, id)?),
            _ => Ok(ApiToken::vendor(conn)?),
        })
        .await?;
    let (base, active) = if vendor {
        ("/staff/api-tokens", "api-tokens")
    } else {
        ("/account/api-tokens", "api-tokens")
    };
    Ok(TokensPage {
        c: Chrome::signed_in(who, active, base),
        base,
        vendor,
        may_change,
        tokens: tokens.iter().map(|t| line(who, t)).collect(),
        new_token: None,
        error: None,
        error_field: "",
        name: String::new(),
        scope: String::new(),
        account: String::new(),
        days: String::new(),
    })
}

/// `GET /account/api-tokens`.
pub async fn account_tokens(
    who: Customer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let may = who.login.role.changes_account();
    render(StatusCode::OK, &page(&who, &state, false, may).await?)
}

/// `GET /staff/api-tokens`.
pub async fn vendor_tokens(
    who: Staff,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let may = who.login.two_step_on();
    render(StatusCode::OK, &page(&who, &state, true, may).await?)
}

/// Make a token from the form; the page shows it once (200), or the form
/// again with what is wrong (422).
async fn create(
    who: &SignedIn,
    state: &AppState,
    vendor: bool,
    form: TokenForm,
) -> Result<HttpResponse, AppError> {
    let t = who.lang.msgs();
    let account = if vendor {
        match form.account.trim() {
            "" => Ok(None),
            text => text
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ("account", t.err_number)),
        }
    } else {
        Ok(who.account.as_ref().map(|a| a.id))
    };
    let parsed = account.and_then(|account| {
        TokenInput::parse(&form.name, &form.scope, account, &form.days, vendor)
            .map_err(|(field, e)| (field, t.field_error(e)))
    });
    let outcome = match parsed {
        Ok(input) => {
            let by = who.login.id;
            match state
                .db(move |conn| Ok(ops::create_api_token(conn, Some(by), &input)))
                .await?
            {
                Ok((token, secret)) => {
                    tracing::info!(
                        token_id = token.id,
                        login_id = by,
                        scope = token.scope.as_str(),
                        "api token made"
                    );
                    Ok(secret)
                }
                Err(OpError::UnknownAccount) => Err(("account", t.err_unknown_account)),
                Err(e) => return Err(e.into()),
            }
        }
        Err(bad) => Err(bad),
    };
    let mut view = page(who, state, vendor, true).await?;
    match outcome {
        Ok(secret) => {
            view.new_token = Some(secret);
            render(StatusCode::OK, &view)
        }
        Err((field, message)) => {
            view.error = Some(message);
            view.error_field = field;
            view.name = form.name;
            view.scope = form.scope;
            view.account = form.account;
            view.days = form.days;
            render(StatusCode::UNPROCESSABLE_ENTITY, &view)
        }
    }
}

/// `POST /account/api-tokens` (contact).
pub async fn create_account_token(
    who: Contact,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    create(&who, &state, false, form.into_inner()).await
}

/// `POST /staff/api-tokens`: only staff with two-step on (403 otherwise).
pub async fn create_vendor_token(
    who: Staff,
    state: web::Data<AppState>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    if !who.login.two_step_on() {
        return Err(AppError::Forbidden);
    }
    create(&who, &state, true, form.into_inner()).await
}

async fn revoke(
    who: &SignedIn,
    state: &AppState,
    raw: &str,
    account: Option<i64>,
    back: &str,
) -> Result<HttpResponse, AppError> {
    let id = path_id(raw)?;
    let by = who.login.id;
    state
        .db(move |conn| Ok(ops::revoke_api_token(conn, Some(by), id, account)))
        .await??;
    tracing::info!(token_id = id, login_id = by, "api token revoked");
    who.session.set_flash(crate::i18n::Flash::TokenRevoked);
    Ok(see_other(back))
}

/// `POST /account/api-tokens/{id}/revoke` (contact; the account's own).
pub async fn revoke_account_token(
    who: Contact,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let account = Some(who.account().id);
    revoke(&who, &state, &path, account, "/account/api-tokens").await
}

/// `POST /staff/api-tokens/{id}/revoke` (staff; the vendor's).
pub async fn revoke_vendor_token(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    revoke(&who, &state, &path, None, "/staff/api-tokens").await
}
