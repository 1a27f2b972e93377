//! cgroup v1 (hybrid) directories of one sandbox: creation, limits, delegation, removal.
//!
//! This host mounts every v1 controller under /sys/fs/cgroup/<ctrl>, plus name=systemd and a
//! cgroup2 "unified" hierarchy. A sandbox gets `/sys/fs/cgroup/<h>/<parent>/<name>` in each of them.
//! Limits are written by host root and the limit files stay owned by host root; only the directory
//! and its membership files are handed to the sandbox's root (as cgroup v2 delegation does), so the
//! dockerd inside can create child cgroups for its containers but cannot lift its own limits.
//!
//! cgroups-rs creates the v1 directories (copying cpuset.cpus/mems from the parent) and writes
//! the limits. What it does not do stays here, each with its reason at the place: the cgroup2
//! `unified` directory of the hybrid layout, the delegation to the sandbox's root, joining by
//! directory (what `sandbox-init` gets), and removing a tree that dockerd filled with children.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::{Duration, Instant};

use cgroups_rs::fs::blkio::BlkIoController;
use cgroups_rs::fs::cpu::CpuController;
use cgroups_rs::fs::cpuacct::CpuAcctController;
use cgroups_rs::fs::cpuset::CpuSetController;
use cgroups_rs::fs::devices::DevicesController;
use cgroups_rs::fs::freezer::FreezerController;
use cgroups_rs::fs::memory::MemController;
use cgroups_rs::fs::pid::PidController;
use cgroups_rs::fs::systemd::SystemdController;
use cgroups_rs::fs::{Cgroup, Hierarchy, MaxValue, Subsystem};

/// Every hierarchy a sandbox gets a directory in. runc needs at least `devices`.
pub const HIERARCHIES: &[&str] =
    &["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified"];

/// Resource limits of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.limit_in_bytes (also the memory+swap limit: there is no swap here).
    pub memory_bytes: u64,
    /// CPU quota in thousandths of a core (1000 = one core).
    pub cpu_millis: u32,
    /// pids.max
    pub pids: u32,
}

impl Default for CgroupLimits {
    fn default() -> Self {
        Self { memory_bytes: 2 << 30, cpu_millis: 1000, pids: 2048 }
    }
}

