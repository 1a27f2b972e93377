//! Re-adopting the sessions of a previous backend process from the store (issue #3).

use std::sync::Arc;

use anyhow::Context;
use protocol::NodeStatus;

use super::create::blocking;
use super::{holds_resources, now_unix, Session, SessionRegistry};
use crate::provider::SessionNet;
use crate::store::{NodeRow, SessionRow};

/// What [`SessionRegistry::recover`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoverReport {
    /// Sessions adopted.
    pub recovered: usize,
    /// Sessions whose expiry had passed, destroyed.
    pub expired: usize,
    /// Nodes found dead (or interrupted while starting) and marked failed.
    pub failed_nodes: usize,
}

impl SessionRegistry {
    /// Loads the stored sessions: destroys the expired ones, marks dead nodes failed, and
    /// adopts the rest. Call once, before serving.
    pub async fn recover(&self) -> anyhow::Result<RecoverReport> {
        let mut report = RecoverReport::default();
        let now = now_unix();
        for (row, nodes) in self.store.load_all()? {
            let net = SessionNet::from_stored(row.subnet, row.net.as_deref())
                .with_context(|| format!("session {}", row.id))?;
            let digest = decode_digest(&row.token_sha256);
            if row.expires_at <= now || digest.is_none() || self.lock().contains_key(&row.id) {
                self.destroy_all(&net, &nodes).await;
                self.store.delete_session(&row.id)?;
                report.expired += 1;
                continue;
            }
            let nodes = self.check_nodes(&row, nodes, &mut report).await?;
            let session = Session {
                token_sha256: digest.unwrap_or_default(),
                net,
                nodes,
                op_lock: Arc::new(tokio::sync::Mutex::new(())),
                closing: false,
                removing: Vec::new(),
                row: row.clone(),
            };
            self.lock().insert(row.id.clone(), session);
            report.recovered += 1;
        }
        tracing::info!(?report, "sessions recovered");
        Ok(report)
    }

    /// After [`SessionRegistry::recover`]: removes nodes and bridges on the host that no stored
    /// session owns (a crash between creating a sandbox and storing it). Returns how many.
    pub async fn sweep_orphans(&self) -> anyhow::Result<usize> {
        let (keys, bridges): (Vec<String>, Vec<String>) = {
            let map = self.lock();
            let keys = map.values().flat_map(|s| s.nodes.iter().map(|n| n.handle.key.clone())).collect();
            let bridges = map.values().map(|s| s.net.bridge.clone()).collect();
            (keys, bridges)
        };
        let provider = self.provider.clone();
        blocking(move || Ok(provider.sweep_orphans(&keys, &bridges))).await
    }

    /// Marks nodes failed when their sandbox is gone or their creation was interrupted, and
    /// clears what is left of them.
    async fn check_nodes(
        &self,
        row: &SessionRow,
        mut nodes: Vec<NodeRow>,
        report: &mut RecoverReport,
    ) -> anyhow::Result<Vec<NodeRow>> {
        for node in &mut nodes {
            if !holds_resources(node.status) {
                continue;
            }
            let provider = self.provider.clone();
            let handle = node.handle.clone();
            let interrupted = node.status == NodeStatus::Starting;
            let alive = blocking(move || Ok(provider.is_alive(&handle))).await?;
            if alive && !interrupted {
                // A row stored before start times were: its init passed the cgroup check, so
                // name it by its start time from now on.
                if node.handle.start_time == 0 && node.handle.pid > 0 {
                    if let Some(t) = sandbox::ident::start_time(node.handle.pid) {
                        node.handle.start_time = t;
                        self.store.upsert_node(&row.id, node).context("storing a node's start time")?;
                    }
                }
                continue;
            }
            tracing::warn!(session_id = %row.id, node = %node.handle.key, "node is gone; marked failed");
            node.status = NodeStatus::Failed;
            self.store.upsert_node(&row.id, node).context("marking a node failed")?;
            let provider = self.provider.clone();
            let handle = node.handle.clone();
            if let Err(err) = blocking(move || Ok(provider.destroy_node(&handle)?)).await {
                tracing::warn!(err = ?err, node = %node.handle.key, "clearing a dead node failed");
            }
            report.failed_nodes += 1;
        }
        Ok(nodes)
    }
}

fn decode_digest(hex_digest: &str) -> Option<[u8; 32]> {
    hex::decode(hex_digest).ok()?.try_into().ok()
}
