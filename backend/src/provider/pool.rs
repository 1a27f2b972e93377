//! A warm pool of nodes: started sandboxes (init up, dockerd starting on first use), parked on a bridge of their own
//! until a session takes one. Taking one moves its veth to the session's bridge and gives it the
//! session's address and hostname (`Sandbox::reassign`), tens of milliseconds instead of the
//! half second a cold start takes. A background thread keeps the pool full, one node at a time.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::BTreeSet;

use anyhow::Context;
use rand::Rng;
use sandbox::{net, CgroupLimits, HostConfig, NetSpec, Sandbox, SandboxSpec};

/// Pool nodes' bridge and addresses (10.99.1.0/24, which no session range may touch: `addr::RESERVED`).
const BRIDGE: &str = "mb-pool";
const GATEWAY: [u8; 4] = [10, 99, 1, 1];
/// Pool nodes' uid ranges start here, above any range the session registry hands out
/// (`sessions::alloc` stops below it).
pub const UID_BASE: u32 = 1_000_000_000;
const UID_SLOTS: u32 = 16_384;
/// Key prefix of pool nodes (they keep it when a session takes them).
pub const KEY_PREFIX: &str = "pl-";

/// The pool.
pub struct Pool {
    want: usize,
    ready: Mutex<Vec<Sandbox>>,
    stop: AtomicBool,
    next_slot: AtomicU32,
    host: HostConfig,
    limits: CgroupLimits,
    disk_bytes: u64,
    mtu: u32,
}

impl Pool {
    /// A pool of `want` nodes; call [`Pool::start`] to fill it.
    pub fn new(want: usize, host: HostConfig, limits: CgroupLimits, disk_bytes: u64, mtu: u32) -> Arc<Pool> {
        let first = rand::rng().random_range(0..UID_SLOTS);
        Arc::new(Pool {
            want,
            ready: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            next_slot: AtomicU32::new(first),
            host,
            limits,
            disk_bytes,
            mtu,
        })
    }

    /// Creates the pool's bridge and starts the refill thread. Pool nodes a previous process
    /// left are not this pool's business: the registry's orphan sweep, which runs first and
    /// knows which nodes sessions own, removes them.
    pub fn start(self: &Arc<Self>) -> anyhow::Result<()> {
        let gw = std::net::Ipv4Addr::from(GATEWAY).to_string();
        net::create_bridge(BRIDGE, &gw, 24)?;
        let pool = Arc::clone(self);
        std::thread::Builder::new().name("node-pool".into()).spawn(move || pool.refill_loop())?;
        Ok(())
    }

