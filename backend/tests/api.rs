//! The REST API over `tower::ServiceExt::oneshot`, with the fake provider.

mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestApp::new();
    let (status, body) = app.call_raw(Method::GET, "/healthz", None, "").await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"ok"[..]));
}

#[tokio::test]
async fn create_returns_201_with_the_documented_shape() {
    let app = TestApp::new();
    let (status, body) = app.call(Method::POST, "/api/sessions", None, "").await;
    assert_eq!(status, StatusCode::CREATED);
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["expires_at", "expires_in_secs", "id", "lesson", "nodes", "token"]);
    assert_eq!(body["nodes"], json!([{"name": "node1", "ip": "10.100.0.2", "status": "running"}]));
    assert_eq!(body["lesson"], json!(null));
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["token"].as_str().unwrap().len(), 64);
    // A lesson session takes its nodes from the lesson (tests/lessons_api.rs); this app has none.
    let (status, body) = app.call(Method::POST, "/api/sessions", None, r#"{"nodes":3,"lesson":"01-hello"}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("LESSON_NOT_FOUND")));
}

#[tokio::test]
async fn get_needs_the_right_token() {
    let app = TestApp::new();
    let (id, token) = app.create(2).await;
    let uri = format!("/api/sessions/{id}");
    let (status, body) = app.call(Method::GET, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["id"], id.as_str());
    assert!(body.get("token").is_none());
    assert_eq!(body["nodes"][1]["name"], "node2");
    let (status, body) = app.call(Method::GET, &uri, None, "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNAUTHORIZED")));
    let (status, _) = app.call(Method::GET, &uri, Some("wrong"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.call(Method::GET, "/api/sessions/nosuchsession", Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("SESSION_NOT_FOUND")));
}

#[tokio::test]
async fn delete_then_404() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let uri = format!("/api/sessions/{id}");
    let (status, _) = app.call(Method::DELETE, &uri, Some("wrong"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.call(Method::DELETE, &uri, Some(&token), "").await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, serde_json::Value::Null));
    let (status, _) = app.call(Method::GET, &uri, Some(&token), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(app.provider.networks().is_empty());
}

#[tokio::test]
async fn bad_bodies_and_node_counts_are_400() {
    let app = TestApp::new();
    for body in [r#"{"nodes":0}"#, r#"{"nodes":6}"#, r#"{"nodes":300}"#, r#"{"nodes":"two"}"#, "{nodes", r#"{"lesson":"../x"}"#] {
        let (status, json) = app.call(Method::POST, "/api/sessions", None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["code"], "BAD_REQUEST", "{body}");
        assert!(!json["message"].as_str().unwrap().is_empty());
    }
    let (id, token) = app.create(1).await;
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    for body in ["", "[]", r#"{"cmd":1}"#, r#"{"cmd":"true","timeout_secs":601}"#] {
        let (status, json) = app.call(Method::POST, &exec, Some(&token), body).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BAD_REQUEST")), "{body}");
    }
}

#[tokio::test]
async fn capacity_gives_503_out_of_capacity() {
    let app = TestApp::with(|c| c.max_nodes = 2);
    app.create(2).await;
    let (status, body) = app.call(Method::POST, "/api/sessions", None, "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({"code": "OUT_OF_CAPACITY", "message": "out of capacity, try again in a few minutes"}));
}

#[tokio::test]
async fn nodes_are_added_and_removed() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let nodes = format!("/api/sessions/{id}/nodes");
    let (status, body) = app.call(Method::POST, &nodes, Some(&token), "").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body, json!({"name": "node2", "ip": "10.100.0.3", "status": "running"}));
    let (status, _) = app.call(Method::POST, &nodes, Some("bad"), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.call(Method::DELETE, &format!("{nodes}/node1"), Some(&token), "").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.call(Method::DELETE, &format!("{nodes}/node9"), Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("NODE_NOT_FOUND")));
    for _ in 0..4 {
        assert_eq!(app.call(Method::POST, &nodes, Some(&token), "").await.0, StatusCode::CREATED);
    }
    let (status, body) = app.call(Method::POST, &nodes, Some(&token), "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("TOO_MANY_NODES")));
    let (_, info) = app.call(Method::GET, &format!("/api/sessions/{id}"), Some(&token), "").await;
    let names: Vec<_> = info["nodes"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["node1", "node2", "node3", "node4", "node5"]);
}

#[tokio::test]
async fn exec_runs_in_the_node() {
    let app = TestApp::new();
    let (id, token) = app.create(2).await;
    let exec = format!("/api/sessions/{id}/nodes/node2/exec");
    let (status, body) =
        app.call(Method::POST, &exec, Some(&token), r#"{"cmd":"echo $HOSTNAME; echo oops >&2; exit 7"}"#).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"exit_code": 7, "stdout": "node2\n", "stderr": "oops\n", "timed_out": false}));
    let (_, body) = app.call(Method::POST, &exec, Some(&token), r#"{"cmd":"sleep 20","timeout_secs":1}"#).await;
    assert_eq!((body["exit_code"].as_i64(), body["timed_out"].as_bool()), (Some(124), Some(true)));
    let (status, body) = app.call(Method::POST, &format!("/api/sessions/{id}/nodes/node7/exec"), Some(&token), r#"{"cmd":"true"}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("NODE_NOT_FOUND")));
}

#[tokio::test]
async fn unknown_api_paths_are_json_404_and_others_get_the_spa() {
    let app = TestApp::new();
    let dist = app.state.config.static_dir.clone();
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<html>muelle</html>").unwrap();
    std::fs::write(dist.join("app.js"), "console.log(1)").unwrap();
    let (status, body) = app.call(Method::GET, "/api/nope", None, "").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("NOT_FOUND")));
    let (status, body) = app.call_raw(Method::GET, "/lessons/01-hello", None, "").await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"<html>muelle</html>"[..]));
    let (status, body) = app.call_raw(Method::GET, "/app.js", None, "").await;
    assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"console.log(1)"[..]));
}
