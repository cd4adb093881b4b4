//! The staff's CSV upload of an account's users: the same rules as
//! `license-portal users import`, its messages in the staff member's
//! language.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::auth::Staff;
use crate::error::AppError;
use crate::ops::{self, OpError};
use crate::routes::pages::{render, see_other};
use crate::routes::path_id;
use crate::state::AppState;

use super::accounts::{account_page, AccountForms};

/// `POST /staff/accounts/{id}/import`: a CSV upload with the same rules as
/// `license-portal users import`.
pub async fn import_users(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let t = who.lang.msgs();
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let file = crate::auth::csrf::multipart_parts(&content_type, &body)?
        .into_iter()
        .find(|p| p.name == "file" && !p.data.is_empty());
    let problem = match file {
        None => t.import_missing_file.to_string(),
        Some(file) => {
            let by = who.login.id;
            match state
                .op(move |conn, ctx| {
                    let name = file.filename.as_deref().unwrap_or("upload.csv");
                    ops::import_users(conn, ctx, Some(by), id, name, &file.data)
                })
                .await?
            {
                Ok(_) => {
                    who.session.set_flash(crate::i18n::Flash::UsersImported);
                    return Ok(see_other(&format!("/staff/accounts/{id}")));
                }
                Err(OpError::Import(e)) => who.lang.import_error(&e),
                Err(refused) => return Err(refused.into()),
            }
        }
    };
    let forms = AccountForms {
        role: "contact".into(),
        import_error: Some(problem),
        ..Default::default()
    };
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
