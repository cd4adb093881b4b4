//! The vendor's staff pages (SPEC 4.3), by area. Every route here is
//! mounted in the `/staff` scope, whose guard lets staff only; handlers take
//! the [`Staff`](crate::auth::Staff) extractor all the same.

pub mod accounts;
pub mod agreement;
pub mod audit;
pub mod import;
pub mod logins;
pub mod order;
pub mod orders;
pub mod outbox;
pub mod rule;
