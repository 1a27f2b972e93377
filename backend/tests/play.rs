//! The playground's extras over the fake provider: templates, extending a session, node stats,
//! and the file browser (list, read, save, download).

mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn templates_are_listed_and_start_their_nodes() {
    let app = TestApp::new();
    let (status, body) = app.call(Method::GET, "/api/templates", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([
            {"id": "one-node", "name": {"es": "Un nodo", "en": "One node"}, "nodes": 1},
            {"id": "three-nodes", "name": {"es": "Tres nodos", "en": "Three nodes"}, "nodes": 3},
            {"id": "swarm-3m2w", "name": {"es": "Swarm: 3 managers + 2 workers", "en": "Swarm: 3 managers + 2 workers"}, "nodes": 5}
        ])
    );
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"template":"three-nodes"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let names: Vec<&str> = body["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["node1", "node2", "node3"]);
    assert!(body.get("setup").is_none(), "plain nodes have nothing to form: {body}");
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"template":"nope"}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BAD_REQUEST")));
    assert!(body["message"].as_str().unwrap().contains("GET /api/templates"), "{body}");
    // A server that allows fewer nodes does not offer the swarm.
    let small = TestApp::with(|c| c.max_nodes_per_session = 3);
    let (_, body) = small.call(Method::GET, "/api/templates", None, "").await;
    assert_eq!(body.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_swarm_template_never_runs_docker_outside_a_node() {
    // Fake nodes are host shells: forming a swarm there would reach the host's engine. The
    // formation checks each node's hostname first and reports the failure in `setup`.
    let app = TestApp::new();
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"template":"swarm-3m2w"}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["nodes"].as_array().unwrap().len(), 5);
    assert_eq!(body["setup"]["state"], "failed", "{body}");
    assert!(body["setup"]["message"].as_str().unwrap().contains("node1 is not a node of its own"), "{body}");
    let uri = format!("/api/sessions/{}", body["id"].as_str().unwrap());
    let (_, info) = app.call(Method::GET, &uri, body["token"].as_str(), "").await;
    assert_eq!(info["setup"]["state"], "failed");
}

