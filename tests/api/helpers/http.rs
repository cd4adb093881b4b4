//! Talking to a test app: forms with their CSRF token, signing in, and
//! raw HTTP/1.1 written byte for byte (no path normalised, no redirect
//! followed).

use std::sync::Once;
use std::time::Duration;

use license_portal::models::{Account, Login};
use reqwest::header::{HeaderMap, LOCATION};
use reqwest::{Response, StatusCode};
use scraper::Selector;

/// The password every test login gets.
pub const PASSWORD: &str = "correct horse battery staple";

static BACKEND_NOTE: Once = Once::new();

#[allow(unused_imports)]
use super::*;

impl TestApp {
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
