//! Host-wide settings shared by every sandbox, and the one-time host preparation.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cgroup;
use crate::error::Error;
use crate::net;

/// Host-wide settings.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Per-sandbox directories live in `<state_dir>/<name>`.
    pub state_dir: PathBuf,
    /// The node image: a Debian root with docker.io, containerd, runc and tini (read-only, shared).
    pub rootfs: PathBuf,
    /// Path of the `sandbox-init` helper binary.
    pub init_bin: PathBuf,
    /// cgroup parent directory name under every hierarchy.
    pub cgroup_parent: String,
    /// cgroup filesystem root (/sys/fs/cgroup).
    pub cgroup_root: PathBuf,
    /// Port of the local registry.
    pub registry_port: u16,
    /// An address of the host's own, the same for every node whatever its bridge, where nodes
    /// reach the registry (added to `lo`); nodes keep it when they move between sessions.
    pub registry_ip: String,
    /// Nameserver written into each sandbox's resolv.conf.
    pub dns: String,
    /// Address range that holds every session subnet (for NAT and isolation rules).
    pub sessions_cidr: String,
    /// What nodes may reach beyond their session and the host's registry and DNS.
    pub egress: net::Egress,
    /// Seconds a node's engine may sit unused (no client connected, no container running, not
    /// in a swarm) before its init stops dockerd and containerd; the next connection starts them
    /// again. 0: never.
    pub engine_idle_secs: u32,
}

impl HostConfig {
    /// Settings with this host's defaults under `data_dir`.
    pub fn new(data_dir: &Path, init_bin: PathBuf) -> Self {
        Self {
            state_dir: data_dir.join("sandboxes"),
            rootfs: data_dir.join("images/node/rootfs"),
            init_bin,
            cgroup_parent: "muelle".into(),
            cgroup_root: PathBuf::from("/sys/fs/cgroup"),
            registry_port: 5000,
            registry_ip: "10.99.0.1".into(),
            dns: host_nameserver().unwrap_or_else(|| "1.1.1.1".into()),
            sessions_cidr: "10.100.0.0/16".into(),
            egress: net::Egress::default(),
            engine_idle_secs: 0,
        }
    }

    /// `ip:port` of the registry as nodes reach it.
    pub fn registry(&self) -> String {
        format!("{}:{}", self.registry_ip, self.registry_port)
    }

    /// Device nodes bind-mounted into sandboxes (a user namespace may not mknod).
    pub fn devnodes(&self) -> PathBuf {
        self.state_dir.join(".dev")
    }

    /// One-time host setup, idempotent: directories, cgroup parents, device nodes, forwarding,
    /// NAT and the isolation rules.
    pub fn prepare(&self) -> Result<(), Error> {
        fs::create_dir_all(&self.state_dir).map_err(|e| Error::io("mkdir", &self.state_dir, e))?;

        if !self.rootfs.join("usr/sbin/dockerd").exists() {
            return Err(Error::Setup {
                name: "host".into(),
                message: format!("node image missing at {} (run `muelle images build`)", self.rootfs.display()),
            });
        }
        cgroup::prepare_parent(&self.cgroup_root, &self.cgroup_parent)?;
        self.prepare_devnodes()?;
        net::prepare_host(&self.sessions_cidr, &self.registry_ip, self.registry_port, self.egress, &self.dns)?;
        net::add_local_address(&self.registry_ip)?;
        Ok(())
    }

    fn prepare_devnodes(&self) -> Result<(), Error> {
        use nix::sys::stat::{makedev, mknod, Mode, SFlag};
        let dir = self.devnodes();
        fs::create_dir_all(dir.join("net")).map_err(|e| Error::io("mkdir", &dir, e))?;
        // 0666 like a normal distro's /dev (this host has fuse and tun at 0600).
        let nodes = [("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9),
            ("tty", 5, 0), ("fuse", 10, 229), ("net/tun", 10, 200)];
        for (name, major, minor) in nodes {
            let p = dir.join(name);
            if p.exists() {
                continue;
            }
            let mode = Mode::from_bits_truncate(0o666);
            mknod(&p, SFlag::S_IFCHR, mode, makedev(major, minor))
                .map_err(|e| Error::io("mknod", &p, e.into()))?;
            nix::sys::stat::fchmodat(nix::fcntl::AT_FDCWD, &p, mode, nix::sys::stat::FchmodatFlags::FollowSymlink)
                .map_err(|e| Error::io("chmod", &p, e.into()))?;
        }
        Ok(())
    }
}

/// The first `nameserver` of the host's resolv.conf, unless it is a loopback address.
pub fn host_nameserver() -> Option<String> {
    let conf = fs::read_to_string("/etc/resolv.conf").ok()?;
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(|s| s.trim().to_string())
        .find(|s| !s.starts_with("127.") && s != "::1")
}

/// The `/etc/hosts` line that sends the engine's Docker Hub requests to the registry front
/// (`registry` is its `ip:port`; the front answers HTTPS as `registry-1.docker.io` on 443).
pub fn hub_alias(registry: &str) -> String {
    let ip = registry.rsplit_once(':').map_or(registry, |(ip, _)| ip);
    format!("{ip}\tregistry-1.docker.io index.docker.io\n")
}
