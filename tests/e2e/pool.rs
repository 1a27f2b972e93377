//! The warm pool: a session takes a node already started; the node gets the session's
//! bridge, address and hostname, pulls from the registry, and leaves nothing when deleted.

use std::time::{Duration, Instant};

use e2e::{leftovers, Stack, Terminal};
use serial_test::serial;

use crate::multinode::{create, delete, exec};

fn pool_nodes(stack: &Stack) -> Vec<String> {
    pool_nodes_in(&stack.data_dir)
}

fn pool_nodes_in(data_dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data_dir.join("sandboxes"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pl-"))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn a_warm_node_becomes_the_sessions_node1() {
    let before = pool_nodes_in(&e2e::data_dir());
    let stack = Stack::start(|c| c.pool_size = 1).await.expect("stack");
    let deadline = Instant::now() + Duration::from_secs(30);
    let new_nodes = || pool_nodes(&stack).into_iter().filter(|n| !before.contains(n)).collect::<Vec<_>>();
    // Wait for this pool's node: its directory appears at spawn, its init listens < 1 s later.
    while new_nodes().is_empty() {
        assert!(Instant::now() < deadline, "the pool never filled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let warm = new_nodes();
    assert_eq!(warm.len(), 1, "{warm:?}");

    let t = Instant::now();
    let s = create(&stack, "{}").await;
    let url = stack.ws_url(&protocol::routes::terminal(&s.session.id, "node1", &s.token));
    let mut term = Terminal::connect(&url).await.unwrap();
    term.expect("[node1]", Duration::from_secs(5)).await.unwrap();
    eprintln!("start → prompt from the warm pool: {:?}", t.elapsed());
    // The node took the session's identity.
    let ip = &s.session.nodes[0].ip;
    let out = exec(&stack, &s, "node1", "hostname; hostname -i; ip -4 -o addr show eth0 | awk '{print $4}'").await;
    assert_eq!(out.stdout, format!("node1\n{ip}\n{ip}/28\n"), "{}", out.stderr);
    let out = exec(&stack, &s, "node1", "docker run --rm hello-world | grep -c 'Hello from Docker'").await;
    assert_eq!(out.stdout.trim(), "1", "{}", out.stderr);
    // It sits on the session's bridge: a cold node2 reaches it.
    let r = reqwest::Client::new().post(stack.url(&protocol::routes::nodes(&s.session.id))).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let out = exec(&stack, &s, "node2", &format!("ping -c1 -W2 {ip}")).await;
    assert_eq!(out.exit_code, 0, "{}", out.stdout);

    drop(term);
    delete(&stack, &s).await;
    let bridge = crate::support::bridge_of(ip);
    let left = leftovers(&stack.data_dir, &warm[0], &bridge);
    assert!(left.is_empty(), "the pooled node left: {left:?}");
}
