//! Every URL of the portal, in one tree, and the handlers grouped by area.

pub mod account;
pub mod agreement;
pub mod alerts;
pub mod api_tokens;
pub mod confirmation;
pub mod cost;
pub mod health;
pub mod history;
pub mod licenses;
pub mod links;
pub mod me;
pub mod messages;
pub mod overview;
pub mod pages;
pub mod reports;
pub mod signin;
pub mod staff;
pub mod two_step;
pub mod users;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::auth::identity::{
    identity_of, require_customer, require_signed_in, require_staff, two_step_gate,
};
use crate::auth::{csrf, session};
use crate::error::AppError;
use crate::models::login_token::Purpose;

/// The URL tree, the only list of paths. Each scope carries its guards, so
/// a route added to a scope gets them with no further code:
///
/// | where | guards, outermost first |
/// |---|---|
/// | `/healthz`, `/static/...` | none (no session is read) |
/// | `/api/...` | its own: a bearer token, problem JSON (`api::config`) |
/// | `/staff/accounts/{id}/import` | session, CSRF for uploads (staff only, 20 MiB), the two-step gate, staff |
/// | everything else | session, CSRF for forms (32 KiB), the two-step gate |
/// | `/me/...` | ... and signed in |
/// | `/account/...` | ... and contact or viewer |
/// | `/staff/...` | ... and staff |
///
/// The CSRF guard decides on the method, never on the path: whatever
/// spelling of a path the router takes, it went through a guarded scope.
/// The session cookie is signed with `cookie_key`; `https` gives it
/// `Secure` and the `__Host-` prefix.
pub fn config(
    cookie_key: actix_web::cookie::Key,
    https: bool,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| tree(cfg, cookie_key, https)
}

fn tree(cfg: &mut web::ServiceConfig, cookie_key: actix_web::cookie::Key, https: bool) {
    // The page asked most often reads its orders in the session's own
    // statement (see `session::Preload`).
    cfg.app_data(session::Preloads(&[("/account", session::Preload::Orders)]));
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/static/{file}").route(web::get().to(static_file)))
        .service(web::resource("/metrics").route(web::get().to(crate::telemetry::metrics_page)))
        .configure(crate::api::config)
        .service(
            web::scope("")
                .wrap(from_fn(session::bridge))
                .wrap(session::layer(cookie_key, https))
                .wrap(from_fn(session::scope))
                .service(
                    web::scope("/staff/accounts/{id}/import")
                        .wrap(from_fn(require_staff))
                        .wrap(from_fn(two_step_gate))
                        .wrap(from_fn(csrf::uploads))
                        .app_data(web::PayloadConfig::new(csrf::UPLOAD_LIMIT))
                        .service(
                            web::resource("").route(web::post().to(staff::import::import_users)),
                        ),
                )
                .service(
                    web::scope("")
                        .wrap(from_fn(two_step_gate))
                        .wrap(from_fn(csrf::forms))
                        .configure(public)
                        .service(
                            web::scope("/me")
                                .wrap(from_fn(require_signed_in))
                                .configure(me),
                        )
                        .service(
                            web::scope("/account")
                                .wrap(from_fn(require_customer))
                                .configure(account),
                        )
                        .service(
                            web::scope("/staff")
                                .wrap(from_fn(require_staff))
                                .configure(staff),
                        )
                        .default_service(web::to(not_found)),
                ),
        );
}

/// Pages before and around signing in.
fn public(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(signin::home)))
        .service(
            web::resource("/login")
                .route(web::get().to(signin::login_form))
                .route(web::post().to(signin::login_submit)),
        )
        .service(
            web::resource("/login/reset")
                .route(web::get().to(links::reset_form))
                .route(web::post().to(links::reset_request)),
        )
        .service(
            web::resource("/invitation/{token}")
                .app_data(Purpose::Invitation)
                .route(web::get().to(links::link_form))
                .route(web::post().to(links::link_submit)),
        )
        .service(
            web::resource("/reset/{token}")
                .app_data(Purpose::PasswordReset)
                .route(web::get().to(links::link_form))
                .route(web::post().to(links::link_submit)),
        )
        .service(
            web::resource("/login/two-step")
                .route(web::get().to(two_step::code_form))
                .route(web::post().to(two_step::code_submit)),
        )
        .service(web::resource("/logout").route(web::post().to(signin::logout)))
        .service(web::resource("/language").route(web::post().to(signin::set_language)));
}

/// `/me`: every signed-in login.
fn me(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").route(web::get().to(me::show)))
        .service(web::resource("/password").route(web::post().to(me::change_password)))
        .service(
            web::resource("/sessions/end-others").route(web::post().to(me::end_other_sessions)),
        )
        .service(
            web::resource("/two-step")
                .route(web::get().to(two_step::settings))
                .route(web::post().to(two_step::enrol)),
        )
        .service(
            web::resource("/two-step/recovery-codes").route(web::post().to(two_step::renew_codes)),
        )
        .service(web::resource("/two-step/off").route(web::post().to(two_step::turn_off)))
        .service(web::resource("/warnings").route(web::post().to(me::set_warnings)));
}

