//! The error body every failing `/api` request returns.

use serde::{Deserialize, Serialize};

/// `{"code": "SESSION_NOT_FOUND", "message": "..."}`: `code` is for programs, `message` for people.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Machine-readable, SCREAMING_SNAKE_CASE, stable across releases.
    pub code: String,
    /// Human-readable explanation, safe to show in the UI.
    pub message: String,
}

impl ApiError {
    /// Builds an error from a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

/// Error codes used by the backend, so the frontend can match on them.
pub mod codes {
    /// The session does not exist (or never did, or has expired and was removed).
    pub const SESSION_NOT_FOUND: &str = "SESSION_NOT_FOUND";
    /// Token missing or wrong.
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// The node name is not one of the session's nodes.
    pub const NODE_NOT_FOUND: &str = "NODE_NOT_FOUND";
    /// The request body or a parameter is malformed.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// The machine holds its configured maximum of live nodes.
    pub const OUT_OF_CAPACITY: &str = "OUT_OF_CAPACITY";
    /// The session reached its node limit (5).
    pub const TOO_MANY_NODES: &str = "TOO_MANY_NODES";
    /// The node is not running (starting, stopped or failed).
    pub const NODE_NOT_READY: &str = "NODE_NOT_READY";
    /// The node's init died (e.g. `kill 1` inside it): reset or remove it.
    pub const NODE_STOPPED: &str = "NODE_STOPPED";
    /// The lesson does not exist or fails lint.
    pub const LESSON_NOT_FOUND: &str = "LESSON_NOT_FOUND";
    /// No such API route.
    pub const NOT_FOUND: &str = "NOT_FOUND";
    /// The lesson does not let students see its solutions.
    pub const SOLUTIONS_HIDDEN: &str = "SOLUTIONS_HIDDEN";
    /// Something went wrong on the server; details are in its log.
    pub const INTERNAL: &str = "INTERNAL";
    /// Session creation needs a JSON body (`Content-Type: application/json`).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    /// The request came from another site (its `Origin` is not this server).
    pub const FORBIDDEN_ORIGIN: &str = "FORBIDDEN_ORIGIN";
    /// This server needs a join code to start a session, and none or a wrong one was given.
    pub const JOIN_CODE_REQUIRED: &str = "JOIN_CODE_REQUIRED";
    /// Too many requests from this address; the `Retry-After` header says when to retry.
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    /// The server's disk is nearly full: no new node disks for now.
    pub const DISK_FULL: &str = "DISK_FULL";
    /// The session already runs its maximum of concurrent commands.
    pub const TOO_MANY_EXECS: &str = "TOO_MANY_EXECS";
    /// The session (or this address) already has its maximum of open terminals.
    pub const TOO_MANY_TERMINALS: &str = "TOO_MANY_TERMINALS";
    /// The request body is larger than this route accepts.
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    /// The request's `Host` is not one this server answers for.
    pub const MISDIRECTED_REQUEST: &str = "MISDIRECTED_REQUEST";
    /// The server is draining before maintenance: no new sessions, live ones go on.
    pub const DRAINING: &str = "DRAINING";
    /// Missing or wrong admin credential.
    pub const ADMIN_UNAUTHORIZED: &str = "ADMIN_UNAUTHORIZED";
    /// No class by that id or join code (or it has ended).
    pub const CLASS_NOT_FOUND: &str = "CLASS_NOT_FOUND";
    /// Every seat of the class is taken.
    pub const CLASS_FULL: &str = "CLASS_FULL";
    /// The session already lasts as long as the server allows (409 on extend).
    pub const SESSION_AT_MAXIMUM: &str = "SESSION_AT_MAXIMUM";
    /// A file read or listing the node refused (no such path, not a directory…).
    pub const FILE_ERROR: &str = "FILE_ERROR";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_json() {
        let e = ApiError::new(codes::SESSION_NOT_FOUND, "no such session");
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(s, r#"{"code":"SESSION_NOT_FOUND","message":"no such session"}"#);
        assert_eq!(serde_json::from_str::<ApiError>(&s).unwrap(), e);
    }
}
