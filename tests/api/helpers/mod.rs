//! `spawn_app()` and the tools tests share.

#![allow(dead_code)]

mod fixtures;
mod html;
mod http;
mod mail;

pub use fixtures::*;
pub use html::*;
pub use http::*;
pub use mail::*;

use std::sync::Once;
use std::time::Duration;

use actix_web::web;
use license_portal::config::Settings;
use license_portal::db::{self, DatabaseUrl, DbConnection, PooledConn};
use license_portal::startup::Application;
use license_portal::state::{AppState, Clock};
pub use reqwest::Client;

/// The password every test login gets.
pub const PASSWORD: &str = "correct horse battery staple";

static BACKEND_NOTE: Once = Once::new();

/// A fresh database for one test; PostgreSQL databases are dropped after.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: DatabaseUrl,
    },
    Postgres {
        admin: String,
        name: String,
        url: DatabaseUrl,
    },
}

impl TestDb {
    pub fn new() -> TestDb {
        match std::env::var("TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin) => {
                BACKEND_NOTE.call_once(|| eprintln!("tests: backend postgres ({admin})"));
                let name = format!("lp_test_{}", &license_portal::auth::random_token()[..16]);
                let mut conn = db::connect(&DatabaseUrl::parse(&admin))
                    .expect("TEST_POSTGRES_URL must be reachable");
                use diesel::connection::SimpleConnection;
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let url = DatabaseUrl::Postgres(replace_db_name(&admin, &name));
                TestDb::Postgres { admin, name, url }
            }
            None => {
                BACKEND_NOTE.call_once(|| {
                    eprintln!("tests: backend sqlite (set TEST_POSTGRES_URL for PostgreSQL)")
                });
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("portal.db");
                TestDb::Sqlite {
                    url: DatabaseUrl::Sqlite(path.to_string_lossy().into_owned()),
                    _dir: dir,
                }
            }
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// The URL as the command line takes it.
    pub fn cli_url(&self) -> String {
        match self.url() {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name, .. } = self {
            if let Ok(mut conn) = db::connect(&DatabaseUrl::parse(admin)) {
                use diesel::connection::SimpleConnection;
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let host = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

/// A running portal on port 0 with its own database.
pub struct TestApp {
    pub address: String,
    pub db: TestDb,
    pub state: web::Data<AppState>,
    /// Where this app writes its mails when it has no SMTP server.
    pub mail_dir: std::path::PathBuf,
    handle: actix_web::dev::ServerHandle,
    mail: license_portal::mail::worker::Stopper,
    _mail_dir: Option<tempfile::TempDir>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // Stop the server and its mail worker so the pool lets go of the
        // database.
        self.mail.stop();
        drop(handle.stop(false));
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    spawn(tweak, Clock::system())
}

/// A portal whose clock says `now`, for the rules that depend on "today".
pub async fn spawn_app_at(now: chrono::DateTime<chrono::Utc>) -> TestApp {
    spawn(|_| {}, Clock::fixed(now))
}

/// A portal whose clock says what the returned hand is set to.
pub async fn spawn_app_movable(
    now: chrono::DateTime<chrono::Utc>,
) -> (
    TestApp,
    std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>,
) {
    let (clock, hand) = Clock::movable(now);
    (spawn(|_| {}, clock), hand)
}

/// A portal whose clock says `now`, with settings changed.
pub async fn spawn_app_at_with(
    now: chrono::DateTime<chrono::Utc>,
    tweak: impl FnOnce(&mut Settings),
) -> TestApp {
    spawn(tweak, Clock::fixed(now))
}

fn spawn(tweak: impl FnOnce(&mut Settings), clock: Clock) -> TestApp {
    let db = TestDb::new();
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let mut settings = Settings::for_database(db.url().clone());
    settings.pool.max_size = 8;
    settings.mail.dir = mail_dir.path().to_string_lossy().into_owned();
    // Most tests sign staff in with a password alone; the two-step tests
    // turn the default (`staff`) back on.
    settings.two_step = license_portal::two_step::Policy::Off;
    tweak(&mut settings);
    let app = Application::build(settings, clock).expect("the app builds");
    let mut test_app = start(app, db);
    test_app.mail_dir = mail_dir.path().to_path_buf();
    test_app._mail_dir = Some(mail_dir);
    test_app
}

/// Start a built application in the background.
pub fn start(app: Application, db: TestDb) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let handle = app.handle();
    let mail = app.mail_stopper();
    let mail_dir = std::path::PathBuf::from(&state.settings.mail.dir);
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        state,
        mail_dir,
        handle,
        mail,
        _mail_dir: None,
    }
}

/// A browser-like client: keeps cookies, never follows redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> PooledConn {
        self.state.pool.get().expect("a connection")
    }
}

/// Run blocking database work in a test.
pub fn with_conn<T>(app: &TestApp, f: impl FnOnce(&mut DbConnection) -> T) -> T {
    let mut conn = app.conn();
    f(&mut conn)
}

/// Everything a refused request must leave as it was (sessions aside).
pub fn fingerprint(app: &TestApp) -> String {
    use diesel::prelude::*;
    use license_portal::db::schema::{accounts, audit_events, license_orders, logins, users};
    let mut conn = app.conn();
    type AccountRow = (
        i64,
        i64,
        String,
        Option<i32>,
        i32,
        Option<i64>,
        Option<String>,
        i64,
    );
    let a: Vec<AccountRow> = accounts::table
        .select((
            accounts::id,
            accounts::licenses,
            accounts::name,
            accounts::threshold_percent,
            accounts::look_ahead_days,
            accounts::price_minor,
            accounts::currency,
            accounts::rule_max_quantity,
        ))
        .order(accounts::id)
        .load(&mut *conn)
        .expect("accounts");
    let l: Vec<(i64, bool, String, Option<String>, i32, bool)> = logins::table
        .select((
            logins::id,
            logins::disabled,
            logins::password_hash,
            logins::language,
            logins::failed_attempts,
            logins::warnings_by_mail,
        ))
        .order(logins::id)
        .load(&mut *conn)
        .expect("logins");
    let o: Vec<(i64, String)> = license_orders::table
        .select((license_orders::id, license_orders::status))
        .order(license_orders::id)
        .load(&mut *conn)
        .expect("orders");
    let u: Vec<(i64, String, Option<chrono::NaiveDate>, Option<String>)> = users::table
        .select((users::id, users::status, users::end_date, users::unit))
        .order(users::id)
        .load(&mut *conn)
        .expect("users");
    let e: i64 = audit_events::table
        .count()
        .get_result(&mut *conn)
        .expect("audit");
    let m: i64 = license_portal::db::schema::order_messages::table
        .count()
        .get_result(&mut *conn)
        .expect("messages");
    format!("{a:?}|{l:?}|{o:?}|{u:?}|{e}|{m}")
}

/// How many orders exist.
pub fn order_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use license_portal::db::schema::license_orders;
    license_orders::table
        .count()
        .get_result(&mut *app.conn())
        .expect("count")
}

/// Percent-encode a query value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
