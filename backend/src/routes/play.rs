//! The playground's extras: `GET /api/templates`, `POST /api/sessions/{id}/extend` and
//! `GET /api/sessions/{id}/nodes/{node}/stats`.

use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::Json;
use protocol::{NodeStats, SessionInfo, Template};

use super::AuthorizedSession;
use crate::error::AppError;
use crate::state::AppState;

/// Time between the two CPU readings of a stats request.
const CPU_SAMPLE: Duration = Duration::from_millis(300);

/// The session templates this server starts, with their es/en names.
pub async fn get_templates(State(state): State<AppState>) -> Json<Vec<Template>> {
    Json(crate::templates::list(state.config.max_nodes_per_session))
}

/// Adds `MUELLE_EXTEND_MINUTES` to the session → 200 with its new `expires_at`; 409
/// `SESSION_AT_MAXIMUM` once it lasts `MUELLE_MAX_SESSION_MINUTES`.
pub async fn extend_session(
    State(state): State<AppState>,
    session: AuthorizedSession,
) -> Result<Json<SessionInfo>, AppError> {
    let mut info = state.sessions.extend(&session.id)?;
    info.setup = state.lessons.setup_of(&session.id);
    Ok(Json(info))
}

/// The node's memory, CPU and disk use against its limits. CPU is measured over
/// [`CPU_SAMPLE`] (two readings of its cgroup's CPU time).
pub async fn node_stats(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
) -> Result<Json<NodeStats>, AppError> {
    let handle = state.sessions.running_node(&session.id, &node)?;
    let read = |provider: std::sync::Arc<dyn crate::provider::SandboxProvider>, h: crate::provider::NodeHandle| async move {
        let started = Instant::now();
        let usage = tokio::task::spawn_blocking(move || provider.usage(&h)).await.ok().flatten();
        (started, usage)
    };
    let (t0, first) = read(state.provider.clone(), handle.clone()).await;
    tokio::time::sleep(CPU_SAMPLE).await;
    let (t1, second) = read(state.provider.clone(), handle).await;
    let usage = second.ok_or(AppError::NodeStopped(node.clone()))?;
    let limits = &state.config.node_limits;
    Ok(Json(NodeStats {
        memory_bytes: usage.memory_bytes,
        memory_limit_bytes: limits.memory_mb << 20,
        cpu_milli: cpu_milli(first.map_or(usage.cpu_ns, |u| u.cpu_ns), usage.cpu_ns, t1 - t0),
        cpu_limit_milli: limits.cpus_milli,
        disk_bytes: usage.disk_bytes,
        disk_limit_bytes: limits.disk_mb << 20,
    }))
}

/// Thousandths of a core used between two readings of CPU time (ns) `elapsed` apart.
pub fn cpu_milli(before_ns: u64, after_ns: u64, elapsed: Duration) -> u32 {
    let wall = elapsed.as_nanos().max(1);
    let used = u128::from(after_ns.saturating_sub(before_ns));
    u32::try_from(used * 1000 / wall).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_time_used_over_wall_time() {
        let half = Duration::from_millis(500);
        assert_eq!(cpu_milli(0, 250_000_000, half), 500);
        assert_eq!(cpu_milli(100, 100, half), 0);
        assert_eq!(cpu_milli(0, 1_000_000_000, half), 2000, "two cores busy");
        assert_eq!(cpu_milli(5, 1, half), 0, "a counter that went back is no use");
    }
}
