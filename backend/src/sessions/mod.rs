//! `SessionRegistry`: the live sessions, their nodes and tokens, mirrored to the SQLite store.
//!
//! One std `Mutex` guards the in-memory map (never held across `.await`); each session also has
//! an async "operation lock" that serializes its slow changes (create, add/remove node, delete),
//! so a delete waits for a running creation instead of racing it. A session being deleted stays
//! in the map (marked `closing`) until its sandboxes are gone, so its subnet and uid ranges are
//! not handed out while still in use.

pub mod alloc;
mod classroom;
mod create;
mod destroy;
mod extend;
mod recover;
mod ssh;
pub mod ssh_user;

pub use create::NewSession;
pub use recover::RecoverReport;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use protocol::{NodeInfo, NodeStatus, SessionInfo};

use crate::config::Config;
use crate::error::AppError;
use crate::provider::{NodeHandle, SandboxProvider, SessionNet};
use crate::store::{NodeRow, SessionRow, Store};

/// The live sessions of this machine.
pub struct SessionRegistry {
    config: Arc<Config>,
    provider: Arc<dyn SandboxProvider>,
    store: Store,
    state: Mutex<HashMap<String, Session>>,
    /// Capacity held for classes (locked after `state` when both are).
    holds: Mutex<HashMap<String, classroom::Hold>>,
    /// Bumped whenever a node stops being its session's running node (stopped, removed,
    /// replaced by a reset, its session ended): open terminals wait on it instead of polling.
    nodes_gone: tokio::sync::watch::Sender<u64>,
}

/// One session as the registry holds it.
struct Session {
    row: SessionRow,
    token_sha256: [u8; 32],
    net: SessionNet,
    nodes: Vec<NodeRow>,
    op_lock: Arc<tokio::sync::Mutex<()>>,
    closing: bool,
    /// Nodes being removed: already gone as far as terminals and exec are concerned.
    removing: Vec<String>,
}

impl Session {
    fn is_visible(&self, now: i64) -> bool {
        !self.closing && self.row.expires_at > now
    }

    fn info(&self, now: i64) -> SessionInfo {
        SessionInfo {
            id: self.row.id.clone(),
            expires_at: rfc3339(self.row.expires_at),
            expires_in_secs: u64::try_from(self.row.expires_at - now).unwrap_or(0),
            nodes: self.nodes.iter().map(node_info).collect(),
            lesson: self.row.lesson.clone(),
            setup: None,
            ssh: None,
        }
    }
}

/// Nodes that hold resources (counted against `MAX_NODES`).
fn holds_resources(status: NodeStatus) -> bool {
    matches!(status, NodeStatus::Starting | NodeStatus::Running)
}

/// The API view of a node.
pub fn node_info(n: &NodeRow) -> NodeInfo {
    NodeInfo { name: n.handle.name.clone(), ip: n.handle.ip.clone(), status: n.status }
}

