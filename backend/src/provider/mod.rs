//! The seam between sessions and sandboxes: a [`SandboxProvider`] creates networks and nodes and
//! builds commands that run inside a node. `real` drives the `sandbox` crate; `fake` runs plain
//! `/bin/sh` on the host for unit tests; `top_down` wraps a provider for `muelle lessons test`; `pool`
//! keeps warm nodes.

pub mod fake;
pub mod pool;
pub mod real;
pub mod top_down;
pub mod welcome;

use std::process::Command;

/// The address plan lives at the crate's top level (config reads it too); provider code names it
/// here as before.
pub use crate::addr::{self, SessionNet};

use serde::{Deserialize, Serialize};

/// What the provider needs to start one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSpec {
    /// Unique on this host, short (used in cgroup, directory and veth names), e.g. `k3f9-1`.
    pub key: String,
    /// `node1` … `node5` (the hostname inside).
    pub name: String,
    /// 1-based node index inside the session.
    pub index: u8,
    /// The session's network.
    pub net: SessionNet,
    /// First host uid/gid of the node's 65536-id range (user namespace).
    pub uid_base: u32,
}

/// A started node; serializable so the session store can keep it across backend restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeHandle {
    /// Same as [`NodeSpec::key`].
    pub key: String,
    /// `node1` … `node5`.
    pub name: String,
    /// The node's address.
    pub ip: String,
    /// Host pid of the node's init process (0 for the fake provider).
    pub pid: i32,
    /// Same as [`NodeSpec::uid_base`].
    pub uid_base: u32,
    /// Start time of the init (clock ticks since boot, `/proc/PID/stat` field 22): with `pid`,
    /// names the init for good, so a reused pid is never entered. 0 when unknown.
    #[serde(default)]
    pub start_time: u64,
}

/// What a node uses now, as its provider measures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeUsage {
    /// Memory charged to the node (its cgroup), bytes.
    pub memory_bytes: u64,
    /// CPU time the node used since it started (its cgroup's cpuacct), nanoseconds.
    pub cpu_ns: u64,
    /// Disk the node takes (its disk image's allocated blocks, or its files), bytes.
    pub disk_bytes: u64,
}

/// What caused a provider failure: the sandbox crate's typed error (or the fake provider's).
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Failures of the provider, each with its cause as `source()`: the log and the API's error
/// message show the whole chain (which step of a node start failed, and why).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The sandbox could not be created or did not become ready.
    #[error("failed to create node {key}")]
    Create { key: String, #[source] source: Cause },
    /// A network could not be set up or torn down.
    #[error("network {bridge}")]
    Network { bridge: String, #[source] source: Cause },
    /// Destroy left something behind.
    #[error("failed to destroy node {key}")]
    Destroy { key: String, #[source] source: Cause },
}

/// Creates and destroys sandboxes. Every method may block: call it from `spawn_blocking`.
pub trait SandboxProvider: Send + Sync + 'static {
    /// Creates the session's bridge (idempotent).
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError>;
    /// Removes the session's bridge (idempotent).
    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError>;
    /// Starts a node and returns once its Docker engine answers (or fails after a time limit).
    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError>;
    /// A command that runs `argv` inside the node as root, with cwd `/root`, a login-like
    /// environment (PATH, HOME, TERM=xterm-256color) and the node's hostname. The caller sets
    /// stdio (pipes for exec, a PTY for terminals).
    fn command(&self, node: &NodeHandle, argv: &[String]) -> Command;
    /// Kills the node and removes every trace of it (idempotent).
    fn destroy_node(&self, node: &NodeHandle) -> Result<(), ProviderError>;
    /// Whether the node's init process is still running.
    fn is_alive(&self, node: &NodeHandle) -> bool;
    /// Destroys every node and session bridge on the host that is not in `live_keys` /
    /// `live_bridges`: what a crash left between creating a sandbox and storing it. Returns how
    /// many it removed. Only the one backend that owns the host may call it.
    fn sweep_orphans(&self, live_keys: &[String], live_bridges: &[String]) -> usize {
        let _ = (live_keys, live_bridges);
        0
    }

    /// A command that replaces the node's `/etc/hosts` with `content` (every node of its session
    /// by name), or `None` where nodes share the host's files (the fake provider). No default:
    /// a wrapper that forgot to pass it on left every node of `lessons test` without names.
    fn hosts_command(&self, node: &NodeHandle, content: &str) -> Option<Command>;

    /// Starts background work (the real provider's warm pool). Called once, after sessions were
    /// recovered and orphans swept.
    fn start_background(&self) -> anyhow::Result<()> {
        Ok(())
    }

    /// Warm nodes ready now (the real provider's pool; 0 without one).
    fn pool_ready(&self) -> usize {
        0
    }

    /// What the node uses now: memory in bytes and CPU time used so far in microseconds, from
    /// its cgroup; `None` where nodes have no cgroup of their own (the fake provider).
    fn node_usage(&self, node: &NodeHandle) -> Option<(u64, u64)> {
        self.usage(node).map(|u| (u.memory_bytes, u.cpu_ns / 1000))
    }

    /// What the node uses now; `None` where the provider cannot tell (the node is gone).
    fn usage(&self, node: &NodeHandle) -> Option<NodeUsage> {
        let _ = node;
        None
    }

    /// Starts `argv` in the node on a fresh terminal of `cols`×`rows`; returns the PTY master
    /// (non-blocking) and the child. The default uses a host PTY; the real provider takes the PTY
    /// from the node's own devpts so the terminal has a name inside (`tty` prints /dev/pts/N).
    fn terminal(
        &self,
        node: &NodeHandle,
        argv: &[String],
        cols: u16,
        rows: u16,
    ) -> std::io::Result<(std::os::fd::OwnedFd, std::process::Child)> {
        sandbox::pty::spawn_with_pty(self.command(node, argv), cols, rows)
    }
}
