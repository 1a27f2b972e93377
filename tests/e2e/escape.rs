//! Issue #3: escape probes. From a node's shell, and from a `--privileged` container inside it,
//! none of these may work: writing host sysctls, mounting or creating the host's disk device,
//! seeing host processes, loading kernel modules, reaching another session's node or the
//! backend. Root in a node must be an unprivileged uid on the host.

use std::time::Duration;

use e2e::Stack;
use protocol::CreateSessionResponse;
use serial_test::serial;

use crate::support::{
    create, delete, denied, exec, find_node_key, gateway_of, guard, host_uids, node_pids, node_pids_running, ok, MIN_NODE_UID,
};

/// The host's root filesystem device: (path, major, minor), from /proc/self/mountinfo.
fn host_root_device() -> (String, u32, u32) {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let line = info.lines().find(|l| l.split(' ').nth(4) == Some("/")).expect("root mount");
    let devno = line.split(' ').nth(2).unwrap();
    let (major, minor) = devno.split_once(':').unwrap();
    let source = line.split(" - ").nth(1).unwrap().split(' ').nth(1).unwrap().to_string();
    assert!(source.starts_with("/dev/"), "root is not on a block device: {line}");
    (source, major.parse().unwrap(), minor.parse().unwrap())
}

/// Host files a node must not open for writing (opening is enough: nothing gets written).
/// Only the ones this kernel has; core_pattern always exists.
fn host_control_files() -> Vec<&'static str> {
    let all = [
        "/proc/sys/kernel/core_pattern",
        "/proc/sys/kernel/sysrq",
        "/proc/sys/kernel/modprobe",
        "/proc/sys/vm/drop_caches",
        "/proc/sysrq-trigger",
        "/sys/kernel/uevent_helper",
        "/sys/kernel/mm/transparent_hugepage/enabled",
    ];
    all.into_iter().filter(|p| std::path::Path::new(p).exists()).collect()
}

/// What insmod of a garbage file says when it is refused: EPERM, or ENOSYS on a kernel built
/// without modules (then host root gets the same answer).
fn module_refusal() -> &'static str {
    if std::path::Path::new("/proc/modules").exists() {
        "Operation not permitted"
    } else {
        "not support"
    }
}

const GARBAGE_MODULE: &str = "head -c 4096 /dev/urandom > /tmp/x.ko";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn node_root_cannot_touch_the_host() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let key = find_node_key(&stack, &s, "node1").await;

    // Host sysctls and kernel knobs: not even openable for writing.
    let files = host_control_files();
    assert!(files.len() >= 2, "{files:?}");
    for f in &files {
        denied(&stack, &s, &format!("exec 3>>{f}"), "Permission denied").await;
    }
    denied(&stack, &s, "cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern", "Permission denied").await;
    // Its own limits, as mounted in the node: readable, not writable.
    let limit = ok(&stack, &s, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes").await;
    assert_eq!(limit.trim(), crate::support::cgroup_read(&key, "memory", "memory.limit_in_bytes"));
    for f in ["memory/memory.limit_in_bytes", "pids/pids.max", "cpu/cpu.cfs_quota_us"] {
        denied(&stack, &s, &format!("exec 3>>/sys/fs/cgroup/{f}"), "Permission denied").await;
    }
    denied(&stack, &s, "dmesg", "Operation not permitted").await;

    // The host's disk: no device node, none can be made, nothing to mount.
    let (dev, major, minor) = host_root_device();
    eprintln!("host root device: {dev} ({major}:{minor})");
    ok(&stack, &s, &format!("test ! -e {dev}")).await;
    denied(&stack, &s, &format!("mknod /tmp/hostdisk b {major} {minor}"), "Operation not permitted").await;
    denied(&stack, &s, "mknod /tmp/mem c 1 1", "Operation not permitted").await;
    denied(&stack, &s, &format!("mkdir -p /mnt/h && mount -t ext4 {dev} /mnt/h"), "mount").await;
    ok(&stack, &s, "! grep -q ' /mnt/h ' /proc/mounts").await;

    // Kernel modules, with a real insmod (busybox's, copied out of the image).
    ok(&stack, &s, "docker create --name bb busybox >/dev/null && docker cp bb:/bin/busybox /usr/local/bin/busybox && docker rm bb >/dev/null").await;
    ok(&stack, &s, GARBAGE_MODULE).await;
    denied(&stack, &s, "busybox insmod /tmp/x.ko", module_refusal()).await;
    denied(&stack, &s, "busybox modprobe dummy", "modprobe").await;

    // Host processes are out of sight: pid 1 is the node's init, and every process listed is
    // one of the node's own (host-side: its cgroup).
    let ps = ok(&stack, &s, "ps -eo comm --no-headers").await;
    let comms: Vec<&str> = ps.lines().map(str::trim).collect();
    assert_eq!(ok(&stack, &s, "cat /proc/1/comm").await.trim(), "muelle-init");
    let host_comms: Vec<String> = node_pids(&key)
        .iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).ok())
        .map(|c| c.trim().to_string())
        .collect();
    let me = std::fs::read_to_string("/proc/self/comm").unwrap();
    for c in &comms {
        assert_ne!(*c, me.trim(), "the backend is visible in the node: {ps}");
        assert!(host_comms.iter().any(|h| h == c) || ["ps", "sh"].contains(c), "{c} is not a process of the node: {ps}");
    }
    assert!(comms.contains(&"dockerd") && comms.len() < 40, "{comms:?}");

    // Root in the node is an unprivileged host uid, in its own user namespace.
    ok(&stack, &s, "setsid sleep 4242 </dev/null >/dev/null 2>&1 &").await;
    ok(&stack, &s, "docker run -d --privileged --name priv busybox sleep 4343 >/dev/null").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let dockerd: Vec<i32> = node_pids(&key)
        .into_iter()
        .filter(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "dockerd"))
        .collect();
    for (what, pids) in [
        ("sleep started by exec", node_pids_running(&key, &["sleep", "4242"])),
        ("dockerd", dockerd),
        ("privileged container", node_pids_running(&key, &["sleep", "4343"])),
    ] {
        assert_eq!(pids.len(), 1, "{what}: host pids {pids:?}");
        let uids = host_uids(pids[0]);
        eprintln!("{what}: host pid {}, host uids {uids:?}", pids[0]);
        assert!(uids.iter().all(|u| *u == uids[0] && *u >= MIN_NODE_UID), "{what} runs as host uid {uids:?}");
        assert_eq!((uids[0] - MIN_NODE_UID) % 65536, 0, "root of a node is the base of its range");
        let ns = std::fs::read_link(format!("/proc/{}/ns/user", pids[0])).unwrap();
        assert_ne!(ns, std::fs::read_link("/proc/self/ns/user").unwrap(), "{what} is in the host's user namespace");
    }
    delete(&stack, &s).await;
}

