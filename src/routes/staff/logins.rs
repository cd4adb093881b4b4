//! An account's logins (SPEC 4.3): new logins invited by mail, disabling
//! and enabling, a new invitation, another login's two-step reset.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::accounts::{account_page, AccountForms};
use crate::auth::Staff;
use crate::domain::roles::Role;
use crate::error::AppError;
use crate::ops::{self, LoginInput, OpError};
use crate::routes::pages::{render, see_other};
use crate::routes::path_id;
use crate::state::AppState;

/// Back to the login's account page (the accounts list for staff).
fn back_to_account(account_id: Option<i64>) -> HttpResponse {
    see_other(&match account_id {
        Some(a) => format!("/staff/accounts/{a}"),
        None => "/staff/accounts".to_string(),
    })
}

#[derive(Deserialize)]
pub struct NewLoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

/// `POST /staff/accounts/{id}/logins`: a contact or viewer of the account,
/// invited by mail to choose its own password (staff never type or see a
/// customer's password).
pub async fn create_login(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<NewLoginForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let f = form.into_inner();
    let mut forms = AccountForms {
        email: f.email.clone(),
        login_name: f.name.clone(),
        role: f.role.clone(),
        ..Default::default()
    };
    match LoginInput::parse(&f.email, &f.name, &f.role, Some(id), None) {
        // Staff logins are made from the command line, not on an account.
        Ok(input) if input.role != Role::Staff => {
            let by = who.login.id;
            match state
                .op(move |conn, ctx| ops::invite_login(conn, ctx, Some(by), &input))
                .await?
            {
                Ok((login, _)) => {
                    tracing::info!(login_id = login.id, by, "login created and invited");
                    who.session.set_flash(crate::i18n::Flash::InvitationSent);
                    return Ok(see_other(&format!("/staff/accounts/{id}")));
                }
                Err(OpError::EmailTaken) => forms.email_error = Some(t.email_taken),
                Err(refused) => return Err(refused.into()),
            }
        }
        Ok(_) => forms.role_error = Some(t.err_role),
        Err((field, e)) => match field {
            "email" => forms.email_error = Some(t.field_error(e)),
            "name" => forms.email_error = Some(t.field_error(e)),
            _ => forms.role_error = Some(t.err_role),
        },
    }
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

async fn set_disabled(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    disabled: bool,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let by = who.login.id;
    if id == by {
        return Err(AppError::Forbidden);
    }
    let login = state
        .db(move |conn| Ok(ops::set_login_disabled(conn, Some(by), id, disabled)?))
        .await?;
    who.session.set_flash(if disabled {
        crate::i18n::Flash::LoginDisabled
    } else {
        crate::i18n::Flash::LoginEnabled
    });
    Ok(back_to_account(login.account_id))
}

/// `POST /staff/logins/{id}/disable`: ends the login's sessions at once.
pub async fn disable_login(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(who, state, path, true).await
}

/// `POST /staff/logins/{id}/enable`.
pub async fn enable_login(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    set_disabled(who, state, path, false).await
}

/// `POST /staff/logins/{id}/invite`: a new invitation for a login that has
/// not set its password; the earlier link stops working.
pub async fn invite_again(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let by = who.login.id;
    let (login, _) = state
        .op(move |conn, ctx| ops::reinvite(conn, ctx, Some(by), id))
        .await??;
    who.session.set_flash(crate::i18n::Flash::InvitationSent);
    Ok(back_to_account(login.account_id))
}

/// `POST /staff/logins/{id}/two-step/reset`: another login's two-step off,
/// its sessions ended (audited); it enrols again where its role must.
pub async fn reset_two_step(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let by = who.login.id;
    if id == by {
        return Err(AppError::Forbidden);
    }
    let login = state
        .op(move |conn, _| ops::reset_two_step(conn, Some(by), id))
        .await??;
    tracing::info!(
        login_id = login.id,
        by,
        "two-step reset by staff; sessions ended"
    );
    who.session.set_flash(crate::i18n::Flash::TwoStepReset);
    Ok(back_to_account(login.account_id))
}
