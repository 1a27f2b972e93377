//! `GET /metrics` (Prometheus text format 0.0.4) and what it counts: a small hand-rolled
//! registry of process-wide counters ([`METRICS`]), bumped where things happen, plus gauges read
//! from the state when scraped (sessions, nodes, the warm pool).
//!
//! Counters are process-wide, as with the `metrics` crate's global recorder: the registry front
//! and the port-link relay run outside any one backend's state.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the session start latency histogram's buckets.
pub const START_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// A latency histogram with the fixed [`START_BUCKETS`].
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; START_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in START_BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str) {
        for (bound, bucket) in START_BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// The process's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Sessions started (`POST /api/sessions` answered 201).
    pub session_starts: AtomicU64,
    /// Sessions ended (deleted, expired, ended by an admin).
    pub session_ends: AtomicU64,
    /// How long `POST /api/sessions` took when it started a session.
    pub start_latency: Histogram,
    /// Requests refused by admission, by `ApiError` code.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    /// Terminal WebSockets open now.
    pub terminals_open: AtomicI64,
    /// Bytes relayed through port links, both directions.
    pub port_link_bytes: AtomicU64,
    /// Lesson checks run that passed.
    pub checks_passed: AtomicU64,
    /// Lesson checks run that failed.
    pub checks_failed: AtomicU64,
    /// Image manifests nodes pulled through the registry front.
    pub registry_pulls: AtomicU64,
}

/// The counters of this process.
pub static METRICS: std::sync::LazyLock<Metrics> = std::sync::LazyLock::new(Metrics::default);

/// The `ApiError` codes that are refusals (the server said no for want of room, rate or right).
pub const REFUSAL_CODES: [&str; 8] = [
    protocol::error::codes::OUT_OF_CAPACITY,
    protocol::error::codes::RATE_LIMITED,
    protocol::error::codes::DISK_FULL,
    protocol::error::codes::TOO_MANY_EXECS,
    protocol::error::codes::TOO_MANY_TERMINALS,
    protocol::error::codes::JOIN_CODE_REQUIRED,
    protocol::error::codes::FORBIDDEN_ORIGIN,
    DRAINING,
];

/// The code of the 503 a draining server answers new sessions with.
pub const DRAINING: &str = protocol::error::codes::DRAINING;

impl Metrics {
    /// Counts a response with `ApiError` code `code`, if it is a refusal.
    pub fn refused(&self, code: &'static str) {
        if REFUSAL_CODES.contains(&code) {
            *self.refusals.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_default() += 1;
        }
    }

    /// Counts a refused connection (the connection cap).
    pub fn connection_refused(&self) {
        *self.refusals.lock().unwrap_or_else(|e| e.into_inner()).entry("CONNECTION_LIMIT").or_default() += 1;
    }
}

/// A terminal socket counted in `muelle_terminal_sockets_open` while this lives.
#[derive(Debug)]
pub struct TerminalOpen(());

impl TerminalOpen {
    /// Counts one more open terminal socket.
    pub fn new() -> Self {
        METRICS.terminals_open.fetch_add(1, Ordering::Relaxed);
        Self(())
    }
}

