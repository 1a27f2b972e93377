//! `GET /healthz`: liveness probe.

/// Answers `ok` while the server is up.
pub async fn healthz() -> &'static str {
    "ok"
}