/// Probes from a `--privileged` container inside the node: all the node's capabilities, still
/// nothing of the host's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn privileged_container_cannot_touch_the_host() {
    let stack = Stack::start(|_| {}).await.expect("stack");
    let s = create(&stack, "{}").await;
    let _guard = guard(&stack, &s);
    let priv_run = |script: &str| format!("docker run --rm --privileged busybox sh -c '{script}'");
    let (dev, major, minor) = host_root_device();
    let caps = ok(&stack, &s, &priv_run("grep CapEff /proc/self/status")).await;
    assert!(caps.contains("ffffffff"), "not privileged: {caps}");
    for f in host_control_files() {
        denied(&stack, &s, &priv_run(&format!("exec 3>>{f}")), "Permission denied").await;
    }
    denied(&stack, &s, &priv_run(&format!("mknod /tmp/d b {major} {minor}")), "Operation not permitted").await;
    denied(&stack, &s, &priv_run(&format!("test ! -e {dev} && mount -t ext4 {dev} /mnt")), "mount").await;
    denied(&stack, &s, &priv_run(&format!("{GARBAGE_MODULE}; insmod /tmp/x.ko")), module_refusal()).await;
    // A new cgroup v1 hierarchy would bring a writable release_agent (CVE-2022-0492).
    denied(&stack, &s, &priv_run("mkdir /tmp/cg && mount -t cgroup -o none,name=x cgroup /tmp/cg"), "mount").await;
    denied(&stack, &s, &priv_run("dmesg"), "Operation not permitted").await;
    // Its pid namespace holds only itself; with --pid=host, the "host" is the node.
    let ps = ok(&stack, &s, &priv_run("ps -o pid,comm")).await;
    let procs: Vec<&str> = ps.lines().skip(1).map(str::trim).collect();
    assert_eq!(procs, ["1 ps"], "{ps}");
    let host = ok(&stack, &s, "docker run --rm --privileged --pid=host busybox nsenter -t 1 -m -u -n -i -p hostname").await;
    assert_eq!(host.trim(), "node1");
    let init = ok(&stack, &s, "docker run --rm --privileged --pid=host busybox cat /proc/1/comm").await;
    assert_eq!(init.trim(), "muelle-init");
    delete(&stack, &s).await;
}

