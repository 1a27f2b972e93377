//! Issue 7's HTTP-side limits with the fake provider: the session is checked before a body is
//! read, body limits, admission of new sessions (JSON, origin, join code, rate, disk), execs and
//! terminals per session, security headers and the host allowlist, and connections (header
//! timeout, connection cap).

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestApp;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// Sends `req` (raw HTTP/1.1) and reads the answer's status line, waiting at most `limit`.
async fn raw(addr: std::net::SocketAddr, req: &[u8], limit: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(req).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(limit, s.read(&mut buf)).await.expect("no answer in time").unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// One request with explicit headers; returns status, headers and JSON body (Null if not JSON).
async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = app.router().oneshot(req).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn post_session(content_type: Option<&str>, origin: Option<&str>, body: &str) -> Request<Body> {
    let mut req = Request::post("/api/sessions").header("host", "muelle.test:8080");
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn an_upload_without_the_token_is_answered_before_its_body_is_read() {
    let app = TestApp::new();
    let (id, _) = app.create(1).await;
    let addr = app.serve().await;
    // 60 MB announced, 5 bytes sent: an answer now means the body was never waited for.
    for (session, auth) in [("nosuchsession", "Authorization: Bearer abc\r\n"), (id.as_str(), ""), (id.as_str(), "Authorization: Bearer wrong\r\n")] {
        let req = format!(
            "POST /api/sessions/{session}/nodes/node1/files?path=/tmp/x HTTP/1.1\r\nHost: t\r\n{auth}\
             Content-Length: 60000000\r\n\r\nhello"
        );
        let started = Instant::now();
        let head = raw(addr, req.as_bytes(), Duration::from_secs(3)).await;
        let want = if session == "nosuchsession" { "404" } else { "401" };
        assert!(head.starts_with(&format!("HTTP/1.1 {want}")), "{session}: {head}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}

#[tokio::test]
async fn uploads_stream_within_their_limit_and_json_routes_take_64_kib() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let target = app.dir.path().join("up.bin");
    let uri = format!("/api/sessions/{id}/nodes/node1/files?path={}", target.display());
    let data = vec![b'u'; 3 << 20];
    let req = Request::post(&uri).header("authorization", format!("Bearer {token}")).body(Body::from(data.clone()));
    let (status, _, _) = send(&app, req.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(std::fs::read(&target).unwrap(), data);
    // Announced too large: refused before anything runs.
    let req = Request::post(&uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-length", (64u64 << 20) + 1)
        .body(Body::empty());
    let (status, _, body) = send(&app, req.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE")));
    // Streamed (no length) past the limit: cut off with the same answer.
    let chunks = futures_util::stream::iter((0..65).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1 << 20])));
    let req = Request::post(&uri).header("authorization", format!("Bearer {token}")).body(Body::from_stream(chunks));
    let (status, _, body) = send(&app, req.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE")));
    // A JSON route takes 64 KiB.
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    let big = format!(r#"{{"cmd":"true #{}"}}"#, "x".repeat(70 << 10));
    let (status, body) = app.call(Method::POST, &exec, Some(&token), &big).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("PAYLOAD_TOO_LARGE")));
}

#[tokio::test]
async fn exec_output_is_capped_and_says_so() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    let cmd = r#"{"cmd":"head -c 5000000 /dev/zero | tr '\\0' o; head -c 3000000 /dev/zero | tr '\\0' e >&2"}"#;
    let (status, body) = app.call(Method::POST, &exec, Some(&token), cmd).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["stdout"].as_str().unwrap().len(), 1 << 20);
    assert_eq!(body["stderr"].as_str().unwrap().len(), 1 << 20);
    assert_eq!(body["truncated"], true);
}

#[tokio::test]
async fn a_session_runs_at_most_its_cap_of_execs_at_once() {
    let app = TestApp::with(|c| c.limits.max_execs_per_session = 3);
    let (id, token) = app.create(1).await;
    let exec = format!("/api/sessions/{id}/nodes/node1/exec");
    let slow: Vec<_> = (0..3)
        .map(|_| {
            let (app_router, exec, token) = (app.router(), exec.clone(), token.clone());
            tokio::spawn(async move {
                let req = Request::post(&exec)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::from(r#"{"cmd":"sleep 2"}"#))
                    .unwrap();
                app_router.oneshot(req).await.unwrap().status()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, body) = app.call(Method::POST, &exec, Some(&token), r#"{"cmd":"true"}"#).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("TOO_MANY_EXECS")));
    // Another session is not affected.
    let (other, other_token) = app.create(1).await;
    let (status, _) =
        app.call(Method::POST, &format!("/api/sessions/{other}/nodes/node1/exec"), Some(&other_token), r#"{"cmd":"true"}"#).await;
    assert_eq!(status, StatusCode::OK);
    for s in slow {
        assert_eq!(s.await.unwrap(), StatusCode::OK);
    }
    let (status, _) = app.call(Method::POST, &exec, Some(&token), r#"{"cmd":"true"}"#).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sessions_need_same_origin_json() {
    let app = TestApp::new();
    let (status, _, body) = send(&app, post_session(Some("text/plain"), Some("https://evil.example"), "{}")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN_ORIGIN")));
    assert!(body["message"].as_str().unwrap().contains("https://evil.example"), "{body}");
    let (status, _, body) = send(&app, post_session(Some("text/plain"), None, "{}")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("UNSUPPORTED_MEDIA_TYPE")));
    let (status, _, body) = send(&app, post_session(None, Some("http://muelle.test:8080"), "")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("UNSUPPORTED_MEDIA_TYPE")));
    let form = "application/x-www-form-urlencoded";
    let (status, _, _) = send(&app, post_session(Some(form), Some("http://muelle.test:8080"), "nodes=1")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, body) = send(&app, post_session(Some("application/json"), Some("http://muelle.test:8080"), "{}")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _, _) = send(&app, post_session(Some("application/json"), None, "")).await;
    assert_eq!(status, StatusCode::CREATED);
    let allowed = TestApp::with(|c| c.limits.allowed_origins = vec!["https://muelle.school.lan".into()]);
    let req = post_session(Some("application/json"), Some("https://muelle.school.lan"), "{}");
    assert_eq!(send(&allowed, req).await.0, StatusCode::CREATED);
}

#[tokio::test]
async fn a_join_code_is_asked_for_when_set() {
    let open = TestApp::new();
    let (status, body) = open.call(Method::GET, "/api/config", None, "").await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!({"join_code_required": false})));
    let app = TestApp::with(|c| c.limits.join_code = Some("clase-3b".into()));
    assert_eq!(app.call(Method::GET, "/api/config", None, "").await.1["join_code_required"], true);
    for body in ["", "{}", r#"{"join_code":"clase-3c"}"#] {
        let (status, json) = app.call(Method::POST, "/api/sessions", None, body).await;
        assert_eq!((status, json["code"].as_str()), (StatusCode::FORBIDDEN, Some("JOIN_CODE_REQUIRED")), "{body}");
    }
    let (status, json) = app.call(Method::POST, "/api/sessions", None, r#"{"join_code":"clase-3b","nodes":2}"#).await;
    assert_eq!(status, StatusCode::CREATED, "{json}");
    assert_eq!(json["nodes"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn session_creation_is_rate_limited_per_address() {
    let app = TestApp::with(|c| {
        c.limits.session_rate_per_minute = 2;
        c.limits.session_rate_burst = 3;
    });
    let addr = app.serve().await;
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/api/sessions");
    for _ in 0..3 {
        let r = http.post(&url).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = http.post(&url).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "Retry-After: {wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "RATE_LIMITED");
}

#[tokio::test]
async fn no_new_nodes_when_the_disk_is_nearly_full() {
    let app = TestApp::with(|c| c.limits.disk_reserve_mb = u64::MAX / 4);
    let (status, body) = app.call(Method::POST, "/api/sessions", None, "{}").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, serde_json::json!({"code": "DISK_FULL", "message": "the server's disk is nearly full, try again later"}));
    assert_eq!(app.state.sessions.live_nodes(), 0);
}

#[tokio::test]
async fn terminals_are_capped_per_session() {
    let app = TestApp::with(|c| c.limits.max_terminals_per_session = 2);
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let url = format!("ws://{addr}{}", protocol::routes::terminal(&id, "node1", &token));
    let first = tokio_tungstenite::connect_async(&url).await.unwrap();
    let second = tokio_tungstenite::connect_async(&url).await.unwrap();
    match tokio_tungstenite::connect_async(&url).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 429),
        other => panic!("a third terminal was let in: {:?}", other.map(|_| ())),
    }
    drop((first, second));
    // The slots come back when the sockets close.
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio_tungstenite::connect_async(&url).await.is_err() {
        assert!(Instant::now() < deadline, "terminal slots were not given back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn security_headers_and_the_host_allowlist() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<html><script type=module>init()</script></html>").unwrap();
    let app = TestApp::with(|c| c.static_dir = dist.path().to_path_buf());
    let (status, headers, _) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let (_, headers, _) = send(&app, Request::get("/api/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(headers["x-content-type-options"], "nosniff");

    let app = TestApp::with(|c| c.limits.allowed_hosts = vec!["muelle.lan".into(), "localhost".into()]);
    let get = |host: &str| Request::get("/api/lessons").header("host", host).body(Body::empty()).unwrap();
    assert_eq!(send(&app, get("muelle.lan:8080")).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("localhost")).await.0, StatusCode::OK);
    let (status, _, body) = send(&app, get("evil.example")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::MISDIRECTED_REQUEST, Some("MISDIRECTED_REQUEST")));
    let health = Request::get("/healthz").header("host", "10.1.2.3").body(Body::empty()).unwrap();
    assert_eq!(send(&app, health).await.0, StatusCode::OK);
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_after_the_header_timeout() {
    let app = TestApp::with(|c| c.limits.header_timeout = Duration::from_secs(1));
    let addr = app.serve().await;
    let mut conns = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        }
        conns.push(s);
    }
    let head = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Duration::from_secs(2)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let started = Instant::now();
    for mut s in conns {
        let mut buf = [0u8; 1024];
        // EOF (or a 408 then EOF) once the timeout passes; never a hang.
        loop {
            match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(_)) => continue,
                Err(_) => panic!("an idle connection was still open after {:?}", started.elapsed()),
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_and_the_server_recovers() {
    let app = TestApp::with(|c| {
        c.limits.max_connections = 16;
        c.limits.header_timeout = Duration::from_secs(3);
    });
    let addr = app.serve().await;
    let idle: Vec<TcpStream> = futures_util::future::join_all((0..16).map(|_| TcpStream::connect(addr))).await.into_iter().map(Result::unwrap).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The 17th is accepted by the kernel, then closed once no slot frees within the wait.
    let mut extra = TcpStream::connect(addr).await.unwrap();
    extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(2), extra.read(&mut buf)).await.expect("closed in time").unwrap_or(0);
    assert_eq!(n, 0, "answered beyond the cap: {}", String::from_utf8_lossy(&buf[..n]));
    // The idle ones time out, and the server answers again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let head = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Duration::from_secs(2)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    drop(idle);
}

#[tokio::test]
async fn built_in_tls_serves_https_and_times_out_stalled_handshakes() {
    use rustls::pki_types::ServerName;
    let pair = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, pair.cert.pem()).unwrap();
    std::fs::write(&key, pair.key_pair.serialize_pem()).unwrap();
    let app = TestApp::with(|c| c.limits.header_timeout = Duration::from_secs(1));
    let tls = backend::tls::load(&cert, &key).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (router, limits) = (app.router(), app.state.config.limits.clone());
    tokio::spawn(async move {
        backend::serve::serve_tls(listener, router, &limits, Some(tls), std::future::pending()).await.unwrap()
    });

    let mut roots = rustls::RootCertStore::empty();
    roots.add(pair.cert.der().clone()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.ends_with("ok"), "{answer}");
    assert!(answer.to_lowercase().contains("x-content-type-options: nosniff"), "{answer}");

    // Plain HTTP gets no HTTP answer; a client that never sends its hello is closed.
    let head = raw(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", Duration::from_secs(3)).await;
    assert!(!head.contains("200 OK"), "{head}");
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf)).await.expect("closed in time").unwrap_or(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn shutdown_lets_the_request_in_flight_finish_then_stops() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (router, limits) = (app.router(), app.state.config.limits.clone());
    let server = tokio::spawn(async move {
        backend::serve::serve(listener, router, &limits, async { stop_rx.await.unwrap_or(()) }).await
    });
    let body = r#"{"cmd":"sleep 1; echo finished"}"#;
    let req = format!(
        "POST /api/sessions/{id}/nodes/node1/exec HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let in_flight = tokio::spawn(async move { raw(addr, req.as_bytes(), Duration::from_secs(10)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_tx.send(()).unwrap();
    let answer = in_flight.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("finished"), "{answer}");
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("serve returned").unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}
