//! `POST /api/sessions/{id}/nodes`, `DELETE /api/sessions/{id}/nodes/{node}` and
//! `POST /api/sessions/{id}/nodes/{node}/exec`.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ExecRequest, ExecResponse, NodeInfo};

use super::{admission, parse_json, AuthorizedSession, LimitedBody};
use crate::error::AppError;
use crate::state::AppState;

/// Longest time limit a client may ask for.
pub const MAX_EXEC_TIMEOUT_SECS: u32 = 600;

/// Adds the next free `nodeN` → 201.
pub async fn add_node(
    State(state): State<AppState>,
    session: AuthorizedSession,
) -> Result<(StatusCode, Json<NodeInfo>), AppError> {
    admission::check_disk(&state.config, state.sessions.live_nodes(), 1)?;
    let node = state.sessions.add_node(&session.id).await?;
    Ok((StatusCode::CREATED, Json(node)))
}

/// Destroys one node → 204.
pub async fn remove_node(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
) -> Result<StatusCode, AppError> {
    state.sessions.remove_node(&session.id, &node).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces a node with a fresh one of the same name (after its init died, or to start over)
/// → 200 with the new node.
pub async fn reset_node(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
) -> Result<Json<NodeInfo>, AppError> {
    Ok(Json(state.sessions.reset_node(&session.id, &node).await?))
}

/// Runs `/bin/sh -c <cmd>` in the node and returns its output (each stream cut at 1 MiB,
/// `truncated` then set); at most `MUELLE_MAX_EXECS_PER_SESSION` at once per session.
pub async fn exec_node(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
    LimitedBody(body): LimitedBody,
) -> Result<Json<ExecResponse>, AppError> {
    let id = session.id;
    let req: ExecRequest = parse_json(&body)?;
    let limit = exec_limit(req.timeout_secs, state.config.exec_timeout)?;
    let handle = state.sessions.running_node(&id, &node)?;
    let _slot = state.limits.exec_slot(&id)?;
    let argv = ["/bin/sh".to_string(), "-c".to_string(), req.cmd];
    let cmd = state.provider.command(&handle, &argv);
    tracing::info!(session_id = %id, node = %node, "exec");
    Ok(Json(crate::exec::run(cmd, limit).await?))
}

fn exec_limit(requested: Option<u32>, default: Duration) -> Result<Duration, AppError> {
    match requested {
        None => Ok(default),
        Some(secs) if (1..=MAX_EXEC_TIMEOUT_SECS).contains(&secs) => Ok(Duration::from_secs(secs.into())),
        Some(_) => Err(AppError::BadRequest(format!(
            "timeout_secs must be between 1 and {MAX_EXEC_TIMEOUT_SECS}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_limits_are_bounded() {
        let d = Duration::from_secs(30);
        assert_eq!(exec_limit(None, d).unwrap(), d);
        assert_eq!(exec_limit(Some(600), d).unwrap(), Duration::from_secs(600));
        assert!(exec_limit(Some(601), d).is_err());
        assert!(exec_limit(Some(0), d).is_err());
    }
}
