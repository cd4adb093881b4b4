//! `spawn_app()` and the tools tests share.

#![allow(dead_code)]

use std::sync::Once;
use std::time::Duration;

use actix_web::web;
use license_portal::config::Settings;
use license_portal::db::{self, DatabaseUrl, DbConnection, PooledConn};
use license_portal::domain::counting::UserStatus;
use license_portal::models::user::NewUser;
use license_portal::models::{Account, Login, User};
use license_portal::ops::{self, AccountInput, LoginInput};
use license_portal::startup::Application;
use license_portal::state::{AppState, Clock};
use reqwest::header::{HeaderMap, LOCATION};
pub use reqwest::Client;
use reqwest::{Response, StatusCode};
use scraper::{Html, Selector};

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

    pub async fn get(&self, c: &Client, path: &str) -> Response {
        c.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, c: &Client, path: &str) -> (StatusCode, String) {
        let res = self.get(c, path).await;
        let status = res.status();
        (status, res.text().await.expect("body"))
    }

    pub async fn post_form(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        c.post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// POST a form with the session's CSRF token added.
    pub async fn post(&self, c: &Client, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf(c).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_form(c, path, &all).await
    }

    /// The session's CSRF token, read from a page of the session.
    pub async fn csrf(&self, c: &Client) -> String {
        for path in ["/me", "/me/two-step", "/login/two-step", "/login"] {
            let (status, html) = self.get_html(c, path).await;
            if status == StatusCode::OK {
                if let Some(token) = hidden_value(&html, "csrf_token") {
                    return token;
                }
            }
        }
        panic!("no CSRF token on /me, the two-step pages or /login");
    }

    /// Sign in through the form; returns the response of POST /login.
    pub async fn sign_in(&self, c: &Client, email: &str, password: &str) -> Response {
        let (_, html) = self.get_html(c, "/login").await;
        let token = hidden_value(&html, "csrf_token").expect("login form has a token");
        self.post_form(
            c,
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }

    /// A signed-in client for the login.
    pub async fn client_for(&self, email: &str) -> Client {
        let c = client();
        let res = self.sign_in(&c, email, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email} succeeds"
        );
        c
    }

    pub fn create_account(&self, name: &str, licenses: i64) -> Account {
        let input = AccountInput::parse(name, &licenses.to_string(), "Europe/Stockholm")
            .expect("account input");
        ops::create_account(&mut self.conn(), None, &input).expect("account")
    }

    pub fn create_login(&self, email: &str, role: &str, account: Option<i64>) -> Login {
        let input =
            LoginInput::parse(email, "", role, account, Some(PASSWORD)).expect("login input");
        let hash = license_portal::password::Hasher::for_command()
            .hash_blocking(PASSWORD)
            .expect("hash");
        ops::create_login(&mut self.conn(), None, &input, &hash).expect("login")
    }

    pub fn add_user(
        &self,
        account_id: i64,
        number: &str,
        status: UserStatus,
        start: &str,
        end: Option<&str>,
    ) {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        self.insert_user(account_id, number, status, d(start), end.map(d));
    }

    /// Insert a user; returns its id.
    fn insert_user(
        &self,
        account_id: i64,
        number: &str,
        status: UserStatus,
        start_date: chrono::NaiveDate,
        end_date: Option<chrono::NaiveDate>,
    ) -> i64 {
        User::insert(
            &mut self.conn(),
            &NewUser {
                account_id,
                employee_number: number,
                name: number,
                status,
                start_date,
                end_date,
            },
        )
        .expect("user");
        license_portal::models::user_version::UserVersion::open_missing(
            &mut self.conn(),
            account_id,
            self.state.clock.now().naive_utc(),
            &license_portal::models::user_version::ChangedBy::System("fixture".into()),
        )
        .expect("version");
        User::find_by_number(&mut self.conn(), account_id, number)
            .expect("query")
            .expect("user exists")
            .id
    }

    /// Add users to an account in named states, in one line:
    /// `app.add_users(a, &[(UserState::Counted, 10), (UserState::Passive, 1)])`.
    /// Employee numbers are the state's letter and a count (`C0`, `C1`, `P0`).
    pub fn add_users(&self, account_id: i64, states: &[(UserState, usize)]) {
        for (state, n) in states {
            for i in 0..*n {
                self.accounts_user(account_id, &format!("{}{i}", state.letter()), *state);
            }
        }
    }

    /// Add one user in a named state; returns its id.
    pub fn accounts_user(&self, account_id: i64, number: &str, state: UserState) -> i64 {
        let today = self.today();
        let (status, start, end) = state.fields(today);
        self.insert_user(account_id, number, status, start, end)
    }

    /// "Today" in Europe/Stockholm by the app's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        use chrono_tz::Europe::Stockholm;
        self.state
            .clock
            .now()
            .with_timezone(&Stockholm)
            .date_naive()
    }

    /// A new login of `role` (on `account` for contact and viewer), signed
    /// in: the login and its browser-like client.
    pub async fn signed_in(&self, role: &str, account: Option<&Account>) -> (Login, Client) {
        let email = format!(
            "{role}-{}@fixture.example",
            &license_portal::auth::random_token()[..8]
        );
        let login = self.create_login(&email, role, account.map(|a| a.id));
        let c = self.client_for(&email).await;
        (login, c)
    }

    /// The `Cookie` header value of a fresh signed-in session of `email`.
    pub async fn session_cookie(&self, email: &str) -> String {
        let anon = self.pre_sign_in_cookie().await;
        let page = self.raw_get("/login", &[("Cookie", anon.as_str())]).await;
        let token = hidden_value(&page.body, "csrf_token").expect("login form has a token");
        let body = serde_urlencoded::to_string([
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .expect("form");
        let res = self
            .raw_post(
                "/login",
                &[
                    ("Cookie", anon.as_str()),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ],
                body.as_bytes(),
            )
            .await;
        assert_eq!(res.status, 303, "sign-in of {email}: {}", res.head);
        res.cookie().expect("a session cookie at sign-in")
    }

    /// The `Cookie` header value of a new pre-sign-in session.
    pub async fn pre_sign_in_cookie(&self) -> String {
        let res = self.raw_get("/login", &[]).await;
        res.cookie().expect("GET /login starts a session")
    }

    /// `GET` sent as written, on a socket of its own.
    pub async fn raw_get(&self, path: &str, headers: &[(&str, &str)]) -> RawResponse {
        self.raw("GET", path, headers, b"").await
    }

    /// `POST` sent as written: the path is not normalised or re-encoded,
    /// no redirect is followed.
    pub async fn raw_post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> RawResponse {
        self.raw("POST", path, headers, body).await
    }

    /// One HTTP/1.1 request written byte for byte onto a new connection.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if method != "GET" || !body.is_empty() {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        stream.write_all(&bytes).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
            .await
            .expect("an answer in time")
            .expect("read");
        RawResponse::parse(&answer)
    }

    /// Send only a request's head (its announced body never follows) and
    /// read the answer: what the server says before it reads a body.
    pub async fn raw_head_only(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> RawResponse {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.address.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&host)
            .await
            .expect("connect");
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut answer = vec![0u8; 64 * 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
            .await
            .expect("an answer before the body is sent")
            .expect("read");
        RawResponse::parse(&answer[..n])
    }

    /// Open a link's form and set the password through it; returns the
    /// answer of the POST.
    pub async fn set_password_through(&self, c: &Client, link: &str, password: &str) -> Response {
        let (status, html) = self.get_html(c, link).await;
        assert_eq!(status, StatusCode::OK, "the form of {link}");
        let token = hidden_value(&html, "csrf_token").expect("the form has a token");
        self.post_form(
            c,
            link,
            &[
                ("password", password),
                ("password_confirm", password),
                ("csrf_token", &token),
            ],
        )
        .await
    }

    /// What the app's operations write mail with (its links, its clock).
    pub fn mail_ctx(&self) -> license_portal::mail::MailContext {
        self.state.mail_ctx()
    }

    pub fn account(&self, id: i64) -> Account {
        Account::find(&mut self.conn(), id)
            .expect("query")
            .expect("account exists")
    }

    /// A world to test in: two accounts, each with a contact and a viewer,
    /// and one staff login.
    pub fn world(&self) -> World {
        let a = self.create_account("Alpha AB", 10);
        let b = self.create_account("Beta AB", 20);
        self.create_login("contact@alpha.example", "contact", Some(a.id));
        self.create_login("viewer@alpha.example", "viewer", Some(a.id));
        self.create_login("contact@beta.example", "contact", Some(b.id));
        self.create_login("staff@vendor.example", "staff", None);
        World { a, b }
    }
}

/// A contact of an account, with `PASSWORD`.
pub fn create_contact(app: &TestApp, email: &str, account_id: i64) -> Login {
    app.create_login(email, "contact", Some(account_id))
}

pub struct World {
    pub a: Account,
    pub b: Account,
}

/// A user's state, for fixtures: each gives status and dates relative to
/// the app's today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    /// Active, started long ago, no end date.
    Counted,
    /// Set passive.
    Passive,
    /// Active, end date yesterday.
    Ended,
    /// Active, end date in ten days.
    EndingSoon,
    /// Active, starts in five days (counted all the same).
    FutureStart,
}

