//! The JSON API (SPEC 9) under `/api/v1`: its own scope with its own
//! guard (a bearer token, never the cookie session), errors as problem
//! JSON, and the OpenAPI 3.1 document generated from the handlers and
//! types below.

pub mod auth;
pub mod handlers;
pub mod problem;
pub mod types;

use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use self::problem::ApiError;

/// Request bodies up to 64 KiB; the users sync up to 32 MiB (SPEC 9).
pub const BODY_LIMIT: usize = 64 * 1024;
pub const SYNC_LIMIT: usize = 32 * 1024 * 1024;

/// The API's part of the URL tree (`routes::config` mounts it at `/api`):
///
/// | where | guards, outermost first |
/// |---|---|
/// | `/api/...` | problem JSON for every error |
/// | `/api/v1/openapi.json` | none |
/// | `/api/v1/...` | ... and a live bearer token within its rate |
///
/// No session is read and no CSRF token asked: a cookie opens nothing here.
pub fn config(cfg: &mut web::ServiceConfig) {
    use handlers as h;
    cfg.service(
        web::scope("/api")
            .wrap(from_fn(problem::frame))
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .service(
                web::resource("/v1/openapi.json")
                    .route(web::get().to(openapi_json))
                    .default_service(allow("GET")),
            )
            .service(
                web::scope("/v1")
                    .wrap(from_fn(auth::middleware))
                    .service(get("/account", web::get().to(h::own_account)))
                    .service(get("/accounts", web::get().to(h::accounts)))
                    .service(get("/accounts/{id}", web::get().to(h::account)))
                    .service(
                        web::resource("/accounts/{id}/users")
                            .app_data(web::PayloadConfig::new(SYNC_LIMIT))
                            .route(web::put().to(h::sync_users))
                            .default_service(allow("PUT")),
                    )
                    .service(get("/users", web::get().to(h::users)))
                    .service(get("/licenses", web::get().to(h::licenses)))
                    .service(get("/reports/active-users", web::get().to(h::report)))
                    .service(get("/reports/history", web::get().to(h::history)))
                    .service(
                        web::resource("/orders")
                            .route(web::get().to(h::orders))
                            .route(web::post().to(h::place_order))
                            .default_service(allow("GET, POST")),
                    )
                    .service(get("/orders/{id}", web::get().to(h::order)))
                    .service(post("/orders/{id}/cancel", h::cancel))
                    .service(
                        web::resource("/orders/{id}/messages")
                            .route(web::get().to(h::messages))
                            .route(web::post().to(h::post_message))
                            .default_service(allow("GET, POST")),
                    )
                    .service(post("/orders/{id}/approve", h::approve))
                    .service(post("/orders/{id}/reject", h::reject))
                    .default_service(web::to(not_found)),
            )
            .default_service(web::to(not_found)),
    );
}

/// A resource with one GET route; any other method: 405 with `Allow`.
fn get(path: &str, route: actix_web::Route) -> actix_web::Resource {
    web::resource(path)
        .route(route)
        .default_service(allow("GET"))
}

/// A resource with one POST route; any other method: 405 with `Allow`.
fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(allow("POST"))
}

/// The answer to a method a resource does not take.
fn allow(methods: &'static str) -> actix_web::Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed(methods)) })
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// `GET /api/v1/openapi.json`: the document, made once for the configured
/// maximum per order (`--max-order-quantity`), which it declares.
async fn openapi_json(state: web::Data<crate::state::AppState>) -> HttpResponse {
    static DOC: std::sync::Mutex<Option<(i64, String)>> = std::sync::Mutex::new(None);
    let max = state.settings.max_order_quantity;
    let mut made = DOC
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let doc = match made.as_ref() {
        Some((m, doc)) if *m == max => doc.clone(),
        _ => {
            let doc = document(max);
            *made = Some((max, doc.clone()));
            doc
        }
    };
    drop(made);
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc)
}

/// The OpenAPI document, with `max` as every request's quantity maximum.
pub fn document(max: i64) -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    set_quantity_maximum(&mut doc, max);
    doc.to_string()
}

/// Every schema property `quantity` that declares a maximum takes `max`.
fn set_quantity_maximum(value: &mut serde_json::Value, max: i64) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(q) = map
                .get_mut("properties")
                .and_then(|p| p.get_mut("quantity"))
                .and_then(|q| q.as_object_mut())
                .filter(|q| q.contains_key("maximum"))
            {
                q.insert("maximum".into(), max.into());
            }
            for v in map.values_mut() {
                set_quantity_maximum(v, max);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                set_quantity_maximum(v, max);
            }
        }
        _ => {}
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "License portal API",
        description = "Licenses owned and counted, users, reports and orders (SPEC section 9). Send a token as `Authorization: Bearer lp_...`; errors are `application/problem+json` (RFC 9457).",
    ),
    paths(
        handlers::own_account,
        handlers::accounts,
        handlers::account,
        handlers::users,
        handlers::licenses,
        handlers::report,
        handlers::history,
        handlers::place_order,
        handlers::orders,
        handlers::order,
        handlers::cancel,
        handlers::approve,
        handlers::reject,
        handlers::messages,
        handlers::post_message,
        handlers::sync_users,
    ),
    components(schemas(problem::Problem, problem::FieldProblem, types::FilterJson, types::OrderStatusJson, types::OrderKindJson)),
    modifiers(&Bearer),
    tags(
        (name = "account", description = "Account tokens (scopes read and order): one account."),
        (name = "vendor", description = "Vendor tokens (scopes sync and decide): every account, or one."),
    )
)]
pub struct ApiDoc;

/// The bearer scheme every endpoint names.
struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
