//! Settings from flags and environment. Every error names the flag and the
//! variable it came from.

use std::time::Duration;

use crate::db::{DatabaseUrl, PoolOptions};
use crate::domain::validation::DEFAULT_MAX_ORDER_QUANTITY;

/// The smallest `PORTAL_SECRET` accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 64;

/// Everything the server needs to run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub database: DatabaseUrl,
    pub bind: String,
    /// The address people use; https turns on Secure cookies and HSTS.
    pub public_url: Option<String>,
    pub max_order_quantity: i64,
    pub pool: PoolOptions,
    pub workers: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    /// Key material for session cookies and form tokens; generated and kept
    /// in the database when not given.
    pub secret: Option<String>,
}

impl Settings {
    /// Settings for tests and embedding: loopback, port 0, defaults.
    pub fn for_database(database: DatabaseUrl) -> Settings {
        Settings {
            database,
            bind: "127.0.0.1:0".into(),
            public_url: None,
            max_order_quantity: DEFAULT_MAX_ORDER_QUANTITY,
            pool: PoolOptions::default(),
            workers: 2,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 60 * 60),
            secret: None,
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
        if self.max_order_quantity < 1 {
            anyhow::bail!("--max-order-quantity / PORTAL_MAX_ORDER_QUANTITY must be at least 1");
        }
        if self.pool.max_size < 1 {
            anyhow::bail!("--pool-size / PORTAL_POOL_SIZE must be at least 1");
        }
        if self.session_idle.is_zero() || self.session_absolute.is_zero() {
            anyhow::bail!("PORTAL_SESSION_IDLE_SECONDS and PORTAL_SESSION_ABSOLUTE_SECONDS must be at least 1");
        }
        if let Some(secret) = &self.secret {
            if secret.len() < MIN_SECRET_BYTES {
                anyhow::bail!("PORTAL_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
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
