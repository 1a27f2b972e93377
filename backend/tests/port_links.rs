//! Port links over HTTP: routing by `Host` before the app, the key-to-cookie handoff, what opens
//! a link and what does not (fake provider); and the relay itself against a real upstream on
//! loopback: dropped headers, host-only cookies, streamed bodies both ways, WebSocket upgrades.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ws::{Message as WsMessage, WebSocketUpgrade};
use axum::http::{header, Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use axum::Router;
use backend::portlinks::{LinkTarget, PortLinks};
use common::TestApp;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tower::ServiceExt;

async fn send(
    app: &TestApp,
    host: &str,
    uri: &str,
    cookie: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut req = Request::get(uri).header(header::HOST, host);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let resp = app
        .router()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn links_of(app: &TestApp) -> PortLinks {
    PortLinks::new(&app.state.config.data_dir, app.state.config.ports_domain.clone())
}

#[tokio::test]
async fn the_ports_api_gives_each_port_its_own_origin_and_key() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    // Fake nodes are host shells: a listener here is a listener "in the node".
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let req = Request::get(format!("/api/sessions/{id}/nodes/node1/ports"))
        .header(header::HOST, "localhost:18123")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let resp = app.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let list: Vec<protocol::PortLink> = serde_json::from_slice(&body).unwrap();
    let mine = list
        .iter()
        .find(|l| l.port == port)
        .unwrap_or_else(|| panic!("{port} not in {list:?}"));
    let cred = links_of(&app).credential(&LinkTarget {
        port,
        node: "node1".into(),
        session: id.clone(),
    });
    assert_eq!(
        mine.url,
        format!("http://{port}-node1-{id}.localhost:18123/?muelle_link={cred}")
    );
    assert!(!mine.url.contains(&token));
}

#[tokio::test]
async fn a_link_host_never_reaches_the_app_and_opens_with_its_own_key_only() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let links = links_of(&app);
    let target = |port: u16, node: &str| LinkTarget {
        port,
        node: node.into(),
        session: id.clone(),
    };
    let host = format!("8000-node1-{id}.localhost:8080");

    // The API under a link host: the link's 403 page, not the session JSON.
    let (status, _, body) = send(
        &app,
        &host,
        &format!("/api/sessions/{id}"),
        None,
        Some(&token),
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("needs its own key") && !body.contains("expires_at"),
        "{body}"
    );
    // The session token is no key, neither in the URL nor as the cookie.
    let (status, _, _) = send(&app, &host, &format!("/?muelle_link={token}"), None, None).await;
    assert_eq!(status, 403);
    let (status, _, _) = send(
        &app,
        &host,
        "/",
        Some(&format!("muelle_link={token}")),
        None,
    )
    .await;
    assert_eq!(status, 403);

    // The key: once in the URL, then a cookie of this host; the URL loses it.
    let cred = links.credential(&target(8000, "node1"));
    let (status, headers, _) = send(
        &app,
        &host,
        &format!("/page?a=1&muelle_link={cred}&b=2"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(headers["location"], "/page?a=1&b=2");
    assert_eq!(
        headers["set-cookie"],
        format!("muelle_link={cred}; Path=/; HttpOnly; SameSite=Lax")
    );

    // Port A's key does not open port B, nor another node's port A.
    for other in [
        format!("8001-node1-{id}.localhost:8080"),
        format!("8000-node2-{id}.localhost:8080"),
    ] {
        let (status, _, _) = send(
            &app,
            &other,
            "/",
            Some(&format!("muelle_link={cred}")),
            None,
        )
        .await;
        assert_eq!(status, 403, "{other}");
    }
    // A valid key passes (a look-alike cookie beside it does not matter); node9 does not exist.
    let cred9 = links.credential(&target(8000, "node9"));
    let cookies = format!("muelle_link=forged; muelle_link={cred9}");
    let (status, _, body) = send(
        &app,
        &format!("8000-node9-{id}.localhost:8080"),
        "/",
        Some(&cookies),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no longer exists"), "{body}");

    // The app itself still answers on its own host; the old path is gone.
    let (status, _, body) = send(&app, "localhost:8080", "/healthz", None, None).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, _, _) = send(
        &app,
        "localhost:8080",
        &format!("/proxy/{id}/node1/8000/?token={token}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 410);
}

#[tokio::test]
async fn with_a_ports_domain_every_name_under_it_is_a_link() {
    let app = TestApp::with(|c| c.ports_domain = Some("ports.school.test".into()));
    let (id, _) = app.create(1).await;
    let (status, _, _) = send(&app, "www.ports.school.test:8080", "/healthz", None, None).await;
    assert_eq!(status, 404);
    let (status, _, _) = send(
        &app,
        &format!("8000-node1-{id}.ports.school.test:8080"),
        "/healthz",
        None,
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = send(&app, "school.test:8080", "/healthz", None, None).await;
    assert_eq!(status, 200);
}

/// An upstream like a node's web app: hostile headers, a large body, an upload counter, a
/// WebSocket echo.
async fn upstream() -> SocketAddr {
    let big = || async {
        let chunk = bytes_of(1 << 20);
        let stream = futures_util::stream::iter(
            (0..BIG_MIB).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        );
        Body::from_stream(stream)
    };
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                (
                    [
                        ("service-worker-allowed", "/"),
                        ("clear-site-data", "\"*\""),
                        ("set-cookie", "muelle_link=evil; Path=/"),
                        ("x-app", "kept"),
                    ],
                    "page",
                )
            }),
        )
        .route("/big", get(big))
        .route(
            "/count",
            post(|body: Body| async move {
                let mut stream = body.into_data_stream();
                let mut n = 0usize;
                while let Some(chunk) = stream.next().await {
                    n += chunk.unwrap().len();
                }
                n.to_string()
            }),
        )
        .route(
            "/ws",
            any(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(WsMessage::Text(t))) = socket.recv().await {
                        let _ = socket
                            .send(WsMessage::Text(format!("echo:{t}").into()))
                            .await;
                    }
                })
            }),
        );
    serve(app).await
}

