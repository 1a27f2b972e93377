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

/// Issue #14: every session owns a /28 of the session range; two sessions side by side hold
/// adjacent /28s, each node's address (and its interface's prefix) is its session's, and neither
/// session reaches the other, even when a node routes the other /28 onto its own link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn adjacent_28s_stay_apart() {
    use crate::support::{gateway_of, session_net_of};
    let stack = Stack::start(|_| {}).await.expect("stack");
    let a = create(&stack, r#"{"nodes":2}"#).await;
    let _ga = crate::support::guard(&stack, &a);
    let b = create(&stack, "{}").await;
    let _gb = crate::support::guard(&stack, &b);
    let (net_a, net_b) = (session_net_of(&a.session.nodes[0].ip), session_net_of(&b.session.nodes[0].ip));
    assert_eq!(u32::from(net_b), u32::from(net_a) + 16, "the second session's /28 ({net_b}) follows the first's ({net_a})");
    for (s, net) in [(&a, net_a), (&b, net_b)] {
        for n in &s.session.nodes {
            assert_eq!(session_net_of(&n.ip), net, "{} of {} is outside its /28", n.ip, s.session.id);
            let host = u32::from(n.ip.parse::<std::net::Ipv4Addr>().unwrap()) - u32::from(net);
            assert!((2..=14).contains(&host), "{} is the network, gateway or broadcast address", n.ip);
            let got = ok(&stack, s, &n.name, "ip -4 -o addr show eth0 | awk '{print $4}'; ip route show default | awk '{print $3}'").await;
            assert_eq!(got, format!("{}/28\n{}\n", n.ip, gateway_of(&n.ip)), "{}", n.name);
        }
    }
    let (a1, a2, b1) = (&a.session.nodes[0].ip, &a.session.nodes[1].ip, &b.session.nodes[0].ip);
    // Inside a session: by address and by name.
    ok(&stack, &a, "node2", &format!("ping -c1 -W2 {a1} >/dev/null")).await;
    assert_eq!(ok(&stack, &a, "node1", "getent hosts node2").await.split_whitespace().next(), Some(a2.as_str()));
    // Across: nothing, either way, even with the other /28 routed onto the node's own link.
    ok(&stack, &a, "node1", "setsid nc -lk 7777 </dev/null >/dev/null 2>&1 &").await;
    ok(&stack, &b, "node1", "setsid nc -lk 7777 </dev/null >/dev/null 2>&1 &").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ok(&stack, &a, "node2", &format!("nc -z -w2 {a1} 7777")).await;
    for (from, to, other_net) in [(&b, a1, net_a), (&a, b1, net_b)] {
        let probe = format!("ping -c1 -W2 {to} >/dev/null 2>&1 && echo ping-answered; nc -z -w2 {to} 7777 && echo port-open; true");
        let out = ok(&stack, from, "node1", &probe).await;
        assert_eq!(out, "", "session {} reached {to}", from.session.id);
        let routed = format!("ip route add {other_net}/28 dev eth0 && {{ {probe}; }}; ip route del {other_net}/28 dev eth0; true");
        let out = ok(&stack, from, "node1", &routed).await;
        assert_eq!(out, "", "session {} reached {to} over its own link", from.session.id);
    }
}
