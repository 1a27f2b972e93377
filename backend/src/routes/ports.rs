//! `GET /api/sessions/{id}/nodes/{node}/ports`: TCP ports listening in a node, each with the
//! link that opens it at an origin of its own (see [`crate::portlinks`]).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::{Extension, Json};
use protocol::PortLink;

use super::AuthorizedSession;
use super::files::parse_ss;
use crate::error::AppError;
use crate::portlinks::{LinkTarget, PortLinks};
use crate::state::AppState;

/// The node's listening ports (not loopback, not swarm's), sorted, with their links.
pub async fn list_ports(
    State(state): State<AppState>,
    Extension(links): Extension<Arc<PortLinks>>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Vec<PortLink>>, AppError> {
    let id = session.id;
    let handle = state.sessions.running_node(&id, &node)?;
    let _slot = state.limits.exec_slot(&id)?;
    let argv = ["ss", "-Htln"].map(String::from);
    let out = crate::exec::run(
        state.provider.command(&handle, &argv),
        Duration::from_secs(10),
    )
    .await?;
    let app_port = host_port(&headers);
    let list = parse_ss(&out.stdout)
        .into_iter()
        .map(|port| {
            let t = LinkTarget {
                port,
                node: node.clone(),
                session: id.clone(),
            };
            PortLink {
                port,
                url: links.url(&t, app_port),
            }
        })
        .collect();
    Ok(Json(list))
}

/// The port of the `Host` the browser reached the app at: links use the same one.
pub fn host_port(headers: &HeaderMap) -> Option<u16> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let (name, port) = host.rsplit_once(':')?;
    (!name.is_empty() && !name.ends_with(':')).then_some(())?;
    port.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_port_comes_from_the_host_header() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, v.parse().unwrap());
            host_port(&h)
        };
        assert_eq!(with("localhost:8080"), Some(8080));
        assert_eq!(with("[::1]:18100"), Some(18100));
        assert_eq!(with("school.lan"), None);
        assert_eq!(with("[::1]"), None);
        assert_eq!(host_port(&HeaderMap::new()), None);
    }
}
