//! Build the application, bind, run. Tests call `Application::build` with
//! port 0 and a fresh database.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tracing_actix_web::TracingLogger;

use crate::auth::csrf;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::error::AppError;
use crate::mail::worker::{Stopper, Transport, Wake, Worker, WorkerSettings};
use crate::models::setting;
use crate::password::Hasher;
use crate::state::{AppState, Clock};
use crate::{middleware, routes};

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    worker: Worker,
    mail: WorkerSettings,
}

impl Application {
    /// Connect (failing with the real cause), migrate, and bind.
    pub fn build(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        let pool = db::build_pool(&settings.database, &settings.pool)
            .context("cannot reach the database")?;
        {
            let mut conn = pool.get().context("cannot reach the database")?;
            db::run_migrations(&mut conn)?;
        }
        Application::build_with_pool(settings, pool, clock)
    }

    /// Bind with a pool as given (which may not answer: `/healthz` then says 503).
    pub fn build_with_pool(
        settings: Settings,
        pool: Pool,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        settings.validate()?;
        let secret = load_secret(&settings, &pool);
        let form_key = derive(&secret, "order-form-token");
        let cookie_key = crate::auth::session::cookie_key(&secret);
        let https = settings.is_https();
        let timeouts = settings.timeouts();
        let hasher = Hasher::new(settings.hash_concurrency, settings.hash_wait);
        let listener = TcpListener::bind(&settings.bind).with_context(|| {
            format!("cannot listen on {} (--bind / PORTAL_BIND)", settings.bind)
        })?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers.max(1);
        let transport =
            Transport::from_settings(settings.mail.smtp_url.as_deref(), &settings.mail.dir)?;
        let base_url = settings.links_base(port);
        let worker_settings = WorkerSettings {
            transport,
            from: settings.mail.from.parse().with_context(|| {
                format!("--mail-from / PORTAL_MAIL_FROM: {:?}", settings.mail.from)
            })?,
            retry_base: settings.mail.retry_base,
            id_domain: id_domain(&base_url),
        };
        let mail_wake = Wake::default();
        let token_limit = crate::throttle::TokenLimit::new(settings.api_rate_limit);
        let worker = Worker::start(pool.clone(), worker_settings.clone(), mail_wake.clone());
        let db_gate =
            crate::state::DbGate::new(settings.pool.max_size, settings.pool.connection_timeout);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            settings,
            clock: clock.clone(),
            form_key,
            timeouts,
            hasher,
            base_url,
            mail_wake,
            throttle: Default::default(),
            api_throttle: Default::default(),
            token_limit,
            db_waiting: Default::default(),
            db_gate,
        });
        // Beside the state, which the session module itself reads.
        let sessions = web::Data::new(
            crate::auth::session_reader::SessionReader::start(
                pool.clone(),
                timeouts,
                state.settings.pool.connection_timeout,
            )
            .context("cannot start the session readers")?,
        );
        crate::telemetry::init();
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(sessions.clone())
                .app_data(
                    web::FormConfig::default()
                        .limit(csrf::FORM_LIMIT)
                        .error_handler(|_, _| AppError::BadRequest.into()),
                )
                .app_data(
                    web::QueryConfig::default().error_handler(|_, _| AppError::BadRequest.into()),
                )
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()),
                )
                .wrap(from_fn(middleware::known_methods))
                .wrap(from_fn(middleware::frame))
                .wrap(from_fn(crate::telemetry::track))
                .wrap(TracingLogger::<middleware::RequestSpan>::new())
                .wrap(from_fn(middleware::outer))
                .configure(routes::config(cookie_key.clone(), https))
                .default_service(web::to(routes::not_found))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
            worker,
            mail: worker_settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// What the mail worker sends with, for `serve` to say at start.
    pub fn mail_transport(&self) -> String {
        self.mail.transport.describe()
    }

    /// Stops the mail worker between two mails (tests; `serve` stops it
    /// after the server).
    pub fn mail_stopper(&self) -> Stopper {
        self.worker.stopper()
    }

    /// Serve until stopped (SIGTERM, Ctrl-C or a handle): in-flight requests
    /// finish, then the mail worker stops between two mails.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let served = (&mut self.server).await;
        let mut worker = self.worker;
        actix_web::rt::task::spawn_blocking(move || worker.stop())
            .await
            .map_err(std::io::Error::other)?;
        served
    }
}

/// `PORTAL_SECRET`, else the one kept in the database (made on first start),
/// so a restart does not sign everyone out.
fn load_secret(settings: &Settings, pool: &Pool) -> String {
    if let Some(secret) = &settings.secret {
        return secret.clone();
    }
    let stored = pool
        .get()
        .map_err(|e| anyhow::anyhow!(e))
        .and_then(|mut conn| {
            setting::get_or_create(&mut conn, "session_secret", || {
                format!(
                    "{}{}",
                    crate::auth::random_token(),
                    crate::auth::random_token()
                )
            })
            .map_err(|e| anyhow::anyhow!(e))
        });
    match stored {
        Ok(secret) => secret,
        Err(e) => {
            tracing::warn!(error = %e, "database unavailable at start: using a temporary secret");
            format!(
                "{}{}",
                crate::auth::random_token(),
                crate::auth::random_token()
            )
        }
    }
}

/// The host part of `Message-ID`s: the links' host.
fn id_domain(base_url: &str) -> String {
    let rest = base_url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(base_url);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        "localhost".into()
    } else {
        host.to_string()
    }
}

/// A purpose-bound key from the secret.
fn derive(secret: &str, purpose: &str) -> Vec<u8> {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(purpose.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => secret.as_bytes().to_vec(),
    }
}
