//! Creating sessions and adding nodes: reserve slots under the lock, persist the plan, then start
//! the network and the nodes (in parallel) on blocking threads.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use protocol::{NodeInfo, NodeStatus, SessionInfo};
use tracing::instrument;

use super::alloc::{self, free_index, free_uid_bases, key_prefix};
use super::{classroom, free_net_slot, live_nodes, node_info, now_unix, used_uid_bases, Session, SessionRegistry};
use crate::error::AppError;
use crate::provider::{NodeHandle, NodeSpec, SessionNet};
use crate::store::{NodeRow, SessionRow};

/// What a new session asks for.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    /// Number of nodes (1..=`MAX_NODES_PER_SESSION`).
    pub nodes: u8,
    /// Lesson id, recorded with the session.
    pub lesson: Option<String>,
    /// Lifetime; `None` means `SESSION_TTL_SECS`.
    pub ttl: Option<Duration>,
}

/// A session reserved in the map whose sandboxes do not exist yet.
struct Plan {
    row: SessionRow,
    token: String,
    net: SessionNet,
    nodes: Vec<NodeRow>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

fn planned_node(session_id: &str, index: u8, net: &SessionNet, uid_base: u32) -> NodeRow {
    NodeRow {
        index,
        handle: NodeHandle {
            key: alloc::node_key(session_id, index),
            name: format!("node{index}"),
            ip: net.node_ip(index),
            pid: 0,
            uid_base,
            start_time: 0,
        },
        status: NodeStatus::Starting,
    }
}

fn spec_of(node: &NodeRow, net: &SessionNet) -> NodeSpec {
    NodeSpec {
        key: node.handle.key.clone(),
        name: node.handle.name.clone(),
        index: node.index,
        net: net.clone(),
        uid_base: node.handle.uid_base,
    }
}

/// Runs blocking provider work off the async threads.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| anyhow!("blocking task failed: {e}"))?
}

impl SessionRegistry {
    /// Creates a session with its network and nodes; returns its view and its bearer token.
    pub async fn create(&self, req: NewSession) -> Result<(SessionInfo, String), AppError> {
        self.create_in(req, None).await
    }

    /// [`SessionRegistry::create`] for a student of `class` (when given): its nodes come out of
    /// the capacity the class holds.
    #[instrument(skip_all, fields(session_id = tracing::field::Empty, nodes = req.nodes))]
    pub async fn create_in(&self, req: NewSession, class: Option<&str>) -> Result<(SessionInfo, String), AppError> {
        let max = self.config.max_nodes_per_session;
        if req.nodes == 0 || req.nodes > max {
            return Err(AppError::BadRequest(format!("nodes must be between 1 and {max}")));
        }
        let plan = self.reserve(&req, class)?;
        let id = plan.row.id.clone();
        tracing::Span::current().record("session_id", id.as_str());
        if let Err(err) = self.store.insert_session(&plan.row, &plan.nodes) {
            self.lock().remove(&id);
            return Err(err.into());
        }
        if let Err(err) = self.start_all(&id, &plan.net, &plan.nodes).await {
            self.destroy_all(&plan.net, &plan.nodes).await;
            self.lock().remove(&id);
            if let Err(e) = self.store.delete_session(&id) {
                tracing::warn!(err = ?e, "could not delete a failed session's row");
            }
            return Err(err.into());
        }
        self.sync_hosts(&id).await;
        tracing::info!("session created");
        Ok((self.info(&id)?, plan.token))
    }

