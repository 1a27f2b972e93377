//! `/api/admin`: the operator's view of the server. `GET /api/admin/sessions` (every live
//! session: age, nodes with memory and CPU, the client address that started it),
//! `DELETE /api/admin/sessions/{id}` (end one), `GET|POST|DELETE /api/admin/drain` (refuse new
//! sessions before maintenance; live ones go on until they end).
//!
//! Every route needs `Authorization: Bearer <credential>`, checked by [`admin_authorized`] alone:
//! the admin token (`MUELLE_ADMIN_TOKEN`, else the one `muelle serve` keeps in
//! `DATA_DIR/admin-token`) or an instructor token (the one in the link `muelle serve` prints,
//! or `muelle instructor token`). The `/admin` page of the front end calls these routes.

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;

use crate::error::AppError;
use crate::sessions::{now_unix, rfc3339};
use crate::state::AppState;

/// The file `muelle serve` keeps its admin token in when `MUELLE_ADMIN_TOKEN` is unset.
pub const TOKEN_FILE: &str = "admin-token";

/// Whether `bearer` (the request's `Authorization: Bearer` value) is an admin credential: the
/// admin token, or an instructor token of this server (the instructor runs the room and may end
/// a session or drain). The one place that decides. Session tokens are neither.
pub fn admin_authorized(state: &AppState, bearer: Option<&str>) -> bool {
    let Some(got) = bearer.map(str::trim).filter(|b| !b.is_empty()) else { return false };
    let admin = match &state.config.admin_token {
        Some(want) if !want.is_empty() => {
            use crate::sessions::alloc::{digests_match, token_digest};
            digests_match(&token_digest(want), &token_digest(got))
        }
        _ => false,
    };
    admin || super::instructor::instructor_bearer_ok(state, got)
}

/// A request [`admin_authorized`] let through.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let bearer = super::auth::bearer(&parts.headers).ok();
        if admin_authorized(state, bearer) {
            Ok(Admin)
        } else {
            Err(AppError::AdminUnauthorized)
        }
    }
}

/// The admin routes, nested under `/api/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sessions", get(list_sessions))
        .route("/admin/sessions/{id}", delete(end_session))
        .route("/admin/drain", get(drain_status).post(start_drain).delete(stop_drain))
}

/// One session as the admin sees it.
#[derive(Debug, Serialize)]
pub struct AdminSession {
    /// Session id.
    pub id: String,
    /// When it started (RFC 3339).
    pub created_at: String,
    /// Seconds since it started.
    pub age_secs: u64,
    /// Seconds until it expires.
    pub expires_in_secs: u64,
    /// Its lesson, if any.
    pub lesson: Option<String>,
    /// The address that started it (`null` for sessions started before this process).
    pub client: Option<IpAddr>,
    /// The class it is a seat of, if any.
    pub class: Option<AdminClass>,
    /// Its nodes.
    pub nodes: Vec<AdminNode>,
}

/// One node of [`AdminSession`].
#[derive(Debug, Serialize)]
pub struct AdminNode {
    /// `node1`…
    pub name: String,
    /// `starting`, `running`, …
    pub status: protocol::NodeStatus,
    /// Memory in use, bytes (`null` where unknown).
    pub memory_bytes: Option<u64>,
    /// CPU time used so far, microseconds (`null` where unknown).
    pub cpu_usec: Option<u64>,
}

/// The class of an [`AdminSession`].
#[derive(Debug, Serialize)]
pub struct AdminClass {
    /// Class id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The student's name.
    pub student: String,
}

/// The class and student of session `id`, if it is a class seat (`None` on a store error too:
/// the list is a view, not worth failing for).
fn class_of(store: &crate::store::Store, id: &str) -> Option<AdminClass> {
    use crate::classes::db;
    let student = db::student_by_session(store, id).ok()??;
    let class = db::class(store, &student.class_id).ok()??;
    Some(AdminClass { id: class.id, name: class.name, student: student.name })
}

