//! The per-address brake on guessing (SPEC 8.3): after 30 failed sign-ins,
//! wrong two-step codes or reset requests from one client address within
//! 10 minutes, that address's POSTs to the sign-in forms answer 429 with
//! `Retry-After` until the oldest of those failures is 10 minutes old. Kept
//! in memory, per instance (the lock-out of a login is in the database and
//! shared). The API keeps a brake of its own, on bad tokens alone.
//!
//! What it keeps is bounded and costs the same per request however full it
//! is (SPEC 6): the addresses are spread over [`SHARDS`] shards by a keyed
//! hash, each behind its own lock held for one map look-up; each shard keeps
//! two generations of at most [`MAX_ADDRESSES`] / [`SHARDS`] addresses, the
//! current one and the one before. An address seen again moves to the
//! current generation; every [`WINDOW`], or when the current generation is
//! full, the one before is dropped (outside the lock) and the current one
//! takes its place. So an address whose failures still count is never
//! forgotten unless over [`MAX_ADDRESSES`] new addresses came within one
//! window, no request ever scans a table, and at most 2 x [`MAX_ADDRESSES`]
//! addresses of at most [`LIMIT`] instants each are kept.
//!
//! The client address is the socket's peer; behind a trusted proxy, the
//! right-most `X-Forwarded-For` address that is not a trusted proxy.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Failures from one address that start the brake.
pub const LIMIT: usize = 30;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Addresses a generation holds at most, over all shards.
pub const MAX_ADDRESSES: usize = 100_000;
/// Locks the table is split over.
pub const SHARDS: usize = 64;
const PER_SHARD: usize = MAX_ADDRESSES / SHARDS;

/// The client a request comes from, as the brake and the log know it
/// (none only when the socket has no peer address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client(pub Option<IpAddr>);

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => f.write_str("-"),
        }
    }
}

type Failures = VecDeque<Instant>;

/// One shard: the current generation and the one before.
#[derive(Debug, Default)]
struct Shard {
    /// When the current generation began (`None`: nothing kept yet).
    began: Option<Instant>,
    current: HashMap<IpAddr, Failures>,
    previous: HashMap<IpAddr, Failures>,
}

impl Shard {
    /// Start a new generation when the current one is a window old;
    /// returns what is dropped, to be freed outside the lock.
    fn age(&mut self, now: Instant) -> Option<HashMap<IpAddr, Failures>> {
        match self.began.map(|b| now.saturating_duration_since(b)) {
            Some(age) if age < WINDOW => None,
            // Not touched for a whole window since its current generation
            // began a window ago: every failure it holds is out of the
            // window, the current generation's too.
            Some(age) if age >= 2 * WINDOW => {
                let mut dropped = self.rotate(now);
                dropped.extend(std::mem::take(&mut self.previous));
                Some(dropped)
            }
            _ => Some(self.rotate(now)),
        }
    }

    fn rotate(&mut self, now: Instant) -> HashMap<IpAddr, Failures> {
        self.began = Some(now);
        let current = std::mem::take(&mut self.current);
        std::mem::replace(&mut self.previous, current)
    }

    /// The failures of `addr`, moved into the current generation.
    fn entry(
        &mut self,
        addr: IpAddr,
        now: Instant,
    ) -> (&mut Failures, Option<HashMap<IpAddr, Failures>>) {
        let mut dropped = None;
        if !self.current.contains_key(&addr) {
            let moved = self.previous.remove(&addr).unwrap_or_default();
            if self.current.len() >= PER_SHARD {
                dropped = Some(self.rotate(now));
            }
            self.current.insert(addr, moved);
        }
        let times = self.current.entry(addr).or_default();
        (times, dropped)
    }

    fn get(&self, addr: &IpAddr) -> Option<&Failures> {
        self.current.get(addr).or_else(|| self.previous.get(addr))
    }
}

#[derive(Debug)]
pub struct Throttle {
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

/// How long an address with these failures must wait, if it must. The
/// failures are kept in the order they came, so those still in the window
/// are the newest ones: one pass finds the oldest of them.
fn wait_of(times: &Failures, now: Instant) -> Option<Duration> {
    let first_live = times
        .iter()
        .position(|t| now.saturating_duration_since(*t) < WINDOW)?;
    if times.len() - first_live < LIMIT {
        return None;
    }
    let oldest = times[first_live];
    Some(
        WINDOW
            .saturating_sub(now.saturating_duration_since(oldest))
            .max(Duration::from_secs(1)),
    )
}

impl Throttle {
    fn shard(&self, addr: &IpAddr) -> &Mutex<Shard> {
        let n = self.hasher.hash_one(addr) as usize % SHARDS;
        &self.shards[n]
    }

    /// How long `addr` must wait, when it is braked.
    pub fn retry_after(&self, addr: IpAddr) -> Option<Duration> {
        self.retry_after_at(addr, Instant::now())
    }

