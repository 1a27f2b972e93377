//! `GET /healthz` (liveness), `GET /readyz` (readiness: may a new session start here now?) and
//! `GET /metrics` (Prometheus text, [`crate::metrics`]).

use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::config::SandboxKind;
use crate::state::AppState;

/// Answers `ok` while the server is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Why a new session could not start now; empty = ready.
pub fn not_ready_reasons(state: &AppState) -> Vec<String> {
    let config = &state.config;
    let mut reasons = Vec::new();
    if state.ops.draining.load(Ordering::Relaxed) {
        reasons.push("draining: new sessions are refused before maintenance".to_string());
    }
    if config.sandbox == SandboxKind::Real {
        let paths = crate::images::builder::ImagePaths::new(&config.data_dir);
        if !paths.node_ready() {
            reasons.push(format!("images: no complete node image at {} yet (`muelle images build`)", paths.node_rootfs.display()));
        }
    }
    let live = state.sessions.live_nodes();
    if live >= config.max_nodes {
        reasons.push(format!("capacity: {live} of {} nodes live (MUELLE_MAX_NODES)", config.max_nodes));
    }
    if super::admission::check_disk(config, live, 1).is_err() {
        reasons.push(format!("capacity: less free disk than MUELLE_DISK_RESERVE_MB on {}", config.data_dir.display()));
    }
    reasons
}

/// 200 `{"ready": true}` when a session can start now, else 503 with the reasons (images still
/// missing, nodes or disk exhausted, draining). A load balancer sends students elsewhere then;
/// `/healthz` stays 200 (the process is fine, do not restart it).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let reasons = not_ready_reasons(&state);
    let status = if reasons.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(serde_json::json!({ "ready": reasons.is_empty(), "reasons": reasons }))).into_response()
}

/// The Prometheus exposition of [`crate::metrics::METRICS`] and this backend's gauges.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = crate::metrics::Gauges {
        sessions: u64::try_from(state.sessions.session_ids().len()).unwrap_or(u64::MAX),
        nodes: u64::from(state.sessions.live_nodes()),
        pool_ready: u64::try_from(state.provider.pool_ready()).unwrap_or(u64::MAX),
        pool_size: u64::try_from(state.config.pool_size).unwrap_or(u64::MAX),
        draining: state.ops.draining.load(Ordering::Relaxed),
        ready: not_ready_reasons(&state).is_empty(),
    };
    let text = crate::metrics::render(&crate::metrics::METRICS, gauges);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
