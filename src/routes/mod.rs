//! Every URL of the portal, in one tree, and the handlers grouped by area.

pub mod account;
pub mod health;
pub mod me;
pub mod pages;
pub mod reports;
pub mod signin;
pub mod staff;
pub mod users;

use actix_session::Session;
use actix_web::{web, HttpResponse};

use crate::auth::PortalSession;
use crate::error::AppError;

/// Patterns with no POST route: a POST there is answered by the router
/// (405), not by the CSRF guard. Forgetting one here only turns its 405
/// into a 403; every other pattern is guarded.
pub const GET_ONLY: &[&str] = &[
    "/healthz",
    "/",
    "/me",
    "/account",
    "/account/orders",
    "/account/orders/{id}",
    "/account/users",
    "/account/reports/active-users",
    "/account/reports/active-users.csv",
    "/staff/orders",
    "/staff/accounts/{id}",
    "/staff/audit",
    "/static/{file}",
];

/// The URL tree.
pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/").route(web::get().to(signin::home)))
        .service(
            web::resource("/login")
                .route(web::get().to(signin::login_form))
                .route(web::post().to(signin::login_submit)),
        )
        .service(web::resource("/logout").route(web::post().to(signin::logout)))
        .service(web::resource("/language").route(web::post().to(signin::set_language)))
        .service(web::resource("/me").route(web::get().to(me::show)))
        .service(web::resource("/me/password").route(web::post().to(me::change_password)))
        .service(
            web::resource("/me/sessions/end-others").route(web::post().to(me::end_other_sessions)),
        )
        .service(web::resource("/account").route(web::get().to(account::overview)))
        .service(
            web::resource("/account/order-licenses")
                .route(web::get().to(account::order_form))
                .route(web::post().to(account::order_submit)),
        )
        .service(web::resource("/account/orders").route(web::get().to(account::orders)))
        .service(web::resource("/account/orders/{id}").route(web::get().to(account::order)))
        .service(
            web::resource("/account/orders/{id}/cancel").route(web::post().to(account::cancel)),
        )
        .service(web::resource("/account/users").route(web::get().to(users::list)))
        .service(web::resource("/account/users/{id}").route(web::post().to(users::change)))
        .service(
            web::resource("/account/reports/active-users")
                .route(web::get().to(reports::active_users)),
        )
        .service(
            web::resource("/account/reports/active-users.csv")
                .route(web::get().to(reports::active_users_csv)),
        )
        .service(web::resource("/staff/orders").route(web::get().to(staff::queue)))
        .service(web::resource("/staff/orders/{id}/approve").route(web::post().to(staff::approve)))
        .service(web::resource("/staff/orders/{id}/reject").route(web::post().to(staff::reject)))
        .service(
            web::resource("/staff/accounts")
                .route(web::get().to(staff::accounts))
                .route(web::post().to(staff::create_account)),
        )
        .service(web::resource("/staff/accounts/{id}").route(web::get().to(staff::account)))
        .service(
            web::resource("/staff/accounts/{id}/licenses").route(web::post().to(staff::adjust)),
        )
        .service(
            web::resource("/staff/accounts/{id}/logins").route(web::post().to(staff::create_login)),
        )
        .service(
            web::resource("/staff/logins/{id}/disable").route(web::post().to(staff::disable_login)),
        )
        .service(
            web::resource("/staff/logins/{id}/enable").route(web::post().to(staff::enable_login)),
        )
        .service(
            web::resource("/staff/accounts/{id}/import")
                .app_data(web::PayloadConfig::new(crate::auth::csrf::UPLOAD_LIMIT))
                .route(web::post().to(staff::import_users)),
        )
        .service(web::resource("/staff/audit").route(web::get().to(staff::audit)))
        .service(actix_files_static());
}

/// `/static/...`: our stylesheet, compiled into the binary.
fn actix_files_static() -> actix_web::Resource {
    web::resource("/static/{file}").route(web::get().to(static_file))
}

async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    match path.as_str() {
        "portal.css" => Ok(HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(include_str!("../../static/portal.css"))),
        _ => Err(AppError::NotFound),
    }
}

/// Anything not in the tree: sign-in first, then 404.
pub async fn not_found(session: Session) -> Result<HttpResponse, AppError> {
    if PortalSession(&session).login_id().is_some() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::SignInRequired)
    }
}

/// Parse an id from a path segment; a malformed id is answered like an
/// unknown one.
pub fn path_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().map_err(|_| AppError::NotFound)
}
