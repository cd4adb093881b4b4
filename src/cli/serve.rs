//! `license-portal serve`: apply migrations, then serve (the default).

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser};

use crate::config::{MailSettings, Settings};
use crate::db::{DatabaseUrl, PoolOptions};
use crate::domain::validation::DEFAULT_MAX_ORDER_QUANTITY;
use crate::maintenance;
use crate::models::Login;
use crate::startup::Application;
use crate::state::Clock;

#[derive(Debug, Args)]
pub struct Opts {
    /// Address and port to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Load the demo dataset (once) and print its sign-ins.
    #[arg(long)]
    pub demo: bool,
    /// The address people use, e.g. https://licenses.example.com; https turns
    /// on Secure cookies with the __Host- prefix and HSTS.
    #[arg(long, env = "PORTAL_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The most licenses one order may ask for.
    #[arg(long, env = "PORTAL_MAX_ORDER_QUANTITY", default_value_t = DEFAULT_MAX_ORDER_QUANTITY)]
    pub max_order_quantity: i64,
    /// A pending order waiting longer than this many hours is marked
    /// overdue in the staff queue (1 to 8760).
    #[arg(long, env = "PORTAL_ORDER_SLA_HOURS", default_value_t = crate::config::DEFAULT_ORDER_SLA_HOURS)]
    pub order_sla_hours: i64,
    /// The vendor's name on an order's confirmation (1 to 100 characters;
    /// default: the portal's name, "License portal").
    #[arg(long, env = "PORTAL_VENDOR_NAME")]
    pub vendor_name: Option<String>,
    /// Database connections in the pool (default: two per core, at least 4).
    #[arg(long, env = "PORTAL_POOL_SIZE")]
    pub pool_size: Option<u32>,
    /// Seconds a request waits for a free connection before it gets 503.
    #[arg(long, env = "PORTAL_POOL_TIMEOUT_SECONDS", default_value_t = 3)]
    pub pool_timeout_seconds: u64,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PORTAL_WORKERS")]
    pub workers: Option<usize>,
    /// A session idle this long ends.
    #[arg(long, env = "PORTAL_SESSION_IDLE_SECONDS", default_value_t = 1800)]
    pub session_idle_seconds: u64,
    /// A session this old ends, however active.
    #[arg(long, env = "PORTAL_SESSION_ABSOLUTE_SECONDS", default_value_t = 43200)]
    pub session_absolute_seconds: u64,
    /// API requests one token may send a minute; the next get 429.
    #[arg(long, env = "PORTAL_API_RATE_LIMIT", default_value_t = crate::throttle::TOKEN_LIMIT)]
    pub api_rate_limit: u32,
    /// Password hashes that may run at once (default: one per core); one
    /// that waits over 5 s for its turn is answered 503.
    #[arg(long, env = "PORTAL_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,
    /// Send mail through this server: smtp://[user:password@]host[:port]
    /// (plain), smtp://...?tls=required (STARTTLS) or smtps://... (TLS).
    /// Without it every mail is written as an .eml file to --mail-dir.
    #[arg(long, env = "PORTAL_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Where mails are written when there is no --smtp-url.
    #[arg(long, env = "PORTAL_MAIL_DIR", default_value = MailSettings::DEFAULT_DIR)]
    pub mail_dir: String,
    /// The From of every mail.
    #[arg(long, env = "PORTAL_MAIL_FROM", default_value = MailSettings::DEFAULT_FROM)]
    pub mail_from: String,
    /// Comma-separated addresses told of new and cancelled orders (default:
    /// every enabled staff login).
    #[arg(long, env = "PORTAL_ORDER_DESK", default_value = "")]
    pub order_desk: String,
    /// Seconds before a mail that could not be sent is tried again; the
    /// wait doubles after each try, up to an hour.
    #[arg(long, env = "PORTAL_MAIL_RETRY_SECONDS", default_value_t = 30)]
    pub mail_retry_seconds: u64,
    /// Proxies (CIDR[,CIDR...]) whose X-Forwarded-For names the client: the
    /// right-most address there that is not one of them.
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", default_value = "", value_parser = parse_proxies)]
    pub trusted_proxy: TrustedProxies,
    /// Whose logins must sign in with a second step (a code from an
    /// authenticator app): staff, all or off. Anyone may turn it on.
    #[arg(long, env = "PORTAL_TWO_STEP", default_value = "staff", value_parser = parse_two_step)]
    pub two_step: crate::two_step::Policy,
}

fn parse_two_step(s: &str) -> Result<crate::two_step::Policy, String> {
    crate::two_step::Policy::parse(s).ok_or_else(|| "staff, all or off".to_string())
}

/// `--trusted-proxy`, parsed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

fn parse_proxies(s: &str) -> Result<TrustedProxies, String> {
    crate::throttle::parse_proxies(s).map(TrustedProxies)
}

