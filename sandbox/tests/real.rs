//! Real sandboxes on this host (root; needs the node image built by `muelle images build`).
//! Each test creates its own bridge and sandboxes and checks that destroy leaves nothing.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sandbox::{net, HostConfig, NetSpec, Sandbox, SandboxSpec, Stage};
use serial_test::serial;

fn host() -> HostConfig {
    let data = PathBuf::from(std::env::var("MUELLE_DATA_DIR").unwrap_or_else(|_| "/var/lib/muelle".into()));
    let init = PathBuf::from(env!("CARGO_BIN_EXE_sandbox-init"));
    let mut h = HostConfig::new(&data, init);
    h.state_dir = data.join("sandboxes-test");
    h.cgroup_parent = "muelle-test".into();
    h.prepare().expect("host prepare (are you root, is the node image built?)");
    h
}

fn spec(name: &str, host_no: u8, subnet: u8) -> SandboxSpec {
    let net = NetSpec {
        bridge: format!("mbt-{subnet}"),
        ip: Ipv4Addr::new(10, 100, subnet, 10 + host_no),
        prefix: 24,
        gateway: Ipv4Addr::new(10, 100, subnet, 1),
        mtu: 1400,
    };
    SandboxSpec::new(name, &format!("node{host_no}"), 2_000_000 + 65536 * u32::from(host_no), net)
}

/// Spawns after sweeping whatever a crashed earlier run left under the same name.
fn spawn(name: &str, host_no: u8, subnet: u8, host: &HostConfig) -> Sandbox {
    Sandbox::attach(name, 0, 0, host).destroy().expect("sweep leftovers");
    Sandbox::spawn(&spec(name, host_no, subnet), host).expect("spawn")
}

fn run(sb: &Sandbox, cmd: &str) -> Output {
    sb.command(&["/bin/sh".into(), "-c".into(), cmd.into()], &[]).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
#[serial]
fn node_runs_dockerd_as_an_unprivileged_root_and_leaves_nothing() {
    let host = host();
    net::create_bridge("mbt-250", "10.100.250.1", 24).unwrap();
    let t = Instant::now();
    let sb = spawn("t-a1", 1, 250, &host);
    sb.wait_ready(Duration::from_secs(20)).expect("dockerd ready");
    eprintln!("spawn → docker ping: {:?}", t.elapsed());

    let o = run(&sb, "hostname; hostname -i; id -u; docker info --format '{{.ServerVersion}} {{.Driver}}'");
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "node1");
    assert_eq!(lines[1], "10.100.250.11");
    assert_eq!(lines[2], "0");
    assert!(lines[3].contains("overlay2"), "{out}");

    // root inside is uid 2_065_536 outside
    let status = std::fs::read_to_string(format!("/proc/{}/status", sb.pid)).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    assert!(uid_line.contains("2065536"), "{uid_line}");
    // exit codes come back
    assert_eq!(run(&sb, "exit 7").status.code(), Some(7));

    // The default limits are on the real cgroupfs (written through cgroups-rs); the limit files
    // stay host root's, the membership files are the sandbox root's.
    let cg = |h: &str, f: &str| {
        let d = sb.cgroup_dirs().into_iter().find(|d| d.iter().any(|c| c == h)).unwrap();
        d.join(f)
    };
    let read = |h: &str, f: &str| std::fs::read_to_string(cg(h, f)).unwrap().trim().to_string();
    let l = sandbox::CgroupLimits::default();
    assert_eq!(read("memory", "memory.limit_in_bytes"), l.memory_bytes.to_string());
    assert_eq!(read("pids", "pids.max"), l.pids.to_string());
    assert_eq!(read("cpu", "cpu.cfs_quota_us"), (u64::from(l.cpu_millis) * 100).to_string());
    assert!(!read("cpuset", "cpuset.cpus").is_empty());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(cg("pids", "pids.max")).unwrap().uid(), 0);
    assert_eq!(std::fs::metadata(cg("pids", "cgroup.procs")).unwrap().uid(), sb.uid_base);
    assert_eq!(std::fs::metadata(cg("unified", "cgroup.procs")).unwrap().uid(), sb.uid_base);

    let dir = sb.dir().to_path_buf();
    let cgs = sb.cgroup_dirs();
    sb.destroy().expect("destroy");
    assert!(!dir.exists(), "sandbox dir left");
    assert!(cgs.iter().all(|d| !d.exists()), "cgroup dirs left");
    assert!(!net::link_exists("vh-t-a1"), "veth left");
    assert!(!std::path::Path::new(&format!("/proc/{}", sb.pid)).exists() || !sb.is_alive());
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("t-a1"), "mount left");
    net::delete_bridge("mbt-250").unwrap();
    assert!(!net::link_exists("mbt-250"));
}

