//! `GET /api/sessions/{id}/nodes/{node}/terminal?token=...`: the terminal WebSocket. The token
//! and node are checked before the upgrade, so a bad token never reaches a sandbox.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::{AuthorizedSession, ClientAddr};
use crate::error::AppError;
use crate::state::AppState;

/// Authenticates (the `?token=` of the URL: browsers cannot set headers on WebSockets), takes a
/// terminal slot of the session and of the client address, then upgrades to the terminal bridge.
/// The slots are held as long as the socket is open.
pub async fn open_terminal(
    State(state): State<AppState>,
    session: AuthorizedSession,
    ClientAddr(addr): ClientAddr,
    Path((_, node)): Path<(String, String)>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let handle = match state.sessions.running_node(&session.id, &node) {
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
    let slots = state.limits.terminal_slots(&session.id, addr)?;
    let provider = state.provider.clone();
    let window = state.config.flow_window_bytes;
    Ok(upgrade.on_upgrade(move |socket| async move {
        let open = crate::metrics::TerminalOpen::new();
        crate::terminal::serve(socket, provider, handle, window).await;
        drop((slots, open));
    }))
}
