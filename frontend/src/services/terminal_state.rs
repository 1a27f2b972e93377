//! The terminal connection's state machine, kept in plain Rust so it is unit-tested natively.

use protocol::error::codes;
use protocol::ServerEvent;

use crate::i18n::Strings;

/// Where the terminal's connection is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Socket opening, or open but the shell is not attached yet.
    Connecting,
    /// The shell is attached; keystrokes go through.
    Ready,
    /// The shell exited with this code.
    Exited(i32),
    /// The server reported an error (protocol code and message).
    Failed {
        /// Machine-readable code, as in `protocol::error::codes`.
        code: String,
        /// For people.
        message: String,
    },
    /// The socket closed without telling why (network, server restart).
    Closed,
}

/// What happened to the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A text frame arrived.
    Event(ServerEvent),
    /// The socket closed.
    SocketClosed,
    /// The user asked for a new socket.
    Reconnect,
}

impl Phase {
    /// The phase after `input`.
    pub fn next(&self, input: Input) -> Phase {
        match (self, input) {
            (_, Input::Reconnect) => Phase::Connecting,
            (_, Input::Event(ServerEvent::Ready)) => Phase::Ready,
            (_, Input::Event(ServerEvent::Exited { code })) => Phase::Exited(code),
            (_, Input::Event(ServerEvent::Error { code, message })) => {
                Phase::Failed { code, message }
            }
            (phase, Input::Event(ServerEvent::Pong)) => phase.clone(),
            // The close that follows `exited`/`error` must not hide the reason.
            (phase @ (Phase::Exited(_) | Phase::Failed { .. }), Input::SocketClosed) => {
                phase.clone()
            }
            (_, Input::SocketClosed) => Phase::Closed,
        }
    }

    /// Whether the server said the node itself has stopped (its init ended): reconnecting will
    /// not help, only a reset or removal will.
    pub fn node_stopped(&self) -> bool {
        matches!(self, Phase::Failed { code, .. } if code == codes::NODE_STOPPED)
    }

    /// Whether to show the reconnect button.
    pub fn can_reconnect(&self) -> bool {
        !matches!(self, Phase::Connecting | Phase::Ready)
    }

    /// CSS modifier for the status dot.
    pub fn css(&self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Ready => "ready",
            _ => "down",
        }
    }

    /// Status text in the user's language.
    pub fn label(&self, s: &Strings) -> String {
        match self {
            Phase::Connecting => s.connecting.into(),
            Phase::Ready => s.connected.into(),
            Phase::Exited(code) => format!("{} {code}", s.shell_exited),
            Phase::Failed { message, .. } => format!("{}: {message}", s.generic_error),
            Phase::Closed => s.disconnected.into(),
        }
    }
}

/// Automatic retries of a connection that closed before its shell was attached.
pub const MAX_AUTO_RETRIES: u32 = 3;

/// How long to wait before retrying a closed socket on its own, or `None` to give up and show
/// the reconnect button. Only sockets that never got `ready` are retried (node still booting,
/// server restarting); a shell that ran and went away is the user's call.
pub fn retry_delay_ms(got_ready: bool, failures: u32) -> Option<u32> {
    if got_ready || failures >= MAX_AUTO_RETRIES {
        None
    } else {
        Some(1_000 << failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn happy_path() {
        let p = Phase::Connecting.next(Input::Event(ServerEvent::Ready));
        assert_eq!(p, Phase::Ready);
        assert_eq!(p.next(Input::Event(ServerEvent::Pong)), Phase::Ready);
        assert!(!p.can_reconnect());
    }

    #[test]
    fn exit_reason_survives_close() {
        let p = Phase::Ready.next(Input::Event(ServerEvent::Exited { code: 0 }));
        let p = p.next(Input::SocketClosed);
        assert_eq!(p, Phase::Exited(0));
        assert!(p.can_reconnect());
        assert_eq!(p.label(Lang::En.strings()), "The shell exited with code 0");
    }

    #[test]
    fn server_error_survives_close() {
        let err = ServerEvent::Error {
            code: "NODE_NOT_READY".into(),
            message: "booting".into(),
        };
        let p = Phase::Connecting
            .next(Input::Event(err))
            .next(Input::SocketClosed);
        assert_eq!(
            p,
            Phase::Failed {
                code: "NODE_NOT_READY".into(),
                message: "booting".into()
            }
        );
        assert_eq!(p.label(Lang::Es.strings()), "Algo salió mal: booting");
    }

    #[test]
    fn a_stopped_node_is_told_apart_from_other_errors() {
        let stopped = ServerEvent::Error {
            code: "NODE_STOPPED".into(),
            message: "node1 has stopped; reset it or remove it".into(),
        };
        let p = Phase::Ready
            .next(Input::Event(stopped))
            .next(Input::SocketClosed);
        assert!(p.node_stopped());
        let other = ServerEvent::Error {
            code: "NODE_NOT_READY".into(),
            message: "booting".into(),
        };
        assert!(!Phase::Connecting.next(Input::Event(other)).node_stopped());
        assert!(!Phase::Closed.node_stopped());
        assert!(!p.next(Input::Reconnect).node_stopped());
    }

    #[test]
    fn retries_back_off_then_give_up() {
        assert_eq!(retry_delay_ms(false, 0), Some(1_000));
        assert_eq!(retry_delay_ms(false, 1), Some(2_000));
        assert_eq!(retry_delay_ms(false, 2), Some(4_000));
        assert_eq!(retry_delay_ms(false, MAX_AUTO_RETRIES), None);
        assert_eq!(
            retry_delay_ms(true, 0),
            None,
            "a shell that ran is not restarted silently"
        );
    }

    #[test]
    fn unexplained_close_and_reconnect() {
        let p = Phase::Ready.next(Input::SocketClosed);
        assert_eq!(p, Phase::Closed);
        assert_eq!(p.css(), "down");
        let p = p.next(Input::Reconnect);
        assert_eq!(p, Phase::Connecting);
        assert_eq!(p.label(Lang::En.strings()), "Connecting…");
        assert_eq!(Phase::Connecting.next(Input::SocketClosed), Phase::Closed);
    }
}
