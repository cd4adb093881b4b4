//! The frame around every response: security headers, caching rules, and
//! the readable error page in the reader's language for every error status.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use askama::Template;

use crate::auth::session::SessionLang;
use crate::auth::Session;
use crate::i18n::Lang;
use crate::routes::pages::{Chrome, ErrorPage, OwnBody};
use crate::state::AppState;

const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Around the URL tree: draws the error page for every error status (in
/// the language of the session the request carried, when it has one) and
/// sets the security and caching headers.
pub async fn frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let accept = accept_language(&req);
    let is_static = req.path().starts_with("/static/");
    let https = is_https(&req);
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let wants_page = (status.is_client_error() || status.is_server_error())
        && res.response().extensions().get::<OwnBody>().is_none();
    if wants_page {
        let lang = SessionLang::of(res.request())
            .or_else(|| Session::of(res.request()).lang())
            .unwrap_or_else(|| Lang::from_accept_language(accept.as_deref()));
        let html = error_html(lang, status);
        res = res.map_body(|head, _| {
            head.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            head.headers_mut().remove(header::CONTENT_LENGTH);
            BoxBody::new(html)
        });
    }
    secure_headers(res.headers_mut(), is_static && status.is_success(), https);
    let id = res.request().extensions().get::<RequestId>().cloned();
    if let Some(value) = id.and_then(|RequestId(id)| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(res)
}

/// Inside the log's span and the metrics: a method the portal does not
/// know (none of `telemetry::METHODS`) is answered 405 before any route,
/// guard or token check sees it; the log and metrics name it `other`, so
/// its text is kept nowhere (SPEC 6).
pub async fn known_methods(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if crate::telemetry::method_label(req.method()) == "other" {
        let res = HttpResponse::MethodNotAllowed()
            .insert_header((
                header::ALLOW,
                "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
            ))
            .finish();
        return Ok(req.into_response(res));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Outside everything: gives the request its id (the log's span and
/// `X-Request-Id` take it from here), and turns a failure of a middleware
/// (the session's store is the database, away or too busy) into a readable
/// 503 page that carries the id too.
pub async fn outer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let accept = accept_language(&req);
    let https = is_https(&req);
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    match next.call(req).await {
        Ok(res) => Ok(res.map_into_boxed_body()),
        Err(e) => {
            let status = StatusCode::SERVICE_UNAVAILABLE;
            tracing::info_span!("request", request_id = %id).in_scope(|| {
                tracing::warn!(error = %e, %status, "request failed in the session middleware");
            });
            let lang = Lang::from_accept_language(accept.as_deref());
            Err(FramedError {
                status,
                html: error_html(lang, status),
                https,
                request_id: id,
            }
            .into())
        }
    }
}

fn accept_language(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn is_https(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.is_https())
}

/// The error page for a status, in a language.
fn error_html(lang: Lang, status: StatusCode) -> String {
    let t = lang.msgs();
    let page = ErrorPage {
        c: Chrome::anonymous(lang, String::new(), "/"),
        status: status.as_u16(),
        message: t.error_text(status.as_u16()),
    };
    page.render()
        .unwrap_or_else(|_| t.error_text(status.as_u16()).to_string())
}

/// A failure outside any handler, already drawn as a page.
#[derive(Debug)]
struct FramedError {
    status: StatusCode,
    html: String,
    https: bool,
    request_id: String,
}

impl std::fmt::Display for FramedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request failed with {}", self.status)
    }
}

impl ResponseError for FramedError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status)
            .content_type("text/html; charset=utf-8")
            .body(self.html.clone());
        secure_headers(res.headers_mut(), false, self.https);
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            res.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID), value);
        }
        res
    }
}

fn secure_headers(headers: &mut HeaderMap, cacheable: bool, https: bool) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if cacheable {
            "public, max-age=3600"
        } else {
            "no-store"
        }),
    );
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    headers.remove(header::SERVER);
}

/// The span of every request, for the log: method, route pattern (never the
/// raw path, which may hold a one-time link's token), the socket's peer, the
/// client (behind a trusted proxy, the address it names) and the status. Replaces tracing-actix-web's default, which records the path
/// and a client address read from headers a client can forge.
pub struct RequestSpan;

/// The id of a request: the one a trusted proxy sent in `X-Request-Id`,
/// else a new one (a client's own is not taken). On every line the log
/// writes about the request, and in the response's `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-request-id";

fn request_id(request: &ServiceRequest) -> String {
    let from_proxy = request
        .app_data::<web::Data<AppState>>()
        .filter(|s| {
            crate::throttle::from_trusted_proxy(request.request(), &s.settings.trusted_proxies)
        })
        .and_then(|_| request.headers().get(REQUEST_ID))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string);
    from_proxy.unwrap_or_else(new_request_id)
}

/// A new request id: 128 random bits as 32 hex digits, from the thread's
/// generator (a CSPRNG seeded from the system; an id is no secret, and a
/// system call per request for it cost more than the id is worth).
fn new_request_id() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().gen::<[u8; 16]>())
}

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let pattern = request.match_pattern();
        let route = pattern.clone().unwrap_or_else(|| "-".into());
        // `outer` gave it its id.
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|RequestId(id)| id.clone())
            .unwrap_or_else(|| request_id(request));
        let client = request
            .app_data::<web::Data<AppState>>()
            .map(|s| crate::throttle::client_addr(request.request(), &s.settings.trusted_proxies))
            .map(crate::throttle::Client)
            .unwrap_or(crate::throttle::Client(None));
        request.extensions_mut().insert(RequestId(id.clone()));
        request
            .extensions_mut()
            .insert(crate::telemetry::Route(pattern));
        tracing::info_span!(
            "request",
            request_id = %id,
            method = crate::telemetry::method_label(request.method()),
            route = %route,
            peer = %crate::auth::peer_of(request.peer_addr()),
            client = %client,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: tracing::Span,
        outcome: &Result<ServiceResponse<B>, Error>,
    ) {
        let status = match outcome {
            Ok(res) => res.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        span.record("status", status);
        // One line a request (an access log), in its span: request id,
        // route pattern, client and status.
        tracing::info!(parent: &span, status, "answered");
    }
}
