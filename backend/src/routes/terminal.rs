//! `GET /api/sessions/{id}/nodes/{node}/terminal?token=...`: the terminal WebSocket. The token
//! and node are checked before the upgrade, so a bad token never reaches a sandbox.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::AppError;
use crate::server::AppState;

/// Query string of the terminal URL (browsers cannot set headers on WebSockets).
#[derive(Debug, Deserialize)]
pub struct TerminalQuery {
    /// The session's bearer token.
    #[serde(default)]
    pub token: Option<String>,
}

/// Authenticates, then upgrades to the terminal bridge.
pub async fn open_terminal(
    State(state): State<AppState>,
    Path((id, node)): Path<(String, String)>,
    Query(query): Query<TerminalQuery>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let token = query.token.as_deref().ok_or(AppError::Unauthorized)?;
    state.sessions.authorize(&id, token)?;
    let handle = match state.sessions.running_node(&id, &node) {
        Ok(handle) => handle,
        // A browser cannot read the body of a refused upgrade: say why over the socket.
        Err(err @ (AppError::NodeStopped(_) | AppError::NodeNotReady)) => {
            return match upgrade {
                Ok(upgrade) => {
                    let error = err.to_api_error();
                    Ok(upgrade.on_upgrade(move |socket| crate::terminal::refuse(socket, error)))
                }
                Err(_) => Err(err),
            };
        }
        Err(err) => return Err(err),
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let provider = state.provider.clone();
    let window = state.config.flow_window_bytes;
    Ok(upgrade.on_upgrade(move |socket| crate::terminal::serve(socket, provider, handle, window)))
}