impl UserState {
    fn letter(self) -> char {
        match self {
            UserState::Counted => 'C',
            UserState::Passive => 'P',
            UserState::Ended => 'X',
            UserState::EndingSoon => 'S',
            UserState::FutureStart => 'F',
        }
    }

    fn fields(
        self,
        today: chrono::NaiveDate,
    ) -> (UserStatus, chrono::NaiveDate, Option<chrono::NaiveDate>) {
        let long_ago = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
        let days = chrono::Duration::days;
        match self {
            UserState::Counted => (UserStatus::Active, long_ago, None),
            UserState::Passive => (UserStatus::Passive, long_ago, None),
            UserState::Ended => (UserStatus::Active, long_ago, Some(today - days(1))),
            UserState::EndingSoon => (UserStatus::Active, long_ago, Some(today + days(10))),
            UserState::FutureStart => (UserStatus::Active, today + days(5), None),
        }
    }
}

/// An answer read off the socket.
pub struct RawResponse {
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    pub body: String,
}

impl RawResponse {
    fn parse(bytes: &[u8]) -> RawResponse {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        RawResponse {
            status,
            head: head.to_string(),
            body: body.to_string(),
        }
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The `name=value` of the session cookie this answer sets.
    pub fn cookie(&self) -> Option<String> {
        let value = self.header("set-cookie")?;
        let pair = value.split(';').next()?.trim();
        (!pair.ends_with('=')).then(|| pair.to_string())
    }
}

pub fn location(headers: &HeaderMap) -> String {
    headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

pub fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("selector")
}

/// The value of the first hidden input named `name`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(&format!("input[name=\"{name}\"]"));
    let value = doc.select(&s).next()?.value().attr("value")?.to_string();
    Some(value)
}

