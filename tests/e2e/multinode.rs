//! Issue #3: sessions of several nodes on their own bridge; swarm across nodes (dnsrr, since
//! this kernel has no IPVS); sessions cannot reach each other.

use std::time::{Duration, Instant};

use e2e::Stack;
use protocol::{CreateSessionResponse, ExecResponse, NodeInfo};
use serial_test::serial;

pub use crate::support::{create, delete};

/// Runs `cmd` on `node` (3 minutes at most).
pub async fn exec(stack: &Stack, s: &CreateSessionResponse, node: &str, cmd: &str) -> ExecResponse {
    crate::support::exec_for(stack, s, node, cmd, 180).await
}

async fn ok(stack: &Stack, s: &CreateSessionResponse, node: &str, cmd: &str) -> String {
    let out = exec(stack, s, node, cmd).await;
    assert_eq!(out.exit_code, 0, "{node}$ {cmd}\nstdout: {}\nstderr: {}", out.stdout, out.stderr);
    out.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn two_nodes_form_a_swarm_and_other_sessions_stay_out() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let t = Instant::now();
    let a = create(&stack, r#"{"nodes":2}"#).await;
    eprintln!("2-node session in {:?}", t.elapsed());
    let names: Vec<&str> = a.session.nodes.iter().map(|n: &NodeInfo| n.name.as_str()).collect();
    assert_eq!(names, ["node1", "node2"]);
    let (ip1, ip2) = (a.session.nodes[0].ip.clone(), a.session.nodes[1].ip.clone());
    assert_ne!(ip1, ip2);
    assert_eq!(ok(&stack, &a, "node1", "hostname -i").await.trim(), ip1);
    assert_eq!(ok(&stack, &a, "node2", "hostname").await.trim(), "node2");
    ok(&stack, &a, "node1", &format!("ping -c1 -W2 {ip2}")).await;

    // Swarm across the two nodes.
    let t = Instant::now();
    ok(&stack, &a, "node1", "docker swarm init --advertise-addr $(hostname -i) >/dev/null").await;
    let token = ok(&stack, &a, "node1", "docker swarm join-token -q worker").await;
    ok(&stack, &a, "node2", &format!("docker swarm join --token {} {ip1}:2377", token.trim())).await;
    ok(&stack, &a, "node1", "docker network create -d overlay --attachable ov1 >/dev/null").await;
    ok(&stack, &a, "node1",
        "docker service create -q --name web --replicas 2 --network ov1 --endpoint-mode dnsrr \
         busybox sh -c 'echo hi-from-$(hostname) > /tmp/index.html; httpd -f -p 8080 -h /tmp' >/dev/null").await;
    let deadline = Instant::now() + Duration::from_secs(90);
    while ok(&stack, &a, "node1", "docker service ls --filter name=web --format '{{.Replicas}}'").await.trim() != "2/2" {
        assert!(Instant::now() < deadline, "service did not converge");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Reachable by name from the other node, over the overlay (vxlan between the nodes).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = exec(&stack, &a, "node2",
            "docker run --rm --network ov1 busybox sh -c 'printf \"GET / HTTP/1.0\\r\\n\\r\\n\" | nc -w2 web 8080'").await;
        if out.stdout.contains("hi-from-") {
            break;
        }
        assert!(Instant::now() < deadline, "service not reachable: {} {}", out.stdout, out.stderr);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!("swarm init → dnsrr service answering across nodes in {:?}", t.elapsed());

    // Another session cannot reach this one's nodes.
    let b = create(&stack, "{}").await;
    let out = exec(&stack, &b, "node1", &format!("ping -c1 -W2 {ip1}")).await;
    assert_ne!(out.exit_code, 0, "a node of another session answered: {}", out.stdout);
    let out = exec(&stack, &b, "node1", &format!("nc -z -w2 {ip1} 2377; echo rc=$?")).await;
    assert!(out.stdout.contains("rc=1"), "{}", out.stdout);
    delete(&stack, &b).await;
    delete(&stack, &a).await;
}

/// Issue #12: every node resolves every other by name, kept current as nodes come and go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn node_names_resolve_and_follow_adds_and_removals() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, r#"{"nodes":3}"#).await;
    let _g = crate::support::guard(&stack, &s);
    ok(&stack, &s, "node2", "ping -c1 -W2 node1 >/dev/null").await;
    let ip3 = &s.session.nodes[2].ip;
    assert_eq!(ok(&stack, &s, "node1", "getent hosts node3").await.split_whitespace().next(), Some(ip3.as_str()));

    let http = reqwest::Client::new();
    let r = http.delete(stack.url(&format!("{}/node3", protocol::routes::nodes(&s.session.id)))).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let out = exec(&stack, &s, "node1", "getent hosts node3").await;
    assert_ne!(out.exit_code, 0, "node3 still resolves after its removal: {}", out.stdout);

    let r = http.post(stack.url(&protocol::routes::nodes(&s.session.id))).bearer_auth(&s.token).send().await.unwrap();
    assert_eq!(r.status(), 201);
    ok(&stack, &s, "node1", "ping -c1 -W2 node3 >/dev/null").await;
    ok(&stack, &s, "node3", "ping -c1 -W2 node2 >/dev/null").await;
}
