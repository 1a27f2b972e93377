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
            Phase::Failed { code, .. } if code == codes::SESSION_NOT_FOUND => s.session_ended.into(),
            Phase::Failed { message, .. } => format!("{}: {message}", s.generic_error),
            Phase::Closed => s.disconnected.into(),
        }
    }
}

/// Automatic retries of a dropped connection before the reconnect button is shown instead.
pub const MAX_AUTO_RETRIES: u32 = 8;

/// How long to wait before opening a new socket after one closed, or `None` to stop and show
/// the reconnect button. A dropped socket (network, server restart, a node still booting) is
/// retried with back-off (0.5 s, 1 s, 2 s … at most 15 s), also after its shell was attached:
/// the server keeps the shell, so the new socket finds it as it was. `failures` counts the
/// sockets that closed since the last one that got `ready`. Nothing is retried after the shell
/// exited or the server said why it refused (`phase`), except a node that is not ready yet.
pub fn retry_delay_ms(phase: &Phase, failures: u32) -> Option<u32> {
    let retry = match phase {
        Phase::Exited(_) => false,
        Phase::Failed { code, .. } => code == codes::NODE_NOT_READY,
        _ => true,
    };
    (retry && failures < MAX_AUTO_RETRIES).then(|| (500u32 << failures.min(5)).min(15_000))
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
    fn a_session_ended_on_the_server_says_so_and_is_not_retried() {
        let gone = ServerEvent::Error {
            code: "SESSION_NOT_FOUND".into(),
            message: "session ended".into(),
        };
        let p = Phase::Ready.next(Input::Event(gone)).next(Input::SocketClosed);
        assert_eq!(p.label(Lang::Es.strings()), "La sesión terminó.");
        assert_eq!(p.label(Lang::En.strings()), "The session has ended.");
        assert_eq!(retry_delay_ms(&p, 0), None);
    }

    #[test]
    fn retries_back_off_then_give_up() {
        let closed = Phase::Closed;
        assert_eq!(retry_delay_ms(&closed, 0), Some(500));
        assert_eq!(retry_delay_ms(&closed, 1), Some(1_000));
        assert_eq!(retry_delay_ms(&closed, 4), Some(8_000));
        assert_eq!(retry_delay_ms(&closed, 5), Some(15_000));
        assert_eq!(retry_delay_ms(&closed, 7), Some(15_000));
        assert_eq!(retry_delay_ms(&closed, MAX_AUTO_RETRIES), None);
        assert_eq!(
            retry_delay_ms(&Phase::Ready, 0),
            Some(500),
            "a socket that dropped after its shell was attached is retried: the shell is kept"
        );
    }

    #[test]
    fn no_retry_after_an_exit_or_a_refusal() {
        assert_eq!(retry_delay_ms(&Phase::Exited(0), 0), None);
        let stopped = Phase::Failed {
            code: "NODE_STOPPED".into(),
            message: "m".into(),
        };
        assert_eq!(retry_delay_ms(&stopped, 0), None);
        let booting = Phase::Failed {
            code: "NODE_NOT_READY".into(),
            message: "m".into(),
        };
        assert_eq!(retry_delay_ms(&booting, 1), Some(1_000));
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
