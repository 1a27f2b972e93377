//! `GET /api/sessions/{id}/ssh?node=node1`: the `ssh` command that opens a shell on a node of
//! the session from the student's own terminal (see [`crate::ssh`]), or `{"enabled": false}`
//! when the server has no SSH endpoint.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use protocol::ssh::SshInfo;
use serde::Deserialize;

use super::AuthorizedSession;
use crate::error::AppError;
use crate::state::AppState;

/// `?node=`: which node (the session's first by default).
#[derive(Deserialize)]
pub struct SshQuery {
    node: Option<String>,
}

/// The command for the node, with the host the browser used (its `Host` header, without the port).
pub async fn get_ssh(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Query(query): Query<SshQuery>,
    headers: HeaderMap,
) -> Result<Json<SshInfo>, AppError> {
    let info = state.sessions.info(&session.id)?;
    let node = match query.node {
        Some(node) if info.nodes.iter().any(|n| n.name == node) => node,
        Some(_) => return Err(AppError::NodeNotFound),
        None => info.nodes.first().map(|n| n.name.clone()).ok_or(AppError::NodeNotFound)?,
    };
    let Some(port) = state.ssh.port() else {
        return Ok(Json(SshInfo::default()));
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).and_then(host_name).unwrap_or_else(|| "localhost".into());
    let user = state.sessions.ssh_user(&session.id, &node)?;
    let short = crate::sessions::ssh_user::short_name(&node, &session.id);
    Ok(Json(SshInfo {
        enabled: true,
        command: Some(crate::ssh::command(&user, &host, port)),
        node: Some(node),
        user: Some(user),
        port: Some(port),
        password_command: Some(crate::ssh::command(&short, &host, port)),
        password_user: Some(short),
    }))
}

/// The `ssh` field of the session JSON: the password command for the session's first node with
/// the host of `headers`, or `None` when SSH is off.
pub fn session_command(state: &AppState, info: &protocol::SessionInfo, headers: &HeaderMap) -> Option<String> {
    let port = state.ssh.port()?;
    let node = info.nodes.first()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).and_then(host_name).unwrap_or_else(|| "localhost".into());
    Some(crate::ssh::command(&crate::sessions::ssh_user::short_name(&node.name, &info.id), &host, port))
}

/// The name in a `Host` header without its port: `muelle.lan:8080` → `muelle.lan`,
/// `[::1]:8080` → `::1`. `None` for anything but a plain name or address.
pub fn host_name(host: &str) -> Option<String> {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']')?.0,
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let ok = !name.is_empty() && name.len() <= 253 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b));
    ok.then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::host_name;

    #[test]
    fn the_ssh_host_is_the_host_header_without_its_port() {
        assert_eq!(host_name("muelle.lan:8080").as_deref(), Some("muelle.lan"));
        assert_eq!(host_name("Muelle.LAN").as_deref(), Some("muelle.lan"));
        assert_eq!(host_name("127.0.0.1:18100").as_deref(), Some("127.0.0.1"));
        assert_eq!(host_name("[::1]:8080").as_deref(), Some("::1"));
        assert_eq!(host_name("[fe80::1]").as_deref(), Some("fe80::1"));
        for bad in ["", ":8080", "a b:80", "x;rm -rf /", "[::1", "evil$(id)"] {
            assert_eq!(host_name(bad), None, "{bad:?}");
        }
    }
}
