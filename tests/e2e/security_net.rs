//! Issue #7, egress: nodes reach the internet but not the school's LAN (private, link-local,
//! CGNAT, benchmark ranges), send only from their own address, and `MUELLE_EGRESS=none` keeps
//! everything in while the registry still serves.
//!
//! The "LAN" and the "internet" are one network namespace this test creates, reached from the
//! host through a veth: 198.18.0.2 (benchmark range, stands for a LAN host) and 203.0.113.2
//! (TEST-NET-3, a documentation address that stands for an internet host). A tiny Python
//! listener there answers TCP on 8000 and logs every TCP peer and every ICMP echo it sees. No
//! packet goes to any address this test did not create.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use e2e::Stack;
use protocol::CreateSessionResponse;
use serial_test::serial;

use crate::support::{create, exec_for, guard};


const LAN_HOST: &str = "198.18.0.2";
const NET_HOST: &str = "203.0.113.2";

/// The test's own namespace, veth and listener; all removed on drop, failed test or not.
struct TestNet {
    ns: String,
    host_if: String,
    log: PathBuf,
    listener: Option<Child>,
}

fn sh(cmd: &str) {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    assert!(out.status.success(), "$ {cmd}\n{}", String::from_utf8_lossy(&out.stderr));
}

const LISTENER: &str = r#"
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
def icmp():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    while True:
        data, (src, _) = s.recvfrom(2048)
        if len(data) > 20 and data[20] == 8:
            log.write("icmp %s\n" % src)
threading.Thread(target=icmp, daemon=True).start()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", 8000))
srv.listen(16)
while True:
    c, (src, _) = srv.accept()
    log.write("tcp %s\n" % src)
    c.sendall(b"hello-from-testnet\n")
    c.close()
"#;

impl TestNet {
    fn start() -> TestNet {
        let id = std::process::id() % 100_000;
        let mut t = TestNet {
            ns: format!("muelle-lan-{id}"),
            host_if: format!("mlan{id}"),
            log: std::env::temp_dir().join(format!("muelle-lan-{id}.log")),
            listener: None,
        };
        t.teardown();
        let (ns, hv) = (t.ns.clone(), t.host_if.clone());
        sh(&format!("ip netns add {ns}"));
        sh(&format!("ip link add {hv} type veth peer name lan0 netns {ns}"));
        sh(&format!("ip addr add 198.18.0.1/24 dev {hv} && ip addr add 203.0.113.1/24 dev {hv} && ip link set {hv} up"));
        sh(&format!(
            "ip -n {ns} link set lo up && ip -n {ns} addr add {LAN_HOST}/24 dev lan0 && \
             ip -n {ns} addr add {NET_HOST}/24 dev lan0 && ip -n {ns} link set lan0 up"
        ));
        std::fs::write(&t.log, "").unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", &ns, "/usr/bin/python3", "-c", LISTENER])
            .arg(&t.log)
            .spawn()
            .expect("python3 listener");
        t.listener = Some(child);
        // Ready once the host reaches it directly.
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect_timeout(&format!("{NET_HOST}:8000").parse().unwrap(), Duration::from_millis(300)).is_err() {
            assert!(Instant::now() < deadline, "test listener did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        t
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn teardown(&self) {
        let _ = Command::new("ip").args(["link", "del", &self.host_if]).output();
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        if let Some(mut c) = self.listener.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.teardown();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// Reads the test listener's greeting at `ip:8000` from `node` (bash's /dev/tcp, 4 s at most).
async fn greeting(stack: &Stack, s: &CreateSessionResponse, node: &str, ip: &str) -> String {
    let cmd = format!("timeout 4 bash -c 'exec 3<>/dev/tcp/{ip}/8000 && head -n1 <&3' 2>&1; true");
    exec_for(stack, s, node, &cmd, 20).await.stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn security_nodes_reach_the_internet_but_not_the_lan_and_cannot_spoof() {
    let net = TestNet::start();
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);

    // The internet (stand-in) answers; the LAN host does not.
    assert_eq!(greeting(&stack, &s, "node1", NET_HOST).await, "hello-from-testnet\n", "internet host unreachable");
    let lan = greeting(&stack, &s, "node1", LAN_HOST).await;
    assert!(!lan.contains("hello-from-testnet"), "a node reached a LAN host (198.18.0.0/15): {lan}");
    // Containers inside the node (NATed by its dockerd) still get out.
    let out = exec_for(&stack, &s, "node1",
        &format!("docker run --rm busybox sh -c 'echo | nc -w3 {NET_HOST} 8000' 2>&1"), 60).await;
    assert!(out.stdout.contains("hello-from-testnet"), "a container could not reach the internet host: {out:?}");

    // Spoofing: node root adds addresses that are not its own and sends from them.
    let ip = &s.session.nodes[0].ip;
    // An address of the session's own /28 that no node has (.14).
    let spoof_in_subnet = std::net::Ipv4Addr::from(u32::from(crate::support::session_net_of(ip)) + 14).to_string();
    let script = format!(
        "ip addr add {spoof_in_subnet}/32 dev eth0 && ip addr add 198.18.0.77/32 dev eth0 && \
         (ping -c2 -W2 -I {spoof_in_subnet} {NET_HOST} >/dev/null 2>&1 && echo same-subnet-spoof-answered); \
         ping -c2 -W2 -I 198.18.0.77 {NET_HOST} >/dev/null 2>&1; \
         ping -c1 -W2 {NET_HOST} >/dev/null 2>&1 && echo own-address-answered; \
         ip addr del {spoof_in_subnet}/32 dev eth0; ip addr del 198.18.0.77/32 dev eth0; true"
    );
    let out = exec_for(&stack, &s, "node1", &script, 60).await;
    eprintln!("spoof probe: {:?} {:?}", out.stdout, out.stderr);
    assert!(out.stdout.contains("own-address-answered"), "ping from the node's own address failed: {out:?}");
    assert!(!out.stdout.contains("same-subnet-spoof-answered"), "a spoofed source in the session's subnet got out: {out:?}");
    let seen = net.log();
    assert!(!seen.contains("icmp 198.18.0.77"), "a spoofed, un-NATed source reached the test host:\n{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn security_egress_none_keeps_nodes_in_but_the_registry_serves() {
    let _net = TestNet::start();
    let stack = Stack::start(|c| c.egress = sandbox::net::Egress::None).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _g = guard(&stack, &s);
    let out = greeting(&stack, &s, "node1", NET_HOST).await;
    assert!(!out.contains("hello-from-testnet"), "MUELLE_EGRESS=none let a node out: {out}");
    let out = exec_for(&stack, &s, "node1", "docker run --rm hello-world 2>&1 | grep -c 'Hello from Docker'", 120).await;
    assert_eq!(out.stdout.trim(), "1", "the registry did not serve with egress none: {out:?}");
    crate::support::delete(&stack, &s).await;
    drop(stack);
    // The default policy comes back with the next start.
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s2 = create(&stack, "{}").await;
    let _g2 = guard(&stack, &s2);
    assert_eq!(greeting(&stack, &s2, "node1", NET_HOST).await, "hello-from-testnet\n");
}
