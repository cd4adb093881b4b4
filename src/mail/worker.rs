//! The mail worker: a thread inside the server that sends what the outbox
//! holds. It wakes at once when a change has written mail, and polls for
//! retries and for mail other instances or the command line wrote.
//!
//! Each due mail is claimed with a conditional update (a lease): of several
//! instances, one sends it. Sent: the row says so, and a one-time link's
//! token is cut from the kept body. Failed: tried again after the backoff,
//! `failed` after ten tries. A crash mid-send lets the lease run out and the
//! mail is sent again; its `Message-ID`, made from the outbox id, lets a
//! receiver drop the second copy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use crate::db::Pool;
use crate::domain::mail::backoff;
use crate::models::now_utc;
use crate::models::outbox::OutboxMail;

/// How long a claimed mail is ours before another worker may take it: far
/// longer than a send may take, since a lease that runs out mid-send is
/// the one way to send a mail twice.
const LEASE: chrono::Duration = chrono::Duration::seconds(600);
/// How often the worker looks for due mail when nothing woke it.
const POLL: Duration = Duration::from_secs(2);
/// How long one SMTP conversation may take (well inside the lease).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    Smtp {
        transport: SmtpTransport,
        /// The URL without its password, for messages.
        shown: String,
    },
    /// RFC 5322 `.eml` files in a folder, for a machine without a mail server.
    Files(PathBuf),
}

impl Transport {
    /// From `--smtp-url` (`smtp://`, `smtp://...?tls=required`, `smtps://`),
    /// else files in `mail_dir`.
    pub fn from_settings(smtp_url: Option<&str>, mail_dir: &str) -> anyhow::Result<Transport> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("--smtp-url / PORTAL_SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build();
                Ok(Transport::Smtp {
                    transport,
                    shown: crate::db::redact_password(url),
                })
            }
            None => Ok(Transport::Files(PathBuf::from(mail_dir))),
        }
    }

    /// What `serve` says at start.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { shown, .. } => format!("mail: sent through {shown}"),
            Transport::Files(dir) => format!(
                "mail: no --smtp-url, so each mail is written as an .eml file to {}",
                dir.display()
            ),
        }
    }

    fn send(&self, message: &Message) -> Result<(), String> {
        match self {
            Transport::Smtp { transport, .. } => transport
                .send(message)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                FileTransport::new(dir)
                    .send(message)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Wakes the worker when a change has written mail.
#[derive(Clone, Default)]
pub struct Wake(Arc<(Mutex<bool>, Condvar)>);

impl Wake {
    pub fn wake(&self) {
        let (flag, cond) = &*self.0;
        if let Ok(mut woken) = flag.lock() {
            *woken = true;
            cond.notify_all();
        }
    }

    fn wait(&self, timeout: Duration) {
        let (flag, cond) = &*self.0;
        if let Ok(woken) = flag.lock() {
            if let Ok((mut woken, _)) = cond.wait_timeout_while(woken, timeout, |w| !*w) {
                *woken = false;
            }
        }
    }
}

/// What the worker needs.
#[derive(Clone)]
pub struct WorkerSettings {
    pub transport: Transport,
    pub from: Mailbox,
    /// The first wait after a failed try (30 s; doubling up to an hour).
    pub retry_base: Duration,
    /// The host part of `Message-ID`s.
    pub id_domain: String,
}

/// Stops a worker from elsewhere, without waiting for it.
#[derive(Clone)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    wake: Wake,
}

impl Stopper {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.wake();
    }
}

/// A running worker.
pub struct Worker {
    stop: Arc<AtomicBool>,
    wake: Wake,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Start the thread.
    pub fn start(pool: Pool, settings: WorkerSettings, wake: Wake) -> Worker {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let wake = wake.clone();
            std::thread::Builder::new()
                .name("mail".into())
                .spawn(move || run(&pool, &settings, &wake, &stop))
                .map_err(|e| tracing::error!(error = %e, "cannot start the mail worker"))
                .ok()
        };
        Worker { stop, wake, thread }
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            stop: self.stop.clone(),
            wake: self.wake.clone(),
        }
    }

    /// Stop between two mails and wait for the thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.wake();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(pool: &Pool, settings: &WorkerSettings, wake: &Wake, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let sent_any = match send_due(pool, settings, stop) {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "mail worker: database unavailable");
                false
            }
        };
        if !sent_any {
            wake.wait(POLL);
        }
    }
}

/// Send what is due now; returns how many were tried.
pub fn send_due(
    pool: &Pool,
    settings: &WorkerSettings,
    stop: &AtomicBool,
) -> anyhow::Result<usize> {
    let mut conn = pool.get()?;
    let now = now_utc();
    let due = OutboxMail::due(&mut conn, now, 20)?;
    let mut tried = 0;
    for id in due {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let now = now_utc();
        let lease = now + LEASE;
        if !OutboxMail::claim(&mut conn, id, now, lease)? {
            continue;
        }
        let Some(mail) = OutboxMail::find(&mut conn, id)? else {
            continue;
        };
        tried += 1;
        // No connection is held while the mail server is talked to.
        drop(conn);
        let result = message(&mail, settings).and_then(|m| settings.transport.send(&m));
        match result {
            Ok(()) => {
                let kept = if mail.kind.carries_link() {
                    super::without_links(&mail.body)
                } else {
                    mail.body.clone()
                };
                // Sent: saying so must not fail, or the lease runs out and
                // it is sent again. Try for a while before giving up.
                let mut recorded = false;
                for wait in [0u64, 100, 500, 1000, 2000, 5000] {
                    std::thread::sleep(Duration::from_millis(wait));
                    if let Ok(mut c) = pool.get() {
                        if OutboxMail::mark_sent(&mut c, mail.id, lease, now_utc(), &kept).is_ok() {
                            recorded = true;
                            break;
                        }
                    }
                }
                if recorded {
                    tracing::info!(mail_id = mail.id, kind = %mail.kind, "mail sent");
                } else {
                    tracing::error!(
                        mail_id = mail.id,
                        "mail sent but not recorded; it may be sent again"
                    );
                }
                conn = pool.get()?;
                continue;
            }
            Err(error) => {
                conn = pool.get()?;
                let base = chrono::Duration::from_std(settings.retry_base)
                    .unwrap_or(chrono::Duration::seconds(30));
                let next = now_utc() + backoff(base, mail.attempts + 1);
                OutboxMail::mark_attempt_failed(&mut conn, &mail, &error, next)?;
                tracing::warn!(mail_id = mail.id, kind = %mail.kind, attempt = mail.attempts + 1, %error, "mail not sent; will try again");
            }
        }
    }
    Ok(tried)
}

/// The message of an outbox row: plain UTF-8 text, `Message-ID` from its id.
fn message(mail: &OutboxMail, settings: &WorkerSettings) -> Result<Message, String> {
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e| format!("bad address {:?}: {e}", mail.to_address))?;
    Message::builder()
        .from(settings.from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<outbox-{}@{}>", mail.id, settings.id_domain)))
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}