#[test]
#[serial]
fn terminal_command_sees_a_tty() {
    let host = host();
    net::create_bridge("mbt-251", "10.100.251.1", 24).unwrap();
    let sb = spawn("t-b1", 1, 251, &host);
    let cmd = sb.command(&["/bin/bash".into(), "-c".into(), "tty && stty size".into()], &[]);
    let (master, mut child) = sandbox::pty::spawn_with_pty_at(cmd, sb.open_ptmx().unwrap(), sb.uid_base, 90, 33).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline && !String::from_utf8_lossy(&out).contains("33 90") {
        match nix::unistd::read(&master, &mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let s = String::from_utf8_lossy(&out);
    assert!(s.contains("/dev/pts/"), "{s}");
    assert!(s.contains("33 90"), "{s}");
    assert!(child.wait().unwrap().success());
    sb.destroy().unwrap();
    net::delete_bridge("mbt-251").unwrap();
}

/// An error and its sources, `a: b: c`.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out = format!("{out}: {s}");
        next = s.source();
    }
    out
}

#[test]
#[serial]
fn spawn_failure_names_the_step_and_the_cause_and_leaves_nothing() {
    let mut host = host();
    host.rootfs = PathBuf::from("/nonexistent-rootfs");
    let err = Sandbox::spawn(&spec("t-c1", 1, 252), &host).unwrap_err();
    let sandbox::Error::Init { source, .. } = &err else { panic!("not an init error: {err:?}") };
    // The host side of sandbox-init mounts the image: its failure comes back typed.
    assert_eq!(source.stage, Stage::ImageMount, "{}", chain(&err));
    assert_eq!(source.errno(), Some(libc::ENOENT), "{}", chain(&err));
    let text = chain(&err);
    eprintln!("{text}");
    assert!(text.contains("mounting the node image: idmapped mount of /nonexistent-rootfs"), "{text}");
    assert!(text.ends_with("No such file or directory (os error 2)"), "{text}");
    assert!(!host.state_dir.join("t-c1").exists());
    let _ = Command::new("true").status();
}

#[test]
#[serial]
fn a_failure_inside_the_node_crosses_the_pipe_typed() {
    // An empty image: the node's own process (pid 1, past both forks) fails to mount /proc in
    // it, and reports that step through the error pipe.
    let empty = tempfile::tempdir().unwrap();
    let mut host = host();
    host.rootfs = empty.path().to_path_buf();
    net::create_bridge("mbt-254", "10.100.254.1", 24).unwrap();
    Sandbox::attach("t-e1", 0, 0, &host).destroy().unwrap();
    let err = Sandbox::spawn(&spec("t-e1", 1, 254), &host).unwrap_err();
    net::delete_bridge("mbt-254").unwrap();
    let sandbox::Error::Init { name, source } = &err else { panic!("not an init error: {err:?}") };
    assert_eq!(name, "t-e1");
    assert_eq!(source.stage, Stage::RootMounts, "{}", chain(&err));
    assert!(source.errno().is_some(), "{}", chain(&err));
    let text = chain(&err);
    eprintln!("{text}");
    assert!(text.starts_with("sandbox t-e1: setup failed: building the root filesystem: "), "{text}");
    assert!(!host.state_dir.join("t-e1").exists());
    assert!(!net::link_exists("vh-t-e1"));
}

#[test]
#[serial]
fn disk_quota_stops_a_disk_fill_inside_the_node() {
    let host = host();
    net::create_bridge("mbt-253", "10.100.253.1", 24).unwrap();
    Sandbox::attach("t-d1", 0, 0, &host).destroy().unwrap();
    let s = spec("t-d1", 1, 253).with_disk_bytes(300 << 20);
    let sb = Sandbox::spawn(&s, &host).expect("spawn");
    sb.wait_ready(Duration::from_secs(20)).expect("ready");
    // The writable root and /var/lib/docker share the one limit.
    let o = run(&sb, "dd if=/dev/zero of=/root/fill bs=1M count=400 2>&1; echo rc=$?");
    let out = text(&o);
    assert!(out.contains("No space left on device"), "{out}");
    let used = sb.disk_usage().unwrap();
    assert!(used <= 310 << 20 && used > 250 << 20, "usage {used}");
    let o = run(&sb, "dd if=/dev/zero of=/var/lib/docker/fill bs=1M count=10 2>&1; echo rc=$?");
    assert!(text(&o).contains("No space left on device"), "{}", text(&o));
    // Freeing space works again, and the node is still usable.
    let o = run(&sb, "rm -f /root/fill && echo hi > /root/ok && cat /root/ok && docker info --format '{{.Driver}}'");
    assert_eq!(text(&o).trim(), "hi\noverlay2");
    // The host sees no mount of the disk: only the sandbox's namespace holds it.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("t-d1"), "host still mounts the sandbox disk");
    sb.destroy().unwrap();
    net::delete_bridge("mbt-253").unwrap();
}

