//! `/metrics` (SPEC 10): the Prometheus text format, behind
//! `PORTAL_METRICS_TOKEN`. Requests are counted by route pattern (never the
//! raw path), method and status, with a duration histogram; the gauges
//! (pool, hashes, pending orders, outbox) are read when scraped.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpRequest, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use subtle::ConstantTimeEq;

use crate::domain::mail::MailStatus;
use crate::domain::orders::OrderStatus;
use crate::error::AppError;
use crate::models::outbox::OutboxMail;
use crate::models::LicenseOrder;
use crate::state::AppState;

/// A request's route pattern, looked up once by the log's span
/// (`middleware::RequestSpan`) and named by the metrics too.
#[derive(Clone, Debug)]
pub struct Route(pub Option<String>);

/// The recorder of this process (one, whatever number of servers run in it).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics: no recorder"))
                .ok()
        })
        .as_ref()
}

/// How often the recorder is drained (see `init`).
const UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Start recording (at server start), and the recorder's upkeep: a
/// recorder installed without the crate's HTTP listener keeps every
/// histogram sample until it is drained, so a portal nobody scrapes grew
/// by every request it answered (and its answers slowed as it grew).
pub fn init() {
    static UPKEEP_STARTED: OnceLock<()> = OnceLock::new();
    let Some(handle) = handle() else {
        return;
    };
    UPKEEP_STARTED.get_or_init(|| {
        for name in COUNTERS {
            metrics::counter!(name).absolute(0);
        }
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP);
                handle.run_upkeep();
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "metrics: no upkeep thread");
        }
    });
}

/// The counters of SPEC 10, each created at 0 when recording starts, so a
/// dashboard tells "none yet" from "not measured".
const COUNTERS: [&str; 2] = ["portal_failed_sign_ins_total", "portal_lockouts_total"];

/// The methods metrics and logs name; any other is `other`, so a made-up
/// method's text is never kept (SPEC 6): a label, a series or a log field
/// that grew with a client's text would be memory a stranger could fill.
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// A request method as metrics and logs record it: one of [`METHODS`] or
/// `other`.
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method.as_str())
        .copied()
        .unwrap_or("other")
}

/// Count a failed sign-in (a wrong password, an unknown email, a wrong
/// code) and, when it locked the login, a lock-out.
pub fn failed_sign_in(locked: bool) {
    metrics::counter!("portal_failed_sign_ins_total").increment(1);
    if locked {
        metrics::counter!("portal_lockouts_total").increment(1);
    }
}

/// Around every request: count it and time it by its route pattern.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    // The log's span looked the route up already.
    let route = req
        .extensions()
        .get::<Route>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| req.match_pattern())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status().as_u16().to_string();
    metrics::counter!(
        "http_requests_total",
        "route" => route.clone(),
        "method" => method,
        "status" => status
    )
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(res)
}

/// `GET /metrics`: 404 while no token is set, 401 without the right bearer.
pub async fn metrics_page(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some(expected) = state.settings.metrics_token.as_deref() else {
        return Err(AppError::NotFound);
    };
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .finish());
    }
    let pool = state.pool.state();
    metrics::gauge!("portal_db_pool_in_use").set(f64::from(
        pool.connections.saturating_sub(pool.idle_connections),
    ));
    metrics::gauge!("portal_db_pool_waiting").set(state.db_waiting() as f64);
    metrics::gauge!("portal_password_hashes_running").set(state.hasher.running() as f64);
    metrics::gauge!("portal_password_hashes_waiting").set(state.hasher.waiting() as f64);
    let now = state.clock.now().naive_utc();
    let (pending, mail_pending, mail_failed, oldest) = state
        .db(|conn| {
            Ok((
                LicenseOrder::count_status(conn, OrderStatus::Pending)?,
                OutboxMail::count_status(conn, MailStatus::Pending)?,
                OutboxMail::count_status(conn, MailStatus::Failed)?,
                LicenseOrder::oldest_pending(conn)?,
            ))
        })
        .await?;
    // How long the oldest pending order has waited (0 with none), SPEC 13.
    let oldest = oldest.map_or(0, |at| (now - at).num_seconds().max(0));
    metrics::gauge!("portal_oldest_pending_order_seconds").set(oldest as f64);
    metrics::gauge!("portal_pending_orders").set(pending as f64);
    metrics::gauge!("portal_outbox_pending").set(mail_pending as f64);
    metrics::gauge!("portal_outbox_failed").set(mail_failed as f64);
    let text = handle().map(|h| h.render()).unwrap_or_default();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
