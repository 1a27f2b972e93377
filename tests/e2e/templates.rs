//! Issue 11: the "3 managers + 2 workers" template starts five real nodes and the server forms
//! the swarm before it answers; node stats come from the nodes' cgroups and disk images.

use std::time::Instant;

use e2e::Stack;
use protocol::{NodeStats, SetupState};
use serial_test::serial;

use crate::support::{create, delete, exec_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn the_swarm_template_forms_three_managers_and_two_workers() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let t = Instant::now();
    let s = create(&stack, r#"{"template":"swarm-3m2w"}"#).await;
    eprintln!("swarm template ready in {:?}", t.elapsed());
    assert_eq!(s.session.nodes.len(), 5);
    let setup = s.session.setup.clone().expect("a formed template reports its setup");
    assert_eq!(setup.state, SetupState::Done, "{:?}", setup.message);
    let out = exec_for(&stack, &s, "node1", "docker node ls --format '{{.Hostname}} {{.ManagerStatus}}'", 60).await;
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["node1 Leader", "node2 Reachable", "node3 Reachable", "node4 ", "node5 "], "{}", out.stdout);
    // A worker sees itself in the swarm, not as a manager.
    let out = exec_for(&stack, &s, "node5", "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'", 60).await;
    assert_eq!(out.stdout.trim(), "active false");

    // Stats: memory charged to node1's cgroup, within its limit; its disk image.
    let r = reqwest::Client::new()
        .get(stack.url(&protocol::routes::node_stats(&s.session.id, "node1")))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let st: NodeStats = r.json().await.unwrap();
    eprintln!("node1 stats: {st:?}");
    assert!(st.memory_bytes > 10 << 20 && st.memory_bytes < st.memory_limit_bytes, "{st:?}");
    assert!(st.disk_bytes > 0 && st.disk_bytes < st.disk_limit_bytes, "{st:?}");
    assert!(st.cpu_milli <= st.cpu_limit_milli + 50, "{st:?}");
    delete(&stack, &s).await;
}
