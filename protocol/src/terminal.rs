//! Control messages of the terminal WebSocket.
//!
//! Binary frames carry raw terminal bytes both ways. Text frames carry these JSON messages.
//! Flow control: the server stops reading the terminal once it has sent
//! [`FLOW_WINDOW_BYTES`] more than the client acknowledged with [`ClientControl::Ack`].

use serde::{Deserialize, Serialize};

/// How many output bytes the server sends ahead of the client's acknowledgements.
pub const FLOW_WINDOW_BYTES: u32 = 1 << 20;

/// `GET /api/sessions/{id}/nodes/{node}/terminals`: the node's running shells, by the number the
/// terminal socket's `term=` takes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct TerminalList {
    /// Term numbers, ascending.
    pub terms: Vec<u8>,
}

/// Messages from the browser.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientControl {
    /// The terminal's size changed.
    Resize {
        /// Columns.
        cols: u16,
        /// Rows.
        rows: u16,
    },
    /// Keep-alive; the server answers [`ServerEvent::Pong`].
    Ping,
    /// The client has rendered this many more output bytes.
    Ack {
        /// Bytes processed since the previous ack.
        bytes: u32,
    },
}

/// Messages from the server.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The shell is attached; binary frames follow.
    Ready,
    /// Answer to [`ClientControl::Ping`].
    Pong,
    /// The shell exited; the socket closes after this.
    Exited {
        /// Exit code of the shell.
        code: i32,
    },
    /// Something went wrong. After a malformed control frame the socket stays open; after a
    /// failure to start or keep the shell it closes.
    Error {
        /// Same codes as [`crate::error::codes`].
        code: String,
        /// For people.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden() {
        let r = ClientControl::Resize { cols: 80, rows: 24 };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"type":"resize","cols":80,"rows":24}"#);
        assert_eq!(
            serde_json::from_str::<ClientControl>(r#"{"type":"ack","bytes":4096}"#).unwrap(),
            ClientControl::Ack { bytes: 4096 }
        );
        assert_eq!(serde_json::to_string(&ServerEvent::Ready).unwrap(), r#"{"type":"ready"}"#);
        assert_eq!(
            serde_json::to_string(&ServerEvent::Exited { code: 0 }).unwrap(),
            r#"{"type":"exited","code":0}"#
        );
    }

    #[test]
    fn malformed_is_an_error() {
        assert!(serde_json::from_str::<ClientControl>(r#"{"type":"resize","cols":-1}"#).is_err());
        assert!(serde_json::from_str::<ClientControl>("not json").is_err());
    }
}
