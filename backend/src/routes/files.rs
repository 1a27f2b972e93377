//! `POST /api/sessions/{id}/nodes/{node}/files?path=…` (upload a file into a node), and the
//! parsing of `ss` output behind the ports list ([`super::ports`]).

use std::process::Stdio;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use protocol::{ActionResponse, ApiError};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::AuthorizedSession;
use crate::error::AppError;
use crate::exec::{read_chunk, Capped};
use crate::state::AppState;

/// Largest upload.
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// `?path=` of an upload.
#[derive(Deserialize)]
pub struct UploadQuery {
    path: String,
}

/// An absolute path without NUL, at most 4 KiB: what any path given for a node must be.
pub fn absolute_path(path: &str) -> bool {
    path.starts_with('/') && !path.contains('\0') && path.len() <= 4096
}

/// Checks an upload target: [`absolute_path`], and not a directory name.
pub fn valid_path(path: &str) -> Result<&str, AppError> {
    if absolute_path(path) && !path.ends_with('/') {
        Ok(path)
    } else {
        Err(AppError::BadRequest(format!("path must be an absolute file path, got {path:?}")))
    }
}

/// Writes the body to `path` in the node (parents created) → 201, or 507 when the node's disk is
/// full. The session is checked before the body is read, and the body is streamed into the node
/// as it arrives (never held whole); past [`MAX_UPLOAD_BYTES`] the upload stops with a 413 (the
/// bytes already written stay in the node's file).
pub async fn upload_file(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let id = session.id;
    let path = valid_path(&q.path)?.to_string();
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BYTES as u64) {
        return Err(AppError::PayloadTooLarge(MAX_UPLOAD_BYTES));
    }
    let handle = state.sessions.running_node(&id, &node)?;
    let _slot = state.limits.exec_slot(&id)?;
    // The path travels as an argument ($1), never inside the script text.
    let argv = ["/bin/sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\"", "upload", &path]
        .map(String::from);
    let mut cmd = tokio::process::Command::from(state.provider.command(&handle, &argv));
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| AppError::Internal(e.into()))?;
    let stdin = child.stdin.take().expect("piped");
    let mut stderr_pipe = child.stderr.take().expect("piped");
    let stderr_read = async move {
        let mut stderr = Capped::default();
        while !read_chunk(&mut stderr_pipe, &mut stderr).await {}
        stderr
    };
    let run = async { tokio::join!(stream_body(body, stdin), stderr_read, child.wait()) };
    let (written, stderr, status) = tokio::time::timeout(UPLOAD_TIMEOUT, run)
        .await
        .map_err(|_| AppError::BadRequest("upload timed out".into()))?;
    let status = status.map_err(|e| AppError::Internal(e.into()))?;
    // The node writes this text: its first MiB is read, the last 4 KiB shown.
    let stderr = crate::player::node_exec::tail(String::from_utf8_lossy(&stderr.bytes).trim(), 4096);
    tracing::info!(session_id = %id, node = %node, %path, ok = status.success(), "upload");
    match written {
        Ok(_) if status.success() => {
            let ok = ActionResponse { ok: true, output: String::new() };
            return Ok((StatusCode::CREATED, Json(ok)).into_response());
        }
        Err(UploadError::TooLarge) => return Err(AppError::PayloadTooLarge(MAX_UPLOAD_BYTES)),
        Err(UploadError::Body(e)) => return Err(AppError::BadRequest(format!("reading the upload failed: {e}"))),
        _ => {}
    }
    if stderr.contains("No space left") {
        let e = ApiError::new("DISK_FULL", format!("the node's disk is full: {stderr}"));
        return Ok((StatusCode::INSUFFICIENT_STORAGE, Json(e)).into_response());
    }
    Ok((StatusCode::BAD_REQUEST, Json(ApiError::new("UPLOAD_FAILED", stderr))).into_response())
}

/// Why streaming an upload into the node stopped early.
enum UploadError {
    /// The body went past [`MAX_UPLOAD_BYTES`].
    TooLarge,
    /// The client's body failed (connection closed mid-way…).
    Body(axum::Error),
    /// The node's side closed (its command failed: its stderr says why).
    Node,
}

/// Copies `body` into `stdin` chunk by chunk; closes `stdin` at the end (or on any failure, so
/// the node's `cat` stops). Returns the bytes written.
async fn stream_body(body: Body, mut stdin: tokio::process::ChildStdin) -> Result<usize, UploadError> {
    let mut stream = body.into_data_stream();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(UploadError::Body)?;
        total += chunk.len();
        if total > MAX_UPLOAD_BYTES {
            return Err(UploadError::TooLarge);
        }
        stdin.write_all(&chunk).await.map_err(|_| UploadError::Node)?;
    }
    drop(stdin);
    Ok(total)
}

/// Swarm's own ports: cluster management and gossip.
pub(crate) const SWARM_PORTS: &[u16] = &[2377, 7946];

/// Ports of `ss -Htln` lines whose local address is not loopback.
pub fn parse_ss(text: &str) -> Vec<u16> {
    let mut ports: Vec<u16> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3))
        .filter(|addr| !addr.starts_with("127.") && !addr.starts_with("[::1]"))
        .filter_map(|addr| addr.rsplit(':').next()?.parse().ok())
        .filter(|p| !SWARM_PORTS.contains(p))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_output_gives_public_ports_once() {
        let ss = "LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:*\n\
                  LISTEN 0 4096 [::]:8080 [::]:*\n\
                  LISTEN 0 4096 127.0.0.11:38401 0.0.0.0:*\n\
                  LISTEN 0 128 [::1]:631 [::]:*\n\
                  LISTEN 0 4096 *:2377 *:*\n\
                  LISTEN 0 511 10.100.3.11:80 0.0.0.0:*\n";
        assert_eq!(parse_ss(ss), vec![80, 8080]);
        assert!(parse_ss("").is_empty());
    }

    #[test]
    fn upload_paths_are_checked() {
        assert!(valid_path("/root/app/Dockerfile").is_ok());
        assert!(valid_path("relative.txt").is_err());
        assert!(valid_path("/root/").is_err());
        assert!(valid_path("/root/a\0b").is_err());
    }
}