/// The `data-value` of the element with `id`, as an integer.
pub fn data_value(html: &str, id: &str) -> Option<i64> {
    let doc = Html::parse_document(html);
    let s = sel(&format!("#{id}"));
    doc.select(&s)
        .next()?
        .value()
        .attr("data-value")?
        .parse()
        .ok()
}

/// The text of the first element matching `css`.
pub fn text_of(html: &str, css: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(css);
    let text = doc.select(&s).next()?.text().collect::<String>();
    Some(text.trim().to_string())
}

/// An attribute of the first element a selector finds.
pub fn hidden_attr(html: &str, css: &str, attr: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(css);
    let value = doc.select(&s).next()?.value().attr(attr)?.to_string();
    Some(value)
}

pub fn count_of(html: &str, css: &str) -> usize {
    Html::parse_document(html).select(&sel(css)).count()
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
    let a: Vec<(i64, i64, String)> = accounts::table
        .select((accounts::id, accounts::licenses, accounts::name))
        .order(accounts::id)
        .load(&mut *conn)
        .expect("accounts");
    let l: Vec<(i64, bool, String, Option<String>, i32)> = logins::table
        .select((
            logins::id,
            logins::disabled,
            logins::password_hash,
            logins::language,
            logins::failed_attempts,
        ))
        .order(logins::id)
        .load(&mut *conn)
        .expect("logins");
    let o: Vec<(i64, String)> = license_orders::table
        .select((license_orders::id, license_orders::status))
        .order(license_orders::id)
        .load(&mut *conn)
        .expect("orders");
    let u: Vec<(i64, String, Option<chrono::NaiveDate>)> = users::table
        .select((users::id, users::status, users::end_date))
        .order(users::id)
        .load(&mut *conn)
        .expect("users");
    let e: i64 = audit_events::table
        .count()
        .get_result(&mut *conn)
        .expect("audit");
    format!("{a:?}|{l:?}|{o:?}|{u:?}|{e}")
}

