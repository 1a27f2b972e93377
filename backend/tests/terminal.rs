//! The terminal WebSocket, served on 127.0.0.1:0 and driven with tokio-tungstenite.

mod common;

use std::time::Duration;

use common::TestApp;
use futures_util::{SinkExt, StreamExt};
use protocol::{ClientControl, ServerEvent};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn open(app: &TestApp, node: &str) -> Ws {
    let (id, token) = app.create(2).await;
    let addr = app.serve().await;
    let url = format!("ws://{addr}{}", protocol::routes::terminal(&id, node, &token));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(next_event(&mut ws).await, ServerEvent::Ready);
    ws
}

async fn next_event(ws: &mut Ws) -> ServerEvent {
    loop {
        match timeout(Duration::from_secs(10), ws.next()).await.expect("no event").unwrap().unwrap() {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Binary(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

async fn send_control(ws: &mut Ws, c: &ClientControl) {
    ws.send(Message::Text(serde_json::to_string(c).unwrap().into())).await.unwrap();
}

async fn type_in(ws: &mut Ws, text: &str) {
    ws.send(Message::Binary(text.as_bytes().to_vec().into())).await.unwrap();
}

/// Reads output until it contains `needle`; returns all output read and the events seen.
async fn read_until(ws: &mut Ws, needle: &str, limit: Duration) -> (String, Vec<ServerEvent>) {
    let mut out = Vec::new();
    let mut events = Vec::new();
    let deadline = Instant::now() + limit;
    while !String::from_utf8_lossy(&out).contains(needle) {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => out.extend_from_slice(&b),
            Ok(Some(Ok(Message::Text(t)))) => events.push(serde_json::from_str(t.as_str()).unwrap()),
            Ok(other) => panic!("socket ended: {other:?}; output so far: {}", String::from_utf8_lossy(&out)),
            Err(_) => panic!("{needle:?} never came; output: {}", String::from_utf8_lossy(&out)),
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), events)
}

#[tokio::test]
async fn typed_commands_run_in_the_node() {
    let app = TestApp::new();
    let mut ws = open(&app, "node2").await;
    type_in(&mut ws, "echo hello-$((40+2)) on $HOSTNAME\n").await;
    read_until(&mut ws, "hello-42 on node2", Duration::from_secs(10)).await;
}

#[tokio::test]
async fn bad_tokens_and_unknown_nodes_are_refused_before_the_upgrade() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let status = |url: String| async move {
        match tokio_tungstenite::connect_async(url).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
            other => panic!("expected an HTTP error, got {:?}", other.map(|_| ())),
        }
    };
    let url = |id: &str, node: &str, token: &str| format!("ws://{addr}{}", protocol::routes::terminal(id, node, token));
    assert_eq!(status(url(&id, "node1", "wrong")).await, 401);
    assert_eq!(status(format!("ws://{addr}/api/sessions/{id}/nodes/node1/terminal")).await, 401);
    assert_eq!(status(url("nosuchsession", "node1", &token)).await, 404);
    assert_eq!(status(url(&id, "node4", &token)).await, 404);
}

#[tokio::test]
async fn resize_reaches_the_shell() {
    let app = TestApp::new();
    let mut ws = open(&app, "node1").await;
    send_control(&mut ws, &ClientControl::Resize { cols: 123, rows: 45 }).await;
    type_in(&mut ws, "stty size\n").await;
    read_until(&mut ws, "45 123", Duration::from_secs(10)).await;
}

#[tokio::test]
async fn malformed_control_frames_get_an_error_and_the_socket_stays_open() {
    let app = TestApp::new();
    let mut ws = open(&app, "node1").await;
    ws.send(Message::Text(r#"{"type":"resize","cols":-1}"#.into())).await.unwrap();
    match next_event(&mut ws).await {
        ServerEvent::Error { code, message } => {
            assert_eq!(code, "BAD_REQUEST");
            assert!(message.contains("malformed"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    send_control(&mut ws, &ClientControl::Ping).await;
    assert_eq!(next_event(&mut ws).await, ServerEvent::Pong);
    type_in(&mut ws, "echo still-$((1+1))\n").await;
    read_until(&mut ws, "still-2", Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_one_mebibyte_paste_arrives_whole() {
    let app = TestApp::new();
    let mut ws = open(&app, "node1").await;
    type_in(&mut ws, "head -c $((1024*1024)) | wc -c\n").await;
    let line = format!("{}\n", "x".repeat(63));
    let paste = line.repeat(16 * 1024);
    assert_eq!(paste.len(), 1 << 20);
    type_in(&mut ws, &paste).await;
    read_until(&mut ws, "1048576\r\n", Duration::from_secs(90)).await;
}

#[tokio::test]
async fn output_pauses_at_the_window_and_resumes_after_an_ack() {
    const WINDOW: u32 = 16 * 1024;
    let app = TestApp::with(|c| c.flow_window_bytes = WINDOW);
    let mut ws = open(&app, "node1").await;
    send_control(&mut ws, &ClientControl::Ack { bytes: 0 }).await;
    type_in(&mut ws, "seq 1 200000\n").await;
    let mut received = 0usize;
    loop {
        match timeout(Duration::from_millis(700), ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => received += b.len(),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_paused) => break,
        }
    }
    assert!(received >= WINDOW as usize, "paused early at {received}");
    assert!(received < WINDOW as usize + 64 * 1024, "window overrun: {received}");
    send_control(&mut ws, &ClientControl::Ack { bytes: received as u32 }).await;
    let mut tail = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !tail.contains("\n200000\r\n") {
        let left = deadline.saturating_duration_since(Instant::now());
        match timeout(left, ws.next()).await.expect("output did not resume to the end").unwrap().unwrap() {
            Message::Binary(b) => {
                send_control(&mut ws, &ClientControl::Ack { bytes: b.len() as u32 }).await;
                tail.push_str(&String::from_utf8_lossy(&b));
                let keep = tail.len().saturating_sub(32);
                tail = tail.split_off(tail.floor_char_boundary_compat(keep));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// `str::floor_char_boundary` is unstable; the output here is ASCII, so any index works.
trait FloorCompat {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}
impl FloorCompat for String {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[tokio::test]
async fn the_shell_exiting_sends_exited_and_closes() {
    let app = TestApp::new();
    let mut ws = open(&app, "node1").await;
    type_in(&mut ws, "exit 3\n").await;
    assert_eq!(next_event(&mut ws).await, ServerEvent::Exited { code: 3 });
    let end = timeout(Duration::from_secs(5), ws.next()).await.unwrap();
    assert!(matches!(end, Some(Ok(Message::Close(_))) | None), "{end:?}");
}

/// Reads output until it contains `needle`; returns the shell's pid printed by `echo PID$$`.
async fn shell_pid(ws: &mut Ws) -> u32 {
    // The echo of the typed line holds `$((0))`, the output `0`: only the output matches.
    type_in(ws, "echo PID$((0))-$$-END$((1))\n").await;
    let (out, _) = read_until(ws, "-END1", Duration::from_secs(10)).await;
    out.split("PID0-").nth(1).unwrap().split('-').next().unwrap().parse().unwrap()
}

async fn gone_within(pid: u32, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "shell {pid} still exists (alive or zombie)");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens the socket of `term` (and a client size) on an existing session.
async fn attach(addr: std::net::SocketAddr, id: &str, token: &str, node: &str, term: u8) -> Ws {
    let url = format!("ws://{addr}{}", protocol::routes::terminal_at(id, node, token, term, 100, 30));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    assert_eq!(next_event(&mut ws).await, ServerEvent::Ready);
    ws
}

/// Everything a socket receives for `quiet` after the last frame (at most `limit` in all).
async fn drain(ws: &mut Ws, quiet: Duration, limit: Duration) -> String {
    let mut out = Vec::new();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match timeout(quiet, ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => out.extend_from_slice(&b),
            Ok(Some(Ok(_))) => {}
            Ok(other) => panic!("socket ended: {other:?}"),
            Err(_quiet) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn closing_the_socket_keeps_the_shell_and_ending_the_session_kills_it() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let mut ws = attach(addr, &id, &token, "node1", 1).await;
    let pid = shell_pid(&mut ws).await;
    ws.close(None).await.unwrap();
    drop(ws);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists(), "the shell died with its socket");
    let mut again = attach(addr, &id, &token, "node1", 1).await;
    assert_eq!(shell_pid(&mut again).await, pid, "a second socket got another shell");
    let (status, _) = app.call(axum::http::Method::DELETE, &format!("/api/sessions/{id}"), Some(&token), "").await;
    assert_eq!(status, 204);
    gone_within(pid, Duration::from_secs(10)).await;
    // The socket that was attached is told why, and closed with that reason.
    assert_eq!(
        next_event(&mut again).await,
        ServerEvent::Error { code: "SESSION_NOT_FOUND".into(), message: "session ended".into() }
    );
    match timeout(Duration::from_secs(5), again.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.reason.as_str(), "session ended"),
        other => panic!("expected a close frame with the reason, got {other:?}"),
    }
}

#[tokio::test]
async fn removing_a_node_tells_its_socket_and_a_shell_exit_is_still_an_exit() {
    let app = TestApp::new();
    let (id, token) = app.create(2).await;
    let addr = app.serve().await;
    let mut ws = attach(addr, &id, &token, "node2", 1).await;
    let (status, _) = app.call(axum::http::Method::DELETE, &format!("/api/sessions/{id}/nodes/node2"), Some(&token), "").await;
    assert_eq!(status, 204);
    assert_eq!(
        next_event(&mut ws).await,
        ServerEvent::Error { code: "NODE_NOT_FOUND".into(), message: "node2 was removed".into() }
    );
}

#[tokio::test]
async fn reattaching_shows_the_screen_once_with_the_shell_state_kept() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let mut ws = attach(addr, &id, &token, "node1", 1).await;
    // Typed once the shell reads the line itself (input typed earlier is echoed twice by the
    // tty, before and after the prompt, in any terminal).
    shell_pid(&mut ws).await;
    drain(&mut ws, Duration::from_millis(300), Duration::from_secs(3)).await;
    type_in(&mut ws, "export KEPT=val-$((40+2)); cd /tmp; echo before-$((6*7))\n").await;
    read_until(&mut ws, "before-42\r\n", Duration::from_secs(10)).await;
    drain(&mut ws, Duration::from_millis(300), Duration::from_secs(3)).await;
    drop(ws);

    let mut ws = attach(addr, &id, &token, "node1", 1).await;
    let screen = drain(&mut ws, Duration::from_millis(500), Duration::from_secs(5)).await;
    assert!(screen.starts_with("\x1bc"), "the screen starts with a reset: {screen:?}");
    assert_eq!(screen.matches("before-42").count(), 1, "the earlier output, once: {screen:?}");
    assert_eq!(screen.matches("echo before-$((6*7))").count(), 1, "the typed line, once: {screen:?}");
    type_in(&mut ws, "echo got-$KEPT-in-$PWD\n").await;
    let (out, _) = read_until(&mut ws, "got-val-42-in-/tmp", Duration::from_secs(10)).await;
    assert!(!out.contains("before-42"), "old output sent again: {out:?}");
}

#[tokio::test]
async fn two_sockets_on_one_terminal_see_the_same_output_once() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let mut a = attach(addr, &id, &token, "node1", 1).await;
    let mut b = attach(addr, &id, &token, "node1", 1).await;
    drain(&mut a, Duration::from_millis(300), Duration::from_secs(3)).await;
    drain(&mut b, Duration::from_millis(300), Duration::from_secs(3)).await;
    type_in(&mut a, "echo from-a-$((1+1))\n").await;
    type_in(&mut b, "echo from-b-$((2+2))\n").await;
    for ws in [&mut a, &mut b] {
        let out = drain(ws, Duration::from_millis(700), Duration::from_secs(10)).await;
        assert_eq!(out.matches("from-a-2").count(), 1, "{out:?}");
        assert_eq!(out.matches("from-b-4").count(), 1, "{out:?}");
    }
}

#[tokio::test]
async fn each_term_number_is_its_own_shell_and_is_listed() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let list = format!("/api/sessions/{id}/nodes/node1/terminals");
    let (status, body) = app.call(axum::http::Method::GET, &list, Some(&token), "").await;
    assert_eq!((status.as_u16(), body), (200, serde_json::json!({"terms": []})));
    let mut one = attach(addr, &id, &token, "node1", 1).await;
    let mut two = attach(addr, &id, &token, "node1", 2).await;
    assert_ne!(shell_pid(&mut one).await, shell_pid(&mut two).await);
    let (_, body) = app.call(axum::http::Method::GET, &list, Some(&token), "").await;
    assert_eq!(body, serde_json::json!({"terms": [1, 2]}));
    type_in(&mut two, "exit 0\n").await;
    assert_eq!(next_event(&mut two).await, ServerEvent::Exited { code: 0 });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, body) = app.call(axum::http::Method::GET, &list, Some(&token), "").await;
    assert_eq!(body, serde_json::json!({"terms": [1]}));
    let (status, _) = app.call(axum::http::Method::GET, &list, Some("wrong"), "").await;
    assert_eq!(status, 401);
    let (status, _) = app.call(axum::http::Method::GET, &format!("/api/sessions/{id}/nodes/node9/terminals"), Some(&token), "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_term_numbers_and_sizes_are_refused() {
    let app = TestApp::new();
    let (id, token) = app.create(1).await;
    let addr = app.serve().await;
    let base = format!("ws://{addr}{}", protocol::routes::terminal(&id, "node1", &token));
    for query in ["&term=0", "&term=6", "&term=x", "&cols=80", "&cols=0&rows=10", "&cols=99999&rows=10"] {
        match tokio_tungstenite::connect_async(format!("{base}{query}")).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status().as_u16(), 400, "{query}"),
            other => panic!("{query}: expected 400, got {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn a_huge_resize_is_clamped() {
    let app = TestApp::new();
    let mut ws = open(&app, "node1").await;
    send_control(&mut ws, &ClientControl::Resize { cols: u16::MAX, rows: u16::MAX }).await;
    type_in(&mut ws, "stty size\n").await;
    read_until(&mut ws, "200 500", Duration::from_secs(10)).await;
}