/// Every global IPv4 address of the host, with its interface: the uplink, the registry's
/// address on lo, every session and pool bridge.
fn host_ipv4s() -> Vec<(String, String)> {
    let out = std::process::Command::new("ip").args(["-4", "-o", "addr", "show", "scope", "global"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            Some((w.get(1)?.to_string(), w.get(3)?.split('/').next()?.to_string()))
        })
        .collect()
}

/// IPv6 link-local address of a host interface, if it has one.
fn link_local(dev: &str) -> Option<String> {
    let out = std::process::Command::new("ip").args(["-6", "-o", "addr", "show", "dev", dev, "scope", "link"]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().skip_while(|w| *w != "inet6").nth(1)?.split('/').next().map(str::to_string)
}

async fn cannot_reach(stack: &Stack, s: &CreateSessionResponse, url: &str) {
    let out = exec(stack, s, &format!("curl -sS -g -m 3 {url}")).await;
    eprintln!("curl {url} → exit {} {}", out.exit_code, out.stderr.trim());
    assert_ne!(out.exit_code, 0, "ESCAPE: a node reached {url}: {}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn nodes_reach_neither_other_sessions_nor_host_services() {
    // Listen on every address, v4 and v6, as an operator might.
    let stack = Stack::start(|c| c.bind = "[::]:0".parse().unwrap()).await.expect("stack");
    let port = stack.base.rsplit(':').next().unwrap().to_string();
    let a = create(&stack, "{}").await;
    let b = create(&stack, "{}").await;
    let _guards = (guard(&stack, &a), guard(&stack, &b));
    let (ip_b, gw) = (b.session.nodes[0].ip.clone(), gateway_of(&a.session.nodes[0].ip));

    // Another session's node: a listener there answers its own node, not ours.
    ok(&stack, &b, "setsid nc -lk 7777 </dev/null >/dev/null 2>&1 &").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ok(&stack, &b, &format!("nc -z -w2 {ip_b} 7777")).await;
    denied(&stack, &a, &format!("ping -c1 -W2 {ip_b}"), "100% packet loss").await;
    let out = exec(&stack, &a, &format!("nc -z -w2 {ip_b} 7777")).await;
    assert_ne!(out.exit_code, 0, "ESCAPE: session A reached session B's node");

    // The host: the registry's read-only front answers on its own address (allowed), the backend
    // nowhere.
    ok(&stack, &a, "curl -sS -m 3 -o /dev/null http://10.99.0.1:5000/v2/").await;
    let addrs = host_ipv4s();
    let (_, uplink) = addrs.iter().find(|(d, _)| d != "lo" && !d.starts_with("mb-")).expect("an uplink address");
    let from_host = reqwest::get(format!("http://{uplink}:{port}/healthz")).await.unwrap();
    assert_eq!(from_host.text().await.unwrap(), "ok", "the backend should listen on {uplink}");
    assert!(addrs.iter().any(|(_, ip)| *ip == gw), "{addrs:?}");
    for (_, ip) in &addrs {
        cannot_reach(&stack, &a, &format!("http://{ip}:{port}/healthz")).await;
    }
    let bridge = crate::support::bridge_of(&gw);
    // IPv6: once the node's link-local address is usable, no host address on its link (the
    // bridge's, its veth's, whatever answers all-nodes multicast) may lead to the backend.
    ok(&stack, &a, "for i in $(seq 50); do ip -6 -o addr show dev eth0 scope link | grep -v -q tentative && exit 0; sleep 0.2; done; exit 1").await;
    let mut targets: Vec<String> = [bridge.clone(), format!("vh-{}", find_node_key(&stack, &a, "node1").await)].iter().filter_map(|d| link_local(d)).collect();
    let own = ok(&stack, &a, "ip -6 -o addr show dev eth0 scope link | awk '{print $4}' | cut -d/ -f1").await;
    let answering = exec(&stack, &a, "ping -6 -c2 -W1 ff02::1%eth0 | grep -o 'from fe80[^%]*' | cut -d' ' -f2 | sort -u").await;
    targets.extend(answering.stdout.lines().filter(|l| *l != own.trim()).map(str::to_string));
    targets.sort();
    targets.dedup();
    eprintln!("host link-local addresses seen by the node: {targets:?}");
    for ll in &targets {
        let reg = exec(&stack, &a, &format!("curl -sS -g -m 3 -o /dev/null http://[{ll}%25eth0]:5000/v2/")).await;
        eprintln!("registry over IPv6 at {ll}: exit {}", reg.exit_code);
        cannot_reach(&stack, &a, &format!("http://[{ll}%25eth0]:{port}/healthz")).await;
    }
    delete(&stack, &b).await;
    delete(&stack, &a).await;
}