/// A mail as a mail client reads it.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub body: String,
    /// The message as it arrived, headers and all.
    pub raw: String,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Option<Mail> {
        let msg = mail_parser::MessageParser::default().parse(raw)?;
        let to = msg
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or("")
            .to_string();
        Some(Mail {
            to,
            subject: msg.subject().unwrap_or("").to_string(),
            message_id: msg.message_id().unwrap_or("").to_string(),
            body: msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
            raw: String::from_utf8_lossy(raw).into_owned(),
        })
    }

    /// The outbox id the `Message-ID` was made from.
    pub fn outbox_id(&self) -> i64 {
        self.message_id
            .trim_start_matches("outbox-")
            .split('@')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// Every mail in a folder of `.eml` files or a Maildir (its `new/` and
/// `cur/`), in the order the portal wrote them.
pub fn mails_in(dir: &std::path::Path) -> Vec<Mail> {
    let mut files = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("new"), dir.join("cur")] {
        if let Ok(entries) = std::fs::read_dir(&sub) {
            for e in entries.flatten() {
                if e.path().is_file() {
                    files.push(e.path());
                }
            }
        }
    }
    let mut mails: Vec<Mail> = files
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .filter_map(|raw| Mail::parse(&raw))
        .collect();
    mails.sort_by_key(Mail::outbox_id);
    mails
}

/// Wait (up to 15 s) until `dir` holds a mail to `to` whose subject or
/// body holds `needle`; returns the newest such.
pub async fn wait_for_mail(dir: &std::path::Path, to: &str, needle: &str) -> Mail {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(m) = mails_in(dir).into_iter().rev().find(|m| {
            m.to.eq_ignore_ascii_case(to) && (m.body.contains(needle) || m.subject.contains(needle))
        }) {
            return m;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no mail to {to} with {needle:?} in {}: {:?}",
            dir.display(),
            mails_in(dir)
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The newest invitation link mailed to `email` (from this app's mail
/// folder, as the recipient would read it).
pub async fn invitation_link(app: &TestApp, email: &str) -> String {
    let mail = wait_for_mail(&app.mail_dir, email, "/invitation/").await;
    link_after(&mail.body, "/invitation/").expect("a link")
}

/// The newest reset link mailed to `email`.
pub async fn reset_link(app: &TestApp, email: &str) -> String {
    let mail = wait_for_mail(&app.mail_dir, email, "/reset/").await;
    link_after(&mail.body, "/reset/").expect("a link")
}

/// The path of the first link in `text` containing `marker`, if it still
/// holds its token.
pub fn link_after(text: &str, marker: &str) -> Option<String> {
    let at = text.find(marker)?;
    let token: String = text[at + marker.len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!token.is_empty()).then(|| format!("{marker}{token}"))
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

/// A real SMTP server in its own process: Python's aiosmtpd writing every
/// mail it receives to a Maildir the test reads.
pub struct SmtpServer {
    child: Option<std::process::Child>,
    pub port: u16,
    pub dir: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Whether aiosmtpd is here; SKIPPED (a failure with
/// `PORTAL_REQUIRE_SMTP=1`, as `.ci/run` sets) when not.
pub fn smtp_available(test: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("PORTAL_REQUIRE_SMTP").is_ok_and(|v| v == "1") {
            panic!("{test}: aiosmtpd is missing and PORTAL_REQUIRE_SMTP=1");
        }
        eprintln!("SKIPPED (smtp) {test}: python3 -m aiosmtpd is not installed; run `pip install aiosmtpd` (.ci/run does)");
    }
    ok
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl SmtpServer {
    /// Start one on a free port.
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().expect("maildir");
        let mut server = SmtpServer {
            child: None,
            port: free_port(),
            dir: dir.path().join("Maildir"),
            _dir: dir,
        };
        server.resume();
        server
    }

    /// A server that is not running yet, on a port reserved for it.
    pub fn stopped() -> SmtpServer {
        let dir = tempfile::tempdir().expect("maildir");
        SmtpServer {
            child: None,
            port: free_port(),
            dir: dir.path().join("Maildir"),
            _dir: dir,
        }
    }

    /// (Re)start it on its port and Maildir; returns once it accepts.
    pub fn resume(&mut self) {
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stop it (mail already received stays in the Maildir).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every mail received so far.
    pub fn mails(&self) -> Vec<Mail> {
        mails_in(&self.dir)
    }

    /// Wait for a mail to `to` whose body holds `needle`.
    pub async fn wait_for(&self, to: &str, needle: &str) -> Mail {
        wait_for_mail(&self.dir, to, needle).await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
