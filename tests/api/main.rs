//! Black-box tests over real HTTP and the real binary, one test binary.
//! Each test gets a fresh database: a temporary SQLite file, or a fresh
//! PostgreSQL database when `TEST_POSTGRES_URL` is set.

mod helpers;
mod language;

mod agreement;
mod api;
mod browser;
mod cli;
mod counting;
mod csrf;
mod foundation;
mod handling;
mod hardening;
mod history;
mod layout;
mod ledger;
mod ledger_model;
mod mail;
mod operate;
mod orders;
mod passwords;
mod reports;
mod signin;
mod stored_words;
mod throttle;
mod two_step;
mod units;
mod warnings;
