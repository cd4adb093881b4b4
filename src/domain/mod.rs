//! Rules with no I/O: who is counted, orders and their states, roles,
//! validation of what people type. Unit tests reach them without a database.

pub mod counting;
pub mod import;
pub mod orders;
pub mod report;
pub mod roles;
pub mod validation;