impl Default for TerminalOpen {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TerminalOpen {
    fn drop(&mut self) {
        METRICS.terminals_open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a scrape reads from the state besides the counters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gauges {
    /// Sessions live.
    pub sessions: u64,
    /// Nodes holding resources.
    pub nodes: u64,
    /// Warm nodes ready.
    pub pool_ready: u64,
    /// Warm nodes wanted.
    pub pool_size: u64,
    /// The server refuses new sessions (drain).
    pub draining: bool,
    /// `/readyz` answers 200.
    pub ready: bool,
}

/// The exposition text.
pub fn render(m: &Metrics, g: Gauges) -> String {
    let mut out = String::with_capacity(4096);
    let mut one = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
    one("muelle_sessions_live", "gauge", "Sessions live now.", g.sessions.to_string());
    one("muelle_nodes_live", "gauge", "Nodes holding resources now.", g.nodes.to_string());
    one("muelle_pool_ready", "gauge", "Warm nodes ready for instant starts.", g.pool_ready.to_string());
    one("muelle_pool_size", "gauge", "Warm nodes the pool keeps (MUELLE_POOL_SIZE).", g.pool_size.to_string());
    one("muelle_draining", "gauge", "1 while the server refuses new sessions before maintenance.", u8::from(g.draining).to_string());
    one("muelle_ready", "gauge", "1 when /readyz answers 200.", u8::from(g.ready).to_string());
    one("muelle_session_starts_total", "counter", "Sessions started.", load(&m.session_starts));
    one("muelle_session_ends_total", "counter", "Sessions ended (deleted, expired or ended by an admin).", load(&m.session_ends));
    one("muelle_terminal_sockets_open", "gauge", "Terminal WebSockets open now.", m.terminals_open.load(Ordering::Relaxed).to_string());
    one("muelle_port_link_bytes_total", "counter", "Bytes relayed through port links, both directions.", load(&m.port_link_bytes));
    one("muelle_registry_pulls_total", "counter", "Image manifests nodes pulled through the registry front.", load(&m.registry_pulls));
    let _ = writeln!(out, "# HELP muelle_lesson_checks_total Lesson checks run, by result.\n# TYPE muelle_lesson_checks_total counter");
    let _ = writeln!(out, "muelle_lesson_checks_total{{result=\"passed\"}} {}", load(&m.checks_passed));
    let _ = writeln!(out, "muelle_lesson_checks_total{{result=\"failed\"}} {}", load(&m.checks_failed));
    let _ = writeln!(out, "# HELP muelle_refusals_total Requests and connections refused, by reason.\n# TYPE muelle_refusals_total counter");
    let refusals = m.refusals.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for reason in REFUSAL_CODES.iter().copied().chain(["CONNECTION_LIMIT"]) {
        let _ = writeln!(out, "muelle_refusals_total{{reason=\"{reason}\"}} {}", refusals.get(reason).copied().unwrap_or(0));
    }
    let name = "muelle_session_start_seconds";
    let _ = writeln!(out, "# HELP {name} Time to start a session (POST /api/sessions).\n# TYPE {name} histogram");
    m.start_latency.render(&mut out, name);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, series: &str) -> f64 {
        let line = text.lines().find(|l| l.starts_with(series) && l[series.len()..].starts_with(' ')).unwrap_or_else(|| panic!("{series} in {text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.start_latency.observe(Duration::from_millis(80));
        m.start_latency.observe(Duration::from_millis(700));
        m.start_latency.observe(Duration::from_secs(100));
        let text = render(&m, Gauges::default());
        let b = "muelle_session_start_seconds_bucket";
        assert_eq!(value(&text, &format!("{b}{{le=\"0.05\"}}")), 0.0);
        assert_eq!(value(&text, &format!("{b}{{le=\"0.1\"}}")), 1.0);
        assert_eq!(value(&text, &format!("{b}{{le=\"1\"}}")), 2.0);
        assert_eq!(value(&text, &format!("{b}{{le=\"60\"}}")), 2.0);
        assert_eq!(value(&text, &format!("{b}{{le=\"+Inf\"}}")), 3.0);
        assert_eq!(value(&text, "muelle_session_start_seconds_count"), 3.0);
        assert!((value(&text, "muelle_session_start_seconds_sum") - 100.78).abs() < 1e-6);
    }

    #[test]
    fn only_refusal_codes_are_counted() {
        let m = Metrics::default();
        m.refused(protocol::error::codes::RATE_LIMITED);
        m.refused(protocol::error::codes::RATE_LIMITED);
        m.refused(protocol::error::codes::SESSION_NOT_FOUND);
        m.connection_refused();
        let text = render(&m, Gauges::default());
        assert_eq!(value(&text, "muelle_refusals_total{reason=\"RATE_LIMITED\"}"), 2.0);
        assert_eq!(value(&text, "muelle_refusals_total{reason=\"CONNECTION_LIMIT\"}"), 1.0);
        assert!(!text.contains("SESSION_NOT_FOUND"), "{text}");
    }
}
