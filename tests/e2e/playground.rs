//! The playground's extras on real nodes: file upload (exact bytes; a full disk is a clear 507),
//! the list of listening ports, and the port links that open a node's web server in the browser.

use e2e::Stack;
use serial_test::serial;

use crate::multinode::{create, delete, exec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn upload_ports_and_port_links() {
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

    // A published port shows up and opens at its own origin, with its own key.
    let out = exec(&stack, &s, "node1", "docker run -d -p 8080:80 nginx >/dev/null && echo up").await;
    assert_eq!(out.stdout, "up\n", "{}", out.stderr);
    let link = crate::security_ports::link(&stack, &s, "node1", 8080).await;
    let cookie = link.cookie().await;
    let page = link.http.get(link.at("/")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("nginx"));
    // Without the cookie: refused; on a port nobody serves: a clear 502.
    let r = link.http.get(link.at("/")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let (name, port) = link.host.split_once(':').unwrap();
    let other = name.replacen("8080-", "9999-", 1);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(&other, std::net::SocketAddr::from(([127, 0, 0, 1], port.parse().unwrap())))
        .build()
        .unwrap();
    let key = link_key(&stack, &s.session.id, "node1", 9999);
    let closed = crate::security_ports::Link { url: format!("http://{other}:{port}/?muelle_link={key}"), host: format!("{other}:{port}"), http };
    let cookie9999 = closed.cookie().await;
    let r = closed.http.get(closed.at("/")).header("cookie", &cookie9999).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("port 9999"));
    delete(&stack, &s).await;
}

/// The key of a link to a port nobody listens on (the ports API lists only listening ones):
/// computed with the server's secret, as the API would.
fn link_key(stack: &Stack, id: &str, node: &str, port: u16) -> String {
    let config = backend::Config { data_dir: stack.data_dir.clone(), ..Default::default() };
    let links = backend::portlinks::PortLinks::new(&config.data_dir, config.ports_domain.clone());
    links.credential(&backend::portlinks::LinkTarget { port, node: node.into(), session: id.into() })
}
