//! `AppError`: every way an API request can fail (lesson errors included), and its JSON
//! (`protocol::ApiError`) response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::error::codes;
use protocol::ApiError;

use crate::provider::ProviderError;

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
    /// Session creation without a JSON body.
    #[error("send the request as JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// A request from another site's page.
    #[error("requests from {0} may not start sessions here")]
    ForbiddenOrigin(String),
    /// The server needs a join code and the request had none or a wrong one.
    #[error("this class needs a join code: ask your teacher for it")]
    JoinCodeRequired,
    /// Too many requests from one address; retry after the duration.
    #[error("too many new sessions from your network address, try again in {} s", .0.as_secs().max(1))]
    RateLimited(std::time::Duration),
    /// The data directory's filesystem is below its reserve.
    #[error("the server's disk is nearly full, try again later")]
    DiskFull,
    /// The session runs its maximum of commands at once.
    #[error("this session already runs {0} commands at once; wait for one to finish")]
    TooManyExecs(usize),
    /// Too many terminal sockets for the session or the address.
    #[error("too many terminals open for {0}; close some first")]
    TooManyTerminals(&'static str),
    /// The body is larger than the route takes.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A `Host` this server does not answer for.
    #[error("this server does not answer for that host name")]
    MisdirectedRequest,
    /// The node's init died; it must be reset or removed.
    #[error("{0} has stopped; reset it or remove it")]
    NodeStopped(String),
    /// No servable lesson by that id (404).
    #[error("no lesson `{0}`")]
    LessonNotFound(String),
    /// A session was asked for an unknown lesson (400).
    #[error("no lesson `{0}`")]
    UnknownLesson(String),
    /// The session was not created for a lesson.
    #[error("this session was not started for a lesson")]
    NoLesson,
    /// Step number out of range (steps count from 1).
    #[error("the lesson has no step {0}")]
    StepNotFound(u32),
    /// The step has nothing the server could check.
    #[error("step {0} has no check")]
    NoCheck(u32),
    /// The lesson does not have `solutions: true`.
    #[error("this lesson does not show its solutions")]
    SolutionsHidden,
    /// No `file` block by that id.
    #[error("the lesson has no file block `{0}`")]
    BlockNotFound(String),
    /// An instructor endpoint without a valid instructor token (session tokens never are).
    #[error("this needs an instructor token (printed by `muelle serve` or `muelle instructor token`)")]
    InstructorOnly,
    /// No class by that id or join code, or it has ended.
    #[error("no such class, or it has ended")]
    ClassNotFound,
    /// Every seat of the class is taken.
    #[error("this class is full ({0} seats)")]
    ClassFull(u32),
    /// The class's seats do not fit in the machine's free capacity.
    #[error("the class needs {needed} nodes but only {free} are free (MUELLE_MAX_NODES)")]
    ClassTooBig {
        /// Nodes the class asks for (seats × nodes per student).
        needed: u32,
        /// Nodes free beside live sessions and other classes.
        free: u32,
    },
    /// The session already lasts as long as the server allows.
    #[error("{0}")]
    SessionAtMaximum(String),
    /// A file listing, read or save the node refused (its message says why).
    #[error("{0}")]
    FileError(String),
    /// Anything else; details go to the log only.
    /// The operator drains the server: no new sessions.
    #[error("this server is not starting new sessions now (maintenance); live sessions go on. Try again later")]
    Draining,
    /// `/api/admin` without an admin credential (the admin token or an instructor token).
    #[error("missing or wrong admin credential (Authorization: Bearer <token>: the admin token of MUELLE_ADMIN_TOKEN or DATA_DIR/admin-token, or an instructor token)")]
    AdminUnauthorized,
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
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, codes::UNSUPPORTED_MEDIA_TYPE),
            Self::ForbiddenOrigin(_) => (StatusCode::FORBIDDEN, codes::FORBIDDEN_ORIGIN),
            Self::JoinCodeRequired => (StatusCode::FORBIDDEN, codes::JOIN_CODE_REQUIRED),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED),
            Self::DiskFull => (StatusCode::SERVICE_UNAVAILABLE, codes::DISK_FULL),
            Self::TooManyExecs(_) => (StatusCode::TOO_MANY_REQUESTS, codes::TOO_MANY_EXECS),
            Self::TooManyTerminals(_) => (StatusCode::TOO_MANY_REQUESTS, codes::TOO_MANY_TERMINALS),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, codes::PAYLOAD_TOO_LARGE),
            Self::MisdirectedRequest => (StatusCode::MISDIRECTED_REQUEST, codes::MISDIRECTED_REQUEST),
            Self::NodeStopped(_) => (StatusCode::CONFLICT, codes::NODE_STOPPED),
            Self::SessionAtMaximum(_) => (StatusCode::CONFLICT, codes::SESSION_AT_MAXIMUM),
            Self::FileError(_) => (StatusCode::BAD_REQUEST, codes::FILE_ERROR),
            Self::LessonNotFound(_) | Self::NoLesson => (StatusCode::NOT_FOUND, codes::LESSON_NOT_FOUND),
            Self::UnknownLesson(_) => (StatusCode::BAD_REQUEST, codes::LESSON_NOT_FOUND),
            Self::StepNotFound(_) | Self::BlockNotFound(_) => (StatusCode::NOT_FOUND, codes::NOT_FOUND),
            Self::NoCheck(_) => (StatusCode::BAD_REQUEST, codes::BAD_REQUEST),
            Self::SolutionsHidden => (StatusCode::FORBIDDEN, codes::SOLUTIONS_HIDDEN),
            Self::Draining => (StatusCode::SERVICE_UNAVAILABLE, codes::DRAINING),
            Self::AdminUnauthorized => (StatusCode::UNAUTHORIZED, codes::ADMIN_UNAUTHORIZED),
            Self::InstructorOnly => (StatusCode::UNAUTHORIZED, codes::UNAUTHORIZED),
            Self::ClassNotFound => (StatusCode::NOT_FOUND, codes::CLASS_NOT_FOUND),
            Self::ClassFull(_) => (StatusCode::CONFLICT, codes::CLASS_FULL),
            Self::ClassTooBig { .. } => (StatusCode::SERVICE_UNAVAILABLE, codes::OUT_OF_CAPACITY),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL),
        }
    }

    /// The body sent to clients (never the details of an internal error).
    pub fn to_api_error(&self) -> ApiError {
        let (_, code) = self.status_and_code();
        match self {
            // A node that failed to start says which step failed and why (the code stays).
            Self::Internal(e) => match e.chain().find(|c| c.is::<ProviderError>()) {
                Some(p) => ApiError::new(code, error_chain(p)),
                None => ApiError::new(code, "internal error; see the server log"),
            },
            other => ApiError::new(code, other.to_string()),
        }
    }
}