/// Live sessions and whether the server drains.
#[derive(Debug, Serialize)]
pub struct AdminSessions {
    /// Oldest first.
    pub sessions: Vec<AdminSession>,
    /// New sessions are refused.
    pub draining: bool,
}

async fn list_sessions(_: Admin, State(state): State<AppState>) -> Result<Json<AdminSessions>, AppError> {
    let now = now_unix();
    let snapshot = state.sessions.snapshot();
    let clients = state.ops.clients_of(snapshot.iter().map(|(row, _)| row.id.as_str()));
    let provider = state.provider.clone();
    let classes = state.classes.clone();
    // Reading cgroup files and the store blocks.
    let sessions = tokio::task::spawn_blocking(move || {
        snapshot
            .into_iter()
            .zip(clients)
            .map(|((row, nodes), client)| AdminSession {
                created_at: rfc3339(row.created_at),
                age_secs: u64::try_from(now - row.created_at).unwrap_or(0),
                expires_in_secs: u64::try_from(row.expires_at - now).unwrap_or(0),
                lesson: row.lesson,
                client,
                class: class_of(classes.store(), &row.id),
                nodes: nodes
                    .iter()
                    .map(|n| {
                        let usage = (n.status == protocol::NodeStatus::Running).then(|| provider.node_usage(&n.handle)).flatten();
                        AdminNode {
                            name: n.handle.name.clone(),
                            status: n.status,
                            memory_bytes: usage.map(|u| u.0),
                            cpu_usec: usage.map(|u| u.1),
                        }
                    })
                    .collect(),
                id: row.id,
            })
            .collect()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("listing sessions: {e}")))?;
    Ok(Json(AdminSessions { sessions, draining: state.ops.draining.load(Ordering::Relaxed) }))
}

async fn end_session(_: Admin, State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    if !state.sessions.snapshot().iter().any(|(row, _)| row.id == id) {
        return Err(AppError::SessionNotFound);
    }
    state.sessions.delete(&id).await?;
    tracing::info!(session_id = %id, "session ended by the admin");
    Ok(StatusCode::NO_CONTENT)
}

/// Whether the server drains, and how many sessions are still live.
#[derive(Debug, Serialize)]
pub struct DrainStatus {
    /// New sessions are refused.
    pub draining: bool,
    /// Sessions still live.
    pub live_sessions: u64,
}

fn drain_status_of(state: &AppState) -> Json<DrainStatus> {
    let live = u64::try_from(state.sessions.snapshot().len()).unwrap_or(u64::MAX);
    Json(DrainStatus { draining: state.ops.draining.load(Ordering::Relaxed), live_sessions: live })
}

async fn drain_status(_: Admin, State(state): State<AppState>) -> Json<DrainStatus> {
    drain_status_of(&state)
}

async fn start_drain(_: Admin, State(state): State<AppState>) -> Json<DrainStatus> {
    if !state.ops.draining.swap(true, Ordering::Relaxed) {
        tracing::warn!("draining: new sessions are refused until the server restarts or the drain is lifted");
    }
    drain_status_of(&state)
}

async fn stop_drain(_: Admin, State(state): State<AppState>) -> Json<DrainStatus> {
    if state.ops.draining.swap(false, Ordering::Relaxed) {
        tracing::info!("drain lifted: new sessions are accepted again");
    }
    drain_status_of(&state)
}

/// `DATA_DIR/admin-token`: read, or made (random, mode 0600) if missing. What `muelle serve`
/// uses when `MUELLE_ADMIN_TOKEN` is unset.
pub fn load_or_create_token(data_dir: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(TOKEN_FILE);
    match std::fs::read_to_string(&path) {
        Ok(s) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    let token = crate::sessions::alloc::new_token();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(f, "{token}").with_context(|| format!("writing {}", path.display()))?;
    Ok(token)
}
