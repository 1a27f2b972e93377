//! Issue #3: nodes are added to and removed from a live session on its bridge; beyond the
//! configured maximum of live nodes a new session gets 503 OUT_OF_CAPACITY at once.

use std::time::{Duration, Instant};

use e2e::{leftovers, Stack};
use serial_test::serial;

use crate::multinode::{create, delete, exec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn add_and_remove_nodes_then_capacity_is_a_clear_503() {
    let stack = Stack::start(|c| c.max_nodes = 2).await.expect("stack");
    let http = reqwest::Client::new();
    let s = create(&stack, "{}").await;

    // Add node2: same bridge, next address, reachable from node1.
    let r = http.post(stack.url(&protocol::routes::nodes(&s.session.id))).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let n2: protocol::NodeInfo = r.json().await.unwrap();
    assert_eq!(n2.name, "node2");
    assert_eq!(n2.status, protocol::NodeStatus::Running);
    let out = exec(&stack, &s, "node1", &format!("ping -c1 -W2 {}", n2.ip)).await;
    assert_eq!(out.exit_code, 0, "{}", out.stdout);

    // The machine is full (2 live nodes): a new session is refused at once, with a clear message.
    let t = Instant::now();
    let r = http.post(stack.url("/api/sessions")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(t.elapsed() < Duration::from_secs(2), "503 took {:?}", t.elapsed());
    let e: protocol::ApiError = r.json().await.unwrap();
    assert_eq!(e.code, "OUT_OF_CAPACITY");
    assert!(e.message.contains("try again in a few minutes"), "{}", e.message);

    // Remove node2: it leaves nothing, node1 keeps working, and there is room again.
    let r = http.delete(stack.url(&format!("{}/node2", protocol::routes::nodes(&s.session.id)))).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let key2 = format!("{}-2", &s.session.id[..6]);
    let bridge = crate::support::bridge_of(&n2.ip);
    let left: Vec<String> = leftovers(&stack.data_dir, &key2, &bridge).into_iter().filter(|l| !l.contains(&bridge)).collect();
    assert!(left.is_empty(), "node2 left: {left:?}");
    assert_eq!(exec(&stack, &s, "node1", "docker info --format '{{.ServerVersion}}' >/dev/null && echo up").await.stdout, "up\n");
    let s2 = create(&stack, "{}").await;
    delete(&stack, &s2).await;
    delete(&stack, &s).await;
}
