//! One file per table: the row struct, its insert struct and its queries,
//! connection first.

pub mod account;
pub mod api_token;
pub mod audit_event;
pub mod counted;
pub mod idempotency_key;
pub mod ledger;
pub mod license_order;
pub mod login;
pub mod login_token;
pub mod order_message;
pub mod outbox;
pub mod recovery_code;
pub mod report;
pub mod session;
pub mod setting;
pub mod snapshot;
pub mod user;
pub mod user_version;

pub use account::Account;
pub use audit_event::AuditEvent;
pub use license_order::LicenseOrder;
pub use login::Login;
pub use user::User;

/// The current time as stored: UTC without offset.
pub fn now_utc() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
