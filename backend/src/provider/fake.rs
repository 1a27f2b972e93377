//! A provider for unit tests and `MUELLE_SANDBOX=fake`: "nodes" are directories on the host and
//! their commands are plain host processes (no isolation at all; never use it in production).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::{NodeHandle, NodeSpec, ProviderError, SandboxProvider, SessionNet};

/// Runs node commands on the host, with `HOME` and cwd set to a per-node directory.
pub struct FakeProvider {
    root: PathBuf,
    failures_left: AtomicU32,
    networks: Mutex<Vec<String>>,
}

impl FakeProvider {
    /// Keeps the nodes' home directories under `root` (created if needed).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), failures_left: AtomicU32::new(0), networks: Mutex::new(Vec::new()) }
    }

    /// Makes the next `n` calls of `create_node` fail (to test clean-up paths).
    pub fn fail_next_creates(&self, n: u32) {
        self.failures_left.store(n, Ordering::SeqCst);
    }

    /// Simulates a node dying: afterwards `is_alive` reports false for it.
    pub fn kill_node(&self, key: &str) {
        let _ = std::fs::remove_dir_all(self.home(key));
    }

    /// Bridges created and not yet destroyed (sorted).
    pub fn networks(&self) -> Vec<String> {
        let mut nets = self.networks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        nets.sort();
        nets
    }

    /// The directory standing in for node `key`'s root filesystem.
    pub fn home(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn take_failure(&self) -> bool {
        self.failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

impl SandboxProvider for FakeProvider {
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        let mut nets = self.networks.lock().unwrap_or_else(|p| p.into_inner());
        if !nets.contains(&net.bridge) {
            nets.push(net.bridge.clone());
        }
        Ok(())
    }

    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.networks.lock().unwrap_or_else(|p| p.into_inner()).retain(|b| b != &net.bridge);
        Ok(())
    }

    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError> {
        let fail = |source: super::Cause| ProviderError::Create { key: spec.key.clone(), source };
        if self.take_failure() {
            return Err(fail("injected failure".into()));
        }
        std::fs::create_dir_all(self.home(&spec.key)).map_err(|e| fail(e.into()))?;
        Ok(NodeHandle {
            key: spec.key.clone(),
            name: spec.name.clone(),
            ip: spec.net.node_ip(spec.index),
            pid: 0,
            uid_base: spec.uid_base,
            start_time: 0,
        })
    }

    fn command(&self, node: &NodeHandle, argv: &[String]) -> Command {
        let home = self.home(&node.key);
        let (program, args) = argv.split_first().map_or(("/bin/sh", &[][..]), |(p, a)| (p.as_str(), a));
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("HOSTNAME", &node.name)
            .env("HOME", &home)
            .env("TERM", "xterm-256color")
            .current_dir(existing_or_tmp(&home));
        cmd
    }

    fn destroy_node(&self, node: &NodeHandle) -> Result<(), ProviderError> {
        match std::fs::remove_dir_all(self.home(&node.key)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ProviderError::Destroy { key: node.key.clone(), source: e.into() }),
        }
    }

    /// Fake nodes share the host's `/etc/hosts`: nothing to write.
    fn hosts_command(&self, _node: &NodeHandle, _content: &str) -> Option<Command> {
        None
    }

    fn is_alive(&self, node: &NodeHandle) -> bool {
        self.home(&node.key).is_dir()
    }

    /// The bytes of the node's home (its "disk"); fake nodes have no cgroup of their own.
    fn usage(&self, node: &NodeHandle) -> Option<super::NodeUsage> {
        let home = self.home(&node.key);
        home.is_dir().then(|| super::NodeUsage { disk_bytes: tree_bytes(&home, 4), ..Default::default() })
    }
}

/// Bytes of the regular files under `dir`, `depth` levels down at most.
fn tree_bytes(dir: &Path, depth: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            Ok(t) if t.is_dir() && depth > 0 => tree_bytes(&e.path(), depth - 1),
            _ => 0,
        })
        .sum()
}

/// A dead node's directory is gone; run in `/tmp` rather than fail to spawn.
fn existing_or_tmp(dir: &Path) -> PathBuf {
    if dir.is_dir() { dir.to_path_buf() } else { std::env::temp_dir() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key: &str) -> NodeSpec {
        NodeSpec { key: key.into(), name: "node2".into(), index: 2, net: SessionNet::legacy(7), uid_base: 1_065_536 }
    }

    #[test]
    fn nodes_get_an_ip_a_home_and_a_hostname() {
        let dir = tempfile::tempdir().unwrap();
        let p = FakeProvider::new(dir.path());
        let h = p.create_node(&spec("abc-2")).unwrap();
        assert_eq!((h.ip.as_str(), h.pid, h.uid_base), ("10.100.7.12", 0, 1_065_536));
        assert!(p.is_alive(&h));
        let argv: Vec<String> = ["/bin/sh", "-c", "echo $HOSTNAME $TERM; pwd"].map(String::from).into();
        let out = p.command(&h, &argv).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text, format!("node2 xterm-256color\n{}\n", p.home("abc-2").display()));
        p.destroy_node(&h).unwrap();
        assert!(!p.is_alive(&h));
        p.destroy_node(&h).unwrap();
    }

    #[test]
    fn injected_failures_are_used_up() {
        let dir = tempfile::tempdir().unwrap();
        let p = FakeProvider::new(dir.path());
        p.fail_next_creates(1);
        assert!(p.create_node(&spec("x-1")).is_err());
        assert!(p.create_node(&spec("x-1")).is_ok());
    }

    #[test]
    fn networks_are_tracked_idempotently() {
        let p = FakeProvider::new(std::env::temp_dir());
        let net = crate::provider::addr::SessionRange::default().net(4);
        p.create_network(&net).unwrap();
        p.create_network(&net).unwrap();
        assert_eq!(p.networks(), vec!["mb-0a640040".to_string()]);
        p.destroy_network(&net).unwrap();
        p.destroy_network(&net).unwrap();
        assert!(p.networks().is_empty());
    }
}