    /// A warm node, if one is ready.
    pub fn take(&self) -> Option<Sandbox> {
        self.ready.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// How many nodes are ready now.
    pub fn ready_count(&self) -> usize {
        self.ready.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn refill_loop(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            if self.ready_count() >= self.want {
                std::thread::sleep(Duration::from_millis(200));
                continue;
            }
            match self.spawn_one() {
                Ok(sb) => {
                    let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
                    if self.stop.load(Ordering::Relaxed) {
                        // Shut down while this one was starting: nobody will take it.
                        drop(ready);
                        let _ = sb.destroy();
                    } else {
                        ready.push(sb);
                    }
                }
                Err(err) => {
                    tracing::warn!(err = format!("{err:#}"), "warm pool: could not start a node");
                    std::thread::sleep(Duration::from_secs(5));
                }
            }
        }
    }

    fn spawn_one(&self) -> anyhow::Result<Sandbox> {
        // Every node on the host counts, not only this process's: after a restart, sessions own
        // pool nodes of the previous process, whose slots the random start may land on.
        let in_use = uid_bases_on_host(&self.host.state_dir);
        let start = self.next_slot.load(Ordering::Relaxed);
        let slot = free_slot(start, &in_use).context("every pool uid range is in use")?;
        self.next_slot.store(slot + 1, Ordering::Relaxed);
        let key = format!("{KEY_PREFIX}{}", random_suffix());
        let ip = std::net::Ipv4Addr::new(10, 99, 1, 10 + (slot % 240) as u8);
        let net = NetSpec { bridge: BRIDGE.into(), ip, prefix: 24, gateway: GATEWAY.into(), mtu: self.mtu };
        let spec = SandboxSpec::new(&key, "node", UID_BASE + slot * 65536, net)
            .with_limits(self.limits.clone())
            .with_disk_bytes(self.disk_bytes);
        let sb = Sandbox::spawn(&spec, &self.host)?;
        if let Err(e) = sb.wait_ready(Duration::from_secs(30)) {
            let _ = sb.destroy();
            return Err(e.into());
        }
        Ok(sb)
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for sb in self.ready.get_mut().unwrap_or_else(|p| p.into_inner()).drain(..) {
            let _ = sb.destroy();
        }
    }
}

/// Stops the refill thread and destroys the ready nodes (the thread holds an `Arc`, so `Drop`
/// alone would never run while it lives).
pub fn shutdown(pool: &Pool) {
    let nodes: Vec<Sandbox> = {
        let mut ready = pool.ready.lock().unwrap_or_else(|p| p.into_inner());
        pool.stop.store(true, Ordering::Relaxed);
        ready.drain(..).collect()
    };
    for sb in nodes {
        let _ = sb.destroy();
    }
}

/// The first slot at or after `start` (wrapping) whose uid range no node on the host uses.
fn free_slot(start: u32, in_use: &BTreeSet<u32>) -> Option<u32> {
    (0..UID_SLOTS).map(|i| (start + i) % UID_SLOTS).find(|slot| !in_use.contains(&(UID_BASE + slot * 65536)))
}

/// The uid base of every sandbox directory under `state_dir`: the owner of its `merged/`
/// (chowned to the node's root, the first uid of its range, when it was created).
pub fn uid_bases_on_host(state_dir: &std::path::Path) -> BTreeSet<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(state_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| std::fs::metadata(e.path().join("merged")).ok())
        .map(|m| m.uid())
        .collect()
}

fn random_suffix() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..6).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_in_use_on_the_host_are_skipped_and_the_search_wraps() {
        let base = |slot: u32| UID_BASE + slot * 65536;
        assert_eq!(free_slot(5, &BTreeSet::new()), Some(5));
        assert_eq!(free_slot(5, &[base(5), base(6)].into()), Some(7));
        assert_eq!(free_slot(UID_SLOTS - 1, &[base(UID_SLOTS - 1), base(0)].into()), Some(1));
        assert_eq!(free_slot(0, &(0..UID_SLOTS).map(base).collect()), None);
    }

    #[test]
    fn uid_bases_are_read_from_the_nodes_on_the_host() {
        let dir = tempfile::tempdir().unwrap();
        for (key, owner) in [("pl-abc", UID_BASE + 3 * 65536), ("k3f9ab-1", 1_000_000)] {
            let merged = dir.path().join(key).join("merged");
            std::fs::create_dir_all(&merged).unwrap();
            if nix::unistd::getuid().is_root() {
                nix::unistd::chown(&merged, Some(nix::unistd::Uid::from_raw(owner)), None).unwrap();
            }
        }
        std::fs::create_dir_all(dir.path().join(".dev/merged")).unwrap();
        std::fs::create_dir_all(dir.path().join("half-made")).unwrap();
        let found = uid_bases_on_host(dir.path());
        if nix::unistd::getuid().is_root() {
            assert_eq!(found, [1_000_000, UID_BASE + 3 * 65536].into());
            // A restarted pool whose random start lands on the adopted node's slot skips it.
            assert_eq!(free_slot(3, &found), Some(4));
        } else {
            assert_eq!(found.len(), 1, "both owned by the test user");
        }
    }
}
