//! `GET /healthz`: 200 when the database answers, 503 when it does not.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;

use crate::error::AppError;
use crate::state::AppState;

pub async fn healthz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state
        .db(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(|e| AppError::Unavailable(e.to_string()))
        })
        .await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("ok"))
}
