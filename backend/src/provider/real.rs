//! The real provider: nodes are `sandbox` crate sandboxes running dockerd, on one bridge per
//! session, with the local registry as their Docker Hub mirror.

use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::process::{Child, Command};
use std::time::Duration;

use anyhow::Context;
use sandbox::{net, CgroupLimits, HostConfig, NetSpec, Sandbox, SandboxSpec};

use super::pool::{self, Pool};
use super::{NodeHandle, NodeSpec, ProviderError, SandboxProvider, SessionNet};
use crate::config::Config;

/// MTU inside the nodes: this machine's uplink has 1400, and nodes add a second NAT layer.
const MTU: u32 = 1400;
/// How long a new node's init may take to listen on the Docker socket.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates nodes as namespace sandboxes.
pub struct RealProvider {
    host: HostConfig,
    limits: CgroupLimits,
    disk_bytes: u64,
    pool: Option<Arc<Pool>>,
}

impl RealProvider {
    /// Prepares the host (cgroup parents, device nodes, NAT and isolation rules) and checks that
    /// the node image and the `sandbox-init` helper are there.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let mut host = HostConfig::new(&config.data_dir, find_init_bin(config.sandbox_init.as_deref())?);
        // Nodes reach the registry's read-only front, never the registry itself.
        host.registry_port = config.registry_front.port();
        host.registry_ip = config.registry_front.ip().to_string();
        host.egress = config.egress;
        host.engine_idle_secs = config.node_limits.engine_idle_secs;
        host.sessions_cidr = config.session_net.to_string();
        host.prepare().context("preparing the host for sandboxes")?;
        let l = &config.node_limits;
        let limits = CgroupLimits { memory_bytes: l.memory_mb << 20, cpu_millis: l.cpus_milli, pids: l.pids };
        let disk_bytes = l.disk_mb << 20;
        let pool = (config.pool_size > 0).then(|| Pool::new(config.pool_size, host.clone(), limits.clone(), disk_bytes, MTU));
        Ok(Self { host, limits, disk_bytes, pool })
    }

    /// A warm node from the pool, given the spec's identity; `None` when the pool is empty or the
    /// node could not be moved (it is destroyed then).
    fn take_from_pool(&self, spec: &NodeSpec) -> Option<NodeHandle> {
        let sb = self.pool.as_ref()?.take()?;
        match sb.reassign(&spec.name, &net_spec(&spec.net, spec.index)) {
            Ok(()) => Some(NodeHandle {
                key: sb.name.clone(),
                name: spec.name.clone(),
                ip: spec.net.node_ip(spec.index),
                pid: sb.pid,
                uid_base: sb.uid_base,
                start_time: sb.start_time,
            }),
            Err(err) => {
                tracing::warn!(%err, "warm pool: reassign failed, starting cold");
                let _ = sb.destroy();
                None
            }
        }
    }

    fn sandbox(&self, node: &NodeHandle) -> Sandbox {
        Sandbox::attach(&node.key, node.pid, node.uid_base, &self.host).with_start_time(node.start_time)
    }
}

/// `--sandbox-init`/`MUELLE_SANDBOX_INIT` (`configured`), else `sandbox-init` beside the running
/// binary (or one directory up, where cargo puts binaries relative to test executables in `deps/`).
fn find_init_bin(configured: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = configured {
        return Ok(p.to_path_buf());
    }
    let exe = std::env::current_exe().context("locating the running binary")?;
    let dirs = exe.ancestors().skip(1).take(2);
    dirs.map(|d| d.join("sandbox-init"))
        .find(|p| p.is_file())
        .with_context(|| format!("sandbox-init not found next to {} (build it, or set MUELLE_SANDBOX_INIT)", exe.display()))
}

/// `mb-<suffix>` names a session bridge: 8 hex digits (a /28's address) or a legacy /24's number
/// (not `mb-pool`, the warm pool's).
fn is_session_bridge_suffix(suffix: &str) -> bool {
    (suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit())) || suffix.parse::<u8>().is_ok()
}

fn net_spec(net: &SessionNet, index: u8) -> NetSpec {
    let ip = |s: String| s.parse::<Ipv4Addr>().expect("SessionNet makes valid addresses");
    NetSpec { bridge: net.bridge.clone(), ip: ip(net.node_ip(index)), prefix: net.prefix, gateway: ip(net.gateway()), mtu: MTU }
}

