//! `AppError`: every way an API request can fail, and its JSON (`protocol::ApiError`) response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::error::codes;
use protocol::ApiError;

/// A failed request. Client errors keep their status and message; internal errors are logged
/// and answered with a generic 500.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The session does not exist, expired or is being deleted.
    #[error("no such session")]
    SessionNotFound,
    /// The session has no node by that name.
    #[error("no such node")]
    NodeNotFound,
    /// No such API route.
    #[error("no such API route")]
    NotFound,
    /// Token missing or wrong.
    #[error("missing or wrong session token")]
    Unauthorized,
    /// Malformed body or parameter.
    #[error("{0}")]
    BadRequest(String),
    /// The machine holds its maximum of live nodes.
    #[error("out of capacity, try again in a few minutes")]
    OutOfCapacity,
    /// The session holds its maximum of nodes.
    #[error("this session already has {0} nodes, the maximum")]
    TooManyNodes(u8),
    /// The node is not running.
    #[error("the node is not running")]
    NodeNotReady,
    /// The node's init died; it must be reset or removed.
    #[error("{0} has stopped; reset it or remove it")]
    NodeStopped(String),
    /// Anything else; details go to the log only.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// HTTP status and machine-readable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::SessionNotFound => (StatusCode::NOT_FOUND, codes::SESSION_NOT_FOUND),
            Self::NodeNotFound => (StatusCode::NOT_FOUND, codes::NODE_NOT_FOUND),
            Self::NotFound => (StatusCode::NOT_FOUND, codes::NOT_FOUND),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
            Self::OutOfCapacity => (StatusCode::SERVICE_UNAVAILABLE, codes::OUT_OF_CAPACITY),
            Self::TooManyNodes(_) => (StatusCode::CONFLICT, codes::TOO_MANY_NODES),
            Self::NodeNotReady => (StatusCode::CONFLICT, codes::NODE_NOT_READY),
            Self::NodeStopped(_) => (StatusCode::CONFLICT, codes::NODE_STOPPED),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL),
        }
    }

    /// The body sent to clients (never the details of an internal error).
    pub fn to_api_error(&self) -> ApiError {
        let (_, code) = self.status_and_code();
        match self {
            Self::Internal(_) => ApiError::new(code, "internal error; see the server log"),
            other => ApiError::new(code, other.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(err = ?err, "request failed");
        }
        let (status, _) = self.status_and_code();
        (status, Json(self.to_api_error())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: AppError) -> (StatusCode, ApiError) {
        let resp = err.into_response();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn capacity_error_has_the_documented_message() {
        let (status, body) = body_of(AppError::OutOfCapacity).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body.code, "OUT_OF_CAPACITY");
        assert_eq!(body.message, "out of capacity, try again in a few minutes");
    }

    #[tokio::test]
    async fn internal_errors_hide_their_details() {
        let (status, body) = body_of(anyhow::anyhow!("secret path /x/y").into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body.code, "INTERNAL");
        assert!(!body.message.contains("secret"));
    }

    #[tokio::test]
    async fn client_errors_keep_their_message() {
        let (status, body) = body_of(AppError::BadRequest("nodes must be 1..=5".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, ApiError::new("BAD_REQUEST", "nodes must be 1..=5"));
    }
}
