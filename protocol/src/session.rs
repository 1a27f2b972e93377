//! Sessions and their nodes: create, inspect, exec.

use serde::{Deserialize, Serialize};

/// Most nodes one session may hold (the server's `MUELLE_MAX_NODES_PER_SESSION` may lower it).
pub const MAX_NODES_PER_SESSION: u8 = 5;

/// Lifecycle of one node, as the API reports it.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// The sandbox is being created or its dockerd is not answering yet.
    Starting,
    /// dockerd answers; terminals and exec work.
    Running,
    /// The node was removed or its session ended.
    Stopped,
    /// The sandbox could not be created or died.
    Failed,
}

impl NodeStatus {
    /// Whether a terminal or exec may be attached to a node in this state.
    pub fn can_attach(self) -> bool {
        matches!(self, NodeStatus::Running | NodeStatus::Starting)
    }
}

/// One node of a session.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// `node1` … `node5`.
    pub name: String,
    /// The node's address on its session's bridge.
    pub ip: String,
    /// Where the node is in its lifecycle.
    pub status: NodeStatus,
}

/// Body of `POST /api/sessions`; every field is optional (an empty body is fine).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateSessionRequest {
    /// How many nodes to start (1–5, default 1 or the lesson's count).
    #[serde(default)]
    pub nodes: Option<u8>,
    /// A lesson id: the session gets that lesson's nodes and duration.
    #[serde(default)]
    pub lesson: Option<String>,
    /// A template id (`GET /api/templates`): its nodes, formed as it says (a swarm…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// The class's join code, when the server asks for one (`GET /api/config`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_code: Option<String>,
}

/// What `GET /api/config` returns: what the start page needs to know before it starts a session.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerConfig {
    /// Whether `POST /api/sessions` needs a `join_code`.
    #[serde(default)]
    pub join_code_required: bool,
}

/// What `GET /api/sessions/{id}` returns.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Opaque session id (URL-safe).
    pub id: String,
    /// When the session is destroyed, RFC 3339 in UTC.
    pub expires_at: String,
    /// Seconds left when the response was made (clients count down from it, whatever their clock).
    #[serde(default)]
    pub expires_in_secs: u64,
    /// The session's nodes, in order.
    pub nodes: Vec<NodeInfo>,
    /// The lesson the session was started for, if any.
    #[serde(default)]
    pub lesson: Option<String>,
    /// The lesson's `setup:`/`background:` scripts, when it has any: `done` or `failed` (with
    /// the error) by the time `POST /api/sessions` returns. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<SetupStatus>,
    /// The `ssh` command line for the first node (`ssh -p 2222 node1.<id>@<host>`, the password
    /// being the session token), with the host the browser used; absent when the server has
    /// SSH off (`MUELLE_SSH_LISTEN`) or an older server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
}

/// How a lesson session's setup scripts went.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct SetupStatus {
    /// Where the setup is.
    pub state: SetupState,
    /// What failed (node, exit code, last output lines) when `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The state of a lesson session's setup scripts.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SetupState {
    /// Still running.
    Running,
    /// Every setup script exited 0 and the background scripts were started.
    Done,
    /// A script failed or timed out; the session stays, so the student can look.
    Failed,
}

/// What `POST /api/sessions` returns (201): the session plus the bearer token for it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CreateSessionResponse {
    /// The new session.
    #[serde(flatten)]
    pub session: SessionInfo,
    /// Bearer token for every later call on this session; shown only once.
    pub token: String,
}

/// One entry of `GET /api/sessions/{id}/nodes/{node}/ports`: a TCP port listening in the node
/// and the link that opens it in a browser, at an origin of its own.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct PortLink {
    /// The port in the node.
    pub port: u16,
    /// `http://<port>-<node>-<session>.<domain>[:port]/?muelle_link=…`; the credential in it
    /// opens this port only. Empty from a server older than port-link origins.
    #[serde(default)]
    pub url: String,
}

/// One node's entry of `GET /api/sessions/{id}/ports`: its name and its ports.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct NodePorts {
    /// `node1` … `node5`.
    pub node: String,
    /// Its listening ports, sorted.
    pub ports: Vec<PortLink>,
}