impl SandboxProvider for RealProvider {
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        net::create_bridge(&net.bridge, &net.gateway(), net.prefix)
            .map_err(|e| ProviderError::Network { bridge: net.bridge.clone(), source: e.into() })
    }

    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        net::delete_bridge(&net.bridge)
            .map_err(|e| ProviderError::Network { bridge: net.bridge.clone(), source: e.into() })
    }

    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError> {
        if let Some(handle) = self.take_from_pool(spec) {
            return Ok(handle);
        }
        let err = |e: sandbox::Error| ProviderError::Create { key: spec.key.clone(), source: e.into() };
        let sb_spec = SandboxSpec::new(&spec.key, &spec.name, spec.uid_base, net_spec(&spec.net, spec.index))
            .with_limits(self.limits.clone())
            .with_disk_bytes(self.disk_bytes);
        let sb = Sandbox::spawn(&sb_spec, &self.host).map_err(err)?;
        if let Err(e) = sb.wait_ready(READY_TIMEOUT) {
            let _ = sb.destroy();
            return Err(err(e));
        }
        Ok(NodeHandle {
            key: spec.key.clone(),
            name: spec.name.clone(),
            ip: spec.net.node_ip(spec.index),
            pid: sb.pid,
            uid_base: spec.uid_base,
            start_time: sb.start_time,
        })
    }

    fn command(&self, node: &NodeHandle, argv: &[String]) -> Command {
        self.sandbox(node).command(argv, &[])
    }

    fn hosts_command(&self, node: &NodeHandle, content: &str) -> Option<Command> {
        let script = "printf '%s' \"$1\" > /etc/hosts.muelle && mv /etc/hosts.muelle /etc/hosts";
        let argv = ["/bin/sh".to_string(), "-c".into(), script.into(), "sh".into(), content.into()];
        Some(self.command(node, &argv))
    }

    fn destroy_node(&self, node: &NodeHandle) -> Result<(), ProviderError> {
        self.sandbox(node)
            .destroy()
            .map_err(|e| ProviderError::Destroy { key: node.key.clone(), source: e.into() })
    }

    fn is_alive(&self, node: &NodeHandle) -> bool {
        self.sandbox(node).is_alive()
    }

    fn usage(&self, node: &NodeHandle) -> Option<super::NodeUsage> {
        let sb = self.sandbox(node);
        let memory_bytes = sb.memory_usage()?;
        // The cpuacct hierarchy (mounted alone or as cpu,cpuacct) of this node, cgroup v1: ns.
        let cpu_ns = sb
            .cgroup_dirs()
            .iter()
            .find(|d| d.components().any(|c| c.as_os_str().to_string_lossy().split(',').any(|s| s == "cpuacct")))
            .and_then(|d| std::fs::read_to_string(d.join("cpuacct.usage")).ok())
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        Some(super::NodeUsage { memory_bytes, cpu_ns, disk_bytes: sb.disk_usage().unwrap_or(0) })
    }

    fn pool_ready(&self) -> usize {
        self.pool.as_ref().map_or(0, |p| p.ready_count())
    }

    fn start_background(&self) -> anyhow::Result<()> {
        if let Some(p) = &self.pool {
            p.start().context("starting the warm pool")?;
        }
        Ok(())
    }

    fn sweep_orphans(&self, live_keys: &[String], live_bridges: &[String]) -> usize {
        let mut removed = 0;
        for e in std::fs::read_dir(&self.host.state_dir).into_iter().flatten().flatten() {
            let key = e.file_name().to_string_lossy().into_owned();
            // Runs before the pool starts: every pool node here is a previous process's.
            if key.starts_with('.') || live_keys.contains(&key) {
                continue;
            }
            tracing::warn!(node = %key, "sweeping a node no session owns");
            if Sandbox::attach(&key, 0, 0, &self.host).destroy().is_ok() {
                removed += 1;
            }
        }
        for e in std::fs::read_dir("/sys/class/net").into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let session_bridge = name.strip_prefix("mb-").is_some_and(is_session_bridge_suffix);
            if session_bridge && !live_bridges.contains(&name) {
                tracing::warn!(bridge = %name, "sweeping a bridge no session owns");
                removed += usize::from(net::delete_bridge(&name).is_ok());
            }
        }
        removed
    }

    fn terminal(&self, node: &NodeHandle, argv: &[String], cols: u16, rows: u16) -> std::io::Result<(OwnedFd, Child)> {
        let sb = self.sandbox(node);
        let master = sb.open_ptmx()?;
        sandbox::pty::spawn_with_pty_at(sb.command(argv, &[]), master, node.uid_base, cols, rows)
    }
}

impl Drop for RealProvider {
    fn drop(&mut self) {
        if let Some(p) = &self.pool {
            pool::shutdown(p);
        }
    }
}
