//! What the benchmarks share: the memory of a process, a server that stops
//! with its handle, a free port, a fresh PostgreSQL database.

use std::process::Child;

/// Resident and peak resident memory of a process, in KiB.
pub fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A server process, killed when dropped.
pub struct Server(pub Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Where the benchmarks make their PostgreSQL databases.
fn postgres_base() -> String {
    std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh PostgreSQL database named `prefix_PID` on `BENCH_POSTGRES_URL`
/// (default the local `test`), or none when PostgreSQL cannot be reached.
/// [`drop_postgres`] removes it.
#[allow(dead_code)] // the sign-in flood measures SQLite alone
pub fn fresh_postgres(prefix: &str) -> Option<String> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let base = postgres_base();
    let mut conn = diesel::PgConnection::establish(&base).ok()?;
    let name = format!("{prefix}_{}", std::process::id());
    // Each on its own: CREATE DATABASE cannot run inside a transaction.
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .ok()?;
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .ok()?;
    let (root, _) = base.rsplit_once('/')?;
    Some(format!("{root}/{name}"))
}

/// Remove a database [`fresh_postgres`] made, with the connections a
/// stopped server's pool may still hold.
#[allow(dead_code)] // the sign-in flood measures SQLite alone
pub fn drop_postgres(url: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let Some((_, name)) = url.rsplit_once('/') else {
        return;
    };
    let dropped = diesel::PgConnection::establish(&postgres_base()).and_then(|mut c| {
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))
    });
    if let Err(e) = dropped {
        eprintln!("could not drop the benchmark database {name}: {e}");
    }
}

/// Run the portal's command line on `db` (the first line of `stdin`
/// given, if any) and return its standard output, trimmed; panics with its
/// standard error when it fails.
#[allow(dead_code)] // the portal benchmark runs in-process
pub fn run_cli(binary: &str, db: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .arg("--database")
        .arg(db)
        .args(args)
        .env(
            "PORTAL_MAIL_DIR",
            std::env::temp_dir().join("bench-cli-mail"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run license-portal");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "license-portal {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Wait (up to 10 s) until the server at `base` answers `/healthz`.
#[allow(dead_code)] // the portal benchmark runs in-process
pub async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Sign `email` in on the portal at `base` through its form (the cookie
/// stays in `client`'s store).
#[allow(dead_code)] // not every benchmark signs in through the form
pub async fn sign_in(client: &reqwest::Client, base: &str, email: &str, password: &str) {
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("page");
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("csrf token")
        .to_string();
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 303, "signed in");
}

/// The portal serving `db` on `127.0.0.1:port` with `args` after `serve`
/// and `env` beside its quiet log and `mail_dir`; killed when dropped.
#[allow(dead_code)] // the portal benchmark runs in-process
pub fn serve(
    binary: &str,
    db: &str,
    port: u16,
    args: &[&str],
    env: &[(&str, &str)],
    mail_dir: &std::path::Path,
) -> Server {
    use std::process::{Command, Stdio};
    Server(
        Command::new(binary)
            .arg("--database")
            .arg(db)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(args)
            .envs(env.iter().copied())
            .env("PORTAL_MAIL_DIR", mail_dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve"),
    )
}
