//! One error type for the pages.
//!
//! Policy: a handler returns `AppError` for anything that is not the page it
//! meant to show. The variant decides the status code; the readable page in
//! the reader's language is drawn by `middleware::frame` from the status alone, so
//! no SQL, path or stack trace can reach it. The cause goes to the log.
//! Forms with bad values are not errors: their handlers re-render them with 422.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::ops::OpError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("malformed request")]
    BadRequest,
    #[error("sign-in required")]
    SignInRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token, or a cross-site request")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("the order is no longer pending")]
    AlreadyDecided,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("the link is unknown, used or expired")]
    Gone,
    #[error("body too large")]
    PayloadTooLarge,
    #[error("body is not a form")]
    UnsupportedMediaType,
    #[error("unprocessable")]
    Unprocessable,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// This address failed too often: wait this many seconds.
    #[error("too many failed attempts from this address")]
    TooManyRequests(u64),
    /// Too many password hashes waiting: try again shortly.
    #[error("password hashing is busy")]
    Busy,
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// What a 503 for a busy hasher tells the client to wait.
pub const RETRY_AFTER_SECONDS: &str = "5";

/// Marks a response that carries its own body (a 401 or 422 form, an API
/// problem), so the frame leaves it alone.
#[derive(Clone, Copy, Debug)]
pub struct OwnBody;

/// Marks a response whose body the frame should replace with the error page.
#[derive(Clone, Copy, Debug)]
pub struct NeedsErrorPage;

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::SignInRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::AlreadyDecided => StatusCode::CONFLICT,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Gone => StatusCode::GONE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable(_) | AppError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            AppError::Busy => tracing::warn!("password hashing busy: answered 503"),
            AppError::Internal(cause) => {
                tracing::error!(cause = %format!("{cause:#}"), "internal error")
            }
            _ => {}
        }
        if let AppError::SignInRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            AppError::Busy => {
                res.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
            }
            AppError::TooManyRequests(seconds) => {
                res.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            _ => {}
        }
        let mut res = res.finish();
        res.extensions_mut().insert(NeedsErrorPage);
        res
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(e.into())
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<crate::password::HashError> for AppError {
    fn from(e: crate::password::HashError) -> Self {
        match e {
            crate::password::HashError::Busy => AppError::Busy,
            crate::password::HashError::Failed => AppError::Internal(e.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<OpError> for AppError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound | OpError::UnknownAccount => AppError::NotFound,
            OpError::NotPending | OpError::Clash(_) => AppError::AlreadyDecided,
            OpError::Db(e) => e.into(),
            OpError::Mail(e) => AppError::Internal(e.into()),
            OpError::LinkGone => AppError::Gone,
            // Handlers re-render forms for these; reaching here is a 422 page.
            OpError::Invalid { .. }
            | OpError::EmailTaken
            | OpError::LicenseBounds
            | OpError::TooFew(_)
            | OpError::RoleAccount
            | OpError::Import(_)
            | OpError::KeyReused
            | OpError::Sync { .. } => AppError::Unprocessable,
        }
    }
}