#[tokio::test]
async fn extend_moves_the_end_up_to_the_maximum_then_409() {
    let app = TestApp::with(|c| {
        c.session_ttl = Duration::from_secs(3600);
        c.extend_step = Duration::from_secs(30 * 60);
        c.max_session = Duration::from_secs(100 * 60);
    });
    let (id, token) = app.create(1).await;
    let uri = format!("/api/sessions/{id}/extend");
    let (status, _) = app.call(Method::POST, &uri, Some("wrong"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, before) = app.call(Method::GET, &format!("/api/sessions/{id}"), Some(&token), "").await;
    let left0 = before["expires_in_secs"].as_u64().unwrap();
    let (status, first) = app.call(Method::POST, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let left1 = first["expires_in_secs"].as_u64().unwrap();
    assert!((left0 + 1800..=left0 + 1801).contains(&left1), "{left0} -> {left1}");
    assert_ne!(first["expires_at"], before["expires_at"]);
    // 60 + 30 = 90 min; the next step is cut at 100 min.
    let (status, second) = app.call(Method::POST, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
    let left2 = second["expires_in_secs"].as_u64().unwrap();
    assert!((left1 + 599..=left1 + 601).contains(&left2), "{left1} -> {left2}");
    let (status, body) = app.call(Method::POST, &uri, Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("SESSION_AT_MAXIMUM")));
    assert!(body["message"].as_str().unwrap().contains("100 minutes"), "{body}");
    // The later end is what GET says, and what the store keeps across a restart.
    let (_, after) = app.call(Method::GET, &format!("/api/sessions/{id}"), Some(&token), "").await;
    assert_eq!(after["expires_at"], second["expires_at"]);
    let stored = app.state.sessions.store().load_all().unwrap();
    let row = stored.iter().find(|(r, _)| r.id == id).unwrap();
    assert_eq!(backend::sessions::rfc3339(row.0.expires_at), second["expires_at"].as_str().unwrap());
}

#[tokio::test]
async fn node_stats_report_use_against_the_limits() {
    let app = TestApp::with(|c| {
        c.node_limits.memory_mb = 1024;
        c.node_limits.disk_mb = 2048;
        c.node_limits.cpus_milli = 500;
    });
    let (id, token) = app.create(1).await;
    let uri = format!("/api/sessions/{id}/nodes/node1/stats");
    let (status, before) = app.call(Method::GET, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["memory_limit_bytes"], 1024u64 << 20);
    assert_eq!(before["disk_limit_bytes"], 2048u64 << 20);
    assert_eq!(before["cpu_limit_milli"], 500);
    // The fake node's disk is its home: 100 KiB written there show up.
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    let (status, _) = app.call(Method::POST, &exec, Some(&token), r#"{"cmd":"head -c 102400 /dev/zero > big"}"#).await;
    assert_eq!(status, StatusCode::OK);
    let (_, after) = app.call(Method::GET, &uri, Some(&token), "").await;
    let grown = after["disk_bytes"].as_u64().unwrap() - before["disk_bytes"].as_u64().unwrap();
    assert_eq!(grown, 102_400, "{before} -> {after}");
    let (status, _) = app.call(Method::GET, &format!("/api/sessions/{id}/nodes/node9/stats"), Some(&token), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The fake node's home (its working directory).
async fn home(app: &TestApp, id: &str, token: &str) -> String {
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    let (_, out) = app.call(Method::POST, &exec, Some(token), r#"{"cmd":"pwd"}"#).await;
    out["stdout"].as_str().unwrap().trim().to_string()
}

fn files(id: &str, path: &str) -> String {
    let q: String = url_escape(path);
    format!("/api/sessions/{id}/nodes/node1/files?path={q}")
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"/-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn files_are_listed_read_saved_and_downloaded() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let home = home(&app, &id, &token).await;
    // Save (PUT) creates the file and its parents.
    let text = "print('hola')\n# 'quotes' \"and\" $HOME\n";
    let (status, body) = app.call(Method::PUT, &files(&id, &format!("{home}/app/main.py")), Some(&token), text).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, list) = app.call(Method::GET, &files(&id, &home), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["path"], home.as_str());
    let app_dir = list["entries"].as_array().unwrap().iter().find(|e| e["name"] == "app").unwrap();
    assert_eq!(app_dir["kind"], "dir");
    let (_, list) = app.call(Method::GET, &files(&id, &format!("{home}/app")), Some(&token), "").await;
    assert_eq!(list["entries"], json!([{"name": "main.py", "kind": "file", "size": text.len()}]));
    // Read: the bytes, never rendered in the app's origin.
    let (status, bytes) = app.call_raw(Method::GET, &files(&id, &format!("{home}/app/main.py")), Some(&token), "").await;
    assert_eq!((status, String::from_utf8(bytes).unwrap()), (StatusCode::OK, text.to_string()));
    // A directory downloads as a tar holding the file.
    let (status, tar) = app.call_raw(Method::GET, &format!("{}&download=1", files(&id, &format!("{home}/app"))), Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.tar"), &tar).unwrap();
    let out = std::process::Command::new("tar").arg("-tf").arg(tmp.path().join("a.tar")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l == "./main.py"), "{out:?}");
    // Bad paths and missing files are clear errors; no token, no files.
    let (status, body) = app.call(Method::GET, &files(&id, "relative"), Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BAD_REQUEST")));
    let (status, body) = app.call(Method::GET, &files(&id, &format!("{home}/nope")), Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("FILE_ERROR")));
    let (status, _) = app.call(Method::GET, &files(&id, &home), None, "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn download_headers_keep_node_bytes_out_of_the_app_origin() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let home = home(&app, &id, &token).await;
    let page = "<script>alert(1)</script>";
    app.call(Method::PUT, &files(&id, &format!("{home}/x.html")), Some(&token), page).await;
    let req = axum::http::Request::get(format!("{}&download=1", files(&id, &format!("{home}/x.html"))))
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(app.router(), req).await.unwrap();
    let h = resp.headers();
    assert_eq!(h["content-type"], "application/octet-stream");
    assert_eq!(h["content-security-policy"], "sandbox");
    assert_eq!(h["content-disposition"], "attachment; filename=\"x.html\"");
}
