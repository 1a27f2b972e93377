//! Per-key counters and rate limits that keep one student (or one address) from taking what the
//! class shares: concurrent execs per session, terminal sockets per session and per client
//! address, and session creations per client address.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::AppError;

/// How many of something each key holds right now; [`Counter::try_acquire`] hands out guards
/// that give their slot back when dropped (also when a handler is cancelled mid-way).
pub struct Counter<K: Eq + Hash + Clone> {
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash + Clone> Default for Counter<K> {
    fn default() -> Self {
        Self { held: Arc::default() }
    }
}

/// One slot of a [`Counter`], released on drop.
pub struct Slot<K: Eq + Hash + Clone> {
    held: Arc<Mutex<HashMap<K, usize>>>,
    key: K,
}

impl<K: Eq + Hash + Clone> Counter<K> {
    /// A slot for `key`, or `None` when it already holds `max`.
    pub fn try_acquire(&self, key: K, max: usize) -> Option<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let n = held.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { held: self.held.clone(), key })
    }

    /// Slots `key` holds now.
    pub fn held(&self, key: &K) -> usize {
        self.held.lock().unwrap_or_else(|e| e.into_inner()).get(key).copied().unwrap_or(0)
    }
}

impl<K: Eq + Hash + Clone> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// A token bucket per client address: `per_minute` tokens a minute, holding at most `burst`.
///
/// A keyed limiter such as `governor` would do the same; this one is a few lines, needs no
/// clock abstraction, and answers the wait that `Retry-After` needs.
pub struct RateLimiter {
    per_minute: u32,
    burst: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter; `per_minute == 0` lets everything through.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self { per_minute, burst: burst.max(1), buckets: Mutex::default() }
    }

    /// Takes a token for `addr`; when none is left, how long until one is.
    pub fn check(&self, addr: IpAddr) -> Result<(), Duration> {
        self.check_at(addr, Instant::now())
    }

    /// Whether `addr` has a token now, without taking it (the SSH endpoint takes one per refused
    /// login only, and refuses every login of an address that has none left).
    pub fn has_token(&self, addr: IpAddr) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets.get(&addr).is_none_or(|(tokens, at)| *tokens + at.elapsed().as_secs_f64() * rate >= 1.0)
    }

    fn check_at(&self, addr: IpAddr, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let rate = f64::from(self.per_minute) / 60.0;
        let burst = f64::from(self.burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > 10_000 {
            // Forget addresses whose bucket has refilled: they are back to a fresh start anyway.
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(addr).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / rate))
        }
    }
}

/// The limits the HTTP layer enforces, shared by every handler.
pub struct Limits {
    /// Commands (exec, upload, port listing, lesson checks) running per session.
    pub execs: Counter<String>,
    /// Terminal sockets open per session.
    pub terminals_per_session: Counter<String>,
    /// Terminal sockets open per client address.
    pub terminals_per_addr: Counter<IpAddr>,
    /// Session creations per client address.
    pub session_rate: RateLimiter,
    max_execs: usize,
    max_terminals_session: usize,
    max_terminals_addr: usize,
}

impl Limits {
    /// The limits `config` sets.
    pub fn new(config: &Config) -> Self {
        let a = &config.limits;
        Self {
            execs: Counter::default(),
            terminals_per_session: Counter::default(),
            terminals_per_addr: Counter::default(),
            session_rate: RateLimiter::new(a.session_rate_per_minute, a.session_rate_burst),
            max_execs: a.max_execs_per_session,
            max_terminals_session: a.max_terminals_per_session,
            max_terminals_addr: a.max_terminals_per_addr,
        }
    }

    /// A slot for one more command in session `id`, or 429 `TOO_MANY_EXECS`.
    pub fn exec_slot(&self, id: &str) -> Result<Slot<String>, AppError> {
        self.execs.try_acquire(id.to_string(), self.max_execs).ok_or(AppError::TooManyExecs(self.max_execs))
    }

    /// Slots for one more terminal of session `id` from `addr`, or 429 `TOO_MANY_TERMINALS`.
    pub fn terminal_slots(&self, id: &str, addr: IpAddr) -> Result<(Slot<String>, Slot<IpAddr>), AppError> {
        let session = self
            .terminals_per_session
            .try_acquire(id.to_string(), self.max_terminals_session)
            .ok_or(AppError::TooManyTerminals("this session"))?;
        let addr = self
            .terminals_per_addr
            .try_acquire(addr, self.max_terminals_addr)
            .ok_or(AppError::TooManyTerminals("your network address"))?;
        Ok((session, addr))
    }

    /// Takes one session creation from `addr`'s allowance, or 429 `RATE_LIMITED`.
    pub fn session_creation(&self, addr: IpAddr) -> Result<(), AppError> {
        self.session_rate.check(addr).map_err(AppError::RateLimited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_and_given_back() {
        let c: Counter<String> = Counter::default();
        let a = c.try_acquire("s".into(), 2).unwrap();
        let _b = c.try_acquire("s".into(), 2).unwrap();
        assert!(c.try_acquire("s".into(), 2).is_none());
        assert!(c.try_acquire("t".into(), 2).is_some());
        drop(a);
        assert_eq!(c.held(&"s".to_string()), 1);
        assert!(c.try_acquire("s".into(), 2).is_some());
    }

    #[test]
    fn buckets_refill_at_the_rate_and_say_when() {
        let r = RateLimiter::new(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(r.check_at(ip, t0).is_ok());
        }
        let wait = r.check_at(ip, t0).unwrap_err();
        assert!(wait > Duration::from_millis(900) && wait <= Duration::from_secs(1), "{wait:?}");
        // Another address has its own bucket.
        assert!(r.check_at("192.0.2.2".parse().unwrap(), t0).is_ok());
        assert!(r.check_at(ip, t0 + Duration::from_millis(1100)).is_ok());
        assert!(r.check_at(ip, t0 + Duration::from_millis(1100)).is_err());
        assert!(RateLimiter::new(0, 0).check_at(ip, t0).is_ok());
    }
}
