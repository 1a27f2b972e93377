//! REST calls of the playground's extras: templates, extending a session, node stats, the file
//! browser (list, read, save, download).

use gloo_net::http::Request;
use protocol::{routes, CreateSessionRequest, CreateSessionResponse, FileList, NodeStats, SessionInfo, Template};

use super::api::{authorized, checked, create_session_with, json};
use super::node_api::node_path;
use super::terminal_proto::encode;
use crate::error::Error;

/// Largest file the editor opens (bigger ones are downloaded instead).
pub const MAX_EDIT_BYTES: u64 = 1 << 20;

/// `GET /api/templates`.
pub async fn templates() -> Result<Vec<Template>, Error> {
    json(Request::get(routes::TEMPLATES).send().await).await
}

/// `POST /api/sessions {"template": id}`.
pub async fn create_from_template(id: &str) -> Result<CreateSessionResponse, Error> {
    create_session_with(&CreateSessionRequest { template: Some(id.to_string()), ..Default::default() }).await
}

/// `POST /api/sessions/{id}/extend` → the session with its later end.
pub async fn extend(id: &str, token: &str) -> Result<SessionInfo, Error> {
    json(authorized(Request::post(&routes::extend(id)), token).send().await).await
}

/// `GET /api/sessions/{id}/nodes/{node}/stats`.
pub async fn stats(id: &str, token: &str, node: &str) -> Result<NodeStats, Error> {
    json(authorized(Request::get(&routes::node_stats(id, &encode(node))), token).send().await).await
}

/// `/api/sessions/{id}/nodes/{node}/files?path=…` (`&download=1` when `download`).
pub fn files_url(id: &str, node: &str, path: &str, download: bool) -> String {
    let extra = if download { "&download=1" } else { "" };
    format!("{}/files?path={}{extra}", node_path(id, node), encode(path))
}

/// Lists directory `path` of the node.
pub async fn list_dir(id: &str, token: &str, node: &str, path: &str) -> Result<FileList, Error> {
    json(authorized(Request::get(&files_url(id, node, path, false)), token).send().await).await
}

/// The bytes of file `path` (`download`: a directory comes as a tar).
pub async fn read_bytes(id: &str, token: &str, node: &str, path: &str, download: bool) -> Result<Vec<u8>, Error> {
    let resp = checked(authorized(Request::get(&files_url(id, node, path, download)), token).send().await).await?;
    resp.binary().await.map_err(|e| Error::Network(e.to_string()))
}

/// Saves `text` as file `path` of the node (`PUT`, parents created).
pub async fn save_text(id: &str, token: &str, node: &str, path: &str, text: &str) -> Result<(), Error> {
    let req = authorized(Request::put(&files_url(id, node, path, false)), token)
        .header("Content-Type", "application/octet-stream")
        .body(text.to_string())
        .map_err(|e| Error::Decode(e.to_string()))?;
    checked(req.send().await).await.map(drop)
}

/// `dir` joined with `name`.
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") }
}

/// The parent of `path` (`/` stays `/`).
pub fn parent(path: &str) -> String {
    match path.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((p, _)) => p.to_string(),
    }
}

/// Saves `bytes` as a file called `name` through the browser (a download link clicked).
#[cfg(target_arch = "wasm32")]
pub fn offer_download(name: &str, bytes: &[u8]) {
    use wasm_bindgen::JsCast;
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence(&parts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(a) = doc.and_then(|d| d.create_element("a").ok()).and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// Native builds (tests) have no browser.
#[cfg(not(target_arch = "wasm32"))]
pub fn offer_download(_name: &str, _bytes: &[u8]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_climb() {
        assert_eq!(join("/root", "a b"), "/root/a b");
        assert_eq!(join("/", "etc"), "/etc");
        assert_eq!(parent("/root/app"), "/root");
        assert_eq!(parent("/root"), "/");
        assert_eq!(parent("/"), "/");
        assert_eq!(
            files_url("s", "node1", "/root/my file", true),
            "/api/sessions/s/nodes/node1/files?path=%2Froot%2Fmy%20file&download=1"
        );
    }
}

/// `GET /api/sessions/{id}/ssh?node=` → the node's `ssh` command, when the server has SSH on.
pub async fn ssh(id: &str, token: &str, node: &str) -> Result<protocol::ssh::SshInfo, Error> {
    let url = format!("{}?node={}", routes::ssh(id), encode(node));
    json(authorized(Request::get(&url), token).send().await).await
}
