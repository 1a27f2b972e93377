//! HTTP routes: `/healthz`, the `/api` session, node, exec and terminal endpoints, and the
//! request helpers they share (the session extractor, bounded JSON bodies).

pub mod admin;
pub mod admission;
pub mod auth;
pub mod classes;
pub mod browse;
pub mod files;
pub mod headers;
pub mod health;
pub mod instructor;
pub mod lessons;
pub mod nodes;
pub mod play;
pub mod ports;
pub mod proxy;
pub mod sessions;
pub mod ssh;
pub mod statics;
pub mod terminal;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

pub use self::auth::{AuthorizedSession, ClientAddr};
use crate::error::AppError;
use crate::state::AppState;

/// Largest JSON body an `/api` route reads (uploads stream and have their own limit).
pub const JSON_BODY_LIMIT: usize = 64 << 10;

/// The `/api` routes; unknown `/api` paths answer a JSON 404 rather than the SPA.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/config", get(sessions::get_config))
        .route("/sessions", post(sessions::create_session))
        .route("/sessions/{id}", get(sessions::get_session).delete(sessions::delete_session))
        .route("/sessions/{id}/nodes", post(nodes::add_node))
        .route("/sessions/{id}/nodes/{node}", axum::routing::delete(nodes::remove_node))
        .route("/sessions/{id}/nodes/{node}/exec", post(nodes::exec_node))
        .route("/sessions/{id}/nodes/{node}/reset", post(nodes::reset_node))
        .route("/sessions/{id}/nodes/{node}/terminal", get(terminal::open_terminal))
        .route("/sessions/{id}/nodes/{node}/terminals", get(terminal::list_terminals))
        // Streams its body into the node and counts it against `files::MAX_UPLOAD_BYTES` itself.
        .route("/sessions/{id}/nodes/{node}/files", post(files::upload_file).put(files::upload_file).get(browse::get_files))
        .route("/sessions/{id}/nodes/{node}/ports", get(ports::list_ports))
        .route("/sessions/{id}/ports", get(ports::list_session_ports))
        .route("/templates", get(play::get_templates))
        .route("/sessions/{id}/ssh", get(ssh::get_ssh))
        .route("/sessions/{id}/extend", post(play::extend_session))
        .route("/sessions/{id}/nodes/{node}/stats", get(play::node_stats))
        .merge(lessons::routes())
        .merge(admin::routes())
        .merge(classes::routes())
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .fallback(api_not_found)
}

/// `/proxy/...`: the old same-origin port links, gone (410); links have their own origins now,
/// routed by host in [`proxy::route_by_host`].
pub fn proxy_routes() -> Router<AppState> {
    Router::new().route("/proxy/{*rest}", axum::routing::any(proxy::gone))
}

async fn api_not_found() -> AppError {
    AppError::NotFound
}

/// A request body read whole, within the route's `DefaultBodyLimit`; too large a body is a JSON
/// 413 `PAYLOAD_TOO_LARGE` rather than axum's plain-text one.
pub struct LimitedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for LimitedBody {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(AppError::PayloadTooLarge(JSON_BODY_LIMIT)),
            Err(e) => Err(AppError::BadRequest(format!("cannot read the request body: {e}"))),
        }
    }
}

/// Parses a JSON body whatever its content type; malformed bodies are a 400 `ApiError`.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))
}

/// Like [`parse_json`], but an empty body means `T::default()`.
pub fn parse_optional_json<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse_json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_bodies_default_and_bad_ones_are_400() {
        let r: protocol::CreateSessionRequest = parse_optional_json(&Bytes::from_static(b" \n")).unwrap();
        assert_eq!(r, Default::default());
        let err = parse_optional_json::<protocol::CreateSessionRequest>(&Bytes::from_static(b"{nodes")).unwrap_err();
        assert!(matches!(err, AppError::BadRequest(_)));
        assert!(parse_json::<protocol::ExecRequest>(&Bytes::new()).is_err());
    }
}
