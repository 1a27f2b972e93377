//! REST calls of the playground: add, remove and reset nodes, upload files, list published ports.

use gloo_net::http::Request;
use protocol::{routes, NodeInfo, NodePorts};

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

/// `GET /api/sessions/{id}/ports`: every node's listening ports.
pub async fn list_session_ports(id: &str, token: &str) -> Result<Vec<NodePorts>, Error> {
    json(authorized(Request::get(&routes::session_ports(id)), token).send().await).await
}

/// Uploads `file` (raw body) to `/root/{its name}` in the node; returns the destination.
/// `progress` hears the share sent so far (0.0–1.0): XMLHttpRequest, because fetch reports no
/// upload progress.
pub async fn upload_file(
    id: &str,
    token: &str,
    node: &str,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> Result<String, Error> {
    let name = file.name();
    let url = upload_path(id, node, &name).ok_or_else(|| Error::Decode(name.clone()))?;
    send_with_progress(&url, token, file, progress).await?;
    Ok(format!("/root/{name}"))
}

#[cfg(target_arch = "wasm32")]
async fn send_with_progress(url: &str, token: &str, file: &web_sys::File, progress: impl Fn(f64) + 'static) -> Result<(), Error> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let js = |e: wasm_bindgen::JsValue| Error::Network(format!("{e:?}"));
    let xhr = web_sys::XmlHttpRequest::new().map_err(js)?;
    xhr.open("POST", url).map_err(js)?;
    xhr.set_request_header("Authorization", &format!("Bearer {token}")).map_err(js)?;
    xhr.set_request_header("Content-Type", "application/octet-stream").map_err(js)?;
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress(e.loaded() / e.total());
        }
    });
    xhr.upload().map_err(js)?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    // Resolves on load, error or abort alike; the status tells them apart.
    let done = js_sys::Promise::new(&mut |resolve, _| {
        let _ = xhr.add_event_listener_with_callback("loadend", &resolve);
    });
    xhr.send_with_opt_blob(Some(file)).map_err(js)?;
    wasm_bindgen_futures::JsFuture::from(done).await.map_err(js)?;
    drop(on_progress);
    match xhr.status().map_err(js)? {
        0 => Err(Error::Network("upload interrupted".into())),
        200..=299 => Ok(()),
        status => Err(Error::from_response(status, &xhr.response_text().ok().flatten().unwrap_or_default())),
    }
}

#[cfg(not(target_arch = "wasm32"))]
async fn send_with_progress(_: &str, _: &str, _: &web_sys::File, _: impl Fn(f64) + 'static) -> Result<(), Error> {
    Err(Error::Network("no browser".into()))
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
