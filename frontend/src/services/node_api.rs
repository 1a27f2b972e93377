//! REST calls of the playground: add, remove and reset nodes, upload files, list published ports.

use gloo_net::http::Request;
use protocol::{routes, NodeInfo, PortLink};

use super::api::{authorized, checked, json};
use super::terminal_proto::encode;
use crate::error::Error;

/// `/api/sessions/{id}/nodes/{node}`
pub fn node_path(id: &str, node: &str) -> String {
    format!("{}/{}", routes::nodes(id), encode(node))
}

/// `/api/sessions/{id}/nodes/{node}/files?path=/root/{file_name}`; `None` for names that are
/// not a plain file name (empty, `.`, `..`, or containing a slash).
pub fn upload_path(id: &str, node: &str, file_name: &str) -> Option<String> {
    if file_name.is_empty() || file_name == "." || file_name == ".." || file_name.contains('/') {
        return None;
    }
    let dest = format!("/root/{file_name}");
    Some(format!(
        "{}/files?path={}",
        node_path(id, node),
        encode(&dest)
    ))
}

/// `POST /api/sessions/{id}/nodes` → the new node.
pub async fn add_node(id: &str, token: &str) -> Result<NodeInfo, Error> {
    json(
        authorized(Request::post(&routes::nodes(id)), token)
            .send()
            .await,
    )
    .await
}

/// `DELETE /api/sessions/{id}/nodes/{node}`.
pub async fn remove_node(id: &str, token: &str, node: &str) -> Result<(), Error> {
    let req = authorized(Request::delete(&node_path(id, node)), token);
    checked(req.send().await).await.map(drop)
}

/// `POST /api/sessions/{id}/nodes/{node}/reset` → a fresh node of the same name and address.
pub async fn reset_node(id: &str, token: &str, node: &str) -> Result<NodeInfo, Error> {
    let url = routes::reset(id, &encode(node));
    json(authorized(Request::post(&url), token).send().await).await
}

/// `GET /api/sessions/{id}/nodes/{node}/ports` → ports listening in the node, each with the link
/// (its own origin, carrying a key for that port only) that opens it.
pub async fn list_ports(id: &str, token: &str, node: &str) -> Result<Vec<PortLink>, Error> {
    let url = format!("{}/ports", node_path(id, node));
    json(authorized(Request::get(&url), token).send().await).await
}

/// Uploads `file` (raw body) to `/root/{its name}` in the node; returns the destination.
pub async fn upload_file(
    id: &str,
    token: &str,
    node: &str,
    file: &web_sys::File,
) -> Result<String, Error> {
    let name = file.name();
    let url = upload_path(id, node, &name).ok_or_else(|| Error::Decode(name.clone()))?;
    let req = authorized(Request::post(&url), token)
        .header("Content-Type", "application/octet-stream")
        .body(wasm_bindgen::JsValue::from(file.clone()))
        .map_err(|e| Error::Decode(e.to_string()))?;
    checked(req.send().await).await?;
    Ok(format!("/root/{name}"))
}

/// `GET /api/sessions/{id}/nodes/{node}/terminals`: the node's running shells.
pub async fn list_terminals(id: &str, token: &str, node: &str) -> Result<Vec<u8>, Error> {
    let url = routes::terminals(id, &encode(node));
    let list: protocol::TerminalList = json(authorized(Request::get(&url), token).send().await).await?;
    Ok(list.terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_and_encoded() {
        assert_eq!(node_path("s1", "node2"), "/api/sessions/s1/nodes/node2");
        assert_eq!(
            upload_path("s1", "node1", "my app.tar").as_deref(),
            Some("/api/sessions/s1/nodes/node1/files?path=%2Froot%2Fmy%20app.tar")
        );
    }

    #[test]
    fn odd_file_names_are_refused() {
        for bad in ["", ".", "..", "a/b", "../etc/passwd"] {
            assert_eq!(upload_path("s", "node1", bad), None, "{bad:?}");
        }
        assert!(upload_path("s", "node1", ".bashrc").is_some());
    }
}