    fn retry_after_at(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let addr = key_of(addr);
        let mut shard = self
            .shard(&addr)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let dropped = shard.age(now);
        let wait = shard.get(&addr).and_then(|times| wait_of(times, now));
        drop(shard);
        drop(dropped);
        wait
    }

    /// Count a failure from `addr`.
    pub fn failed(&self, addr: IpAddr) {
        self.failed_at(addr, Instant::now());
    }

    /// Count a failure from a client, when it has an address.
    pub fn failed_from(&self, client: Client) {
        if let Some(addr) = client.0 {
            self.failed(addr);
        }
    }

    fn failed_at(&self, addr: IpAddr, now: Instant) {
        let addr = key_of(addr);
        let mut shard = self
            .shard(&addr)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let aged = shard.age(now);
        let (times, dropped) = shard.entry(addr, now);
        times.push_back(now);
        // Only the newest LIMIT matter.
        while times.len() > LIMIT {
            times.pop_front();
        }
        drop(shard);
        drop(aged);
        drop(dropped);
    }

    /// Addresses kept now (both generations), for tests and benchmarks.
    pub fn kept(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(PoisonError::into_inner);
                s.current.len() + s.previous.len()
            })
            .sum()
    }
}

/// Parse `--trusted-proxy CIDR[,CIDR...]`; a bare address is one host.
pub fn parse_proxies(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR"))
        })
        .collect()
}

/// Whether the request's peer is one of the trusted proxies (whose
/// `X-Forwarded-For` and `X-Request-Id` are believed).
pub fn from_trusted_proxy(req: &HttpRequest, trusted: &[IpNet]) -> bool {
    req.peer_addr().is_some_and(|p| {
        trusted
            .iter()
            .any(|net| net.contains(&p.ip().to_canonical()))
    })
}

/// One `X-Forwarded-For` entry: an address, maybe with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:443`); `None` when it is none.
fn forwarded_entry(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    if let Ok(a) = t.parse::<IpAddr>() {
        return Some(a.to_canonical());
    }
    if let Some(rest) = t.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<IpAddr>()
            .ok()
            .map(|a| a.to_canonical());
    }
    t.rsplit_once(':')
        .and_then(|(host, _)| host.parse::<IpAddr>().ok())
        .map(|a| a.to_canonical())
}

/// The client's address: the peer, or behind trusted proxies the
/// right-most `X-Forwarded-For` address that is not one of them. The walk
/// from the right stops at the first entry that is not a trusted proxy; an
/// entry there that is not an address is counted as the proxy's own peer
/// address (so such requests share one brake and never escape it), never
/// an address further left, which the client could have written.
pub fn client_addr(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip().to_canonical();
    let is_trusted = |a: &IpAddr| trusted.iter().any(|net| net.contains(a));
    if !from_trusted_proxy(req, trusted) {
        return Some(peer);
    }
    let raw: Vec<String> = req
        .headers()
        .get_all("x-forwarded-for")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let entries: Vec<&str> = raw.iter().flat_map(|line| line.split(',')).collect();
    for entry in entries.into_iter().rev() {
        match forwarded_entry(entry) {
            Some(a) if is_trusted(&a) => continue,
            Some(a) => return Some(a),
            None => return Some(peer),
        }
    }
    Some(peer)
}

