//! The anchor of the bench: Play-with-Docker-style nodes measured beside muelle's.
//!
//! PWD ran each node as a privileged `docker:dind` container of a dockerd on the host. Here the
//! host's dockerd (Debian's docker.io, installed by scripts/setup.sh) runs in a network namespace
//! of its own (`muelle-anchor`) with its own data, exec root, socket and cgroup parent, so
//! nothing of muelle's (bridges, iptables chains, cgroups, /var/lib/docker) is touched. The node
//! image is muelle's own (imported from its rootfs), its dockerd started as dind does
//! (`--privileged`, /var/lib/docker a volume). Both kinds of node pull from the same local
//! registry: the namespace reaches it through a veth (198.18.77.0/30, the benchmark range) and a
//! relay the bench runs on the host side.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

const NS: &str = "muelle-anchor";
const HOST_IF: &str = "ma-host";
const NS_IF: &str = "ma-ns";
const HOST_IP: &str = "198.18.77.1";
const NS_IP: &str = "198.18.77.2";
const RELAY_PORT: u16 = 5001;
const IMAGE: &str = "muelle-anchor-node";

/// What the anchor measured.
#[derive(Debug, Default)]
pub struct Figures {
    /// Container start → `docker version` answers inside it, median.
    pub start_s: f64,
    /// Host memory per idle dind node (MemAvailable drop / n), MiB.
    pub idle_mib: f64,
    /// The same, charged to the containers' memory cgroups, MiB.
    pub idle_cgroup_mib: f64,
    /// `docker run --rm hello-world` in a fresh dind node (pull from the local registry included).
    pub hello_s: f64,
    /// Nodes started.
    pub nodes: usize,
}

