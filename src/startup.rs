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
use crate::models::setting;
use crate::password::Hasher;
use crate::state::{AppState, Clock};
use crate::{middleware, routes};

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
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
        let timeouts = settings.timeouts();
        let hasher = Hasher::new(settings.hash_concurrency, settings.hash_wait);
        let listener = TcpListener::bind(&settings.bind).with_context(|| {
            format!("cannot listen on {} (--bind / PORTAL_BIND)", settings.bind)
        })?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers.max(1);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            settings,
            clock: clock.clone(),
            form_key,
            timeouts,
            hasher,
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
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
                .wrap(from_fn(middleware::frame))
                .wrap(TracingLogger::default())
                .wrap(from_fn(middleware::outer))
                .configure(routes::config)
                .default_service(web::to(routes::not_found))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
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
