//! `GET /api/sessions/{id}/nodes/{node}/ports`: TCP ports listening in a node, each with the
//! link that opens it at an origin of its own (see [`crate::portlinks`]); and
//! `GET /api/sessions/{id}/ports`: every node's, with the node's name. The session-wide list
//! reads the listening sockets from the host (`/proc/<init pid>/net/tcp{,6}`, the node's network
//! namespace as the kernel reports it) instead of running `ss` in every node, so that the page
//! can ask every second and see a `docker run -p` at once.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::{Extension, Json};
use protocol::{NodePorts, NodeStatus, PortLink};

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

/// Every running node's listening ports (the same filter as [`list_ports`]), in node order.
pub async fn list_session_ports(
    State(state): State<AppState>,
    Extension(links): Extension<Arc<PortLinks>>,
    session: AuthorizedSession,
    headers: HeaderMap,
) -> Result<Json<Vec<NodePorts>>, AppError> {
    let id = session.id;
    let info = state.sessions.info(&id)?;
    let app_port = host_port(&headers);
    let mut out = Vec::with_capacity(info.nodes.len());
    for node in info.nodes.iter().filter(|n| n.status == NodeStatus::Running) {
        let handle = match state.sessions.running_node(&id, &node.name) {
            Ok(h) => h,
            // Stopped or removed since `info`: it has no ports to show.
            Err(AppError::NodeStopped(_) | AppError::NodeNotFound | AppError::NodeNotReady) => continue,
            Err(e) => return Err(e),
        };
        let ports = match host_listening_ports(handle.pid) {
            Some(ports) => ports,
            None => {
                // The fake provider's nodes (pid 0) have no namespace of their own: ask `ss`.
                let _slot = state.limits.exec_slot(&id)?;
                let argv = ["ss", "-Htln"].map(String::from);
                let out = crate::exec::run(state.provider.command(&handle, &argv), Duration::from_secs(10)).await?;
                parse_ss(&out.stdout)
            }
        };
        let ports = ports
            .into_iter()
            .map(|port| {
                let t = LinkTarget { port, node: node.name.clone(), session: id.clone() };
                PortLink { port, url: links.url(&t, app_port) }
            })
            .collect();
        out.push(NodePorts { node: node.name.clone(), ports });
    }
    Ok(Json(out))
}

/// The public listening TCP ports of the network namespace of host process `pid`, from
/// `/proc/<pid>/net/tcp` and `tcp6`; `None` when there is no such process to read (pid 0).
fn host_listening_ports(pid: i32) -> Option<Vec<u16>> {
    if pid <= 0 {
        return None;
    }
    let v4 = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).ok()?;
    let v6 = std::fs::read_to_string(format!("/proc/{pid}/net/tcp6")).unwrap_or_default();
    let mut ports = parse_proc_net(&v4);
    ports.extend(parse_proc_net(&v6));
    ports.sort_unstable();
    ports.dedup();
    Some(ports)
}

/// Ports in LISTEN state (`st` 0A) of a `/proc/net/tcp` or `tcp6` table, leaving out loopback
/// (127.0.0.0/8, ::1, ::ffff:127.x) and swarm's ports, as `parse_ss` does.
pub fn parse_proc_net(table: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let local = f.nth(1)?;
            let st = f.nth(1)?;
            (st == "0A").then_some(local)
        })
        .filter_map(|local| {
            let (addr, port) = local.split_once(':')?;
            (!is_loopback_hex(addr)).then_some(())?;
            u16::from_str_radix(port, 16).ok()
        })
        .filter(|p| !super::files::SWARM_PORTS.contains(p))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Whether a `/proc/net/tcp{,6}` address (hex, 32-bit words in host order) is loopback.
fn is_loopback_hex(addr: &str) -> bool {
    // IPv4: the first octet is the lowest byte of the little-endian word, its last two digits.
    let v4_first = |word: &str| word.len() == 8 && word.ends_with("7F");
    match addr.len() {
        8 => v4_first(addr),
        32 => {
            let (head, last) = addr.split_at(24);
            let v6_loopback = head.chars().all(|c| c == '0') && last == "01000000";
            let v4_mapped = &addr[..16] == "0000000000000000" && &addr[16..24] == "FFFF0000" && v4_first(last);
            v6_loopback || v4_mapped
        }
        _ => false,
    }
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

    #[test]
    fn proc_net_tables_give_public_listening_ports() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:9C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0B03640A:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
   3: 0B03640A:0050 0103640A:D431 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0 100 0 0 10 0
   4: 00000000:0949 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5 1 0 100 0 0 10 0
   5: 0B00007F:A001 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6 1 0 100 0 0 10 0
";
        // 8080 on all addresses, 80 on the node's address; loopback, a connection and swarm's 2377
        // (0x0949) are left out.
        assert_eq!(parse_proc_net(tcp), vec![80, 8080]);
        let tcp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue
   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000
   1: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000
   2: 0000000000000000FFFF00000100007F:1388 00000000000000000000000000000000:0000 0A 00000000:00000000
";
        assert_eq!(parse_proc_net(tcp6), vec![8081]);
        assert!(parse_proc_net("").is_empty());
        assert!(parse_proc_net("header\n   0: garbage\n").is_empty());
    }

    #[test]
    fn a_missing_process_has_no_table() {
        assert_eq!(host_listening_ports(0), None);
        assert_eq!(host_listening_ports(-1), None);
    }
}