/// Current time in unix seconds.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Unix seconds as RFC 3339 UTC, e.g. `2026-01-01T00:00:00Z`.
pub fn rfc3339(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

impl SessionRegistry {
    /// A registry over `store`; call [`SessionRegistry::recover`] before serving.
    pub fn new(config: Arc<Config>, provider: Arc<dyn SandboxProvider>, store: Store) -> Self {
        let nodes_gone = tokio::sync::watch::Sender::new(0);
        Self { config, provider, store, state: Mutex::new(HashMap::new()), holds: Mutex::new(HashMap::new()), nodes_gone }
    }

    /// A registry over `<data_dir>/muelle.db`.
    pub fn open(config: Arc<Config>, provider: Arc<dyn SandboxProvider>) -> anyhow::Result<Self> {
        let store = Store::open(&config.db_path())?;
        Ok(Self::new(config, provider, store))
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks `token` against session `id`: 404 if the session is unknown, 401 if the token is wrong.
    pub fn authorize(&self, id: &str, token: &str) -> Result<(), AppError> {
        let state = self.lock();
        let session = state.get(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
        if alloc::digests_match(&session.token_sha256, &alloc::token_digest(token)) {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }

    /// The API view of session `id`.
    pub fn info(&self, id: &str) -> Result<SessionInfo, AppError> {
        let now = now_unix();
        let state = self.lock();
        let session = state.get(id).filter(|s| s.is_visible(now)).ok_or(AppError::SessionNotFound)?;
        Ok(session.info(now))
    }

    /// The handle of a running node, for exec and terminals. Checks that its init still runs
    /// (the same process, see `sandbox::ident`): a node whose init died is marked stopped and
    /// answers [`AppError::NodeStopped`], never an error naming host pids.
    pub fn running_node(&self, id: &str, name: &str) -> Result<NodeHandle, AppError> {
        let handle = {
            let state = self.lock();
            let session = state.get(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
            let node = session
                .nodes
                .iter()
                .find(|n| n.handle.name == name && !session.removing.iter().any(|r| r == name))
                .ok_or(AppError::NodeNotFound)?;
            match node.status {
                NodeStatus::Running => node.handle.clone(),
                NodeStatus::Stopped => return Err(AppError::NodeStopped(name.into())),
                _ => return Err(AppError::NodeNotReady),
            }
        };
        // A few reads of /proc: cheap enough for the async threads.
        if !self.provider.is_alive(&handle) {
            self.mark_stopped(id, &handle);
            return Err(AppError::NodeStopped(name.into()));
        }
        Ok(handle)
    }

    /// Writes every running node's `/etc/hosts` so that each resolves the others by name
    /// (`node1` … `node5`); called after the session's nodes change. Failures are logged: a
    /// node may have broken its own /etc.
    pub(super) async fn sync_hosts(&self, id: &str) {
        let (content, running) = {
            let state = self.lock();
            let Some(session) = state.get(id) else { return };
            let running: Vec<NodeHandle> =
                session.nodes.iter().filter(|n| n.status == NodeStatus::Running).map(|n| n.handle.clone()).collect();
            (hosts_file(&running, &self.config.registry_front.to_string()), running)
        };
        let writes = running.iter().filter_map(|h| {
            let cmd = self.provider.hosts_command(h, &content)?;
            Some(async move {
                match crate::exec::run(cmd, std::time::Duration::from_secs(10)).await {
                    Ok(out) if out.exit_code == 0 => {}
                    Ok(out) => tracing::warn!(node = %h.key, code = out.exit_code, "writing /etc/hosts failed"),
                    Err(err) => tracing::warn!(?err, node = %h.key, "writing /etc/hosts failed"),
                }
            })
        });
        futures_util::future::join_all(writes).await;
    }

    /// Wakes whoever waits on [`SessionRegistry::watch_nodes_gone`]: some node is no longer its
    /// session's running node.
    pub(super) fn node_gone(&self) {
        self.nodes_gone.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Changes (to be awaited with `changed()`) each time some node stops being its session's
    /// running node; then [`SessionRegistry::running_node`] tells whether it is one's own.
    pub fn watch_nodes_gone(&self) -> tokio::sync::watch::Receiver<u64> {
        self.nodes_gone.subscribe()
    }

    /// Marks a node stopped if it is still the running node `handle` names; returns whether it did.
    pub(super) fn mark_stopped(&self, id: &str, handle: &NodeHandle) -> bool {
        let row = self.lock().get_mut(id).and_then(|s| {
            let node = s.nodes.iter_mut().find(|n| n.handle == *handle && n.status == NodeStatus::Running)?;
            node.status = NodeStatus::Stopped;
            Some(node.clone())
        });
        let Some(row) = row else { return false };
        self.node_gone();
        tracing::warn!(session_id = %id, node = %handle.name, key = %handle.key, "node's init is gone; marked stopped");
        if let Err(err) = self.store.upsert_node(id, &row) {
            tracing::warn!(err = ?err, node = %handle.name, "could not store a node's status");
        }
        true
    }

    /// Ids of the sessions currently held (including ones being deleted).
    pub fn session_ids(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Nodes holding resources on this machine, over all sessions.
    pub fn live_nodes(&self) -> u32 {
        let state = self.lock();
        live_nodes(&state)
    }
}

/// `/etc/hosts` of a session's nodes: loopback, each node by name, and Docker Hub's registry
/// at the registry front (`registry`, its `ip:port`).
pub fn hosts_file(nodes: &[NodeHandle], registry: &str) -> String {
    let mut s = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    for n in nodes {
        s += &format!("{}\t{}\n", n.ip, n.name);
    }
    s + &sandbox::hub_alias(registry)
}

fn live_nodes(state: &HashMap<String, Session>) -> u32 {
    let n = state.values().flat_map(|s| &s.nodes).filter(|n| holds_resources(n.status)).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The lowest slot of `range` no session's network touches (closing and legacy ones included).
fn free_net_slot(range: &crate::provider::addr::SessionRange, state: &HashMap<String, Session>) -> Option<u32> {
    range.free_slot(state.values().map(|s| &s.net))
}

fn used_uid_bases(state: &HashMap<String, Session>) -> BTreeSet<u32> {
    state.values().flat_map(|s| &s.nodes).map(|n| n.handle.uid_base).collect()
}

#[cfg(test)]
mod tests;

impl SessionRegistry {
    /// Every visible session's stored row and nodes, oldest first (the admin view).
    pub fn snapshot(&self) -> Vec<(SessionRow, Vec<NodeRow>)> {
        let now = now_unix();
        let mut out: Vec<_> =
            self.lock().values().filter(|s| s.is_visible(now)).map(|s| (s.row.clone(), s.nodes.clone())).collect();
        out.sort_by(|a, b| (a.0.created_at, &a.0.id).cmp(&(b.0.created_at, &b.0.id)));
        out
    }
}