/// Body of `POST /api/sessions/{id}/nodes/{node}/exec`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// Run by `/bin/sh -c` inside the node.
    pub cmd: String,
    /// Time limit in seconds (default 30, at most 600).
    #[serde(default)]
    pub timeout_secs: Option<u32>,
}

/// Result of an exec.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ExecResponse {
    /// The command's exit code (124 when it timed out, 128+N when killed by signal N).
    pub exit_code: i32,
    /// Standard output, lossily decoded as UTF-8, cut at 1 MiB.
    pub stdout: String,
    /// Standard error, lossily decoded as UTF-8, cut at 1 MiB.
    pub stderr: String,
    /// True when the time limit killed the command.
    #[serde(default)]
    pub timed_out: bool,
    /// True when stdout or stderr was longer than 1 MiB and was cut (sent only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_response_golden() {
        let r = CreateSessionResponse {
            session: SessionInfo {
                id: "s1".into(),
                expires_at: "2026-01-01T00:00:00Z".into(),
                expires_in_secs: 3600,
                nodes: vec![NodeInfo {
                    name: "node1".into(),
                    ip: "10.100.0.11".into(),
                    status: NodeStatus::Running,
                }],
                lesson: None,
                setup: None,
                ssh: None,
            },
            token: "tok".into(),
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(
            s,
            r#"{"id":"s1","expires_at":"2026-01-01T00:00:00Z","expires_in_secs":3600,"nodes":[{"name":"node1","ip":"10.100.0.11","status":"running"}],"lesson":null,"token":"tok"}"#
        );
        assert_eq!(serde_json::from_str::<CreateSessionResponse>(&s).unwrap(), r);
    }

    #[test]
    fn empty_create_request_is_valid() {
        let r: CreateSessionRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(r, CreateSessionRequest::default());
        let r: CreateSessionRequest = serde_json::from_str(r#"{"nodes":3}"#).unwrap();
        assert_eq!(r.nodes, Some(3));
    }

    #[test]
    fn exec_golden() {
        let r: ExecRequest = serde_json::from_str(r#"{"cmd":"echo hi"}"#).unwrap();
        assert_eq!(r.timeout_secs, None);
        let o = ExecResponse { exit_code: 0, stdout: "hi\n".into(), stderr: String::new(), timed_out: false, truncated: false };
        assert_eq!(
            serde_json::to_string(&o).unwrap(),
            r#"{"exit_code":0,"stdout":"hi\n","stderr":"","timed_out":false}"#
        );
    }

    #[test]
    fn port_link_golden() {
        let l = PortLink {
            port: 8000,
            url: "http://8000-node1-s1.localhost:8080/?muelle_link=ab".into(),
        };
        let s = serde_json::to_string(&l).unwrap();
        assert_eq!(
            s,
            r#"{"port":8000,"url":"http://8000-node1-s1.localhost:8080/?muelle_link=ab"}"#
        );
        assert_eq!(serde_json::from_str::<PortLink>(&s).unwrap(), l);
        let old: PortLink = serde_json::from_str(r#"{"port":80}"#).unwrap();
        assert_eq!(old.url, "");
    }

    #[test]
    fn status_attach() {
        assert!(NodeStatus::Running.can_attach());
        assert!(!NodeStatus::Failed.can_attach());
    }

    #[test]
    fn setup_status_is_optional_and_lowercase() {
        let old = r#"{"id":"s","expires_at":"x","nodes":[]}"#;
        assert_eq!(serde_json::from_str::<SessionInfo>(old).unwrap().setup, None);
        let failed = SetupStatus { state: SetupState::Failed, message: Some("setup on node1 exited with 3".into()) };
        assert_eq!(
            serde_json::to_string(&failed).unwrap(),
            r#"{"state":"failed","message":"setup on node1 exited with 3"}"#
        );
        let done: SetupStatus = serde_json::from_str(r#"{"state":"done"}"#).unwrap();
        assert_eq!((done.state, done.message), (SetupState::Done, None));
    }
}
