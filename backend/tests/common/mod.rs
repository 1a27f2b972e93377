//! Shared set-up for the backend's HTTP and WebSocket tests: an app over the fake provider.
#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use backend::provider::fake::FakeProvider;
use backend::{AppState, Config, SessionRegistry};
use tower::ServiceExt;

/// An app with its temp dir and fake provider.
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub provider: Arc<FakeProvider>,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with(|_| {})
    }

    pub fn with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            bind: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().join("data"),
            static_dir: dir.path().join("dist"),
            ..Config::default()
        };
        tweak(&mut config);
        let config = Arc::new(config);
        let provider = Arc::new(FakeProvider::new(dir.path().join("nodes")));
        let sessions = Arc::new(SessionRegistry::open(config.clone(), provider.clone()).unwrap());
        let state = AppState::new(config, sessions, provider.clone());
        Self { dir, state, provider }
    }

    pub fn router(&self) -> Router {
        backend::app(self.state.clone())
    }

    /// Sends one request; returns the status and the body parsed as JSON (Null if empty).
    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, serde_json::Value) {
        let (status, bytes) = self.call_raw(method, uri, token, body).await;
        let json = if bytes.is_empty() { serde_json::Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, json)
    }

    pub async fn call_raw(&self, method: Method, uri: &str, token: Option<&str>, body: &str) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        if method_has_json_body(&req) {
            req = req.header("content-type", "application/json");
        }
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let resp = self.router().oneshot(req.body(Body::from(body.to_string())).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, bytes.to_vec())
    }

    /// Creates a session with `nodes` nodes; returns (id, token).
    pub async fn create(&self, nodes: u8) -> (String, String) {
        let (status, body) =
            self.call(Method::POST, "/api/sessions", None, &format!(r#"{{"nodes":{nodes}}}"#)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (body["id"].as_str().unwrap().to_string(), body["token"].as_str().unwrap().to_string())
    }

    /// Serves the app on 127.0.0.1:0; returns its address.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (app, limits) = (self.router(), self.state.config.limits.clone());
        tokio::spawn(async move { backend::serve::serve(listener, app, &limits, std::future::pending()).await.unwrap() });
        addr
    }
}

/// Whether a request is a POST (sent as JSON, as the frontend does: session creation needs it).
fn method_has_json_body(req: &axum::http::request::Builder) -> bool {
    req.method_ref() == Some(&Method::POST)
}

/// Copies the lesson files (`*.md`, at any depth) of `from` into `to`, each written at the time
/// `at` gives for its path relative to `from`: lint blames the newer of two translations that
/// disagree, so tests set the times instead of taking git's checkout order.
pub fn copy_lessons(from: &std::path::Path, to: &std::path::Path, at: &dyn Fn(&std::path::Path) -> std::time::SystemTime) {
    fn walk(root: &std::path::Path, dir: &std::path::Path, to: &std::path::Path, at: &dyn Fn(&std::path::Path) -> std::time::SystemTime) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap();
            if path.is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
                walk(root, &path, to, at);
            } else if path.extension().is_some_and(|e| e == "md") {
                std::fs::copy(&path, to.join(rel)).unwrap();
                std::fs::File::options().write(true).open(to.join(rel)).unwrap().set_modified(at(rel)).unwrap();
            }
        }
    }
    walk(from, from, to, at);
}
