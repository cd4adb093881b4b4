//! license-portal: customers order licenses and see who is counted; the
//! vendor's staff decide the orders. `../shared/SPEC.md` is the contract.

pub mod api;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod maintenance;
pub mod memo;
pub mod middleware;
pub mod models;
pub mod ops;
pub mod password;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod two_step;