fn sh(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.stderr(Stdio::piped()).output().with_context(|| format!("{cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The host-side dockerd of the anchor and everything it made; removed on drop.
struct Anchor {
    dir: PathBuf,
    dockerd: Option<std::process::Child>,
    relay: Option<tokio::task::JoinHandle<()>>,
}

impl Anchor {
    fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.arg("-H").arg(format!("unix://{}", self.dir.join("docker.sock").display()));
        c
    }
}

impl Drop for Anchor {
    fn drop(&mut self) {
        if let Ok(ids) = sh(self.docker().args(["ps", "-aq"])) {
            for id in ids.lines() {
                let _ = self.docker().args(["rm", "-f", "-v", id]).output();
            }
        }
        if let Some(mut d) = self.dockerd.take() {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(d.id() as i32), nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline && matches!(d.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = d.kill();
            let _ = d.wait();
        }
        if let Some(r) = self.relay.take() {
            r.abort();
        }
        let _ = Command::new("ip").args(["link", "del", HOST_IF]).output();
        let _ = Command::new("ip").args(["netns", "del", NS]).output();
        // dockerd's mounts under the data root (overlay layers, the netns files) go with it.
        let _ = Command::new("sh").arg("-c").arg(format!("grep -o ' {0}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l", self.dir.display())).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Relays TCP from `HOST_IP:RELAY_PORT` (reached only from the anchor's namespace) to the local
/// registry.
async fn relay(registry: std::net::SocketAddr) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind((HOST_IP, RELAY_PORT)).await.context("bind the registry relay")?;
    Ok(tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(registry).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    }))
}

fn mem_available() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        << 10
}

/// Starts `n` dind-style nodes from the node image at `rootfs`, pulling through `registry`
/// (the local registry's address on the host), and measures them. Needs root and docker.io.
pub async fn measure(rootfs: &Path, registry: std::net::SocketAddr, n: usize) -> anyhow::Result<Figures> {
    if !Path::new("/usr/sbin/dockerd").exists() {
        bail!("no dockerd on the host (Debian's docker.io, installed by scripts/setup.sh)");
    }
    // Leftovers of an interrupted run.
    let _ = Command::new("ip").args(["link", "del", HOST_IF]).output();
    let _ = Command::new("ip").args(["netns", "del", NS]).output();
    let dir = PathBuf::from(format!("/var/tmp/muelle-anchor-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut anchor = Anchor { dir: dir.clone(), dockerd: None, relay: None };

    sh(Command::new("ip").args(["netns", "add", NS]))?;
    sh(Command::new("ip").args(["link", "add", HOST_IF, "type", "veth", "peer", "name", NS_IF, "netns", NS]))?;
    sh(Command::new("ip").args(["addr", "add", &format!("{HOST_IP}/30"), "dev", HOST_IF]))?;
    sh(Command::new("ip").args(["link", "set", HOST_IF, "up"]))?;
    sh(Command::new("ip").args(["-n", NS, "addr", "add", &format!("{NS_IP}/30"), "dev", NS_IF]))?;
    sh(Command::new("ip").args(["-n", NS, "link", "set", NS_IF, "up"]))?;
    sh(Command::new("ip").args(["-n", NS, "link", "set", "lo", "up"]))?;
    anchor.relay = Some(relay(registry).await?);

    // The host's dockerd, all its state under `dir`, inside the namespace.
    let log = std::fs::File::create(dir.join("dockerd.log"))?;
    // nsenter, not `ip netns exec`: that one also remounts /sys, which hides the cgroup mounts.
    let child = Command::new("nsenter")
        .arg(format!("--net=/run/netns/{NS}"))
        .arg("/usr/sbin/dockerd")
        .arg("-H")
        .arg(format!("unix://{}", dir.join("docker.sock").display()))
        .arg("--data-root")
        .arg(dir.join("data"))
        .arg("--exec-root")
        .arg(dir.join("exec"))
        .arg("--pidfile")
        .arg(dir.join("dockerd.pid"))
        .args(["--cgroup-parent", "/muelle-anchor", "--config-file"])
        .arg(write(&dir.join("daemon.json"), "{}")?)
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("start the host's dockerd")?;
    anchor.dockerd = Some(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while sh(anchor.docker().args(["version", "--format", "{{.Server.Version}}"])).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(8).collect();
            bail!("the anchor's dockerd did not answer; its log ends:\n{}", tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }

    // The node image, as PWD's was: the same root muelle's nodes run.
    let import = format!("tar -C {} -c . | docker -H unix://{} import - {IMAGE}", rootfs.display(), dir.join("docker.sock").display());
    sh(Command::new("sh").arg("-c").arg(import))?;

    // dind's way of starting the engine, with the registry through the relay as its mirror.
    let daemon = format!(r#"{{"registry-mirrors":["http://{HOST_IP}:{RELAY_PORT}"],"insecure-registries":["{HOST_IP}:{RELAY_PORT}"]}}"#);
    let start_cmd = format!("echo '{daemon}' > /etc/docker/anchor.json && exec dockerd --config-file /etc/docker/anchor.json >/var/log/dockerd.log 2>&1");
    // `--privileged` asks for every capability; the ones this host's bounding set lacks (a
    // machine that runs in a container of its own may lack CAP_SYS_RESOURCE) must be dropped.
    // Docker 20.10 ignores --cap-drop beside --privileged, so such a host gets the same
    // container spelled out: every capability but those, no seccomp or AppArmor profile, /sys
    // and /proc unmasked, every device, and the cgroup tree writable (dind makes its own).
    let missing = missing_caps();
    let privileged: Vec<String> = if missing.is_empty() {
        vec!["--privileged".into()]
    } else {
        let mut v: Vec<String> = ["--cap-add", "ALL", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined", "--device-cgroup-rule", "a *:* rwm", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(missing.into_iter().flat_map(|c| ["--cap-drop".to_string(), c]));
        v
    };
    let avail0 = mem_available();
    let mut starts = Vec::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let t = Instant::now();
        let id = sh(anchor.docker().args(["run", "-d"]).args(&privileged).args(["-v", "/var/lib/docker", "--hostname"]).arg(format!("node{}", i + 1)).args([IMAGE, "sh", "-c", &start_cmd]))?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while sh(anchor.docker().args(["exec", &id, "docker", "version", "--format", "{{.Server.Version}}"])).is_err() {
            if Instant::now() > deadline {
                let logs = sh(anchor.docker().args(["exec", &id, "cat", "/var/log/dockerd.log"])).unwrap_or_default();
                bail!("dind node {} never answered docker version: {logs}", i + 1);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        starts.push(t.elapsed().as_secs_f64());
        ids.push(id);
    }
    tokio::time::sleep(Duration::from_secs(10)).await; // settle to idle, as muelle's nodes do
    let idle_mib = avail0.saturating_sub(mem_available()) as f64 / n as f64 / (1 << 20) as f64;
    let charged: u64 = ids
        .iter()
        .filter_map(|id| std::fs::read_to_string(format!("/sys/fs/cgroup/memory/muelle-anchor/{id}/memory.usage_in_bytes")).ok())
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum();

    let t = Instant::now();
    let hello = sh(anchor.docker().args(["exec", &ids[0], "docker", "run", "--rm", "hello-world"]))?;
    let hello_s = t.elapsed().as_secs_f64();
    if !hello.contains("Hello from Docker") {
        bail!("hello-world in a dind node printed: {hello}");
    }
    starts.sort_by(f64::total_cmp);
    drop(anchor);
    let _ = std::fs::remove_dir("/sys/fs/cgroup/memory/muelle-anchor");
    Ok(Figures { start_s: starts[starts.len() / 2], idle_mib, idle_cgroup_mib: charged as f64 / n as f64 / (1 << 20) as f64, hello_s, nodes: n })
}

fn write(path: &Path, text: &str) -> anyhow::Result<PathBuf> {
    std::fs::write(path, text)?;
    Ok(path.to_path_buf())
}

/// Capabilities (by Docker's names) missing from this process's bounding set, among those
/// `--privileged` grants.
fn missing_caps() -> Vec<String> {
    const NAMES: &[&str] = &[
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
        "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
        "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
        "PERFMON", "BPF", "CHECKPOINT_RESTORE",
    ];
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let Some(bnd) = status.lines().find_map(|l| l.strip_prefix("CapBnd:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok()) else {
        return Vec::new();
    };
    NAMES.iter().enumerate().filter(|(i, _)| bnd & (1 << i) == 0).map(|(_, n)| n.to_string()).collect()
}
