//! Settings from flags and environment. Every error names the flag and the
//! variable it came from.

use std::time::Duration;

use crate::db::{DatabaseUrl, PoolOptions};
use crate::domain::validation::DEFAULT_MAX_ORDER_QUANTITY;

/// The smallest `PORTAL_SECRET` accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 64;

/// The default of `--order-sla-hours`.
pub const DEFAULT_ORDER_SLA_HOURS: i64 = 24;

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: String,
    /// The address people use; https turns on Secure cookies and HSTS.
    pub public_url: Option<String>,
    pub max_order_quantity: i64,
    /// A pending order waiting longer than this many hours is overdue in
    /// the staff queue (SPEC 13).
    pub order_sla_hours: i64,
    /// The vendor's name on an order's confirmation (SPEC 15); none: the
    /// portal's name in the reader's language ("License portal").
    pub vendor_name: Option<String>,
    pub pool: PoolOptions,
    pub workers: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Key material for form tokens; generated and kept in the database
    /// when not given.
    pub secret: Option<String>,
    /// At most this many password hashes run at once.
    pub hash_concurrency: usize,
    /// How long a hash waits for its turn before the request gets 503.
    pub hash_wait: Duration,
    pub mail: MailSettings,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whose logins must sign in with a second step.
    pub two_step: crate::two_step::Policy,
    /// `PORTAL_METRICS_TOKEN`: the bearer `/metrics` wants (404 while unset).
    pub metrics_token: Option<String>,
    /// API requests one token may send a minute (SPEC 9: 600).
    pub api_rate_limit: u32,
}

/// Where mail goes and who it is from (SPEC 7).
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// `smtp://[user:password@]host[:port]`, `...?tls=required` or `smtps://`;
    /// none: `.eml` files in `dir`.
    pub smtp_url: Option<String>,
    pub dir: String,
    pub from: String,
    /// Told of new and cancelled orders; empty: every enabled staff login.
    pub order_desk: Vec<String>,
    /// The first wait after a failed try; it doubles up to an hour.
    pub retry_base: Duration,
}

impl MailSettings {
    pub const DEFAULT_FROM: &'static str = "License portal <no-reply@localhost>";
    pub const DEFAULT_DIR: &'static str = "mail";

    /// The settings every command that writes mail reads from the
    /// environment: `PORTAL_SMTP_URL`, `PORTAL_MAIL_DIR`, `PORTAL_MAIL_FROM`,
    /// `PORTAL_ORDER_DESK`.
    pub fn from_env() -> MailSettings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        MailSettings {
            smtp_url: var("PORTAL_SMTP_URL"),
            dir: var("PORTAL_MAIL_DIR").unwrap_or_else(|| Self::DEFAULT_DIR.into()),
            from: var("PORTAL_MAIL_FROM").unwrap_or_else(|| Self::DEFAULT_FROM.into()),
            order_desk: parse_addresses(var("PORTAL_ORDER_DESK").as_deref().unwrap_or("")),
            retry_base: Duration::from_secs(30),
        }
    }
}

/// A comma-separated list of addresses, trimmed, empty ones dropped.
pub fn parse_addresses(list: &str) -> Vec<String> {
    list.split(',')
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect()
}

/// Session timeouts.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Timeouts {
    /// How often the idle deadline is pushed forward: once a minute, or more
    /// often when the idle timeout itself is short (tests).
    pub fn touch_interval(&self) -> chrono::Duration {
        let quarter = self.idle / 4;
        chrono::Duration::from_std(quarter.min(Duration::from_secs(60)))
            .unwrap_or(chrono::Duration::seconds(60))
    }

    /// Rows last seen at or before this are idle-expired.
    pub fn idle_cutoff(&self, now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
        now - chrono::Duration::from_std(self.idle).unwrap_or(chrono::Duration::minutes(30))
    }

    /// Rows created at or before this are past the absolute timeout.
    pub fn absolute_cutoff(&self, now: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
        now - chrono::Duration::from_std(self.absolute).unwrap_or(chrono::Duration::hours(12))
    }
}

