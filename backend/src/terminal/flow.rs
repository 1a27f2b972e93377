//! Terminal output flow control.
//!
//! The server stops reading the PTY while it has sent more than `window` bytes the client has
//! not acknowledged ([`protocol::ClientControl::Ack`]). Flow control starts with the client's
//! first ack: a client that never acks (a script, an old client) is treated as acknowledging
//! everything it receives, so it always gets the whole output. The browser acks what it has
//! rendered (it may send `{"type":"ack","bytes":0}` on open to opt in at once).

/// Bytes sent versus bytes acknowledged.
#[derive(Debug, Clone)]
pub struct Flow {
    window: u64,
    sent: u64,
    acked: u64,
    enabled: bool,
}

impl Flow {
    /// A flow with `window` bytes allowed in flight once the client acks.
    pub fn new(window: u32) -> Self {
        Self { window: u64::from(window), sent: 0, acked: 0, enabled: false }
    }

    /// Records `n` bytes sent to the client.
    pub fn on_sent(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n as u64);
    }

    /// Records an ack of `bytes` more bytes (acks beyond what was sent are clamped).
    pub fn on_ack(&mut self, bytes: u32) {
        self.enabled = true;
        self.acked = self.acked.saturating_add(u64::from(bytes)).min(self.sent);
    }

    /// Bytes sent and not yet acknowledged (0 before the first ack).
    pub fn in_flight(&self) -> u64 {
        if self.enabled {
            self.sent - self.acked
        } else {
            0
        }
    }

    /// Whether more output may be read from the PTY now.
    pub fn may_send(&self) -> bool {
        self.in_flight() < self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_never_acks_is_never_paused() {
        let mut f = Flow::new(4096);
        f.on_sent(10 << 20);
        assert!(f.may_send());
        assert_eq!(f.in_flight(), 0);
    }

    #[test]
    fn output_pauses_at_the_window_and_resumes_on_ack() {
        let mut f = Flow::new(4096);
        f.on_ack(0);
        f.on_sent(4000);
        assert!(f.may_send());
        f.on_sent(200);
        assert!(!f.may_send());
        f.on_ack(1000);
        assert_eq!(f.in_flight(), 3200);
        assert!(f.may_send());
    }

    #[test]
    fn over_acking_is_clamped() {
        let mut f = Flow::new(4096);
        f.on_sent(100);
        f.on_ack(u32::MAX);
        assert_eq!(f.in_flight(), 0);
        f.on_sent(5000);
        assert!(!f.may_send());
    }
}
