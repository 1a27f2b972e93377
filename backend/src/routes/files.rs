//! `POST /api/sessions/{id}/nodes/{node}/files?path=…` (upload a file into a node), and the
//! parsing of `ss` output behind the ports list ([`super::ports`]).

use std::process::Stdio;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ActionResponse, ApiError};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::bearer;
use crate::error::AppError;
use crate::server::AppState;

/// Largest upload.
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(120);

/// `?path=` of an upload.
#[derive(Deserialize)]
pub struct UploadQuery {
    path: String,
}

/// Checks an upload target: absolute, no NUL, not a directory name, at most 4 KiB.
pub fn valid_path(path: &str) -> Result<&str, AppError> {
    let ok = path.starts_with('/') && !path.ends_with('/') && !path.contains('\0') && path.len() <= 4096;
    if ok {
        Ok(path)
    } else {
        Err(AppError::BadRequest(format!("path must be an absolute file path, got {path:?}")))
    }
}

/// Writes the body to `path` in the node (parents created) → 201, or 507 when the node's disk is full.
pub async fn upload_file(
    State(state): State<AppState>,
    Path((id, node)): Path<(String, String)>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    state.sessions.authorize(&id, bearer(&headers)?)?;
    let path = valid_path(&q.path)?.to_string();
    let handle = state.sessions.running_node(&id, &node)?;
    // The path travels as an argument ($1), never inside the script text.
    let argv = ["/bin/sh", "-c", "mkdir -p -- \"$(dirname -- \"$1\")\" && cat > \"$1\"", "upload", &path]
        .map(String::from);
    let mut cmd = tokio::process::Command::from(state.provider.command(&handle, &argv));
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| AppError::Internal(e.into()))?;
    let mut stdin = child.stdin.take().expect("piped");
    let write = async move {
        let r = stdin.write_all(&body).await;
        drop(stdin);
        r
    };
    let (written, out) = tokio::time::timeout(UPLOAD_TIMEOUT, async { tokio::join!(write, child.wait_with_output()) })
        .await
        .map_err(|_| AppError::BadRequest("upload timed out".into()))?;
    let out = out.map_err(|e| AppError::Internal(e.into()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    tracing::info!(session_id = %id, node = %node, %path, ok = out.status.success(), "upload");
    if out.status.success() && written.is_ok() {
        let ok = ActionResponse { ok: true, output: String::new() };
        return Ok((StatusCode::CREATED, Json(ok)).into_response());
    }
    if stderr.contains("No space left") {
        let e = ApiError::new("DISK_FULL", format!("the node's disk is full: {stderr}"));
        return Ok((StatusCode::INSUFFICIENT_STORAGE, Json(e)).into_response());
    }
    Ok((StatusCode::BAD_REQUEST, Json(ApiError::new("UPLOAD_FAILED", stderr))).into_response())
}

/// Swarm's own ports: cluster management and gossip.
const SWARM_PORTS: &[u16] = &[2377, 7946];

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