const BIG_MIB: usize = 512;

fn bytes_of(n: usize) -> axum::body::Bytes {
    axum::body::Bytes::from(vec![0u8; n])
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_streams_filters_and_upgrades() {
    let up = upstream().await;
    let target = LinkTarget {
        port: up.port(),
        node: "node1".into(),
        session: "s1".into(),
    };
    let front = serve(Router::new().fallback(move |req: axum::extract::Request| {
        let target = target.clone();
        async move {
            backend::routes::proxy::forward(req, up, &target)
                .await
                .into_response()
        }
    }))
    .await;
    let http = reqwest::Client::new();

    // Headers reaching beyond the page are dropped; the link cookie cannot be replaced.
    let r = http.get(format!("http://{front}/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-app"], "kept");
    for gone in ["service-worker-allowed", "clear-site-data", "set-cookie"] {
        assert!(r.headers().get(gone).is_none(), "{gone} passed");
    }

    // A request body streams to the node.
    let r = http
        .post(format!("http://{front}/count"))
        .body(vec![1u8; 8 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), (8 << 20).to_string());

    // WebSocket: 101 relayed, frames pass both ways.
    let req = format!("ws://{front}/ws").into_client_request().unwrap();
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(resp.status(), 101);
    ws.send(tokio_tungstenite::tungstenite::Message::Text("hi".into()))
        .await
        .unwrap();
    let m = ws.next().await.unwrap().unwrap();
    assert_eq!(m.into_text().unwrap().as_str(), "echo:hi");

    // 512 MiB through the relay: memory stays flat.
    let before = vm_rss_kib();
    let mut r = http
        .get(format!("http://{front}/big"))
        .send()
        .await
        .unwrap();
    let (mut total, mut peak) = (0usize, before);
    while let Some(chunk) = r.chunk().await.unwrap() {
        total += chunk.len();
        if total % (16 << 20) < chunk.len() {
            peak = peak.max(vm_rss_kib());
        }
    }
    assert_eq!(total, BIG_MIB << 20);
    let growth = peak.saturating_sub(before) / 1024;
    assert!(
        growth < 64,
        "RSS grew by {growth} MiB relaying {BIG_MIB} MiB"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_clear_502() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = LinkTarget {
        port,
        node: "node1".into(),
        session: "s1".into(),
    };
    let req = Request::get("/").body(Body::empty()).unwrap();
    let resp = backend::routes::proxy::forward(req, ([127, 0, 0, 1], port).into(), &target).await;
    assert_eq!(resp.status(), 502);
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains(&format!("node1 port {port}")));
}