/// The key an address is counted under: IPv6 by its /64 (one client holds
/// a whole /64), IPv4 as it is.
fn key_of(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// The API's rate limit (SPEC 9): at most `TOKEN_LIMIT` (by default) requests in a
/// minute for one token, per instance; the next one answers 429 with
/// `Retry-After` until its window ends. A fixed window per token: only
/// tokens that opened the API are counted, so its size is bounded by the
/// number of live tokens.
#[derive(Debug)]
pub struct TokenLimit {
    limit: u32,
    windows: Mutex<HashMap<i64, (Instant, u32)>>,
}

/// Requests one token may send in `TOKEN_WINDOW`.
pub const TOKEN_LIMIT: u32 = 600;
pub const TOKEN_WINDOW: Duration = Duration::from_secs(60);

impl TokenLimit {
    /// At most `limit` requests a minute per token.
    pub fn new(limit: u32) -> TokenLimit {
        TokenLimit {
            limit,
            windows: Mutex::default(),
        }
    }

    /// Count a request of `token`: `Err(seconds to wait)` when over.
    pub fn hit(&self, token: i64) -> Result<(), u64> {
        self.hit_at(token, Instant::now())
    }

    fn hit_at(&self, token: i64, now: Instant) -> Result<(), u64> {
        let Ok(mut map) = self.windows.lock() else {
            return Ok(());
        };
        if map.len() > MAX_ADDRESSES {
            map.retain(|_, (start, _)| now.duration_since(*start) < TOKEN_WINDOW);
        }
        let entry = map.entry(token).or_insert((now, 0));
        if now.duration_since(entry.0) >= TOKEN_WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let left = TOKEN_WINDOW.saturating_sub(now.duration_since(entry.0));
            return Err(left.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_gets_600_requests_a_minute_then_waits_for_its_window() {
        let limit = TokenLimit::new(TOKEN_LIMIT);
        let start = Instant::now();
        for _ in 0..TOKEN_LIMIT {
            assert_eq!(limit.hit_at(7, start), Ok(()));
        }
        let wait = limit
            .hit_at(7, start + Duration::from_secs(20))
            .expect_err("the 601st is refused");
        assert_eq!(wait, 40);
        // Another token has its own count; the window's end starts anew.
        assert_eq!(limit.hit_at(8, start), Ok(()));
        assert_eq!(limit.hit_at(7, start + TOKEN_WINDOW), Ok(()));
    }

    #[test]
    fn thirty_failures_brake_an_address_for_what_is_left_of_ten_minutes() {
        let t = Throttle::default();
        let a: IpAddr = "127.0.0.2".parse().expect("addr");
        let b: IpAddr = "127.0.0.3".parse().expect("addr");
        let start = Instant::now();
        for i in 0..29 {
            t.failed_at(a, start + Duration::from_secs(i));
        }
        assert_eq!(t.retry_after_at(a, start + Duration::from_secs(30)), None);
        t.failed_at(a, start + Duration::from_secs(30));
        let wait = t
            .retry_after_at(a, start + Duration::from_secs(31))
            .expect("braked");
        assert_eq!(wait, WINDOW - Duration::from_secs(31));
        assert_eq!(t.retry_after_at(b, start), None, "another address is free");
        // Once the oldest failure is ten minutes old, it no longer counts.
        assert_eq!(t.retry_after_at(a, start + WINDOW), None);
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_a_braked_address_among_many() {
        let t = Throttle::default();
        let start = Instant::now();
        let guesser: IpAddr = "192.0.2.1".parse().expect("addr");
        for i in 0..LIMIT {
            t.failed_at(guesser, start + Duration::from_millis(i as u64));
        }
        // Fewer new addresses than a generation holds, within the window:
        // the guesser stays braked.
        for n in 0..(MAX_ADDRESSES as u32 / 2) {
            t.failed_at(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + n)), start);
        }
        assert!(t
            .retry_after_at(guesser, start + Duration::from_secs(1))
            .is_some());
        // However many come, at most two generations are kept.
        for n in 0..(3 * MAX_ADDRESSES as u32) {
            t.failed_at(IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + n)), start);
        }
        assert!(t.kept() <= 2 * MAX_ADDRESSES, "{} kept", t.kept());
        // Two windows later nothing of then is kept.
        let later = start + 2 * WINDOW + Duration::from_secs(1);
        for n in 0..(SHARDS as u32 * 8) {
            t.failed_at(IpAddr::V4(std::net::Ipv4Addr::from(0x0c00_0000 + n)), later);
            t.failed_at(IpAddr::V4(std::net::Ipv4Addr::from(0x0c00_0000 + n)), later);
        }
        assert!(t.kept() < MAX_ADDRESSES / 10, "{} kept", t.kept());
        assert_eq!(t.retry_after_at(guesser, later), None);
    }

    #[test]
    fn a_forwarded_entry_that_is_no_address_counts_as_the_proxy() {
        let req = actix_web::test::TestRequest::default()
            .peer_addr("127.0.0.9:4000".parse().expect("peer"))
            .insert_header(("x-forwarded-for", "not-an-address"))
            .to_http_request();
        let trusted = parse_proxies("127.0.0.9").expect("proxies");
        assert_eq!(client_addr(&req, &trusted), "127.0.0.9".parse().ok());
    }

    #[test]
    fn forwarded_entries_may_carry_ports_and_v6_counts_by_its_64() {
        assert_eq!(forwarded_entry(" 203.0.113.7 "), "203.0.113.7".parse().ok());
        assert_eq!(
            forwarded_entry("203.0.113.7:5678"),
            "203.0.113.7".parse().ok()
        );
        assert_eq!(
            forwarded_entry("[2001:db8::1]:443"),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(forwarded_entry("::ffff:10.0.0.1"), "10.0.0.1".parse().ok());
        assert_eq!(forwarded_entry("unknown"), None);
        let t = Throttle::default();
        let start = Instant::now();
        for i in 0..30u16 {
            let a = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, i, 0, 0, 1));
            t.failed_at(a, start);
        }
        let other_in_64 = IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 99, 9, 9, 9));
        assert!(
            t.retry_after_at(other_in_64, start).is_some(),
            "one /64, one client"
        );
    }

    #[test]
    fn proxies_parse_as_cidrs_or_single_addresses() {
        let nets = parse_proxies("10.0.0.0/8, 127.0.0.1,::1").expect("parse");
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"127.0.0.1".parse::<IpAddr>().expect("a")));
        assert!(parse_proxies("nonsense").is_err());
        assert!(parse_proxies("").expect("empty").is_empty());
    }
}
