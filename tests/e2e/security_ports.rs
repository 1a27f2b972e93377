//! Issue #7 point 2: port links on their own origin. A published port opens at
//! `http://<port>-<node>-<session>.localhost:PORT/` with a key for that port only (never the
//! session token), the node's page cannot send `Service-Worker-Allowed` / `Clear-Site-Data` or
//! replace the link cookie, WebSocket upgrades pass, and a 1 GiB body streams through without
//! growing the server's memory.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use e2e::Stack;
use futures_util::{SinkExt, StreamExt};
use protocol::{CreateSessionResponse, PortLink};
use serial_test::serial;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{create, delete, guard, ok};

/// A port link as a test client uses it: the client resolves the link's host to the stack.
pub struct Link {
    /// `8080-node1-<id>.localhost:PORT`
    pub host: String,
    /// The URL the ports API gave (with `?muelle_link=`).
    pub url: String,
    /// No redirects followed, the link host resolved to 127.0.0.1.
    pub http: reqwest::Client,
}

impl Link {
    /// `http://<host>{path}`
    pub fn at(&self, path: &str) -> String {
        format!("http://{}{path}", self.host)
    }

    /// Opens the link's URL and returns the `muelle_link=...` cookie the server set.
    pub async fn cookie(&self) -> String {
        let r = self.http.get(&self.url).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        assert_eq!(r.headers()["location"], "/");
        let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            set.contains("HttpOnly")
                && set.contains("SameSite=Lax")
                && !set.to_lowercase().contains("domain="),
            "{set}"
        );
        set.split(';').next().unwrap().to_string()
    }
}

