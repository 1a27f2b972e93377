//! Plain-Rust side of the terminal WebSocket: URL, control messages and acknowledgement batching.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use protocol::{routes, ClientControl, ServerEvent};

use crate::error::Error;

/// Acknowledge output once this many bytes were rendered (or sooner, when output goes idle).
pub const ACK_BATCH_BYTES: u32 = 64 * 1024;

/// Builds the socket URL from `location.protocol` and `location.host`: `wss://` behind HTTPS.
pub fn socket_url(page_protocol: &str, host: &str, id: &str, node: &str, token: &str) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    let path = routes::terminal(&encode(id), &encode(node), &encode(token));
    format!("{scheme}://{host}{path}")
}

/// The socket URL of the `term`-th shell for a terminal of `cols`×`rows`: the server sizes the
/// shell (and the screen it sends back) to it before the first byte.
pub fn shell_url(base: &str, term: u8, cols: u16, rows: u16) -> String {
    format!("{base}&term={term}&cols={cols}&rows={rows}")
}

/// Everything outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes everything outside RFC 3986's unreserved set.
pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, NOT_UNRESERVED).to_string()
}

/// Parses a text frame from the server.
pub fn parse_event(text: &str) -> Result<ServerEvent, Error> {
    serde_json::from_str(text).map_err(|e| Error::Decode(format!("terminal event: {e}")))
}

/// Serialises a control message for a text frame.
pub fn encode_control(msg: &ClientControl) -> String {
    // A derive-only enum of integers cannot fail to serialise.
    serde_json::to_string(msg).unwrap_or_default()
}

/// Counts rendered output bytes and decides when to acknowledge them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AckCounter {
    pending: u32,
}

impl AckCounter {
    /// Records `n` rendered bytes; returns the count to acknowledge when a batch is full.
    pub fn record(&mut self, n: u32) -> Option<u32> {
        self.pending = self.pending.saturating_add(n);
        if self.pending >= ACK_BATCH_BYTES {
            self.flush()
        } else {
            None
        }
    }

    /// Returns everything not yet acknowledged (for the idle timer), or `None` if nothing is.
    pub fn flush(&mut self) -> Option<u32> {
        match std::mem::take(&mut self.pending) {
            0 => None,
            n => Some(n),
        }
    }

    /// Bytes rendered but not yet acknowledged.
    #[cfg(test)]
    pub fn pending(&self) -> u32 {
        self.pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_follows_page_scheme() {
        assert_eq!(
            socket_url("http:", "localhost:8080", "s1", "node1", "tok"),
            "ws://localhost:8080/api/sessions/s1/nodes/node1/terminal?token=tok"
        );
        assert_eq!(
            socket_url("https:", "muelle.example", "s1", "node1", "tok"),
            "wss://muelle.example/api/sessions/s1/nodes/node1/terminal?token=tok"
        );
    }

    #[test]
    fn shell_urls_name_the_term_and_the_size() {
        let base = socket_url("http:", "h", "s1", "node1", "tok");
        assert_eq!(
            shell_url(&base, 2, 100, 30),
            "ws://h/api/sessions/s1/nodes/node1/terminal?token=tok&term=2&cols=100&rows=30"
        );
        assert_eq!(
            shell_url(&base, 2, 100, 30),
            format!(
                "ws://h{}",
                routes::terminal_at("s1", "node1", "tok", 2, 100, 30)
            )
        );
    }

    #[test]
    fn url_parts_are_encoded() {
        let url = socket_url("http:", "h", "a/b", "node1", "t+k=&x");
        assert_eq!(
            url,
            "ws://h/api/sessions/a%2Fb/nodes/node1/terminal?token=t%2Bk%3D%26x"
        );
    }

    #[test]
    fn events_parse() {
        assert_eq!(parse_event(r#"{"type":"ready"}"#), Ok(ServerEvent::Ready));
        assert_eq!(
            parse_event(r#"{"type":"exited","code":130}"#),
            Ok(ServerEvent::Exited { code: 130 })
        );
        assert_eq!(
            parse_event(r#"{"type":"error","code":"NODE_NOT_READY","message":"m"}"#),
            Ok(ServerEvent::Error {
                code: "NODE_NOT_READY".into(),
                message: "m".into()
            })
        );
        assert!(matches!(
            parse_event(r#"{"type":"bogus"}"#),
            Err(Error::Decode(_))
        ));
        assert!(matches!(parse_event("garbage"), Err(Error::Decode(_))));
    }

    #[test]
    fn controls_encode() {
        assert_eq!(
            encode_control(&ClientControl::Resize {
                cols: 120,
                rows: 40
            }),
            r#"{"type":"resize","cols":120,"rows":40}"#
        );
        assert_eq!(
            encode_control(&ClientControl::Ack { bytes: 7 }),
            r#"{"type":"ack","bytes":7}"#
        );
        assert_eq!(encode_control(&ClientControl::Ping), r#"{"type":"ping"}"#);
    }

    #[test]
    fn acks_are_batched() {
        let mut acks = AckCounter::default();
        assert_eq!(acks.record(40_000), None);
        assert_eq!(acks.pending(), 40_000);
        assert_eq!(acks.record(30_000), Some(70_000));
        assert_eq!(acks.pending(), 0);
        assert_eq!(acks.flush(), None);
        assert_eq!(acks.record(5), None);
        assert_eq!(acks.flush(), Some(5));
        assert_eq!(acks.flush(), None);
    }

    #[test]
    fn ack_counter_saturates() {
        let mut acks = AckCounter {
            pending: u32::MAX - 1,
        };
        assert_eq!(acks.record(10), Some(u32::MAX));
    }
}