/// cgroup failures.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// Creating a cgroup directory failed.
    #[error("failed to create cgroup {path}")]
    Create { path: PathBuf, #[source] source: io::Error },
    /// cgroups-rs could not create the directories or write a limit.
    #[error("cgroup {path}: {what}")]
    Limit { path: String, what: &'static str, #[source] source: cgroups_rs::fs::error::Error },
    /// Writing a cgroup file failed.
    #[error("failed to write {value:?} to {path}")]
    Write { path: PathBuf, value: String, #[source] source: io::Error },
    /// Handing a directory to the sandbox's root failed.
    #[error("failed to chown {path}")]
    Chown { path: PathBuf, #[source] source: nix::Error },
    /// A directory could not be removed (tasks still in it).
    #[error("cgroup {path} still busy after {secs} s")]
    Busy { path: PathBuf, secs: u64 },
}

/// The cgroup directories of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxCgroup {
    root: PathBuf,
    parent: String,
    name: String,
}

impl SandboxCgroup {
    /// The cgroups of sandbox `name` under `<root>/<h>/<parent>/`; `root` is /sys/fs/cgroup.
    pub fn new(root: impl Into<PathBuf>, parent: &str, name: &str) -> Self {
        Self { root: root.into(), parent: parent.into(), name: name.into() }
    }

    /// One directory per hierarchy, in [`HIERARCHIES`] order.
    pub fn dirs(&self) -> Vec<PathBuf> {
        HIERARCHIES.iter().map(|h| self.dir(h)).collect()
    }

    fn dir(&self, hierarchy: &str) -> PathBuf {
        self.root.join(hierarchy).join(&self.parent).join(&self.name)
    }

    /// The sandbox's cgroup in every v1 hierarchy, as cgroups-rs sees it.
    fn cgroup(&self) -> Cgroup {
        Cgroup::load(Box::new(HostV1 { root: self.root.clone() }), format!("{}/{}", self.parent, self.name))
    }

    /// Creates the directories, writes the limits and delegates membership to host uid `owner`.
    pub fn create(&self, limits: &CgroupLimits, owner: u32) -> Result<(), CgroupError> {
        let cg = self.cgroup();
        let fail = |what: &'static str| move |source| CgroupError::Limit { path: cg_path(self), what, source };
        cg.create().map_err(fail("create"))?;
        // cgroups-rs's v1 hierarchy has no cgroup2 directory: the hybrid layout's `unified` one
        // (where systemd and dockerd look) is made here.
        let unified = self.dir("unified");
        fs::create_dir_all(&unified).map_err(|source| CgroupError::Create { path: unified, source })?;
        let mem = cg.controller_of::<MemController>().expect("HostV1 has memory");
        let bytes = i64::try_from(limits.memory_bytes).unwrap_or(i64::MAX);
        mem.set_limit(bytes).map_err(fail("memory.limit_in_bytes"))?;
        // memsw exists only with swap accounting; nothing to limit without it (cgroups-rs would
        // try to create the file).
        if self.dir("memory").join("memory.memsw.limit_in_bytes").exists() {
            mem.set_memswap_limit(bytes).map_err(fail("memory.memsw.limit_in_bytes"))?;
        }
        let pids = cg.controller_of::<PidController>().expect("HostV1 has pids");
        pids.set_pid_max(MaxValue::Value(i64::from(limits.pids))).map_err(fail("pids.max"))?;
        let cpu = cg.controller_of::<CpuController>().expect("HostV1 has cpu");
        cpu.set_cfs_quota_and_period(Some(i64::from(limits.cpu_millis) * 100), Some(100_000))
            .map_err(fail("cpu.cfs_quota_us"))?;
        self.delegate(owner)
    }

    /// Hands the directories and their membership files to the sandbox's root, as cgroup v2
    /// delegation does; cgroups-rs has no notion of delegation (nor of user namespaces).
    fn delegate(&self, owner: u32) -> Result<(), CgroupError> {
        let id = Some(nix::unistd::Uid::from_raw(owner));
        let gid = Some(nix::unistd::Gid::from_raw(owner));
        for d in self.dirs() {
            for f in ["", "cgroup.procs", "tasks", "cgroup.subtree_control", "cgroup.threads"] {
                let p = if f.is_empty() { d.clone() } else { d.join(f) };
                if f.is_empty() || p.exists() {
                    nix::unistd::chown(&p, id, gid).map_err(|source| CgroupError::Chown { path: p, source })?;
                }
            }
        }
        Ok(())
    }

    /// Moves process `pid` (0 = the caller) into every directory.
    pub fn join(&self, pid: i32) -> Result<(), CgroupError> {
        join_dirs(&self.dirs(), pid)
    }

    /// Removes the directories bottom-up (dockerd inside leaves `docker/<id>` children), retrying
    /// while exiting tasks drain, up to `timeout`. By hand: cgroups-rs's `Cgroup::delete`
    /// removes only the cgroup itself and fails while it has children.
    pub fn remove(&self, timeout: Duration) -> Result<(), CgroupError> {
        let start = Instant::now();
        loop {
            let left: Vec<PathBuf> = self.dirs().into_iter().filter(|d| !remove_tree(d)).collect();
            match left.first() {
                None => return Ok(()),
                Some(d) if start.elapsed() >= timeout => {
                    return Err(CgroupError::Busy { path: d.clone(), secs: timeout.as_secs() })
                }
                Some(_) => sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Whether any directory of this sandbox still exists.
    pub fn exists(&self) -> bool {
        self.dirs().iter().any(|d| d.exists())
    }

    /// Bytes of memory the sandbox uses now (memory.usage_in_bytes).
    pub fn memory_usage(&self) -> Option<u64> {
        fs::read_to_string(self.dir("memory").join("memory.usage_in_bytes")).ok()?.trim().parse().ok()
    }
}

/// Writes `pid` into `cgroup.procs` of each directory. By hand: `sandbox-init` gets the
/// directories as paths (JSON or argv), the cgroup2 `unified` one among them, which cgroups-rs's
/// v1 `Cgroup` does not cover; it is one write per directory either way.
pub fn join_dirs(dirs: &[PathBuf], pid: i32) -> Result<(), CgroupError> {
    for d in dirs {
        write(&d.join("cgroup.procs"), &pid.to_string())?;
    }
    Ok(())
}

fn write(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(|source| CgroupError::Write { path: path.into(), value: value.into(), source })
}

/// rmdir every directory under `d`, deepest first; true when `d` is gone.
fn remove_tree(d: &Path) -> bool {
    if !d.exists() {
        return true;
    }
    if let Ok(entries) = fs::read_dir(d) {
        for e in entries.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&e.path());
            }
        }
    }
    fs::remove_dir(d).is_ok() || !d.exists()
}

/// Ensures the parent directories exist in every hierarchy (cpuset seeded from the root).
pub fn prepare_parent(root: &Path, parent: &str) -> Result<(), CgroupError> {
    let cg = Cgroup::load(Box::new(HostV1 { root: root.to_path_buf() }), parent);
    cg.create().map_err(|source| CgroupError::Limit { path: format!("{}/*/{parent}", root.display()), what: "create", source })?;
    // The cgroup2 directory of the hybrid layout, which cgroups-rs's v1 hierarchy does not know.
    let unified = root.join("unified").join(parent);
    fs::create_dir_all(&unified).map_err(|source| CgroupError::Create { path: unified, source })?;
    Ok(())
}

fn cg_path(cg: &SandboxCgroup) -> String {
    format!("{}/*/{}/{}", cg.root.display(), cg.parent, cg.name)
}

/// This host's v1 hierarchies for cgroups-rs: every controller mounted at `<root>/<controller>`.
/// cgroups-rs's own `V1` finds the mounts in /proc/self/mountinfo; this one takes the root
/// from [`crate::HostConfig`] (and so works on a plain directory tree in tests).
#[derive(Debug, Clone)]
struct HostV1 {
    root: PathBuf,
}

impl Hierarchy for HostV1 {
    fn subsystems(&self) -> Vec<Subsystem> {
        let at = |h: &str| self.root.join(h);
        // blkio before memory: cgroup writeback wants a task in the blkcg first (as cgroups-rs's V1).
        vec![
            Subsystem::BlkIo(BlkIoController::new(at("blkio"), at("blkio"), false)),
            Subsystem::Mem(MemController::new(at("memory"), at("memory"), false)),
            Subsystem::Pid(PidController::new(at("pids"), at("pids"), false)),
            Subsystem::CpuSet(CpuSetController::new(at("cpuset"), at("cpuset"), false)),
            Subsystem::CpuAcct(CpuAcctController::new(at("cpuacct"), at("cpuacct"))),
            Subsystem::Cpu(CpuController::new(at("cpu"), at("cpu"), false)),
            Subsystem::Devices(DevicesController::new(at("devices"), at("devices"))),
            Subsystem::Freezer(FreezerController::new(at("freezer"), at("freezer"), false)),
            Subsystem::Systemd(SystemdController::new(at("systemd"), at("systemd"), false)),
        ]
    }

    fn root(&self) -> PathBuf {
        self.root.clone()
    }

    fn root_control_group(&self) -> Cgroup {
        Cgroup::load(Box::new(self.clone()), "")
    }

    fn parent_control_group(&self, path: &str) -> Cgroup {
        let parent = Path::new(path).parent().map(Path::to_path_buf).unwrap_or_default();
        Cgroup::load(Box::new(self.clone()), parent)
    }

    fn v2(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_cover_every_hierarchy() {
        let cg = SandboxCgroup::new("/sys/fs/cgroup", "muelle", "ab12-1");
        let dirs = cg.dirs();
        assert_eq!(dirs.len(), HIERARCHIES.len());
        assert!(dirs.contains(&PathBuf::from("/sys/fs/cgroup/memory/muelle/ab12-1")));
        assert!(dirs.contains(&PathBuf::from("/sys/fs/cgroup/devices/muelle/ab12-1")));
    }

    #[test]
    fn every_hierarchy_but_unified_is_a_cgroups_rs_controller() {
        let subs = HostV1 { root: "/sys/fs/cgroup".into() }.subsystems();
        assert_eq!(subs.len(), HIERARCHIES.len() - 1);
        for s in &subs {
            let p = s.to_controller().path().to_path_buf();
            let h = p.file_name().unwrap().to_str().unwrap();
            assert!(HIERARCHIES.contains(&h) && h != "unified", "{}", p.display());
        }
    }

    fn drop_files(d: &Path) {
        for e in fs::read_dir(d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                drop_files(&e.path());
            } else {
                fs::remove_file(e.path()).unwrap();
            }
        }
    }

    #[test]
    fn create_and_remove_in_a_fake_tree() {
        let t = tempfile::tempdir().unwrap();
        for h in HIERARCHIES {
            fs::create_dir_all(t.path().join(h).join("p")).unwrap();
        }
        fs::write(t.path().join("cpuset/p/cpuset.cpus"), "0-1\n").unwrap();
        fs::write(t.path().join("cpuset/p/cpuset.mems"), "0\n").unwrap();
        let cg = SandboxCgroup::new(t.path(), "p", "n1");
        let me = nix::unistd::getuid().as_raw();
        cg.create(&CgroupLimits::default(), me).unwrap();
        // (cpuset.cpus is copied only on a real cgroupfs, where mkdir makes the empty file.)
        let l = CgroupLimits::default();
        let read = |f: &str| fs::read_to_string(t.path().join(f)).unwrap();
        assert_eq!(read("pids/p/n1/pids.max"), l.pids.to_string());
        assert_eq!(read("memory/p/n1/memory.limit_in_bytes"), l.memory_bytes.to_string());
        assert_eq!(read("cpu/p/n1/cpu.cfs_quota_us"), (u64::from(l.cpu_millis) * 100).to_string());
        assert_eq!(read("cpu/p/n1/cpu.cfs_period_us"), "100000");
        assert!(t.path().join("unified/p/n1").is_dir());
        fs::create_dir_all(t.path().join("memory/p/n1/docker/abc")).unwrap();
        assert!(cg.exists());
        // cgroupfs drops its control files with the directory; a plain tmpdir does not.
        drop_files(t.path());
        cg.remove(Duration::from_secs(1)).unwrap();
        assert!(!cg.exists());
    }
}