    /// Checks capacity and reserves an id, a subnet and uid ranges, all under the lock.
    fn reserve(&self, req: &NewSession, class: Option<&str>) -> Result<Plan, AppError> {
        let mut state = self.lock();
        let held = classroom::held(&self.holds(), &state, class);
        if live_nodes(&state).saturating_add(held).saturating_add(u32::from(req.nodes)) > self.config.max_nodes {
            return Err(AppError::OutOfCapacity);
        }
        let range = self.config.session_net;
        let subnet = free_net_slot(&range, &state).ok_or(AppError::OutOfCapacity)?;
        let bases = free_uid_bases(&used_uid_bases(&state), usize::from(req.nodes))
            .ok_or(AppError::OutOfCapacity)?;
        let id = loop {
            let id = alloc::new_session_id();
            if !state.values().any(|s| key_prefix(&s.row.id) == key_prefix(&id)) {
                break id;
            }
        };
        let net = range.net(subnet);
        let nodes: Vec<NodeRow> =
            (1..=req.nodes).zip(bases).map(|(i, base)| planned_node(&id, i, &net, base)).collect();
        let token = alloc::new_token();
        let token_sha256 = alloc::token_digest(&token);
        let now = now_unix();
        let ttl = req.ttl.unwrap_or(self.config.session_ttl);
        let row = SessionRow {
            id: id.clone(),
            token_sha256: hex::encode(token_sha256),
            created_at: now,
            expires_at: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            lesson: req.lesson.clone(),
            subnet,
            net: Some(net.cidr()),
        };
        let op_lock = Arc::new(tokio::sync::Mutex::new(()));
        let guard = op_lock.clone().try_lock_owned().map_err(|e| anyhow!("fresh lock busy: {e}"))?;
        let session = Session {
            row: row.clone(),
            token_sha256,
            net: net.clone(),
            nodes: nodes.clone(),
            op_lock,
            closing: false,
            removing: Vec::new(),
        };
        if let Some(class) = class {
            self.join_hold(class, &id);
        }
        state.insert(id, session);
        Ok(Plan { row, token, net, nodes, _guard: guard })
    }

