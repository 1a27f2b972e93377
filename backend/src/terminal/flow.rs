//! Terminal output flow control, per socket.
//!
//! The server stops reading the PTY while a socket has more than `window` bytes in flight:
//! sent to it and not yet acknowledged ([`protocol::ClientControl::Ack`]). Acks start with the
//! client's first one: until then (a script, an old client) every byte the socket has written
//! out counts as acknowledged, so such a client is paced only by its own connection. The
//! browser acks what it has rendered (it may send `{"type":"ack","bytes":0}` on open to opt in
//! at once).

/// Bytes sent versus bytes acknowledged.
#[derive(Debug, Clone)]
pub struct Flow {
    window: u64,
    sent: u64,
    acked: u64,
    enabled: bool,
}

impl Flow {
    /// A flow with `window` bytes allowed in flight.
    pub fn new(window: u32) -> Self {
        Self { window: u64::from(window), sent: 0, acked: 0, enabled: false }
    }

    /// Records `n` bytes handed to the socket.
    pub fn on_sent(&mut self, n: usize) {
        self.sent = self.sent.saturating_add(n as u64);
    }

    /// Records `n` bytes written out to the connection: they count as acknowledged until the
    /// client sends acks of its own.
    pub fn on_written(&mut self, n: usize) {
        if !self.enabled {
            self.acked = self.acked.saturating_add(n as u64).min(self.sent);
        }
    }

    /// Records an ack of `bytes` more bytes (acks beyond what was sent are clamped).
    pub fn on_ack(&mut self, bytes: u32) {
        if !self.enabled {
            // From now on the client's own acks count, from what it has rendered so far.
            self.enabled = true;
            self.acked = 0;
        }
        self.acked = self.acked.saturating_add(u64::from(bytes)).min(self.sent);
    }

    /// Bytes sent and not yet acknowledged.
    pub fn in_flight(&self) -> u64 {
        self.sent - self.acked
    }

    /// Whether more output may be read from the PTY for this socket now.
    pub fn may_send(&self) -> bool {
        self.in_flight() < self.window
    }

    /// The window.
    pub fn window(&self) -> u64 {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_never_acks_is_paced_by_its_connection_only() {
        let mut f = Flow::new(4096);
        f.on_sent(10 << 20);
        assert!(!f.may_send(), "nothing written out yet");
        f.on_written(10 << 20);
        assert!(f.may_send());
        assert_eq!(f.in_flight(), 0);
    }

    #[test]
    fn output_pauses_at_the_window_and_resumes_on_ack() {
        let mut f = Flow::new(4096);
        f.on_ack(0);
        f.on_sent(4000);
        f.on_written(4000);
        assert!(f.may_send());
        f.on_sent(200);
        assert!(!f.may_send(), "written bytes are not acks once the client acks");
        f.on_ack(1000);
        assert_eq!(f.in_flight(), 3200);
        assert!(f.may_send());
    }

    #[test]
    fn the_first_ack_counts_from_the_start() {
        let mut f = Flow::new(4096);
        f.on_sent(5000);
        f.on_written(5000);
        f.on_ack(1000);
        assert_eq!(f.in_flight(), 4000, "the client has rendered 1000 of 5000 bytes");
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