/// `/account`: a customer's own account.
fn account(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").route(web::get().to(overview::overview)))
        .service(
            web::resource("/order-licenses")
                .route(web::get().to(account::order_form))
                .route(web::post().to(account::order_submit)),
        )
        .service(web::resource("/orders").route(web::get().to(account::orders)))
        .service(web::resource("/licenses").route(web::get().to(licenses::page)))
        .service(
            web::resource("/reduce-licenses")
                .route(web::get().to(licenses::reduce_form))
                .route(web::post().to(licenses::reduce_submit)),
        )
        .service(web::resource("/licenses.csv").route(web::get().to(licenses::csv)))
        .service(web::resource("/orders/{id}").route(web::get().to(account::order)))
        .service(web::resource("/orders/{id}/cancel").route(web::post().to(account::cancel)))
        .service(
            web::resource("/orders/{id}/confirmation").route(web::get().to(confirmation::customer)),
        )
        .service(
            web::resource("/orders/{id}/messages").route(web::post().to(messages::customer_post)),
        )
        .service(web::resource("/users").route(web::get().to(users::list)))
        .service(web::resource("/agreement").route(web::get().to(agreement::page)))
        .service(
            web::resource("/alerts")
                .route(web::get().to(alerts::show))
                .route(web::post().to(alerts::save)),
        )
        .service(
            web::resource("/users/{id}")
                .route(web::get().to(history::user_page))
                .route(web::post().to(users::change)),
        )
        .service(web::resource("/reports/changes").route(web::get().to(history::changes)))
        .service(web::resource("/reports/active-users").route(web::get().to(reports::active_users)))
        .service(
            web::resource("/reports/active-users.csv")
                .route(web::get().to(reports::active_users_csv)),
        )
        .service(
            web::resource("/api-tokens")
                .route(web::get().to(api_tokens::account_tokens))
                .route(web::post().to(api_tokens::create_account_token)),
        )
        .service(
            web::resource("/api-tokens/{id}/revoke")
                .route(web::post().to(api_tokens::revoke_account_token)),
        );
}

/// `/staff`: the vendor's staff.
fn staff(cfg: &mut web::ServiceConfig) {
    use staff::{accounts, agreement, audit, logins, order, orders, outbox, rule};
    cfg.service(web::resource("/orders").route(web::get().to(orders::queue)))
        .service(web::resource("/orders/{id}").route(web::get().to(order::order)))
        .service(web::resource("/orders/{id}/messages").route(web::post().to(order::post_message)))
        .service(
            web::resource("/orders/{id}/confirmation").route(web::get().to(confirmation::staff)),
        )
        .service(web::resource("/orders/{id}/approve").route(web::post().to(orders::approve)))
        .service(web::resource("/orders/{id}/reject").route(web::post().to(orders::reject)))
        .service(
            web::resource("/accounts")
                .route(web::get().to(accounts::accounts))
                .route(web::post().to(accounts::create_account)),
        )
        .service(web::resource("/accounts/{id}").route(web::get().to(accounts::account)))
        .service(web::resource("/accounts/{id}/licenses").route(web::post().to(accounts::adjust)))
        .service(web::resource("/accounts/{id}/rule").route(web::post().to(rule::set_rule)))
        .service(
            web::resource("/accounts/{id}/agreement")
                .route(web::post().to(agreement::set_agreement)),
        )
        .service(web::resource("/accounts/{id}/logins").route(web::post().to(logins::create_login)))
        .service(web::resource("/logins/{id}/disable").route(web::post().to(logins::disable_login)))
        .service(web::resource("/logins/{id}/enable").route(web::post().to(logins::enable_login)))
        .service(web::resource("/logins/{id}/invite").route(web::post().to(logins::invite_again)))
        .service(
            web::resource("/logins/{id}/two-step/reset")
                .route(web::post().to(logins::reset_two_step)),
        )
        .service(web::resource("/outbox").route(web::get().to(outbox::outbox)))
        .service(web::resource("/outbox/{id}/retry").route(web::post().to(outbox::retry)))
        .service(
            web::resource("/api-tokens")
                .route(web::get().to(api_tokens::vendor_tokens))
                .route(web::post().to(api_tokens::create_vendor_token)),
        )
        .service(
            web::resource("/api-tokens/{id}/revoke")
                .route(web::post().to(api_tokens::revoke_vendor_token)),
        )
        .service(web::resource("/audit").route(web::get().to(audit::audit)));
}

/// `/static/...`: our stylesheet, compiled into the binary.
async fn static_file(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    match path.as_str() {
        "portal.css" => Ok(HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .body(include_str!("../../static/portal.css"))),
        // The order forms' cost as it is typed (SPEC 15).
        "cost.js" => Ok(HttpResponse::Ok()
            .content_type("text/javascript; charset=utf-8")
            .body(include_str!("../../static/cost.js"))),
        _ => Err(AppError::NotFound),
    }
}

/// Anything not in the tree: sign-in first, then 404.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, AppError> {
    if identity_of(&req).is_some() {
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