#[derive(Parser)]
struct DefaultServe {
    #[command(flatten)]
    opts: Opts,
}

impl Opts {
    /// The options of a bare `license-portal` (environment and defaults).
    pub fn from_env_defaults() -> Opts {
        DefaultServe::parse_from(["license-portal"]).opts
    }

    pub fn settings(&self, database: DatabaseUrl) -> Settings {
        Settings {
            database,
            bind: self.bind.clone(),
            public_url: self.public_url.clone(),
            max_order_quantity: self.max_order_quantity,
            order_sla_hours: self.order_sla_hours,
            vendor_name: self.vendor_name.as_ref().map(|v| v.trim().to_string()),
            pool: PoolOptions {
                max_size: self
                    .pool_size
                    .unwrap_or_else(|| PoolOptions::default().max_size),
                connection_timeout: Duration::from_secs(self.pool_timeout_seconds.max(1)),
            },
            workers: self.workers.unwrap_or_else(crate::config::cores),
            session_idle: Duration::from_secs(self.session_idle_seconds),
            session_absolute: Duration::from_secs(self.session_absolute_seconds),
            secret: std::env::var("PORTAL_SECRET")
                .ok()
                .filter(|s| !s.is_empty()),
            hash_concurrency: self.hash_concurrency.unwrap_or_else(crate::config::cores),
            hash_wait: Duration::from_secs(5),
            trusted_proxies: self.trusted_proxy.0.clone(),
            two_step: self.two_step,
            api_rate_limit: self.api_rate_limit.max(1),
            metrics_token: std::env::var("PORTAL_METRICS_TOKEN")
                .ok()
                .filter(|t| !t.trim().is_empty()),
            mail: MailSettings {
                smtp_url: self.smtp_url.clone().filter(|u| !u.trim().is_empty()),
                dir: self.mail_dir.clone(),
                from: self.mail_from.clone(),
                order_desk: crate::config::parse_addresses(&self.order_desk),
                retry_base: Duration::from_secs(self.mail_retry_seconds.max(1)),
            },
        }
    }
}

pub fn run(url: DatabaseUrl, opts: Opts) -> anyhow::Result<()> {
    let settings = opts.settings(url.clone());
    settings.validate()?;
    actix_web::rt::System::new().block_on(async move {
        let clock = Clock::system();
        let app = Application::build(settings.clone(), clock.clone())?;
        let state = app.state();
        let pool = state.pool.clone();
        if opts.demo {
            let mut conn = pool.get().context("cannot reach the database")?;
            let signins = crate::demo::load(&mut conn, &state.mail_ctx())?;
            crate::cli::output::show(format!("Demo data is loaded. Sign in at http://{} with:", display_addr(&settings.bind, app.port())));
            for (role, email, password) in &signins {
                crate::cli::output::show(format!("  {role:<8} {email:<28} {password}"));
            }
            if let Some(secret) = Login::find_by_email(&mut conn, signins[0].1)?
                .and_then(|l| l.totp_secret)
            {
                crate::cli::output::show(format!(
                    "The staff login asks for a second step. Its two-step secret is {secret}:\n  \
                     add it to an authenticator app, or get a code with: oathtool --totp -b {secret}"
                ));
            }
            crate::cli::output::show(format!("Mails land in {}/ (see docs/mail.md).", settings.mail.dir));
            let token = crate::demo::api_token(&mut conn)?;
            crate::cli::output::show(format!(
                "A new API token of {} (scope order), for the JSON API (see docs/api.md):\n  {token}",
                crate::demo::SIGNINS[1].1
            ));
        } else {
            let mut conn = pool.get().context("cannot reach the database")?;
            if Login::count(&mut conn)? == 0 {
                tracing::warn!(
                    "the database has no login yet; create the first staff login with: \
                     echo 'a password of 12+ chars' | license-portal --database {} login create --email you@example.com --role staff",
                    url.redacted()
                );
                crate::cli::output::note(format!(
                    "No login exists yet. Create the first staff login with:\n  \
                     echo 'a password of 12+ chars' | license-portal --database {} login create --email you@example.com --role staff",
                    url.redacted()
                ));
            }
        }
        maintenance::start(
            pool,
            state.timeouts,
            clock,
            state.mail_ctx(),
            state.mail_wake.clone(),
        );
        tracing::info!("{}", app.mail_transport());
        crate::cli::output::note(app.mail_transport());
        tracing::info!(
            backend = url.backend(),
            database = %url.redacted(),
            "listening on http://{}",
            display_addr(&settings.bind, app.port())
        );
        crate::cli::output::note(format!("license-portal listening on http://{}", display_addr(&settings.bind, app.port())));
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn display_addr(bind: &str, port: u16) -> String {
    match bind.rsplit_once(':') {
        Some((host, _)) => format!("{host}:{port}"),
        None => format!("{bind}:{port}"),
    }
}
