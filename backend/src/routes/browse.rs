//! `GET /api/sessions/{id}/nodes/{node}/files?path=…[&download=1]`: the file browser. A directory
//! answers its listing (JSON), or a tar of it with `download=1`; a file answers its bytes (as
//! an attachment with `download=1`). Everything runs inside the node (as the upload does): the
//! path is an argument of a command in the node, never a host path. Saving is `PUT` on the same
//! URL (the upload handler, [`super::files::upload_file`]).

use std::process::Stdio;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{FileEntry, FileKind, FileList};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

use super::AuthorizedSession;
use crate::error::AppError;
use crate::provider::NodeHandle;
use crate::state::AppState;

/// Most entries a listing returns.
pub const MAX_ENTRIES: usize = 2000;
/// Most bytes a download sends (a file or a directory's tar); past it the body is cut off.
pub const MAX_DOWNLOAD_BYTES: u64 = 256 << 20;
/// Longest a download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// Time limit of the type check and of a listing.
const LIST_TIMEOUT: Duration = Duration::from_secs(15);

/// Tells what `$1` is: `dir`, `file` or `none` (a device, a socket, nothing).
const WHAT_SCRIPT: &str = r#"if [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; else echo none; fi"#;
/// Lists `$1`: `type<TAB>size<TAB>name<NUL>` per entry, at most `$2` of them.
const LIST_SCRIPT: &str = r#"cd -- "$1" && find . -mindepth 1 -maxdepth 1 -printf '%y\t%s\t%f\0' | head -z -n "$2""#;
/// A tar of directory `$1`'s contents.
const TAR_SCRIPT: &str = r#"cd -- "$1" && exec tar -cf - -- ."#;
/// The bytes of file `$1`.
const CAT_SCRIPT: &str = r#"exec cat -- "$1""#;

/// `?path=…&download=1`.
#[derive(Deserialize)]
pub struct FilesQuery {
    path: String,
    #[serde(default)]
    download: Option<String>,
}

/// Checks a browsed path: [`super::files::absolute_path`] (a directory may end in `/`).
pub fn valid_browse_path(path: &str) -> Result<&str, AppError> {
    if super::files::absolute_path(path) {
        Ok(path)
    } else {
        Err(AppError::BadRequest(format!("path must be absolute, got {path:?}")))
    }
}

/// Lists a directory, or sends a file or a directory's tar (see the module docs).
pub async fn get_files(
    State(state): State<AppState>,
    session: AuthorizedSession,
    Path((_, node)): Path<(String, String)>,
    Query(q): Query<FilesQuery>,
) -> Result<Response, AppError> {
    let path = valid_browse_path(&q.path)?.to_string();
    let download = q.download.as_deref().is_some_and(|d| d == "1" || d == "true");
    let handle = state.sessions.running_node(&session.id, &node)?;
    let slot = state.limits.exec_slot(&session.id)?;
    let what = sh(&state, &handle, WHAT_SCRIPT, &[&path], LIST_TIMEOUT).await?;
    match what.stdout.trim() {
        "dir" if download => {
            let name = format!("{}.tar", base_name(&path).unwrap_or(&node));
            stream(&state, &handle, TAR_SCRIPT, &path, Some(&name), "application/x-tar", slot)
        }
        "dir" => {
            let limit = (MAX_ENTRIES + 1).to_string();
            let out = sh(&state, &handle, LIST_SCRIPT, &[&path, &limit], LIST_TIMEOUT).await?;
            if out.exit_code != 0 {
                return Err(AppError::FileError(format!("cannot list {path}: {}", out.stderr.trim())));
            }
            Ok(Json(parse_listing(&path, &out.stdout)).into_response())
        }
        "file" => {
            let name = download.then(|| base_name(&path).unwrap_or("file").to_string());
            stream(&state, &handle, CAT_SCRIPT, &path, name.as_deref(), "application/octet-stream", slot)
        }
        _ => Err(AppError::FileError(format!("{path} is not a file or a directory in {node}"))),
    }
}

/// The last component of `path`, if it has one.
fn base_name(path: &str) -> Option<&str> {
    path.trim_end_matches('/').rsplit('/').next().filter(|n| !n.is_empty())
}

