//! Reading the mails the portal sent, and a real SMTP server.

use std::sync::Once;
use std::time::Duration;

/// The password every test login gets.
pub const PASSWORD: &str = "correct horse battery staple";

static BACKEND_NOTE: Once = Once::new();

#[allow(unused_imports)]
use super::*;

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

/// The mails of `kind` the portal wrote to `to` (its outbox, sent or not).
pub fn outbox_of(
    app: &TestApp,
    to: &str,
    kind: &str,
) -> Vec<license_portal::models::outbox::OutboxMail> {
    license_portal::models::outbox::OutboxMail::to(&mut app.conn(), to)
        .expect("outbox")
        .into_iter()
        .filter(|m| m.kind.as_str() == kind)
        .collect()
}
