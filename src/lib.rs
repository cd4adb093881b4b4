//! license-portal: customers order licenses and see who is counted; the
//! vendor's staff decide the orders. See SPEC.md for the contract.

pub mod db;
pub mod domain;
pub mod models;