/// Waits until `port` is listed for `node`; returns its link.
pub async fn link(stack: &Stack, s: &CreateSessionResponse, node: &str, port: u16) -> Link {
    let api = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        let r = api
            .get(stack.url(&protocol::routes::ports(&s.session.id, node)))
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let list: Vec<PortLink> = r.json().await.unwrap();
        if let Some(l) = list.iter().find(|l| l.port == port) {
            break l.url.clone();
        }
        assert!(
            Instant::now() < deadline,
            "port {port} never listed: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let stack_port: u16 = stack.base.rsplit(':').next().unwrap().parse().unwrap();
    let name = format!("{port}-{node}-{}.localhost", s.session.id);
    let host = format!("{name}:{stack_port}");
    assert!(
        url.starts_with(&format!("http://{host}/?muelle_link=")),
        "{url}"
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&name, SocketAddr::from(([127, 0, 0, 1], stack_port)))
        .build()
        .unwrap();
    Link { host, url, http }
}

/// A node-side server (Python stdlib only): `/` answers headers a page should not be able to
/// send and echoes the Cookie header it got, `/big` streams 1 GiB, `/ws` echoes one WebSocket
/// text frame.
const SERVER: &str = r#"
import socket, threading, hashlib, base64
def handle(c):
    f = c.makefile('rb')
    line = f.readline().decode()
    path = line.split()[1] if line else '/'
    hdrs = {}
    while True:
        l = f.readline().decode().strip()
        if not l: break
        k, v = l.split(':', 1); hdrs[k.lower()] = v.strip()
    if path == '/ws':
        acc = base64.b64encode(hashlib.sha1((hdrs['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').encode()).digest()).decode()
        c.sendall(('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n' % acc).encode())
        b = f.read(2); n = b[1] & 127
        mask = f.read(4); data = bytes(x ^ mask[i % 4] for i, x in enumerate(f.read(n)))
        c.sendall(bytes([0x81, len(data) + 5]) + b'echo:' + data)
        f.read(2)
    elif path == '/big':
        c.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % (1 << 30))
        chunk = bytes(1 << 20)
        for _ in range(1024): c.sendall(chunk)
    else:
        body = ('cookie=[%s] host=[%s]' % (hdrs.get('cookie', ''), hdrs.get('host', ''))).encode()
        c.sendall(b'HTTP/1.1 200 OK\r\nService-Worker-Allowed: /\r\nClear-Site-Data: "*"\r\nSet-Cookie: muelle_link=evil; Path=/\r\nSet-Cookie: app=1; Domain=localhost; Path=/\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(body) + body)
    c.close()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', 8000)); s.listen(16)
while True:
    c, _ = s.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()
"#;

fn vm_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn port_links_have_their_own_origin_and_key() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    ok(&stack, &s, "docker run -d -p 8080:80 nginx >/dev/null").await;
    ok(&stack, &s, &format!("mkdir -p /root/srv && cat > /root/srv/srv.py <<'EOF'\n{SERVER}\nEOF\ndocker run -d -p 8000:8000 -v /root/srv:/srv python python3 /srv/srv.py >/dev/null")).await;
    let nginx = link(&stack, &s, "node1", 8080).await;
    let py = link(&stack, &s, "node1", 8000).await;

    // The link's key becomes a cookie of its host; the page then opens.
    let cookie = nginx.cookie().await;
    let page = nginx
        .http
        .get(nginx.at("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("nginx"));

    // Nothing else opens it: no key, the session token (as key, cookie or bearer), port A's key
    // on port B; and the app's API is not reachable under a link's host.
    let tries = [
        nginx.http.get(nginx.at("/")),
        nginx.http.get(nginx.at(&format!("/?muelle_link={}", s.token))),
        nginx.http.get(nginx.at("/")).header("cookie", format!("muelle_link={}", s.token)),
        nginx.http.get(nginx.at("/")).bearer_auth(&s.token),
        py.http.get(py.at("/")).header("cookie", &cookie),
    ];
    for request in tries {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("needs its own key"));
    }
    // Under a link's host, even /api/... is the node's: nginx answers it, not the app.
    let r = nginx
        .http
        .get(nginx.at(&format!("/api/sessions/{}", s.session.id)))
        .header("cookie", &cookie)
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("nginx") && !body.contains("expires_at"),
        "{body}"
    );
    // The old same-origin path is gone.
    let r = reqwest::get(stack.url(&format!(
        "/proxy/{}/node1/8080/?token={}",
        s.session.id, s.token
    )))
    .await
    .unwrap();
    assert_eq!(r.status(), 410);

    // Headers that reach beyond the page are dropped; the link cookie is neither overwritten nor
    // shown to the node; the node's own cookies stay host-only.
    let py_cookie = py.cookie().await;
    let r = py
        .http
        .get(py.at("/"))
        .header("cookie", format!("{py_cookie}; theme=dark"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(
        h.get("service-worker-allowed").is_none() && h.get("clear-site-data").is_none(),
        "{h:?}"
    );
    let set: Vec<&str> = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set, vec!["app=1; Path=/"], "{h:?}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("cookie=[theme=dark]") && body.contains(&format!("host=[{}]", py.host)),
        "{body}"
    );

    // WebSocket: the upgrade reaches the node and frames pass both ways.
    let stack_port = stack.base.rsplit(':').next().unwrap();
    let mut req = format!("ws://127.0.0.1:{stack_port}/ws")
        .into_client_request()
        .unwrap();
    req.headers_mut().insert("host", py.host.parse().unwrap());
    req.headers_mut()
        .insert("cookie", py_cookie.parse().unwrap());
    let (mut ws, resp) = tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket through the link");
    assert_eq!(resp.status(), 101);
    ws.send(Message::Text("hello muelle".into())).await.unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(10), ws.next())
        .await
        .expect("an echo")
        .unwrap()
        .unwrap();
    assert_eq!(echoed.into_text().unwrap().as_str(), "echo:hello muelle");
    drop(ws);

    // 1 GiB through the link: the server (this process) does not hold it.
    let before = vm_rss_kib();
    let r = py
        .http
        .get(py.at("/big"))
        .header("cookie", &py_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (mut r, mut total, mut peak) = (r, 0u64, before);
    let started = Instant::now();
    while let Some(chunk) = r.chunk().await.expect("the body streams to its end") {
        total += chunk.len() as u64;
        if total % (32 << 20) < 65536 {
            peak = peak.max(vm_rss_kib());
        }
    }
    peak = peak.max(vm_rss_kib());
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "1 GiB through the port link in {:?}; RSS {} MiB → peak {} MiB (+{growth_mib} MiB)",
        started.elapsed(),
        before / 1024,
        peak / 1024
    );
    assert_eq!(total, 1 << 30);
    assert!(
        growth_mib < 64,
        "RSS grew by {growth_mib} MiB streaming 1 GiB"
    );
    delete(&stack, &s).await;
}
