//! Tearing down: deleting sessions, removing nodes, and the expiry task.

use std::sync::Arc;
use std::time::Duration;

use protocol::NodeStatus;
use tracing::instrument;

use super::create::blocking;
use super::{now_unix, SessionRegistry};
use crate::error::AppError;
use crate::provider::SessionNet;
use crate::store::NodeRow;

impl SessionRegistry {
    /// Destroys a session's nodes and network and forgets it. Idempotent: an unknown id is fine.
    #[instrument(skip_all, fields(session_id = %id))]
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        let Some(op_lock) = self.lock().get(id).map(|s| s.op_lock.clone()) else {
            return Ok(());
        };
        let _guard = op_lock.lock_owned().await;
        let (net, nodes) = {
            let mut state = self.lock();
            let Some(session) = state.get_mut(id).filter(|s| !s.closing) else {
                return Ok(());
            };
            session.closing = true;
            (session.net.clone(), session.nodes.clone())
        };
        self.node_gone();
        self.destroy_all(&net, &nodes).await;
        self.lock().remove(id);
        self.store.delete_session(id)?;
        crate::metrics::METRICS.session_ends.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::info!("session deleted");
        Ok(())
    }

    /// Destroys every node (in parallel) and then the network; failures are logged, not returned,
    /// so one stuck node does not keep the rest alive.
    pub(super) async fn destroy_all(&self, net: &SessionNet, nodes: &[NodeRow]) {
        let tasks: Vec<_> = nodes
            .iter()
            .map(|node| {
                let provider = self.provider.clone();
                let handle = node.handle.clone();
                tokio::spawn(blocking(move || Ok(provider.destroy_node(&handle)?)))
            })
            .collect();
        for (task, node) in tasks.into_iter().zip(nodes) {
            if let Ok(Err(err)) | Err(err) = task.await.map_err(anyhow::Error::from) {
                tracing::warn!(err = ?err, node = %node.handle.key, "destroying a node failed");
            }
        }
        let provider = self.provider.clone();
        let n = net.clone();
        if let Err(err) = blocking(move || Ok(provider.destroy_network(&n)?)).await {
            tracing::warn!(err = ?err, bridge = %net.bridge, "destroying a network failed");
        }
    }

    /// Destroys one node and removes it from its session.
    #[instrument(skip_all, fields(session_id = %id, node = %name))]
    pub async fn remove_node(&self, id: &str, name: &str) -> Result<(), AppError> {
        let _guard = self.op_lock(id)?.lock_owned().await;
        let handle = {
            let mut state = self.lock();
            let session = state.get_mut(id).filter(|s| !s.closing).ok_or(AppError::SessionNotFound)?;
            let node = session
                .nodes
                .iter_mut()
                .find(|n| n.handle.name == name)
                .ok_or(AppError::NodeNotFound)?;
            node.status = NodeStatus::Stopped;
            let handle = node.handle.clone();
            session.removing.push(name.to_owned());
            handle
        };
        self.node_gone();
        let provider = self.provider.clone();
        let h = handle.clone();
        if let Err(err) = blocking(move || Ok(provider.destroy_node(&h)?)).await {
            if let Some(session) = self.lock().get_mut(id) {
                session.removing.retain(|n| n != name);
            }
            self.set_status(id, name, NodeStatus::Failed);
            return Err(err.into());
        }
        self.forget_node(id, name);
        self.sync_hosts(id).await;
        tracing::info!("node removed");
        Ok(())
    }

    /// Sets and persists a node's status (best effort).
    pub(super) fn set_status(&self, id: &str, name: &str, status: NodeStatus) {
        let row = self.lock().get_mut(id).and_then(|s| {
            let node = s.nodes.iter_mut().find(|n| n.handle.name == name)?;
            node.status = status;
            Some(node.clone())
        });
        if let Some(row) = row {
            if status != NodeStatus::Running {
                self.node_gone();
            }
            if let Err(err) = self.store.upsert_node(id, &row) {
                tracing::warn!(err = ?err, node = %name, "could not store a node's status");
            }
        }
    }

    /// Deletes every session whose expiry has passed; returns how many.
    pub async fn expire_due(&self) -> usize {
        let now = now_unix();
        let due: Vec<String> = self
            .lock()
            .values()
            .filter(|s| !s.closing && s.row.expires_at <= now)
            .map(|s| s.row.id.clone())
            .collect();
        let deletions = due.iter().map(|id| async move {
            if let Err(err) = self.delete(id).await {
                tracing::warn!(err = %err, session_id = %id, "expiring a session failed");
            }
        });
        futures_util::future::join_all(deletions).await;
        if !due.is_empty() {
            tracing::info!(count = due.len(), "expired sessions removed");
        }
        due.len()
    }

    /// Marks stopped every running node whose init is gone (`kill 1` inside it, an OOM kill of
    /// its init) and clears what is left of its sandbox; returns how many. The node stays listed
    /// as `stopped` until it is reset or removed.
    pub async fn check_liveness(&self) -> usize {
        let running: Vec<(String, crate::provider::NodeHandle)> = self
            .lock()
            .values()
            .filter(|s| !s.closing)
            .flat_map(|s| s.nodes.iter().filter(|n| n.status == NodeStatus::Running).map(|n| (s.row.id.clone(), n.handle.clone())))
            .collect();
        let provider = self.provider.clone();
        let dead = blocking(move || Ok(running.into_iter().filter(|(_, h)| !provider.is_alive(h)).collect::<Vec<_>>()))
            .await
            .unwrap_or_default();
        let mut stopped = 0;
        for (id, handle) in dead {
            let Ok(op_lock) = self.op_lock(&id) else { continue };
            let _guard = op_lock.lock_owned().await;
            // Checked again under the lock: a reset or removal may have replaced it meanwhile.
            if self.provider.is_alive(&handle) || !self.mark_stopped(&id, &handle) {
                continue;
            }
            stopped += 1;
            let provider = self.provider.clone();
            let h = handle.clone();
            if let Err(err) = blocking(move || Ok(provider.destroy_node(&h)?)).await {
                tracing::warn!(err = ?err, node = %handle.key, "clearing a stopped node failed");
            }
        }
        stopped
    }

    /// Runs [`SessionRegistry::expire_due`] and [`SessionRegistry::check_liveness`] every `every`; the task holds only a weak reference
    /// and ends once the registry is dropped.
    pub fn spawn_expiry_task(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let registry = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(registry) = registry.upgrade() else { break };
                registry.expire_due().await;
                registry.check_liveness().await;
            }
        })
    }
}