/// An error and its sources, `outer: inner: innermost` (as anyhow's `{:#}`).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        out.push_str(": ");
        out.push_str(&e.to_string());
        next = e.source();
    }
    out
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(err = ?err, "request failed");
        }
        let (status, code) = self.status_and_code();
        crate::metrics::METRICS.refused(code);
        let mut resp = (status, Json(self.to_api_error())).into_response();
        if let Self::RateLimited(wait) = &self {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.max(1).into());
        }
        resp
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
    async fn rate_limits_say_when_to_retry() {
        let resp = AppError::RateLimited(std::time::Duration::from_millis(1500)).into_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()["retry-after"], "2");
    }

    #[tokio::test]
    async fn internal_errors_hide_their_details() {
        let (status, body) = body_of(anyhow::anyhow!("secret path /x/y").into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body.code, "INTERNAL");
        assert!(!body.message.contains("secret"));
    }

    #[tokio::test]
    async fn lesson_errors_keep_their_codes() {
        let (status, body) = body_of(AppError::UnknownLesson("x".into())).await;
        assert_eq!((status, body.code.as_str()), (StatusCode::BAD_REQUEST, "LESSON_NOT_FOUND"));
        let (status, body) = body_of(AppError::NoLesson).await;
        assert_eq!((status, body.code.as_str()), (StatusCode::NOT_FOUND, "LESSON_NOT_FOUND"));
        let (status, body) = body_of(AppError::StepNotFound(9)).await;
        assert_eq!(body, ApiError::new("NOT_FOUND", "the lesson has no step 9"));
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn client_errors_keep_their_message() {
        let (status, body) = body_of(AppError::BadRequest("nodes must be 1..=5".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, ApiError::new("BAD_REQUEST", "nodes must be 1..=5"));
    }

    #[tokio::test]
    async fn a_failed_node_start_names_the_step_and_its_cause() {
        let step = sandbox::InitError::os(sandbox::Stage::RootMounts, "mount proc on /m/proc", nix::errno::Errno::ENOENT);
        let sb = sandbox::Error::Init { name: "ab-1".into(), source: step };
        let err = anyhow::Error::from(ProviderError::Create { key: "ab-1".into(), source: sb.into() });
        let (status, body) = body_of(err.context("starting session").into()).await;
        assert_eq!((status, body.code.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"));
        assert_eq!(
            body.message,
            "failed to create node ab-1: sandbox ab-1: setup failed: building the root filesystem: \
             mount proc on /m/proc: No such file or directory (os error 2)"
        );
    }
}