    /// Creates the network, then every node in parallel; records each started node.
    async fn start_all(&self, id: &str, net: &SessionNet, nodes: &[NodeRow]) -> anyhow::Result<()> {
        let provider = self.provider.clone();
        let n = net.clone();
        blocking(move || provider.create_network(&n).map_err(anyhow::Error::from)).await?;
        let tasks: Vec<_> = nodes
            .iter()
            .map(|node| {
                let provider = self.provider.clone();
                let spec = spec_of(node, net);
                tokio::task::spawn_blocking(move || provider.create_node(&spec))
            })
            .collect();
        let mut first_err = None;
        for task in tasks {
            match task.await.map_err(|e| anyhow!("node task failed: {e}")).and_then(|r| Ok(r?)) {
                Ok(handle) => self.mark_running(id, handle)?,
                Err(err) => first_err = first_err.or(Some(err)),
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Stores a started node's handle and marks it running.
    fn mark_running(&self, id: &str, handle: NodeHandle) -> anyhow::Result<()> {
        let row = {
            let mut state = self.lock();
            let session = state.get_mut(id).context("session vanished while starting")?;
            let node = session
                .nodes
                .iter_mut()
                .find(|n| n.handle.name == handle.name)
                .context("node vanished while starting")?;
            node.handle = handle;
            node.status = NodeStatus::Running;
            node.clone()
        };
        self.store.upsert_node(id, &row)
    }

    /// Adds the next free `nodeN` to a session.
    #[instrument(skip_all, fields(session_id = %id))]
    pub async fn add_node(&self, id: &str) -> Result<NodeInfo, AppError> {
        let _guard = self.op_lock(id)?.lock_owned().await;
        let (row, net) = self.reserve_node(id)?;
        let name = row.handle.name.clone();
        let started = async {
            self.store.upsert_node(id, &row)?;
            let provider = self.provider.clone();
            let spec = spec_of(&row, &net);
            let handle = blocking(move || Ok(provider.create_node(&spec)?)).await?;
            self.mark_running(id, handle)
        };
        if let Err(err) = started.await {
            self.forget_node(id, &name);
            let provider = self.provider.clone();
            let handle = row.handle.clone();
            if let Err(e) = blocking(move || Ok(provider.destroy_node(&handle)?)).await {
                tracing::warn!(err = ?e, node = %name, "clean-up of a failed node failed");
            }
            return Err(err.into());
        }
        self.sync_hosts(id).await;
        tracing::info!(node = %name, "node added");
        let state = self.lock();
        let session = state.get(id).ok_or(AppError::SessionNotFound)?;
        let node = session.nodes.iter().find(|n| n.handle.name == name).ok_or(AppError::NodeNotFound)?;
        Ok(node_info(node))
    }

    /// Replaces a node with a fresh one of the same name and address (its init died, or the
    /// student wants a clean machine): destroys what is left of the old one, then starts anew.
    #[instrument(skip_all, fields(session_id = %id, node = %name))]
    pub async fn reset_node(&self, id: &str, name: &str) -> Result<NodeInfo, AppError> {
        let _guard = self.op_lock(id)?.lock_owned().await;
        let (old, row, net) = {
            let mut state = self.lock();
            let bases = used_uid_bases(&state);
            let session = state.get_mut(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
            let net = session.net.clone();
            let node = session.nodes.iter_mut().find(|n| n.handle.name == name).ok_or(AppError::NodeNotFound)?;
            if node.status == NodeStatus::Starting {
                return Err(AppError::NodeNotReady);
            }
            // A fresh uid range: the old one may be a warm pool node's.
            let base = free_uid_bases(&bases, 1).ok_or(AppError::OutOfCapacity)?[0];
            let old = node.handle.clone();
            *node = planned_node(id, node.index, &net, base);
            (old, node.clone(), net)
        };
        self.node_gone();
        self.store.upsert_node(id, &row)?;
        let provider = self.provider.clone();
        let destroyed = blocking(move || Ok(provider.destroy_node(&old)?)).await;
        let started = async {
            destroyed?;
            let provider = self.provider.clone();
            let spec = spec_of(&row, &net);
            let handle = blocking(move || Ok(provider.create_node(&spec)?)).await?;
            self.mark_running(id, handle)
        };
        if let Err(err) = started.await {
            self.set_status(id, name, NodeStatus::Failed);
            return Err(err.into());
        }
        self.sync_hosts(id).await;
        tracing::info!("node reset");
        let state = self.lock();
        let session = state.get(id).ok_or(AppError::SessionNotFound)?;
        let node = session.nodes.iter().find(|n| n.handle.name == name).ok_or(AppError::NodeNotFound)?;
        Ok(node_info(node))
    }

    fn reserve_node(&self, id: &str) -> Result<(NodeRow, SessionNet), AppError> {
        let max = self.config.max_nodes_per_session;
        let mut state = self.lock();
        // A class's student adds nodes out of the class's own hold (a lesson of more nodes).
        let live = {
            let holds = self.holds();
            let class = classroom::class_of(&holds, id);
            live_nodes(&state).saturating_add(classroom::held(&holds, &state, class.as_deref()))
        };
        let bases = used_uid_bases(&state);
        let session = state.get_mut(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
        let indices = session.nodes.iter().map(|n| n.index).collect();
        let index = free_index(&indices, max).ok_or(AppError::TooManyNodes(max))?;
        if live >= self.config.max_nodes {
            return Err(AppError::OutOfCapacity);
        }
        let base = free_uid_bases(&bases, 1).ok_or(AppError::OutOfCapacity)?[0];
        let row = planned_node(id, index, &session.net, base);
        session.nodes.push(row.clone());
        session.nodes.sort_by_key(|n| n.index);
        Ok((row, session.net.clone()))
    }

    /// Drops a node from the map and the store (after a failure or removal).
    pub(super) fn forget_node(&self, id: &str, name: &str) {
        if let Some(session) = self.lock().get_mut(id) {
            session.nodes.retain(|n| n.handle.name != name);
            session.removing.retain(|n| n != name);
        }
        self.node_gone();
        if let Err(err) = self.store.delete_node(id, name) {
            tracing::warn!(err = ?err, node = %name, "could not delete a node row");
        }
    }

    /// The operation lock of a visible session.
    pub(super) fn op_lock(&self, id: &str) -> Result<Arc<tokio::sync::Mutex<()>>, AppError> {
        let state = self.lock();
        let session = state.get(id).filter(|s| s.is_visible(now_unix())).ok_or(AppError::SessionNotFound)?;
        Ok(session.op_lock.clone())
    }
}
