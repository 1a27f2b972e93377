//! The playground's extras on real nodes: file upload (exact bytes; a full disk is a clear 507),
//! the list of listening ports, and the port proxy that opens a node's web server in the browser.

use std::time::{Duration, Instant};

use e2e::Stack;
use serial_test::serial;

use crate::multinode::{create, delete, exec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn upload_ports_and_proxy() {
    let stack = Stack::start(|c| c.node_limits.disk_mb = 1024).await.expect("stack");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let s = create(&stack, "{}").await;
    let files = |path: &str| stack.url(&format!("/api/sessions/{}/nodes/node1/files?path={path}", s.session.id));

    // Upload: bytes arrive exactly, parents are created, the path is never parsed by a shell.
    let content = "line 1 $HOME `id` 'q' \"dq\"\n\u{0}\u{1}binary\n";
    let r = http.post(files("/root/up%20load/it's.txt")).bearer_auth(&s.token).body(content).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let out = exec(&stack, &s, "node1", "od -An -c \"/root/up load/it's.txt\" | tr -s ' ' | head -c 400; echo; wc -c < \"/root/up load/it's.txt\"").await;
    assert!(out.stdout.trim_end().ends_with(&content.len().to_string()), "{}", out.stdout);
    let r = http.post(files("relative")).bearer_auth(&s.token).body("x").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = http.post(files("/root/x")).bearer_auth("wrong").body("x").send().await.unwrap();
    assert_eq!(r.status(), 401);

    // A full disk: a clear 507, and the node still works afterwards.
    exec(&stack, &s, "node1", "dd if=/dev/zero of=/root/fill bs=1M count=2000 2>/dev/null; true").await;
    let r = http.post(files("/root/more.bin")).bearer_auth(&s.token).body(vec![7u8; 4 << 20]).send().await.unwrap();
    assert_eq!(r.status(), 507);
    let e: protocol::ApiError = r.json().await.unwrap();
    assert_eq!(e.code, "DISK_FULL");
    assert_eq!(exec(&stack, &s, "node1", "rm /root/fill && echo freed").await.stdout, "freed\n");

    // A published port shows up and opens through the proxy.
    let out = exec(&stack, &s, "node1", "docker run -d -p 8080:80 nginx >/dev/null && echo up").await;
    assert_eq!(out.stdout, "up\n", "{}", out.stderr);
    let ports_url = stack.url(&format!("/api/sessions/{}/nodes/node1/ports", s.session.id));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ports: Vec<u16> = http.get(&ports_url).bearer_auth(&s.token).send().await.unwrap().json().await.unwrap();
        if ports.contains(&8080) {
            break;
        }
        assert!(Instant::now() < deadline, "port 8080 never listed: {ports:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let first = stack.url(&format!("/proxy/{}/node1/8080/?token={}", s.session.id, s.token));
    let r = http.get(&first).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    assert_eq!(r.headers()["location"], format!("/proxy/{}/node1/8080/", s.session.id));
    let page = http.get(stack.url(&format!("/proxy/{}/node1/8080/", s.session.id))).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("nginx"));
    // Without the cookie: refused; on a port nobody serves: a clear 502.
    let r = http.get(stack.url(&format!("/proxy/{}/node1/8080/", s.session.id))).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(stack.url(&format!("/proxy/{}/node1/9999/", s.session.id))).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("port 9999"));
    delete(&stack, &s).await;
}