/// Names (comm) of the processes in the sandbox's cgroup, seen from the host.
fn node_comms(sb: &Sandbox) -> Vec<String> {
    let dir = sb.cgroup_dirs().into_iter().find(|d| d.iter().any(|c| c == "pids")).unwrap();
    let procs = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
    procs
        .lines()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/comm")).ok())
        .map(|c| c.trim().to_string())
        .collect()
}

#[test]
#[serial]
fn the_engine_starts_on_the_first_connection_and_again_after_it_dies() {
    let host = host();
    net::create_bridge("mbt-254", "10.100.254.1", 24).unwrap();
    let sb = spawn("t-e1", 1, 254, &host);
    sb.wait_ready(Duration::from_secs(20)).expect("ready");
    // Ready means the init listens: no engine runs yet, and the node is small.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(node_comms(&sb), ["muelle-init"]);
    let idle = sb.memory_usage().unwrap();
    assert!(idle < 8 << 20, "idle node uses {} KiB", idle >> 10);

    // The first client starts dockerd and gets its answer.
    let t = Instant::now();
    let o = run(&sb, "docker version --format '{{.Server.Version}}'");
    assert!(o.status.success(), "{}", text(&o));
    eprintln!("idle node {} KiB; first docker version {:?}", idle >> 10, t.elapsed());
    let comms = node_comms(&sb);
    assert!(comms.iter().any(|c| c == "dockerd") && comms.iter().any(|c| c == "containerd"), "{comms:?}");
    // containerd is the init's (started before dockerd, which is pointed at it), not dockerd's.
    let o = run(&sb, "ps -o ppid= -p $(pidof containerd); tr '\\0' ' ' </proc/$(pidof dockerd)/cmdline");
    let ps = text(&o);
    assert!(ps.lines().next().map(str::trim) == Some("1") && ps.contains("--containerd=/run/docker/containerd/containerd.sock"), "{ps}");

    // containerd killed under a running dockerd is started again by the init.
    let o = run(&sb, "kill -9 $(pidof containerd); sleep 1; docker info --format '{{.Driver}}' && pidof containerd");
    assert!(o.status.success() && text(&o).starts_with("overlay2"), "{}", text(&o));

    // Killed, it is started again by the next client.
    let o = run(&sb, "kill -9 $(pidof dockerd); sleep 1.5; docker info --format '{{.Driver}}'");
    assert_eq!(text(&o).trim(), "overlay2", "{}", text(&o));
    let log = run(&sb, "cat /var/log/dockerd.log");
    assert!(text(&log).contains("dockerd exited: signal SIGKILL"), "{}", text(&log));
    // No zombie is left behind: the init reaps orphans (containerd lost its parent).
    let o = run(&sb, "ps -eo stat= | grep -c '^Z' || true");
    assert_eq!(text(&o).trim(), "0");

    sb.destroy().expect("destroy");
    net::delete_bridge("mbt-254").unwrap();
}

/// Waits until the node runs only its init (the engine stopped), or panics after `limit`.
fn engine_stops_within(sb: &Sandbox, limit: Duration) -> Duration {
    let t = Instant::now();
    while node_comms(sb) != ["muelle-init"] {
        assert!(t.elapsed() < limit, "the engine still runs after {limit:?}: {:?}", node_comms(sb));
        std::thread::sleep(Duration::from_millis(100));
    }
    t.elapsed()
}

