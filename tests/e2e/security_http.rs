//! Issue 7's HTTP-side points on the real stack (the backend runs in this test process, so its
//! memory is this process's): a body is never read before its session's token is checked, what
//! a node prints is read only up to a cap (exec and upload), and 1 200 idle connections neither
//! stop `/healthz` nor stay open past the header timeout.

use std::time::{Duration, Instant};

use e2e::Stack;
use serial_test::serial;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{create, delete, exec_for, guard};

/// Peak resident memory of this process since [`reset_peak`], in MiB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM");
    kb >> 10
}

/// Current resident memory, in MiB.
fn rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).expect("VmRSS");
    kb >> 10
}

/// Resets the peak (VmHWM) to the current RSS (proc(5), `clear_refs` value 5).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("clear_refs");
}

/// POSTs `mib` MiB to `path` from one reused buffer, with `auth` headers; returns the status line
/// (or what ended the exchange). The client's own memory stays flat.
async fn big_post(addr: &str, path: &str, auth: &str, mib: usize) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Length: {}\r\n\r\n", mib << 20);
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'z'; 1 << 20];
    for _ in 0..mib {
        if s.write_all(&chunk).await.is_err() {
            break; // the server answered and closed: the rest was never wanted
        }
    }
    let mut buf = vec![0u8; 1024];
    match tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_string(),
        Ok(Err(e)) => format!("error {e}"),
        Err(_) => "timeout".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn unauthenticated_big_uploads_do_not_grow_memory() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);
    let addr = stack.base.trim_start_matches("http://").to_string();
    let real = format!("/api/sessions/{}/nodes/node1/files?path=/root/big", s.session.id);
    let missing = "/api/sessions/nosuchsession/nodes/node1/files?path=/root/big".to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    reset_peak();
    let before = rss_mb();
    let started = Instant::now();
    let uploads = (0..8).map(|i| {
        let (addr, path) = (addr.clone(), if i % 2 == 0 { real.clone() } else { missing.clone() });
        let auth = if i % 4 < 2 { "Authorization: Bearer 0000\r\n" } else { "" };
        tokio::spawn(async move { big_post(&addr, &path, auth, 60).await })
    });
    for (i, u) in uploads.enumerate() {
        let status = u.await.unwrap();
        let want = if i % 2 == 1 && i % 4 < 2 { "404" } else { "401" };
        assert!(status.contains(want) || status.starts_with("error"), "upload {i}: {status}");
    }
    let grown = peak_rss_mb().saturating_sub(before);
    eprintln!("8 unauthenticated 60 MB uploads: peak RSS +{grown} MiB, {:?}", started.elapsed());
    assert!(grown < 40, "peak RSS grew by {grown} MiB");
    delete(&stack, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn what_a_node_prints_is_read_up_to_a_cap() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);
    // A `cat` that floods stderr (200 MB) takes the upload's place in the node's PATH.
    let flood = "mkdir -p /usr/local/bin && printf '#!/bin/sh\\nhead -c 200000000 /dev/zero | tr \"\\\\\\\\0\" E >&2\\nexit 1\\n' \
                 > /usr/local/bin/cat && chmod +x /usr/local/bin/cat && command -v cat";
    let out = exec_for(&stack, &s, "node1", flood, 60).await;
    assert_eq!(out.stdout.trim(), "/usr/local/bin/cat", "{out:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    reset_peak();
    let before = rss_mb();
    let url = stack.url(&format!("/api/sessions/{}/nodes/node1/files?path=/root/x", s.session.id));
    let r = reqwest::Client::new().post(url).bearer_auth(&s.token).body("hello").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body = r.bytes().await.unwrap();
    let e: protocol::ApiError = serde_json::from_slice(&body).unwrap();
    assert_eq!(e.code, "UPLOAD_FAILED");
    assert!(e.message.len() <= 4096 && e.message.ends_with("EEEE"), "{} bytes", e.message.len());
    let upload_grown = peak_rss_mb().saturating_sub(before);

    // exec: 300 MB of stdout and of stderr come back as 1 MiB each, marked truncated.
    reset_peak();
    let before = rss_mb();
    let cmd = "rm /usr/local/bin/cat; yes | head -c 300000000; yes e | head -c 300000000 >&2";
    let out = exec_for(&stack, &s, "node1", cmd, 120).await;
    assert_eq!((out.stdout.len(), out.stderr.len(), out.truncated), (1 << 20, 1 << 20, true));
    let exec_grown = peak_rss_mb().saturating_sub(before);
    eprintln!("flooding upload: peak RSS +{upload_grown} MiB; 600 MB exec: +{exec_grown} MiB");
    assert!(upload_grown < 40, "upload: peak RSS grew by {upload_grown} MiB");
    assert!(exec_grown < 40, "exec: peak RSS grew by {exec_grown} MiB");
    delete(&stack, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn twelve_hundred_idle_connections_neither_block_healthz_nor_stay_open() {
    let timeout = Duration::from_secs(5);
    let stack = Stack::start(|c| c.limits.header_timeout = timeout).await.expect("stack");
    let addr = stack.base.trim_start_matches("http://").to_string();
    let opened = Instant::now();
    let mut idle = Vec::with_capacity(1200);
    for i in 0..1200 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        if i % 2 == 1 {
            // Half a request head, never finished.
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        }
        idle.push(s);
    }
    eprintln!("1200 idle connections opened in {:?}", opened.elapsed());
    // No pooled connections: the server rightly closes a kept-alive one after the same header
    // timeout, and the last request below would race that close on a reused connection.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).pool_max_idle_per_host(0).build().unwrap();
    for _ in 0..5 {
        let t = Instant::now();
        let r = http.get(stack.url("/healthz")).send().await.expect("/healthz answers");
        assert_eq!(r.text().await.unwrap(), "ok");
        assert!(t.elapsed() < Duration::from_secs(1), "/healthz took {:?}", t.elapsed());
    }
    // All of them closed by the server once the header timeout passed.
    let deadline = opened + timeout + Duration::from_secs(5);
    let mut closed = 0;
    for s in &mut idle {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(10));
        let mut buf = [0u8; 512];
        loop {
            match tokio::time::timeout(left, s.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    closed += 1;
                    break;
                }
                Ok(Ok(_)) => continue, // a 408 before the close
                Err(_) => break,
            }
        }
    }
    assert_eq!(closed, 1200, "only {closed} of 1200 idle connections were closed by the server");
    let r = http.get(stack.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
