//! What a node shows its student of itself (issue 12): `free` and `top` see the node's own
//! limits through the host's lxcfs (pt 9), the session-wide ports list sees a `docker run -p` at
//! once and names each port's node (pt 7), and the welcome text exists in Spanish (pt 4).

use std::time::{Duration, Instant};

use e2e::Stack;
use serial_test::serial;

use crate::multinode::{create, delete, exec};

/// The host's lxcfs is running (scripts/setup.sh starts it); without it the nodes show the
/// host's /proc and the test says why it fails.
fn lxcfs_mounted() -> bool {
    std::fs::read_to_string("/proc/mounts").is_ok_and(|m| m.lines().any(|l| l.contains(" /var/lib/lxcfs fuse.lxcfs ")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn free_and_top_show_the_nodes_limits() {
    assert!(lxcfs_mounted(), "lxcfs is not mounted at /var/lib/lxcfs: run scripts/setup.sh");
    let stack = Stack::start(|c| {
        c.node_limits.memory_mb = 2048;
        c.node_limits.cpus_milli = 1000;
    })
    .await
    .expect("stack");
    let s = create(&stack, "{}").await;
    let out = exec(&stack, &s, "node1", "free -m | awk '/^Mem:/ {print $2}'").await;
    let total: u64 = out.stdout.trim().parse().unwrap_or_else(|_| panic!("free -m: {out:?}"));
    assert!((1900..=2048).contains(&total), "free -m says {total} MiB total, not the node's 2048");
    let top = exec(&stack, &s, "node1", "top -bn1 | head -5").await;
    assert!(top.stdout.contains("2048.0 total"), "top's header: {}", top.stdout);
    let cpus = exec(&stack, &s, "node1", "grep -c ^processor /proc/cpuinfo; head -1 /proc/stat").await;
    assert!(cpus.stdout.starts_with("1\n"), "cpuinfo lists more than the node's 1 CPU: {}", cpus.stdout);
    // The node's own uptime: seconds, not the host's hours.
    let up = exec(&stack, &s, "node1", "cut -d. -f1 /proc/uptime").await;
    let up: u64 = up.stdout.trim().parse().unwrap_or(u64::MAX);
    assert!(up < 600, "uptime {up} s is the host's");
    delete(&stack, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn every_nodes_ports_are_listed_at_once_with_the_nodes_name() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, r#"{"nodes": 2}"#).await;
    let http = reqwest::Client::new();
    let list = || async {
        let r = http
            .get(stack.url(&format!("/api/sessions/{}/ports", s.session.id)))
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Vec<protocol::NodePorts>>().await.unwrap()
    };
    let ports_of = |l: &[protocol::NodePorts], node: &str| -> Vec<u16> {
        l.iter().find(|n| n.node == node).map(|n| n.ports.iter().map(|p| p.port).collect()).unwrap_or_default()
    };
    let before = list().await;
    assert_eq!(before.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(), ["node1", "node2"]);
    assert!(ports_of(&before, "node2").is_empty(), "{before:?}");
    let out = exec(&stack, &s, "node2", "docker run -d -p 8082:80 busybox httpd -f -p 80 >/dev/null && echo up").await;
    assert_eq!(out.stdout, "up\n", "{}", out.stderr);
    let t0 = Instant::now();
    let after = list().await;
    let took = t0.elapsed();
    assert_eq!(ports_of(&after, "node2"), [8082], "{after:?}");
    assert!(ports_of(&after, "node1").is_empty(), "node2's port shown on node1: {after:?}");
    assert!(took < Duration::from_millis(500), "listing took {took:?}");
    let link = &after[1].ports[0].url;
    assert!(link.contains("8082-node2-"), "{link}");
    let r = http.get(stack.url(&format!("/api/sessions/{}/ports", s.session.id))).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    delete(&stack, &s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn the_welcome_exists_in_both_languages_with_the_nodes_name() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, r#"{"nodes": 2}"#).await;
    let out = exec(&stack, &s, "node2", "head -2 /etc/motd; head -3 /etc/motd.es").await;
    assert!(out.stdout.contains("  node2: a Linux sandbox") && out.stdout.contains("  node2: un sandbox Linux"), "{}", out.stdout);
    assert!(out.stdout.contains("Prueba: docker run hello-world"), "{}", out.stdout);
    delete(&stack, &s).await;
}
