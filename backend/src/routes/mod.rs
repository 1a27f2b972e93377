//! HTTP routes: `/healthz`, the `/api` session, node, exec and terminal endpoints, and the
//! request helpers they share (bearer tokens, lenient JSON bodies).

pub mod files;
pub mod health;
pub mod lessons;
pub mod nodes;
pub mod ports;
pub mod proxy;
pub mod sessions;
pub mod statics;
pub mod terminal;

use axum::body::Bytes;
use axum::http::{header, HeaderMap};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;

use crate::error::AppError;
use crate::server::AppState;

/// The `/api` routes; unknown `/api` paths answer a JSON 404 rather than the SPA.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/sessions", post(sessions::create_session))
        .route("/sessions/{id}", get(sessions::get_session).delete(sessions::delete_session))
        .route("/sessions/{id}/nodes", post(nodes::add_node))
        .route("/sessions/{id}/nodes/{node}", axum::routing::delete(nodes::remove_node))
        .route("/sessions/{id}/nodes/{node}/exec", post(nodes::exec_node))
        .route("/sessions/{id}/nodes/{node}/terminal", get(terminal::open_terminal))
        .route(
            "/sessions/{id}/nodes/{node}/files",
            post(files::upload_file).layer(axum::extract::DefaultBodyLimit::max(files::MAX_UPLOAD_BYTES)),
        )
        .route("/sessions/{id}/nodes/{node}/ports", get(ports::list_ports))
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

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AppError::Unauthorized)
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
    fn bearer_tokens_are_extracted() {
        let mut h = HeaderMap::new();
        assert!(matches!(bearer(&h), Err(AppError::Unauthorized)));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(bearer(&h).is_err());
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h).unwrap(), "abc");
    }

    #[test]
    fn empty_bodies_default_and_bad_ones_are_400() {
        let r: protocol::CreateSessionRequest = parse_optional_json(&Bytes::from_static(b" \n")).unwrap();
        assert_eq!(r, Default::default());
        let err = parse_optional_json::<protocol::CreateSessionRequest>(&Bytes::from_static(b"{nodes")).unwrap_err();
        assert!(matches!(err, AppError::BadRequest(_)));
        assert!(parse_json::<protocol::ExecRequest>(&Bytes::new()).is_err());
    }
}