#[test]
#[serial]
fn an_unused_engine_is_stopped_and_a_client_or_a_container_keeps_it() {
    let mut host = host();
    host.engine_idle_secs = 2;
    net::create_bridge("mbt-249", "10.100.249.1", 24).unwrap();
    let sb = spawn("t-f1", 1, 249, &host);
    sb.wait_ready(Duration::from_secs(20)).expect("ready");

    // Used once, then left alone: stopped after the limit, and the node is small again.
    let o = run(&sb, "docker version --format '{{.Server.Version}}'");
    assert!(o.status.success(), "{}", text(&o));
    let after = engine_stops_within(&sb, Duration::from_secs(8));
    std::thread::sleep(Duration::from_millis(300));
    let idle = sb.memory_usage().unwrap();
    eprintln!("engine stopped {after:?} after the last client; node then charged {} KiB", idle >> 10);
    let log = text(&run(&sb, "cat /var/log/dockerd.log"));
    assert!(log.contains("engine stopped after being idle"), "{log}");

    // The next client starts it again.
    let t = Instant::now();
    let o = run(&sb, "docker info --format '{{.Driver}}'");
    assert_eq!(text(&o).trim(), "overlay2", "{}", text(&o));
    eprintln!("restarted engine answered in {:?}", t.elapsed());

    // A client connected longer than the limit (docker events) keeps it.
    let mut events = sb.command(&["/bin/sh".into(), "-c".into(), "timeout 6 docker events >/dev/null".into()], &[]).spawn().unwrap();
    std::thread::sleep(Duration::from_secs(5));
    assert!(node_comms(&sb).iter().any(|c| c == "dockerd"), "stopped under a connected client");
    let _ = events.wait();

    // A running container keeps it (an image made here from the node's own files: no registry).
    let o = run(
        &sb,
        "tar -ch -C / usr/bin/sleep usr/lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 2>/dev/null \
         | docker import - local/sleep >/dev/null && docker run -d --network none local/sleep /usr/bin/sleep 60",
    );
    assert!(o.status.success(), "{}", text(&o));
    std::thread::sleep(Duration::from_secs(1));
    let ps = text(&run(&sb, "docker ps -a --format '{{.Status}}'; ps -eo pid,ppid,comm"));
    std::thread::sleep(Duration::from_secs(4));
    assert!(node_comms(&sb).iter().any(|c| c == "dockerd"), "stopped under a running container: {ps}");
    let o = run(&sb, "docker rm -f $(docker ps -q) >/dev/null");
    assert!(o.status.success(), "{}", text(&o));
    engine_stops_within(&sb, Duration::from_secs(8));
    // What the engine kept is still there when it comes back.
    let o = run(&sb, "docker image ls --format '{{.Repository}}'");
    assert!(text(&o).contains("local/sleep"), "{}", text(&o));

    // A swarm member keeps it (its raft and agent must stay up); after leaving, it stops.
    let o = run(&sb, "docker swarm init --advertise-addr 10.100.249.11 >/dev/null");
    assert!(o.status.success(), "{}", text(&o));
    std::thread::sleep(Duration::from_secs(5));
    assert!(node_comms(&sb).iter().any(|c| c == "dockerd"), "stopped in a swarm");
    let o = run(&sb, "docker swarm leave --force >/dev/null");
    assert!(o.status.success(), "{}", text(&o));
    engine_stops_within(&sb, Duration::from_secs(8));

    sb.destroy().expect("destroy");
    net::delete_bridge("mbt-249").unwrap();
}

/// `ebtables -t nat -L <chain>`'s rule lines, or `None` when the chain does not exist.
fn eb_rules(chain: &str) -> Option<Vec<String>> {
    let o = Command::new("ebtables").args(["--concurrent", "-t", "nat", "-L", chain]).output().unwrap();
    o.status.success().then(|| {
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        out.lines().skip_while(|l| !l.starts_with("Bridge chain:")).skip(1).filter(|l| !l.trim().is_empty()).map(|l| l.trim().to_string()).collect()
    })
}

/// A veth's anti-spoofing pin and unpin race (a node re-pinned while a destroy of the same veth
/// unpins it; ebtables-nft refuses a flush of or an append to a chain deleted in between):
/// every pin succeeds whatever runs beside it, no jump is doubled, and a repeated pin changes
/// nothing.
#[test]
#[serial]
fn concurrent_pins_and_unpins_of_a_veth_never_fail_and_leave_one_pin() {
    let _host = host();
    let veth = "vh-t-race";
    let chain = format!("S-{veth}");
    net::unpin_source(veth);
    let errors = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let errors = &errors;
            s.spawn(move || {
                for i in 0..12u8 {
                    if t == 3 {
                        net::unpin_source(veth);
                    } else if let Err(e) = net::pin_source(veth, &format!("10.100.250.{}", 10 + t * 12 + i)) {
                        errors.lock().unwrap().push(e.to_string());
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    assert!(errors.is_empty(), "{} of 36 pins failed, first: {}", errors.len(), errors[0]);
    let pin = ["-p IPv4 --ip-src 10.100.250.99 -j RETURN", "-p ARP --arp-ip-src 10.100.250.99 -j RETURN", "-j DROP"];
    for _ in 0..2 {
        net::pin_source(veth, "10.100.250.99").expect("pin");
        assert_eq!(eb_rules(&chain).expect("the veth's chain"), pin);
        let jumps = eb_rules("MUELLE-SPOOF").unwrap().iter().filter(|l| **l == format!("-i {veth} -j {chain}")).count();
        assert_eq!(jumps, 1, "jumps to {chain}");
    }
    net::unpin_source(veth);
    assert_eq!(eb_rules(&chain), None, "the chain is gone");
    assert!(!eb_rules("MUELLE-SPOOF").unwrap().iter().any(|l| l.contains(&chain)), "a jump to {chain} is left");
}
