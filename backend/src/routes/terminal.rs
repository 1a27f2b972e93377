//! `GET /api/sessions/{id}/nodes/{node}/terminal?token=...&term=N&cols=C&rows=R`: the terminal
//! WebSocket, attached to the node's `term`-th shell (1 by default; started if it does not run,
//! its current screen sent first if it does). The token and node are checked before the
//! upgrade, so a bad token never reaches a sandbox.
//!
//! `GET /api/sessions/{id}/nodes/{node}/terminals`: the term numbers whose shells run.

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::{AuthorizedSession, ClientAddr};
use crate::error::AppError;
use crate::state::AppState;
use crate::terminal::MAX_TERMS_PER_NODE;

/// The socket's query (the token is read by [`AuthorizedSession`]). Strings, so that a bad
/// value gets this API's JSON error rather than the extractor's text.
#[derive(Deserialize)]
pub struct TerminalQuery {
    term: Option<String>,
    cols: Option<String>,
    rows: Option<String>,
}

impl TerminalQuery {
    fn term(&self) -> Result<u8, AppError> {
        let Some(term) = &self.term else { return Ok(1) };
        term.parse::<u8>()
            .ok()
            .filter(|n| (1..=MAX_TERMS_PER_NODE).contains(n))
            .ok_or_else(|| AppError::BadRequest(format!("term must be a number from 1 to {MAX_TERMS_PER_NODE}")))
    }

    fn size(&self) -> Result<Option<(u16, u16)>, AppError> {
        let bad = || AppError::BadRequest("cols and rows must be given together, as numbers from 1 to 65535".into());
        match (&self.cols, &self.rows) {
            (None, None) => Ok(None),
            (Some(c), Some(r)) => {
                let (c, r) = (c.parse::<u16>().map_err(|_| bad())?, r.parse::<u16>().map_err(|_| bad())?);
                if c == 0 || r == 0 {
                    return Err(bad());
                }
                Ok(Some((c, r)))
            }
            _ => Err(bad()),
        }
    }
}

/// Authenticates (the `?token=` of the URL: browsers cannot set headers on WebSockets), takes a
/// terminal slot of the session and of the client address, then upgrades and attaches to the
/// shell. The slots are held as long as the socket is open; the shell outlives the socket.
pub async fn open_terminal(
    State(state): State<AppState>,
    session: AuthorizedSession,
    ClientAddr(addr): ClientAddr,
    Path((_, node)): Path<(String, String)>,
    Query(query): Query<TerminalQuery>,
    headers: axum::http::HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, AppError> {
    let term = query.term()?;
    let size = query.size()?;
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
    let terminals = state.terminals.clone();
    let id = session.id.clone();
    // A new shell's welcome text follows the UI language (its cookie).
    let lang = crate::provider::welcome::welcome_lang(&headers);
    Ok(upgrade.on_upgrade(move |socket| async move {
        let open = crate::metrics::TerminalOpen::new();
        let shell = terminals.get_or_start(&id, handle, term, size, lang);
        crate::terminal::serve(socket, shell, size).await;
        drop((slots, open));
    }))
}

/// The node's running shells, as `{"terms":[1,2]}`.
pub async fn list_terminals(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
) -> Result<Json<protocol::TerminalList>, AppError> {
    let info = state.sessions.info(&session.id)?;
    if !info.nodes.iter().any(|n| n.name == node) {
        return Err(AppError::NodeNotFound);
    }
    Ok(Json(protocol::TerminalList { terms: state.terminals.list(&session.id, &node) }))
}
