//! The per-address brake on guessing (SPEC 8.3): after 30 failed sign-ins,
//! wrong two-step codes or reset requests from one client address within
//! 10 minutes, that address's POSTs to the sign-in forms answer 429 with
//! `Retry-After` until the oldest of those failures is 10 minutes old. Kept
//! in memory, per instance (the lock-out of a login is in the database and
//! shared); its size is bounded.
//!
//! The client address is the socket's peer; behind a trusted proxy, the
//! right-most `X-Forwarded-For` address that is not a trusted proxy.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use ipnet::IpNet;

/// Failures from one address that start the brake.
pub const LIMIT: usize = 30;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Addresses remembered at most; past it the stalest are forgotten.
const MAX_ADDRESSES: usize = 100_000;

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Throttle {
    /// How long `addr` must wait, when it is braked.
    pub fn retry_after(&self, addr: IpAddr) -> Option<Duration> {
        self.retry_after_at(addr, Instant::now())
    }

    fn retry_after_at(&self, addr: IpAddr, now: Instant) -> Option<Duration> {
        let mut map = self.failures.lock().ok()?;
        let times = map.get_mut(&addr)?;
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        if times.len() < LIMIT {
            return None;
        }
        let oldest = *times.front()?;
        Some(
            WINDOW
                .saturating_sub(now.duration_since(oldest))
                .max(Duration::from_secs(1)),
        )
    }

    /// Count a failure from `addr`.
    pub fn failed(&self, addr: IpAddr) {
        self.failed_at(addr, Instant::now());
    }

    fn failed_at(&self, addr: IpAddr, now: Instant) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&addr) {
            map.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < WINDOW)
            });
            if map.len() >= MAX_ADDRESSES {
                // Still full of live addresses: forget the one seen longest ago.
                if let Some(stalest) = map
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(a, _)| *a)
                {
                    map.remove(&stalest);
                }
            }
        }
        let times = map.entry(addr).or_default();
        times.push_back(now);
        // Only the newest LIMIT matter.
        while times.len() > LIMIT {
            times.pop_front();
        }
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

/// The client's address: the peer, or behind trusted proxies the
/// right-most `X-Forwarded-For` address that is not one of them.
pub fn client_addr(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !trusted.iter().any(|net| net.contains(a)))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn proxies_parse_as_cidrs_or_single_addresses() {
        let nets = parse_proxies("10.0.0.0/8, 127.0.0.1,::1").expect("parse");
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"127.0.0.1".parse::<IpAddr>().expect("a")));
        assert!(parse_proxies("nonsense").is_err());
        assert!(parse_proxies("").expect("empty").is_empty());
    }
}
