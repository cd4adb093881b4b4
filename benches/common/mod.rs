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

/// A fresh PostgreSQL database named `prefix_PID` on `BENCH_POSTGRES_URL`
/// (default the local `test`), or none when PostgreSQL cannot be reached.
#[allow(dead_code)] // the sign-in flood measures SQLite alone
pub fn fresh_postgres(prefix: &str) -> Option<String> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let base = std::env::var("BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
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
