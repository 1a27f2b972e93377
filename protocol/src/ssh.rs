//! SSH into nodes: what `GET /api/sessions/{id}/ssh` answers.

use serde::{Deserialize, Serialize};

/// `GET /api/sessions/{id}/ssh?node=node1` (Bearer): the command that opens a shell on the node
/// from the student's own terminal, when the server has SSH on (`MUELLE_SSH_LISTEN`).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct SshInfo {
    /// Whether this server has SSH on; the other fields are empty when not.
    pub enabled: bool,
    /// The node (the `node` parameter, else the session's first node).
    #[serde(default)]
    pub node: Option<String>,
    /// `ssh -p 2222 node1.<id>.<key>@<host>`, the host being the one the browser used.
    #[serde(default)]
    pub command: Option<String>,
    /// The user name alone (`node1.<id>.<key>`), for clients other than OpenSSH.
    #[serde(default)]
    pub user: Option<String>,
    /// The SSH port.
    #[serde(default)]
    pub port: Option<u16>,
    /// The short user name (`node1.<id>`), whose password is the session token.
    #[serde(default)]
    pub password_user: Option<String>,
    /// `ssh -p 2222 node1.<id>@<host>`: the command with [`Self::password_user`].
    #[serde(default)]
    pub password_command: Option<String>,
}