/// Runs `script` with `args` as `$1…` in the node, output captured.
async fn sh(
    state: &AppState,
    node: &NodeHandle,
    script: &str,
    args: &[&str],
    limit: Duration,
) -> Result<protocol::ExecResponse, AppError> {
    let mut argv = vec!["/bin/sh".to_string(), "-c".into(), script.into(), "muelle-files".into()];
    argv.extend(args.iter().map(|a| a.to_string()));
    Ok(crate::exec::run(state.provider.command(node, &argv), limit).await?)
}

/// `find -printf '%y\t%s\t%f\0'` output (untrusted: the node writes it) as a listing, directories
/// first, then by name; lines that do not parse are skipped.
pub fn parse_listing(path: &str, out: &str) -> FileList {
    let mut entries: Vec<FileEntry> = out
        .split('\0')
        .filter_map(|rec| {
            let mut parts = rec.splitn(3, '\t');
            let kind = match parts.next()? {
                "d" => FileKind::Dir,
                "f" => FileKind::File,
                "l" => FileKind::Link,
                "" => return None,
                _ => FileKind::Other,
            };
            let size = parts.next()?.parse().ok()?;
            let name = parts.next()?;
            let ok = !name.is_empty() && name != "." && name != ".." && !name.contains('/') && name.len() <= 1024;
            ok.then(|| FileEntry { name: name.to_string(), kind, size })
        })
        .collect();
    let truncated = entries.len() > MAX_ENTRIES;
    entries.truncate(MAX_ENTRIES);
    entries.sort_by(|a, b| (a.kind != FileKind::Dir, &a.name).cmp(&(b.kind != FileKind::Dir, &b.name)));
    FileList { path: path.to_string(), entries, truncated }
}

/// Streams the stdout of `script $path` in the node as the response body, at most
/// [`MAX_DOWNLOAD_BYTES`] and [`DOWNLOAD_TIMEOUT`]; `attachment` names the file to save.
/// The exec slot is held until the body ends.
fn stream<S: Send + 'static>(
    state: &AppState,
    node: &NodeHandle,
    script: &str,
    path: &str,
    attachment: Option<&str>,
    content_type: &'static str,
    slot: S,
) -> Result<Response, AppError> {
    let argv = ["/bin/sh", "-c", script, "muelle-files", path].map(String::from);
    let mut cmd = tokio::process::Command::from(state.provider.command(node, &argv));
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| AppError::Internal(e.into()))?;
    let stdout = child.stdout.take().expect("piped");
    let deadline = tokio::time::Instant::now() + DOWNLOAD_TIMEOUT;
    let body = futures_util::stream::unfold(
        Some((stdout, child, 0u64, slot)),
        move |st| async move {
            let (mut out, child, sent, slot) = st?;
            let mut buf = vec![0u8; 64 << 10];
            let n = match tokio::time::timeout_at(deadline, out.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                // End, a read error or the time limit: the body ends (a cut download is short).
                _ => return None,
            };
            let room = MAX_DOWNLOAD_BYTES.saturating_sub(sent);
            let n = n.min(usize::try_from(room).unwrap_or(usize::MAX));
            if n == 0 {
                return None;
            }
            buf.truncate(n);
            let next = Some((out, child, sent + n as u64, slot));
            Some((Ok::<_, std::io::Error>(Bytes::from(buf)), next))
        },
    );
    let mut resp = Body::from_stream(body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Bytes from a node: never rendered or run in the app's origin.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(name) = attachment {
        let safe: String = name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_are_parsed_dirs_first_and_odd_records_dropped() {
        let out = "f\t12\tb.txt\0d\t4096\tsrc\0l\t7\tlink\0f\tx\tbad-size\0f\t1\ta/b\0s\t0\tsock\0f\t3\tname\twith tab\0";
        let l = parse_listing("/root", out);
        let names: Vec<_> = l.entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            names,
            [("src", FileKind::Dir), ("b.txt", FileKind::File), ("link", FileKind::Link), ("name\twith tab", FileKind::File), ("sock", FileKind::Other)]
        );
        assert!(!l.truncated);
        let many: String = (0..=MAX_ENTRIES).map(|i| format!("f\t1\tf{i}\0")).collect();
        let l = parse_listing("/", &many);
        assert_eq!((l.entries.len(), l.truncated), (MAX_ENTRIES, true));
    }

    #[test]
    fn browse_paths_and_names() {
        assert!(valid_browse_path("/").is_ok());
        assert!(valid_browse_path("root").is_err());
        assert!(valid_browse_path("/a\0").is_err());
        assert_eq!(base_name("/root/app/"), Some("app"));
        assert_eq!(base_name("/"), None);
    }
}