/// The number of cores, the default of `--hash-concurrency`.
pub fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

impl Settings {
    /// Settings for tests and embedding: loopback, port 0, defaults.
    pub fn for_database(database: DatabaseUrl) -> Settings {
        Settings {
            database,
            bind: "127.0.0.1:0".into(),
            public_url: None,
            max_order_quantity: DEFAULT_MAX_ORDER_QUANTITY,
            order_sla_hours: DEFAULT_ORDER_SLA_HOURS,
            vendor_name: None,
            pool: PoolOptions::default(),
            workers: 2,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            secret: None,
            hash_concurrency: cores(),
            hash_wait: Duration::from_secs(5),
            trusted_proxies: Vec::new(),
            two_step: crate::two_step::Policy::Staff,
            metrics_token: None,
            api_rate_limit: crate::throttle::TOKEN_LIMIT,
            mail: MailSettings {
                smtp_url: None,
                dir: MailSettings::DEFAULT_DIR.into(),
                from: MailSettings::DEFAULT_FROM.into(),
                order_desk: Vec::new(),
                retry_base: Duration::from_secs(30),
            },
        }
    }

    /// Where links in mails point: the public URL, else `http://` and the
    /// address the server listens on (with the port it got).
    pub fn links_base(&self, port: u16) -> String {
        match &self.public_url {
            Some(url) => url.trim().trim_end_matches('/').to_string(),
            None => {
                let host = self
                    .bind
                    .rsplit_once(':')
                    .map(|(h, _)| h)
                    .unwrap_or(&self.bind);
                format!("http://{host}:{port}")
            }
        }
    }

    /// The session timeouts.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            idle: self.session_idle,
            absolute: self.session_absolute,
        }
    }

    /// Whether people reach the portal over https.
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }

    /// Check values that flags alone cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        let vendor = self.vendor_name.as_deref().unwrap_or("-").trim();
        if vendor.is_empty() || vendor.chars().count() > 100 || vendor.chars().any(char::is_control)
        {
            anyhow::bail!("--vendor-name / PORTAL_VENDOR_NAME must be 1 to 100 characters without control characters");
        }
        if !(1..=8760).contains(&self.order_sla_hours) {
            anyhow::bail!("--order-sla-hours / PORTAL_ORDER_SLA_HOURS must be from 1 to 8760");
        }
        if self.max_order_quantity < 1 {
            anyhow::bail!("--max-order-quantity / PORTAL_MAX_ORDER_QUANTITY must be at least 1");
        }
        if self.pool.max_size < 1 {
            anyhow::bail!("--pool-size / PORTAL_POOL_SIZE must be at least 1");
        }
        if self.session_idle.is_zero() || self.session_absolute.is_zero() {
            anyhow::bail!("PORTAL_SESSION_IDLE_SECONDS and PORTAL_SESSION_ABSOLUTE_SECONDS must be at least 1");
        }
        if self.hash_concurrency < 1 {
            anyhow::bail!("--hash-concurrency / PORTAL_HASH_CONCURRENCY must be at least 1");
        }
        if let Some(secret) = &self.secret {
            if secret.len() < MIN_SECRET_BYTES {
                anyhow::bail!("PORTAL_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
            }
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            anyhow::bail!(
                "--mail-from / PORTAL_MAIL_FROM is not a mail address: {:?}",
                self.mail.from
            );
        }
        for address in &self.mail.order_desk {
            if address.parse::<lettre::Address>().is_err() {
                anyhow::bail!(
                    "--order-desk / PORTAL_ORDER_DESK: {address:?} is not a mail address"
                );
            }
        }
        if let Some(url) = &self.public_url {
            let lower = url.trim().to_ascii_lowercase();
            if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                anyhow::bail!(
                    "--public-url / PORTAL_PUBLIC_URL must start with http:// or https://"
                );
            }
        }
        Ok(())
    }
}
