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
