//! Issue #2's walking skeleton: session → terminal → `docker run hello-world` → exec → delete,
//! and nothing left on the host.

use std::time::{Duration, Instant};

use e2e::{leftovers, Stack, Terminal};
use protocol::NodeStatus;

use crate::multinode::{create, delete, exec};
use serial_test::serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn hello_world_in_a_browser_terminal_then_nothing_is_left() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let t = Instant::now();
    let s = create(&stack, "{}").await;
    eprintln!("POST /api/sessions → 201 in {:?}", t.elapsed());
    assert_eq!(s.session.nodes.len(), 1);
    let node = &s.session.nodes[0];
    assert_eq!(node.name, "node1");
    assert_eq!(node.status, NodeStatus::Running);
    assert!(node.ip.starts_with("10.100."), "{}", node.ip);
    assert!(s.session.expires_in_secs > 3500);

    // The terminal: a real shell on node1, where docker run hello-world pulls from the mirror.
    let url = stack.ws_url(&protocol::routes::terminal(&s.session.id, "node1", &s.token));
    let mut term = Terminal::connect(&url).await.expect("terminal");
    term.control(r#"{"type":"resize","cols":120,"rows":40}"#).await.unwrap();
    term.type_str("stty size; hostname\n").await.unwrap();
    term.expect("40 120", Duration::from_secs(10)).await.unwrap();
    term.expect("node1", Duration::from_secs(5)).await.unwrap();
    let t = Instant::now();
    term.type_str("docker run hello-world\n").await.unwrap();
    term.expect("Hello from Docker!", Duration::from_secs(60)).await.unwrap();
    eprintln!("docker run hello-world (pull included) in {:?}", t.elapsed());

    // exec: non-interactive, exit code and output come back.
    let out = exec(&stack, &s, "node1", "docker run --rm busybox echo ok").await;
    assert_eq!((out.exit_code, out.stdout.as_str()), (0, "ok\n"), "stderr: {}", out.stderr);
    let out = exec(&stack, &s, "node1", "echo oops >&2; exit 3").await;
    assert_eq!((out.exit_code, out.stderr.as_str()), (3, "oops\n"));

    // A wrong token never reaches the sandbox.
    let r = reqwest::Client::new()
        .post(stack.url(&protocol::routes::exec(&s.session.id, "node1")))
        .bearer_auth("not-the-token")
        .json(&serde_json::json!({ "cmd": "touch /root/pwned" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let out = exec(&stack, &s, "node1", "test -e /root/pwned; echo $?").await;
    assert_eq!(out.stdout, "1\n");

    // Delete: every process, cgroup, mount, veth, bridge, rule and directory is gone.
    let key = format!("{}-1", &s.session.id[..6]);
    let bridge = host_bridge_of(&node.ip);
    assert!(leftovers(&stack.data_dir, &key, &bridge).len() >= 3, "the node should exist before delete");
    drop(term);
    delete(&stack, &s).await;
    let left = leftovers(&stack.data_dir, &key, &bridge);
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(session_status(&stack, &s).await, 404);
}

/// `GET /api/sessions/{id}`'s status.
async fn session_status(stack: &Stack, s: &protocol::CreateSessionResponse) -> u16 {
    crate::support::get_session(stack, s).await.status().as_u16()
}

/// The session bridge is named after the node's /28 (`mb-0a640000`).
fn host_bridge_of(ip: &str) -> String {
    crate::support::bridge_of(ip)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn expired_sessions_are_destroyed() {
    let stack = Stack::start(|c| {
        c.session_ttl = Duration::from_secs(3);
        c.expiry_interval = Duration::from_secs(1);
    })
    .await
    .expect("stack");
    let s = create(&stack, "{}").await;
    let key = format!("{}-1", &s.session.id[..6]);
    let bridge = host_bridge_of(&s.session.nodes[0].ip);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = session_status(&stack, &s).await;
        if status == 404 && leftovers(&stack.data_dir, &key, &bridge).is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "session not expired: {:?}", leftovers(&stack.data_dir, &key, &bridge));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
